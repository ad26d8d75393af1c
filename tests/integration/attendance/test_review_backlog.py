"""The review desk's backlog across days and units: every flagged check-in, not only today's,
filtered by a unit with everything under it and by a range of work dates, paged by a cursor
oldest first (or newest first) with the total over all pages; the old parameters still work."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from backend.attendance.tables import CheckIn
from backend.org import demo_data
from backend.org.tables import Employee
from tests.support.factories import by_role, login


def person(unit_code: str) -> demo_data.DemoEmployee:
    return next(e for e in demo_data.EMPLOYEES if e.unit_code == unit_code)


SD = person("SDN-BLEBOH-1")  # a school under DISDIK
SMP = person("SMPN-TODANAN-1")  # another school under DISDIK
DESA = person("DESA-NGLIRON")  # under the Pemda only
DAYS = [dt.date(2026, 3, 2) + dt.timedelta(days=n) for n in range(4)]


async def flag(nip: str, day: dt.date, minute: int, status: str = "flagged") -> int:
    employee = await Employee.select(Employee.id).where(Employee.nip == nip).first()
    at = dt.datetime.combine(day, dt.time(0, minute), tzinfo=dt.UTC)
    rows = await CheckIn.insert(
        CheckIn(
            client_id=uuid.uuid4(),
            employee=employee["id"],
            kind="in",
            captured_at=at,
            sent_at=at,
            received_at=at,
            corrected_captured_at=at,
            work_date=day,
            status=status,
            reasons=msgspec.to_builtins([{"code": "no_location", "message": "x"}]),
            content_hash="0" * 64,
        )
    ).returning(CheckIn.id)
    return rows[0]["id"]


async def seed() -> dict[str, list[int]]:
    """Over four days, one flagged record each of the two schools' and the desa's people,
    received in that order each day; an accepted one that never shows."""
    made: dict[str, list[int]] = {"SD": [], "SMP": [], "DESA": [], "all": []}
    for day in DAYS:
        for minute, (key, who) in enumerate((("SD", SD), ("SMP", SMP), ("DESA", DESA))):
            checkin_id = await flag(who.nip, day, minute)
            made[key].append(checkin_id)
            made["all"].append(checkin_id)
        await flag(SD.nip, day, 30, status="accepted")
    return made


async def walk(client, headers, **params) -> tuple[list[list[int]], set[int]]:
    pages, totals, cursor = [], set(), None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/api/v1/reviews", params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([item["checkin"]["id"] for item in body["items"]])
        totals.add(body["total"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages, totals


async def test_the_backlog_spans_days_and_units_paged_with_its_total(client, clean) -> None:
    made = await seed()
    bkd = await login(client, by_role("bkd").nip)

    pages, totals = await walk(client, bkd, limit=5)
    assert [len(p) for p in pages] == [5, 5, 2]
    assert [i for p in pages for i in p] == made["all"]  # every day, oldest first
    assert totals == {12}  # the same total on every page

    # A unit takes everything under it: DISDIK holds both schools, not the desa.
    pages, totals = await walk(client, bkd, unit="DISDIK", limit=3)
    assert [i for p in pages for i in p] == sorted(made["SD"] + made["SMP"])
    assert totals == {8}
    pages, totals = await walk(client, bkd, unit="SMPN-TODANAN-1")
    assert [i for p in pages for i in p] == made["SMP"] and totals == {4}
    pages, _ = await walk(client, bkd, unit="PEMDA", limit=50)
    assert [i for p in pages for i in p] == made["all"]

    # A range of work dates, inclusive, with the unit.
    pages, totals = await walk(
        client, bkd, unit="DISDIK", start=DAYS[1].isoformat(), end=DAYS[2].isoformat(), limit=2
    )
    assert [i for p in pages for i in p] == sorted(made["SD"][1:3] + made["SMP"][1:3])
    assert totals == {4}
    pages, totals = await walk(client, bkd, start=DAYS[3].isoformat())
    assert [i for p in pages for i in p] == made["all"][9:] and totals == {3}
    pages, totals = await walk(client, bkd, end=DAYS[0].isoformat())
    assert [i for p in pages for i in p] == made["all"][:3] and totals == {3}

    # The old one-day `date` still works, alone and with the reason filter.
    pages, totals = await walk(client, bkd, date=DAYS[2].isoformat())
    assert [i for p in pages for i in p] == made["all"][6:9] and totals == {3}
    pages, totals = await walk(client, bkd, reason="face_mismatch")
    assert pages == [[]] and totals == {0}

    # Newest first, paged the other way without gaps.
    pages, totals = await walk(client, bkd, order="newest", limit=5)
    assert [i for p in pages for i in p] == made["all"][::-1] and totals == {12}


async def test_a_verifier_does_not_see_their_own_records_in_the_backlog(client, clean) -> None:
    verifier = by_role("bkd")
    own = await flag(verifier.nip, DAYS[0], 0)
    other = await flag(SD.nip, DAYS[0], 1)
    body = (await client.get("/api/v1/reviews", headers=await login(client, verifier.nip))).json()
    assert [item["checkin"]["id"] for item in body["items"]] == [other] and body["total"] == 1
    assert own != other


async def test_bad_backlog_filters_are_refused_in_words(client, clean) -> None:
    bkd = await login(client, by_role("bkd").nip)

    async def get(**params):
        return await client.get("/api/v1/reviews", params=params, headers=bkd)

    backwards = await get(start="2026-03-05", end="2026-03-01")
    assert backwards.status_code == 422
    assert "Rentang tanggal terbalik" in backwards.json()["detail"]
    assert (await get(unit="TIDAK-ADA")).status_code == 404
    assert (await get(order="sideways")).status_code == 400
    assert (await get(start="kemarin")).status_code == 400


async def test_the_unit_filter_lists_the_tree_with_the_backlog_under_each(client, clean) -> None:
    await seed()
    bkd = await login(client, by_role("bkd").nip)
    answer = await client.get("/api/v1/reviews/units", headers=bkd)
    assert answer.status_code == 200, answer.text
    units = {u["code"]: u for u in answer.json()}
    assert units["PEMDA"]["depth"] == 0 and units["PEMDA"]["flagged"] == 12
    assert units["DISDIK"]["parent"] == "PEMDA" and units["DISDIK"]["flagged"] == 8
    assert units["SMPN-TODANAN-1"]["depth"] == 2 and units["SMPN-TODANAN-1"]["flagged"] == 4
    assert units["DESA-NGLIRON"]["flagged"] == 4 and units["BKD"]["flagged"] == 0
    codes = [u["code"] for u in answer.json()]
    assert codes.index("DISDIK") < codes.index("SDN-BLEBOH-1") < codes.index("SMPN-TODANAN-1")
