"""The board over HTTP: the state with drill-down, the watch list against PP 94/2021 and the
trends; a head's today and the reminder; teguran sent, pushed, acknowledged and audited."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from backend.attendance.day_status import window_for
from backend.attendance.tables import DayRecord
from backend.board.tables import TeguranLog
from backend.org import demo_data
from backend.org.tables import Employee
from backend.push.tables import PushNotification
from tests.support.factories import TEACHER, by_role, checkin_files, login, meta
from tests.support.jobs import drain

COMMAND = next(e for e in demo_data.EMPLOYEES if e.roles == ("asn", "command"))
HEAD = by_role("kepala_unit", unit_code=TEACHER.unit_code)
WIB = dt.timezone(dt.timedelta(hours=7))


def works_today(person: demo_data.DemoEmployee) -> bool:
    schedule = next(s for s in demo_data.SCHEDULES if s.code == person.schedule_code)
    today = dt.datetime.now(WIB).date()
    return today not in {h.date for h in demo_data.HOLIDAYS} and bool(
        window_for(schedule.days, today)
    )


async def employee_id(nip: str) -> int:
    [row] = await Employee.select(Employee.id).where(Employee.nip == nip)
    return row["id"]


async def test_the_board_drills_down_and_watches_those_nearing_a_pp94_threshold(
    client, clean, app
) -> None:
    command = await login(client, COMMAND.nip)
    teacher_id = await employee_id(TEACHER.nip)
    [unit] = await Employee.select(Employee.unit).where(Employee.id == teacher_id)
    today = dt.datetime.now(WIB).date()
    board = app.state.services.board
    # Ten absences this year (PP 94/2021: one more day to the 11-day step) and late days.
    absent_days = [today.replace(month=1, day=1) + dt.timedelta(days=i) for i in range(10)]
    await DayRecord.insert(
        *[
            DayRecord(
                employee=teacher_id,
                day=day,
                status="absent",
                reasons=[],
                computed_at=dt.datetime.now(dt.UTC),
            )
            for day in absent_days
        ]
    )
    for i in range(1, 4):
        await board.apply_day(
            employee_id=teacher_id,
            unit_id=unit["unit"],
            day=today - dt.timedelta(days=i),
            state=("absent", None, None, None),
            computed_at=dt.datetime.now(dt.UTC),
        )
    await board.apply_day(
        employee_id=teacher_id,
        unit_id=unit["unit"],
        day=today,
        state=("present", None, "TL1", None),
        computed_at=dt.datetime.now(dt.UTC),
    )

    answer = await client.get("/api/v1/board", headers=command)
    assert answer.status_code == 200, answer.text
    state = answer.json()
    codes = [u["code"] for u in state["units"]]
    assert codes[0] == "PEMDA" and state["units"][0]["parent"] is None
    school = next(u for u in state["units"] if u["code"] == TEACHER.unit_code)
    disdik = next(u for u in state["units"] if u["code"] == school["parent"])
    pemda = state["units"][0]
    assert codes.index(disdik["code"]) < codes.index(school["code"])  # parents first
    assert (school["present"], school["late"]) == (1, 1)
    assert disdik["present"] >= 1 and pemda["present"] == 1
    assert pemda["expected"] == sum(1 for e in demo_data.EMPLOYEES if works_today(e))
    if works_today(TEACHER):
        assert school["share_present"] == round(1 / school["expected"], 4)
        assert school["not_yet_in"] == school["expected"] - 1
    [watched] = [w for w in state["watch"] if w["nip"] == TEACHER.nip]
    assert (watched["absent_days"], watched["late_days"]) == (3, 1)
    assert watched["absent_days_year"] == 10
    assert watched["discipline"]["level"] == "pernyataan_tidak_puas"
    assert watched["discipline"]["next_threshold"] == 1
    assert len(state["presence_30d"]) == 30 and state["presence_30d"][-1]["present"] == 1
    assert state["presence_30d"][-2]["absent"] == 1
    weekday = next(w for w in state["late_by_weekday"] if w["weekday"] == today.isoweekday())
    assert weekday["late"] == 1
    # The MPP's gerai, from the gerai registry (the demo seeds them), each with its state.
    listed = (await client.get("/api/v1/gerai", headers=command)).json()
    codes = {g["code"] for g in (listed["items"] if isinstance(listed, dict) else listed)}
    assert codes and {g["code"] for g in state["gerai"]} == codes
    assert all(g["state"] in ("open", "empty", "closed") for g in state["gerai"])

    drill = (
        await client.get("/api/v1/board", params={"unit": disdik["code"]}, headers=command)
    ).json()
    assert drill["root"] == disdik["code"]
    assert drill["units"][0]["code"] == disdik["code"]
    assert TEACHER.unit_code in {u["code"] for u in drill["units"]}
    assert "PEMDA" not in {u["code"] for u in drill["units"]}
    missing = await client.get("/api/v1/board", params={"unit": "TIDAK-ADA"}, headers=command)
    assert missing.status_code == 404
    once = await client.get("/api/v1/board/stream", params={"once": "true"}, headers=command)
    assert once.headers["content-type"].startswith("text/event-stream")
    assert once.text.startswith("id: ") and "event: board" in once.text
    teacher = await login(client, TEACHER.nip)
    assert (await client.get("/api/v1/board", headers=teacher)).status_code == 403


async def test_the_head_sees_their_staff_today_and_reminds_those_not_yet_in(client, clean) -> None:
    teacher = await login(client, TEACHER.nip)
    created = await client.post("/api/v1/checkins", files=checkin_files(meta()), headers=teacher)
    assert created.status_code == 201
    await drain(clean)  # flagged (no enrolled face): still shown as in, with its time
    head = await login(client, HEAD.nip)
    answer = await client.get("/api/v1/board/today", headers=head)
    assert answer.status_code == 200, answer.text
    view = answer.json()
    assert view["unit"]["code"] == TEACHER.unit_code
    staff = {s["nip"]: s for s in view["staff"]}
    # Everyone active in the school (the demo's staff, and any a test before this one added).
    in_unit = await Employee.select(Employee.nip).where(
        (Employee.unit.code == TEACHER.unit_code) & Employee.active.eq(True)
    )
    assert set(staff) == {row["nip"] for row in in_unit}
    assert {e.nip for e in demo_data.EMPLOYEES if e.unit_code == TEACHER.unit_code} <= set(staff)
    assert staff[TEACHER.nip]["state"] == "in" and staff[TEACHER.nip]["check_in"]
    waiting = [s for s in view["staff"] if s["state"] == "not_yet_in"]
    if works_today(TEACHER):
        # The demo's other staff of the school have no record today (a test before this one
        # may have added someone who has).
        demo = {e.nip for e in demo_data.EMPLOYEES if e.unit_code == TEACHER.unit_code}
        assert {s["nip"] for s in waiting} >= demo - {TEACHER.nip}
        assert TEACHER.nip not in {s["nip"] for s in waiting}
    reminded = await client.post("/api/v1/board/remind", json={}, headers=head)
    assert reminded.status_code == 200 and reminded.json()["reminded"] == len(waiting)
    again = await client.post("/api/v1/board/remind", json={}, headers=head)
    assert again.json()["reminded"] == len(waiting)
    await drain(clean)
    notes = await PushNotification.select().where(PushNotification.kind == "board_remind")
    assert len(notes) == len(waiting)  # once per person and day, however often pressed
    # The permits the head decided are listed with their today.
    start = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    body = {
        "client_id": str(uuid.uuid4()),
        "kind": "izin",
        "start_date": start,
        "end_date": start,
        "reason": "Keperluan keluarga",
    }
    permit = await client.post(
        "/api/v1/permits",
        files={"meta": ("m.json", msgspec.json.encode(body), "application/json")},
        headers=teacher,
    )
    assert permit.status_code == 201, permit.text
    decided = await client.post(
        f"/api/v1/permits/{permit.json()['id']}/decision",
        json={"decision": "approve", "note": "Silakan"},
        headers=head,
    )
    assert decided.status_code == 200, decided.text
    view = (await client.get("/api/v1/board/today", headers=head)).json()
    assert [p["id"] for p in view["decided"]] == [permit.json()["id"]]
    other = await client.get("/api/v1/board/today", params={"unit": "BKD"}, headers=head)
    assert other.status_code == 404
    assert (await client.get("/api/v1/board/today", headers=teacher)).status_code == 403


async def test_a_teguran_is_pushed_acknowledged_once_and_audited(client, clean) -> None:
    command = await login(client, COMMAND.nip)
    sent = await client.post(
        "/api/v1/board/teguran",
        json={"kind": "teguran", "message": "Banyak guru belum hadir.", "unit": TEACHER.unit_code},
        headers=command,
    )
    assert sent.status_code == 201, sent.text
    [item] = sent.json()["sent"]
    assert item["recipient"] == HEAD.nip and item["sender"] == COMMAND.nip
    assert [entry["action"] for entry in item["log"]] == ["sent"]
    await drain(clean)
    [note] = await PushNotification.select().where(PushNotification.kind == "teguran")
    assert note["employee"] == await employee_id(HEAD.nip)

    teacher = await login(client, TEACHER.nip)
    path = f"/api/v1/board/teguran/{item['id']}/ack"
    assert (await client.post(path, json={}, headers=teacher)).status_code == 404
    head = await login(client, HEAD.nip)
    listed = (await client.get("/api/v1/board/teguran", headers=head)).json()["items"]
    assert [t["id"] for t in listed] == [item["id"]]
    assert (await client.get("/api/v1/board/teguran", headers=teacher)).json()["items"] == []
    acked = await client.post(path, json={"note": "Siap, segera ditindaklanjuti"}, headers=head)
    assert acked.status_code == 200 and acked.json()["acked_at"]
    assert [e["action"] for e in acked.json()["log"]] == ["sent", "acked"]
    assert (await client.post(path, json={}, headers=head)).status_code == 409
    assert await TeguranLog.count() == 2
    await drain(clean)
    assert await PushNotification.count().where(PushNotification.kind == "teguran_ack") == 1

    both = {"kind": "catatan", "message": "x", "unit": "BKD", "gerai": "G-01"}
    assert (
        await client.post("/api/v1/board/teguran", json=both, headers=command)
    ).status_code == 422
    gerai = {"kind": "catatan", "message": "x", "gerai": "G-01"}
    assert (
        await client.post("/api/v1/board/teguran", json=gerai, headers=command)
    ).status_code == 404
    blank = {"kind": "catatan", "message": "", "unit": "BKD"}
    assert (
        await client.post("/api/v1/board/teguran", json=blank, headers=command)
    ).status_code == 400
    assert (
        await client.post("/api/v1/board/teguran", json={**blank, "message": "x"}, headers=teacher)
    ).status_code == 403
