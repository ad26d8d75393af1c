from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from backend.geofence.tables import Location
from backend.org.tables import Employee


class CheckIn(Table, tablename="attendance_checkin"):
    """One presensi record as the phone made it, and what the server decided about it."""

    client_id = UUID(unique=True)  # made on the phone; a replay returns the stored result
    employee = ForeignKey(Employee, null=False, on_delete=OnDelete.restrict)
    kind = Varchar(length=3)  # in | out
    lat = DoublePrecision(null=True, default=None)  # None: the phone had no fix
    lon = DoublePrecision(null=True, default=None)
    accuracy_m = DoublePrecision(null=True, default=None)
    captured_at = Timestamptz()  # device clock
    sent_at = Timestamptz()  # device clock at (first) send
    received_at = Timestamptz()  # server clock
    corrected_captured_at = Timestamptz()  # captured_at + (received_at - sent_at)
    work_date = Date()  # corrected capture date in the unit's time zone
    status = Varchar(length=10)  # pending | accepted | flagged | rejected
    reasons = JSON()  # [{"code": ..., "message": ...}]
    location = ForeignKey(Location, null=True, on_delete=OnDelete.set_null)
    decision = Varchar(length=10, null=True, default=None)  # inside | uncertain | outside
    distance_m = DoublePrecision(null=True, default=None)
    selfie_key = Varchar(length=200, default="")
    selfie_sha256 = Varchar(length=64, default="")
    content_hash = Varchar(length=64)  # what a replay must match; excludes sent_at
    face_distance = DoublePrecision(null=True, default=None)
    verified_at = Timestamptz(null=True, default=None)
    # Spoof-risk score when the record settled (attendance/risk.py); the parts as RiskPart dicts.
    risk_score = DoublePrecision(null=True, default=None)
    risk_parts = JSON(default=[])
    source = Varchar(length=10, default="phone")  # phone | kiosk
    kiosk_id = Integer(null=True, default=None)  # the face kiosk that identified the employee
    # The registered device whose key signed the record (backend/devices); None: unsigned, or
    # signed by a key nobody registered. device_seq: its number in that device's chain.
    device_id = Integer(null=True, default=None)
    device_seq = Integer(null=True, default=None)
    liveness = Varchar(length=10, default="")  # "" none sent | passed | failed
    # The challenge frames in the object store, e.g. liveness/2026/12/20/<nip>/<client_id>/
    # left-up/frame0-front.jpg: the folder names the challenge, the file the part and its step.
    liveness_keys = JSON(default=[])


class Review(Table, tablename="attendance_review"):
    """Append-only audit log of BKD decisions on flagged check-ins: who, when, what, why."""

    checkin = ForeignKey(CheckIn, null=False, on_delete=OnDelete.restrict)
    reviewer = ForeignKey(Employee, null=False, on_delete=OnDelete.restrict)
    decision = Varchar(length=10)  # accept | reject
    note = Varchar(length=500, default="")
    previous_status = Varchar(length=10)
    new_status = Varchar(length=10)
    decided_at = Timestamptz()


class DayRecord(Table, tablename="attendance_day"):
    """The day status of one employee on one local day, recomputed when its inputs change."""

    employee = ForeignKey(Employee, null=False, on_delete=OnDelete.cascade)
    day = Date()
    status = Varchar(length=10)  # present | absent | permit | holiday | off
    permit = Varchar(length=30, null=True, default=None)
    tl = Varchar(length=4, null=True, default=None)
    psw = Varchar(length=4, null=True, default=None)
    late_minutes = Integer(default=0)
    early_minutes = Integer(default=0)
    deduction_pct = DoublePrecision(default=0.0)
    reasons = JSON()
    computed_at = Timestamptz()
    attested = Boolean(default=False)  # present on a head of unit's attestation (no signal)


class RecapExport(Table, tablename="attendance_recap_export"):
    """A recap asked for as a file (XLSX or CSV), built by a job (`build_recap_export`) with its
    progress stored as it goes; the finished file lies in the object store under `object_key`.

    `request_key` names what was asked (unit, month, format, subtree): a repeated identical
    request while one is queued or running is answered with that one.
    """

    request_key = Varchar(length=200, index=True)
    unit = Varchar(length=40)  # the unit's code as asked
    month = Varchar(length=7)  # YYYY-MM
    format = Varchar(length=4)  # xlsx | csv
    subtree = Boolean(default=False)  # the unit with everything under it
    requested_by = Integer()  # the employee id of who asked first
    state = Varchar(length=10, default="queued")  # queued | running | done | failed
    done = Integer(default=0)  # employees judged so far
    total = Integer(default=0)  # employees to judge (known once the job starts)
    object_key = Varchar(length=300, default="")
    filename = Varchar(length=200, default="")
    error = Varchar(length=300, default="")
    created_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)
