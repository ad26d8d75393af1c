"""The izin keluar kantor through the API: hours within one day, asked and decided like other
permits, refused in words when out of shape, clashing only where the time overlaps; the day
stays present, and the monthly recap counts the leaves apart."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from backend.core.auth import Principal
from backend.org.service import employee_id_by_nip
from backend.services import open_services
from tests.integration.permits.test_permits import PRINCIPAL, next_weekday, request
from tests.support.factories import TEACHER, by_role, login


def short(day: dt.date, start: str | None, end: str | None, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "client_id": str(uuid.uuid4()),
        "kind": "izin_keluar_kantor",
        "start_date": day.isoformat(),
        "end_date": day.isoformat(),
        "start_time": start,
        "end_time": end,
        "reason": "Mengurus KTP anak di Dukcapil",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


async def test_a_short_leave_is_asked_and_decided_like_other_permits(client, teacher, clean):
    tuesday = next_weekday(2)
    created = await request(client, teacher, short(tuesday, "09:00", "11:00"))
    assert created.status_code == 201, created.text
    permit = created.json()
    assert (permit["kind"], permit["kind_name"]) == ("izin_keluar_kantor", "Izin keluar kantor")
    assert (permit["start_time"], permit["end_time"]) == ("09:00", "11:00")
    assert permit["start_date"] == permit["end_date"] == tuesday.isoformat()
    assert permit["working_days"] == 1 and permit["approver"]["nip"] == PRINCIPAL.nip
    principal = await login(client, PRINCIPAL.nip)
    inbox = (await client.get("/api/v1/permits/inbox", headers=principal)).json()["items"]
    assert [p["id"] for p in inbox] == [permit["id"]]
    decided = await client.post(
        f"/api/v1/permits/{permit['id']}/decision", json={"decision": "approve"}, headers=principal
    )
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    mine = (await client.get("/api/v1/permits", headers=teacher)).json()["items"]
    assert [(p["kind"], p["start_time"], p["end_time"]) for p in mine] == [
        ("izin_keluar_kantor", "09:00", "11:00")
    ]
    # Other kinds keep their shape: no hours.
    sakit = await request(
        client,
        teacher,
        short(next_weekday(1, tuesday), None, None, kind="sakit"),
    )
    assert sakit.status_code == 201 and sakit.json()["start_time"] is None


async def test_a_short_leave_out_of_shape_is_refused_in_words(client, teacher, clean):
    tuesday = next_weekday(2)
    cases = [
        (short(tuesday, None, None), "memerlukan jam mulai dan jam selesai"),
        (short(tuesday, "11:00", "09:00"), "Jam selesai harus sesudah jam mulai"),
        (
            short(tuesday, "09:00", "11:00", end_date=(tuesday + dt.timedelta(days=1)).isoformat()),
            "hanya untuk satu hari",
        ),
        (short(tuesday, "09:00", "11:00", kind="izin"), "hanya untuk izin keluar kantor"),
        (short(tuesday, "9 pagi", "11:00"), "start_time"),
    ]
    for values, words in cases:
        answer = await request(client, teacher, values)
        assert answer.status_code == 422, (values, answer.text)
        assert words in answer.json()["detail"], answer.json()
    # A day the school does not work (Sunday) holds no working hours to leave.
    sunday = next_weekday(7)
    assert (await request(client, teacher, short(sunday, "09:00", "10:00"))).status_code == 422


async def test_short_leaves_clash_only_where_the_time_overlaps(client, teacher, clean):
    tuesday = next_weekday(2)
    first = short(tuesday, "09:00", "11:00")
    assert (await request(client, teacher, first)).status_code == 201
    assert (await request(client, teacher, first)).status_code == 200  # a replay
    changed = {**first, "end_time": "11:30"}
    assert (await request(client, teacher, changed)).status_code == 409
    overlap = await request(client, teacher, short(tuesday, "10:30", "12:00"))
    assert overlap.status_code == 409 and "09:00–11:00" in overlap.json()["detail"]
    assert (await request(client, teacher, short(tuesday, "11:00", "12:00"))).status_code == 201
    # Fallen ill after asking for a short leave: the whole day may still be asked for ...
    sick = await request(client, teacher, short(tuesday, None, None, kind="sakit"))
    assert sick.status_code == 201, sick.text
    # ... but no short leave on a day a whole-day permit already covers.
    wednesday = tuesday + dt.timedelta(days=1)
    assert (
        await request(client, teacher, short(wednesday, None, None, kind="izin"))
    ).status_code == 201
    inside = await request(client, teacher, short(wednesday, "09:00", "10:00"))
    assert inside.status_code == 409 and "dengan izin " in inside.json()["detail"]


async def test_the_day_stays_present_and_the_recap_counts_the_leave(client, teacher, clean):
    tuesday = next_weekday(2)
    created = (await request(client, teacher, short(tuesday, "09:00", "11:00"))).json()
    principal = await login(client, PRINCIPAL.nip)
    await client.post(
        f"/api/v1/permits/{created['id']}/decision", json={"decision": "approve"}, headers=principal
    )
    teacher_id = await employee_id_by_nip(TEACHER.nip)
    assert teacher_id is not None
    after = dt.datetime.combine(tuesday + dt.timedelta(days=1), dt.time(12), dt.UTC)
    async with open_services(clean) as services:
        assert await services.permits.approved_on([teacher_id], tuesday) == {}
        assert await services.permits.approved_between(teacher_id, tuesday, tuesday) == {}
        assert await services.permits.short_leaves_on([teacher_id], tuesday) == {
            teacher_id: [(dt.time(9), dt.time(11))]
        }
        # No check-in that day: absent, not "permit" — a short leave excuses hours, not days.
        [status] = await services.days.compute_range(teacher_id, tuesday, tuesday, now=after)
        assert status.status == "absent" and status.permit is None
        bkd = by_role("bkd")
        who = Principal(
            employee_id=await employee_id_by_nip(bkd.nip) or 0,
            nip=bkd.nip,
            name=bkd.name,
            roles=bkd.roles,
            unit_id=0,
        )
        recap = await services.days.recap(
            who, TEACHER.unit_code, tuesday.strftime("%Y-%m"), now=after
        )
    row = next(e for e in recap.employees if e.nip == TEACHER.nip)
    assert row.days["permit:izin_keluar_kantor"] == 1
    assert row.days["permit"] == 0
