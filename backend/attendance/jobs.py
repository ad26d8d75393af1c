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
    """Nightly: settle yesterday for everyone (absences only exist once the day is over)."""
    from backend.org.tables import Employee

    services = ctx["services"]
    yesterday = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).date() - dt.timedelta(days=1)
    rows = await Employee.select(Employee.id).where(Employee.active.eq(True))
    for row in rows:
        await services.days.recompute(row["id"], yesterday)
    return len(rows)
