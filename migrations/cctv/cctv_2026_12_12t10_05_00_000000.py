"""Indexes for exit events: an employee's latest event (merging sightings) and the list, newest
first, paged.

Raw CREATE INDEX IF NOT EXISTS runs the same on PostgreSQL and SQLite (see PLATFORM.md).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-12T10:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "exit event indexes"

INDEXES = {
    "cctv_exit_employee_seen": "cctv_exit (employee_id, last_seen_at)",
    "cctv_exit_seen": "cctv_exit (seen_at, id)",
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
    manager = MigrationManager(migration_id=ID, app_name="cctv", description=DESCRIPTION)
    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
