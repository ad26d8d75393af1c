"""Where a check-in came from: the employee's phone, or a face kiosk at the office door (and
which kiosk)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-21T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "attendance_checkin.source and kiosk_id (face kiosk)"


def _params(**extra: object) -> dict:
    return {
        "default": None,
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **extra,
    }


COLUMNS = [
    ("source", Varchar, _params(length=10, default="phone")),
    ("kiosk_id", Integer, _params(default=None, null=True)),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="attendance", description=DESCRIPTION)
    for name, column, params in COLUMNS:
        manager.add_column(
            table_class_name="CheckIn",
            tablename="attendance_checkin",
            column_name=name,
            db_column_name=name,
            column_class_name=column.__name__,
            column_class=column,
            params=params,
            schema=None,
        )
    return manager
