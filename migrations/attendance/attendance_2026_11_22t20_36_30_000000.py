"""One day record per employee and day (the upsert target of the day-status recompute)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-22T20:36:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique day record per employee and day"


async def create_index() -> None:
    engine = engine_finder()
    assert engine is not None
    await engine.run_ddl(
        "CREATE UNIQUE INDEX IF NOT EXISTS attendance_day_employee_day ON attendance_day (employee, day)"
    )


async def drop_index() -> None:
    engine = engine_finder()
    assert engine is not None
    await engine.run_ddl("DROP INDEX IF EXISTS attendance_day_employee_day")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="attendance", description=DESCRIPTION)
    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
