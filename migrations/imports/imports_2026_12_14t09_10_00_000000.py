"""The password handout of an employee import: one encrypted page per unit, downloaded once."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Text, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-14T09:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "imports_handout_sheet: new employees' one-time passwords until downloaded"


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
    ("handout", Varchar, _params(length=36, default="", index=True)),
    ("unit", Varchar, _params(length=40, default="")),
    ("unit_name", Varchar, _params(length=200, default="")),
    ("people", Integer, _params(default=0)),
    ("sealed", Text, _params(default="")),
    ("created_by", Integer, _params(default=0)),
    ("created_at", Timestamptz, _params(default=None)),
    ("expires_at", Timestamptz, _params(default=None, index=True)),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="imports", description=DESCRIPTION)
    manager.add_table(
        class_name="HandoutSheet", tablename="imports_handout_sheet", schema=None, columns=None
    )
    for name, column, params in COLUMNS:
        manager.add_column(
            table_class_name="HandoutSheet",
            tablename="imports_handout_sheet",
            column_name=name,
            db_column_name=name,
            column_class_name=column.__name__,
            column_class=column,
            params=params,
            schema=None,
        )
    return manager
