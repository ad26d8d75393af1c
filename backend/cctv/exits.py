"""Exit cameras (Batu: "whoever leaves the Block Office without a permit or a letter of
assignment will be found out"): the faces in an exit camera's snapshot, during the working hours
of its location's staff, are identified 1:N among those staff; someone leaving with no approved
izin keluar kantor covering that moment and no whole-day permit (dinas luar, cuti...) that day
is an exit event for their head of unit and BKD. Evidence, never a sanction.

UU PDP 27/2022: the purpose is stated (HADIR_CCTV_EXIT_PURPOSE, in every list), no face is
looked at outside working hours or for a stranger beyond the comparison, every image link handed
out is logged (`faces_photo_access`, purpose `cctv_exit`), and the picture is the snapshot's, so
HADIR_CCTV_RETENTION_DAYS removes it with the others.

The rules are plain functions (the unit tests call them); `ExitWatch` does the I/O around them,
in the worker: `identify_exit` is a job per snapshot of an exit camera, asked for through the
outbox in the transaction that stores the snapshot.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import numpy as np
from piccolo.engine.base import Engine

from backend.attendance.day_status import shift_bounds, window_for
from backend.cctv.schemas import ExitEvent, ExitEventList, ExitPerson
from backend.cctv.tables import ExitEvent as ExitEventTable
from backend.cctv.tables import Snapshot
from backend.core import policy
from backend.core.auth import Principal
from backend.core.outbox import Event, Outbox, notice
from backend.core.paging import DEFAULT_PAGE_SIZE, decode_cursor, page
from backend.core.settings import Settings
from backend.core.storage import ObjectStore
from backend.faces import recognition
from backend.org import service as org

log = logging.getLogger(__name__)

# First key of the PostgreSQL advisory lock taken per employee while a sighting is recorded.
LOCK_SPACE = 8_011
PHOTO_PURPOSE = "cctv_exit"


def exit_seen(snapshot_id: int) -> Event:
    """A snapshot of an exit camera waits for its faces to be identified."""
    return Event("identify_exit", f"identify-exit:{snapshot_id}", {"id": snapshot_id})


# --- pure rules -----------------------------------------------------------------------------


def shift_running(
    days: Mapping[str, Sequence[str]], holidays: set[dt.date], local: dt.datetime
) -> dt.date | None:
    """The work date of the employee's shift running at `local` (the unit's naive local time),
    or None outside working hours. A night shift of Monday (22:00-06:00) still runs on Tuesday
    at 05:00; a holiday has no shift."""
    for day in (local.date(), local.date() - dt.timedelta(days=1)):
        window = window_for(days, day)
        if window is None or day in holidays:
            continue
        start, end = shift_bounds(day, window)
        if start <= local < end:
            return day
    return None


def leaving_without_permit(
    local: dt.datetime,
    *,
    day_permit: str | None,
    short_leaves: Sequence[tuple[dt.time, dt.time]],
) -> bool:
    """Whether someone seen leaving at `local` (in their working hours) is without a permit:
    no approved whole-day permit for the work day (dinas luar, cuti, sakit...), and no approved
    izin keluar kantor on that date whose hours cover the moment."""
    if day_permit:
        return False
    moment = local.time()
    return not any(start <= moment <= end for start, end in short_leaves)


def same_event(
    first_seen: dt.datetime, last_seen: dt.datetime, at: dt.datetime, merge_s: int
) -> bool:
    """A sighting within `merge_s` of an event's sightings (before its first, after its last
    or between them: snapshots may be analysed out of order) is that event; someone lingering
    at the door is seen in several snapshots."""
    merge = dt.timedelta(seconds=merge_s)
    return first_seen - merge <= at <= last_seen + merge


def identified_staff(
    encodings: Sequence[np.ndarray],
    references: Mapping[int, Sequence[np.ndarray]],
    *,
    tolerance: float,
    margin: float,
) -> dict[int, recognition.Identification]:
    """Employee id -> their identification, for every face in a picture named with confidence
    (1:N, `recognition.identify`); one person twice in a frame keeps the nearer face."""
    named: dict[int, recognition.Identification] = {}
    for encoding in encodings:
        found = recognition.identify(encoding, references, tolerance=tolerance, margin=margin)
        if found.code != "match" or found.employee_id is None:
            continue
        before = named.get(found.employee_id)
        if before is None or (found.distance or 0.0) < (before.distance or 0.0):
            named[found.employee_id] = found
    return named


# --- what ExitWatch needs of other domains (handed in by backend/services.py) ----------------


class ExitFaces(Protocol):
    async def faces_in_picture(self, jpeg: bytes, *, max_pixels: int) -> list[Any]: ...

    async def references_of(self, employee_ids: list[int]) -> dict[int, list[Any]]: ...


class Leaves(Protocol):
    """The permits domain's service: whole-day permits and short leaves (izin keluar kantor)."""

    async def approved_on(self, employee_ids: list[int], day: dt.date) -> dict[int, str]: ...

    async def short_leaves_on(
        self, employee_ids: list[int], day: dt.date
    ) -> dict[int, list[tuple[dt.time, dt.time]]]: ...


# --- the service ----------------------------------------------------------------------------


class ExitWatch:
    def __init__(
        self,
        *,
        settings: Settings,
        engine: Engine,
        store: ObjectStore,
        outbox: Outbox,
        faces: ExitFaces,
        leaves: Leaves,
        photo_url: Callable[..., Awaitable[str]],
        bkd: Callable[[], Awaitable[list[int]]],
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.store = store
        self.outbox = outbox
        self.faces = faces
        self.leaves = leaves
        self.photo_url = photo_url  # faces.photo_url: every link handed out is logged
        self.bkd = bkd

    async def identify(self, snapshot_id: int) -> int:
        """Identify the staff leaving in one exit snapshot; record those without a permit (a
        new event, or a sighting merged into a recent one). How many were recorded."""
        row = (
            await Snapshot.select(
                Snapshot.id,
                Snapshot.taken_at,
                Snapshot.object_key,
                Snapshot.camera.as_alias("camera"),
                Snapshot.camera.name.as_alias("camera_name"),
                Snapshot.camera.exit.as_alias("exit"),
                Snapshot.camera.location.as_alias("location"),
                Snapshot.camera.location.unit.as_alias("unit"),
                Snapshot.camera.location.unit.timezone.as_alias("tz"),
            )
            .where(Snapshot.id == snapshot_id)
            .first()
        )
        if row is None or not row["object_key"] or not row["exit"]:
            return 0  # gone, purged, or the camera is no longer an exit
        local = row["taken_at"].astimezone(ZoneInfo(row["tz"] or "Asia/Jakarta"))
        local = local.replace(tzinfo=None)
        staff = await org.staff_of([row["unit"]])
        holidays = set(
            await org.holidays_between(local.date() - dt.timedelta(days=1), local.date())
        )
        on_duty = {
            person.id: work_date
            for person in staff
            if (work_date := shift_running(person.days, holidays, local)) is not None
        }
        if not on_duty:
            return 0  # outside the location's working hours: no face is looked at
        references = await self.faces.references_of([person.id for person in staff])
        if not references:
            return 0
        data = await self.store.get(row["object_key"])
        try:
            encodings = await self.faces.faces_in_picture(
                data, max_pixels=self.settings.cctv_max_pixels
            )
        except recognition.BadImage:
            return 0
        named = identified_staff(
            encodings,
            references,
            tolerance=self.settings.cctv_exit_tolerance,
            margin=self.settings.cctv_exit_margin,
        )
        leaving = {e: found for e, found in named.items() if e in on_duty}
        if not leaving:
            return 0
        ids = sorted(leaving)
        whole_day: dict[int, str] = {}
        for work_date in sorted({on_duty[e] for e in ids}):
            permits = await self.leaves.approved_on(
                [e for e in ids if on_duty[e] == work_date], work_date
            )
            whole_day.update(permits)
        short = await self.leaves.short_leaves_on(ids, local.date())
        names = {person.id: person for person in staff}
        recorded = 0
        for employee_id in ids:
            if not leaving_without_permit(
                local,
                day_permit=whole_day.get(employee_id),
                short_leaves=short.get(employee_id, []),
            ):
                continue
            recorded += await self._record(row, employee_id, leaving[employee_id], local, names)
        return recorded

    async def _lock_employee(self, employee_id: int) -> None:
        if self.engine.engine_type == "postgres":
            await ExitEventTable.raw(
                "SELECT pg_advisory_xact_lock({}, {})", LOCK_SPACE, employee_id
            )

    async def _record(
        self,
        snapshot: dict[str, Any],
        employee_id: int,
        found: recognition.Identification,
        local: dt.datetime,
        names: Mapping[int, Any],
    ) -> int:
        at = snapshot["taken_at"]
        merge = dt.timedelta(seconds=self.settings.cctv_exit_merge_s)
        recipients: list[int] = []
        head = await org.approver_for(employee_id)
        if head is not None:
            recipients.append(head)
        recipients += [e for e in await self.bkd() if e not in recipients and e != employee_id]
        async with self.outbox.transaction():
            # Sightings of one employee in turn: two workers analysing two snapshots of the
            # same walk through the door make one event.
            await self._lock_employee(employee_id)
            recent = await (
                ExitEventTable.select(
                    ExitEventTable.id,
                    ExitEventTable.snapshot,
                    ExitEventTable.last_snapshot,
                    ExitEventTable.seen_at,
                    ExitEventTable.last_seen_at,
                )
                .where(
                    (ExitEventTable.employee_id == employee_id)
                    & (ExitEventTable.last_seen_at >= at - merge)
                    & (ExitEventTable.seen_at <= at + merge)
                )
                .order_by(ExitEventTable.last_seen_at, ascending=False)
                .limit(1)
            )
            if recent and same_event(
                recent[0]["seen_at"],
                recent[0]["last_seen_at"],
                at,
                self.settings.cctv_exit_merge_s,
            ):
                event = recent[0]
                if snapshot["id"] in (event["snapshot"], event["last_snapshot"]):
                    return 0  # this snapshot was counted already (the job ran again)
                changes: dict[Any, Any] = {ExitEventTable.sightings: ExitEventTable.sightings + 1}
                if at < event["seen_at"]:
                    # Analysed out of order: the earlier picture is the event's first sighting.
                    changes.update(
                        {
                            ExitEventTable.seen_at: at,
                            ExitEventTable.snapshot: snapshot["id"],
                            ExitEventTable.camera: snapshot["camera"],
                            ExitEventTable.distance: found.distance,
                            ExitEventTable.margin: found.margin,
                        }
                    )
                else:
                    changes[ExitEventTable.last_seen_at] = max(event["last_seen_at"], at)
                    changes[ExitEventTable.last_snapshot] = snapshot["id"]
                await ExitEventTable.update(changes).where(ExitEventTable.id == event["id"])
                return 1
            inserted = await ExitEventTable.insert(
                ExitEventTable(
                    camera=snapshot["camera"],
                    snapshot=snapshot["id"],
                    last_snapshot=snapshot["id"],
                    employee_id=employee_id,
                    location_id=snapshot["location"],
                    seen_at=at,
                    last_seen_at=at,
                    sightings=1,
                    distance=found.distance,
                    margin=found.margin,
                    created_at=dt.datetime.now(dt.UTC),
                )
            ).returning(ExitEventTable.id)
            event_id = inserted[0]["id"]
            person = names.get(employee_id)
            who = person.name if person else f"Pegawai {employee_id}"
            await self.outbox.add(
                *[
                    notice(
                        recipient,
                        kind="cctv_exit",
                        subject=f"{event_id}:{recipient}",
                        title="Pegawai keluar kantor tanpa izin",
                        body=f"{who} terlihat keluar di {snapshot['camera_name']} pukul "
                        f"{local:%H:%M} tanpa izin keluar kantor atau dinas luar (bukti CCTV, "
                        "perlu dikonfirmasi)",
                        url="/",
                    )
                    for recipient in recipients
                ]
            )
        return 1

    # --- reading ----------------------------------------------------------------------------

    async def events(
        self,
        who: Principal,
        *,
        since: dt.datetime | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
    ) -> ExitEventList:
        """Exit events, newest first: every one for bkd and admin, those of their own staff
        (their unit and the units under it) for a head of unit. Each image link is signed,
        short-lived and logged."""
        query = ExitEventTable.select(
            ExitEventTable.all_columns(),
            ExitEventTable.snapshot.object_key.as_alias("object_key"),
            ExitEventTable.camera.code.as_alias("camera_code"),
            ExitEventTable.camera.name.as_alias("camera_name"),
        )
        where: Any = None

        def narrow(condition: Any) -> None:
            nonlocal where
            where = condition if where is None else where & condition

        if policy.scope(who, "cctv.exit.list") != policy.ANY:
            narrow(org.staff_under("cctv_exit.employee_id", who.unit_id))
        if since is not None:
            narrow(ExitEventTable.seen_at >= since)
        if cursor:
            at, row_id = decode_cursor(cursor)
            narrow(
                (ExitEventTable.seen_at < at)
                | ((ExitEventTable.seen_at == at) & (ExitEventTable.id < row_id))
            )
        if where is not None:
            query = query.where(where)
        rows = await query.order_by(
            ExitEventTable.seen_at, ExitEventTable.id, ascending=False
        ).limit(limit + 1)
        rows, next_cursor = page(rows, limit, "seen_at")
        people = await org.staff_by_id([row["employee_id"] for row in rows])
        items = []
        for row in rows:
            person = people.get(row["employee_id"])
            url = None
            if row["object_key"]:
                url = await self.photo_url(
                    who, row["object_key"], checkin_id=None, purpose=PHOTO_PURPOSE
                )
            items.append(
                ExitEvent(
                    id=row["id"],
                    employee=ExitPerson(
                        nip=person.nip if person else "",
                        name=person.name if person else "",
                        unit_id=person.unit if person else 0,
                    ),
                    camera_id=row["camera"],
                    camera_code=row["camera_code"],
                    camera_name=row["camera_name"],
                    location_id=row["location_id"],
                    seen_at=row["seen_at"],
                    last_seen_at=row["last_seen_at"],
                    sightings=row["sightings"],
                    distance=row["distance"],
                    margin=row["margin"],
                    image_url=url,
                )
            )
        return ExitEventList(
            items=items, next_cursor=next_cursor, purpose=self.settings.cctv_exit_purpose
        )
