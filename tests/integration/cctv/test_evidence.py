"""CCTV as evidence at the BKD desk: snapshots around a check-in at its location are linked,
the enrolled employee's face is matched in them (a distance, never a verdict), and the review
payload carries them with logged signed links."""

from __future__ import annotations

import asyncio
import datetime as dt

from backend.attendance.tables import CheckIn
from backend.cctv.tables import Seen
from backend.faces.tables import PhotoAccess
from backend.org import demo_data
from tests.support.cctv import admin, camera, location_id, push
from tests.support.factories import TEACHER, by_role, checkin_files, login, meta
from tests.support.jobs import drain
from tests.support.photos import photo, selfie


def school_location_code() -> str:
    return next(loc.code for loc in demo_data.LOCATIONS if loc.unit_code == TEACHER.unit_code)


async def test_snapshots_around_a_checkin_are_linked_with_the_face_matched(client, clean):
    bkd = await login(client, by_role("bkd").nip)
    enrolled = await client.post(
        f"/api/v1/faces/{TEACHER.nip}/references",
        files={"photo": ("obama.jpg", photo("obama.jpg"), "image/jpeg")},
        headers=bkd,
    )
    assert enrolled.status_code == 201, enrolled.text
    headers = await admin(client)
    school = await camera(
        client,
        headers,
        code="CAM-SEKOLAH",
        name="Pintu depan sekolah",
        location_id=await location_id(school_location_code()),
    )
    elsewhere = await camera(client, headers, code="CAM-DPMPTSP")  # another location
    # Before the check-in: the employee in front of the school's camera (another photo of the
    # enrolled person than the reference), and someone at another office.
    seen = await push(client, "CAM-SEKOLAH", school["key"], photo("obama3.jpg"))
    other = await push(client, "CAM-DPMPTSP", elsewhere["key"], photo("obama2.jpg"))
    assert seen.status_code == other.status_code == 202
    teacher = await login(client)
    # The selfie is someone else's: flagged for the desk, where CCTV is the evidence.
    checkin = await client.post(
        "/api/v1/checkins", files=checkin_files(meta(), selfie("biden.jpg")), headers=teacher
    )
    assert checkin.status_code in (200, 201, 202), checkin.text
    checkin_id = checkin.json()["id"]
    await drain(clean)
    # After the check-in settled: a picture of the empty yard, analysed later, links itself.
    await asyncio.sleep(1.1)  # the camera's push rate
    empty = await push(client, "CAM-SEKOLAH", school["key"], photo("landscape.jpg"))
    assert empty.status_code == 202
    await drain(clean)

    rows = await Seen.select(
        Seen.checkin_id, Seen.employee_id, Seen.snapshot, Seen.distance
    ).order_by(Seen.snapshot)
    assert [(r["checkin_id"], r["snapshot"]) for r in rows] == [
        (checkin_id, seen.json()["id"]),
        (checkin_id, empty.json()["id"]),
    ]  # the other office's snapshot is not linked
    matched, unmatched = rows
    assert matched["distance"] is not None and matched["distance"] <= clean.face_tolerance
    assert unmatched["distance"] is None

    queue = (await client.get("/api/v1/reviews", headers=bkd)).json()["items"]
    assert [item["checkin"]["id"] for item in queue] == [checkin_id]
    evidence = queue[0]["cctv"]
    assert [e["snapshot_id"] for e in evidence] == [seen.json()["id"], empty.json()["id"]]
    assert evidence[0]["camera_code"] == "CAM-SEKOLAH"
    assert evidence[0]["distance"] == matched["distance"] and evidence[1]["distance"] is None
    # The evidence job scored the record again: the face seen at the gate takes points off.
    cctv_part = next(p for p in queue[0]["risk_parts"] if p["code"] == "cctv")
    assert cctv_part["points"] == -clean.risk_rules.weights.cctv
    image = await client.get(evidence[0]["image_url"])
    assert image.status_code == 200 and image.content == photo("obama3.jpg")
    logged = await PhotoAccess.select(PhotoAccess.purpose, PhotoAccess.object_key).where(
        (PhotoAccess.checkin_id == checkin_id) & (PhotoAccess.purpose == "cctv")
    )
    assert len(logged) == 2 and all(r["object_key"].startswith("cctv/CAM-SEKOLAH/") for r in logged)


async def test_a_checkin_outside_the_window_links_nothing(client, clean):
    headers = await admin(client)
    school = await camera(
        client, headers, code="CAM-SEKOLAH", location_id=await location_id(school_location_code())
    )
    assert (
        await push(client, "CAM-SEKOLAH", school["key"], photo("obama3.jpg"))
    ).status_code == 202
    teacher = await login(client)
    # Taken offline 20 minutes ago, sent now: the snapshot is 20 minutes after it.
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    earlier = now - dt.timedelta(minutes=20)
    body = meta(captured_at=earlier.isoformat(), sent_at=now.isoformat())
    answer = await client.post(
        "/api/v1/checkins", files=checkin_files(body, selfie("obama2.jpg")), headers=teacher
    )
    assert answer.status_code in (200, 201, 202), answer.text
    await drain(clean)
    settled = await CheckIn.select(CheckIn.status, CheckIn.location).first()
    assert settled["status"] != "rejected" and settled["location"] is not None
    assert await Seen.count() == 0
