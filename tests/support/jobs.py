"""Running queued jobs in tests with a real arq worker (burst mode)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import redis.asyncio as aioredis
from arq.worker import Worker

from backend.core.outbox import Outbox
from backend.core.queue import ArqQueue, arq_pool
from backend.core.settings import Settings
from backend.core.tables import OutboxItem
from backend.worker import worker_settings


async def dispatch_all(settings: Settings) -> int:
    """Hand every undone outbox row to Redis now, whatever its lease (what the dispatchers of
    the api and the worker do within `outbox_retry_s`)."""
    engine = OutboxItem._meta.db
    await OutboxItem.update({OutboxItem.available_at: dt.datetime.now(dt.UTC)}).where(
        OutboxItem.gave_up_at.is_null()
    )
    outbox = Outbox(engine, retry_s=settings.outbox_retry_s)
    redis = arq_pool(settings.redis_url, settings.redis_timeout_s)
    try:
        taken = total = 0
        while (taken := await outbox.dispatch_once(ArqQueue(redis))) > 0:
            total += taken
        return total
    finally:
        await redis.aclose()


async def settle_in_process(services: Any) -> None:
    """The embedded default: hand every outbox row to the in-process queue and wait until the
    jobs, and the work they add, are done."""
    queue = services.queue
    while True:
        await OutboxItem.update({OutboxItem.available_at: dt.datetime.now(dt.UTC)}).where(
            OutboxItem.gave_up_at.is_null()
        )
        taken = await services.outbox.dispatch_once(queue)
        await queue.idle()
        if taken == 0 and await services.outbox.undone() == 0:
            return


async def drain(settings: Settings, *, rounds: int = 8) -> None:
    """Dispatch the outbox and run burst workers until no work is left in either.

    A burst worker stops as soon as it sees an empty queue at the end of a poll; work that a job
    adds to the outbox (a settled check-in asks for its day's recompute and a notice) is handed
    to Redis by the next round.
    """
    redis = aioredis.from_url(settings.redis_url)
    try:
        for _ in range(rounds):
            await dispatch_all(settings)
            worker = Worker(**worker_settings(settings), burst=True, poll_delay=0.05)
            try:
                await worker.main()
            finally:
                await worker.close()
            if await redis.zcard("arq:queue") == 0 and await OutboxItem.count() == 0:
                return
        raise AssertionError(f"jobs still queued after {rounds} burst workers")
    finally:
        await redis.aclose()
