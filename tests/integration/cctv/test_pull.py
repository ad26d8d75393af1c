"""Pull cameras: real frames fetched from fake cameras on loopback (Basic, Digest), a dark camera,
a hung camera that stalls nobody, backoff for failing ones, and the job on its schedule."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import msgspec
import pytest

from backend.cctv.people import count_people
from backend.cctv.tables import Camera, Snapshot
from backend.core.tables import OutboxItem
from backend.services import open_services
from tests.support import people as frames
from tests.support.cameras import PASSWORD, USER, CameraServer, closed_port, silent_port
from tests.support.cctv import admin, camera
from tests.support.jobs import drain


def real_frames(*indexes: int) -> list[bytes]:
    try:
        return [frames.frame(i) for i in indexes]
    except frames.Unavailable as exc:
        pytest.skip(str(exc))


async def pull_camera(client, headers, code: str, url: str, **fields) -> int:
    created = await camera(client, headers, code=code, mode="pull", snapshot_url=url, **fields)
    return created["camera"]["id"]


async def test_basic_and_digest_cameras_are_pulled_and_analysed_like_a_push(client, clean):
    three, six = real_frames(0, 60)  # 3 and 6 people by eye
    headers = await admin(client)
    fake = CameraServer()
    fake.pictures["/basic/snap.jpg"] = three
    fake.pictures["/digest/ISAPI/Streaming/channels/101/picture"] = six
    with fake.running():
        basic = await pull_camera(
            client,
            headers,
            "CAM-BASIC",
            f"{fake.base}/basic/snap.jpg",
            auth="basic",
            username=USER,
            password=PASSWORD,
        )
        digest = await pull_camera(
            client,
            headers,
            "CAM-DIGEST",
            f"{fake.base}/digest/ISAPI/Streaming/channels/101/picture",
            auth="digest",
            username=USER,
            password=PASSWORD,
        )
        wrong = await pull_camera(
            client,
            headers,
            "CAM-WRONG",
            f"{fake.base}/digest/ISAPI/Streaming/channels/101/picture",
            auth="digest",
            username=USER,
            password="salah",
        )
        async with open_services(clean) as services:
            run = await services.cctv.pull_due()
            again = await services.cctv.pull_due()  # nothing is due a moment later
    assert (run.pulled, run.failed) == (2, 1)
    assert (again.pulled, again.failed) == (0, 0)
    rows = await Snapshot.select(Snapshot.camera, Snapshot.source, Snapshot.object_key)
    assert {r["camera"] for r in rows} == {basic, digest}
    assert {r["source"] for r in rows} == {"pull"}
    # The same path as a push: the analysis was asked for in the outbox with each snapshot (a
    # dispatcher of the app may already have had it done: then the snapshot has its count).
    asked = await OutboxItem.count().where(OutboxItem.job == "analyse_snapshot")
    analysed = await Snapshot.count().where(Snapshot.people.is_not_null())
    assert asked + analysed == 2
    await drain(clean)
    counts = {
        r["camera"]: r["people"] for r in await Snapshot.select(Snapshot.camera, Snapshot.people)
    }
    # Frame 60 is one the counter gets exactly right; frame 0 counts what the counter says of it
    # (4: a sign by the building is taken for a fourth walker).
    assert counts == {
        basic: count_people(three, None, max_pixels=clean.cctv_max_pixels).people,
        digest: 6,
    }
    failing = await Camera.select(Camera.failures, Camera.last_error).where(Camera.id == wrong)
    assert failing[0]["failures"] == 1 and "HTTP 401" in failing[0]["last_error"]
    listed = (await client.get("/api/v1/cctv/cameras", headers=headers)).json()["items"]
    health = {c["code"]: c["health"] for c in listed}
    assert health["CAM-BASIC"]["last_people"] == counts[basic]
    assert health["CAM-BASIC"]["failures"] == 0
    assert health["CAM-WRONG"]["failures"] == 1


async def test_a_hung_camera_stalls_no_other_and_failing_cameras_back_off(client, clean):
    (picture,) = real_frames(0)
    settings = msgspec.structs.replace(clean, cctv_pull_timeout_s=3.0, cctv_pull_concurrency=2)
    headers = await admin(client)
    fake = CameraServer()
    for n in range(4):
        fake.pictures[f"/open/{n}.jpg"] = picture
    with fake.running(), silent_port() as hung_port:
        good = [
            await pull_camera(client, headers, f"CAM-OK-{n}", f"{fake.base}/open/{n}.jpg")
            for n in range(4)
        ]
        hung = await pull_camera(
            client, headers, "CAM-HUNG", f"http://127.0.0.1:{hung_port}/snap.jpg", interval_s=30
        )
        dark = await pull_camera(
            client,
            headers,
            "CAM-DARK",
            f"http://127.0.0.1:{closed_port()}/snap.jpg",
            interval_s=30,
        )
        async with open_services(settings) as services:
            start = dt.datetime.now(dt.UTC)
            began = time.monotonic()
            run = await services.cctv.pull_due(start)
            took = time.monotonic() - began
    assert (run.pulled, run.failed) == (4, 2)
    # The hung camera held one of the two places for its whole timeout; the other place took
    # every other camera meanwhile, long before the timeout ran out.
    taken = await Snapshot.select(Snapshot.camera, Snapshot.taken_at)
    assert {r["camera"] for r in taken} == set(good)
    assert max(r["taken_at"] for r in taken) - start < dt.timedelta(seconds=2)
    assert 3.0 <= took < 5.5, took
    cameras = {
        r["id"]: r
        for r in await Camera.select(
            Camera.id, Camera.failures, Camera.last_error, Camera.next_pull_at
        )
    }
    assert "tidak menjawab dalam 3 detik" in cameras[hung]["last_error"]
    assert "Tidak dapat terhubung" in cameras[dark]["last_error"]
    for failed in (hung, dark):
        assert cameras[failed]["failures"] == 1
        # Backoff: twice the interval after the first failure.
        assert cameras[failed]["next_pull_at"] == start + dt.timedelta(seconds=60)
    # Not due before then; tried again after, the wait doubles again.
    await Camera.update({Camera.next_pull_at: None}).where(Camera.id != dark)  # only it now
    async with open_services(settings) as services:
        assert (await services.cctv.pull_due(start + dt.timedelta(seconds=59))).failed == 0
        later = start + dt.timedelta(seconds=61)
        run = await services.cctv.pull_due(later)
    assert (run.pulled, run.failed) == (0, 1)
    row = await Camera.select(Camera.failures, Camera.next_pull_at).where(Camera.id == dark)
    assert row[0]["failures"] == 2
    assert row[0]["next_pull_at"] == later + dt.timedelta(seconds=120)


async def test_the_periodic_clock_pulls_a_camera_on_its_interval(client, clean):
    (picture,) = real_frames(0)
    headers = await admin(client)
    fake = CameraServer()
    fake.pictures["/open/snap.jpg"] = picture
    embedded = msgspec.structs.replace(clean, redis_url="")
    with fake.running():
        await pull_camera(client, headers, "CAM-CLOCK", f"{fake.base}/open/snap.jpg", interval_s=5)
        # The embedded default's in-process clock: the same schedule as arq's cron (every 5 s).
        async with open_services(embedded, periodic=True):
            for _ in range(300):
                if fake.hits["/open/snap.jpg"] >= 2:
                    break
                await asyncio.sleep(0.05)
    assert fake.hits["/open/snap.jpg"] >= 2
    taken = [r["taken_at"] for r in await Snapshot.select(Snapshot.taken_at)]
    assert len(taken) >= 2
    assert max(taken) - min(taken) >= dt.timedelta(seconds=4)
