from typing import Any


async def verify_checkin(ctx: dict[str, Any], *, id: int) -> str | None:
    return await ctx["services"].faces.verify_checkin(id)
