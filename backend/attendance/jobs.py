"""Attendance's jobs: verify a selfie, recompute a day, and the periodic sweeps.

`verify_checkin` and `recompute_day` are asked for through the outbox (`backend/core/outbox.py`:
`checkin_received`, `day_changed`), written in the transaction of the change that needs them.
"""

import datetime as dt
from typing import Any


async def verify_checkin(ctx: dict[str, Any], *, id: int) -> str | None:
    return await ctx["services"].checkins.verify(id)


async def sweep_pending(ctx: dict[str, Any]) -> int:
    """Ask again for check-ins still pending long after arrival (their outbox row was given up,
    or they arrived before the outbox existed). A job still queued is not queued twice."""
    services = ctx["services"]
    ids = await services.checkins.stale_pending_ids(
        dt.timedelta(minutes=services.settings.verify_sweep_minutes)
    )
    if ids:
        await services.checkins.queue_verification(ids)
    return len(ids)


async def recompute_day(ctx: dict[str, Any], *, employee_id: int, day: str) -> str:
    status = await ctx["services"].days.recompute(employee_id, dt.date.fromisoformat(day))
    return status.status if status else "untracked"


async def recompute_yesterday(ctx: dict[str, Any]) -> int:
    """Hourly: settle, in every unit's time zone (WIB, WITA, WIT), the days whose working hours
    have ended and have no final record yet: a day shift's in the evening, a night shift's the
    next morning (absences only exist once the day is over). Idempotent; see settle_ended."""
    return await ctx["services"].days.settle_ended(dt.datetime.now(dt.UTC))


async def purge_selfies(ctx: dict[str, Any]) -> int:
    """Delete selfies and their liveness frames older than the retention period (UU PDP
    27/2022); the verdict stays."""
    services = ctx["services"]
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=services.settings.selfie_retention_days)
    purged = 0
    while batch := await services.checkins.selfies_received_before(cutoff, limit=500):
        for checkin_id, key in batch:
            for frame_key in await services.checkins.liveness_keys_of(checkin_id):
                await services.store.delete(frame_key)
            await services.store.delete(key)
            await services.checkins.forget_selfie(checkin_id)
            purged += 1
    return purged


async def build_recap_export(ctx: dict[str, Any], *, id: int) -> str:
    """A recap asked for as a file (backend/attendance/exports.py), with its progress stored."""
    return await ctx["services"].exports.build(id)


async def purge_recap_exports(ctx: dict[str, Any]) -> int:
    """Hourly: delete recap exports (record and file) older than `recap_export_keep_hours`."""
    return await ctx["services"].exports.purge(dt.datetime.now(dt.UTC))
