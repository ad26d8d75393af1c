"""Indexes for the permit inbox (pending permits, oldest first, paged), an approver's permits
and an employee's own permits, so none of them reads the whole table.

Raw CREATE INDEX IF NOT EXISTS runs the same on PostgreSQL and SQLite (see PLATFORM.md).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "permit inbox indexes"

INDEXES = {
    "permits_permit_status_created": "permits_permit (status, created_at, id)",
    "permits_permit_approver_status": "permits_permit (approver, status)",
    "permits_permit_employee_start": "permits_permit (employee, start_date)",
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
    manager = MigrationManager(migration_id=ID, app_name="permits", description=DESCRIPTION)
    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
