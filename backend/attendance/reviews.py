"""The BKD review desk: flagged check-ins beside the photos, and an audit log of decisions."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

import msgspec
from piccolo.columns.combination import WhereRaw

from backend.attendance.schemas import (
    CctvEvidence,
    CheckIn,
    Reason,
    ReviewDecision,
    ReviewEmployee,
    ReviewItem,
    ReviewList,
    ReviewLocation,
)
from backend.attendance.service import ACCEPTED, FLAGGED, PENDING, REJECTED, CheckIns, to_struct
from backend.attendance.tables import CheckIn as CheckInTable
from backend.attendance.tables import Review
from backend.core import outbox as events
from backend.core.auth import Principal
from backend.core.errors import Conflict, Forbidden, NotFound
from backend.core.paging import DEFAULT_PAGE_SIZE, after, page
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
    ) -> ReviewList:
        """Flagged check-ins, oldest first, one page at a time, with short-lived photo URLs
        (each one logged). One query for the page, then the photo links of its rows."""
        # One's own records are not offered: nobody decides their own (see `decide`).
        where = (CheckInTable.status == FLAGGED) & (CheckInTable.employee != who.employee_id)
        if day is not None:
            where &= CheckInTable.work_date == day
        if unit:
            unit_row = await org.unit_by_code(unit)
            if unit_row is None:
                raise NotFound(f"Unit {unit} tidak ditemukan")
            where &= CheckInTable.employee.unit == unit_row.id
        if reason:
            where &= _has_reason(reason)
        later = after(CheckInTable.received_at, CheckInTable.id, cursor)
        if later is not None:
            where &= later
        rows = await (
            CheckInTable.select(
                CheckInTable.all_columns(),
                CheckInTable.employee.nip.as_alias("employee_nip"),
                CheckInTable.employee.name.as_alias("employee_name"),
                CheckInTable.employee.unit.name.as_alias("unit_name"),
            )
            .where(where)
            .order_by(CheckInTable.received_at, CheckInTable.id)
            .limit(limit + 1)
            .output(load_json=True)
        )
        rows, next_cursor = page(rows, limit, "received_at")
        return ReviewList(
            items=[await self._item(who, row) for row in rows], next_cursor=next_cursor
        )

    async def _item(self, who: Principal, row: dict[str, Any]) -> ReviewItem:
        book = await self.checkins.geofences.snapshot.get()
        location = book.locations.get(row["location"]) if row["location"] else None
        selfie_url = None
        if row["selfie_key"]:
            selfie_url = await self.faces.photo_url(who, row["selfie_key"], checkin_id=row["id"])
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
            reference_url=await self.faces.reference_url(
                who, row["employee"], checkin_id=row["id"]
            ),
            cctv=await self.evidence.for_checkin(who, row["id"]) if self.evidence else [],
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
