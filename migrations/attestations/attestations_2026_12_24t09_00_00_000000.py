"""Attestations: a head of unit's word for days their staff could not check in at all."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, UUID, Date, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-24T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "attestations_attestation: attested days of staff with no signal"


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
    ("client_id", UUID, _params(default=UUID4(), unique=True)),
    ("employee", Integer, _params(default=0, index=True)),
    ("attester", Integer, _params(default=0, index=True)),
    ("unit", Integer, _params(default=0)),
    ("start_date", Date, _params(index=True)),
    ("end_date", Date, _params()),
    ("days", Integer, _params(default=1)),
    ("reason", Varchar, _params(length=500, default="")),
    ("captured_at", Timestamptz, _params()),
    ("sent_at", Timestamptz, _params()),
    ("received_at", Timestamptz, _params()),
    ("corrected_captured_at", Timestamptz, _params()),
    ("content_hash", Varchar, _params(length=64, default="")),
    ("chain", JSON, _params(null=True)),
    ("signature_status", Varchar, _params(length=12, default="unsigned")),
    ("signature_reasons", JSON, _params(default="[]")),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="attestations", description=DESCRIPTION)
    manager.add_table(
        class_name="Attestation", tablename="attestations_attestation", schema=None, columns=None
    )
    for name, column, params in COLUMNS:
        manager.add_column(
            table_class_name="Attestation",
            tablename="attestations_attestation",
            column_name=name,
            db_column_name=name,
            column_class_name=column.__name__,
            column_class=column,
            params=params,
            schema=None,
        )
    return manager
