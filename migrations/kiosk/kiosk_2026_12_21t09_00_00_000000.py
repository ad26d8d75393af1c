"""Face kiosks (a registered tablet per location, its device key) and their captures."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import UUID, DoublePrecision, Integer, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-21T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "kiosk_kiosk and kiosk_capture"


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


TABLES = {
    ("Kiosk", "kiosk_kiosk"): [
        ("name", Varchar, _params(length=100, default="")),
        ("location_id", Integer, _params(default=0, index=True)),
        ("code_hash", Varchar, _params(length=64, default="", index=True)),
        ("code_expires_at", Timestamptz, _params(null=True)),
        ("public_key", Varchar, _params(length=400, default="")),
        ("activated_at", Timestamptz, _params(null=True)),
        ("revoked_at", Timestamptz, _params(null=True)),
        ("created_by", Integer, _params(null=True)),
        ("created_at", Timestamptz, _params()),
        ("last_seen_at", Timestamptz, _params(null=True)),
    ],
    ("Capture", "kiosk_capture"): [
        ("client_id", UUID, _params(unique=True)),
        ("kiosk_id", Integer, _params(default=0, index=True)),
        ("outcome", Varchar, _params(length=12, default="")),
        ("employee_id", Integer, _params(null=True)),
        ("checkin_id", Integer, _params(null=True)),
        ("kind", Varchar, _params(length=3, default="")),
        ("distance", DoublePrecision, _params(null=True)),
        ("margin", DoublePrecision, _params(null=True)),
        ("message", Varchar, _params(length=300, default="")),
        ("content_hash", Varchar, _params(length=64, default="")),
        ("captured_at", Timestamptz, _params()),
        ("received_at", Timestamptz, _params()),
    ],
}


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="kiosk", description=DESCRIPTION)
    for (class_name, tablename), columns in TABLES.items():
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for name, column, params in columns:
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=name,
                db_column_name=name,
                column_class_name=column.__name__,
                column_class=column,
                params=params,
                schema=None,
            )
    return manager
