from piccolo.columns import (
    JSON,
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from backend.geofence.tables import Location


class Camera(Table, tablename="cctv_camera"):
    """A CCTV camera or NVR channel: where it stands, how its pictures arrive, and its health."""

    code = Varchar(length=40, unique=True)  # also the HTTP Basic user name of a push camera
    name = Varchar(length=200)
    location = ForeignKey(Location, null=False, on_delete=OnDelete.restrict)
    mode = Varchar(length=10)  # push | pull | frigate
    gerai = Varchar(length=40, null=True, default=None)  # the gerai's code (gerai domain)
    zone = JSON(null=True, default=None)  # [[x, y], ...] in image pixels; None: the whole frame
    queue_threshold = Integer(default=0)  # people at or above which the queue is long
    snapshot_url = Varchar(length=500, default="")  # pull: the snapshot URL; frigate: base URL
    frigate_camera = Varchar(length=100, default="")
    auth = Varchar(length=10, default="none")  # none | basic | digest (pull)
    username = Varchar(length=100, default="")
    # The camera's own password (pull): it must be sent as is, so it cannot be hashed.
    password = Varchar(length=200, default="", secret=True)
    interval_s = Integer(default=30)
    exit = Boolean(default=False)
    key_hash = Varchar(length=64)  # SHA-256 of the push key, shown once at creation/rotation
    created_at = Timestamptz()
    # Health, kept current by ingest and pulls.
    last_snapshot_at = Timestamptz(null=True, default=None)
    last_people = Integer(null=True, default=None)
    failures = Integer(default=0)  # consecutive failed pulls
    next_pull_at = Timestamptz(null=True, default=None)
    last_error = Varchar(length=300, default="")
    dark_alert = Integer(null=True, default=None)  # id of the open dark alert
    # Queue hysteresis: consecutive analysed snapshots at/above and below the threshold.
    above = Integer(default=0)
    below = Integer(default=0)
    queue_alert = Integer(null=True, default=None)  # id of the open queue alert


class Snapshot(Table, tablename="cctv_snapshot"):
    """One picture from a camera (or a count Frigate reported without one)."""

    camera = ForeignKey(Camera, null=False, on_delete=OnDelete.cascade)
    taken_at = Timestamptz()  # server clock at arrival: camera clocks drift
    source = Varchar(length=10)  # push | pull | frigate | mqtt
    object_key = Varchar(length=200, default="")  # '' once retention removed the picture
    size = Integer(default=0)
    people = Integer(null=True, default=None)  # None until analysed
    analysed_at = Timestamptz(null=True, default=None)
    analysis_error = Varchar(length=200, default="")


class Alert(Table, tablename="cctv_alert"):
    """A long queue at a camera's gerai, or a camera gone dark: opened, and later closed."""

    camera = ForeignKey(Camera, null=False, on_delete=OnDelete.cascade)
    kind = Varchar(length=10)  # queue | dark
    gerai = Varchar(length=40, null=True, default=None)
    opened_at = Timestamptz()
    closed_at = Timestamptz(null=True, default=None)
    threshold = Integer(default=0)
    peak = Integer(default=0)


class Seen(Table, tablename="cctv_seen"):
    """Evidence: an employee's reference face matched in a snapshot near their check-in."""

    checkin_id = Integer()
    employee_id = Integer()
    snapshot = ForeignKey(Snapshot, null=False, on_delete=OnDelete.cascade)
    distance = DoublePrecision(null=True, default=None)  # None: linked, no face matched
    created_at = Timestamptz()


class ExitEvent(Table, tablename="cctv_exit"):
    """Evidence, never a sanction: an employee identified (1:N) leaving through an exit camera
    during their working hours with no approved izin keluar kantor covering that time and no
    whole-day permit (dinas luar...) that day. Sightings within HADIR_CCTV_EXIT_MERGE_S of one
    another are one event. The picture is the snapshot's: retention removes it with the rest."""

    camera = ForeignKey(Camera, null=False, on_delete=OnDelete.cascade)
    snapshot = ForeignKey(Snapshot, null=False, on_delete=OnDelete.cascade)  # first sighting
    last_snapshot = Integer()  # the latest sighting merged in (a re-run adds nothing)
    employee_id = Integer()
    location_id = Integer()
    seen_at = Timestamptz()
    last_seen_at = Timestamptz()
    sightings = Integer(default=1)
    distance = DoublePrecision()  # to the employee's nearest reference, first sighting
    margin = DoublePrecision(null=True, default=None)  # over the runner-up; None: only one
    created_at = Timestamptz()
