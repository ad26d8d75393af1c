"""Sisa cuti (remaining annual leave), the places a dinas luar may go to, the login screen's
help, and the links of permit notifications (issue 13, the ASN's app without rough edges)."""

from __future__ import annotations

import datetime as dt

import asyncpg

from backend.core.settings import Settings
from tests.integration.permits.test_permits import PRINCIPAL, body, next_weekday, request
from tests.support.factories import login
from tests.support.services import asgi_client


async def test_remaining_annual_leave_counts_approved_cuti_tahunan_of_this_year(
    client, teacher, clean
):
    today = dt.date.today()
    before = (await client.get("/api/v1/permits/leave", headers=teacher)).json()
    assert before == {
        "year": today.year,
        "allowance_days": 12,
        "used_days": 0,
        "pending_days": 0,
        "remaining_days": 12,
    }
    # Mon..Wed of a coming week: three working days of the six-day school.
    monday = next_weekday(1)
    approved = await request(
        client,
        teacher,
        body(
            kind="cuti_tahunan",
            start_date=monday.isoformat(),
            end_date=(monday + dt.timedelta(days=2)).isoformat(),
        ),
    )
    assert approved.status_code == 201, approved.text
    head = await login(client, PRINCIPAL.nip)
    decided = await client.post(
        f"/api/v1/permits/{approved.json()['id']}/decision",
        json={"decision": "approve"},
        headers=head,
    )
    assert decided.status_code == 200, decided.text
    friday = next_weekday(5, monday)
    pending = await request(
        client,
        teacher,
        body(kind="cuti_tahunan", start_date=friday.isoformat(), end_date=friday.isoformat()),
    )
    assert pending.status_code == 201, pending.text
    sick = await request(
        client,
        teacher,
        body(
            start_date=(friday + dt.timedelta(days=1)).isoformat(),
            end_date=(friday + dt.timedelta(days=1)).isoformat(),
        ),
    )
    assert sick.status_code == 201, sick.text

    after = (await client.get("/api/v1/permits/leave", headers=teacher)).json()
    used = approved.json()["working_days"] if monday.year == today.year else 0
    waiting = 1 if friday.year == today.year else 0
    assert (after["used_days"], after["pending_days"]) == (used, waiting)
    assert after["remaining_days"] == 12 - used


async def test_the_allowance_is_a_setting(clean: Settings):
    from backend.core.app import create_app

    app = create_app(msgspec_replace(clean, annual_leave_days=18), face_executor=lambda: None)
    async with asgi_client(app) as client:
        headers = await login(client)
        answer = (await client.get("/api/v1/permits/leave", headers=headers)).json()
    assert (answer["allowance_days"], answer["remaining_days"]) == (18, 18)


def msgspec_replace(settings: Settings, **changes):
    import msgspec

    return msgspec.structs.replace(settings, **changes)


async def test_dinas_luar_destinations_are_found_by_words_of_their_name(client, teacher, clean):
    found = await client.get(
        "/api/v1/permits/destinations", params={"q": "KEPEGAWAIAN kantor"}, headers=teacher
    )
    assert found.status_code == 200, found.text
    assert [d["name"] for d in found.json()["items"]] == ["Kantor Badan Kepegawaian Daerah"]
    every = (await client.get("/api/v1/permits/destinations", headers=teacher)).json()["items"]
    assert len(every) > 1 and [d["name"] for d in every] == sorted(d["name"] for d in every)
    # LIKE's wildcards are words like any other.
    none = await client.get("/api/v1/permits/destinations", params={"q": "%_"}, headers=teacher)
    assert none.json()["items"] == []
    # Named in the request, the destination comes back by name.
    bkd = found.json()["items"][0]
    monday = next_weekday(1)
    created = await request(
        client,
        teacher,
        body(
            kind="dinas_luar",
            start_date=monday.isoformat(),
            end_date=monday.isoformat(),
            destination_location_id=bkd["id"],
        ),
    )
    assert created.status_code == 201, created.text
    assert (created.json()["destination_location_id"], created.json()["destination_name"]) == (
        bkd["id"],
        bkd["name"],
    )
    too_long = await client.get(
        "/api/v1/permits/destinations", params={"q": "x" * 101}, headers=teacher
    )
    assert too_long.status_code == 400


async def test_the_login_screen_help_needs_no_login(clean: Settings):
    from backend.core.app import create_app

    app = create_app(
        msgspec_replace(clean, help_contact=" Helpdesk BKD, WA 0812 "), face_executor=lambda: None
    )
    async with asgi_client(app) as client:
        answer = await client.get("/api/v1/public/login-help")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"contact": "Helpdesk BKD, WA 0812"}


async def test_permit_notifications_link_to_the_app_route_of_the_permit(
    client, teacher, clean: Settings
):
    created = await request(client, teacher, body())
    assert created.status_code == 201, created.text
    permit_id = created.json()["id"]
    # The notice is an outbox row, or a notification row if a dispatcher was quicker.
    conn = await asyncpg.connect(clean.database_url)
    try:
        queued = await conn.fetch(
            "SELECT kwargs->>'url' AS url FROM core_outbox WHERE job = 'create_notification'"
        )
        sent = await conn.fetch("SELECT url FROM push_notification")
    finally:
        await conn.close()
    assert {row["url"] for row in [*queued, *sent]} == {f"/#/izin/{permit_id}"}
