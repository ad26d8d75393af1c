"""`hadir seed-demo`: load the demo regency (backend/org/demo_data.py) into an empty database.

It writes several domains' tables (units, staff, fences), so it sits above the domains, beside
services.py, rather than inside one of them.

Idempotent: rows are matched on their codes / NIPs / dates, so running it twice changes nothing.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from backend.core.auth import hash_password
from backend.geofence.service import import_geojson
from backend.org import demo_data
from backend.org.tables import Employee, Holiday, Schedule, Unit


class SeedReport(msgspec.Struct):
    units: int
    schedules: int
    employees: int
    holidays: int
    locations_created: int
    locations_refused: list[str]


async def seed_demo(*, default_max_accuracy_m: float) -> SeedReport:
    units = await _seed_units()
    schedules = await _seed_schedules()
    employees = await _seed_employees(units, schedules)
    holidays = await _seed_holidays()
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": loc.geometry,
                "properties": {
                    "code": loc.code,
                    "unit": loc.unit_code,
                    "name": loc.name,
                    "radius_m": loc.radius_m,
                    "max_accuracy_m": loc.max_accuracy_m,
                },
            }
            for loc in demo_data.LOCATIONS
        ],
    }
    report = await import_geojson(
        msgspec.json.encode(collection), default_max_accuracy_m=default_max_accuracy_m
    )
    return SeedReport(
        units=len(units),
        schedules=len(schedules),
        employees=employees,
        holidays=holidays,
        locations_created=report.created,
        locations_refused=[f"{r.code}: {r.reason}" for r in report.refused],
    )


async def _seed_units() -> dict[str, int]:
    ids = {row["code"]: row["id"] for row in await Unit.select(Unit.code, Unit.id)}
    for unit in demo_data.UNITS:  # parents come before children in the data
        if unit.code in ids:
            continue
        inserted = await Unit.insert(
            Unit(
                code=unit.code,
                name=unit.name,
                kind=unit.kind,
                parent=ids[unit.parent_code] if unit.parent_code else None,
                timezone=unit.timezone,
                kode_wilayah=unit.kode_wilayah,
            )
        ).returning(Unit.id)
        ids[unit.code] = inserted[0]["id"]
    return ids


async def _seed_schedules() -> dict[str, int]:
    ids = {row["code"]: row["id"] for row in await Schedule.select(Schedule.code, Schedule.id)}
    for schedule in demo_data.SCHEDULES:
        if schedule.code in ids:
            continue
        inserted = await Schedule.insert(
            Schedule(
                code=schedule.code,
                name=schedule.name,
                kind=schedule.kind,
                days={str(day): list(window) for day, window in schedule.days.items()},
            )
        ).returning(Schedule.id)
        ids[schedule.code] = inserted[0]["id"]
    return ids


async def _seed_employees(units: dict[str, int], schedules: dict[str, int]) -> int:
    existing = {row["nip"] for row in await Employee.select(Employee.nip)}
    # One hash for the shared demo password: argon2 costs ~50 ms a hash.
    password_hash = hash_password(demo_data.DEMO_PASSWORD)
    now = dt.datetime.now(dt.UTC)
    rows = [
        Employee(
            nip=person.nip,
            name=person.name,
            unit=units[person.unit_code],
            schedule=schedules[person.schedule_code],
            roles=list(person.roles),
            position=person.position,
            password_hash=password_hash,
            active=True,
            created_at=now,
        )
        for person in demo_data.EMPLOYEES
        if person.nip not in existing
    ]
    if rows:
        await Employee.insert(*rows)
    return len(demo_data.EMPLOYEES)


async def _seed_holidays() -> int:
    existing = {row["date"] for row in await Holiday.select(Holiday.date)}
    rows = [
        Holiday(date=h.date, name=h.name, kind=h.kind)
        for h in demo_data.HOLIDAYS
        if h.date not in existing
    ]
    if rows:
        await Holiday.insert(*rows)
    return len(demo_data.HOLIDAYS)
