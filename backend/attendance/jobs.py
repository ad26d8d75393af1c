import datetime as dt
from typing import Any


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
