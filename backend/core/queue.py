"""The job queue: arq on Redis, or the very same job functions run in-process.

Jobs are `async def verb_noun(ctx, *, id)` functions listed in `backend/worker.py`. Job ids are
predictable (`"verify-checkin:42"`), so the same work is never queued twice at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Protocol

import msgspec
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings

JobFunction = Callable[..., Awaitable[Any]]
log = logging.getLogger(__name__)


def serialize(value: dict[str, Any]) -> bytes:
    return msgspec.msgpack.encode(value)


def deserialize(data: bytes) -> dict[str, Any]:
    return msgspec.msgpack.decode(data)


class JobQueue(Protocol):
    async def enqueue(self, function: str, *, job_id: str, **kwargs: Any) -> bool:
        """Queue `function(ctx, **kwargs)`; False when a job with this id is already queued."""
        ...

    async def ping(self) -> None: ...


class InProcessQueue:
    """The embedded default: jobs run as tasks of this process, after the request returns."""

    def __init__(
        self,
        functions: Sequence[JobFunction],
        periodic: Sequence[tuple[JobFunction, set[int], set[int] | None]] = (),
    ) -> None:
        self.functions = {f.__name__: f for f in functions}
        self.periodic = periodic
        self.ctx: dict[str, Any] = {}
        self._running: dict[str, asyncio.Task[Any]] = {}
        self._clock: asyncio.Task[None] | None = None

    def start_periodic(self) -> None:
        """Run the hourly jobs once now, then every job at its minutes (and hours), like arq's cron."""
        self._clock = asyncio.create_task(self._tick(), name="hadir-periodic")

    async def _tick(self) -> None:
        first = True
        while True:
            minute = int(time.time() // 60)
            hour = minute // 60 % 24
            for job, minutes, hours in self.periodic:
                due = minute % 60 in minutes and (hours is None or hour in hours)
                if due or (first and hours is None):
                    await self.enqueue(job.__name__, job_id=f"{job.__name__}:{minute}")
            first = False
            await asyncio.sleep(60 - time.time() % 60 + 0.5)

    async def enqueue(self, function: str, *, job_id: str, **kwargs: Any) -> bool:
        if job_id in self._running:
            return False
        job = self.functions[function]
        task = asyncio.create_task(self._run(job_id, job, kwargs), name=job_id)
        self._running[job_id] = task
        return True

    async def _run(self, job_id: str, job: JobFunction, kwargs: dict[str, Any]) -> None:
        try:
            await job(self.ctx, **kwargs)
        except Exception:
            # A failed job leaves its record as it was; the periodic sweeps pick it up again.
            log.exception("job %s failed", job_id)
        finally:
            self._running.pop(job_id, None)

    async def drain(self) -> None:
        """Stop the clock and wait for every queued job (tests, and a clean shutdown)."""
        if self._clock is not None:
            self._clock.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._clock
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def ping(self) -> None:
        return None


class ArqQueue:
    def __init__(self, redis: ArqRedis) -> None:
        self.redis = redis

    async def enqueue(self, function: str, *, job_id: str, **kwargs: Any) -> bool:
        return await self.redis.enqueue_job(function, _job_id=job_id, **kwargs) is not None

    async def ping(self) -> None:
        await self.redis.ping()


async def arq_pool(redis_url: str) -> ArqRedis:
    return await create_pool(
        RedisSettings.from_dsn(redis_url),
        job_serializer=serialize,
        job_deserializer=deserialize,
    )


@contextlib.asynccontextmanager
async def open_queue(
    redis_url: str,
    functions: Sequence[JobFunction],
    periodic: Sequence[tuple[JobFunction, set[int], set[int] | None]] = (),
) -> AsyncIterator[JobQueue]:
    if not redis_url:
        queue = InProcessQueue(functions, periodic)
        try:
            yield queue
        finally:
            await queue.drain()
        return
    redis = await arq_pool(redis_url)
    try:
        await redis.ping()
        yield ArqQueue(redis)
    finally:
        await redis.aclose()
