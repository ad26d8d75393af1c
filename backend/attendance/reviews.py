"""The BKD review desk: flagged check-ins beside the photos, and an audit log of decisions."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
from typing import Any, Protocol

import msgspec
from piccolo.columns.combination import WhereRaw
from piccolo.query import OrderByRaw
from piccolo.query.functions.aggregate import Count

from backend.attendance.schemas import (
    CctvEvidence,
    CheckIn,
    Reason,
    ReviewDecision,
    ReviewEmployee,
    ReviewItem,
    ReviewList,
    ReviewLocation,
    ReviewReference,
    ReviewUnit,
    RiskPart,
)
from backend.attendance.service import ACCEPTED, FLAGGED, PENDING, REJECTED, CheckIns, to_struct
from backend.attendance.tables import CheckIn as CheckInTable
from backend.attendance.tables import Review
from backend.core import outbox as events
from backend.core import policy
from backend.core.auth import Principal
from backend.core.errors import Conflict, Forbidden, Invalid, NotFound
from backend.core.paging import DEFAULT_PAGE_SIZE, after, before, page
from backend.faces.service import Faces
from backend.org import service as org

# A verifier's own flagged check-in is decided by a colleague, as a permit is by a superior.
OWN_RECORD = (
    "Presensi sendiri tidak dapat diputuskan sendiri; "
    "keputusannya diambil oleh verifikator BKD lain"
)


def _has_reason(code: str) -> WhereRaw:
    """Check-ins whose JSON list of reasons holds one with this code, in SQL so that paging
    stays exact (filtering a fetched window afterwards could skip rows)."""
    if CheckInTable._meta.db.engine_type == "postgres":
        return WhereRaw(
            "attendance_checkin.reasons::jsonb @> {}::jsonb",
            msgspec.json.encode([{"code": code}]).decode(),
        )
    return WhereRaw(
        "EXISTS (SELECT 1 FROM json_each(attendance_checkin.reasons)"
        " WHERE json_extract(value, '$.code') = {})",
        code,
    )


# Highest spoof-risk first; records without a score (settled before it existed) last. Ties
# oldest first, as the default order.
RISK = "COALESCE(attendance_checkin.risk_score, -1)"


def encode_risk_cursor(score: float | None, row_id: int) -> str:
    raw = f"risk|{-1.0 if score is None else score!r}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_risk_cursor(cursor: str) -> tuple[float, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, score, row_id = raw.split("|")
        value, number = float(score), int(row_id)
        # Refused here rather than by the database (a 5xx): NaN, infinities, ids out of range.
        if kind != "risk" or not math.isfinite(value) or not 0 <= number < 2**63:
            raise ValueError(kind)
        return value, number
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise Invalid("cursor tidak sah; mulai lagi dari halaman pertama") from None


def after_risk(cursor: str | None) -> WhereRaw | None:
    """Rows after `cursor` in (score descending, id ascending) order; None for the first page."""
    if not cursor:
        return None
    score, row_id = decode_risk_cursor(cursor)
    return WhereRaw(
        f"({RISK} < {{}} OR ({RISK} = {{}} AND attendance_checkin.id > {{}}))",
        score,
        score,
        row_id,
    )


def review_units(nodes: list[Any], waiting: dict[int, int]) -> list[ReviewUnit]:
    """Units depth first (children by name under their parent), each with the count waiting
    in it and below it. `nodes` have id, code, name, kind, parent (an id); a node whose parent
    is not among them is a top."""
    by_id = {n.id: n for n in nodes}
    children: dict[int | None, list[Any]] = {}
    for node in nodes:
        parent = node.parent if node.parent in by_id else None
        children.setdefault(parent, []).append(node)
    for kids in children.values():
        kids.sort(key=lambda n: n.name)
    out: list[ReviewUnit] = []

    def visit(node: Any, depth: int) -> int:
        at = len(out)
        out.append(ReviewUnit(node.code, node.name, node.kind, None, depth, 0))
        total = waiting.get(node.id, 0)
        for kid in children.get(node.id, []):
            total += visit(kid, depth + 1)
        parent = by_id.get(node.parent)
        out[at] = ReviewUnit(
            node.code, node.name, node.kind, parent.code if parent else None, depth, total
        )
        return total

    for top in children.get(None, []):
        visit(top, 0)
    return out


class Evidence(Protocol):
    """CCTV snapshots linked to a check-in, with logged image links: the cctv domain's, handed
    in by the composition root (cctv reads attendance, so attendance cannot import cctv)."""

    async def for_checkin(self, who: Principal, checkin_id: int) -> list[CctvEvidence]: ...


class Reviews:
    def __init__(
        self, *, checkins: CheckIns, faces: Faces, evidence: Evidence | None = None
    ) -> None:
        self.checkins = checkins
        self.faces = faces
        self.evidence = evidence

    async def queue(
        self,
        who: Principal,
        *,
        unit: str | None,
        day: dt.date | None,
        reason: str | None,
        limit: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
        newest_first: bool = False,
        by_risk: bool = False,
    ) -> ReviewList:
        """The backlog of flagged check-ins of every day, oldest first (or newest first), one
        page at a time, with the count over all pages and short-lived photo URLs (each one
        logged). `unit` takes that unit and every unit below it; `start`/`end` bound the work
        date (inclusive), `day` is one work date. One query for the page, one for the count,
        then the photo links of the page's rows."""
        if start is not None and end is not None and end < start:
            raise Invalid("Rentang tanggal terbalik: 'end' harus sama dengan atau setelah 'start'")
        # One's own records are not offered: nobody decides their own (see `decide`).
        where = (CheckInTable.status == FLAGGED) & (CheckInTable.employee != who.employee_id)
        if policy.scope(who, "review.list") == policy.UNIT:
            where &= org.staff_under("attendance_checkin.employee", who.unit_id)
        if day is not None:
            where &= CheckInTable.work_date == day
        if start is not None:
            where &= CheckInTable.work_date >= start
        if end is not None:
            where &= CheckInTable.work_date <= end
        if unit:
            unit_row = await org.unit_by_code(unit)
            if unit_row is None:
                raise NotFound(f"Unit {unit} tidak ditemukan")
            where &= org.staff_under("attendance_checkin.employee", unit_row.id)
        if reason:
            where &= _has_reason(reason)
        total = await CheckInTable.count().where(where)
        if by_risk:
            later = after_risk(cursor)
        else:
            follow = before if newest_first else after
            later = follow(CheckInTable.received_at, CheckInTable.id, cursor)
        if later is not None:
            where &= later
        query = CheckInTable.select(
            CheckInTable.all_columns(),
            CheckInTable.employee.nip.as_alias("employee_nip"),
            CheckInTable.employee.name.as_alias("employee_name"),
            CheckInTable.employee.unit.name.as_alias("unit_name"),
        ).where(where)
        if by_risk:
            query = query.order_by(OrderByRaw(RISK), ascending=False).order_by(CheckInTable.id)
        else:
            query = query.order_by(
                CheckInTable.received_at, CheckInTable.id, ascending=not newest_first
            )
        rows = await query.limit(limit + 1).output(load_json=True)
        if by_risk:
            next_cursor = None
            if len(rows) > limit:
                rows = rows[:limit]
                next_cursor = encode_risk_cursor(rows[-1]["risk_score"], rows[-1]["id"])
        else:
            rows, next_cursor = page(rows, limit, "received_at")
        return ReviewList(
            items=[await self._item(who, row) for row in rows],
            next_cursor=next_cursor,
            total=total,
        )

    async def units(self, who: Principal) -> list[ReviewUnit]:
        """Every unit the desk can filter by, in tree order, with the flagged check-ins waiting
        under each (one grouped query, rolled up the tree here: a few hundred units)."""
        where = (CheckInTable.status == FLAGGED) & (CheckInTable.employee != who.employee_id)
        rows = await (
            CheckInTable.select(CheckInTable.employee.unit.as_alias("unit"), Count())
            .where(where)
            .group_by(CheckInTable.employee.unit)
        )
        nodes = await org.unit_nodes()
        if policy.scope(who, "review.list") == policy.UNIT:
            under = await org.unit_ids_under(who.unit_id)
            nodes = [n for n in nodes if n.id in under]
        return review_units(nodes, {row["unit"]: row["count"] for row in rows})

    async def _item(self, who: Principal, row: dict[str, Any]) -> ReviewItem:
        book = await self.checkins.geofences.snapshot.get()
        location = book.locations.get(row["location"]) if row["location"] else None
        selfie_url = None
        if row["selfie_key"]:
            selfie_url = await self.faces.photo_url(who, row["selfie_key"], checkin_id=row["id"])
        references = await self.faces.reference_urls(who, row["employee"], checkin_id=row["id"])
        return ReviewItem(
            checkin=to_struct(row, location.name if location else None),
            employee=ReviewEmployee(
                nip=row["employee_nip"], name=row["employee_name"], unit_name=row["unit_name"]
            ),
            location=ReviewLocation(
                id=location.id,
                name=location.name,
                geometry=location.geometry,
                radius_m=location.radius_m,
            )
            if location
            else None,
            selfie_url=selfie_url,
            reference_url=references[0] if references else None,
            cctv=await self.evidence.for_checkin(who, row["id"]) if self.evidence else [],
            reference_urls=references,
            risk_score=row["risk_score"],
            risk_parts=msgspec.convert(row["risk_parts"] or [], list[RiskPart]),
        )

    async def decide(self, who: Principal, checkin_id: int, decision: ReviewDecision) -> CheckIn:
        row = await self.checkins.row(checkin_id)
        if row["employee"] == who.employee_id:
            raise Forbidden(OWN_RECORD)
        if row["status"] == PENDING:
            raise Conflict("Presensi ini masih menunggu verifikasi wajah; belum bisa diputuskan")
        if row["status"] != FLAGGED:
            raise Conflict(
                f"Presensi ini sudah diputuskan ({row['status']}); keputusan tidak dapat diubah"
            )
        name = who.name or who.nip
        accept = decision.decision == "accept"
        new_status = ACCEPTED if accept else REJECTED
        words = "Diterima" if accept else "Ditolak"
        note = f": {decision.note}" if decision.note else ""
        reasons = [
            *msgspec.convert(row["reasons"], list[Reason]),
            Reason(
                "review_accepted" if accept else "review_rejected",
                f"{words} oleh BKD ({name}){note}",
            ),
        ]
        now = dt.datetime.now(dt.UTC)
        async with self.checkins.outbox.transaction():
            # The status guard makes a concurrent second decision update nothing.
            updated = (
                await CheckInTable.update(
                    {
                        CheckInTable.status: new_status,
                        CheckInTable.reasons: msgspec.to_builtins(reasons),
                    }
                )
                .where((CheckInTable.id == checkin_id) & (CheckInTable.status == FLAGGED))
                .returning(CheckInTable.id)
            )
            if not updated:
                raise Conflict("Presensi ini baru saja diputuskan oleh petugas lain")
            await Review.insert(
                Review(
                    checkin=checkin_id,
                    reviewer=who.employee_id,
                    decision=decision.decision,
                    note=decision.note,
                    previous_status=FLAGGED,
                    new_status=new_status,
                    decided_at=now,
                )
            )
            await self.checkins.outbox.add(events.day_changed(row["employee"], row["work_date"]))
        return await self.checkins.get(who, checkin_id)

    async def use_as_reference(self, who: Principal, checkin_id: int) -> ReviewReference:
        """ "Jadikan foto referensi": the selfie of a check-in BKD accepted becomes one of the
        employee's reference photos, once (a second request returns the first). Only a check-in
        accepted at the desk: a rejected one (or one never flagged) is not vouched for."""
        row = await self.checkins.row(checkin_id)
        if row["employee"] == who.employee_id:
            raise Forbidden("Selfie sendiri tidak dapat dijadikan foto referensi oleh diri sendiri")
        await policy.ensure(
            who,
            "review.reference",
            NotFound("Presensi tidak ditemukan"),
            self.checkins.units.tree,
            employee_id=row["employee"],
        )
        accepted = await Review.exists().where(
            (Review.checkin == checkin_id) & (Review.new_status == ACCEPTED)
        )
        if row["status"] != ACCEPTED or not accepted:
            raise Conflict(
                "Hanya presensi yang sudah diterima BKD yang selfienya dapat dijadikan "
                f"foto referensi (status: {row['status']})"
            )
        if not row["selfie_key"]:
            raise Conflict("Presensi ini tidak memiliki foto selfie")
        nip = (await org.staff_by_id([row["employee"]]))[row["employee"]].nip
        reference_id, created_at, created = await self.faces.enrol_selfie(
            who,
            employee_id=row["employee"],
            nip=nip,
            selfie_key=row["selfie_key"],
            checkin_id=checkin_id,
        )
        return ReviewReference(
            id=reference_id,
            nip=nip,
            checkin_id=checkin_id,
            created_at=created_at,
            created=created,
        )
