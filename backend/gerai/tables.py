from piccolo.columns import JSON, Boolean, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.readable import Readable
from piccolo.table import Table

from backend.org.tables import Employee, Unit


class Gerai(Table, tablename="gerai_gerai"):
    """A service counter of a Mal Pelayanan Publik, run by one agency (an OPD or a vertical
    agency such as Samsat, Imigrasi, BPJS)."""

    code = Varchar(length=40, unique=True)  # "MPP-G01": printed on the QR poster, never reused
    name = Varchar(length=200)
    unit = ForeignKey(Unit, null=False, on_delete=OnDelete.restrict)  # a unit of kind `mpp`
    agency = Varchar(length=200)
    services = JSON()  # ["Perekaman KTP-el", ...]: what a citizen may say they came for
    hours = JSON()  # {"1": ["08:00", "15:00"], ...}: ISO weekday -> service hours, unit's time
    service_users = Integer(default=0)  # recorded service users a year (the SKM's population)
    active = Boolean(default=True)
    # The staffed/empty watch: when the gerai was first seen empty during its hours.
    empty_since = Timestamptz(null=True, default=None)
    # Queue load from CCTV (`GeraiService.record_load`); null until a camera reports one.
    load = Integer(null=True, default=None)
    load_at = Timestamptz(null=True, default=None)

    @classmethod
    def get_readable(cls) -> Readable:
        """How a row reads where another table points at it (Piccolo Admin's foreign keys)."""
        return Readable(template="%s (%s)", columns=[cls.name, cls.code])


class GeraiMember(Table, tablename="gerai_member"):
    """Who serves at a gerai (`staff`) and who answers for it (`supervisor`)."""

    gerai = ForeignKey(Gerai, null=False, on_delete=OnDelete.cascade)
    employee = ForeignKey(Employee, null=False, on_delete=OnDelete.cascade)
    role = Varchar(length=12)  # staff | supervisor


class GeraiAlert(Table, tablename="gerai_alert"):
    """A gerai left empty during its hours past the grace period: open until someone is in."""

    gerai = ForeignKey(Gerai, null=False, on_delete=OnDelete.cascade)
    kind = Varchar(length=20)  # empty
    opened_at = Timestamptz()
    empty_since = Timestamptz()
    closed_at = Timestamptz(null=True, default=None)
