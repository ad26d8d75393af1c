"""The arq worker, started by `hadir worker`.

Every domain's jobs are listed here once; the in-process queue of the embedded default runs the
very same functions. Each is wrapped by `outbox_job`, which removes the outbox rows a run did.
The worker also runs the outbox's dispatcher, so queued work flows with no api process up.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
from typing import Any

from arq import cron
from arq.connections import RedisSettings

from backend.attendance.jobs import (
    build_recap_export,
    purge_recap_exports,
    purge_selfies,
    recompute_day,
    recompute_yesterday,
    sweep_pending,
    verify_checkin,
)
from backend.board import jobs as board_jobs
from backend.cctv import jobs as cctv_jobs
from backend.core.outbox import outbox_job
from backend.core.queue import ArqQueue, Periodic, deserialize, schedule, serialize
from backend.core.settings import Settings
from backend.gerai import jobs as gerai_jobs
from backend.imports import jobs as import_jobs
from backend.push import jobs as push_jobs

JOBS = [
    verify_checkin,
    sweep_pending,
    purge_selfies,
    recompute_day,
    recompute_yesterday,
    build_recap_export,
    purge_recap_exports,
    *push_jobs.FUNCTIONS,
    *gerai_jobs.FUNCTIONS,
    *board_jobs.FUNCTIONS,
    *cctv_jobs.FUNCTIONS,
    *import_jobs.FUNCTIONS,
]
FUNCTIONS = [outbox_job(job) for job in JOBS]

# Periodic jobs: (function, minutes of the hour, hours of the day in UTC or None for every
# hour). arq's cron runs them on workers; the in-process queue of the embedded default runs the
# same schedule itself.
PERIODIC = [
    (sweep_pending, set(range(0, 60, 5)), None),
    (purge_selfies, {17}, None),
    # Every hour: a shift ends somewhere in WIB, WITA or WIT at any hour (night shifts at dawn).
    (recompute_yesterday, {30}, None),
    (purge_recap_exports, {41}, None),
    *[(job, minutes, None) for job, minutes in push_jobs.PERIODIC],
    *[(job, minutes, None) for job, minutes in gerai_jobs.PERIODIC],
    *[(job, minutes, None) for job, minutes in cctv_jobs.PERIODIC],
    *[(job, minutes, None) for job, minutes in import_jobs.PERIODIC],
]
# Jobs run more than once a minute: (function, every minute, every hour, seconds of the minute).
FREQUENT: list[Periodic] = [
    (job, set(range(60)), None, seconds) for job, seconds in cctv_jobs.FREQUENT
]
# What arq's cron and the in-process clock run.
SCHEDULE: list[Periodic] = [*PERIODIC, *FREQUENT]


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
            dispatch=True,
        )
    )
    if settings.mqtt_url:
        # Frigate's live counts: one consumer per worker process, never in the api processes.
        from backend.cctv.mqtt import consume

        task = asyncio.create_task(
            consume(settings, ctx["services"].cctv.count_from_frigate), name="hadir-mqtt"
        )
        stack.push_async_callback(_cancel, task)  # entered last: stopped first


async def _cancel(task: asyncio.Task[Any]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["stack"].aclose()


def redis_settings(settings: Settings) -> RedisSettings:
    """arq's connection settings: bounded connects, retried for a while at start-up."""
    base = RedisSettings.from_dsn(settings.redis_url or "redis://127.0.0.1:6379")
    timeout = max(1, round(settings.redis_timeout_s))
    return dataclasses.replace(base, conn_timeout=timeout, conn_retries=30, conn_retry_delay=1)


def worker_settings(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `arq.Worker`, from our settings (tests and `hadir worker`)."""
    return {
        # One timeout for every job (below). Not a longer one for the recap export: arq marks
        # every running job for the longest timeout of any function, so a worker killed mid-job
        # would hold all its jobs that long (tests/unit/core/test_worker_timeouts.py).
        "functions": FUNCTIONS,
        "cron_jobs": [
            cron(
                outbox_job(job),
                minute=minutes,
                hour=hours,
                second=seconds,
                run_at_startup=job is sweep_pending,
            )
            for job, minutes, hours, seconds in map(schedule, SCHEDULE)
        ],
        "on_startup": startup,
        "on_shutdown": shutdown,
        "redis_settings": redis_settings(settings),
        "job_serializer": serialize,
        "job_deserializer": deserialize,
        "ctx": {"settings": settings},
        "max_jobs": 2 * max(1, os.cpu_count() or 1),
        # A job runs at most the outbox's lease. arq marks a job in progress for its timeout
        # plus 10 s and no worker takes it while the mark stands: with arq's default (300 s) a
        # worker killed mid-job held that work for five minutes, while the outbox, offering it
        # again after `outbox_retry_s`, was refused as "already queued".
        "job_timeout": max(1.0, settings.outbox_retry_s),
        # arq refuses a job id whose result it still keeps; our ids name the work ("the day of
        # employee 7 on 2026-11-16"), which must be queued again whenever its inputs change.
        "keep_result": 0,
    }
