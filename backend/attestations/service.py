"""Attestations: a head of unit (kepala_unit) attests, on their own phone and offline, that one
of their staff was at work on days nobody could check in (a school with no signal, a dead
phone). Each attestation asks attendance, through the outbox, to recompute the days it covers;
attendance reads the attested days back through `attested_between` (handed to its DayRecords),
so neither domain imports the other. BKD sees how often each head attests (`summary`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

import msgspec

from backend.attestations import rules
from backend.attestations.schemas import (
    Attestation,
    AttestationCreate,
    AttestationList,
    AttestationSummary,
    HeadAttesting,
    PersonRef,
    SignatureReason,
)
from backend.attestations.tables import Attestation as AttestationTable
from backend.core import outbox as events
from backend.core import policy
from backend.core.auth import Principal
from backend.core.errors import Conflict, NotFound, Unavailable
from backend.core.outbox import Outbox
from backend.devices.service import Devices
from backend.org import service as org
from backend.org.service import UnitDirectory

SUMMARY_DAYS = 30
SUMMARY_HEADS = 100  # heads listed at most, those attesting most per staff first
LATEST = 20  # newest attestations shown with their reasons
MINE = 50


def content_hash(request: AttestationCreate) -> str:
    """What a replay must match. `sent_at` and the chain block are left out: every retry is
    sent at a new time (and the chain helper may re-sign it)."""
    canonical = msgspec.json.encode(
        [
            str(request.client_id),
            request.nip,
            request.start_date,
            request.end_date,
            request.reason.strip(),
            request.captured_at,
        ]
    )
    return hashlib.sha256(canonical).hexdigest()


def signature_verdict(reasons: list[dict[str, str]] | None) -> str:
    """What BKD's screen says of the device signature: `unsigned` when the record came without
    a chain block (an old app, a script), `verified` when the device's signature and chain
    hold, `failed` when the check gave reasons (README "Signed records")."""
    if reasons is None:
        return "unsigned"
    return "failed" if reasons else "verified"


class Attestations:
    def __init__(
        self,
        *,
        outbox: Outbox,
        units: UnitDirectory,
        devices: Devices,
        max_back_days: int,
        max_span_days: int,
    ) -> None:
        self.outbox = outbox
        self.devices = devices
        self.units = units
        self.max_back_days = max_back_days
        self.max_span_days = max_span_days

    async def create(
        self,
        who: Principal,
        request: AttestationCreate,
        *,
        body: bytes | None = None,
        now: dt.datetime | None = None,
    ) -> tuple[Attestation, bool]:
        """Store one attestation once (its `client_id` is unique: a replay answers the stored
        one) and ask for each of its days to be recomputed, in one transaction.

        `body` is the request's JSON exactly as received: what the head's device signed is
        checked against it (the record without `chain`; `sent_at` is never signed), never
        against a re-serialisation of `request`."""
        digest = content_hash(request)
        existing = await self._by_client_id(request.client_id)
        if existing is not None:
            return await self._replay(who, existing, digest), False
        employee_id = await org.employee_id_by_nip(request.nip)
        if employee_id is None:
            raise NotFound(f"Pegawai dengan NIP {request.nip} tidak ditemukan")
        own = employee_id == who.employee_id
        within = own or await policy.reaches(
            who, "attestation.create", org.TREE, employee_id=employee_id
        )
        rules.check_attester(who.employee_id, employee_id, within_unit=within)
        unit_id = await org.employee_unit(employee_id) or 0
        zone = await self.units.timezone(unit_id)
        received = now or dt.datetime.now(dt.UTC)
        corrected = rules.corrected_capture(request.captured_at, request.sent_at, received)
        span = rules.check_days(
            request.start_date,
            request.end_date,
            made_on=corrected.astimezone(zone).date(),
            today=received.astimezone(zone).date(),
            max_back_days=self.max_back_days,
            max_span_days=self.max_span_days,
        )
        # Signed like any offline record: the device's signature and chain, judged before the
        # record is stored (its link is logged even if a rule below refuses the record).
        signature_reasons: list[dict[str, str]] | None = None
        if request.chain is not None:
            as_sent = msgspec.json.decode(body) if body else msgspec.to_builtins(request)
            as_sent.pop("chain", None)
            verdict = await self.devices.verify_record(
                who.employee_id,
                msgspec.json.encode(request.chain),
                kind="attestation",
                meta=msgspec.json.encode(as_sent),
                files={},
            )
            signature_reasons = [{"code": r.code, "message": r.message} for r in verdict.reasons]
        async with self.outbox.transaction():
            inserted = (
                await AttestationTable.insert(
                    AttestationTable(
                        client_id=request.client_id,
                        employee=employee_id,
                        attester=who.employee_id,
                        unit=unit_id,
                        start_date=request.start_date,
                        end_date=request.end_date,
                        days=span,
                        reason=request.reason.strip(),
                        captured_at=request.captured_at,
                        sent_at=request.sent_at,
                        received_at=received,
                        corrected_captured_at=corrected,
                        content_hash=digest,
                        chain=request.chain,
                        signature_status=signature_verdict(signature_reasons),
                        signature_reasons=signature_reasons or [],
                    )
                )
                .on_conflict(target=AttestationTable.client_id, action="DO NOTHING")
                .returning(AttestationTable.id)
            )
            if inserted:
                for day in rules.dates(request.start_date, request.end_date):
                    await self.outbox.add(events.day_changed(employee_id, day))
        row = await self._by_client_id(request.client_id)
        if row is None:  # pragma: no cover - the row cannot vanish
            raise Unavailable("Coba kirim ulang")
        if not inserted:  # a parallel retry of the same client_id stored it first
            return await self._replay(who, row, digest), False
        return (await self._structs([row]))[0], True

    async def attested_between(
        self, employee_id: int, start: dt.date, end: dt.date
    ) -> dict[dt.date, str]:
        """Day -> the reason of an attestation covering it, for the day status."""
        rows = await AttestationTable.select(
            AttestationTable.start_date, AttestationTable.end_date, AttestationTable.reason
        ).where(
            (AttestationTable.employee == employee_id)
            & (AttestationTable.start_date <= end)
            & (AttestationTable.end_date >= start)
        )
        days: dict[dt.date, str] = {}
        for row in rows:
            for day in rules.dates(max(start, row["start_date"]), min(end, row["end_date"])):
                days.setdefault(day, row["reason"])
        return days

    async def mine(self, who: Principal) -> AttestationList:
        """The newest attestations this head made."""
        rows = (
            await AttestationTable.select()
            .where(AttestationTable.attester == who.employee_id)
            .order_by(AttestationTable.id, ascending=False)
            .limit(MINE)
            .output(load_json=True)
        )
        return AttestationList(items=await self._structs(rows))

    async def summary(
        self, now: dt.datetime | None = None, *, days: int = SUMMARY_DAYS
    ) -> AttestationSummary:
        """How often each head attested over the last `days` (by the attested days' dates):
        their unit, its staff, and the attested employee-days per staff member, so that a head
        attesting far more than others stands out; with the newest attestations and reasons."""
        end = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).date()
        start = end - dt.timedelta(days=days - 1)
        rows = await AttestationTable.raw(
            "SELECT attester, COUNT(*) AS n, SUM(days) AS d, COUNT(DISTINCT employee) AS e,"
            " SUM(CASE WHEN signature_status = 'verified' THEN 0 ELSE 1 END) AS unsigned"
            " FROM attestations_attestation WHERE end_date >= {} AND start_date <= {}"
            " GROUP BY attester ORDER BY SUM(days) DESC, attester LIMIT {}",
            start,
            end,
            SUMMARY_HEADS,
        )
        heads = await org.staff_by_id([row["attester"] for row in rows])
        nodes = await org.unit_nodes()
        children: dict[int | None, list[int]] = {}
        for node in nodes:
            children.setdefault(node.parent, []).append(node.id)
        staff_per_unit: dict[int, int] = {}
        for group in await org.scheduled_groups():
            staff_per_unit[group.unit] = staff_per_unit.get(group.unit, 0) + group.staff
        by_id = {node.id: node for node in nodes}

        def staff_under(unit_id: int) -> int:
            total, stack = 0, [unit_id]
            while stack:
                unit = stack.pop()
                total += staff_per_unit.get(unit, 0)
                stack.extend(children.get(unit, []))
            return total

        listed = []
        for row in rows:
            head = heads.get(row["attester"])
            if head is None:
                continue
            node = by_id.get(head.unit)
            staff = staff_under(head.unit)
            attested_days = int(row["d"] or 0)
            listed.append(
                HeadAttesting(
                    head=PersonRef(nip=head.nip, name=head.name),
                    unit=node.code if node else "",
                    unit_name=node.name if node else "",
                    staff=staff,
                    attestations=int(row["n"]),
                    days=attested_days,
                    employees=int(row["e"]),
                    days_per_staff=round(attested_days / staff, 2) if staff else 0.0,
                    unsigned=int(row["unsigned"] or 0),
                )
            )
        listed.sort(key=lambda h: (-h.days_per_staff, -h.days, h.head.nip))
        latest = (
            await AttestationTable.select()
            .where(AttestationTable.end_date >= start)
            .order_by(AttestationTable.id, ascending=False)
            .limit(LATEST)
            .output(load_json=True)
        )
        return AttestationSummary(
            start=start, end=end, heads=listed, latest=await self._structs(latest)
        )

    async def _by_client_id(self, client_id: uuid.UUID) -> dict[str, Any] | None:
        return (
            await AttestationTable.select()
            .where(AttestationTable.client_id == client_id)
            .first()
            .output(load_json=True)
        )

    async def _replay(self, who: Principal, row: dict[str, Any], digest: str) -> Attestation:
        if row["attester"] != who.employee_id or row["content_hash"] != digest:
            raise Conflict(
                "client_id ini sudah dipakai untuk atestasi lain dengan isi berbeda; "
                "buat atestasi baru"
            )
        return (await self._structs([row]))[0]

    async def _structs(self, rows: list[dict[str, Any]]) -> list[Attestation]:
        people = await org.staff_by_id(
            sorted({row["employee"] for row in rows} | {row["attester"] for row in rows})
        )
        units = await self.units.snapshot.get()

        def person(employee_id: int) -> PersonRef:
            found = people.get(employee_id)
            return PersonRef(nip=found.nip, name=found.name) if found else PersonRef("", "")

        return [
            Attestation(
                id=row["id"],
                client_id=row["client_id"],
                employee=person(row["employee"]),
                attester=person(row["attester"]),
                unit=units[row["unit"]].code if row["unit"] in units else "",
                start_date=row["start_date"],
                end_date=row["end_date"],
                days=row["days"],
                reason=row["reason"],
                captured_at=row["corrected_captured_at"],
                received_at=row["received_at"],
                signature_status=row["signature_status"],
                signature_reasons=[
                    msgspec.convert(reason, SignatureReason)
                    for reason in row["signature_reasons"] or []
                ],
            )
            for row in rows
        ]
