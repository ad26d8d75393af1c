"""The Piccolo engine: built from settings, bound to every table, pooled in the app lifespan.

`piccolo_conf.py` builds an engine from the environment for Piccolo's own CLI (creating new
migrations); inside hadir's processes `bind()` replaces it with the one built from the settings
passed to `create_app()`, so there is exactly one engine per process.

Every wait on PostgreSQL is bounded (settings `database_timeout_s`, `database_command_timeout_s`):
opening a connection, taking one from the pool, and each statement. A database that cannot be
reached or does not answer in time raises `Unavailable` (503 with Retry-After) here, in one place,
so a hung database costs a request seconds, never minutes, and the PWA sends the record again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import asyncpg
from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import Finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString

from backend.core.errors import Unavailable
from backend.core.settings import Settings

# What a database that is down, unreachable or too slow raises: a timeout (asyncpg's connect,
# pool acquire and command timeouts are asyncio's TimeoutError), a socket error, a connection
# lost mid-query, a server starting or shutting down, out of connections, a statement cancelled.
UNREACHABLE: tuple[type[BaseException], ...] = (
    TimeoutError,
    OSError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.QueryCanceledError,
)


def unreachable(exception: BaseException | None) -> bool:
    """Whether this failure, or the one an `Unavailable` was raised from, says the server is gone."""
    if isinstance(exception, Unavailable):
        exception = exception.__cause__
    return isinstance(exception, UNREACHABLE)


@contextlib.contextmanager
def unavailable_when_unreachable() -> Iterator[None]:
    try:
        yield
    except UNREACHABLE as exc:
        raise Unavailable(
            "Basis data sedang tidak dapat dihubungi; coba lagi sebentar lagi"
        ) from exc


class BoundedTransaction(PostgresTransaction):
    """Piccolo's transaction, taking its connection from the pool with the acquire timeout."""

    engine: BoundedPostgresEngine

    async def get_connection(self) -> Any:
        if self.engine.pool:
            return await self.engine.pool.acquire(timeout=self.engine.acquire_timeout_s)
        return await self.engine.get_new_connection()

    async def __aenter__(self) -> PostgresTransaction:
        with unavailable_when_unreachable():
            return await super().__aenter__()

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent is None and unreachable(exception):
            # The server did not answer: a ROLLBACK would wait as long again. Dropping the
            # connection rolls the transaction back on the server's side.
            self.connection.terminate()
            self._rolled_back = True
        with unavailable_when_unreachable():
            return await super().__aexit__(exception_type, exception, traceback)


class BoundedPostgresEngine(PostgresEngine):
    """Piccolo's PostgresEngine with every wait bounded and unreachability made `Unavailable`.

    asyncpg bounds connecting (`timeout`) and each statement (`command_timeout`) from the config;
    Piccolo takes pooled connections without a timeout, so that one is added here.
    """

    def __init__(self, config: dict[str, Any], *, acquire_timeout_s: float | None) -> None:
        super().__init__(config=config)
        self.acquire_timeout_s = acquire_timeout_s

    async def check_version(self) -> None:
        """Piccolo asks the server's version from the constructor, blocking the event loop on a
        connection of its own; `open_engine` checks the database is there instead."""

    async def _run_in_pool(self, query: str, args: Sequence[Any] | None = None) -> Any:
        if not self.pool:
            raise ValueError("A pool isn't currently running.")
        connection = await self.pool.acquire(timeout=self.acquire_timeout_s)
        try:
            return await connection.fetch(query, *(args or []))
        except UNREACHABLE:
            # Given back as it is, the pool would wait for the cancelled query and a reset
            # from a server that is not answering: drop it, a new one is made when needed.
            connection.terminate()
            raise
        finally:
            await self.pool.release(connection)

    async def run_querystring(self, querystring: QueryString, in_pool: bool = True) -> Any:
        with unavailable_when_unreachable():
            return await super().run_querystring(querystring, in_pool)

    async def run_ddl(self, ddl: str, in_pool: bool = True) -> Any:
        with unavailable_when_unreachable():
            return await super().run_ddl(ddl, in_pool)

    def transaction(self, allow_nested: bool = True) -> BoundedTransaction:
        return BoundedTransaction(engine=self, allow_nested=allow_nested)

    def without_command_timeout(self) -> BoundedPostgresEngine:
        """The same database with no limit per statement, for migrations that rewrite tables."""
        return BoundedPostgresEngine(
            {**self.config, "command_timeout": None}, acquire_timeout_s=self.acquire_timeout_s
        )


class StatelessConnection(asyncpg.Connection):
    """hadir keeps no session state on a connection (no LISTEN, no SET, no session advisory
    lock; permits take transaction-scoped locks only), so a connection going back to the pool
    needs no reset statement: one round trip less per request. asyncpg still rolls back a
    transaction left open (asyncpg documents `get_reset_query` as the override for this)."""

    def get_reset_query(self) -> str:
        return ""


def engine_from_url(
    url: str, *, timeout_s: float | None = None, command_timeout_s: float | None = None
) -> Engine:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        return SQLiteEngine(path=url.removeprefix("sqlite:///"), timeout=30)
    if parsed.scheme in ("postgres", "postgresql"):
        config: dict[str, Any] = {
            "dsn": url,
            "command_timeout": command_timeout_s,
            "connection_class": StatelessConnection,
        }
        if timeout_s is not None:
            config["timeout"] = timeout_s  # asyncpg's connect timeout
        return BoundedPostgresEngine(config, acquire_timeout_s=timeout_s)
    raise ValueError(
        f"unsupported database URL scheme {parsed.scheme!r} (use postgresql:// or sqlite:///)"
    )


def engine_from_settings(settings: Settings) -> Engine:
    return engine_from_url(
        settings.resolved_database_url,
        timeout_s=settings.database_timeout_s,
        command_timeout_s=settings.database_command_timeout_s,
    )


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
            try:
                await engine.start_connection_pool(min_size=min(2, size), max_size=size)
            except TimeoutError as exc:
                host = urlparse(settings.resolved_database_url).netloc.rsplit("@", 1)[-1]
                raise TimeoutError(
                    f"PostgreSQL at {host} did not answer within {settings.database_timeout_s} s"
                ) from exc
        else:
            Path(engine.path).parent.mkdir(parents=True, exist_ok=True)
            # Check-ins and jobs write concurrently; WAL keeps readers from blocking on the writer.
            await engine.run_ddl("PRAGMA journal_mode=WAL")
        await engine.run_ddl("SELECT 1")
        yield engine
    finally:
        if isinstance(engine, PostgresEngine) and engine.pool is not None:
            pool = engine.pool
            try:
                # A graceful close says goodbye on each connection: bounded, so a process stops
                # even when the database hangs.
                await asyncio.wait_for(pool.close(), settings.database_timeout_s)
            except TimeoutError:
                pool.terminate()
            engine.pool = None
        if previous is not None:
            bind(previous)


async def migrate(engine: Engine) -> None:
    """Run every pending Piccolo migration in `migrations/` against this engine."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    if isinstance(engine, BoundedPostgresEngine):
        # A migration may rewrite a large table: the per-statement limit is for requests.
        bind(engine.without_command_timeout())
    else:
        bind(engine)
    try:
        result = await run_forwards("all")
    finally:
        bind(engine)
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")


async def ping(engine: Engine) -> None:
    await engine.run_ddl("SELECT 1")


def contains(column: Any, text: str) -> Any:
    """`column` contains `text`, ignoring case: ILIKE on PostgreSQL (with `%`, `_` and `\\`
    typed by a user matched as themselves), LIKE on SQLite (which ignores ASCII case already,
    has no default escape character, and for which Piccolo warns on every ILIKE)."""
    if is_postgres(column._meta.table._meta.db):
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return column.ilike(f"%{escaped}%")
    return column.like(f"%{text}%")
