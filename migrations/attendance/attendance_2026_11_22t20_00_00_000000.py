"""Indexes the check-in paths need: an employee's latest record, a day's records, the sweep.

Composite indexes go through add_raw because Piccolo's composite constraints fail on SQLite
(see PLATFORM.md); CREATE INDEX IF NOT EXISTS runs the same on both engines.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-22T20:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "check-in indexes"

INDEXES = {
    "attendance_checkin_employee_captured": "(employee, corrected_captured_at)",
    "attendance_checkin_employee_day": "(employee, work_date)",
    "attendance_checkin_status_received": "(status, received_at)",
}


async def create_indexes() -> None:
    engine = engine_finder()
    assert engine is not None
    for name, columns in INDEXES.items():
        await engine.run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON attendance_checkin {columns}")


async def drop_indexes() -> None:
    engine = engine_finder()
    assert engine is not None
    for name in INDEXES:
        await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="attendance", description=DESCRIPTION)
    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
