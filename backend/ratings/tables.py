from piccolo.columns import JSON, UUID, Date, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from backend.gerai.tables import Gerai


class Rating(Table, tablename="ratings_rating"):
    """One citizen's answers for one gerai. No identity: `device` is a keyed hash of the
    device cookie, kept only to refuse a second rating inside the visit window."""

    client_id = UUID(unique=True)  # made on the phone: the page's outbox may send it twice
    gerai = ForeignKey(Gerai, null=False, on_delete=OnDelete.restrict)
    service = Varchar(length=200)
    answers = JSON()  # {"U1": 3, ..., "U9": 4}: by element code, never by position
    comment = Varchar(length=1000, default="")  # plain text; escaped wherever it is shown
    profile = JSON()  # {"sex": "P", "age": "30-39", ...}, each optional
    device = Varchar(length=64, default="")
    day = Date()  # the gerai's unit's local date
    created_at = Timestamptz()


class RatingDay(Table, tablename="ratings_day"):
    """Per gerai and local day: respondents and each element's sum and count, kept up to date
    in the transaction of each rating so the IKM never reads every rating."""

    gerai = ForeignKey(Gerai, null=False, on_delete=OnDelete.restrict)
    unit = Integer()  # the gerai's unit and agency, copied so filters need no join
    agency = Varchar(length=200)
    day = Date()
    respondents = Integer(default=0)
    s1 = Integer(default=0)
    s2 = Integer(default=0)
    s3 = Integer(default=0)
    s4 = Integer(default=0)
    s5 = Integer(default=0)
    s6 = Integer(default=0)
    s7 = Integer(default=0)
    s8 = Integer(default=0)
    s9 = Integer(default=0)
    n1 = Integer(default=0)
    n2 = Integer(default=0)
    n3 = Integer(default=0)
    n4 = Integer(default=0)
    n5 = Integer(default=0)
    n6 = Integer(default=0)
    n7 = Integer(default=0)
    n8 = Integer(default=0)
    n9 = Integer(default=0)
