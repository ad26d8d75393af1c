"""The BKD review queue is paged by a cursor: oldest first, no row skipped or repeated, the
reason filter applied in the query so that a page of a rare reason is still complete."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from backend.attendance.tables import CheckIn
from backend.org.tables import Employee
from tests.support.factories import TEACHER, by_role, login


async def seed_flagged(count: int) -> list[int]:
    """Flagged check-ins inserted directly (the request path is tested elsewhere); every third
    is a face mismatch, received a second apart with ties, all of the demo teacher."""
    teacher = await Employee.select(Employee.id).where(Employee.nip == TEACHER.nip).first()
    base = dt.datetime(2026, 1, 5, 0, 30, tzinfo=dt.UTC)
    ids = []
    for n in range(count):
        at = base + dt.timedelta(seconds=n // 2)
        code = "face_mismatch" if n % 3 == 0 else "no_face"
        rows = await CheckIn.insert(
            CheckIn(
                client_id=uuid.uuid4(),
                employee=teacher["id"],
                kind="in",
                captured_at=at,
                sent_at=at,
                received_at=at,
                corrected_captured_at=at,
                work_date=at.date(),
                status="flagged",
                reasons=msgspec.to_builtins(
                    [{"code": "inside_fence", "message": "x"}, {"code": code, "message": "y"}]
                ),
                content_hash="0" * 64,
            )
        ).returning(CheckIn.id)
        ids.append(rows[0]["id"])
    return ids


async def walk(client, headers, **params) -> list[list[int]]:
    found, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/api/v1/reviews", params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        found.append([item["checkin"]["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return found


async def test_the_review_queue_pages_oldest_first_without_gaps(client, clean) -> None:
    ids = await seed_flagged(25)
    bkd = await login(client, by_role("bkd").nip)
    paged = await walk(client, bkd, limit=4)
    assert [len(p) for p in paged] == [4, 4, 4, 4, 4, 4, 1]
    assert [i for p in paged for i in p] == ids
    # The default page holds them all; one item's photo links are logged per row shown.
    assert [i for p in await walk(client, bkd) for i in p] == ids

    mismatches = [i for n, i in enumerate(ids) if n % 3 == 0]
    filtered = await walk(client, bkd, limit=2, reason="face_mismatch")
    assert [i for p in filtered for i in p] == mismatches
    # Before, the filter ran over a fixed window of 10 × the page size, then cut: rows of a
    # rare reason past that window were never shown.
    assert [i for p in await walk(client, bkd, limit=1, reason="no_face") for i in p] == [
        i for i in ids if i not in mismatches
    ]


async def test_the_page_size_is_bounded(client, clean) -> None:
    bkd = await login(client, by_role("bkd").nip)
    assert (
        await client.get("/api/v1/reviews", params={"limit": 500}, headers=bkd)
    ).status_code in (
        400,
        422,
    )
    bad = await client.get("/api/v1/reviews", params={"cursor": "%%%"}, headers=bkd)
    assert bad.status_code == 422
