"""The permits a head has decided, newest first (the head's "today" on the board lists them),
without reading the whole table.

Raw CREATE INDEX IF NOT EXISTS runs the same on PostgreSQL and SQLite (see PLATFORM.md).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T13:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "permits decided by a head"


async def create_index() -> None:
    engine = engine_finder()
    assert engine is not None
    await engine.run_ddl(
        "CREATE INDEX IF NOT EXISTS permits_permit_decided_by"
        " ON permits_permit (decided_by, decided_at)"
    )


async def drop_index() -> None:
    engine = engine_finder()
    assert engine is not None
    await engine.run_ddl("DROP INDEX IF EXISTS permits_permit_decided_by")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="permits", description=DESCRIPTION)
    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
