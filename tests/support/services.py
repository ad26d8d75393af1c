"""Real backing services for tests: PostgreSQL and Redis on loopback (started by the test
command), an S3-compatible server (moto) on a free loopback port, and the app as a real server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx

REPO = Path(__file__).parents[2]
PG_ADMIN_DSN = os.environ.get("HADIR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = os.environ.get("HADIR_TEST_REDIS", "redis://127.0.0.1:6379")
CLAIM_KEY = "hadir:test-session"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def create_database(name: str) -> str:
    try:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        raise RuntimeError(
            f"PostgreSQL is not reachable at {PG_ADMIN_DSN} ({exc}); run the README's test command, "
            "which starts it"
        ) from exc
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"


async def drop_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@contextlib.contextmanager
def s3_server() -> Iterator[str]:
    """moto's S3 server in a thread on loopback; yields host:port."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop()


class FaultyProxy:
    """A TCP proxy that can be told to misbehave the two ways networks do.

    `broken`: every connection is cut (a network that drops; the client sees an error at once).
    `stalled`: connections stay open but nothing passes either way, and new ones are accepted and
    never answered (a dependency that hangs: a full disk, a stuck process, a dropped route;
    the client sees nothing until its own timeout).
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.broken = False
        self.stalled = False
        self.port = 0
        self._server: asyncio.AbstractServer | None = None
        self._held: set[asyncio.StreamWriter] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        # Its own thread and event loop: a client that blocks the test's loop while it connects
        # (Piccolo's engine checks the server version synchronously) must still be served.
        started = threading.Event()

        def serve() -> None:
            loop = self._loop = asyncio.new_event_loop()

            async def listen() -> None:
                self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
                self.port = self._server.sockets[0].getsockname()[1]
                started.set()

            loop.run_until_complete(listen())
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=serve, name="faulty-proxy", daemon=True)
        self._thread.start()
        await asyncio.to_thread(started.wait, 10)

    async def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return

        async def close() -> None:
            for writer in list(self._held):
                writer.close()
            if self._server:
                self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.to_thread(self._thread.join, 10)

    async def _swallow(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Read and drop whatever the client sends, answer nothing, until it gives up."""
        self._held.add(writer)
        try:
            while await reader.read(65536):
                pass
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._held.discard(writer)
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.broken:
            writer.close()
            return
        if self.stalled:
            await self._swallow(reader, writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._held.add(writer)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    if self.broken:
                        break
                    if self.stalled:
                        continue  # swallowed: the other side waits for an answer that never comes
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        finally:
            self._held.discard(writer)


@contextlib.asynccontextmanager
async def faulty_proxy(endpoint: str) -> AsyncIterator[FaultyProxy]:
    """A FaultyProxy in front of `host:port`, working until a test tells it otherwise."""
    host, port = endpoint.rsplit(":", 1)
    proxy = FaultyProxy(host, int(port))
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()


@contextlib.asynccontextmanager
async def black_hole() -> AsyncIterator[FaultyProxy]:
    """A loopback port that accepts connections and never answers."""
    async with faulty_proxy("127.0.0.1:9") as proxy:  # the target is never dialled
        proxy.stalled = True
        yield proxy


RUNNING_SERVERS: set[int] = set()  # process ids of live servers not yet torn down


@contextlib.contextmanager
def live_server(env: dict[str, str], *, workers: int = 1) -> Iterator[str]:
    """`hadir`'s production server (granian) in a subprocess; yields its base URL."""
    port = free_port()
    full_env = {**os.environ, **env, "HADIR_HOST": "127.0.0.1", "HADIR_PORT": str(port)}
    full_env["HADIR_WORKERS"] = str(workers)
    log = open(Path(env.get("HADIR_DATA_DIR", "/tmp")) / f"server-{port}.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "run"],
        cwd=REPO,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        # Its own process group, so that teardown reaches granian's workers too: a worker left
        # running would go on dispatching the test database's outbox under the next test.
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    RUNNING_SERVERS.add(process.pid)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}; see {log.name}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not become healthy; see {log.name}")
            time.sleep(0.2)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # whatever is left of the group
        RUNNING_SERVERS.discard(process.pid)
        process.wait()
        log.close()


@contextlib.asynccontextmanager
async def database(name: str) -> AsyncIterator[str]:
    url = await create_database(name)
    try:
        yield url
    finally:
        await drop_database(name)


@contextlib.asynccontextmanager
async def asgi_client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan run in the test's own event loop (Litestar's AsyncTestClient
    runs it in another thread's loop, where the tests could not share its database pool).

    The lifespan lives in a task of its own because pytest-asyncio may set a fixture up and
    tear it down in different tasks, and anyio's cancel scopes must exit where they entered.
    """
    started, stop = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    holder = asyncio.create_task(hold())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({holder, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if holder.done():
        waiter.cancel()
        holder.result()  # raises the start-up error
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hadir.test") as client:
            yield client
    finally:
        stop.set()
        await holder


@contextlib.asynccontextmanager
async def redis_database() -> AsyncIterator[str]:
    """A Redis database (1-15) of this test session's own, claimed with SET NX.

    arq's job keys do not depend on the queue name, so two test runs on one Redis (helpers,
    CI beside a developer) sharing a database would run, and flush, each other's jobs.
    """
    import redis.asyncio as aioredis

    token = f"{os.getpid()}-{time.time()}"
    for index in range(1, 16):
        url = f"{REDIS_BASE}/{index}"
        client = aioredis.from_url(url)
        try:
            claimed = await client.set(CLAIM_KEY, token, nx=True, ex=4 * 3600)
        except OSError as exc:
            raise RuntimeError(
                f"Redis is not reachable at {REDIS_BASE} ({exc}); run the README's test command"
            ) from exc
        if claimed:
            await client.flushdb()
            await client.set(CLAIM_KEY, token, ex=4 * 3600)
            try:
                yield url
            finally:
                if await client.get(CLAIM_KEY) == token.encode():
                    await client.flushdb()
                await client.aclose()
            return
        await client.aclose()
    raise RuntimeError("every Redis database 1-15 is claimed by another test run")
