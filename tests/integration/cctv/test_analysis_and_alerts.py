"""People counts per snapshot by the job, and queue alerts with hysteresis."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.cctv.tables import Alert, Camera, Snapshot
from backend.core.tables import OutboxItem
from backend.services import open_services
from tests.support import people as frames
from tests.support.cctv import admin, camera, picture, push
from tests.support.jobs import drain


async def test_the_job_counts_the_people_in_a_pushed_frame(client, clean):
    try:
        frame = frames.frame(60)  # six walkers, counted by eye
    except frames.Unavailable as exc:
        pytest.skip(str(exc))
    created = await camera(client, await admin(client))
    answer = await push(client, "CAM-GERAI-1", created["key"], frame)
    assert answer.status_code == 202
    await drain(clean)
    row = await Snapshot.select(Snapshot.people, Snapshot.analysed_at).first()
    assert row["people"] == 6 and row["analysed_at"] is not None
    listed = (await client.get("/api/v1/cctv/cameras", headers=await admin(client))).json()
    assert listed["items"][0]["health"]["last_people"] == 6
    snapshots = await client.get(
        f"/api/v1/cctv/cameras/{created['camera']['id']}/snapshots", headers=await admin(client)
    )
    item = snapshots.json()["items"][0]
    assert item["people"] == 6 and item["image_url"].startswith("/api/v1/objects/cctv/")
    image = await client.get(item["image_url"])
    assert image.status_code == 200 and image.content == frame


async def test_a_picture_that_cannot_be_decoded_is_recorded_not_retried(client, clean):
    created = await camera(client, await admin(client))
    data = bytearray(picture(640, 480))
    # Headers whole, the scan cut off after a few bytes: the header check passes, decoding fails.
    sos = data.find(b"\xff\xda")
    data = data[: sos + 40] + b"\xff\xd9"
    assert (await push(client, "CAM-GERAI-1", created["key"], bytes(data))).status_code == 202
    await drain(clean)
    assert await OutboxItem.count() == 0


async def test_a_queue_alert_opens_and_closes_with_hysteresis(client, clean):
    created = await camera(client, await admin(client), gerai="SAMSAT-1", queue_threshold=4)
    counts = [5, 6, 2, 5, 5, 5, 7, 1, 6, 1, 1, 1]
    # open_after=3: opens at the sixth; close_after=3: the lone 1 and the 6 keep it open.
    async with open_services(clean) as services:
        cam = await Camera.select(
            Camera.id, Camera.code, Camera.last_snapshot_at, Camera.dark_alert
        ).first()
        states = []
        at = dt.datetime.now(dt.UTC)
        for n, people in enumerate(counts):
            snapshot = await services.cctv.keep(
                cam, picture(), source="push", at=at + dt.timedelta(seconds=n)
            )
            await services.cctv.record_count(snapshot, people)
            alert = await Alert.select(Alert.closed_at, Alert.peak).where(Alert.kind == "queue")
            states.append(
                "none" if not alert else ("open" if alert[-1]["closed_at"] is None else "closed")
            )
    assert states == ["none"] * 5 + ["open"] * 6 + ["closed"]
    alerts = (await client.get("/api/v1/cctv/alerts", headers=await admin(client))).json()["items"]
    assert len(alerts) == 1
    assert (
        alerts[0]["gerai"] == "SAMSAT-1" and alerts[0]["peak"] == 7 and alerts[0]["threshold"] == 4
    )
    notices = (
        await OutboxItem.select(OutboxItem.kwargs)
        .where(OutboxItem.job == "create_notification")
        .output(load_json=True)
    )
    # No gerai domain wired: the admins are told, once per alert.
    assert notices and {n["kwargs"]["kind"] for n in notices} == {"cctv_queue"}
    assert len({n["kwargs"]["employee_id"] for n in notices}) == len(notices)
    assert created["camera"]["queue_threshold"] == 4


class Desk:
    def __init__(self) -> None:
        self.loads: list[tuple[str, int]] = []

    async def record_load(self, gerai_code: str, people: int, at: dt.datetime) -> None:
        self.loads.append((gerai_code, people))

    async def supervisors(self, gerai_code: str) -> list[int]:
        return [424242]


async def test_a_wired_gerai_desk_gets_loads_and_its_supervisors_the_alert(client, clean):
    await camera(client, await admin(client), gerai="SAMSAT-1", queue_threshold=2)
    desk = Desk()
    async with open_services(clean, gerai=desk) as services:
        cam = await Camera.select(
            Camera.id, Camera.code, Camera.last_snapshot_at, Camera.dark_alert
        ).first()
        at = dt.datetime.now(dt.UTC)
        for n in range(3):
            snapshot = await services.cctv.keep(
                cam, picture(), source="push", at=at + dt.timedelta(seconds=n)
            )
            await services.cctv.record_count(snapshot, 3)
    assert desk.loads == [("SAMSAT-1", 3)] * 3
    notices = (
        await OutboxItem.select(OutboxItem.kwargs)
        .where(OutboxItem.job == "create_notification")
        .output(load_json=True)
    )
    assert [n["kwargs"]["employee_id"] for n in notices] == [424242]
