from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Time
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-12T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "izin keluar kantor: start and end time"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="permits", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Permit",
        tablename="permits_permit",
        column_name="end_time",
        db_column_name="end_time",
        column_class_name="Time",
        column_class=Time,
        params={
            "default": None,
            "null": True,
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

    manager.add_column(
        table_class_name="Permit",
        tablename="permits_permit",
        column_name="start_time",
        db_column_name="start_time",
        column_class_name="Time",
        column_class=Time,
        params={
            "default": None,
            "null": True,
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
