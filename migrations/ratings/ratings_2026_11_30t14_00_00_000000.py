"""One aggregate row per gerai and day (the upsert's conflict target); a device's ratings of a
gerai by time (the visit window); the aggregates by unit/agency and day (IKM queries).

Raw CREATE INDEX IF NOT EXISTS runs the same on PostgreSQL and SQLite (see PLATFORM.md).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ratings indexes"

INDEXES = {
    "ratings_day_unique": "UNIQUE INDEX IF NOT EXISTS ratings_day_unique ON ratings_day (gerai, day)",
    "ratings_day_unit": "INDEX IF NOT EXISTS ratings_day_unit ON ratings_day (unit, day)",
    "ratings_day_agency": "INDEX IF NOT EXISTS ratings_day_agency ON ratings_day (agency, day)",
    "ratings_rating_device": "INDEX IF NOT EXISTS ratings_rating_device"
    " ON ratings_rating (device, gerai, created_at)",
    "ratings_rating_gerai_day": "INDEX IF NOT EXISTS ratings_rating_gerai_day"
    " ON ratings_rating (gerai, day)",
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
    manager = MigrationManager(migration_id=ID, app_name="ratings", description=DESCRIPTION)
    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
