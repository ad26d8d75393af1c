import datetime as dt
from typing import Any

from arq.worker import Retry

from backend.push.service import DeliveryFailed

RETRY_DEFER_S = 60  # times the try number: 1, 2, 3, 4 minutes between arq's five tries


async def send_notification(ctx: dict[str, Any], *, id: int) -> int:
    try:
        return await ctx["services"].push.send(id)
    except DeliveryFailed as exc:
        # arq retries only on Retry; after its last try `sent_at` stays empty.
        raise Retry(defer=RETRY_DEFER_S * ctx.get("job_try", 1)) from exc


async def remind_checkin(ctx: dict[str, Any]) -> int:
    """Remind those whose working day starts soon and who have not checked in yet."""
    return await ctx["services"].push.remind_checkin(dt.datetime.now(dt.UTC))


FUNCTIONS = [send_notification, remind_checkin]
PERIODIC = [(remind_checkin, set(range(0, 60, 5)))]
