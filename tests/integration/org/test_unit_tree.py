"""The unit tree walked in the database (recursive CTEs): the same answers as walking the whole
table in Python, which is what the code did before, on PostgreSQL and on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.core.db import migrate, open_engine
from backend.core.settings import Settings
from backend.demo import seed_demo
from backend.org import service as org
from backend.org.tables import Employee, Unit


async def reference_tree() -> tuple[dict[int, int | None], list[dict]]:
    units = {row["id"]: row["parent"] for row in await Unit.select(Unit.id, Unit.parent)}
    people = await Employee.select(Employee.id, Employee.unit, Employee.roles, Employee.active)
    return units, people


def reference_under(units: dict[int, int | None], unit_id: int) -> set[int]:
    return {u for u in units if unit_id in reference_path(units, u)}


def reference_path(units: dict[int, int | None], unit_id: int | None) -> list[int]:
    path = []
    while unit_id is not None:
        path.append(unit_id)
        unit_id = units[unit_id]
    return path


def reference_approver(
    units: dict[int, int | None], people: list[dict], employee_id: int
) -> int | None:
    """The previous implementation: every unit and every active head read into memory."""
    heads: dict[int, list[int]] = {}
    for row in people:
        if row["active"] and "kepala_unit" in row["roles"]:
            heads.setdefault(row["unit"], []).append(row["id"])
    unit = next(p["unit"] for p in people if p["id"] == employee_id)
    for current in reference_path(units, unit):
        candidates = [h for h in heads.get(current, []) if h != employee_id]
        if candidates:
            return min(candidates)
    return None


async def check_tree_against_reference() -> None:
    units, people = await reference_tree()
    assert len(units) >= 10 and len(people) >= 30
    for unit_id in units:
        assert await org.unit_ids_under(unit_id) == reference_under(units, unit_id)
        staff = await Employee.select(Employee.id).where(
            org.staff_under("org_employee.id", unit_id)
        )
        assert {r["id"] for r in staff} == {
            p["id"] for p in people if p["unit"] in reference_under(units, unit_id)
        }
        for other in units:
            expected = other in reference_path(units, unit_id)
            assert await org.unit_within(unit_id, other) is expected
    for person in people:
        assert await org.approver_for(person["id"]) == reference_approver(
            units, people, person["id"]
        ), person
        for other in units:
            expected = other in reference_path(units, person["unit"])
            assert await org.employee_within(person["id"], other) is expected
    # Heads themselves go one level up; a school's teacher goes to the principal.
    assert any(
        reference_approver(units, people, p["id"]) not in (None, p["id"])
        for p in people
        if "kepala_unit" in p["roles"]
    )


async def test_the_tree_on_postgresql(db) -> None:
    await check_tree_against_reference()


async def test_an_inactive_head_is_passed_over_for_the_next_one_up(db) -> None:
    units, people = await reference_tree()
    teacher = next(p for p in people if "kepala_unit" not in p["roles"] and units[p["unit"]])
    head = await org.approver_for(teacher["id"])
    assert head is not None
    await Employee.update({Employee.active: False}).where(Employee.id == head)
    try:
        _, people = await reference_tree()
        above = await org.approver_for(teacher["id"])
        assert above != head
        assert above == reference_approver(units, people, teacher["id"])
    finally:
        await Employee.update({Employee.active: True}).where(Employee.id == head)


@pytest.mark.timeout(120)
async def test_the_tree_on_sqlite(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path))
    async with open_engine(settings) as engine:
        await migrate(engine)
        await seed_demo(default_max_accuracy_m=settings.default_max_accuracy_m)
        await check_tree_against_reference()
