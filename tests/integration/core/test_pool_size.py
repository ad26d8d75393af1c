"""A PostgreSQL pool smaller than asyncpg's default minimum (10) opens: `hadir run` and
`hadir worker` refused to start with HADIR_DATABASE_POOL_SIZE below 10."""

from __future__ import annotations

import msgspec

from backend.core.db import open_engine
from backend.core.settings import Settings


async def test_a_pool_of_three_connections_opens_and_holds_three(migrated: Settings) -> None:
    settings = msgspec.structs.replace(migrated, database_pool_size=3)
    async with open_engine(settings) as engine:
        assert [dict(row) for row in await engine.run_ddl("SELECT 1 AS one")] == [{"one": 1}]
        assert engine.pool.get_max_size() == 3
