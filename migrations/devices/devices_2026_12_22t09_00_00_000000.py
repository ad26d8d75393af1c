"""Device keys and the chain of signed records (issue 13): devices_device, devices_chain_link."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Integer, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-22T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "devices_device and devices_chain_link: device keys and their signed chains"


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
    ("Device", "devices_device"): [
        ("employee", Integer, _params(default=0, index=True)),
        ("public_key", Varchar, _params(length=400, default="")),
        ("fingerprint", Varchar, _params(length=64, default="", unique=True)),
        ("label", Varchar, _params(length=200, default="")),
        ("registered_at", Timestamptz, _params(default=None)),
        ("last_seen_at", Timestamptz, _params(default=None, null=True)),
        ("last_seq", Integer, _params(default=0)),
        ("last_hash", Varchar, _params(length=64, default="")),
        ("revoked_at", Timestamptz, _params(default=None, null=True)),
    ],
    ("ChainLink", "devices_chain_link"): [
        ("device", Integer, _params(default=0)),
        ("seq", Integer, _params(default=0)),
        ("hash", Varchar, _params(length=64, default="")),
        ("prev", Varchar, _params(length=64, default="")),
        ("kind", Varchar, _params(length=20, default="")),
        ("client_id", Varchar, _params(length=36, default="")),
        ("received_at", Timestamptz, _params(default=None)),
        ("verdict", Varchar, _params(length=20, default="")),
        ("message", Varchar, _params(length=300, default="")),
        ("counted", Boolean, _params(default=True)),
    ],
}


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="devices", description=DESCRIPTION)
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
