"""Running queued jobs in tests with a real arq worker (burst mode)."""

from __future__ import annotations

import redis.asyncio as aioredis
from arq.worker import Worker

from backend.core.settings import Settings
from backend.worker import worker_settings


async def drain(settings: Settings, *, rounds: int = 5) -> None:
    """Run burst workers until nothing is left on the queue.

    A burst worker stops as soon as it sees an empty queue at the end of a poll; a job queued
    by a job in its last moments, or skipped in one poll, would be left for a long-running
    worker's next poll. Here the next poll is another burst.
    """
    redis = aioredis.from_url(settings.redis_url)
    try:
        for _ in range(rounds):
            worker = Worker(**worker_settings(settings), burst=True, poll_delay=0.05)
            try:
                await worker.main()
            finally:
                await worker.close()
            if await redis.zcard("arq:queue") == 0:
                return
        raise AssertionError(f"jobs still queued after {rounds} burst workers")
    finally:
        await redis.aclose()
