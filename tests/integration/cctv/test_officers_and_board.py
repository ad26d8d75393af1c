"""CCTV and the gerai: a person counted in a camera's officer zone keeps its gerai `open` while
the picture is fresh (and so does Frigate's count on the officer zone, through the real broker);
a frame identical to the previous one takes its counts; the board's gerai tiles carry a logged,
short-lived link to the gerai's latest snapshot and its open queue alert."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

import httpx
import pytest

from backend.cctv.mqtt import consume
from backend.cctv.tables import Camera, Snapshot
from backend.core.db import open_engine
from backend.core.settings import Settings
from backend.core.tables import OutboxItem
from backend.faces.tables import PhotoAccess
from backend.gerai import demo
from backend.gerai.tables import Gerai, GeraiAlert
from backend.services import Services, open_services
from tests.integration.cctv.test_frigate import mqtt_settings, publish, until
from tests.support import people as frames
from tests.support.cctv import admin, camera, picture, push
from tests.support.factories import by_role, login
from tests.support.jobs import drain

ALWAYS = "Senin-Minggu 00:00-23:59"
HEADER = "Kode Gerai,Nama Gerai,Instansi,Kode Unit,Layanan,Jam Layanan,Petugas,Penyelia"
# Frame 0 of the pedestrian video: a walker on the right has their feet at about (667, 344);
# nobody stands in the left quarter below the path.
DESK = [[600, 300], [768, 300], [768, 400], [600, 400]]
NOBODY = [[0, 400], [150, 400], [150, 576], [0, 576]]


@pytest.fixture(autouse=True)
async def remove_test_gerai(clean: Settings):
    """Gerai rows outlive a test (the demo's registry): these, open all day and never staffed,
    would raise empty alerts in the tests after. Removed with their members and alerts."""
    yield
    async with open_engine(clean):
        await Gerai.delete().where(Gerai.code.like("T-C%"))


@pytest.fixture
async def services(clean: Settings):
    async with open_services(clean, face_executor=lambda: None) as opened:
        yield opened


@pytest.fixture
def frame0() -> bytes:
    try:
        return frames.frame(0)
    except frames.Unavailable as exc:
        pytest.skip(str(exc))


async def mpp_gerai(client: httpx.AsyncClient, code: str) -> None:
    """A gerai open all day whose one officer (Rizky) has not checked in: `empty`. Gerai rows
    outlive a test (the demo's registry), so each test has its own code."""
    row = f"{code},Gerai Uji CCTV,Instansi Uji,MPP,Layanan A,{ALWAYS},{demo.RIZKY},{demo.WAHYU}"
    answer = await client.post(
        "/api/v1/gerai/import",
        params={"apply": "true"},
        files={"file": ("g.csv", f"{HEADER}\n{row}".encode(), "text/csv")},
        headers=await login(client, by_role("bkd").nip),
    )
    assert answer.status_code == 200 and answer.json()["refused"] == [], answer.text


async def state(services: Services, code: str, now: dt.datetime | None = None) -> str:
    tiles = await services.gerai.board(now or dt.datetime.now(dt.UTC))
    return next(g.state for g in tiles if g.code == code)


async def test_a_person_at_the_desk_on_camera_opens_the_gerai_while_the_picture_is_fresh(
    client, clean, services, frame0
):
    await mpp_gerai(client, "T-C1")
    assert await state(services, "T-C1") == "empty"
    created = await camera(client, await admin(client), gerai="T-C1", officer_zone=DESK)
    assert created["camera"]["officer_zone"] == DESK
    assert (await push(client, "CAM-GERAI-1", created["key"], frame0)).status_code == 202
    await drain(clean)
    snapshot = await Snapshot.select(Snapshot.people, Snapshot.officers, Snapshot.taken_at).first()
    assert snapshot["officers"] == 1 and snapshot["people"] == 4  # everyone: no queue zone
    listed = (await client.get("/api/v1/cctv/cameras", headers=await admin(client))).json()
    assert listed["items"][0]["health"]["last_officers"] == 1
    shots = await client.get(
        f"/api/v1/cctv/cameras/{created['camera']['id']}/snapshots", headers=await admin(client)
    )
    assert shots.json()["items"][0]["officers"] == 1
    # Nobody assigned checked in, yet the camera shows an officer: open, and no empty alert.
    taken = snapshot["taken_at"]
    assert await state(services, "T-C1", taken) == "open"
    assert await state(
        services, "T-C1", taken + dt.timedelta(seconds=clean.cctv_officer_max_age_s)
    ) == ("open")
    await services.gerai.watch(taken)
    await services.gerai.watch(taken + dt.timedelta(minutes=1))
    assert await GeraiAlert.count() == 0
    # Past the allowance with no newer picture: empty again.
    stale = taken + dt.timedelta(seconds=clean.cctv_officer_max_age_s + 1)
    assert await state(services, "T-C1", stale) == "empty"
    # A newer picture with the desk empty: empty at once.
    cam = await Camera.select(
        Camera.id, Camera.code, Camera.last_snapshot_at, Camera.dark_alert
    ).first()
    later = taken + dt.timedelta(seconds=30)
    empty_desk = await services.cctv.keep(cam, picture(), source="push", at=later)
    await services.cctv.record_count(empty_desk, 0, 0)
    assert await state(services, "T-C1", later) == "empty"
    keys = [r["job_key"] for r in await OutboxItem.select(OutboxItem.job_key)]
    # The desk went from staffed to empty: the board's streams are told (outbox).
    assert f"board-signal:cctv-officers:{cam['id']}:{later.isoformat()}" in keys
    # A count that arrives late (an older picture) does not replace the newer one.
    old = await services.cctv.keep(cam, picture(), source="push", at=taken + dt.timedelta(1))
    await Snapshot.update({Snapshot.taken_at: taken + dt.timedelta(seconds=10)}).where(
        Snapshot.id == old
    )
    await services.cctv.record_count(old, 0, 1)
    assert await state(services, "T-C1", later) == "empty"


async def test_a_camera_without_an_officer_zone_never_opens_a_gerai(
    client, clean, services, frame0
):
    await mpp_gerai(client, "T-C2")
    created = await camera(client, await admin(client), gerai="T-C2")
    assert created["camera"]["officer_zone"] is None
    assert (await push(client, "CAM-GERAI-1", created["key"], frame0)).status_code == 202
    await drain(clean)
    row = await Snapshot.select(Snapshot.people, Snapshot.officers).first()
    assert row["people"] == 4 and row["officers"] is None
    assert await state(services, "T-C2") == "empty"


async def test_frigate_counts_on_the_officer_zone_open_the_gerai(client, clean):
    settings = mqtt_settings(clean)
    await mpp_gerai(client, "T-C3")
    await camera(
        client,
        await admin(client),
        code="CAM-FRIGATE-T01",
        mode="frigate",
        snapshot_url="http://127.0.0.1:9/",
        frigate_camera="loket_t01",
        frigate_officer_zone="meja_t01",
        gerai="T-C3",
    )
    async with open_services(settings, face_executor=lambda: None) as services:
        assert await state(services, "T-C3") == "empty"
        subscribed = asyncio.Event()
        task = asyncio.create_task(
            consume(settings, services.cctv.count_from_frigate, subscribed=subscribed)
        )
        try:
            await asyncio.wait_for(subscribed.wait(), 10)
            # The queue's count is the load; the desk zone's is the officers on duty.
            await publish(settings, "loket_t01", "2")
            await publish(settings, "meja_t01", "1")

            async def officers(n: int) -> bool:
                row = await Camera.select(Camera.last_officers).first()
                return row["last_officers"] == n

            await until(lambda: officers(1))
            assert await state(services, "T-C3") == "open"
            await publish(settings, "meja_t01", "0")
            await until(lambda: officers(0))
            assert await state(services, "T-C3") == "empty"
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    # The officers' count made no snapshot and no queue count: only the queue's one did.
    rows = await Snapshot.select(Snapshot.people, Snapshot.source, Snapshot.camera.code)
    assert [r["people"] for r in rows] == [2], rows
    tiles = {g.code: g for g in await services.gerai.board(dt.datetime.now(dt.UTC))}
    assert tiles["T-C3"].load == 2


async def test_a_frame_identical_to_the_previous_one_takes_its_counts(
    client, clean, services, frame0
):
    await camera(client, await admin(client), officer_zone=DESK)
    cam = await Camera.select(
        Camera.id, Camera.code, Camera.last_snapshot_at, Camera.dark_alert
    ).first()
    at = dt.datetime.now(dt.UTC)
    first = await services.cctv.keep(cam, frame0, source="push", at=at)
    assert await services.cctv.analyse(first) == 4
    # The zones change (as an admin would): a fresh count of frame 0 would now find nobody.
    await Camera.update({Camera.zone: NOBODY, Camera.officer_zone: NOBODY}).where(
        Camera.id == cam["id"]
    )
    again = await services.cctv.keep(cam, frame0, source="push", at=at + dt.timedelta(seconds=30))
    assert await services.cctv.analyse(again) == 4  # the same bytes: not decoded again
    row = await Snapshot.select(Snapshot.officers, Snapshot.digest).where(Snapshot.id == again)
    assert row[0]["officers"] == 1 and len(row[0]["digest"]) == 40
    # A different frame is counted afresh, in the new zones.
    other = await services.cctv.keep(
        cam, frames.frame(60), source="push", at=at + dt.timedelta(seconds=60)
    )
    assert await services.cctv.analyse(other) == 0
    row = await Snapshot.select(Snapshot.officers).where(Snapshot.id == other)
    assert row[0]["officers"] == 0


async def test_board_tiles_link_the_latest_snapshot_for_the_viewer_and_log_the_view(
    client, clean, services
):
    await mpp_gerai(client, "T-C5")
    created = await camera(client, await admin(client), gerai="T-C5", queue_threshold=2)
    command_nip = next(e for e in by_role_all("command")).nip
    command = await login(client, command_nip)
    # No picture yet: no thumbnail, and the board works as before.
    board = (await client.get("/api/v1/board", headers=command)).json()
    tile = next(g for g in board["gerai"] if g["code"] == "T-C5")
    assert tile["thumbnail"] is None and tile["thumbnail_at"] is None
    assert tile["queue_alert"] is None

    cam = await Camera.select(
        Camera.id, Camera.code, Camera.last_snapshot_at, Camera.dark_alert
    ).first()
    at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=3)
    pictures = [picture(colour=(10 * n, 90, 60)) for n in range(3)]
    for n, data in enumerate(pictures):
        snapshot = await services.cctv.keep(
            cam, data, source="push", at=at + dt.timedelta(seconds=30 * n)
        )
        await services.cctv.record_count(snapshot, 5)  # three at or above 2: a queue alert
    keys = [r["job_key"] for r in await OutboxItem.select(OutboxItem.job_key)]
    assert any(k.startswith("board-signal:cctv-queue:") and k.endswith(":open") for k in keys)
    before = await PhotoAccess.count()
    answer = await client.get("/api/v1/board", headers=command)
    assert answer.status_code == 200, answer.text
    tiles = {g["code"]: g for g in answer.json()["gerai"]}
    tile = tiles["T-C5"]
    assert tile["load"] == 5
    assert (
        tile["queue_alert"].startswith("Antrean panjang selama")
        and "batas 2" in tile["queue_alert"]
    )
    assert dt.datetime.fromisoformat(tile["thumbnail_at"]) == at + dt.timedelta(seconds=60)
    image = await client.get(tile["thumbnail"])
    assert image.status_code == 200 and image.content == pictures[-1]  # the latest
    # A gerai without a camera has none; the view is logged, one row per thumbnail shown.
    assert all(g["thumbnail"] is None for code, g in tiles.items() if code != "T-C5")
    assert await PhotoAccess.count() == before + 1
    logged = await PhotoAccess.select().order_by(PhotoAccess.id, ascending=False).first()
    assert logged["purpose"] == "cctv" and logged["object_key"].startswith("cctv/CAM-GERAI-1/")
    # The stream's state carries the same link, made for its viewer.
    async with client.stream(
        "GET", "/api/v1/board/stream", params={"once": "true"}, headers=command
    ) as stream:
        body = "".join([chunk async for chunk in stream.aiter_text()])
    assert "/api/v1/objects/cctv/CAM-GERAI-1/" in body
    assert await PhotoAccess.count() == before + 2
    assert created["camera"]["gerai"] == "T-C5"


def by_role_all(role: str):
    from backend.org import demo_data

    return [e for e in demo_data.EMPLOYEES if role in e.roles]


async def test_an_existing_cameras_zones_are_changed_and_removed(client, clean, frame0):
    headers = await admin(client)
    created = await camera(client, headers)
    camera_id = created["camera"]["id"]
    url = f"/api/v1/cctv/cameras/{camera_id}"
    answer = await client.patch(
        url, json={"officer_zone": DESK, "queue_threshold": 3}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["officer_zone"] == DESK and answer.json()["queue_threshold"] == 3
    assert answer.json()["zone"] is None  # left out: as it was
    # The next picture is counted in the new zone.
    assert (await push(client, "CAM-GERAI-1", created["key"], frame0)).status_code == 202
    await drain(clean)
    assert (await Snapshot.select(Snapshot.officers).first())["officers"] == 1
    # Bad input is a 422 in words, never a 5xx; a camera that is not there a 404.
    crossing = [[0, 0], [10, 10], [10, 0], [0, 10]]
    bad = await client.patch(url, json={"officer_zone": crossing}, headers=headers)
    assert bad.status_code == 422 and "officer_zone" in bad.json()["detail"]
    not_frigate = await client.patch(url, json={"frigate_officer_zone": "meja"}, headers=headers)
    assert not_frigate.status_code == 422 and "frigate" in not_frigate.json()["detail"]
    unknown = await client.patch(url, json={"colour": "red"}, headers=headers)
    assert unknown.status_code in (400, 422)
    missing = await client.patch("/api/v1/cctv/cameras/999999", json={}, headers=headers)
    assert missing.status_code == 404
    # Removed: the camera no longer tells about a desk, and its last count goes with it.
    removed = await client.patch(url, json={"officer_zone": None}, headers=headers)
    assert removed.status_code == 200 and removed.json()["officer_zone"] is None
    assert removed.json()["health"]["last_officers"] is None
    # Only admin and BKD may change a camera.
    command = await login(client, by_role_all("command")[0].nip)
    assert (await client.patch(url, json={}, headers=command)).status_code == 403
