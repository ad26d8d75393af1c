"""Signed records (issue 13): which registered device signed a permit request, and what the
approver is told when its signature or chain is wrong (`device_note`, empty when all is well)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-22T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "permits_permit device_id, device_note"


def _params(**extra: object) -> dict:
    return {
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
    ("device_id", Integer, _params(default=None, null=True)),
    ("device_note", Varchar, _params(length=600, default="", null=False)),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="permits", description=DESCRIPTION)
    for name, column, params in COLUMNS:
        manager.add_column(
            table_class_name="Permit",
            tablename="permits_permit",
            column_name=name,
            db_column_name=name,
            column_class_name=column.__name__,
            column_class=column,
            params=params,
            schema=None,
        )
    return manager
