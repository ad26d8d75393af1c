"""A camera's officer zone (the desk side of its gerai's counter) and the officers it last
counted there; each snapshot's officer count and its content digest (a frame identical to the
camera's previous one is not analysed again)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, Integer, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-11T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "cctv officer zone, officer counts, snapshot digest"


def _params(default, null):
    return {
        "default": default,
        "null": null,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }


COLUMNS = [
    ("Camera", "cctv_camera", "officer_zone", JSON, "JSON", None, True),
    ("Camera", "cctv_camera", "frigate_officer_zone", Varchar, "Varchar", "", False),
    ("Camera", "cctv_camera", "last_officers", Integer, "Integer", None, True),
    ("Camera", "cctv_camera", "officers_at", Timestamptz, "Timestamptz", None, True),
    ("Snapshot", "cctv_snapshot", "officers", Integer, "Integer", None, True),
    ("Snapshot", "cctv_snapshot", "digest", Varchar, "Varchar", "", False),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cctv", description=DESCRIPTION)
    for table, tablename, name, column_class, class_name, default, null in COLUMNS:
        params = _params(default, null)
        if column_class is Varchar:
            params["length"] = 100 if name == "frigate_officer_zone" else 40
        manager.add_column(
            table_class_name=table,
            tablename=tablename,
            column_name=name,
            db_column_name=name,
            column_class_name=class_name,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
