"""Indexes for walking the unit tree (parent) and finding a unit's staff (unit) without reading
the whole table: the recursive queries of org/service.py join on these columns.

Raw CREATE INDEX IF NOT EXISTS runs the same on PostgreSQL and SQLite (see PLATFORM.md).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unit tree and unit staff indexes"

INDEXES = {
    "org_unit_parent": "org_unit (parent)",
    "org_employee_unit": "org_employee (unit)",
}


async def create_indexes() -> None:
    engine = engine_finder()
    assert engine is not None
    for name, target in INDEXES.items():
        await engine.run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


async def drop_indexes() -> None:
    engine = engine_finder()
    assert engine is not None
    for name in INDEXES:
        await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="org", description=DESCRIPTION)
    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
