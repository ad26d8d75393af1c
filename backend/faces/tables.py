from piccolo.columns import Bytea, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from backend.org.tables import Employee


class FaceReference(Table, tablename="faces_reference"):
    """An enrolled reference photo and its 128-d face encoding (biometric data, UU PDP)."""

    employee = ForeignKey(Employee, null=False, on_delete=OnDelete.cascade)
    encoding = Bytea()  # float64 little-endian, 128 values
    photo_key = Varchar(length=200)
    enrolled_by = ForeignKey(Employee, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz()


class PhotoAccess(Table, tablename="faces_photo_access"):
    """Every photo URL handed out (UU PDP: access to biometric data is logged)."""

    employee = ForeignKey(Employee, null=False, on_delete=OnDelete.restrict)  # who looked
    object_key = Varchar(length=200)
    purpose = Varchar(length=40)  # e.g. review
    checkin_id = Integer(null=True, default=None)
    accessed_at = Timestamptz()
