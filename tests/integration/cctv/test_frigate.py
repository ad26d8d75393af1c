"""Frigate: latest.jpg pulled from a fake Frigate on loopback; live person counts published in
Frigate's format to the real Mosquitto, consumed by the worker, seen as counts and queue load."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import aiomqtt
import msgspec
import pytest

from backend.cctv.mqtt import consume
from backend.cctv.tables import Alert, Snapshot
from backend.core.queue import arq_pool
from backend.services import open_services
from backend.worker import shutdown, startup
from tests.support import people as frames
from tests.support.cameras import CameraServer
from tests.support.cctv import admin, camera

BROKER = "mqtt://127.0.0.1:1883"


def mqtt_settings(settings):
    """A topic prefix of this run's own, so parallel runs on one broker never hear each other."""
    prefix = f"hadir-test-{uuid.uuid4().hex[:10]}"
    return msgspec.structs.replace(settings, mqtt_url=BROKER, mqtt_topic_prefix=prefix)


async def publish(settings, name: str, *payloads: str) -> None:
    try:
        async with aiomqtt.Client("127.0.0.1", 1883, timeout=5) as client:
            for payload in payloads:
                await client.publish(f"{settings.mqtt_topic_prefix}/{name}/person", payload)
    except aiomqtt.MqttError as exc:
        pytest.skip(
            f"Mosquitto at 127.0.0.1:1883 unreachable ({exc}); start it with "
            "`mosquitto -d -c /etc/mosquitto/mosquitto.conf`"
        )


async def counts(source: str = "mqtt") -> list[int]:
    rows = (
        await Snapshot.select(Snapshot.people)
        .where(Snapshot.source == source)
        .order_by(Snapshot.id)
    )
    return [r["people"] for r in rows]


async def until(check, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)


class Desk:
    def __init__(self) -> None:
        self.loads: list[tuple[str, int]] = []

    async def record_load(self, gerai_code, people, at) -> None:
        self.loads.append((gerai_code, people))

    async def supervisors(self, gerai_code) -> list[int]:
        return []


async def test_frigate_latest_jpg_is_pulled_through_the_pull_path(client, clean):
    try:
        picture = frames.frame(0)
    except frames.Unavailable as exc:
        pytest.skip(str(exc))
    fake = CameraServer()
    fake.pictures["/api/loket_1/latest.jpg"] = picture
    with fake.running():
        created = await camera(
            client,
            await admin(client),
            code="CAM-FRIGATE",
            mode="frigate",
            snapshot_url=fake.base + "/",
            frigate_camera="loket_1",
        )
        async with open_services(clean) as services:
            run = await services.cctv.pull_due()
    assert (run.pulled, run.failed) == (1, 0)
    assert fake.hits["/api/loket_1/latest.jpg"] == 1
    row = await Snapshot.select(Snapshot.camera, Snapshot.source, Snapshot.size).first()
    assert row == {"camera": created["camera"]["id"], "source": "frigate", "size": len(picture)}


async def test_frigate_counts_over_mqtt_feed_the_queue_load(client, clean):
    settings = mqtt_settings(clean)
    await camera(
        client,
        await admin(client),
        code="CAM-LOKET",
        mode="frigate",
        snapshot_url="http://127.0.0.1:9/",
        frigate_camera="loket_1",
        gerai="SAMSAT-1",
        queue_threshold=3,
    )
    desk = Desk()
    async with open_services(settings, gerai=desk) as services:
        subscribed = asyncio.Event()
        task = asyncio.create_task(
            consume(settings, services.cctv.count_from_frigate, subscribed=subscribed)
        )
        try:
            await asyncio.wait_for(subscribed.wait(), 10)
            # Frigate's messages: a count per change; another camera's; and noise to ignore.
            await publish(settings, "loket_1", "3", "4", "junk", "5")
            await publish(settings, "parkir", "9")
            await until(lambda: _has(3))
            await publish(settings, "loket_1", "1")
            await until(lambda: _has(4))
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert await counts() == [3, 4, 5, 1]
    assert desk.loads == [("SAMSAT-1", 3), ("SAMSAT-1", 4), ("SAMSAT-1", 5), ("SAMSAT-1", 1)]
    # Three counts at or above 3 in a row: the queue alert opened, without a frame decoded.
    alert = await Alert.select(Alert.kind, Alert.peak, Alert.closed_at).first()
    assert alert == {"kind": "queue", "peak": 5, "closed_at": None}


async def _has(n: int) -> bool:
    return await Snapshot.count().where(Snapshot.source == "mqtt") >= n


async def test_the_worker_runs_the_mqtt_consumer(client, clean):
    settings = mqtt_settings(clean)
    await camera(
        client,
        await admin(client),
        code="CAM-LOKET",
        mode="frigate",
        snapshot_url="http://127.0.0.1:9/",
        frigate_camera="loket_2",
    )
    # The arq worker's own start-up and shutdown hooks, on a real Redis connection.
    redis = arq_pool(settings.redis_url, settings.redis_timeout_s)
    ctx = {"settings": settings, "redis": redis}
    await startup(ctx)
    try:
        # The consumer subscribes in the background; nothing is retained, so say it until heard.
        for _ in range(100):
            await publish(settings, "loket_2", "2")
            if await _has(1):
                break
            await asyncio.sleep(0.1)
    finally:
        await shutdown(ctx)
        await redis.aclose()
    assert (await counts())[:1] == [2]


async def test_two_workers_record_each_count_once(client, clean):
    settings = mqtt_settings(clean)
    await camera(
        client,
        await admin(client),
        code="CAM-LOKET",
        mode="frigate",
        snapshot_url="http://127.0.0.1:9/",
        frigate_camera="loket_3",
    )
    async with open_services(settings) as services:
        ready = [asyncio.Event(), asyncio.Event()]
        tasks = [
            asyncio.create_task(
                consume(settings, services.cctv.count_from_frigate, subscribed=event)
            )
            for event in ready
        ]
        try:
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in ready)), 10)
            await publish(settings, "loket_3", *[str(n) for n in range(1, 11)])
            await until(lambda: _has(10))
            await asyncio.sleep(0.5)  # a duplicate would have landed by now
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    assert sorted(await counts()) == list(range(1, 11))
