from piccolo.columns import (
    JSON,
    Array,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.columns.readable import Readable
from piccolo.table import Table


class Unit(Table, tablename="org_unit"):
    """A node of the Pemda's tree: the Pemda, an OPD, a school, a desa office, the MPP."""

    code = Varchar(length=40, unique=True)
    name = Varchar(length=200)
    kind = Varchar(length=20)  # pemda | opd | school | desa | mpp
    parent = ForeignKey("self", null=True, on_delete=OnDelete.restrict)
    timezone = Varchar(length=40, default="Asia/Jakarta")
    kode_wilayah = Varchar(length=20, default="")

    @classmethod
    def get_readable(cls) -> Readable:
        """How a row reads where another table points at it (Piccolo Admin's foreign keys)."""
        return Readable(template="%s (%s)", columns=[cls.name, cls.code])


class Schedule(Table, tablename="org_schedule"):
    """Working hours per ISO weekday (1 = Monday) in the unit's local time."""

    code = Varchar(length=40, unique=True)
    name = Varchar(length=200)
    kind = Varchar(length=20)  # five_day | six_day | shift
    days = JSON()  # {"1": ["07:30", "16:00"], ...}

    @classmethod
    def get_readable(cls) -> Readable:
        """How a row reads where another table points at it (Piccolo Admin's foreign keys)."""
        return Readable(template="%s", columns=[cls.name])


class Employee(Table, tablename="org_employee"):
    nip = Varchar(length=18, unique=True)
    name = Varchar(length=200)
    unit = ForeignKey(Unit, null=False, on_delete=OnDelete.restrict)
    schedule = ForeignKey(Schedule, null=True, on_delete=OnDelete.set_null)
    roles = Array(Varchar(length=20))
    position = Varchar(length=200, default="")
    password_hash = Varchar(length=200)
    active = Boolean(default=True)
    created_at = Timestamptz()
    # A one-time password (import, reset) is replaced at first login.
    must_change_password = Boolean(default=False)
    # Raised when the employee is deactivated or their password or roles change: every token
    # issued with an older version stops working at once (core.auth).
    token_version = Integer(default=0)

    @classmethod
    def get_readable(cls) -> Readable:
        """How a row reads where another table points at it (Piccolo Admin's foreign keys)."""
        return Readable(template="%s (%s)", columns=[cls.name, cls.nip])


class Holiday(Table, tablename="org_holiday"):
    """A national holiday (libur nasional) or cuti bersama: no one is expected at work."""

    date = Date(unique=True)
    name = Varchar(length=200)
    kind = Varchar(length=20)  # libur_nasional | cuti_bersama
