"""Permits: requested by the employee (online or from the PWA outbox), routed to the head of
their unit, decided once, and used by check-ins (dinas luar) and the day status."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

from backend.core import outbox as events
from backend.core import policy
from backend.core.auth import Principal
from backend.core.db import is_postgres
from backend.core.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    TooLarge,
    invalid_from_msgspec,
)
from backend.core.outbox import Outbox
from backend.core.paging import DEFAULT_PAGE_SIZE, after, page
from backend.core.storage import ObjectStore
from backend.devices.service import Devices, reason_words
from backend.geofence import service as geofence
from backend.org import service as org
from backend.permits.schemas import (
    KIND_WORDS,
    SHORT_LEAVE,
    Destination,
    DestinationList,
    LeaveBalance,
    Permit,
    PermitCreate,
    PermitDecision,
    PermitList,
    PersonRef,
)
from backend.permits.tables import Permit as PermitTable

# First key of the PostgreSQL advisory lock taken per employee while a permit is requested.
LOCK_SPACE = 8_001
PENDING, APPROVED, REJECTED, CANCELLED = "pending", "approved", "rejected", "cancelled"
ACTIVE = (PENDING, APPROVED)
BACKDATE_DAYS = 31  # a sick day is often reported afterwards; a month back is the limit
MAX_DAYS = {"tugas_belajar": 4 * 366, "cuti_besar": 93, SHORT_LEAVE: 1}  # others: one year
MAX_ATTACHMENT_BYTES = 2_000_000
ATTACHMENT_TYPES = {
    b"\xff\xd8\xff": ("jpg", "image/jpeg"),
    b"\x89PNG": ("png", "image/png"),
    b"%PDF": ("pdf", "application/pdf"),
}


MONTHS = (
    "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember"
).split()


def _date(value: dt.date) -> str:
    """Like "5 Desember 2026": the one way the PWA writes a date too (ui.js dateText)."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def date_span(start: dt.date, end: dt.date) -> str:
    """One day, or "5 s.d. 7 Desember 2026", "30 Desember 2026 s.d. 2 Januari 2027"."""
    if start == end:
        return _date(start)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day} s.d. {_date(end)}"
    if start.year == end.year:
        return f"{start.day} {MONTHS[start.month - 1]} s.d. {_date(end)}"
    return f"{_date(start)} s.d. {_date(end)}"


def _days_changed(employee_id: int, start: dt.date, end: dt.date) -> list[events.Event]:
    return [
        events.day_changed(employee_id, start + dt.timedelta(days=n))
        for n in range((end - start).days + 1)
    ]


def working_days(
    schedule_days: dict[str, Any] | None, holidays: set[dt.date], start: dt.date, end: dt.date
) -> int:
    """Days in [start, end] the employee would otherwise work: on their schedule, not a holiday."""
    days = schedule_days or {}
    count, day = 0, start
    while day <= end:
        if str(day.isoweekday()) in days and day not in holidays:
            count += 1
        day += dt.timedelta(days=1)
    return count


def leave_balance(year: int, allowance: int, used: int, pending: int) -> LeaveBalance:
    return LeaveBalance(
        year=year,
        allowance_days=allowance,
        used_days=used,
        pending_days=pending,
        remaining_days=max(0, allowance - used),
    )


def attachment_kind(data: bytes) -> tuple[str, str]:
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise TooLarge(
            f"Lampiran terlalu besar ({len(data) // 1024} KB); batasnya {MAX_ATTACHMENT_BYTES // 1024} KB"
        )
    for magic, kind in ATTACHMENT_TYPES.items():
        if data.startswith(magic):
            return kind
    raise Invalid("Lampiran harus berupa foto (JPEG/PNG) atau PDF surat")


def clock(value: str | None) -> dt.time | None:
    """ "HH:MM" or "HH:MM:SS" (checked by the wire type) as a time of day."""
    return dt.time.fromisoformat(value) if value else None


def hhmm(value: dt.time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def short_leave_hours(request: PermitCreate) -> tuple[dt.time, dt.time] | None:
    """The hours of an izin keluar kantor (one day, start before end); None for other kinds,
    which must not carry hours. Invalid, in words, otherwise."""
    start, end = clock(request.start_time), clock(request.end_time)
    if request.kind != SHORT_LEAVE:
        if start is not None or end is not None:
            raise Invalid("Jam mulai dan jam selesai hanya untuk izin keluar kantor")
        return None
    if start is None or end is None:
        raise Invalid("Izin keluar kantor memerlukan jam mulai dan jam selesai")
    if request.end_date != request.start_date:
        raise Invalid("Izin keluar kantor hanya untuk satu hari; tanggal selesai = tanggal mulai")
    if end <= start:
        raise Invalid("Jam selesai harus sesudah jam mulai")
    return start, end


def hours_overlap(a: tuple[dt.time, dt.time], b: tuple[dt.time, dt.time]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def decode_create(raw: bytes | str) -> PermitCreate:
    try:
        request = msgspec.json.decode(raw, type=PermitCreate)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise invalid_from_msgspec(exc, part="meta") from None
    if request.end_date < request.start_date:
        raise Invalid("Tanggal selesai tidak boleh sebelum tanggal mulai")
    short_leave_hours(request)
    span = (request.end_date - request.start_date).days + 1
    limit = MAX_DAYS.get(request.kind, 366)
    if span > limit:
        raise Invalid(
            f"{KIND_WORDS[request.kind]} paling lama {limit} hari; yang diminta {span} hari"
        )
    if request.destination_location_id is not None and request.kind != "dinas_luar":
        raise Invalid("Lokasi tujuan hanya untuk dinas luar")
    return request


class Permits:
    def __init__(
        self,
        *,
        store: ObjectStore,
        outbox: Outbox,
        presign_ttl_s: int,
        annual_leave_days: int = 12,
        devices: Devices | None = None,
    ) -> None:
        self.devices = devices
        self.store = store
        self.outbox = outbox
        self.presign_ttl_s = presign_ttl_s
        self.annual_leave_days = annual_leave_days

    # --- requests ---------------------------------------------------------------------------

    async def create(
        self,
        who: Principal,
        meta_raw: bytes | str,
        attachment: bytes | None,
        *,
        today: dt.date,
        chain: bytes | None = None,
        files: dict[str, bytes] | None = None,
    ) -> tuple[Permit, bool]:
        """Store a request once. `chain` is the device's signed chain block, judged (its link
        logged) before the request is: a request whose signature or chain is wrong is stored
        all the same, with `device_note` saying what is wrong for the approver to read."""
        device_id, device_note = None, ""
        if self.devices is not None:
            signed = await self.devices.verify_record(
                who.employee_id,
                chain,
                kind="permit",
                meta=meta_raw,
                files=files if files is not None else {"attachment": attachment},
            )
            device_id, device_note = signed.device_id, reason_words(signed.reasons)
        request = decode_create(meta_raw)
        hours = short_leave_hours(request)
        existing = (
            await PermitTable.select(PermitTable.id)
            .where(PermitTable.client_id == request.client_id)
            .first()
        )
        if existing:
            return await self._replay(who, existing["id"], request), False
        if request.start_date < today - dt.timedelta(days=BACKDATE_DAYS):
            raise Invalid(f"Permohonan paling lambat {BACKDATE_DAYS} hari setelah tanggal mulai")
        extension, content_type = attachment_kind(attachment) if attachment else ("", "")
        if request.destination_location_id is not None and not await geofence.location_exists(
            request.destination_location_id
        ):
            raise Invalid("Lokasi tujuan dinas luar tidak dikenal")
        days = await self._working_days(who.employee_id, request.start_date, request.end_date)
        if days == 0:
            raise Invalid("Rentang tanggal itu hanya berisi hari libur atau hari tidak bekerja")
        approver = await self.approver_for(who.employee_id)
        key = f"permits/{who.nip}/{request.client_id}.{extension}" if attachment else ""
        if attachment:
            # Before the transaction: no database lock is held while S3 answers. The key is the
            # client_id's, so parallel retries write the same object.
            await self.store.put(key, attachment, content_type)
        async with self.outbox.transaction():
            # One request of an employee at a time from here: parallel retries of one client_id
            # find the first one's permit (a replay), and two different permits cannot both
            # pass the overlap check.
            await self._lock_employee(who.employee_id)
            existing = (
                await PermitTable.select(PermitTable.id)
                .where(PermitTable.client_id == request.client_id)
                .first()
            )
            if existing is None:
                await self._refuse_overlap(
                    who.employee_id, request.start_date, request.end_date, hours
                )
                inserted = await PermitTable.insert(
                    PermitTable(
                        client_id=request.client_id,
                        employee=who.employee_id,
                        kind=request.kind,
                        start_date=request.start_date,
                        end_date=request.end_date,
                        reason=request.reason.strip(),
                        attachment_key=key,
                        destination=request.destination_location_id,
                        status=PENDING,
                        approver=approver,
                        created_at=dt.datetime.now(dt.UTC),
                        start_time=hours[0] if hours else None,
                        end_time=hours[1] if hours else None,
                        device_id=device_id,
                        device_note=device_note,
                    )
                ).returning(PermitTable.id)
                permit = await self._load(inserted[0]["id"])
                if approver is not None:
                    await self.outbox.add(
                        events.notice(
                            approver,
                            kind="permit_request",
                            subject=str(permit.id),
                            title=f"Permohonan {permit.kind_name.lower()}",
                            body=f"{permit.employee.name}: {_when(permit)}",
                            url=f"/#/izin/{permit.id}",
                        )
                    )
        if existing is not None:
            return await self._replay(who, existing["id"], request), False
        return permit, True

    async def _lock_employee(self, employee_id: int) -> None:
        """Serialise permit requests of one employee until the transaction ends. On SQLite the
        outbox's transaction already holds the one write lock from its start."""
        if is_postgres(self.outbox.engine):
            await PermitTable.raw("SELECT pg_advisory_xact_lock({}, {})", LOCK_SPACE, employee_id)

    async def _replay(self, who: Principal, permit_id: int, request: PermitCreate) -> Permit:
        permit = await self._load(permit_id)
        same = (
            permit.employee.nip == who.nip
            and permit.kind == request.kind
            and permit.start_date == request.start_date
            and permit.end_date == request.end_date
            and permit.reason == request.reason.strip()
            and permit.start_time == hhmm(clock(request.start_time))
            and permit.end_time == hhmm(clock(request.end_time))
        )
        if not same:
            raise Conflict("client_id ini sudah dipakai untuk permohonan lain dengan isi berbeda")
        return permit

    async def _working_days(self, employee_id: int, start: dt.date, end: dt.date) -> int:
        days = await org.schedule_days(employee_id)
        holidays = set(await org.holidays_between(start, end))
        return working_days(days or None, holidays, start, end)

    async def _refuse_overlap(
        self,
        employee_id: int,
        start: dt.date,
        end: dt.date,
        hours: tuple[dt.time, dt.time] | None = None,
    ) -> None:
        """409 when an active permit covers the same time. Short leaves (izin keluar kantor)
        clash with a whole-day permit and with short leaves whose hours overlap; a whole-day
        permit asked later (fallen ill after a short leave) does not clash with short leaves."""
        rows = await (
            PermitTable.select(
                PermitTable.kind,
                PermitTable.start_date,
                PermitTable.end_date,
                PermitTable.status,
                PermitTable.start_time,
                PermitTable.end_time,
            )
            .where(
                (PermitTable.employee == employee_id)
                & PermitTable.status.is_in(list(ACTIVE))
                & (PermitTable.start_date <= end)
                & (PermitTable.end_date >= start)
            )
            .limit(50)
        )
        for clash in rows:
            if clash["kind"] == SHORT_LEAVE:
                other = (clash["start_time"], clash["end_time"])
                if hours is None or not hours_overlap(hours, other):
                    continue
                span = f"{_date(clash['start_date'])} {hhmm(other[0])}–{hhmm(other[1])}"
            else:
                span = date_span(clash["start_date"], clash["end_date"])
            state = "sudah disetujui" if clash["status"] == APPROVED else "masih menunggu keputusan"
            raise Conflict(
                f"Bertumpuk dengan {KIND_WORDS.get(clash['kind'], clash['kind']).lower()} "
                f"{span} yang {state}"
            )

    async def approver_for(self, employee_id: int) -> int | None:
        """The head of the employee's unit; for a head, the head of the unit above."""
        return await org.approver_for(employee_id)

    # --- decisions ------------------------------------------------------------------------------

    async def decide(self, who: Principal, permit_id: int, decision: PermitDecision) -> Permit:
        permit = await self._load(permit_id)
        row = (
            await PermitTable.select(PermitTable.employee, PermitTable.approver)
            .where(PermitTable.id == permit_id)
            .first()
        )
        if row["employee"] == who.employee_id:
            raise Forbidden("Permohonan sendiri tidak dapat diputuskan sendiri")
        if not await self._may_decide(who, row["employee"], row["approver"]):
            raise Forbidden(
                "Anda bukan atasan pegawai ini; permohonan diputuskan oleh kepala unitnya"
            )
        if permit.status != PENDING:
            raise Conflict(f"Permohonan ini sudah {STATUS_WORDS[permit.status]}")
        status = APPROVED if decision.decision == "approve" else REJECTED
        async with self.outbox.transaction():
            updated = (
                await PermitTable.update(
                    {
                        PermitTable.status: status,
                        PermitTable.decided_by: who.employee_id,
                        PermitTable.decision_note: decision.note,
                        PermitTable.decided_at: dt.datetime.now(dt.UTC),
                    }
                )
                .where((PermitTable.id == permit_id) & (PermitTable.status == PENDING))
                .returning(PermitTable.id)
            )
            if not updated:
                raise Conflict("Permohonan ini baru saja diputuskan")
            decided = await self._load(permit_id)
            await self.outbox.add(
                *_days_changed(row["employee"], decided.start_date, decided.end_date),
                events.notice(
                    row["employee"],
                    kind="permit_decision",
                    subject=str(permit_id),
                    title=f"{decided.kind_name} {STATUS_WORDS[status]}",
                    body=_when(decided) + (f" — {decision.note}" if decision.note else ""),
                    url=f"/#/izin/{permit_id}",
                ),
            )
        return decided

    async def _may_decide(self, who: Principal, employee_id: int, approver: int | None) -> bool:
        # The policy table decides; the assigned approver, a head of the unit or one above,
        # reaches the employee through the kepala_unit scope.
        return await policy.reaches(who, "permit.decide", org.TREE, employee_id=employee_id)

    async def cancel(self, who: Principal, permit_id: int) -> Permit:
        permit = await self._load(permit_id)
        if permit.employee.nip != who.nip:
            raise NotFound("Permohonan tidak ditemukan")
        async with self.outbox.transaction():
            updated = (
                await PermitTable.update({PermitTable.status: CANCELLED})
                .where((PermitTable.id == permit_id) & (PermitTable.status == PENDING))
                .returning(PermitTable.id)
            )
            if updated:
                # A pending permit counts for no day today; recomputing keeps that true if a
                # rule ever lets a pending permit count.
                await self.outbox.add(
                    *_days_changed(who.employee_id, permit.start_date, permit.end_date)
                )
        if not updated:
            raise Conflict(
                f"Permohonan ini sudah {STATUS_WORDS[permit.status]}; tidak dapat dibatalkan"
            )
        return await self._load(permit_id)

    # --- reading --------------------------------------------------------------------------------

    async def get(self, who: Principal, permit_id: int) -> Permit:
        row = (
            await PermitTable.select(PermitTable.employee, PermitTable.approver)
            .where(PermitTable.id == permit_id)
            .first()
        )
        if row is None or not await policy.reaches(
            who, "permit.read", org.TREE, employee_id=row["employee"]
        ):
            raise NotFound("Permohonan tidak ditemukan")
        return await self._load(permit_id)

    async def mine(self, who: Principal) -> PermitList:
        rows = await (
            self._select()
            .where(PermitTable.employee == who.employee_id)
            .order_by(PermitTable.start_date, ascending=False)
        )
        return PermitList(items=await self._permits(rows))

    async def leave_balance(self, who: Principal, *, today: dt.date) -> LeaveBalance:
        """Sisa cuti: the year's allowance less the approved cuti tahunan of this calendar
        year, counted in working days (a request across New Year counts each year's part)."""
        first, last = today.replace(month=1, day=1), today.replace(month=12, day=31)
        rows = await PermitTable.select(
            PermitTable.start_date, PermitTable.end_date, PermitTable.status
        ).where(
            (PermitTable.employee == who.employee_id)
            & (PermitTable.kind == "cuti_tahunan")
            & PermitTable.status.is_in(list(ACTIVE))
            & (PermitTable.start_date <= last)
            & (PermitTable.end_date >= first)
        )
        days = await org.schedule_days(who.employee_id)
        holidays = set(await org.holidays_between(first, last))
        counted = {APPROVED: 0, PENDING: 0}
        for row in rows:
            counted[row["status"]] += working_days(
                days or None, holidays, max(row["start_date"], first), min(row["end_date"], last)
            )
        return leave_balance(
            today.year, self.annual_leave_days, counted[APPROVED], counted[PENDING]
        )

    async def destinations(self, words: str, *, limit: int = 30) -> DestinationList:
        """Places a dinas luar may name as its destination, matching `words`, by name."""
        found = await geofence.search_locations(words, limit=limit)
        return DestinationList(items=[Destination(id=i, name=name) for i, name in found])

    async def decided_by(self, who: Principal, *, limit: int = 20) -> PermitList:
        """The permits this person decided, newest first (a head's "today" on the board)."""
        rows = await (
            self._select()
            .where(PermitTable.decided_by == who.employee_id)
            .order_by(PermitTable.decided_at, ascending=False)
            .limit(limit)
        )
        return PermitList(items=await self._permits(rows))

    async def inbox(
        self, who: Principal, *, limit: int = DEFAULT_PAGE_SIZE, cursor: str | None = None
    ) -> PermitList:
        """Pending permits this person may decide, oldest first, one page at a time: one query
        for the page (the person's subtree of units inside it) and one for its holidays."""
        where = (PermitTable.status == PENDING) & (PermitTable.employee != who.employee_id)
        if not who.has("bkd", "admin"):
            mine = PermitTable.approver == who.employee_id
            if who.has("kepala_unit"):
                # The same rule as _may_decide: the employee's unit is under the head's unit.
                mine |= org.staff_under("permits_permit.employee", who.unit_id)
            where &= mine
        later = after(PermitTable.created_at, PermitTable.id, cursor)
        if later is not None:
            where &= later
        rows = await (
            self._select()
            .where(where)
            .order_by(PermitTable.created_at, PermitTable.id)
            .limit(limit + 1)
        )
        rows, next_cursor = page(rows, limit, "created_at")
        return PermitList(items=await self._permits(rows), next_cursor=next_cursor)

    async def attachment_url(self, who: Principal, permit_id: int) -> str:
        await self.get(who, permit_id)
        row = (
            await PermitTable.select(PermitTable.attachment_key)
            .where(PermitTable.id == permit_id)
            .first()
        )
        if not row["attachment_key"]:
            raise NotFound("Permohonan ini tidak berlampiran")
        return await self.store.presigned_get_url(row["attachment_key"], self.presign_ttl_s)

    # --- for check-ins and the day status ------------------------------------------------------

    async def approved_on(self, employee_ids: list[int], day: dt.date) -> dict[int, str]:
        """Employee id -> kind of the approved whole-day permit covering `day` (a short leave,
        izin keluar kantor, leaves the employee present that day: it is not one)."""
        if not employee_ids:
            return {}
        rows = await PermitTable.select(PermitTable.employee, PermitTable.kind).where(
            PermitTable.employee.is_in(employee_ids)
            & (PermitTable.status == APPROVED)
            & (PermitTable.kind != SHORT_LEAVE)
            & (PermitTable.start_date <= day)
            & (PermitTable.end_date >= day)
        )
        return {row["employee"]: row["kind"] for row in rows}

    async def approved_between(
        self, employee_id: int, start: dt.date, end: dt.date
    ) -> dict[dt.date, str]:
        """Day -> kind of the approved whole-day permit covering it, for days in [start, end]
        (the day status: a short leave does not change it)."""
        rows = await PermitTable.select(
            PermitTable.kind, PermitTable.start_date, PermitTable.end_date
        ).where(
            (PermitTable.employee == employee_id)
            & (PermitTable.status == APPROVED)
            & (PermitTable.kind != SHORT_LEAVE)
            & (PermitTable.start_date <= end)
            & (PermitTable.end_date >= start)
        )
        covered: dict[dt.date, str] = {}
        for row in rows:
            day = max(row["start_date"], start)
            while day <= min(row["end_date"], end):
                covered[day] = row["kind"]
                day += dt.timedelta(days=1)
        return covered

    async def short_leaves_on(
        self, employee_ids: list[int], day: dt.date
    ) -> dict[int, list[tuple[dt.time, dt.time]]]:
        """Employee id -> the hours of their approved izin keluar kantor on `day` (local time
        of their unit), for the exit cameras."""
        if not employee_ids:
            return {}
        rows = await PermitTable.select(
            PermitTable.employee, PermitTable.start_time, PermitTable.end_time
        ).where(
            PermitTable.employee.is_in(sorted(set(employee_ids)))
            & (PermitTable.status == APPROVED)
            & (PermitTable.kind == SHORT_LEAVE)
            & (PermitTable.start_date == day)
        )
        hours: dict[int, list[tuple[dt.time, dt.time]]] = {}
        for row in rows:
            if row["start_time"] is not None and row["end_time"] is not None:
                hours.setdefault(row["employee"], []).append((row["start_time"], row["end_time"]))
        return hours

    async def short_leave_counts(
        self, employee_ids: list[int], start: dt.date, end: dt.date
    ) -> dict[int, int]:
        """Employee id -> approved izin keluar kantor in [start, end] (the monthly recap lists
        them beside the day statuses they do not change)."""
        if not employee_ids:
            return {}
        rows = await PermitTable.raw(
            "SELECT employee, COUNT(*) AS n FROM permits_permit WHERE kind = {} AND status = {}"
            " AND start_date >= {} AND start_date <= {} GROUP BY employee",
            SHORT_LEAVE,
            APPROVED,
            start,
            end,
        )
        wanted = set(employee_ids)
        return {row["employee"]: row["n"] for row in rows if row["employee"] in wanted}

    async def dinas_luar_destinations(self, employee_id: int, day: dt.date) -> list[int]:
        rows = await PermitTable.select(PermitTable.destination).where(
            (PermitTable.employee == employee_id)
            & (PermitTable.kind == "dinas_luar")
            & (PermitTable.status == APPROVED)
            & (PermitTable.start_date <= day)
            & (PermitTable.end_date >= day)
            & PermitTable.destination.is_not_null()
        )
        return [row["destination"] for row in rows]

    async def dinas_luar_at(self, location_id: int, day: dt.date) -> list[int]:
        """Employees with an approved dinas luar to this location covering `day` (the face
        kiosk there names them too)."""
        rows = await PermitTable.select(PermitTable.employee).where(
            (PermitTable.destination == location_id)
            & (PermitTable.kind == "dinas_luar")
            & (PermitTable.status == APPROVED)
            & (PermitTable.start_date <= day)
            & (PermitTable.end_date >= day)
        )
        return sorted({row["employee"] for row in rows})

    @staticmethod
    def _select() -> Any:
        """Permits with the names of the people on them and the employee's schedule: everything
        a `Permit` needs but the holidays, in one query however many rows it returns."""
        return PermitTable.select(
            PermitTable.all_columns(),
            PermitTable.employee.nip.as_alias("employee_nip"),
            PermitTable.employee.name.as_alias("employee_name"),
            PermitTable.employee.schedule.days.as_alias("schedule_days"),
            PermitTable.approver.nip.as_alias("approver_nip"),
            PermitTable.approver.name.as_alias("approver_name"),
            PermitTable.decided_by.nip.as_alias("decided_by_nip"),
            PermitTable.decided_by.name.as_alias("decided_by_name"),
        ).output(load_json=True)

    async def _load(self, permit_id: int) -> Permit:
        row = await self._select().where(PermitTable.id == permit_id).first()
        if row is None:
            raise NotFound("Permohonan tidak ditemukan")
        [permit] = await self._permits([row])
        return permit

    async def _permits(self, rows: list[dict[str, Any]]) -> list[Permit]:
        """Rows of `_select()` as Permits; the holidays of all of them in one query."""
        if not rows:
            return []
        first = min(row["start_date"] for row in rows)
        last = max(row["end_date"] for row in rows)
        holidays = set(await org.holidays_between(first, last))
        names = await geofence.location_names([r["destination"] for r in rows if r["destination"]])
        return [_permit(row, holidays, names) for row in rows]


def _permit(row: dict[str, Any], holidays: set[dt.date], names: dict[int, str]) -> Permit:
    def person(prefix: str) -> PersonRef | None:
        nip = row[f"{prefix}_nip"]
        return PersonRef(nip=nip, name=row[f"{prefix}_name"]) if nip else None

    return Permit(
        id=row["id"],
        client_id=row["client_id"]
        if isinstance(row["client_id"], uuid.UUID)
        else uuid.UUID(str(row["client_id"])),
        kind=row["kind"],
        kind_name=KIND_WORDS.get(row["kind"], row["kind"]),
        employee=PersonRef(nip=row["employee_nip"], name=row["employee_name"]),
        start_date=row["start_date"],
        end_date=row["end_date"],
        working_days=working_days(
            row["schedule_days"], holidays, row["start_date"], row["end_date"]
        ),
        reason=row["reason"],
        status=row["status"],
        approver=person("approver"),
        decided_by=person("decided_by"),
        decision_note=row["decision_note"],
        decided_at=row["decided_at"],
        has_attachment=bool(row["attachment_key"]),
        destination_location_id=row["destination"],
        created_at=row["created_at"],
        start_time=hhmm(row.get("start_time")),
        end_time=hhmm(row.get("end_time")),
        destination_name=names.get(row["destination"]),
        device_note=row.get("device_note") or "",
    )


def _when(permit: Permit) -> str:
    """The dates (and hours, for a short leave) of a permit in words, for notifications."""
    if permit.start_time and permit.end_time:
        return f"{_date(permit.start_date)} pukul {permit.start_time}–{permit.end_time}"
    return date_span(permit.start_date, permit.end_date)


STATUS_WORDS = {
    PENDING: "menunggu keputusan",
    APPROVED: "disetujui",
    REJECTED: "ditolak",
    CANCELLED: "dibatalkan",
}
