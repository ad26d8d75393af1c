"""Liveness: the challenge's verdict on a check-in and the keys of its stored frames."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-20T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "attendance_checkin: liveness verdict and liveness frame keys"


def _params(**extra: object) -> dict:
    return {
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
    # "" no frames were sent (older PWAs, or a record made without the challenge), else
    # passed | failed once verified.
    ("liveness", Varchar, _params(length=10, default="")),
    ("liveness_keys", JSON, _params(default="[]")),
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
