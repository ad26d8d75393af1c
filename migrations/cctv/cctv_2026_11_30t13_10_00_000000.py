"""Indexes for a camera's snapshots by time (the camera's list, evidence near a check-in),
retention by age, alerts by state, and evidence by check-in.

Raw CREATE INDEX IF NOT EXISTS runs the same on PostgreSQL and SQLite (see PLATFORM.md).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T13:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "cctv indexes"

INDEXES = {
    "cctv_snapshot_camera_taken": "cctv_snapshot (camera, taken_at, id)",
    "cctv_snapshot_taken": "cctv_snapshot (taken_at)",
    "cctv_alert_opened": "cctv_alert (opened_at, id)",
    "cctv_seen_checkin": "cctv_seen (checkin_id)",
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
