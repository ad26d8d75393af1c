"""The arq worker, started by `hadir worker`.

Every domain's jobs are listed here once; the in-process queue of the embedded default runs the
very same functions.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from arq import cron
from arq.connections import RedisSettings

from backend.attendance.jobs import recompute_day, recompute_yesterday, sweep_pending
from backend.core.queue import ArqQueue, deserialize, serialize
from backend.core.settings import Settings
from backend.faces.jobs import purge_selfies, verify_checkin
from backend.push import jobs as push_jobs

FUNCTIONS = [
    verify_checkin,
    sweep_pending,
    purge_selfies,
    recompute_day,
    recompute_yesterday,
    *push_jobs.FUNCTIONS,
]

# Periodic jobs: (function, minutes of the hour, hours of the day in UTC or None for every
# hour). arq's cron runs them on workers; the in-process queue of the embedded default runs the
# same schedule itself.
PERIODIC = [
    (sweep_pending, set(range(0, 60, 5)), None),
    (purge_selfies, {17}, None),
    # Every hour: a shift ends somewhere in WIB, WITA or WIT at any hour (night shifts at dawn).
    (recompute_yesterday, {30}, None),
    *[(job, minutes, None) for job, minutes in push_jobs.PERIODIC],
]


async def startup(ctx: dict[str, Any]) -> None:
    from backend.faces.service import face_pool
    from backend.services import open_services

    settings: Settings = ctx.get("settings") or Settings.from_env()
    stack = contextlib.AsyncExitStack()
    ctx["stack"] = stack
    ctx["services"] = await stack.enter_async_context(
        open_services(
            settings,
            queue=ArqQueue(ctx["redis"]),
            face_executor=lambda: face_pool(max(1, os.cpu_count() or 1)),
        )
    )


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["stack"].aclose()


def worker_settings(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `arq.Worker`, from our settings (tests and `hadir worker`)."""
    return {
        "functions": FUNCTIONS,
        "cron_jobs": [
            cron(job, minute=minutes, hour=hours, run_at_startup=job is sweep_pending)
            for job, minutes, hours in PERIODIC
        ],
        "on_startup": startup,
        "on_shutdown": shutdown,
        "redis_settings": RedisSettings.from_dsn(settings.redis_url or "redis://127.0.0.1:6379"),
        "job_serializer": serialize,
        "job_deserializer": deserialize,
        "ctx": {"settings": settings},
        "max_jobs": 2 * max(1, os.cpu_count() or 1),
        # arq refuses a job id whose result it still keeps; our ids name the work ("the day of
        # employee 7 on 2026-11-16"), which must be queued again whenever its inputs change.
        "keep_result": 0,
    }
