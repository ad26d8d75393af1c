"""The board's unique keys: one row per employee-day and one count per (unit, day, key), which
the board's upserts and increments target (ON CONFLICT); and the late-or-absent days, the only
rows the 30-day watch list reads (on PostgreSQL covering what it sums: 119 -> 38 ms for 20,000
employees in bench/board.py).

Raw CREATE INDEX IF NOT EXISTS runs the same on PostgreSQL and SQLite (see PLATFORM.md).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T13:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "board unique keys"

INDEXES = {
    "board_day_employee_day": "UNIQUE INDEX IF NOT EXISTS board_day_employee_day"
    " ON board_day (employee, day)",
    "board_count_unit_day_key": "UNIQUE INDEX IF NOT EXISTS board_count_unit_day_key"
    " ON board_count (unit, day, key)",
}


MARKED = (
    "INDEX IF NOT EXISTS board_day_marked ON board_day (day){include}"
    " WHERE tl IS NOT NULL OR status = 'absent'"
)


async def create_indexes() -> None:
    engine = engine_finder()
    assert engine is not None
    for statement in INDEXES.values():
        await engine.run_ddl(f"CREATE {statement}")
    include = " INCLUDE (employee, tl, status)" if engine.engine_type == "postgres" else ""
    await engine.run_ddl("CREATE " + MARKED.format(include=include))


async def drop_indexes() -> None:
    engine = engine_finder()
    assert engine is not None
    for name in [*INDEXES, "board_day_marked"]:
        await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="board", description=DESCRIPTION)
    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
