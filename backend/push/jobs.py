"""Push's jobs: make a notification from a `notice` event, send one, and the reminders."""

import datetime as dt
from typing import Any

from arq.worker import Retry

from backend.push.service import DeliveryFailed

RETRY_DEFER_S = 60  # times the try number: 1, 2, 3, 4 minutes between arq's five tries


async def create_notification(
    ctx: dict[str, Any],
    *,
    employee_id: int,
    kind: str,
    title: str,
    body: str,
    url: str,
    dedupe_key: str,
) -> int | None:
    """Another domain's `notice` event becomes one notification (its dedupe key makes a rerun
    of the event make nothing more)."""
    return await ctx["services"].push.notify(
        employee_id, kind=kind, title=title, body=body, url=url, dedupe_key=dedupe_key
    )


async def send_notification(ctx: dict[str, Any], *, id: int) -> int:
    try:
        return await ctx["services"].push.send(id)
    except DeliveryFailed as exc:
        # arq retries on Retry; after its last try (or on the in-process queue, which has no
        # retries) the outbox hands the job over again, until `outbox_max_attempts`.
        raise Retry(defer=RETRY_DEFER_S * ctx.get("job_try", 1)) from exc


async def remind_checkin(ctx: dict[str, Any]) -> int:
    """Remind those whose working day starts soon and who have not checked in yet."""
    return await ctx["services"].push.remind_checkin(dt.datetime.now(dt.UTC))


FUNCTIONS = [create_notification, send_notification, remind_checkin]
PERIODIC = [(remind_checkin, set(range(0, 60, 5)))]
