"""Extra units, schedules and staff for tests beyond the demo regency: other time zones (WITA,
WIT), night shifts. Created in the test database and removed again, records and all."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import uuid
from collections.abc import AsyncIterator

from backend.attendance.tables import CheckIn, DayRecord, Review
from backend.faces.tables import PhotoAccess
from backend.org.tables import Employee, Schedule, Unit
from backend.permits.tables import Permit
from tests.support.factories import TEACHER

_SEQUENCE = itertools.count(1)
NIGHTS = {str(d): ["22:00", "06:00"] for d in range(1, 6)}  # shifts starting Mon..Fri evening
OFFICE = {str(d): ["07:30", "16:00"] for d in range(1, 6)}


class Staff:
    def __init__(self) -> None:
        self.unit_ids: list[int] = []
        self.schedule_ids: list[int] = []
        self.employee_ids: list[int] = []

    async def unit(self, timezone: str, *, parent_code: str = "PEMDA") -> int:
        parent = await Unit.select(Unit.id).where(Unit.code == parent_code).first()
        code = f"T-{uuid.uuid4().hex[:10]}"
        [row] = await Unit.insert(
            Unit(
                code=code,
                name=f"Unit uji {timezone}",
                kind="opd",
                parent=parent["id"],
                timezone=timezone,
            )
        ).returning(Unit.id)
        self.unit_ids.append(row["id"])
        return row["id"]

    async def schedule(self, days: dict[str, list[str]]) -> int:
        [row] = await Schedule.insert(
            Schedule(code=f"T-{uuid.uuid4().hex[:10]}", name="Jadwal uji", kind="shift", days=days)
        ).returning(Schedule.id)
        self.schedule_ids.append(row["id"])
        return row["id"]

    async def employee(
        self,
        unit_id: int,
        schedule_id: int | None,
        *,
        since: dt.datetime,
        roles: tuple[str, ...] = ("asn",),
    ) -> int:
        """An employee registered at `since`, sharing the demo password (and its hash)."""
        demo = await Employee.select(Employee.password_hash).where(Employee.nip == TEACHER.nip)
        nip = f"199001012015011{next(_SEQUENCE) % 999 + 1:03d}"  # a valid NIP, not a demo one
        [row] = await Employee.insert(
            Employee(
                nip=nip,
                name="Pegawai uji",
                unit=unit_id,
                schedule=schedule_id,
                roles=list(roles),
                password_hash=demo[0]["password_hash"],
                active=True,
                created_at=since,
            )
        ).returning(Employee.id)
        self.employee_ids.append(row["id"])
        return row["id"]

    async def nip_of(self, employee_id: int) -> str:
        row = await Employee.select(Employee.nip).where(Employee.id == employee_id).first()
        return row["nip"]

    async def remove(self) -> None:
        if self.employee_ids:
            ids = self.employee_ids
            mine = CheckIn.select(CheckIn.id).where(CheckIn.employee.is_in(ids))
            await Review.delete().where(Review.checkin.is_in(mine) | Review.reviewer.is_in(ids))
            await PhotoAccess.delete().where(PhotoAccess.employee.is_in(ids))
            await CheckIn.delete().where(CheckIn.employee.is_in(ids))
            await DayRecord.delete().where(DayRecord.employee.is_in(ids))
            await Permit.delete().where(Permit.employee.is_in(ids))
            await Employee.delete().where(Employee.id.is_in(ids))
        if self.schedule_ids:
            await Schedule.delete().where(Schedule.id.is_in(self.schedule_ids))
        if self.unit_ids:
            await Unit.delete().where(Unit.id.is_in(self.unit_ids))


@contextlib.asynccontextmanager
async def extra_staff() -> AsyncIterator[Staff]:
    staff = Staff()
    try:
        yield staff
    finally:
        await staff.remove()
