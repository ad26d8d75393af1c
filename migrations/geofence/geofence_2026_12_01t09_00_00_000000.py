"""Each location's `updated_at`: the fence snapshot of each process reloads only what changed."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "geofence_location.updated_at for incremental fence reloads"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="geofence", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Location",
        tablename="geofence_location",
        column_name="updated_at",
        db_column_name="updated_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )
    return manager
