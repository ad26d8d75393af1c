"""One reference per stored photo: "Jadikan foto referensi" at the review desk copies a check-in's
selfie to `references/<nip>/checkin-<id>.jpg`, and inserts with ON CONFLICT DO NOTHING against
this index, so a double click or two verifiers at once never enrol the same selfie twice.

Raw CREATE UNIQUE INDEX IF NOT EXISTS runs the same on PostgreSQL and SQLite (see PLATFORM.md).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-10T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "faces_reference unique photo_key"


async def create_index() -> None:
    engine = engine_finder()
    assert engine is not None
    await engine.run_ddl(
        "CREATE UNIQUE INDEX IF NOT EXISTS faces_reference_photo_key ON faces_reference (photo_key)"
    )


async def drop_index() -> None:
    engine = engine_finder()
    assert engine is not None
    await engine.run_ddl("DROP INDEX IF EXISTS faces_reference_photo_key")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="faces", description=DESCRIPTION)
    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
