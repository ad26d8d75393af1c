"""The job queue: arq on Redis, or the very same job functions run in-process.

Jobs are `async def verb_noun(ctx, *, id)` functions listed in `backend/worker.py`. Job ids are
predictable (`"verify-checkin:42"`), so the same work is never queued twice at once. Nothing
but the outbox's dispatcher (`backend/core/outbox.py`) and the periodic clock queues jobs: work
is recorded in the database first, so a queue that is down delays it and loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Protocol

import msgspec
from arq.connections import ArqRedis

JobFunction = Callable[..., Awaitable[Any]]
# A periodic job: (function, minutes of the hour, hours of the day in UTC or None for every
# hour), optionally with the seconds of the minute it runs at (default: second 0).
Periodic = (
    tuple[JobFunction, set[int], set[int] | None]
    | tuple[JobFunction, set[int], set[int] | None, set[int]]
)
log = logging.getLogger(__name__)


def schedule(entry: Periodic) -> tuple[JobFunction, set[int], set[int] | None, set[int]]:
    """An entry of a periodic list with its seconds spelled out."""
    if len(entry) == 4:
        return entry  # type: ignore[return-value]
    job, minutes, hours = entry[:3]
    return job, minutes, hours, {0}


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
        periodic: Sequence[Periodic] = (),
    ) -> None:
        self.functions = {f.__name__: f for f in functions}
        self.periodic = [schedule(entry) for entry in periodic]
        self.ctx: dict[str, Any] = {}
        self._running: dict[str, asyncio.Task[Any]] = {}
        self._clock: asyncio.Task[None] | None = None

    def start_periodic(self) -> None:
        """Run the hourly jobs once now, then every job at its minutes (and hours), like arq's cron."""
        self._clock = asyncio.create_task(self._tick(), name="hadir-periodic")

    async def _tick(self) -> None:
        first = True
        wanted = sorted({s for *_, seconds in self.periodic for s in seconds} or {0})
        while True:
            now = int(time.time())
            minute = now // 60
            hour = minute // 60 % 24
            for job, minutes, hours, seconds in self.periodic:
                due = (
                    now % 60 in seconds
                    and minute % 60 in minutes
                    and (hours is None or hour in hours)
                )
                if due or (first and hours is None):
                    # Jobs run more than once a minute are named by their second.
                    tick = minute if seconds == {0} else now
                    await self.enqueue(job.__name__, job_id=f"{job.__name__}:{tick}")
            first = False
            # On to the next second any job runs at (half a second in, like arq's cron).
            second = time.time() % 60
            later = [s for s in wanted if s > int(second)] or [wanted[0] + 60]
            await asyncio.sleep(later[0] - second + 0.5)

    async def enqueue(self, function: str, *, job_id: str, **kwargs: Any) -> bool:
        if job_id in self._running:
            return False
        job = self.functions[function]
        task = asyncio.create_task(self._run(job_id, job, kwargs), name=job_id)
        self._running[job_id] = task
        return True

    async def _run(self, job_id: str, job: JobFunction, kwargs: dict[str, Any]) -> None:
        try:
            # Like arq's: each run sees its own job id (the outbox finishes the rows of its key).
            await job({**self.ctx, "job_id": job_id, "job_try": 1}, **kwargs)
        except Exception:
            # A failed job leaves its record as it was; the periodic sweeps pick it up again.
            log.exception("job %s failed", job_id)
        finally:
            self._running.pop(job_id, None)

    async def idle(self) -> None:
        """Wait until no job runs; the clock keeps going (tests)."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

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


def arq_pool(redis_url: str, timeout_s: float) -> ArqRedis:
    """An arq client that connects on first use and again after Redis went away.

    Unlike `arq.create_pool` it does not ping at start: the api must start and take check-ins
    while Redis is down (the outbox keeps the work). Every call is bounded by `timeout_s`, so a
    Redis that accepts connections and never answers cannot hang a request or the dispatcher.
    """
    redis = ArqRedis.from_url(
        redis_url,
        socket_connect_timeout=timeout_s,
        socket_timeout=timeout_s,
        health_check_interval=30,
    )
    redis.job_serializer = serialize
    redis.job_deserializer = deserialize
    return redis


@contextlib.asynccontextmanager
async def open_queue(
    redis_url: str,
    functions: Sequence[JobFunction],
    periodic: Sequence[Periodic] = (),
    *,
    timeout_s: float = 2.0,
) -> AsyncIterator[JobQueue]:
    if not redis_url:
        queue = InProcessQueue(functions, periodic)
        try:
            yield queue
        finally:
            await queue.drain()
        return
    redis = arq_pool(redis_url, timeout_s)
    try:
        yield ArqQueue(redis)
    finally:
        await redis.aclose()
