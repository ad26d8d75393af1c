"""CCTV's jobs: count the people in a snapshot, and the periodic sweeps.

`analyse_snapshot` is asked for through the outbox (`service.snapshot_received`), written in the
transaction that stores the snapshot.
"""

import datetime as dt
from typing import Any


async def analyse_snapshot(ctx: dict[str, Any], *, id: int) -> int | None:
    return await ctx["services"].cctv.analyse(id)


async def identify_exit(ctx: dict[str, Any], *, id: int) -> int:
    """An exit camera's snapshot: identify the staff leaving in it (1:N) and record those
    without a covering permit (backend/cctv/exits.py)."""
    exits = ctx["services"].cctv.exits
    return await exits.identify(id) if exits is not None else 0


async def purge_snapshots(ctx: dict[str, Any]) -> int:
    """Delete snapshots older than HADIR_CCTV_RETENTION_DAYS (UU PDP 27/2022); counts stay."""
    services = ctx["services"]
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=services.settings.cctv_retention_days)
    return await services.cctv.purge(cutoff)


async def find_dark_cameras(ctx: dict[str, Any]) -> int:
    """Raise an alert for each camera that stopped sending pictures."""
    return await ctx["services"].cctv.find_dark(dt.datetime.now(dt.UTC))


async def pull_cameras(ctx: dict[str, Any]) -> int:
    """Fetch the snapshots of the pull and Frigate cameras that are due. How many came."""
    return (await ctx["services"].cctv.pull_due()).pulled


async def link_checkin_evidence(
    ctx: dict[str, Any], *, checkin_id: int, employee_id: int, location_id: int, at: str
) -> int:
    """A check-in settled (attendance's outbox event `checkin_settled`): link the snapshots of
    its location's cameras around it, and match the employee's face in them; then its
    spoof-risk score is taken again with that evidence (attendance's `rescore`)."""
    services = ctx["services"]
    linked = await services.cctv.link_checkin(
        checkin_id, employee_id, location_id, dt.datetime.fromisoformat(at)
    )
    signal = await services.cctv.risk_signal(checkin_id)
    if signal.snapshots:
        await services.checkins.rescore(checkin_id, signal)
    return linked


FUNCTIONS = [
    analyse_snapshot,
    identify_exit,
    purge_snapshots,
    find_dark_cameras,
    pull_cameras,
    link_checkin_evidence,
]
# (job, minutes of the hour)
PERIODIC = [(purge_snapshots, {47}), (find_dark_cameras, set(range(0, 60, 5)))]
# (job, seconds of every minute): a camera's interval may be as short as 5 s.
FREQUENT = [(pull_cameras, set(range(0, 60, 5)))]
