"""Spoof-risk score: `risk_score` and its explained parts on every check-in that settles."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, DoublePrecision
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-23T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "attendance_checkin: risk_score and risk_parts (the spoof-risk score, explained)"


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
    # None: settled before the score existed, rejected on arrival, or still pending.
    ("risk_score", DoublePrecision, _params(null=True)),
    ("risk_parts", JSON, _params(default="[]")),
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
