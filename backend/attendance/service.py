"""Check-ins: store each phone record exactly once, decide what it means, say why.

The rules (clock correction, flags, the status) are plain functions that the unit tests call;
`CheckIns` does the I/O around them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from typing import Any

import msgspec
from piccolo.engine.base import Engine

from backend.attendance import risk
from backend.attendance.day_status import work_date_for
from backend.attendance.schemas import CheckIn, CheckInList, CheckInMeta, Reason
from backend.attendance.tables import CheckIn as CheckInTable
from backend.core import outbox as events
from backend.core import policy
from backend.core.auth import Principal
from backend.core.errors import Conflict, Invalid, NotFound, Unavailable
from backend.core.outbox import Outbox
from backend.core.settings import Settings
from backend.core.storage import ObjectStore
from backend.devices.service import Devices
from backend.faces import recognition
from backend.faces.service import Faces, for_employee
from backend.geofence import fences
from backend.geofence.schemas import FenceResult
from backend.geofence.service import Geofences
from backend.org import service as org
from backend.permits.service import Permits

log = logging.getLogger(__name__)

PENDING, ACCEPTED, FLAGGED, REJECTED = "pending", "accepted", "flagged", "rejected"

# Reasons that only explain a good outcome; every other reason sends the record to BKD review.
INFO_CODES = frozenset(
    {"inside_fence", "face_match", "review_accepted", "liveness_passed", "kiosk_identified"}
)
# The face verdicts of the verification job (faces.service.verify_selfie).
FACE_CODES = frozenset(
    {"face_match", "face_mismatch", "no_face", "multiple_faces", "not_enrolled", "bad_selfie"}
)

# The multipart parts that may carry the liveness challenge's frames (meta.liveness names them).
FRAME_PARTS = tuple(f"frame{i}" for i in range(8))


# --- pure rules -------------------------------------------------------------------------------


class Clock(msgspec.Struct, frozen=True):
    skew: dt.timedelta  # received_at - sent_at: how far the phone's clock is behind the server's
    corrected_captured_at: dt.datetime


def correct_clock(meta: CheckInMeta, received_at: dt.datetime, settings: Settings) -> Clock:
    """Move the phone's capture time onto the server's clock.

    corrected - received_at equals captured_at - sent_at, so a capture "in the future" is one
    the phone itself dates after the send: that is refused. A phone clock that is simply wrong
    (captured_at and sent_at both far off) is corrected here and flagged by `assess`.
    """
    if meta.captured_at > meta.sent_at + dt.timedelta(seconds=settings.future_tolerance_s):
        raise Invalid(
            "Waktu pengambilan (captured_at) berada di masa depan: lebih lambat dari waktu kirim (sent_at)"
        )
    skew = received_at - meta.sent_at
    return Clock(skew=skew, corrected_captured_at=meta.captured_at + skew)


class Neighbour(msgspec.Struct, frozen=True):
    lat: float
    lon: float
    at: dt.datetime


def _minutes(delta: dt.timedelta) -> str:
    minutes = abs(delta.total_seconds()) / 60
    if minutes < 1:
        return f"{abs(delta.total_seconds()):.0f} detik"
    if minutes < 90:
        return f"{minutes:.0f} menit"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} jam".replace(".", ",")
    return f"{minutes / 1440:.1f} hari".replace(".", ",")


def _metres(distance_m: float) -> str:
    if distance_m < 1000:
        return f"{distance_m:.0f} m"
    return f"{distance_m / 1000:.1f} km".replace(".", ",")


def travel_reason(
    lat: float, lon: float, at: dt.datetime, neighbours: list[Neighbour], max_kmh: float
) -> Reason | None:
    """Flag a record that could not be reached from its neighbours in time (GPS spoofing,
    a borrowed phone)."""
    for other in neighbours:
        distance_m = fences.distance_between_m(lon, lat, other.lon, other.lat)
        hours = abs((at - other.at).total_seconds()) / 3600
        # Below a kilometre GPS noise and walking dominate; no speed is meaningful there.
        if distance_m < 1000:
            continue
        speed = distance_m / 1000 / max(hours, 1 / 3600)
        if speed > max_kmh:
            return Reason(
                "impossible_travel",
                f"Berpindah {_metres(distance_m)} dalam {_minutes(at - other.at)} dari presensi "
                f"lain ({speed:.0f} km/jam), tidak mungkin ditempuh",
            )
    return None


def assess(
    meta: CheckInMeta,
    *,
    received_at: dt.datetime,
    clock: Clock,
    fence: fences.FenceCheck | None,
    fence_name: str | None,
    settings: Settings,
) -> tuple[str, list[Reason]]:
    """The status at arrival (`rejected`, or `pending` until the selfie is verified) and why."""
    reasons: list[Reason] = []
    if abs(clock.skew.total_seconds()) > settings.max_clock_skew_s:
        ahead = "lebih cepat" if clock.skew.total_seconds() < 0 else "lebih lambat"
        reasons.append(
            Reason("clock_skew", f"Jam ponsel {ahead} {_minutes(clock.skew)} dari jam server")
        )
    age = received_at - clock.corrected_captured_at
    if age > dt.timedelta(hours=settings.max_capture_age_hours):
        reasons.append(Reason("late_sync", f"Direkam {_minutes(age)} sebelum diterima server"))
    if meta.mock_location:
        reasons.append(Reason("mock_location", "Ponsel melaporkan lokasi palsu (mock location)"))
    if meta.lat is None or meta.lon is None:
        reasons.append(Reason("no_location", "Lokasi GPS tidak tersedia saat presensi"))
        return PENDING, reasons
    if fence is None:
        reasons.append(
            Reason("no_fence", "Unit kerja belum memiliki lokasi presensi; perlu diperiksa BKD")
        )
        return PENDING, reasons
    if fence.accuracy_exceeded:
        reasons.append(
            Reason(
                "low_accuracy",
                f"Akurasi GPS {_metres(meta.accuracy_m or 0)} melebihi batas lokasi",
            )
        )
    if fence.decision == fences.Decision.OUTSIDE:
        reasons.append(
            Reason(
                "outside_fence",
                f"Di luar area presensi: {_metres(fence.distance_m)} dari {fence_name}",
            )
        )
        return REJECTED, reasons
    if fence.decision == fences.Decision.UNCERTAIN:
        reasons.append(
            Reason(
                "near_fence",
                f"{_metres(fence.distance_m)} di luar {fence_name}, masih dalam jangkauan akurasi GPS",
            )
        )
    else:
        reasons.append(Reason("inside_fence", f"Di dalam area {fence_name}"))
    return PENDING, reasons


def final_status(reasons: list[Reason]) -> str:
    """After verification: accepted only when every reason is a good one."""
    if any(r.code == "outside_fence" for r in reasons):
        return REJECTED
    return ACCEPTED if all(r.code in INFO_CODES for r in reasons) else FLAGGED


def inspect_selfie(data: bytes, settings: Settings) -> None:
    """Cheap header checks in the request path; the worker decodes the image fully."""
    recognition.check_upload(
        data,
        what="Foto selfie",
        max_bytes=settings.selfie_max_bytes,
        max_pixels=settings.selfie_max_pixels,
    )


def content_hash(
    meta: CheckInMeta, selfie_sha256: str, frame_sha256: list[str] | None = None
) -> str:
    """What a replay must match. `sent_at` is left out: every retry is sent at a new time.
    The liveness challenge and its frames join it only when sent, so the hash of a record
    without them is what it always was."""
    fields: list[Any] = [
        str(meta.client_id),
        meta.kind,
        meta.lat,
        meta.lon,
        meta.accuracy_m,
        meta.captured_at,
        selfie_sha256,
    ]
    if meta.liveness is not None:
        fields.append([msgspec.to_builtins(meta.liveness), frame_sha256 or []])
    return hashlib.sha256(msgspec.json.encode(fields)).hexdigest()


def kiosk_kind(already_in: bool, local: dt.time, out_from: dt.time) -> str:
    """A face kiosk's capture is a check-in (`in`) until the employee has one that day and the
    local time reaches `out_from` (HADIR_KIOSK_OUT_FROM); then it is a check-out. Looking twice
    at the kiosk in the morning makes two check-ins, never an early check-out."""
    return "out" if already_in and local >= out_from else "in"


class KioskCapture(msgspec.Struct, frozen=True):
    """A face kiosk's capture of an identified employee, as the kiosk domain hands it over."""

    client_id: uuid.UUID
    employee_id: int
    nip: str
    unit_id: int
    captured_at: dt.datetime
    sent_at: dt.datetime
    kiosk_id: int
    location_id: int
    location_name: str
    distance: float | None
    reasons: list[Reason]  # kiosk_identified and the liveness verdict


def flagged_notice(
    checkin_id: int, employee_id: int, reasons: list[Reason], *, title: str
) -> events.Event:
    """The push telling an employee their record went to BKD, with the reasons in their words
    (the phone's verification and the kiosk's both send it)."""
    flags = [for_employee(r.code, r.message) for r in reasons if r.code not in INFO_CODES]
    return events.notice(
        employee_id,
        kind="checkin_flagged",
        subject=str(checkin_id),
        title=title,
        body="; ".join(flags)[:200],
        url=f"/#/presensi/{checkin_id}",
    )


def selfie_key(nip: str, client_id: uuid.UUID, day: dt.date) -> str:
    return f"selfies/{day:%Y/%m/%d}/{nip}/{client_id}.jpg"


def liveness_key(
    nip: str, client_id: uuid.UUID, day: dt.date, challenge: list[str], part: str, step: str
) -> str:
    """Where a challenge frame is stored: beside the selfie's date and NIP, in a folder that
    names the challenge, the file its part and step (all the verification job needs)."""
    return f"liveness/{day:%Y/%m/%d}/{nip}/{client_id}/{'-'.join(challenge)}/{part}-{step}.jpg"


def parse_liveness_key(key: str) -> tuple[list[str], str]:
    """(challenge, step) from a key made by `liveness_key`."""
    *_, challenge, name = key.split("/")
    return challenge.split("-"), name.removesuffix(".jpg").split("-", 1)[1]


def liveness_frames(
    meta: CheckInMeta, parts: dict[str, bytes], settings: Settings
) -> list[tuple[str, str, bytes]]:
    """The challenge frames as (part, step, JPEG) in the order meta.liveness lists them, after
    the request-path checks: the parts named are exactly the parts sent, each named once, the
    two steps differ, every frame shows `front` or an asked step, and each JPEG is bounded like
    the selfie."""
    if meta.liveness is None:
        if parts:
            raise Invalid(
                f"Bagian {', '.join(sorted(parts))} dikirim tanpa keterangan liveness di meta"
            )
        return []
    challenge = meta.liveness.challenge
    if challenge[0] == challenge[1]:
        raise Invalid("meta.liveness.challenge: dua langkah harus berbeda")
    named = [f.part for f in meta.liveness.frames]
    if len(set(named)) != len(named):
        raise Invalid("meta.liveness.frames: satu bagian disebut lebih dari sekali")
    if set(named) != set(parts):
        missing = sorted(set(named) - set(parts))
        extra = sorted(set(parts) - set(named))
        said = []
        if missing:
            said.append(f"tidak terkirim: {', '.join(missing)}")
        if extra:
            said.append(f"tidak disebut di meta: {', '.join(extra)}")
        raise Invalid("Gambar tantangan tidak sesuai meta.liveness (" + "; ".join(said) + ")")
    frames = []
    for frame in meta.liveness.frames:
        if frame.step != "front" and frame.step not in challenge:
            raise Invalid(f"meta.liveness.frames: langkah '{frame.step}' tidak ada dalam tantangan")
        data = parts[frame.part]
        recognition.check_upload(
            data,
            what=f"Gambar tantangan {frame.part}",
            max_bytes=settings.selfie_max_bytes,
            max_pixels=settings.selfie_max_pixels,
        )
        frames.append((frame.part, frame.step, data))
    return frames


def decode_meta(raw: bytes | str) -> CheckInMeta:
    from backend.core.errors import invalid_from_msgspec

    try:
        meta = msgspec.json.decode(raw, type=CheckInMeta)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise invalid_from_msgspec(exc, part="meta") from None
    if (meta.lat is None) != (meta.lon is None):
        raise Invalid("meta: lat dan lon harus sama-sama diisi atau sama-sama null")
    if meta.lat is not None and meta.accuracy_m is None:
        raise Invalid("meta.accuracy_m: wajib diisi bila ada lokasi")
    return meta


# --- I/O ---------------------------------------------------------------------------------------


def to_struct(row: dict[str, Any], location_name: str | None) -> CheckIn:
    geofence = None
    if row["decision"] is not None:
        geofence = FenceResult(
            location_id=row["location"],
            location_name=location_name,
            decision=row["decision"],
            distance_m=row["distance_m"] or 0.0,
        )
    return CheckIn(
        id=row["id"],
        client_id=row["client_id"],
        kind=row["kind"],
        status=row["status"],
        reasons=msgspec.convert(row["reasons"], list[Reason]),
        geofence=geofence,
        lat=row["lat"],
        lon=row["lon"],
        accuracy_m=row["accuracy_m"],
        captured_at=row["captured_at"],
        received_at=row["received_at"],
        corrected_captured_at=row["corrected_captured_at"],
        work_date=row["work_date"],
        face_distance=row["face_distance"],
        source=row.get("source") or "phone",
        device_id=row.get("device_id"),
        device_seq=row.get("device_seq"),
        liveness=row.get("liveness") or "",
    )


class CheckIns:
    def __init__(
        self,
        *,
        settings: Settings,
        engine: Engine,
        store: ObjectStore,
        outbox: Outbox,
        geofences: Geofences,
        units: org.UnitDirectory,
        permits: Permits,
        faces: Faces,
        devices: Devices,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.store = store
        self.outbox = outbox
        self.geofences = geofences
        self.units = units
        self.permits = permits
        self.faces = faces
        self.devices = devices

    async def submit(
        self,
        who: Principal,
        meta_raw: bytes | str,
        selfie: bytes,
        frames: dict[str, bytes] | None = None,
        *,
        chain: bytes | None = None,
        files: dict[str, bytes] | None = None,
    ) -> tuple[CheckIn, bool]:
        """Store a record once. Returns (the stored record, whether it was new).

        `frames`: the liveness challenge's parts by name (`frame0`..`frame7`), as meta.liveness
        names them; none from older PWAs. `chain` is the device's signed chain block: judged
        (and its link logged) before anything else, so a record refused below still holds its
        place in the chain; what is wrong with it flags the record, never refuses it. None: an
        unsigned record. `files`: every file part of the request by name, as the device signed
        them (default: the selfie and the frames)."""
        received_at = dt.datetime.now(dt.UTC)
        signed = await self.devices.verify_record(
            who.employee_id,
            chain,
            kind="checkin",
            meta=meta_raw,
            files=files if files is not None else {"selfie": selfie, **(frames or {})},
        )
        meta = decode_meta(meta_raw)
        inspect_selfie(selfie, self.settings)
        challenge_frames = liveness_frames(meta, frames or {}, self.settings)
        clock = correct_clock(meta, received_at, self.settings)
        zone = await self.units.timezone(who.unit_id)
        # The day of the shift the record opens or closes (a 06:05 check-out closes last night's).
        work_date = work_date_for(
            clock.corrected_captured_at.astimezone(zone),
            await self.units.schedule_days(who.employee_id),
        )

        fence = fence_result = None
        if meta.lat is not None and meta.lon is not None:
            fence, fence_result = await self.geofences.check_unit(
                who.unit_id, meta.lon, meta.lat, meta.accuracy_m or 0.0
            )
            if fence is None or fence.decision != fences.Decision.INSIDE:
                # An approved dinas luar makes its destination a place to check in that day.
                # Asked only when the unit's own fences did not already say inside.
                extra = await self.permits.dinas_luar_destinations(who.employee_id, work_date)
                if extra:
                    fence, fence_result = await self.geofences.check_unit(
                        who.unit_id, meta.lon, meta.lat, meta.accuracy_m or 0.0, extra=extra
                    )
        status, reasons = assess(
            meta,
            received_at=received_at,
            clock=clock,
            fence=fence,
            fence_name=fence_result.location_name if fence_result else None,
            settings=self.settings,
        )
        reasons += [Reason(r.code, r.message) for r in signed.reasons]
        selfie_sha = hashlib.sha256(selfie).hexdigest()
        digest = content_hash(
            meta, selfie_sha, [hashlib.sha256(data).hexdigest() for _, _, data in challenge_frames]
        )
        key = selfie_key(who.nip, meta.client_id, work_date)
        frame_keys = [
            (
                liveness_key(
                    who.nip, meta.client_id, work_date, list(meta.liveness.challenge), part, step
                ),
                data,
            )
            for part, step, data in challenge_frames
            if meta.liveness is not None
        ]
        row = CheckInTable(
            client_id=meta.client_id,
            employee=who.employee_id,
            kind=meta.kind,
            lat=meta.lat,
            lon=meta.lon,
            accuracy_m=meta.accuracy_m,
            captured_at=meta.captured_at,
            sent_at=meta.sent_at,
            received_at=received_at,
            corrected_captured_at=clock.corrected_captured_at,
            work_date=work_date,
            status=status,
            reasons=msgspec.to_builtins(reasons),
            location=fence.location_id if fence else None,
            decision=str(fence.decision) if fence else None,
            distance_m=round(fence.distance_m, 1) if fence else None,
            selfie_key=key,
            selfie_sha256=selfie_sha,
            content_hash=digest,
            device_id=signed.device_id,
            device_seq=signed.seq if signed.device_id is not None else None,
            liveness_keys=[k for k, _ in frame_keys],
        )
        try:
            # The photo first, outside any transaction: S3 being slow must not hold SQLite's
            # write lock or a PostgreSQL connection. Its key follows from the client_id, so a
            # retry overwrites the same object; a replay writes none (its photo may differ). A
            # row that then fails to insert leaves an unreferenced photo, a lesser harm than a
            # row without one.
            if not await CheckInTable.exists().where(CheckInTable.client_id == meta.client_id):
                await self.store.put(key, selfie, "image/jpeg")
                for frame_key, data in frame_keys:
                    await self.store.put(frame_key, data, "image/jpeg")
            async with self.outbox.transaction():
                inserted = (
                    await CheckInTable.insert(row)
                    # No conflict target: client_id is the only unique key besides id; a table
                    # partitioned by month keeps it in a guard table (attendance/partitions.py).
                    .on_conflict(action="DO NOTHING")
                    .returning(CheckInTable.id)
                )
                if inserted and status == PENDING:
                    # The verification is recorded with the row, in the same transaction.
                    await self.outbox.add(events.checkin_received(inserted[0]["id"]))
        except Exception as exc:
            log.exception("storing check-in %s failed", meta.client_id)
            raise Unavailable("Penyimpanan sedang bermasalah; presensi akan dikirim ulang") from exc
        if not inserted:
            return await self._replay(who, meta.client_id, digest), False
        checkin_id = inserted[0]["id"]
        stored = row.to_dict()
        stored["id"] = checkin_id
        stored["face_distance"] = None
        stored["liveness"] = ""
        return to_struct(stored, fence_result.location_name if fence_result else None), True

    async def submit_at_kiosk(
        self, capture: KioskCapture, photo: bytes, *, kind: str | None = None
    ) -> tuple[CheckIn, bool]:
        """Store the check-in of an employee a face kiosk identified, once per client_id:
        source `kiosk`, at the kiosk's location (no GPS: the kiosk stands at a known place),
        settled at once (the face was already matched 1:N), with the same follow-up as a
        verified phone record (day status, CCTV evidence, a notice when flagged). `kind` None:
        decided by `kiosk_kind`. Returns (the record, whether it was new)."""
        received_at = dt.datetime.now(dt.UTC)
        meta = CheckInMeta(
            client_id=capture.client_id,
            kind=kind or "in",
            lat=None,
            lon=None,
            accuracy_m=None,
            captured_at=capture.captured_at,
            sent_at=capture.sent_at,
        )
        clock = correct_clock(meta, received_at, self.settings)
        zone = await self.units.timezone(capture.unit_id)
        local = clock.corrected_captured_at.astimezone(zone)
        work_date = work_date_for(local, await self.units.schedule_days(capture.employee_id))
        if kind is None:
            already_in = await CheckInTable.exists().where(
                (CheckInTable.employee == capture.employee_id)
                & (CheckInTable.work_date == work_date)
                & (CheckInTable.kind == "in")
                & (CheckInTable.status != REJECTED)
                & (CheckInTable.corrected_captured_at < clock.corrected_captured_at)
                & (CheckInTable.client_id != capture.client_id)
            )
            out_from = dt.time.fromisoformat(self.settings.kiosk_out_from)
            meta = msgspec.structs.replace(
                meta, kind=kiosk_kind(already_in, local.time().replace(tzinfo=None), out_from)
            )
        # The clock reasons of a phone record (skew, late sync); "no GPS" means nothing here.
        _, clock_reasons = assess(
            meta,
            received_at=received_at,
            clock=clock,
            fence=None,
            fence_name=None,
            settings=self.settings,
        )
        reasons = [r for r in clock_reasons if r.code != "no_location"] + capture.reasons
        status = final_status(reasons)
        selfie_sha = hashlib.sha256(photo).hexdigest()
        key = selfie_key(capture.nip, capture.client_id, work_date)
        row = CheckInTable(
            client_id=capture.client_id,
            employee=capture.employee_id,
            kind=meta.kind,
            lat=None,
            lon=None,
            accuracy_m=None,
            captured_at=capture.captured_at,
            sent_at=capture.sent_at,
            received_at=received_at,
            corrected_captured_at=clock.corrected_captured_at,
            work_date=work_date,
            status=status,
            reasons=msgspec.to_builtins(reasons),
            location=capture.location_id,
            decision=None,
            distance_m=None,
            selfie_key=key,
            selfie_sha256=selfie_sha,
            # The kind is the server's decision, not the kiosk's: left out of what a replay
            # must match.
            content_hash=content_hash(msgspec.structs.replace(meta, kind="in"), selfie_sha),
            face_distance=capture.distance,
            verified_at=received_at,
            source="kiosk",
            kiosk_id=capture.kiosk_id,
        )
        try:
            if not await CheckInTable.exists().where(CheckInTable.client_id == capture.client_id):
                await self.store.put(key, photo, "image/jpeg")
            async with self.outbox.transaction():
                inserted = (
                    await CheckInTable.insert(row)
                    .on_conflict(action="DO NOTHING")
                    .returning(CheckInTable.id)
                )
                if inserted:
                    checkin_id = inserted[0]["id"]
                    await self.outbox.add(events.day_changed(capture.employee_id, work_date))
                    if status != REJECTED:
                        await self.outbox.add(
                            events.checkin_settled(
                                checkin_id,
                                capture.employee_id,
                                capture.location_id,
                                clock.corrected_captured_at,
                            )
                        )
                    if status == FLAGGED:
                        await self.outbox.add(
                            flagged_notice(
                                checkin_id,
                                capture.employee_id,
                                reasons,
                                title="Presensi kiosk perlu diperiksa BKD",
                            )
                        )
        except Exception as exc:
            log.exception("storing kiosk check-in %s failed", capture.client_id)
            raise Unavailable("Penyimpanan sedang bermasalah; presensi akan dikirim ulang") from exc
        if not inserted:
            stored_row = (
                await CheckInTable.select()
                .where(CheckInTable.client_id == capture.client_id)
                .first()
                .output(load_json=True)
            )
            if stored_row is None or stored_row["employee"] != capture.employee_id:
                raise Conflict(
                    "client_id ini sudah dipakai untuk presensi lain; buat presensi baru"
                )
            return to_struct(stored_row, capture.location_name), False
        stored = row.to_dict()
        stored["id"] = inserted[0]["id"]
        return to_struct(stored, capture.location_name), True

    async def queue_verification(self, checkin_ids: list[int]) -> None:
        """Ask again for the verification of pending check-ins (the sweep; normally the outbox
        row written with the check-in does it)."""
        async with self.outbox.transaction():
            await self.outbox.add(*[events.checkin_received(i) for i in checkin_ids])

    async def _replay(self, who: Principal, client_id: uuid.UUID, digest: str) -> CheckIn:
        row = (
            await CheckInTable.select()
            .where(CheckInTable.client_id == client_id)
            .first()
            .output(load_json=True)
        )
        if row is None:  # pragma: no cover - the conflicting row cannot vanish
            raise Unavailable("Coba kirim ulang")
        if row["employee"] != who.employee_id or row["content_hash"] != digest:
            raise Conflict(
                "client_id ini sudah dipakai untuk presensi lain dengan isi berbeda; buat presensi baru"
            )
        return to_struct(row, await self.geofences.name_of(row["location"]))

    async def _neighbours(
        self, employee_id: int, at: dt.datetime, *, exclude_id: int
    ) -> list[Neighbour]:
        """The employee's located records just before and just after `at` (within a day)."""
        window = dt.timedelta(hours=24)
        mine = (
            (CheckInTable.employee == employee_id)
            & CheckInTable.lat.is_not_null()
            & (CheckInTable.id != exclude_id)
        )
        columns = (CheckInTable.lat, CheckInTable.lon, CheckInTable.corrected_captured_at)
        when = CheckInTable.corrected_captured_at
        before = (
            await CheckInTable.select(*columns)
            .where(mine & (when <= at) & (when > at - window))
            .order_by(when, ascending=False)
            .first()
        )
        after = (
            await CheckInTable.select(*columns)
            .where(mine & (when > at) & (when < at + window))
            .order_by(when)
            .first()
        )
        return [
            Neighbour(lat=r["lat"], lon=r["lon"], at=r["corrected_captured_at"])
            for r in (before, after)
            if r
        ]

    async def row(self, checkin_id: int) -> dict[str, Any]:
        row = (
            await CheckInTable.select()
            .where(CheckInTable.id == checkin_id)
            .first()
            .output(load_json=True)
        )
        if row is None:
            raise NotFound("Presensi tidak ditemukan")
        return row

    async def get(self, who: Principal, checkin_id: int) -> CheckIn:
        row = await self.row(checkin_id)
        await self._may_see(who, row["employee"])
        return to_struct(row, await self.geofences.name_of(row["location"]))

    async def _may_see(self, who: Principal, employee_id: int) -> None:
        # A check-in carries GPS points: the policy table says who reads whose (not `command`).
        # Same answer as a missing record: do not confirm that someone else's id exists.
        await policy.ensure(
            who,
            "checkin.read",
            NotFound("Presensi tidak ditemukan"),
            self.units.tree,
            employee_id=employee_id,
        )

    async def list_day(
        self, who: Principal, day: dt.date | None, *, now: dt.datetime | None = None
    ) -> CheckInList:
        """The caller's records of `day`, by default the unit's today at `now`."""
        if day is None:
            day = await self.units.today(who.unit_id, now)
        rows = (
            await CheckInTable.select()
            .where((CheckInTable.employee == who.employee_id) & (CheckInTable.work_date == day))
            .order_by(CheckInTable.corrected_captured_at)
            .output(load_json=True)
        )
        items = [to_struct(row, await self.geofences.name_of(row["location"])) for row in rows]
        return CheckInList(date=day, items=items)

    # --- verification (the verify_checkin job) ---------------------------------------------

    async def verify(self, checkin_id: int) -> str | None:
        """Verify a pending check-in's selfie and settle its status (idempotent)."""
        row = await self.pending_for_verification(checkin_id)
        if row is None:
            return None
        check = await self.faces.verify_selfie(row["employee"], row["selfie_key"])
        live = await self.check_liveness(row)
        return await self.finish_verification(
            checkin_id, Reason(check.code, check.message), check.distance, liveness=live
        )

    async def check_liveness(self, row: dict[str, Any]) -> Reason | None:
        """The liveness reason of a record that carries challenge frames (None: none sent).
        Judged after the face check, against the stored selfie."""
        keys = row.get("liveness_keys") or []
        if not keys:
            return None
        challenge, _ = parse_liveness_key(keys[0])
        try:
            selfie = await self.store.get(row["selfie_key"])
            frames = [(parse_liveness_key(k)[1], await self.store.get(k)) for k in keys]
        except NotFound:
            return Reason(
                "liveness_failed",
                "Tantangan gerak kepala tidak dapat diperiksa: gambarnya tidak ditemukan",
            )
        check = await self.faces.check_liveness(challenge, frames, selfie)
        return Reason(check.code, check.message)

    async def pending_for_verification(self, checkin_id: int) -> dict[str, Any] | None:
        return (
            await CheckInTable.select(
                CheckInTable.id,
                CheckInTable.employee,
                CheckInTable.status,
                CheckInTable.selfie_key,
                CheckInTable.liveness_keys,
                CheckInTable.reasons,
                CheckInTable.lat,
                CheckInTable.lon,
                CheckInTable.corrected_captured_at,
                CheckInTable.location,
                CheckInTable.accuracy_m,
                CheckInTable.sent_at,
                CheckInTable.received_at,
                CheckInTable.work_date,
                CheckInTable.device_id,
            )
            .where((CheckInTable.id == checkin_id) & (CheckInTable.status == PENDING))
            .first()
            .output(load_json=True)
        )

    async def finish_verification(
        self,
        checkin_id: int,
        face_reason: Reason,
        face_distance: float | None,
        *,
        liveness: Reason | None = None,
    ) -> str | None:
        """Add the face verdict (and the liveness one, when frames were sent) and settle the
        status. Idempotent: a settled record is left alone."""
        row = await self.pending_for_verification(checkin_id)
        if row is None:
            return None
        reasons = [*msgspec.convert(row["reasons"], list[Reason]), face_reason]
        if liveness is not None:
            reasons.append(liveness)
        # Travel is judged here rather than at arrival: offline records arrive out of order, and
        # by now the neighbours on both sides in time are more likely to be in. It also keeps
        # two queries out of the check-in request path.
        if row["lat"] is not None:
            at = row["corrected_captured_at"]
            neighbours = await self._neighbours(row["employee"], at, exclude_id=checkin_id)
            travel = travel_reason(
                row["lat"], row["lon"], at, neighbours, self.settings.max_travel_kmh
            )
            if travel:
                reasons.insert(reasons.index(face_reason), travel)
        # The spoof-risk score from everything known at settling (CCTV evidence usually comes
        # after: `rescore`). At the threshold it sends the record to BKD with its top parts.
        scored = await self.risk_of(
            row, reasons, face_code=face_reason.code, face_distance=face_distance, cctv=None
        )
        high = risk.high_risk_reason(scored, self.settings.risk_flag_threshold)
        if high:
            reasons.insert(reasons.index(face_reason), high)
        status = final_status(reasons)
        async with self.outbox.transaction():
            settled = (
                await CheckInTable.update(
                    {
                        CheckInTable.status: status,
                        CheckInTable.reasons: msgspec.to_builtins(reasons),
                        CheckInTable.face_distance: face_distance,
                        CheckInTable.verified_at: dt.datetime.now(dt.UTC),
                        CheckInTable.risk_score: scored.total,
                        CheckInTable.risk_parts: msgspec.to_builtins(scored.parts),
                        CheckInTable.liveness: (
                            ""
                            if liveness is None
                            else "passed"
                            if liveness.code == "liveness_passed"
                            else "failed"
                        ),
                    }
                )
                .where((CheckInTable.id == checkin_id) & (CheckInTable.status == PENDING))
                .returning(CheckInTable.work_date)
            )
            if settled:
                await self.outbox.add(events.day_changed(row["employee"], settled[0]["work_date"]))
            if settled and row["location"] is not None and status != REJECTED:
                # Evidence from the location's cameras, if it has any (the cctv domain's job).
                await self.outbox.add(
                    events.checkin_settled(
                        checkin_id, row["employee"], row["location"], row["corrected_captured_at"]
                    )
                )
            if settled and status == FLAGGED:
                await self.outbox.add(
                    flagged_notice(
                        checkin_id, row["employee"], reasons, title="Presensi perlu diperiksa BKD"
                    )
                )
        return status

    # --- spoof-risk score (attendance/risk.py) ------------------------------------------------

    async def _history(self, employee_id: int, *, exclude_id: int) -> list[risk.Past]:
        """The employee's newest other records (bounded by the rules' `history`), as the
        accuracy, coordinate and device patterns read them. Other, not only earlier: offline
        records arrive out of order, and a pattern is a pattern either way."""
        rows = (
            await CheckInTable.select(
                CheckInTable.work_date,
                CheckInTable.lat,
                CheckInTable.lon,
                CheckInTable.accuracy_m,
                CheckInTable.device_id,
            )
            .where((CheckInTable.employee == employee_id) & (CheckInTable.id != exclude_id))
            .order_by(CheckInTable.corrected_captured_at, ascending=False)
            .limit(max(1, self.settings.risk_rules.history))
        )
        return [risk.Past(**row) for row in rows]

    async def risk_of(
        self,
        row: dict[str, Any],
        reasons: list[Reason],
        *,
        face_code: str | None,
        face_distance: float | None,
        cctv: risk.CctvSignal | None,
    ) -> risk.RiskScore:
        """Gather a record's signals (its row, its reasons, the employee's history) and score."""
        signals = risk.RiskSignals(
            reasons=reasons,
            work_date=row["work_date"],
            lat=row["lat"],
            lon=row["lon"],
            accuracy_m=row["accuracy_m"],
            skew_s=(row["received_at"] - row["sent_at"]).total_seconds(),
            face_code=face_code,
            face_distance=face_distance,
            face_tolerance=self.settings.face_tolerance,
            device_id=row.get("device_id"),
            history=await self._history(row["employee"], exclude_id=row["id"]),
            cctv=cctv,
        )
        return risk.score(signals, self.settings.risk_rules, self.settings.risk_score_max)

    async def rescore(self, checkin_id: int, cctv: risk.CctvSignal) -> float | None:
        """Score a settled record again once CCTV evidence is in (the cctv domain's evidence
        job calls this). Only the score and its parts change: the status and the `high_risk`
        reason stay as decided at settling (evidence is never a verdict), but the desk's order
        follows the new score. None when the record has no score (pending, rejected, older)."""
        row = (
            await CheckInTable.select()
            .where((CheckInTable.id == checkin_id) & CheckInTable.risk_score.is_not_null())
            .first()
            .output(load_json=True)
        )
        if row is None:
            return None
        reasons = msgspec.convert(row["reasons"], list[Reason])
        face = next((r.code for r in reasons if r.code in FACE_CODES), None)
        scored = await self.risk_of(
            row, reasons, face_code=face, face_distance=row["face_distance"], cctv=cctv
        )
        await CheckInTable.update(
            {
                CheckInTable.risk_score: scored.total,
                CheckInTable.risk_parts: msgspec.to_builtins(scored.parts),
            }
        ).where(CheckInTable.id == checkin_id)
        return scored.total

    async def checked_in(
        self, employee_ids: list[int], days: list[dt.date]
    ) -> set[tuple[int, dt.date]]:
        """(employee, work_date) pairs among these with a check-in that was not rejected."""
        if not employee_ids or not days:
            return set()
        rows = await CheckInTable.select(CheckInTable.employee, CheckInTable.work_date).where(
            CheckInTable.employee.is_in(employee_ids)
            & CheckInTable.work_date.is_in(days)
            & (CheckInTable.kind == "in")
            & (CheckInTable.status != REJECTED)
        )
        return {(row["employee"], row["work_date"]) for row in rows}

    async def on_duty(self, employee_ids: list[int], day: dt.date) -> set[int]:
        """Those among `employee_ids` whose latest record of `day` (a work date) that was not
        rejected is a check-in: in and not yet out. Reads those employees' records of one day."""
        if not employee_ids:
            return set()
        rows = (
            await CheckInTable.select(
                CheckInTable.employee, CheckInTable.kind, CheckInTable.corrected_captured_at
            )
            .where(
                CheckInTable.employee.is_in(sorted(set(employee_ids)))
                & (CheckInTable.work_date == day)
                & (CheckInTable.status != REJECTED)
            )
            .order_by(CheckInTable.corrected_captured_at)
        )
        latest = {row["employee"]: row["kind"] for row in rows}
        return {employee for employee, kind in latest.items() if kind == "in"}

    async def first_last(
        self, employee_ids: list[int], day: dt.date
    ) -> dict[int, tuple[dt.datetime | None, dt.datetime | None]]:
        """Employee -> (first check-in, last check-out) of one work date, in UTC, among records
        not rejected (a pending or flagged one shows the head someone is in): the board's
        "today" of a head's staff, bounded by that staff."""
        if not employee_ids:
            return {}
        rows = await CheckInTable.select(
            CheckInTable.employee, CheckInTable.kind, CheckInTable.corrected_captured_at
        ).where(
            CheckInTable.employee.is_in(employee_ids)
            & (CheckInTable.work_date == day)
            & (CheckInTable.status != REJECTED)
        )
        result: dict[int, tuple[dt.datetime | None, dt.datetime | None]] = {}
        for row in rows:
            first, last = result.get(row["employee"], (None, None))
            at = row["corrected_captured_at"]
            if row["kind"] == "in":
                first = at if first is None or at < first else first
            else:
                last = at if last is None or at > last else last
            result[row["employee"]] = (first, last)
        return result

    async def near(
        self, location_id: int, start: dt.datetime, end: dt.datetime, *, limit: int = 200
    ) -> list[dict[str, Any]]:
        """Check-ins (`id`, `employee`, `at`) judged at a location between two moments, not
        rejected: the ones a CCTV snapshot there may show."""
        return (
            await CheckInTable.select(
                CheckInTable.id,
                CheckInTable.employee,
                CheckInTable.corrected_captured_at.as_alias("at"),
            )
            .where(
                (CheckInTable.location == location_id)
                & (CheckInTable.corrected_captured_at >= start)
                & (CheckInTable.corrected_captured_at <= end)
                & (CheckInTable.status != REJECTED)
            )
            .order_by(CheckInTable.corrected_captured_at)
            .limit(limit)
        )

    async def stale_pending_ids(self, older_than: dt.timedelta, limit: int = 500) -> list[int]:
        cutoff = dt.datetime.now(dt.UTC) - older_than
        rows = (
            await CheckInTable.select(CheckInTable.id)
            .where((CheckInTable.status == PENDING) & (CheckInTable.received_at < cutoff))
            .order_by(CheckInTable.received_at)
            .limit(limit)
        )
        return [row["id"] for row in rows]

    # --- retention ------------------------------------------------------------------------------

    async def selfies_received_before(
        self, cutoff: dt.datetime, *, limit: int
    ) -> list[tuple[int, str]]:
        rows = (
            await CheckInTable.select(CheckInTable.id, CheckInTable.selfie_key)
            .where((CheckInTable.received_at < cutoff) & (CheckInTable.selfie_key != ""))
            .order_by(CheckInTable.received_at)
            .limit(limit)
        )
        return [(row["id"], row["selfie_key"]) for row in rows]

    async def liveness_keys_of(self, checkin_id: int) -> list[str]:
        """The stored challenge frames of a check-in (the retention job deletes them with the
        selfie: the same biometric data, the same limit)."""
        row = (
            await CheckInTable.select(CheckInTable.liveness_keys)
            .where(CheckInTable.id == checkin_id)
            .first()
            .output(load_json=True)
        )
        return list(row["liveness_keys"] or []) if row else []

    async def forget_selfie(self, checkin_id: int) -> None:
        await CheckInTable.update(
            {CheckInTable.selfie_key: "", CheckInTable.liveness_keys: []}
        ).where(CheckInTable.id == checkin_id)
