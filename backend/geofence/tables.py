from piccolo.columns import JSON, DoublePrecision, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.readable import Readable
from piccolo.table import Table

from backend.org.tables import Unit


class Location(Table, tablename="geofence_location"):
    """A place where staff of its unit may check in, with its fence."""

    code = Varchar(length=40, unique=True)
    name = Varchar(length=200)
    unit = ForeignKey(Unit, null=False, on_delete=OnDelete.restrict)
    geometry = JSON()  # GeoJSON lon/lat: Polygon, MultiPolygon, or Point (the centre of a circle)
    radius_m = DoublePrecision(null=True, default=None)  # only for a circle
    max_accuracy_m = DoublePrecision(null=True, default=None)  # None: the setting's default
    # Set on every change: each api process reloads only the locations whose value differs from
    # its snapshot's (backend.geofence.service). Piccolo's update() sets it by itself; raw SQL
    # that edits a fence must set it too.
    updated_at = Timestamptz(default=TimestamptzNow(), auto_update=TimestamptzNow().python)

    @classmethod
    def get_readable(cls) -> Readable:
        """How a row reads where another table points at it (Piccolo Admin's foreign keys)."""
        return Readable(template="%s (%s)", columns=[cls.name, cls.code])
