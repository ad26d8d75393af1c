"""A device's chain links by sequence number: judging a new link reads its own number and the
one before it.

Raw CREATE INDEX IF NOT EXISTS runs the same on PostgreSQL and SQLite (see PLATFORM.md).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-22T09:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "devices_chain_link (device, seq) index"


async def create_index() -> None:
    engine = engine_finder()
    assert engine is not None
    await engine.run_ddl(
        "CREATE INDEX IF NOT EXISTS devices_chain_link_device_seq"
        " ON devices_chain_link (device, seq)"
    )


async def drop_index() -> None:
    engine = engine_finder()
    assert engine is not None
    await engine.run_ddl("DROP INDEX IF EXISTS devices_chain_link_device_seq")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="devices", description=DESCRIPTION)
    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
