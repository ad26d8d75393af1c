"""Imports' jobs: the purge of password handout pages nobody downloaded in time."""

from __future__ import annotations

import datetime as dt
from typing import Any


async def purge_handouts(ctx: dict[str, Any]) -> int:
    """Every five minutes: delete the handout pages past `handout_ttl_minutes`."""
    return await ctx["services"].imports.handouts.purge(dt.datetime.now(dt.UTC))


FUNCTIONS = [purge_handouts]
PERIODIC = [(purge_handouts, set(range(2, 60, 5)))]
