"""The Piccolo engine: built from settings, bound to every table, pooled in the app lifespan.

`piccolo_conf.py` builds an engine from the environment for Piccolo's own CLI (creating new
migrations); inside hadir's processes `bind()` replaces it with the one built from the settings
passed to `create_app()`, so there is exactly one engine per process.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlparse

from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import Finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from backend.core.settings import Settings


def engine_from_url(url: str) -> Engine:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        return SQLiteEngine(path=url.removeprefix("sqlite:///"), timeout=30)
    if parsed.scheme in ("postgres", "postgresql"):
        return PostgresEngine(config={"dsn": url})
    raise ValueError(
        f"unsupported database URL scheme {parsed.scheme!r} (use postgresql:// or sqlite:///)"
    )


def engine_from_settings(settings: Settings) -> Engine:
    return engine_from_url(settings.resolved_database_url)


def bind(engine: Engine) -> None:
    """Point Piccolo (tables and migrations) at this process's engine."""
    import piccolo_conf

    piccolo_conf.DB = engine
    # Piccolo's own migration table caches the engine it first saw; it must follow too.
    for table in [*Finder().get_table_classes(), Migration]:
        table._meta.db = engine


def is_postgres(engine: Engine) -> bool:
    return isinstance(engine, PostgresEngine)


@contextlib.asynccontextmanager
async def open_engine(settings: Settings) -> AsyncIterator[Engine]:
    """Build, bind and pool the engine; fail loudly if the database cannot be reached.

    On exit the previously bound engine is bound again, so a short-lived engine (a command, a
    burst worker in a test) never leaves the tables pointing at a closed pool.
    """
    import piccolo_conf

    previous = getattr(piccolo_conf, "DB", None)
    engine = engine_from_settings(settings)
    bind(engine)
    try:
        if isinstance(engine, PostgresEngine):
            # asyncpg opens min_size (default 10) at once and refuses a max_size below it.
            size = settings.database_pool_size
            await engine.start_connection_pool(min_size=min(2, size), max_size=size)
        else:
            Path(engine.path).parent.mkdir(parents=True, exist_ok=True)
            # Check-ins and jobs write concurrently; WAL keeps readers from blocking on the writer.
            await engine.run_ddl("PRAGMA journal_mode=WAL")
        await engine.run_ddl("SELECT 1")
        yield engine
    finally:
        if isinstance(engine, PostgresEngine) and engine.pool is not None:
            await engine.close_connection_pool()
        if previous is not None:
            bind(previous)


async def migrate(engine: Engine) -> None:
    """Run every pending Piccolo migration in `migrations/` against this engine."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    bind(engine)
    result = await run_forwards("all")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")


async def ping(engine: Engine) -> None:
    await engine.run_ddl("SELECT 1")
