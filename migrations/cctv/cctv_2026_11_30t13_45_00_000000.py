"""One evidence row per (check-in, snapshot): the check-in's job and the snapshot's analysis may
link the same pair at once, and insert with ON CONFLICT DO NOTHING against this index.

Raw CREATE UNIQUE INDEX IF NOT EXISTS runs the same on PostgreSQL and SQLite (see PLATFORM.md).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T13:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "cctv_seen unique (checkin_id, snapshot)"


async def create_index() -> None:
    engine = engine_finder()
    assert engine is not None
    await engine.run_ddl(
        "CREATE UNIQUE INDEX IF NOT EXISTS cctv_seen_checkin_snapshot "
        "ON cctv_seen (checkin_id, snapshot)"
    )


async def drop_index() -> None:
    engine = engine_finder()
    assert engine is not None
    await engine.run_ddl("DROP INDEX IF EXISTS cctv_seen_checkin_snapshot")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cctv", description=DESCRIPTION)
    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
