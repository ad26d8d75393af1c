"""attendance_day.attested: a day counted present on a head of unit's attestation."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-24T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "attendance_day.attested"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="attendance", description=DESCRIPTION)
    manager.add_column(
        table_class_name="DayRecord",
        tablename="attendance_day",
        column_name="attested",
        db_column_name="attested",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
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
