"""The audit trail of master data and accounts: who, when, before and after."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "core_audit: who changed what, before and after"


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
    ("at", Timestamptz, _params(default=None, index=True)),
    ("actor", Varchar, _params(length=18, default="")),
    ("action", Varchar, _params(length=60, default="")),
    ("target", Varchar, _params(length=60, default="")),
    ("target_key", Varchar, _params(length=100, default="", index=True)),
    ("before", JSON, _params(null=True)),
    ("after", JSON, _params(null=True)),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)
    manager.add_table(class_name="AuditEntry", tablename="core_audit", schema=None, columns=None)
    for name, column, params in COLUMNS:
        manager.add_column(
            table_class_name="AuditEntry",
            tablename="core_audit",
            column_name=name,
            db_column_name=name,
            column_class_name=column.__name__,
            column_class=column,
            params=params,
            schema=None,
        )
    return manager
