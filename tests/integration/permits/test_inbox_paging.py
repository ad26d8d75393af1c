"""The permit inbox is one query per page: paged oldest first, and for every demo head and BKD
the same permits as the previous per-permit check (`_may_decide` on every pending permit)."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx

from backend.core.auth import Principal
from backend.org import demo_data
from backend.org.tables import Employee
from backend.permits.service import PENDING
from backend.permits.tables import Permit as PermitTable
from backend.services import open_services
from tests.support.factories import login


async def seed_pending(count_per_person: int = 2) -> list[int]:
    """Pending permits of every demo employee (direct inserts: the request path is tested in
    test_permits.py), created a second apart, two sharing one timestamp to test the tie."""
    people = await Employee.select(Employee.id).order_by(Employee.id)
    base = dt.datetime(2026, 1, 5, 1, 0, tzinfo=dt.UTC)
    ids = []
    for n, person in enumerate(people * count_per_person):
        created = base + dt.timedelta(seconds=n // 2 * 2)  # pairs share a timestamp
        start = dt.date(2026, 2, 2) + dt.timedelta(days=7 * (n // len(people)))
        rows = await PermitTable.insert(
            PermitTable(
                client_id=uuid.uuid4(),
                employee=person["id"],
                kind="izin",
                start_date=start,
                end_date=start + dt.timedelta(days=1),
                reason="Keperluan keluarga",
                status=PENDING,
                approver=None,
                created_at=created,
            )
        ).returning(PermitTable.id)
        ids.append(rows[0]["id"])
    return ids


async def pages(client: httpx.AsyncClient, headers: dict[str, str], limit: int) -> list[list[int]]:
    found, cursor = [], None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/api/v1/permits/inbox", params=params, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= limit
        found.append([p["id"] for p in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return found


async def test_the_inbox_pages_through_the_same_permits_as_before(client, clean) -> None:
    await seed_pending()
    deciders = [e for e in demo_data.EMPLOYEES if {"kepala_unit", "bkd"} & set(e.roles)]
    async with open_services(clean, face_executor=lambda: None) as services:
        permits = services.permits
        pending = (
            await PermitTable.select(PermitTable.id, PermitTable.employee, PermitTable.approver)
            .where(PermitTable.status == PENDING)
            .order_by(PermitTable.created_at)
            .order_by(PermitTable.id)
        )
        for person in deciders:
            row = await Employee.select().where(Employee.nip == person.nip).first()
            who = Principal(
                employee_id=row["id"],
                nip=row["nip"],
                name=row["name"],
                roles=tuple(row["roles"]),
                unit_id=row["unit"],
            )
            expected = [
                p["id"]
                for p in pending
                if p["employee"] != who.employee_id
                and await permits._may_decide(who, p["employee"], p["approver"])
            ]
            headers = await login(client, person.nip)
            paged = await pages(client, headers, limit=3)
            assert [i for page in paged for i in page] == expected, person.nip
            assert all(len(page) == 3 for page in paged[:-1])
            assert [i for page in await pages(client, headers, limit=200) for i in page] == expected
    # A head of a school sees their staff's permits but not their own.
    assert any(len(p) > 1 for p in paged)


async def test_the_inbox_limit_is_bounded_and_a_bad_cursor_says_so(client, clean) -> None:
    bkd = await login(client, next(e for e in demo_data.EMPLOYEES if "bkd" in e.roles).nip)
    for limit in (0, 201):
        response = await client.get("/api/v1/permits/inbox", params={"limit": limit}, headers=bkd)
        assert response.status_code in (400, 422), response.text
    response = await client.get(
        "/api/v1/permits/inbox", params={"cursor": "not-a-cursor"}, headers=bkd
    )
    assert response.status_code == 422 and "cursor" in response.json()["detail"]
