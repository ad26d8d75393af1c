from piccolo.columns import Bytea, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from backend.org.tables import Employee


class FaceReference(Table, tablename="faces_reference"):
    """An enrolled reference photo and its 128-d face encoding (biometric data, UU PDP)."""

    employee = ForeignKey(Employee, null=False, on_delete=OnDelete.cascade)
    encoding = Bytea()  # float64 little-endian, 128 values
    photo_key = Varchar(length=200)
    enrolled_by = ForeignKey(Employee, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz()
