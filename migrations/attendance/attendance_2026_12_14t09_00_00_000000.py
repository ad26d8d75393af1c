"""Recap exports: a recap asked for as a file, built by a job with its progress stored."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Integer, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-14T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "attendance_recap_export: recap files built by a job, with progress"


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
    ("request_key", Varchar, _params(length=200, default="", index=True)),
    ("unit", Varchar, _params(length=40, default="")),
    ("month", Varchar, _params(length=7, default="")),
    ("format", Varchar, _params(length=4, default="")),
    ("subtree", Boolean, _params(default=False)),
    ("requested_by", Integer, _params(default=0)),
    ("state", Varchar, _params(length=10, default="queued")),
    ("done", Integer, _params(default=0)),
    ("total", Integer, _params(default=0)),
    ("object_key", Varchar, _params(length=300, default="")),
    ("filename", Varchar, _params(length=200, default="")),
    ("error", Varchar, _params(length=300, default="")),
    ("created_at", Timestamptz, _params(default=None)),
    ("finished_at", Timestamptz, _params(default=None, null=True)),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="attendance", description=DESCRIPTION)
    manager.add_table(
        class_name="RecapExport", tablename="attendance_recap_export", schema=None, columns=None
    )
    for name, column, params in COLUMNS:
        manager.add_column(
            table_class_name="RecapExport",
            tablename="attendance_recap_export",
            column_name=name,
            db_column_name=name,
            column_class_name=column.__name__,
            column_class=column,
            params=params,
            schema=None,
        )
    return manager
