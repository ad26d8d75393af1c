"""The gerai's periodic job: the staffed / empty watch."""

import datetime as dt
from typing import Any


async def watch_gerai(ctx: dict[str, Any]) -> int:
    """Note gerai gone empty in their hours; alert the supervisors of those empty too long."""
    return await ctx["services"].gerai.watch(dt.datetime.now(dt.UTC))


FUNCTIONS = [watch_gerai]
# Every minute: the grace period is counted in minutes, and one pass reads only the gerai,
# their staff and that staff's records of the day.
PERIODIC = [(watch_gerai, set(range(60)))]
