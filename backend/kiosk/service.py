"""Face kiosks at the office door (Batu's Block Office): a shared tablet registered to one
location identifies the employee in front of it 1:N among the staff allowed there, and records
their check-in at that location; when unsure it names nobody and records nothing.

Trust: an admin registers the kiosk and gets a one-time activation code (stored as its SHA-256,
expiring after HADIR_KIOSK_CODE_TTL_HOURS). The tablet makes its own device key (WebCrypto
P-256, non-extractable: pwa/src/devicekey.js) and registers the public half with the code.
Every capture is signed with it over the SHA-256 of each part (`signed_message`); the meta part
carries the capture's client_id, so a captured request sent again is the same capture and gets
the stored answer (idempotent), never a second record. Unknown or revoked kiosks get 401/403.

The decision (`decide`): a face within HADIR_KIOSK_TOLERANCE (stricter than the phone's 1:1
HADIR_FACE_TOLERANCE) and at least HADIR_KIOSK_MARGIN nearer than the next person. Liveness:
an identified person whose head-movement challenge fails is still recorded, but flagged with
the liveness reason for BKD, and told so; never silently accepted.

Candidates are the active staff of the location's unit plus anyone with an approved dinas luar
to that location that day. Their reference encodings are cached per location in this process
and read again when the staff list or the references change (`Faces.reference_stamp`: one
aggregate query per capture, so an enrolment or removal at the desk is seen by the next
capture in every process). The encoding of the frontal frame and the distances to every
candidate run in the face pool, never on the event loop.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

import msgspec

from backend.attendance.schemas import CheckIn, Reason
from backend.attendance.service import ACCEPTED, KioskCapture
from backend.core import audit, signing
from backend.core.auth import Principal
from backend.core.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Unauthenticated,
    invalid_from_msgspec,
)
from backend.core.outbox import Outbox
from backend.core.paging import DEFAULT_PAGE_SIZE, before, page
from backend.core.settings import Settings
from backend.faces import recognition
from backend.faces.service import FaceCheck
from backend.geofence.service import location_places
from backend.kiosk.schemas import (
    Kiosk,
    KioskActivate,
    KioskActivated,
    KioskCaptureMeta,
    KioskCreate,
    KioskCreated,
    KioskList,
    KioskResult,
)
from backend.kiosk.tables import Capture
from backend.kiosk.tables import Kiosk as KioskTable
from backend.org import service as org

log = logging.getLogger(__name__)

PROTOCOL = "hadir-kiosk-v1"
FRAME_PARTS = tuple(f"frame{i}" for i in range(8))
# A liveness frame is a small JPEG; the frontal frame is a selfie (HADIR_SELFIE_MAX_BYTES).
MAX_FRAME_BYTES = 60_000
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read off a screen

UNSURE = "Wajah tidak dikenali dengan yakin, silakan presensi dari ponsel Anda"
NO_FACE = "Wajah tidak terlihat. Hadapkan wajah ke kamera, lalu coba lagi"
UNSIGNED = "Permintaan kiosk harus ditandatangani (X-Kiosk-Id dan X-Kiosk-Signature)"
UNKNOWN_KIOSK = "Kiosk tidak dikenal atau belum diaktifkan; aktifkan dengan kode dari admin"
BAD_SIGNATURE = "Tanda tangan kiosk tidak sah"
REVOKED = "Kiosk ini sudah dicabut oleh admin; minta admin mendaftarkannya lagi"
KIND_WORDS = {"in": "masuk", "out": "pulang"}


# --- pure rules -------------------------------------------------------------------------------


def activation_code() -> str:
    """`K7M2-Q9XP-4HWT`: 12 signs of 31 (~59 bits), typed on a tablet; used once, expires."""
    signs = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return "-".join(signs[i : i + 4] for i in range(0, 12, 4))


def code_hash(code: str) -> str:
    """What is stored of an activation code. Plain SHA-256 is enough: the code is random (not
    chosen by a person), used once and expires, so there is nothing to guess offline."""
    normalised = code.strip().upper().replace(" ", "").replace("-", "")
    return hashlib.sha256(normalised.encode()).hexdigest()


def signed_message(kiosk_id: int, parts: Sequence[tuple[str, bytes]]) -> bytes:
    """What a kiosk signs for a capture: the protocol, the kiosk id and the SHA-256 of each part
    in the order sent (meta, photo, frame0..). The meta holds client_id, captured_at and sent_at,
    so the signature covers the capture's identity and every byte sent."""
    lines = [PROTOCOL, "capture", str(kiosk_id)]
    lines += [f"{name}={hashlib.sha256(data).hexdigest()}" for name, data in parts]
    return "\n".join(lines).encode()


def activation_message(code: str) -> bytes:
    return f"{PROTOCOL}\nactivate\n{code.strip()}".encode()


def kiosk_state(row: dict[str, Any], now: dt.datetime) -> str:
    if row["revoked_at"] is not None:
        return "revoked"
    if row["activated_at"] is not None:
        return "active"
    if row["code_expires_at"] is not None and row["code_expires_at"] <= now:
        return "expired"
    return "waiting"


def decide(faces: int, found: recognition.Identification) -> str:
    """`match` (name them), `no_face`, or `unsure` (nobody within the tolerance, or a second
    person too close to the best: the kiosk names nobody and records nothing)."""
    if faces == 0:
        return "no_face"
    if found.code == "match" and found.employee_id is not None:
        return "match"
    return "unsure"


def _decimal(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def greeting(local: dt.datetime) -> str:
    hour = local.hour
    if hour < 11:
        return "Selamat pagi"
    if hour < 15:
        return "Selamat siang"
    if hour < 18:
        return "Selamat sore"
    return "Selamat malam"


def result_message(
    name: str, kind: str, local: dt.datetime, status: str, reasons: list[Reason]
) -> str:
    """The kiosk's words for a recorded capture: a greeting by name and the time recorded; a
    flagged one says BKD will check it, and why in words (the liveness step that failed)."""
    words = (
        f"{greeting(local)}, {name}. Presensi {KIND_WORDS.get(kind, kind)} tercatat {local:%H:%M}"
    )
    if status == ACCEPTED:
        return words + "."
    failed = next((r.message for r in reasons if r.code == "liveness_failed"), None)
    why = f" ({failed})" if failed else ""
    return f"{words}, tetapi presensi Anda akan diperiksa BKD{why}."


def capture_hash(meta: KioskCaptureMeta, photo: bytes) -> str:
    """What a capture sent again must match. `sent_at` is left out: every retry is sent anew."""
    canonical = msgspec.json.encode(
        [str(meta.client_id), meta.kind, meta.captured_at, hashlib.sha256(photo).hexdigest()]
    )
    return hashlib.sha256(canonical).hexdigest()


def decode_meta(raw: bytes) -> KioskCaptureMeta:
    try:
        return msgspec.json.decode(raw, type=KioskCaptureMeta)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise invalid_from_msgspec(exc, part="meta") from None


# --- what the kiosk needs of other domains (handed in by backend/services.py) ---------------


class KioskFaces(Protocol):
    async def references_of(self, employee_ids: list[int]) -> dict[int, list[Any]]: ...

    async def reference_stamp(self, employee_ids: list[int]) -> tuple[int, int]: ...

    async def identify_in_photo(
        self, photo: bytes, candidates: recognition.Gallery, *, tolerance: float, margin: float
    ) -> tuple[int, recognition.Identification]: ...

    async def check_liveness(
        self, challenge: list[str], frames: list[tuple[str, bytes]], selfie: bytes
    ) -> FaceCheck: ...


class KioskCheckIns(Protocol):
    async def submit_at_kiosk(
        self, capture: KioskCapture, photo: bytes, *, kind: str | None = None
    ) -> tuple[CheckIn, bool]: ...


class DinasLuar(Protocol):
    async def dinas_luar_at(self, location_id: int, day: dt.date) -> list[int]: ...


class CachedGallery(msgspec.Struct):
    """A location's candidates' references, stacked, with what they were read at."""

    key: tuple[tuple[int, ...], tuple[int, int]]
    gallery: recognition.Gallery


# --- the service ----------------------------------------------------------------------------


class Kiosks:
    # Locations whose galleries a process keeps (2,000 staff x 3 references is ~6 MB each).
    GALLERIES_KEPT = 16

    def __init__(
        self,
        *,
        settings: Settings,
        outbox: Outbox,
        faces: KioskFaces,
        checkins: KioskCheckIns,
        permits: DinasLuar,
        units: org.UnitDirectory,
    ) -> None:
        self.settings = settings
        self.outbox = outbox
        self.faces = faces
        self.checkins = checkins
        self.permits = permits
        self.units = units
        self._galleries: dict[int, CachedGallery] = {}

    # --- the admin's side --------------------------------------------------------------------

    async def register(self, who: Principal, data: KioskCreate) -> KioskCreated:
        places = await location_places([data.location_id])
        if data.location_id not in places:
            raise Invalid(f"Lokasi {data.location_id} tidak ditemukan")
        code = activation_code()
        now = dt.datetime.now(dt.UTC)
        expires = now + dt.timedelta(hours=self.settings.kiosk_code_ttl_hours)
        async with self.outbox.transaction():
            [row] = await KioskTable.insert(
                KioskTable(
                    name=data.name.strip(),
                    location_id=data.location_id,
                    code_hash=code_hash(code),
                    code_expires_at=expires,
                    created_by=who.employee_id,
                    created_at=now,
                )
            ).returning(*KioskTable.all_columns())
            await audit.record(
                actor=who.nip,
                action="kiosk.register",
                target="kiosk_kiosk",
                target_key=str(row["id"]),
                before=None,
                after={"name": row["name"], "location_id": data.location_id},
            )
        return KioskCreated(
            kiosk=self._out(row, places[data.location_id][0], now),
            activation_code=code,
            code_expires_at=expires,
        )

    async def list(self, *, limit: int = DEFAULT_PAGE_SIZE, cursor: str | None = None) -> KioskList:
        query = KioskTable.select()
        condition = before(KioskTable.created_at, KioskTable.id, cursor)
        if condition is not None:
            query = query.where(condition)
        rows = await query.order_by(KioskTable.created_at, KioskTable.id, ascending=False).limit(
            limit + 1
        )
        rows, next_cursor = page(rows, limit, "created_at")
        places = await location_places([row["location_id"] for row in rows])
        now = dt.datetime.now(dt.UTC)
        return KioskList(
            items=[self._out(row, places.get(row["location_id"], ("", 0))[0], now) for row in rows],
            next_cursor=next_cursor,
        )

    async def revoke(self, who: Principal, kiosk_id: int) -> Kiosk:
        now = dt.datetime.now(dt.UTC)
        async with self.outbox.transaction():
            row = await KioskTable.select().where(KioskTable.id == kiosk_id).first()
            if row is None:
                raise NotFound(f"Kiosk {kiosk_id} tidak ditemukan")
            if row["revoked_at"] is None:
                await KioskTable.update(
                    {KioskTable.revoked_at: now, KioskTable.code_hash: ""}
                ).where(KioskTable.id == kiosk_id)
                await audit.record(
                    actor=who.nip,
                    action="kiosk.revoke",
                    target="kiosk_kiosk",
                    target_key=str(kiosk_id),
                    before={"revoked_at": None},
                    after={"revoked_at": now},
                )
                row = {**row, "revoked_at": now, "code_hash": ""}
        places = await location_places([row["location_id"]])
        return self._out(row, places.get(row["location_id"], ("", 0))[0], now)

    @staticmethod
    def _out(row: dict[str, Any], location_name: str, now: dt.datetime) -> Kiosk:
        return Kiosk(
            id=row["id"],
            name=row["name"],
            location_id=row["location_id"],
            location_name=location_name,
            state=kiosk_state(row, now),
            created_at=row["created_at"],
            code_expires_at=row["code_expires_at"] if row["activated_at"] is None else None,
            activated_at=row["activated_at"],
            revoked_at=row["revoked_at"],
            last_seen_at=row["last_seen_at"],
        )

    # --- the tablet's side -------------------------------------------------------------------

    async def activate(self, data: KioskActivate) -> KioskActivated:
        """Register the tablet's public key with its one-time code (then spent)."""
        try:
            key = signing.load_public_key(data.public_key)
        except signing.BadKey as exc:
            raise Invalid(str(exc)) from None
        if not signing.verify(key, activation_message(data.code), data.signature):
            raise Invalid("Tanda tangan aktivasi tidak cocok dengan kunci perangkat")
        now = dt.datetime.now(dt.UTC)
        wrong = Unauthenticated("Kode aktivasi salah, sudah dipakai, atau kedaluwarsa")
        async with self.outbox.transaction():
            row = (
                await KioskTable.select()
                .where(KioskTable.code_hash == code_hash(data.code))
                .first()
            )
            if row is None or row["revoked_at"] is not None or row["activated_at"] is not None:
                raise wrong
            if row["code_expires_at"] is None or row["code_expires_at"] <= now:
                raise wrong
            # Spent in the same statement that checks it is unspent: two tablets typing the
            # same code at once, one wins.
            spent = (
                await KioskTable.update(
                    {
                        KioskTable.public_key: data.public_key,
                        KioskTable.activated_at: now,
                        KioskTable.code_hash: "",
                        KioskTable.last_seen_at: now,
                    }
                )
                .where((KioskTable.id == row["id"]) & (KioskTable.code_hash == row["code_hash"]))
                .returning(KioskTable.id)
            )
            if not spent:
                raise wrong
            await audit.record(
                actor=f"kiosk:{row['id']}",
                action="kiosk.activate",
                target="kiosk_kiosk",
                target_key=str(row["id"]),
                before=None,
                after={"key": signing.key_fingerprint(data.public_key)},
            )
        name, unit_id = (await location_places([row["location_id"]])).get(
            row["location_id"], ("", 0)
        )
        zone = await self.units.timezone(unit_id)
        return KioskActivated(
            kiosk_id=row["id"], name=row["name"], location_name=name, timezone=str(zone)
        )

    async def authenticate(
        self, kiosk_id: str | None, signature: str | None, parts: Sequence[tuple[str, bytes]]
    ) -> dict[str, Any]:
        """The kiosk that signed these parts; 401 when unsigned, unknown or badly signed, 403
        when revoked."""
        if not kiosk_id or not signature:
            raise Unauthenticated(UNSIGNED)
        if not kiosk_id.isdigit() or not 0 < int(kiosk_id) < 2**31:
            raise Unauthenticated(UNKNOWN_KIOSK)
        row = await KioskTable.select().where(KioskTable.id == int(kiosk_id)).first()
        if row is None or not row["public_key"]:
            raise Unauthenticated(UNKNOWN_KIOSK)
        if row["revoked_at"] is not None:
            raise Forbidden(REVOKED)
        key = signing.load_public_key(row["public_key"])
        if not signing.verify(key, signed_message(row["id"], parts), signature):
            raise Unauthenticated(BAD_SIGNATURE)
        return row

    async def capture(
        self, kiosk: dict[str, Any], meta_raw: bytes, photo: bytes, frames: dict[str, bytes]
    ) -> tuple[KioskResult, bool]:
        """Identify the face in a signed capture and record the check-in when sure. Returns
        (the answer, whether it is new); a capture sent again gets its first answer."""
        received_at = dt.datetime.now(dt.UTC)
        meta = decode_meta(meta_raw)
        recognition.check_upload(
            photo,
            what="Foto wajah",
            max_bytes=self.settings.selfie_max_bytes,
            max_pixels=self.settings.selfie_max_pixels,
        )
        for part, data in frames.items():
            if len(data) > MAX_FRAME_BYTES:
                raise Invalid(f"Bagian '{part}' lebih dari {MAX_FRAME_BYTES:,} byte")
        digest = capture_hash(meta, photo)
        stored = await self._stored(kiosk["id"], meta.client_id, digest)
        if stored is not None:
            return stored, False
        name, unit_id = (await location_places([kiosk["location_id"]])).get(
            kiosk["location_id"], ("", 0)
        )
        zone = await self.units.timezone(unit_id)
        day = meta.captured_at.astimezone(zone).date()
        staff = await self._candidates(kiosk["location_id"], unit_id, day)
        gallery = await self._gallery(kiosk["location_id"], sorted(staff))
        try:
            faces, found = await self.faces.identify_in_photo(
                photo,
                gallery,
                tolerance=self.settings.kiosk_tolerance,
                margin=self.settings.kiosk_margin,
            )
        except recognition.BadImage:
            raise Invalid("Foto wajah rusak dan tidak dapat dibaca") from None
        verdict = decide(faces, found)
        result: KioskResult
        employee_id = checkin_id = None
        kind = ""
        if verdict == "match":
            assert found.employee_id is not None
            person = staff[found.employee_id]
            employee_id = person.id
            liveness = meta.liveness
            frame_list = [
                (f.step, frames[f.part])
                for f in (liveness.frames if liveness else [])
                if f.part in frames
            ]
            check = await self.faces.check_liveness(
                list(liveness.challenge) if liveness else [], frame_list, photo
            )
            margin = f", selisih {_decimal(found.margin)}" if found.margin is not None else ""
            reasons = [
                Reason(
                    "kiosk_identified",
                    f"Dikenali oleh kiosk {kiosk['name']} di {name} "
                    f"(jarak {_decimal(found.distance or 0)}{margin})",
                ),
                Reason(check.code, check.message),
            ]
            checkin, _ = await self.checkins.submit_at_kiosk(
                KioskCapture(
                    client_id=meta.client_id,
                    employee_id=person.id,
                    nip=person.nip,
                    unit_id=person.unit,
                    captured_at=meta.captured_at,
                    sent_at=meta.sent_at,
                    kiosk_id=kiosk["id"],
                    location_id=kiosk["location_id"],
                    location_name=name,
                    distance=found.distance,
                    reasons=reasons,
                ),
                photo,
                kind=meta.kind,
            )
            checkin_id, kind = checkin.id, checkin.kind
            local = checkin.corrected_captured_at.astimezone(await self.units.timezone(person.unit))
            result = KioskResult(
                client_id=meta.client_id,
                outcome="recorded" if checkin.status == ACCEPTED else "flagged",
                message=result_message(person.name, kind, local, checkin.status, checkin.reasons),
                name=person.name,
                kind=kind,
                checkin_id=checkin_id,
                status=checkin.status,
            )
        else:
            result = KioskResult(
                client_id=meta.client_id,
                outcome="no_face" if verdict == "no_face" else "unknown",
                message=NO_FACE if verdict == "no_face" else UNSURE,
            )
        await Capture.insert(
            Capture(
                client_id=meta.client_id,
                kiosk_id=kiosk["id"],
                outcome=result.outcome,
                employee_id=employee_id,
                checkin_id=checkin_id,
                kind=kind,
                # A stranger's nearest match is no one's business: kept only when named.
                distance=found.distance if employee_id else None,
                margin=found.margin if employee_id else None,
                message=result.message[:300],
                content_hash=digest,
                captured_at=meta.captured_at,
                received_at=received_at,
            )
        ).on_conflict(action="DO NOTHING")
        await KioskTable.update({KioskTable.last_seen_at: received_at}).where(
            KioskTable.id == kiosk["id"]
        )
        return result, True

    async def _stored(self, kiosk_id: int, client_id: uuid.UUID, digest: str) -> KioskResult | None:
        row = await Capture.select().where(Capture.client_id == client_id).first()
        if row is None:
            return None
        if row["kiosk_id"] != kiosk_id or row["content_hash"] != digest:
            raise Conflict("client_id ini sudah dipakai untuk tangkapan lain; ambil ulang")
        name = None
        status = None
        if row["employee_id"] is not None:
            person = (await org.staff_by_id([row["employee_id"]])).get(row["employee_id"])
            name = person.name if person else None
            status = "accepted" if row["outcome"] == "recorded" else "flagged"
        return KioskResult(
            client_id=client_id,
            outcome=row["outcome"],
            message=row["message"],
            name=name,
            kind=row["kind"] or None,
            checkin_id=row["checkin_id"],
            status=status,
        )

    async def _candidates(self, location_id: int, unit_id: int, day: dt.date) -> dict[int, Any]:
        """Who may be named at this location: its unit's active staff and those with an
        approved dinas luar there that day."""
        staff = {person.id: person for person in await org.staff_of([unit_id])}
        visiting = [e for e in await self.permits.dinas_luar_at(location_id, day) if e not in staff]
        if visiting:
            staff.update(await org.staff_by_id(visiting))
        return staff

    async def _gallery(self, location_id: int, employee_ids: list[int]) -> recognition.Gallery:
        """The candidates' reference encodings, stacked, from this process's cache while
        neither the candidates nor their references changed (bench/kiosk.py: stacking 6,000
        encodings costs tens of ms, the decision over a stacked gallery a few)."""
        key = (tuple(employee_ids), await self.faces.reference_stamp(employee_ids))
        cached = self._galleries.get(location_id)
        if cached is not None and cached.key == key:
            return cached.gallery
        gallery = recognition.gallery_of(await self.faces.references_of(employee_ids))
        if len(self._galleries) >= self.GALLERIES_KEPT:
            self._galleries.pop(next(iter(self._galleries)))
        self._galleries[location_id] = CachedGallery(key=key, gallery=gallery)
        return gallery
