from piccolo.columns import UUID, Date, ForeignKey, Integer, OnDelete, Time, Timestamptz, Varchar
from piccolo.table import Table

from backend.geofence.tables import Location
from backend.org.tables import Employee


class Permit(Table, tablename="permits_permit"):
    """A request to be away (izin, sakit, cuti, dinas luar, tugas belajar) and its decision."""

    client_id = UUID(unique=True)  # made on the phone: the PWA outbox may send it twice
    employee = ForeignKey(Employee, null=False, on_delete=OnDelete.restrict)
    kind = Varchar(length=30)
    start_date = Date()
    end_date = Date()
    reason = Varchar(length=1000)
    attachment_key = Varchar(length=200, default="")
    destination = ForeignKey(Location, null=True, on_delete=OnDelete.set_null)  # dinas luar
    status = Varchar(length=10)  # pending | approved | rejected | cancelled
    approver = ForeignKey(Employee, null=True, on_delete=OnDelete.set_null)  # who must decide
    decided_by = ForeignKey(Employee, null=True, on_delete=OnDelete.set_null)
    decision_note = Varchar(length=500, default="")
    decided_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    # izin keluar kantor: the hours away on start_date, local time of the employee's unit.
    start_time = Time(null=True, default=None)
    end_time = Time(null=True, default=None)
    # Signed records (backend/devices): the registered device that signed the request (None:
    # unsigned or unregistered) and, when its signature or chain is wrong, the plain sentence
    # the approver reads beside the request.
    device_id = Integer(null=True, default=None)
    device_note = Varchar(length=600, default="")
