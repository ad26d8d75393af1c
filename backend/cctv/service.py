"""CCTV: the camera registry, snapshot ingest, people counts, queue and dark-camera alerts.

The rules (camera health, the queue's hysteresis, object keys, input checks) are plain functions
that the unit tests call; `Cctv` does the I/O around them. Pulling pictures from cameras and
Frigate lives in `pull.py`, Frigate's MQTT counts in `mqtt.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import logging
import math
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import anyio.to_thread
import httpx
import msgspec
from piccolo.engine.base import Engine

from backend.attendance.risk import CctvSignal
from backend.attendance.schemas import CctvEvidence
from backend.cctv import exits, pull
from backend.cctv import people as counter
from backend.cctv.exits import ExitWatch
from backend.cctv.schemas import (
    Alert,
    AlertList,
    Camera,
    CameraCreate,
    CameraCreated,
    CameraHealth,
    CameraKey,
    CameraList,
    CameraZones,
    ExitEventList,
    SnapshotItem,
    SnapshotList,
)
from backend.cctv.tables import Alert as AlertTable
from backend.cctv.tables import Camera as CameraTable
from backend.cctv.tables import Seen, Snapshot
from backend.core.auth import Principal
from backend.core.errors import (
    Conflict,
    Invalid,
    NotFound,
    TooLarge,
    TooManyRequests,
    Unauthenticated,
    UnsupportedMedia,
)
from backend.core.outbox import Event, Outbox, board_changed, notice
from backend.core.paging import DEFAULT_PAGE_SIZE, after, decode_cursor, page
from backend.core.settings import Settings
from backend.core.storage import ObjectStore
from backend.faces import recognition
from backend.geofence.service import Geofences

log = logging.getLogger(__name__)

ONLINE, DARK = "online", "dark"
MAX_EVIDENCE = 12  # snapshots linked to one check-in (the nearest in time)
BASIC_CHALLENGE = 'Basic realm="hadir-cctv", charset="UTF-8"'
WRONG_KEY = "Kode kamera atau kunci salah"


class GeraiDesk(Protocol):
    """What CCTV needs of the gerai domain, wired by the composition root (backend/services.py).

    `record_load` gets every people count of a camera that watches a gerai (its queue load);
    `supervisors` are the employee ids told when the gerai's queue stays long."""

    async def record_load(self, gerai_code: str, people: int, at: dt.datetime) -> None: ...

    async def supervisors(self, gerai_code: str) -> list[int]: ...


class NearbyCheckIns(Protocol):
    """What CCTV needs of attendance (its service, handed in): check-ins at a location."""

    async def near(
        self, location_id: int, start: dt.datetime, end: dt.datetime
    ) -> list[dict[str, Any]]: ...


class FaceMatcher(Protocol):
    """What CCTV needs of faces: the faces in a picture, and how near an employee's come."""

    async def faces_in_picture(self, jpeg: bytes, *, max_pixels: int) -> list[Any]: ...

    async def nearest(self, employee_id: int, encodings: list[Any]) -> float | None: ...


class NoGerai:
    """Until the gerai domain is wired: loads go nowhere, queue alerts go to admins."""

    async def record_load(self, gerai_code: str, people: int, at: dt.datetime) -> None:
        return None

    async def supervisors(self, gerai_code: str) -> list[int]:
        return []


# --- events -------------------------------------------------------------------------------------


def snapshot_received(snapshot_id: int) -> Event:
    """A snapshot waits for its people count."""
    return Event("analyse_snapshot", f"analyse-snapshot:{snapshot_id}", {"id": snapshot_id})


# --- pure rules -------------------------------------------------------------------------------


def hash_key(key: str) -> str:
    """A camera key is 192 random bits: a plain SHA-256 cannot be reversed or guessed, and
    checks in microseconds (a slow password hash would cost a core per 20 pushes a second)."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return secrets.token_urlsafe(24)


def key_matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_key(key), stored_hash)


def object_key(camera_code: str, at: dt.datetime) -> str:
    """`cctv/<camera>/<YYYY>/<MM>/<DD>/<HHMMSS-µs>.jpg`, in UTC (a camera's clock and zone are
    not trusted; the unit's zone is shown where people read times)."""
    at = at.astimezone(dt.UTC)
    return f"cctv/{camera_code}/{at:%Y/%m/%d}/{at:%H%M%S}-{at.microsecond:06d}.jpg"


def dark_after(interval_s: int, intervals: int) -> dt.timedelta:
    return dt.timedelta(seconds=interval_s * max(1, intervals))


def health_state(
    last_snapshot_at: dt.datetime | None,
    created_at: dt.datetime,
    interval_s: int,
    intervals: int,
    now: dt.datetime,
) -> str:
    """`dark` when nothing arrived for `intervals` of the camera's intervals (a new camera gets
    the same allowance from its creation)."""
    since = last_snapshot_at or created_at
    return DARK if now - since > dark_after(interval_s, intervals) else ONLINE


class PullRun(msgspec.Struct, frozen=True):
    pulled: int  # snapshots fetched and stored
    failed: int  # cameras that gave none (counted in their `failures`)


class QueueStep(msgspec.Struct, frozen=True):
    above: int
    below: int
    action: str  # "" | "open" | "close"


def queue_step(
    *,
    people: int,
    threshold: int,
    above: int,
    below: int,
    is_open: bool,
    open_after: int,
    close_after: int,
) -> QueueStep:
    """Hysteresis on queue alerts: open after `open_after` consecutive counts at or above the
    threshold, close after `close_after` consecutive counts below it; a lone count either way
    only restarts the other run, so the alert does not flap."""
    if people >= threshold:
        above, below = above + 1, 0
        if not is_open and above >= open_after:
            return QueueStep(above, below, "open")
    else:
        above, below = 0, below + 1
        if is_open and below >= close_after:
            return QueueStep(above, below, "close")
    return QueueStep(above, below, "")


def officer_seen(
    last_officers: int | None,
    officers_at: dt.datetime | None,
    now: dt.datetime,
    max_age: dt.timedelta,
) -> bool:
    """Whether a camera's latest officer-zone count shows someone at the desk now: at least one
    person, counted from a picture (or a Frigate count) no older than `max_age`. A count from
    the future (a clock ahead) is taken as now."""
    if last_officers is None or officers_at is None or last_officers < 1:
        return False
    return now - officers_at <= max_age


class OfficerWatch:
    """Which gerai a camera shows an officer at (the gerai registry asks, through the
    composition root): the latest count in each camera's officer zone, while fresh."""

    def __init__(self, max_age: dt.timedelta) -> None:
        self.max_age = max_age

    async def gerai_with_officer(self, gerai_codes: list[str], now: dt.datetime) -> set[str]:
        if not gerai_codes:
            return set()
        rows = await CameraTable.select(
            CameraTable.gerai, CameraTable.last_officers, CameraTable.officers_at
        ).where(
            CameraTable.gerai.is_in(sorted(set(gerai_codes)))
            & (CameraTable.last_officers >= 1)
            & (CameraTable.officers_at >= now - self.max_age)
        )
        return {
            row["gerai"]
            for row in rows
            if officer_seen(row["last_officers"], row["officers_at"], now, self.max_age)
        }


def check_camera(data: CameraCreate) -> None:
    """Rules msgspec's types cannot say: what each mode needs, and a zone that is an area."""
    if data.mode in ("pull", "frigate"):
        url = data.snapshot_url or ""
        if not url.startswith(("http://", "https://")):
            words = "URL snapshot kamera" if data.mode == "pull" else "URL dasar Frigate"
            raise Invalid(f"snapshot_url: {words} (http:// atau https://) wajib diisi")
    if data.auth != "none" and not data.username:
        raise Invalid("username: wajib diisi untuk autentikasi basic/digest")
    for name, zone in (("zone", data.zone), ("officer_zone", data.officer_zone)):
        try:
            counter.zone_polygon(zone)
        except ValueError as exc:
            raise Invalid(
                f"{name}: sisi poligon saling berpotongan atau tidak membentuk area"
            ) from exc
    if data.frigate_officer_zone and data.mode != "frigate":
        raise Invalid("frigate_officer_zone: hanya untuk kamera mode frigate")


def inspect_snapshot(data: bytes, settings: Settings) -> None:
    """Cheap header checks in the request path, before anything is stored or decoded: 415 for
    what is not a JPEG, 413 for a picture too large (a camera's answer to fix its settings)."""
    recognition.check_upload(
        data,
        what="Snapshot",
        max_bytes=settings.cctv_max_bytes,
        max_pixels=settings.cctv_max_pixels,
        not_jpeg=UnsupportedMedia,
        too_many_pixels=TooLarge,
    )


# --- the service -------------------------------------------------------------------------------


class Cctv:
    def __init__(
        self,
        *,
        settings: Settings,
        engine: Engine,
        store: ObjectStore,
        outbox: Outbox,
        geofences: Geofences,
        photo_url: Callable[..., Awaitable[str]],
        admins: Callable[[], Awaitable[list[int]]],
        gerai: GeraiDesk | None = None,
        checkins: NearbyCheckIns | None = None,
        faces: FaceMatcher | None = None,
        exits: ExitWatch | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.store = store
        self.outbox = outbox
        self.geofences = geofences
        # faces.photo_url: every image link handed out is logged (UU PDP), like selfies.
        self.photo_url = photo_url
        self.admins = admins
        self.gerai: GeraiDesk = gerai or NoGerai()
        # Evidence at the BKD desk: none without both.
        self.checkins = checkins
        self.faces = faces
        # Exit cameras: faces identified 1:N among the location's staff (backend/cctv/exits.py).
        self.exits = exits

    # --- registry ---------------------------------------------------------------------------

    def _camera(self, row: dict[str, Any], now: dt.datetime | None = None) -> Camera:
        now = now or dt.datetime.now(dt.UTC)
        return Camera(
            id=row["id"],
            code=row["code"],
            name=row["name"],
            location_id=row["location"],
            mode=row["mode"],
            gerai=row["gerai"],
            zone=row["zone"],
            queue_threshold=row["queue_threshold"],
            snapshot_url=row["snapshot_url"],
            frigate_camera=row["frigate_camera"],
            auth=row["auth"],
            username=row["username"],
            interval_s=row["interval_s"],
            exit=row["exit"],
            created_at=row["created_at"],
            health=CameraHealth(
                state=health_state(
                    row["last_snapshot_at"],
                    row["created_at"],
                    row["interval_s"],
                    self.settings.cctv_dark_intervals,
                    now,
                ),
                last_snapshot_at=row["last_snapshot_at"],
                last_people=row["last_people"],
                failures=row["failures"],
                last_error=row["last_error"],
                last_officers=row["last_officers"],
                officers_at=row["officers_at"],
            ),
            officer_zone=row["officer_zone"],
            frigate_officer_zone=row["frigate_officer_zone"],
        )

    async def _row(self, camera_id: int) -> dict[str, Any]:
        row = (
            await CameraTable.select(CameraTable.all_columns())
            .where(CameraTable.id == camera_id)
            .output(load_json=True)
            .first()
        )
        if row is None:
            raise NotFound(f"Kamera {camera_id} tidak ditemukan")
        return row

    async def create(self, data: CameraCreate) -> CameraCreated:
        check_camera(data)
        if await self.geofences.name_of(data.location_id) is None:
            raise Invalid(f"location_id: lokasi {data.location_id} tidak ditemukan")
        if await CameraTable.exists().where(CameraTable.code == data.code):
            raise Conflict(f"Kode kamera {data.code} sudah dipakai")
        key = new_key()
        now = dt.datetime.now(dt.UTC)
        rows = await CameraTable.insert(
            CameraTable(
                code=data.code,
                name=data.name,
                location=data.location_id,
                mode=data.mode,
                gerai=data.gerai,
                zone=data.zone,
                officer_zone=data.officer_zone,
                frigate_officer_zone=data.frigate_officer_zone or "",
                queue_threshold=data.queue_threshold or self.settings.cctv_queue_threshold,
                snapshot_url=data.snapshot_url or "",
                frigate_camera=data.frigate_camera or (data.code if data.mode == "frigate" else ""),
                auth=data.auth,
                username=data.username,
                password=data.password,
                interval_s=data.interval_s,
                exit=data.exit,
                key_hash=hash_key(key),
                created_at=now,
                next_pull_at=now if data.mode != "push" else None,
            )
        ).returning(CameraTable.id)
        return CameraCreated(camera=self._camera(await self._row(rows[0]["id"])), key=key)

    async def cameras(
        self, *, limit: int = DEFAULT_PAGE_SIZE, cursor: str | None = None
    ) -> CameraList:
        query = CameraTable.select(CameraTable.all_columns()).output(load_json=True)
        later = after(CameraTable.created_at, CameraTable.id, cursor)
        if later is not None:
            query = query.where(later)
        rows = await query.order_by(CameraTable.created_at, CameraTable.id).limit(limit + 1)
        rows, next_cursor = page(rows, limit, "created_at")
        now = dt.datetime.now(dt.UTC)
        return CameraList(
            items=[self._camera(row, now) for row in rows],
            next_cursor=next_cursor,
            purpose=self.settings.cctv_purpose,
        )

    async def set_zones(self, camera_id: int, data: CameraZones) -> Camera:
        """Change a camera's zones or threshold; the next picture is counted in the new ones."""
        row = await self._row(camera_id)
        changes: dict[Any, Any] = {}
        for name in ("zone", "officer_zone"):
            value = getattr(data, name)
            if value is msgspec.UNSET:
                continue
            try:
                counter.zone_polygon(value)
            except ValueError as exc:
                raise Invalid(
                    f"{name}: sisi poligon saling berpotongan atau tidak membentuk area"
                ) from exc
            changes[getattr(CameraTable, name)] = value
        if data.officer_zone is None:  # no desk to watch: its last count no longer holds
            changes[CameraTable.last_officers] = None
            changes[CameraTable.officers_at] = None
        if data.queue_threshold is not msgspec.UNSET:
            changes[CameraTable.queue_threshold] = data.queue_threshold
        if data.frigate_officer_zone is not msgspec.UNSET:
            if data.frigate_officer_zone and row["mode"] != "frigate":
                raise Invalid("frigate_officer_zone: hanya untuk kamera mode frigate")
            changes[CameraTable.frigate_officer_zone] = data.frigate_officer_zone
        if changes:
            await CameraTable.update(changes).where(CameraTable.id == camera_id)
        return self._camera(await self._row(camera_id))

    async def rotate_key(self, camera_id: int) -> CameraKey:
        """A new key; the old one stops working with this update (every push reads the hash)."""
        key = new_key()
        rows = (
            await CameraTable.update({CameraTable.key_hash: hash_key(key)})
            .where(CameraTable.id == camera_id)
            .returning(CameraTable.id, CameraTable.code)
        )
        if not rows:
            raise NotFound(f"Kamera {camera_id} tidak ditemukan")
        return CameraKey(id=rows[0]["id"], code=rows[0]["code"], key=key)

    # --- ingest -------------------------------------------------------------------------------

    async def authenticate(self, code: str, key: str) -> dict[str, Any]:
        row = (
            await CameraTable.select(
                CameraTable.id,
                CameraTable.code,
                CameraTable.key_hash,
                CameraTable.last_snapshot_at,
                CameraTable.dark_alert,
            )
            .where(CameraTable.code == code)
            .first()
        )
        # The hash is compared even for an unknown code, so timing does not tell codes apart.
        stored = row["key_hash"] if row else "0" * 64
        if not key_matches(key, stored) or row is None:
            raise Unauthenticated(WRONG_KEY, challenge=BASIC_CHALLENGE)
        return row

    def _retry_after(self, last: dt.datetime | None, now: dt.datetime) -> int | None:
        """Seconds a camera must wait before its next push is taken; None: now is fine."""
        if last is None:
            return None
        wait = self.settings.cctv_min_push_interval_s - (now - last).total_seconds()
        return math.ceil(wait) if wait > 0 else None

    async def push(self, code: str, key: str, data: bytes) -> int:
        """A snapshot a camera sent: checked, stored, its analysis queued. The snapshot's id."""
        camera = await self.authenticate(code, key)
        now = dt.datetime.now(dt.UTC)
        if (wait := self._retry_after(camera["last_snapshot_at"], now)) is not None:
            raise TooManyRequests(
                f"Kamera {code} mengirim terlalu sering; coba lagi {wait} detik lagi",
                retry_after_s=wait,
            )
        inspect_snapshot(data, self.settings)
        return await self.keep(camera, data, source="push", at=now, rate_limited=True)

    async def keep(
        self,
        camera: dict[str, Any],
        data: bytes,
        *,
        source: str,
        at: dt.datetime,
        rate_limited: bool = False,
    ) -> int:
        """Store a checked snapshot: the object, then its row and its analysis in one transaction.

        A pushed snapshot first claims the camera's slot (a conditional update), so that pushes
        racing from one camera to several api processes are held to the same rate; that update
        is also the camera's health, so the transaction after the object is stored only inserts
        (the snapshot and its analysis: one statement less per push)."""
        previous = camera["last_snapshot_at"]
        is_exit = False  # told by whichever update of the camera's row this snapshot makes
        if rate_limited:
            cutoff = at - dt.timedelta(seconds=self.settings.cctv_min_push_interval_s)
            claimed = (
                await CameraTable.update(
                    {
                        CameraTable.last_snapshot_at: at,
                        CameraTable.failures: 0,
                        CameraTable.last_error: "",
                    }
                )
                .where(
                    (CameraTable.id == camera["id"])
                    & (
                        CameraTable.last_snapshot_at.is_null()
                        | (CameraTable.last_snapshot_at <= cutoff)
                    )
                )
                .returning(CameraTable.id, CameraTable.exit)
            )
            if not claimed:
                wait = max(1, math.ceil(self.settings.cctv_min_push_interval_s))
                raise TooManyRequests(
                    f"Kamera {camera['code']} mengirim terlalu sering; coba lagi {wait} detik lagi",
                    retry_after_s=wait,
                )
            is_exit = bool(claimed[0]["exit"])
        key = object_key(camera["code"], at)
        try:
            await self.store.put(key, data, "image/jpeg")
        except Exception:
            if rate_limited:  # give the slot back: nothing was taken
                await CameraTable.update({CameraTable.last_snapshot_at: previous}).where(
                    (CameraTable.id == camera["id"]) & (CameraTable.last_snapshot_at == at)
                )
            raise
        async with self.outbox.transaction():
            rows = await Snapshot.insert(
                Snapshot(
                    camera=camera["id"],
                    taken_at=at,
                    source=source,
                    object_key=key,
                    size=len(data),
                    digest=hashlib.sha1(data, usedforsecurity=False).hexdigest(),
                )
            ).returning(Snapshot.id)
            snapshot_id = rows[0]["id"]
            changes: dict[Any, Any] = {}
            if not rate_limited:  # a pull: its health is written here
                changes = {
                    CameraTable.last_snapshot_at: at,
                    CameraTable.failures: 0,
                    CameraTable.last_error: "",
                }
            if camera.get("dark_alert"):
                changes[CameraTable.dark_alert] = None
                await AlertTable.update({AlertTable.closed_at: at}).where(
                    (AlertTable.id == camera["dark_alert"]) & AlertTable.closed_at.is_null()
                )
            if changes:
                updated = (
                    await CameraTable.update(changes)
                    .where(CameraTable.id == camera["id"])
                    .returning(CameraTable.exit)
                )
                is_exit = bool(updated and updated[0]["exit"])
            await self.outbox.add(snapshot_received(snapshot_id))
            if is_exit and self.exits is not None:
                # Its own job: the people count of the same picture never waits for faces.
                await self.outbox.add(exits.exit_seen(snapshot_id))
        return snapshot_id

    # --- pull -----------------------------------------------------------------------------------

    async def pull_due(self, now: dt.datetime | None = None) -> PullRun:
        """Fetch every pull and Frigate camera whose `next_pull_at` has come.

        Each camera is claimed first (a conditional update of `next_pull_at` to its next
        interval), so workers running the job at once never fetch one camera twice. At most
        `cctv_pull_concurrency` fetches run at once, each bounded by `cctv_pull_timeout_s`: a
        camera that never answers holds one place for that long and no other camera waits for
        it. A failure counts in `failures` and pushes `next_pull_at` back (`pull.backoff_s`).
        """
        now = now or dt.datetime.now(dt.UTC)
        due = await CameraTable.select(
            CameraTable.id,
            CameraTable.code,
            CameraTable.mode,
            CameraTable.snapshot_url,
            CameraTable.frigate_camera,
            CameraTable.auth,
            CameraTable.username,
            CameraTable.password,
            CameraTable.interval_s,
            CameraTable.failures,
            CameraTable.next_pull_at,
            CameraTable.last_snapshot_at,
            CameraTable.dark_alert,
        ).where(
            CameraTable.mode.is_in(["pull", "frigate"])
            & CameraTable.next_pull_at.is_not_null()
            & (CameraTable.next_pull_at <= now)
        )
        claimed = []
        for camera in due:
            rows = (
                await CameraTable.update(
                    {CameraTable.next_pull_at: now + dt.timedelta(seconds=camera["interval_s"])}
                )
                .where(
                    (CameraTable.id == camera["id"])
                    & (CameraTable.next_pull_at == camera["next_pull_at"])
                )
                .returning(CameraTable.id)
            )
            if rows:
                claimed.append(camera)
        if not claimed:
            return PullRun(pulled=0, failed=0)
        places = asyncio.Semaphore(max(1, self.settings.cctv_pull_concurrency))
        async with pull.client(self.settings) as http:

            async def one(camera: dict[str, Any]) -> bool:
                async with places:
                    return await self._pull_one(http, camera, now)

            done = await asyncio.gather(*[one(camera) for camera in claimed])
        pulled = sum(done)
        return PullRun(pulled=pulled, failed=len(done) - pulled)

    async def _pull_one(
        self, http: httpx.AsyncClient, camera: dict[str, Any], now: dt.datetime
    ) -> bool:
        try:
            data = await pull.fetch(http, camera, self.settings)
        except pull.PullFailed as exc:
            failures = camera["failures"] + 1
            wait = pull.backoff_s(
                camera["interval_s"], failures, self.settings.cctv_pull_backoff_max_s
            )
            log.info("cctv pull %s failed (%d in a row): %s", camera["code"], failures, exc)
            await CameraTable.update(
                {
                    CameraTable.failures: failures,
                    CameraTable.last_error: str(exc)[:300],
                    CameraTable.next_pull_at: now + dt.timedelta(seconds=wait),
                }
            ).where(CameraTable.id == camera["id"])
            return False
        # The same path as a push: the object, the row, the analysis asked for, health reset.
        await self.keep(camera, data, source=camera["mode"], at=dt.datetime.now(dt.UTC))
        return True

    # --- analysis -----------------------------------------------------------------------------

    async def analyse(self, snapshot_id: int) -> int | None:
        """Count the people in the camera's zone (and officer zone); record the counts and move
        the queue alert. A frame identical to the camera's previous one takes that one's counts
        without being decoded (a frozen camera or NVR sends the same picture again)."""
        row = (
            await Snapshot.select(
                Snapshot.id,
                Snapshot.camera,
                Snapshot.object_key,
                Snapshot.taken_at,
                Snapshot.people,
                Snapshot.digest,
                Snapshot.camera.zone.as_alias("zone"),
                Snapshot.camera.officer_zone.as_alias("officer_zone"),
            )
            .where(Snapshot.id == snapshot_id)
            .output(load_json=True)
            .first()
        )
        if row is None or not row["object_key"]:
            return row["people"] if row else None  # gone, or purged
        people = row["people"]
        if people is None:  # not counted yet (a retry after the count only links)
            same = await self._same_as_previous(row)
            if same is not None:
                people, officers = same
            else:
                data = await self.store.get(row["object_key"])
                try:
                    count = await anyio.to_thread.run_sync(
                        lambda: counter.count_people(
                            data,
                            row["zone"],
                            max_pixels=self.settings.cctv_max_pixels,
                            officer_zone=row["officer_zone"],
                        )
                    )
                except recognition.BadImage as exc:
                    await Snapshot.update(
                        {
                            Snapshot.analysed_at: dt.datetime.now(dt.UTC),
                            Snapshot.analysis_error: str(exc)[:200],
                        }
                    ).where(Snapshot.id == snapshot_id)
                    return None
                people, officers = count.people, count.officers
            await self.record_count(snapshot_id, people, officers)
        await self.link_snapshot(snapshot_id)
        return people

    async def _same_as_previous(self, row: dict[str, Any]) -> tuple[int, int | None] | None:
        """The counts of the camera's snapshot just before this one if it was the very same
        JPEG (same digest) and was counted; None otherwise."""
        if not row["digest"]:
            return None
        previous = (
            await Snapshot.select(Snapshot.digest, Snapshot.people, Snapshot.officers)
            .where(
                (Snapshot.camera == row["camera"])
                & (Snapshot.taken_at < row["taken_at"])
                & (Snapshot.object_key != "")
            )
            .order_by(Snapshot.taken_at, ascending=False)
            .first()
        )
        if previous is None or previous["digest"] != row["digest"] or previous["people"] is None:
            return None
        if row["officer_zone"] is not None and previous["officers"] is None:
            return None  # the officer zone was set since: count afresh
        return previous["people"], previous["officers"] if row["officer_zone"] else None

    async def record_count(
        self, snapshot_id: int, people: int, officers: int | None = None
    ) -> None:
        """Store a snapshot's counts, keep the camera's latest, step its queue alert."""
        now = dt.datetime.now(dt.UTC)
        async with self.outbox.transaction():
            snapshot = (
                await Snapshot.update(
                    {
                        Snapshot.people: people,
                        Snapshot.officers: officers,
                        Snapshot.analysed_at: now,
                    }
                )
                .where((Snapshot.id == snapshot_id) & Snapshot.people.is_null())
                .returning(Snapshot.camera, Snapshot.taken_at)
            )
            if not snapshot:
                return
            camera_id, taken_at = snapshot[0]["camera"], snapshot[0]["taken_at"]
            camera = await self._lock_camera(camera_id)
            await self._step_queue(camera, people, taken_at)
            if officers is not None:
                await self._record_officers(camera_id, officers, taken_at)
        if camera["gerai"]:
            try:
                await self.gerai.record_load(camera["gerai"], people, taken_at)
            except NotFound:
                # The camera names a gerai that is not (or no longer) registered: the count is
                # kept on the snapshot all the same.
                log.warning("camera %s names unknown gerai %s", camera["code"], camera["gerai"])

    async def _record_officers(self, camera_id: int, officers: int, at: dt.datetime) -> None:
        """The camera's latest officer count; an older one arriving late changes nothing. When
        the desk of a gerai's camera goes from empty to staffed or back, the board's streams
        are told (its gerai's state may have changed). Call it inside a transaction."""
        before = (
            await CameraTable.select(CameraTable.gerai, CameraTable.last_officers)
            .where(CameraTable.id == camera_id)
            .first()
        )
        updated = (
            await CameraTable.update(
                {CameraTable.last_officers: officers, CameraTable.officers_at: at}
            )
            .where(
                (CameraTable.id == camera_id)
                & (CameraTable.officers_at.is_null() | (CameraTable.officers_at <= at))
            )
            .returning(CameraTable.id)
        )
        if updated and before is not None and before["gerai"]:
            if ((before["last_officers"] or 0) >= 1) != (officers >= 1):
                await self.outbox.add(board_changed(f"cctv-officers:{camera_id}:{at.isoformat()}"))

    async def _lock_camera(self, camera_id: int) -> dict[str, Any]:
        query = CameraTable.select(
            CameraTable.id,
            CameraTable.code,
            CameraTable.name,
            CameraTable.gerai,
            CameraTable.queue_threshold,
            CameraTable.above,
            CameraTable.below,
            CameraTable.queue_alert,
        ).where(CameraTable.id == camera_id)
        if self.engine.engine_type == "postgres":
            # Counts of one camera analysed at once by two workers step the hysteresis in turn.
            query = query.lock_rows("UPDATE")
        rows = await query
        return rows[0]

    async def _step_queue(self, camera: dict[str, Any], people: int, at: dt.datetime) -> None:
        step = queue_step(
            people=people,
            threshold=camera["queue_threshold"],
            above=camera["above"],
            below=camera["below"],
            is_open=camera["queue_alert"] is not None,
            open_after=self.settings.cctv_queue_open_after,
            close_after=self.settings.cctv_queue_close_after,
        )
        changes: dict[Any, Any] = {
            CameraTable.above: step.above,
            CameraTable.below: step.below,
            CameraTable.last_people: people,
        }
        if step.action == "open":
            rows = await AlertTable.insert(
                AlertTable(
                    camera=camera["id"],
                    kind="queue",
                    gerai=camera["gerai"],
                    opened_at=at,
                    threshold=camera["queue_threshold"],
                    peak=people,
                )
            ).returning(AlertTable.id)
            changes[CameraTable.queue_alert] = rows[0]["id"]
            await self._tell_queue(camera, rows[0]["id"], people)
            # The board shows open queue alerts: its streams are told (same transaction).
            await self.outbox.add(board_changed(f"cctv-queue:{rows[0]['id']}:open"))
        elif camera["queue_alert"] is not None:
            if step.action == "close":
                changes[CameraTable.queue_alert] = None
                await AlertTable.update({AlertTable.closed_at: at}).where(
                    AlertTable.id == camera["queue_alert"]
                )
                await self.outbox.add(board_changed(f"cctv-queue:{camera['queue_alert']}:close"))
            else:
                await AlertTable.update({AlertTable.peak: people}).where(
                    (AlertTable.id == camera["queue_alert"]) & (AlertTable.peak < people)
                )
        await CameraTable.update(changes).where(CameraTable.id == camera["id"])

    async def _tell_queue(self, camera: dict[str, Any], alert_id: int, people: int) -> None:
        where = f"gerai {camera['gerai']}" if camera["gerai"] else f"kamera {camera['name']}"
        recipients = []
        if camera["gerai"]:
            with contextlib.suppress(NotFound):  # an unknown gerai: the admins are told
                recipients = await self.gerai.supervisors(camera["gerai"])
        if not recipients:
            recipients = await self.admins()
        await self.outbox.add(
            *[
                notice(
                    employee_id,
                    kind="cctv_queue",
                    subject=str(alert_id),
                    title=f"Antrean panjang di {where}",
                    body=f"{people} orang dalam antrean (batas {camera['queue_threshold']})",
                    url="/",
                )
                for employee_id in recipients
            ]
        )

    async def count_from_frigate(self, frigate_camera: str, people: int, at: dt.datetime) -> int:
        """A person count Frigate published (MQTT) for a camera or zone: recorded as a snapshot
        without a picture for every camera that names this Frigate camera, and as the officers
        on duty of every camera whose officer zone is this Frigate zone. How many cameras took
        it."""
        cameras = await CameraTable.select(CameraTable.id).where(
            (CameraTable.mode == "frigate") & (CameraTable.frigate_camera == frigate_camera)
        )
        for camera in cameras:
            async with self.outbox.transaction():
                rows = await Snapshot.insert(
                    Snapshot(camera=camera["id"], taken_at=at, source="mqtt")
                ).returning(Snapshot.id)
                await CameraTable.update({CameraTable.last_snapshot_at: at}).where(
                    CameraTable.id == camera["id"]
                )
            await self.record_count(rows[0]["id"], people)
        desks = await CameraTable.select(CameraTable.id).where(
            (CameraTable.mode == "frigate") & (CameraTable.frigate_officer_zone == frigate_camera)
        )
        for camera in desks:
            async with self.outbox.transaction():
                await self._record_officers(camera["id"], people, at)
        return len(cameras) + len(desks)

    # --- the board ------------------------------------------------------------------------

    async def latest_pictures(self, gerai_codes: list[str]) -> dict[str, tuple[str, dt.datetime]]:
        """Per gerai, the object key and time of the latest snapshot with a picture of any of
        its cameras. One indexed query per camera watching these gerai."""
        if not gerai_codes:
            return {}
        cameras = await CameraTable.select(CameraTable.id, CameraTable.gerai).where(
            CameraTable.gerai.is_in(sorted(set(gerai_codes)))
        )
        latest: dict[str, tuple[str, dt.datetime]] = {}
        for camera in cameras:
            row = (
                await Snapshot.select(Snapshot.object_key, Snapshot.taken_at)
                .where((Snapshot.camera == camera["id"]) & (Snapshot.object_key != ""))
                .order_by(Snapshot.taken_at, ascending=False)
                .first()
            )
            if row is None:
                continue
            held = latest.get(camera["gerai"])
            if held is None or held[1] < row["taken_at"]:
                latest[camera["gerai"]] = (row["object_key"], row["taken_at"])
        return latest

    async def picture_url(self, who: Principal, object_key: str) -> str:
        """A short-lived signed link to a snapshot's picture; the view is logged (UU PDP)."""
        return await self.photo_url(who, object_key, checkin_id=None, purpose="cctv")

    async def open_queue_alerts(self, gerai_codes: list[str]) -> dict[str, dict[str, Any]]:
        """Per gerai, its open queue alert (the earliest opened): opened_at, peak, threshold."""
        if not gerai_codes:
            return {}
        rows = await (
            AlertTable.select(
                AlertTable.gerai, AlertTable.opened_at, AlertTable.peak, AlertTable.threshold
            )
            .where(
                AlertTable.gerai.is_in(sorted(set(gerai_codes)))
                & (AlertTable.kind == "queue")
                & AlertTable.closed_at.is_null()
            )
            .order_by(AlertTable.opened_at)
        )
        alerts: dict[str, dict[str, Any]] = {}
        for row in rows:
            alerts.setdefault(row["gerai"], row)
        return alerts

    # --- evidence at the BKD desk ------------------------------------------------------------

    def _window(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.settings.cctv_evidence_window_s)

    async def link_snapshot(self, snapshot_id: int) -> int:
        """After a snapshot's analysis: link it to the check-ins at its camera's location within
        the window (those that came before it; later ones link it when they settle)."""
        if self.checkins is None:
            return 0
        row = (
            await Snapshot.select(
                Snapshot.id,
                Snapshot.taken_at,
                Snapshot.object_key,
                Snapshot.camera.location.as_alias("location"),
            )
            .where(Snapshot.id == snapshot_id)
            .first()
        )
        if row is None or not row["object_key"]:
            return 0
        at, window = row["taken_at"], self._window()
        near = await self.checkins.near(row["location"], at - window, at + window)
        return await self._link(row, [(c["id"], c["employee"]) for c in near])

    async def link_checkin(
        self, checkin_id: int, employee_id: int, location_id: int, at: dt.datetime
    ) -> int:
        """A check-in settled at a location: link the snapshots of its cameras within the
        window, nearest in time first, at most MAX_EVIDENCE (a snapshot analysed later links
        itself). How many were linked now."""
        window = self._window()
        rows = await (
            Snapshot.select(Snapshot.id, Snapshot.taken_at, Snapshot.object_key)
            .where(
                (Snapshot.camera.location == location_id)
                & (Snapshot.taken_at >= at - window)
                & (Snapshot.taken_at <= at + window)
                & (Snapshot.object_key != "")
            )
            .order_by(Snapshot.taken_at)
            .limit(500)
        )
        rows.sort(key=lambda r: abs(r["taken_at"] - at))
        linked = 0
        for row in rows[:MAX_EVIDENCE]:
            linked += await self._link(row, [(checkin_id, employee_id)])
        return linked

    async def _link(self, snapshot: dict[str, Any], pairs: list[tuple[int, int]]) -> int:
        """Record (check-in, snapshot) evidence rows not there yet; where the employee is
        enrolled and a face in the picture is within HADIR_FACE_TOLERANCE of their references,
        the row keeps that distance. The faces are found once per picture, in the face pool."""
        if not pairs:
            return 0
        existing = await Seen.select(Seen.checkin_id).where(
            (Seen.snapshot == snapshot["id"]) & Seen.checkin_id.is_in([c for c, _ in pairs])
        )
        done = {r["checkin_id"] for r in existing}
        fresh = [(c, e) for c, e in pairs if c not in done]
        if not fresh:
            return 0
        encodings: list[Any] = []
        if self.faces is not None:
            data = await self.store.get(snapshot["object_key"])
            try:
                encodings = await self.faces.faces_in_picture(
                    data, max_pixels=self.settings.cctv_max_pixels
                )
            except recognition.BadImage:
                encodings = []
        now = dt.datetime.now(dt.UTC)
        linked = 0
        for checkin_id, employee_id in fresh:
            distance = None
            if self.faces is not None and encodings:
                distance = await self.faces.nearest(employee_id, encodings)
                if distance is not None and distance > self.settings.face_tolerance:
                    distance = None  # someone else's face: linked, not matched
            inserted = (
                await Seen.insert(
                    Seen(
                        checkin_id=checkin_id,
                        employee_id=employee_id,
                        snapshot=snapshot["id"],
                        distance=distance,
                        created_at=now,
                    )
                )
                .on_conflict(target=(Seen.checkin_id, Seen.snapshot), action="DO NOTHING")
                .returning(Seen.id)
            )
            linked += len(inserted)
        return linked

    async def risk_signal(self, checkin_id: int) -> CctvSignal:
        """The evidence of a check-in as its spoof-risk score reads it: how many snapshots are
        linked and in how many the employee's face was seen (no image links, nothing logged)."""
        rows = await Seen.select(Seen.distance).where(Seen.checkin_id == checkin_id)
        seen = [r["distance"] for r in rows if r["distance"] is not None]
        return CctvSignal(
            snapshots=len(rows), matched=len(seen), best_distance=min(seen) if seen else None
        )

    async def for_checkin(self, who: Principal, checkin_id: int) -> list[CctvEvidence]:
        """The snapshots linked to a check-in for the review desk: matched ones first (closest
        face first), then by time; each image link signed, short-lived and logged."""
        rows = await Seen.select(
            Seen.snapshot,
            Seen.distance,
            Seen.snapshot.taken_at.as_alias("taken_at"),
            Seen.snapshot.object_key.as_alias("object_key"),
            Seen.snapshot.camera.code.as_alias("camera_code"),
            Seen.snapshot.camera.name.as_alias("camera_name"),
        ).where(Seen.checkin_id == checkin_id)
        rows.sort(key=lambda r: (r["distance"] is None, r["distance"] or 0.0, r["taken_at"]))
        items = []
        for row in rows[:MAX_EVIDENCE]:
            url = None
            if row["object_key"]:
                url = await self.photo_url(
                    who, row["object_key"], checkin_id=checkin_id, purpose="cctv"
                )
            items.append(
                CctvEvidence(
                    snapshot_id=row["snapshot"],
                    camera_code=row["camera_code"],
                    camera_name=row["camera_name"],
                    taken_at=row["taken_at"],
                    image_url=url,
                    distance=row["distance"],
                )
            )
        return items

    # --- reading ------------------------------------------------------------------------------

    async def snapshots(
        self,
        who: Principal,
        camera_id: int,
        *,
        since: dt.datetime | None,
        limit: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
    ) -> SnapshotList:
        """A camera's snapshots, oldest first from `since`, with signed image links (logged)."""
        await self._row(camera_id)
        where = Snapshot.camera == camera_id
        if since is not None:
            where &= Snapshot.taken_at >= since
        later = after(Snapshot.taken_at, Snapshot.id, cursor)
        if later is not None:
            where &= later
        rows = await (
            Snapshot.select(
                Snapshot.id,
                Snapshot.camera,
                Snapshot.taken_at,
                Snapshot.source,
                Snapshot.people,
                Snapshot.officers,
                Snapshot.object_key,
            )
            .where(where)
            .order_by(Snapshot.taken_at, Snapshot.id)
            .limit(limit + 1)
        )
        rows, next_cursor = page(rows, limit, "taken_at")
        return SnapshotList(
            items=[await self._snapshot_item(who, row) for row in rows], next_cursor=next_cursor
        )

    async def _snapshot_item(self, who: Principal, row: dict[str, Any]) -> SnapshotItem:
        url = None
        if row["object_key"]:
            url = await self.photo_url(who, row["object_key"], checkin_id=None, purpose="cctv")
        return SnapshotItem(
            id=row["id"],
            camera_id=row["camera"],
            taken_at=row["taken_at"],
            source=row["source"],
            people=row["people"],
            image_url=url,
            officers=row["officers"],
        )

    async def alerts(
        self, *, open_only: bool = False, limit: int = DEFAULT_PAGE_SIZE, cursor: str | None = None
    ) -> AlertList:
        """Queue and dark-camera alerts, newest first."""
        query = AlertTable.select(
            AlertTable.all_columns(), AlertTable.camera.code.as_alias("camera_code")
        )
        where = None
        if open_only:
            where = AlertTable.closed_at.is_null()
        if cursor:
            at, row_id = decode_cursor(cursor)
            before = (AlertTable.opened_at < at) | (
                (AlertTable.opened_at == at) & (AlertTable.id < row_id)
            )
            where = before if where is None else where & before
        if where is not None:
            query = query.where(where)
        rows = await query.order_by(AlertTable.opened_at, AlertTable.id, ascending=False).limit(
            limit + 1
        )
        rows, next_cursor = page(rows, limit, "opened_at")
        return AlertList(
            items=[
                Alert(
                    id=row["id"],
                    camera_id=row["camera"],
                    camera_code=row["camera_code"],
                    kind=row["kind"],
                    gerai=row["gerai"],
                    opened_at=row["opened_at"],
                    closed_at=row["closed_at"],
                    threshold=row["threshold"],
                    peak=row["peak"],
                )
                for row in rows
            ],
            next_cursor=next_cursor,
        )

    async def exit_events(
        self,
        who: Principal,
        *,
        since: dt.datetime | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
    ) -> ExitEventList:
        """Exit events this person may see (backend/cctv/exits.py)."""
        if self.exits is None:
            return ExitEventList(
                items=[], next_cursor=None, purpose=self.settings.cctv_exit_purpose
            )
        return await self.exits.events(who, since=since, limit=limit, cursor=cursor)

    # --- periodic -----------------------------------------------------------------------------

    async def purge(self, cutoff: dt.datetime, *, limit: int = 500) -> int:
        """Delete pictures taken before `cutoff` from the store; the rows and counts stay."""
        purged = 0
        while True:
            rows = await (
                Snapshot.select(Snapshot.id, Snapshot.object_key)
                .where((Snapshot.taken_at < cutoff) & (Snapshot.object_key != ""))
                .order_by(Snapshot.taken_at)
                .limit(limit)
            )
            if not rows:
                return purged
            for row in rows:
                await self.store.delete(row["object_key"])
            await Snapshot.update({Snapshot.object_key: ""}).where(
                Snapshot.id.is_in([row["id"] for row in rows])
            )
            purged += len(rows)

    async def find_dark(self, now: dt.datetime) -> int:
        """Open an alert (and tell the admins) for each camera that went dark and has none."""
        rows = await CameraTable.select(
            CameraTable.id,
            CameraTable.code,
            CameraTable.name,
            CameraTable.gerai,
            CameraTable.interval_s,
            CameraTable.created_at,
            CameraTable.last_snapshot_at,
        ).where(CameraTable.dark_alert.is_null())
        opened = 0
        for row in rows:
            state = health_state(
                row["last_snapshot_at"],
                row["created_at"],
                row["interval_s"],
                self.settings.cctv_dark_intervals,
                now,
            )
            if state != DARK:
                continue
            admins = await self.admins()
            async with self.outbox.transaction():
                alert = await AlertTable.insert(
                    AlertTable(camera=row["id"], kind="dark", gerai=row["gerai"], opened_at=now)
                ).returning(AlertTable.id)
                alert_id = alert[0]["id"]
                taken = (
                    await CameraTable.update({CameraTable.dark_alert: alert_id})
                    .where((CameraTable.id == row["id"]) & CameraTable.dark_alert.is_null())
                    .returning(CameraTable.id)
                )
                if not taken:  # another worker raised it a moment ago
                    await AlertTable.delete().where(AlertTable.id == alert_id)
                    continue
                last = row["last_snapshot_at"]
                since = f"sejak {last:%Y-%m-%d %H:%M} UTC" if last else "sejak didaftarkan"
                await self.outbox.add(
                    *[
                        notice(
                            employee_id,
                            kind="cctv_dark",
                            subject=str(alert_id),
                            title=f"Kamera {row['name']} tidak mengirim gambar",
                            body=f"Tidak ada snapshot dari {row['code']} {since}",
                            url="/",
                        )
                        for employee_id in admins
                    ]
                )
            opened += 1
        return opened
