"""Exit cameras with real faces: an enrolled employee leaving in working hours without a permit
is an event for their head of unit and BKD (outbox, notification, the list with a logged image
link); with an approved izin keluar kantor covering the moment, or for a stranger, nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import httpx
import msgspec

from backend.cctv.tables import ExitEvent, Snapshot
from backend.faces.tables import PhotoAccess
from backend.org import demo_data
from backend.org.service import employee_id_by_nip
from backend.push.tables import PushNotification
from backend.services import open_services
from tests.integration.cctv.test_evidence import school_location_code
from tests.support.cctv import admin, camera, location_id, push
from tests.support.exits import exit_frame
from tests.support.factories import TEACHER, by_role, login
from tests.support.jobs import drain

PRINCIPAL = by_role("kepala_unit", unit_code=TEACHER.unit_code)
COLLEAGUE = next(
    e
    for e in demo_data.EMPLOYEES
    if e.unit_code == TEACHER.unit_code and e.roles == ("asn",) and e.nip != TEACHER.nip
)
OTHER_HEAD = by_role("kepala_unit", unit_code="SMPN-TODANAN-1")
WIB = ZoneInfo("Asia/Jakarta")


def next_tuesday() -> dt.date:
    """A school day (07:00-13:30 on the six-day schedule) that is no demo holiday."""
    day = dt.date.today() + dt.timedelta(days=1)
    holidays = {h.date for h in demo_data.HOLIDAYS}
    while day.isoweekday() != 2 or day in holidays:
        day += dt.timedelta(days=1)
    return day


async def enrol(client: httpx.AsyncClient, bkd: dict[str, str], nip: str, name: str) -> None:
    from tests.support.photos import photo

    answer = await client.post(
        f"/api/v1/faces/{nip}/references",
        files={"photo": (name, photo(name), "image/jpeg")},
        headers=bkd,
    )
    assert answer.status_code == 201, answer.text


async def seen_at(client: httpx.AsyncClient, key: str, frame: bytes, when: dt.datetime) -> int:
    """Push an exit frame and date it `when` (the camera's arrival time is the server's clock;
    the test places it in working hours before the worker looks at it)."""
    await asyncio.sleep(1.05)  # the camera's push rate
    answer = await push(client, "CAM-PINTU", key, frame)
    assert answer.status_code == 202, answer.text
    snapshot_id = answer.json()["id"]
    await Snapshot.update({Snapshot.taken_at: when}).where(Snapshot.id == snapshot_id)
    return snapshot_id


async def short_leave(
    client: httpx.AsyncClient,
    day: dt.date,
    start: str | None,
    end: str | None,
    *,
    nip: str = TEACHER.nip,
    kind: str = "izin_keluar_kantor",
) -> dict[str, object]:
    """An approved permit of `nip` for `day`: a short leave of those hours, or a whole day."""
    meta = {
        "client_id": str(uuid.uuid4()),
        "kind": kind,
        "start_date": day.isoformat(),
        "end_date": day.isoformat(),
        "start_time": start,
        "end_time": end,
        "reason": "Mengambil rapor anak di sekolah lain",
    }
    created = await client.post(
        "/api/v1/permits",
        files={
            "meta": (
                "meta.json",
                msgspec.json.encode({k: v for k, v in meta.items() if v is not None}),
                "application/json",
            )
        },
        headers=await login(client, nip),
    )
    assert created.status_code == 201, created.text
    approved = await client.post(
        f"/api/v1/permits/{created.json()['id']}/decision",
        json={"decision": "approve"},
        headers=await login(client, PRINCIPAL.nip),
    )
    assert approved.status_code == 200, approved.text
    return approved.json()


async def test_leaving_without_permit_is_an_event_for_the_head_and_bkd(client, clean):
    bkd = await login(client, by_role("bkd").nip)
    await enrol(client, bkd, TEACHER.nip, "obama.jpg")
    await enrol(client, bkd, COLLEAGUE.nip, "biden.jpg")  # 1:N: more than one candidate
    door = await camera(
        client,
        await admin(client),
        code="CAM-PINTU",
        name="Pintu keluar sekolah",
        location_id=await location_id(school_location_code()),
        exit=True,
    )
    day = next_tuesday()
    ten = dt.datetime.combine(day, dt.time(10, 0), WIB)
    # The teacher walks out at 10:00 (another photo of her than the enrolled one), and is
    # still at the door two minutes later: one event of two sightings.
    first = await seen_at(client, door["key"], exit_frame("obama3.jpg"), ten)
    await seen_at(client, door["key"], exit_frame("obama2.jpg"), ten + dt.timedelta(minutes=2))
    # A stranger (not staff, not enrolled) leaves at 10:30: nobody is named.
    await seen_at(
        client, door["key"], exit_frame("grace_hopper.jpg"), ten + dt.timedelta(minutes=30)
    )
    await drain(clean)

    teacher_id = await employee_id_by_nip(TEACHER.nip)
    events = await ExitEvent.select()
    assert len(events) == 1
    event = events[0]
    assert event["employee_id"] == teacher_id and event["snapshot"] == first
    assert event["sightings"] == 2
    assert event["distance"] <= clean.cctv_exit_tolerance < clean.face_tolerance
    assert event["margin"] >= clean.cctv_exit_margin
    notified = await PushNotification.select(
        PushNotification.employee, PushNotification.kind, PushNotification.body
    ).where(PushNotification.kind == "cctv_exit")
    recipients = {n["employee"] for n in notified}
    principal_id = await employee_id_by_nip(PRINCIPAL.nip)
    bkd_ids = {await employee_id_by_nip(e.nip) for e in demo_data.EMPLOYEES if "bkd" in e.roles}
    assert recipients == {principal_id, *bkd_ids}
    assert len(notified) == len(recipients)  # once each, not per sighting
    # The time is that of the sighting analysed first (10:00 or 10:02).
    assert all(TEACHER.name in n["body"] and " pukul 10:0" in n["body"] for n in notified)

    # The head of the unit sees it with the picture (a logged, signed link); BKD too.
    listed = await client.get("/api/v1/cctv/exits", headers=await login(client, PRINCIPAL.nip))
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert page["purpose"] == clean.cctv_exit_purpose
    [item] = page["items"]
    assert item["employee"]["nip"] == TEACHER.nip and item["camera_code"] == "CAM-PINTU"
    assert item["sightings"] == 2 and item["distance"] == event["distance"]
    image = await client.get(item["image_url"])
    assert image.status_code == 200 and image.content == exit_frame("obama3.jpg")
    logged = await PhotoAccess.select(PhotoAccess.employee, PhotoAccess.object_key).where(
        PhotoAccess.purpose == "cctv_exit"
    )
    assert [r["employee"] for r in logged] == [principal_id]
    assert logged[0]["object_key"].startswith("cctv/CAM-PINTU/")
    assert len((await client.get("/api/v1/cctv/exits", headers=bkd)).json()["items"]) == 1
    # Another school's head does not see this teacher; the teacher may not list at all.
    other = await client.get("/api/v1/cctv/exits", headers=await login(client, OTHER_HEAD.nip))
    assert other.status_code == 200 and other.json()["items"] == []
    assert (await client.get("/api/v1/cctv/exits", headers=await login(client))).status_code == 403

    # Retention (UU PDP) removes the picture of the event with the other snapshots.
    async with open_services(clean) as services:
        assert await services.cctv.purge(dt.datetime.now(dt.UTC) + dt.timedelta(days=1)) > 0
    after = (await client.get("/api/v1/cctv/exits", headers=bkd)).json()["items"]
    assert [i["image_url"] for i in after] == [None]


async def test_an_approved_izin_keluar_kantor_or_dinas_luar_is_no_event(client, clean):
    bkd = await login(client, by_role("bkd").nip)
    await enrol(client, bkd, TEACHER.nip, "obama.jpg")
    await enrol(client, bkd, COLLEAGUE.nip, "biden.jpg")
    door = await camera(
        client,
        await admin(client),
        code="CAM-PINTU",
        name="Pintu keluar sekolah",
        location_id=await location_id(school_location_code()),
        exit=True,
    )
    day = next_tuesday()
    permit = await short_leave(client, day, "09:00", "11:00")
    assert permit["kind_name"] == "Izin keluar kantor"
    # The colleague is on dinas luar that day: leaving is the assignment.
    await short_leave(client, day, None, None, nip=COLLEAGUE.nip, kind="dinas_luar")
    at = dt.datetime.combine(day, dt.time(9, 5), WIB)
    await seen_at(client, door["key"], exit_frame("obama3.jpg", "biden.jpg"), at)
    # Outside working hours (the school day ends at 13:30) nobody is looked for either.
    evening = dt.datetime.combine(day, dt.time(17, 0), WIB)
    await seen_at(client, door["key"], exit_frame("obama3.jpg"), evening)
    await drain(clean)
    assert await ExitEvent.count() == 0
    assert await PushNotification.count().where(PushNotification.kind == "cctv_exit") == 0
    # The same person after the leave's hours, still in working hours: an event.
    await seen_at(
        client,
        door["key"],
        exit_frame("obama3.jpg"),
        dt.datetime.combine(day, dt.time(11, 30), WIB),
    )
    await drain(clean)
    assert [e["employee_id"] for e in await ExitEvent.select(ExitEvent.employee_id)] == [
        await employee_id_by_nip(TEACHER.nip)
    ]


async def test_a_camera_not_marked_exit_identifies_nobody(client, clean):
    bkd = await login(client, by_role("bkd").nip)
    await enrol(client, bkd, TEACHER.nip, "obama.jpg")
    hall = await camera(
        client,
        await admin(client),
        code="CAM-PINTU",
        location_id=await location_id(school_location_code()),
    )
    day = next_tuesday()
    await seen_at(
        client, hall["key"], exit_frame("obama3.jpg"), dt.datetime.combine(day, dt.time(10), WIB)
    )
    await drain(clean)
    assert await ExitEvent.count() == 0
