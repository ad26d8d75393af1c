from typing import Any


async def verify_checkin(ctx: dict[str, Any], *, id: int) -> str | None:
    return await ctx["services"].faces.verify_checkin(id)


async def purge_selfies(ctx: dict[str, Any]) -> int:
    """Delete selfies older than the retention period (UU PDP 27/2022); the verdict stays."""
    import datetime as dt

    services = ctx["services"]
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=services.settings.selfie_retention_days)
    purged = 0
    while batch := await services.checkins.selfies_received_before(cutoff, limit=500):
        for checkin_id, key in batch:
            await services.store.delete(key)
            await services.checkins.forget_selfie(checkin_id)
            purged += 1
    return purged
