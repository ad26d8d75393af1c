"""The board's own tables: its copy of what it counts per employee-day, the counts per unit and
day kept current from it, and teguran with their audit trail.

Employee and unit ids are plain integers: the board keeps no foreign keys into org's tables
(it reads org through org's service), and a count outlives nothing it would cascade from.
"""

from piccolo.columns import Date, Integer, Timestamptz, Varchar
from piccolo.table import Table


class BoardDay(Table, tablename="board_day"):
    """What the board counted of one employee's day: the last state told by attendance."""

    employee = Integer(index=True)
    unit = Integer()
    day = Date(index=True)
    # present | attested (present on a head's attestation) | absent | permit | holiday | off | open
    status = Varchar(length=10)
    permit = Varchar(length=30, null=True, default=None)
    tl = Varchar(length=4, null=True, default=None)
    psw = Varchar(length=4, null=True, default=None)
    computed_at = Timestamptz()


class BoardCount(Table, tablename="board_count"):
    """One count of one unit on one local day: `present`, `late`, `early`, `absent`,
    `permit`, `permit:<kind>`. Unique per (unit, day, key); changed by increments only."""

    unit = Integer()
    day = Date(index=True)
    key = Varchar(length=40)
    n = Integer(default=0)


class Teguran(Table, tablename="board_teguran"):
    """A reprimand (teguran) or a note (catatan) sent from the board to one person."""

    sender = Integer(index=True)
    recipient = Integer(index=True)
    unit = Integer(null=True, default=None)  # the unit it is about
    gerai = Varchar(length=40, null=True, default=None)  # the gerai it is about
    kind = Varchar(length=10)  # teguran | catatan
    message = Varchar(length=1000)
    sent_at = Timestamptz()
    acked_at = Timestamptz(null=True, default=None)
    ack_note = Varchar(length=500, default="")


class TeguranLog(Table, tablename="board_teguran_log"):
    """Append-only audit trail of every teguran: sent, acknowledged; who and when."""

    teguran = Integer(index=True)
    actor = Integer()
    action = Varchar(length=10)  # sent | acked
    note = Varchar(length=1000, default="")
    at = Timestamptz()
