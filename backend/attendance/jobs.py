import datetime as dt
from typing import Any

from backend.core.queue import JobQueue


async def sweep_pending(ctx: dict[str, Any]) -> int:
    """Queue again the check-ins whose verification job was lost (Redis restarted, worker
    killed). Job ids are predictable, so a job still queued is not queued twice."""
    services = ctx["services"]
    ids = await services.checkins.stale_pending_ids(
        dt.timedelta(minutes=services.settings.verify_sweep_minutes)
    )
    for checkin_id in ids:
        await services.checkins.queue_verification(checkin_id)
    return len(ids)


async def queue_recompute(queue: JobQueue, employee_id: int, day: dt.date) -> None:
    """Queue the day status of one employee and day; one job per (employee, day) at a time."""
    await queue.enqueue(
        "recompute_day",
        job_id=f"day:{employee_id}:{day.isoformat()}",
        employee_id=employee_id,
        day=day.isoformat(),
    )


async def recompute_day(ctx: dict[str, Any], *, employee_id: int, day: str) -> str:
    status = await ctx["services"].days.recompute(employee_id, dt.date.fromisoformat(day))
    return status.status if status else "untracked"


async def recompute_yesterday(ctx: dict[str, Any]) -> int:
    """Hourly: settle, in every unit's time zone (WIB, WITA, WIT), the days whose working hours
    have ended and have no final record yet: a day shift's in the evening, a night shift's the
    next morning (absences only exist once the day is over). Idempotent; see settle_ended."""
    return await ctx["services"].days.settle_ended(dt.datetime.now(dt.UTC))
