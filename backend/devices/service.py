"""Device keys and the chains of records they sign.

`Devices.verify_record` is the one check every domain that takes records from the outbox calls
(check-ins, permits; later a head's attestation): it logs the link first, in its own
transaction, and then answers what is wrong with the record, so the caller stores the record
with those reasons (flagged, never dropped). Logging before the record is judged keeps the
chain whole when the record is then refused for validation (a 4xx): the link holds its place,
and the app's retry of the same record is a replay of the same link.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from piccolo.engine.base import Engine

from backend.core import policy, signing
from backend.core.auth import Principal
from backend.core.db import is_postgres
from backend.core.errors import Conflict, Invalid, NotFound
from backend.devices import chain
from backend.devices.schemas import (
    ChainBlock,
    ChainReason,
    Device,
    DeviceCreate,
    DeviceList,
    Verdict,
)
from backend.devices.tables import ChainLink
from backend.devices.tables import Device as DeviceTable
from backend.org import service as org

LOCK_SPACE = 8_021  # pg_advisory_xact_lock(space, device id): one link of a device at a time


def _device(row: dict[str, Any], broken: int = 0) -> Device:
    return Device(
        id=row["id"],
        fingerprint=row["fingerprint"],
        label=row["label"],
        registered_at=row["registered_at"],
        last_seq=row["last_seq"],
        last_seen_at=row["last_seen_at"],
        revoked_at=row["revoked_at"],
        broken=broken,
    )


class Devices:
    def __init__(
        self,
        *,
        engine: Engine,
        transaction: Callable[[], contextlib.AbstractAsyncContextManager[None]],
        tree: policy.UnitTree,
    ) -> None:
        self.engine = engine
        self.transaction = transaction
        self.tree = tree

    # --- registration ------------------------------------------------------------------------

    async def register(self, who: Principal, request: DeviceCreate) -> tuple[Device, bool]:
        """Register the caller's public key; the same key again answers the same device."""
        try:
            signing.load_public_key(request.public_key)
        except signing.BadKey as error:
            raise Invalid(str(error)) from None
        except Exception:  # a DER the library does not know at all (UnsupportedAlgorithm...)
            raise Invalid("Kunci publik perangkat tidak dapat dibaca (harus SPKI base64)") from None
        fingerprint = signing.key_fingerprint(request.public_key)
        async with self.transaction():
            row = await DeviceTable.select().where(DeviceTable.fingerprint == fingerprint).first()
            if row is not None:
                if row["employee"] != who.employee_id:
                    raise Conflict("Kunci perangkat ini sudah terdaftar atas nama pegawai lain")
                return _device(row), False
            inserted = await DeviceTable.insert(
                DeviceTable(
                    employee=who.employee_id,
                    public_key=request.public_key,
                    fingerprint=fingerprint,
                    label=request.label.strip()[:200],
                    registered_at=dt.datetime.now(dt.UTC),
                )
            ).returning(*DeviceTable.all_columns())
        return _device(inserted[0]), True

    async def mine(self, who: Principal) -> DeviceList:
        return await self._list(who.employee_id)

    async def of_employee(self, who: Principal, nip: str) -> DeviceList:
        employee_id = await org.employee_id_by_nip(nip)
        missing = NotFound("Pegawai tidak ditemukan")
        if employee_id is None:
            raise missing
        await policy.ensure(who, "device.read", missing, self.tree, employee_id=employee_id)
        return await self._list(employee_id)

    async def _list(self, employee_id: int) -> DeviceList:
        rows = (
            await DeviceTable.select()
            .where(DeviceTable.employee == employee_id)
            .order_by(DeviceTable.registered_at, ascending=False)
            .limit(100)
        )
        broken: dict[int, int] = {}
        if rows:
            counts = await ChainLink.raw(
                "SELECT device, COUNT(*) AS n FROM devices_chain_link WHERE verdict != 'ok' "
                f"AND device IN ({', '.join(str(int(r['id'])) for r in rows)}) GROUP BY device"
            )
            broken = {c["device"]: c["n"] for c in counts}
        return DeviceList(items=[_device(r, broken.get(r["id"], 0)) for r in rows])

    # --- verification -------------------------------------------------------------------------

    async def verify_record(
        self,
        employee_id: int,
        block: bytes | str | None,
        *,
        kind: str,
        meta: bytes | str,
        files: Mapping[str, bytes | None],
        now: dt.datetime | None = None,
    ) -> Verdict:
        """Judge the chain block of one record the employee sent (see README "Signed records").

        `block` is the `chain` multipart part (None or empty: an unsigned record, accepted as
        before with no reason); `kind` the outbox kind the device signed (`checkin`, `permit`);
        `meta` the meta part exactly as received (its `sent_at` is not signed); `files` every
        file part by its part name (None for one not sent). Returns the device and sequence
        number the record claims (for a registered device of this employee) and the reasons:
        `device_unregistered`, `signature_invalid`, `chain_broken`. The link is logged here,
        before the caller validates the record; the same link again is a replay and gets the
        reasons it got the first time.
        """
        if not block:
            return Verdict(signed=False, device_id=None, seq=None, reasons=[])
        parsed = chain.decode_block(block)
        if parsed is None:
            return Verdict(signed=True, device_id=None, seq=None, reasons=[chain.unreadable()])
        row = await DeviceTable.select().where(DeviceTable.fingerprint == parsed.device).first()
        refused = chain.device_problem(row, employee_id)
        if refused is not None:
            # Another's device or none: no device of this employee to name on the record.
            mine = row is not None and row["employee"] == employee_id
            return Verdict(True, row["id"] if mine else None, parsed.seq, [refused])
        assert row is not None
        now = now or dt.datetime.now(dt.UTC)
        key = signing.load_public_key(row["public_key"])
        signed = chain.decode_signed(parsed)
        genuine = signed is not None and signing.verify(key, parsed.signed.encode(), parsed.sig)
        if not genuine or signed is None:
            # Nothing in it can be believed, its number included: logged to be shown, not counted.
            await self._log(row["id"], parsed, kind, now, chain.forged(), counted=False)
            return Verdict(True, row["id"], parsed.seq, [chain.forged()])
        reasons: list[ChainReason] = []
        problem = chain.content_problem(
            parsed, signed, kind=kind, meta=chain.received_meta(meta), files=files
        )
        if problem:
            reasons.append(problem)
        # The link itself is genuine (the device signed it), whatever was done to the content:
        # it takes its place in the chain with the signed number and hash.
        link = ChainBlock(
            device=parsed.device,
            seq=signed.seq,
            prev=signed.prev,
            hash=chain.sha256_hex(parsed.signed),
            sig=parsed.sig,
            signed=parsed.signed,
        )
        broken = await self._place(row["id"], link, kind, now)
        if broken:
            reasons.append(broken)
        return Verdict(True, row["id"], signed.seq, reasons)

    async def _place(
        self, device_id: int, link: ChainBlock, kind: str, now: dt.datetime
    ) -> ChainReason | None:
        """Judge a genuine link against the device's chain and log it, one at a time."""
        async with self.transaction():
            if is_postgres(self.engine):
                await ChainLink.raw("SELECT pg_advisory_xact_lock({}, {})", LOCK_SPACE, device_id)
            device = (
                await DeviceTable.select(DeviceTable.last_seq)
                .where(DeviceTable.id == device_id)
                .first()
            )
            seen = (
                await ChainLink.select(
                    ChainLink.seq, ChainLink.hash, ChainLink.verdict, ChainLink.message
                )
                .where(
                    (ChainLink.device == device_id)
                    & ChainLink.seq.is_in([link.seq - 1, link.seq])
                    & (ChainLink.counted == True)  # noqa: E712 - Piccolo's column comparison
                )
                .order_by(ChainLink.id)
            )
            same = [s for s in seen if s["seq"] == link.seq]
            before = [s["hash"] for s in seen if s["seq"] == link.seq - 1]
            judgement = chain.judge_link(
                link.seq,
                link.prev,
                link.hash,
                same_seq=[s["hash"] for s in same],
                previous=before[0] if before else None,
                last_seq=device["last_seq"] if device else 0,
            )
            if judgement.replay:
                first = next(s for s in same if s["hash"] == link.hash)
                if first["verdict"] == chain.CHAIN_BROKEN:
                    return ChainReason(chain.CHAIN_BROKEN, first["message"])
                return None
            await self._log(device_id, link, kind, now, judgement.reason, counted=True)
            if device and link.seq > device["last_seq"]:
                await DeviceTable.update(
                    {
                        DeviceTable.last_seq: link.seq,
                        DeviceTable.last_hash: link.hash,
                        DeviceTable.last_seen_at: now,
                    }
                ).where(DeviceTable.id == device_id)
            else:
                await DeviceTable.update({DeviceTable.last_seen_at: now}).where(
                    DeviceTable.id == device_id
                )
        return judgement.reason

    async def _log(
        self,
        device_id: int,
        link: ChainBlock,
        kind: str,
        now: dt.datetime,
        reason: ChainReason | None,
        *,
        counted: bool,
    ) -> None:
        signed = chain.decode_signed(link)
        client_id = str((signed.meta if signed else {}).get("client_id", ""))[:36]
        await ChainLink.insert(
            ChainLink(
                device=device_id,
                seq=link.seq,
                hash=link.hash,
                prev=link.prev[:64],
                kind=kind[:20],
                client_id=client_id,
                received_at=now,
                verdict=reason.code if reason else "ok",
                message=reason.message[:300] if reason else "",
                counted=counted,
            )
        )


def reason_words(reasons: list[ChainReason]) -> str:
    """The reasons as one note (a permit's `device_note`)."""
    return " ".join(f"{r.message}." for r in reasons)[:600]
