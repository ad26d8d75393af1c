"""The board's jobs: take a changed day record into the counts, and tell the streams.

Both are asked for through the outbox (`backend/core/outbox.py`: `day_recorded`,
`board_changed`), written in the transaction of the change.
"""

import datetime as dt
from typing import Any


async def apply_board_day(
    ctx: dict[str, Any],
    *,
    employee_id: int,
    unit_id: int,
    day: str,
    status: str,
    permit: str | None,
    tl: str | None,
    psw: str | None,
    computed_at: str,
) -> bool:
    board = ctx["services"].board
    changed = await board.apply_day(
        employee_id=employee_id,
        unit_id=unit_id,
        day=dt.date.fromisoformat(day),
        state=(status, permit, tl, psw),
        computed_at=dt.datetime.fromisoformat(computed_at),
    )
    if changed:
        await board.signal.publish()
    return changed


async def signal_board(ctx: dict[str, Any], *, subject: str) -> str:
    await ctx["services"].board.signal.publish()
    return subject


FUNCTIONS = [apply_board_day, signal_board]
