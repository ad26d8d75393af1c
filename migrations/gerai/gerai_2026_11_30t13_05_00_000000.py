"""One membership per gerai, employee and role; lookups of an employee's gerai and of a gerai's
open alert without reading the whole tables.

Raw CREATE INDEX IF NOT EXISTS runs the same on PostgreSQL and SQLite (see PLATFORM.md).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T13:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "gerai member uniqueness and lookup indexes"

INDEXES = {
    "gerai_member_unique": "UNIQUE INDEX IF NOT EXISTS gerai_member_unique"
    " ON gerai_member (gerai, employee, role)",
    "gerai_member_employee": "INDEX IF NOT EXISTS gerai_member_employee ON gerai_member (employee)",
    "gerai_alert_open": "INDEX IF NOT EXISTS gerai_alert_open ON gerai_alert (gerai, closed_at)",
    "gerai_gerai_unit": "INDEX IF NOT EXISTS gerai_gerai_unit ON gerai_gerai (unit)",
}


async def create_indexes() -> None:
    engine = engine_finder()
    assert engine is not None
    for statement in INDEXES.values():
        await engine.run_ddl(f"CREATE {statement}")


async def drop_indexes() -> None:
    engine = engine_finder()
    assert engine is not None
    for name in INDEXES:
        await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="gerai", description=DESCRIPTION)
    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
