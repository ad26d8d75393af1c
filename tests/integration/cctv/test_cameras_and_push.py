"""The camera registry and the push path: keys, health, every bad push, storage, retention."""

from __future__ import annotations

import datetime as dt
import io

import msgspec
from minio import Minio
from PIL import Image

from backend.cctv.tables import Alert, Camera, Snapshot
from backend.core.tables import OutboxItem
from backend.services import open_services
from tests.support.cctv import admin, camera, location_id, picture, push
from tests.support.factories import by_role, login


def s3(settings) -> Minio:
    return Minio(settings.minio_endpoint, access_key="test", secret_key="test", secure=False)


async def test_a_camera_is_registered_with_its_key_shown_once(client, clean):
    headers = await admin(client)
    created = await camera(client, headers, gerai="SAMSAT-1", queue_threshold=5)
    key = created["key"]
    assert len(key) >= 32
    assert created["camera"]["code"] == "CAM-GERAI-1"
    assert created["camera"]["health"]["state"] == "online"  # a new camera has its allowance
    stored = await Camera.select(Camera.key_hash, Camera.gerai).first()
    assert key not in stored["key_hash"] and len(stored["key_hash"]) == 64
    assert stored["gerai"] == "SAMSAT-1"
    listed = (await client.get("/api/v1/cctv/cameras", headers=headers)).json()
    assert [c["code"] for c in listed["items"]] == ["CAM-GERAI-1"]
    assert "key" not in listed["items"][0] and "password" not in listed["items"][0]
    assert listed["purpose"]
    again = await client.post(
        "/api/v1/cctv/cameras",
        json={
            "code": "CAM-GERAI-1",
            "name": "x",
            "location_id": await location_id(),
            "mode": "push",
        },
        headers=headers,
    )
    assert again.status_code == 409


async def test_bad_camera_definitions_are_refused_naming_the_field(client, clean):
    headers = await admin(client)
    base = {"code": "CAM-X", "name": "x", "location_id": await location_id(), "mode": "pull"}
    cases = [
        ({}, "snapshot_url"),
        ({"mode": "push", "code": "bad code"}, "code"),
        ({"mode": "push", "location_id": 999999}, "location_id"),
        ({"mode": "push", "zone": [[0, 0], [10, 10], [10, 0], [0, 10]]}, "zone"),
        ({"mode": "push", "zone": [[0, 0], [10, 10]]}, "zone"),
        ({"snapshot_url": "http://cam/snap.jpg", "auth": "digest"}, "username"),
    ]
    for fields, field in cases:
        answer = await client.post("/api/v1/cctv/cameras", json={**base, **fields}, headers=headers)
        assert answer.status_code in (400, 422), (fields, answer.text)
        assert field in answer.text, (fields, answer.text)
    assert await Camera.count() == 0


async def test_only_bkd_and_admin_register_cameras(client, clean):
    teacher = await login(client)
    command = await login(client, by_role("command").nip)
    body = {"code": "CAM-Y", "name": "y", "location_id": await location_id(), "mode": "push"}
    assert (
        await client.post("/api/v1/cctv/cameras", json=body, headers=teacher)
    ).status_code == 403
    assert (
        await client.post("/api/v1/cctv/cameras", json=body, headers=command)
    ).status_code == 403
    assert (await client.get("/api/v1/cctv/cameras", headers=command)).status_code == 200
    assert (await client.get("/api/v1/cctv/cameras", headers=teacher)).status_code == 403
    bkd = await login(client, by_role("bkd").nip)
    assert (await client.post("/api/v1/cctv/cameras", json=body, headers=bkd)).status_code == 201


async def test_a_pushed_snapshot_lands_in_the_store_with_its_analysis_queued(client, clean):
    created = await camera(client, await admin(client))
    before = dt.datetime.now(dt.UTC)
    answer = await push(client, "CAM-GERAI-1", created["key"], picture())
    assert answer.status_code == 202, answer.text
    row = await Snapshot.select().where(Snapshot.id == answer.json()["id"]).first()
    assert row["source"] == "push" and row["people"] is None
    at = row["taken_at"]
    assert at >= before
    assert row["object_key"] == (
        f"cctv/CAM-GERAI-1/{at:%Y/%m/%d}/{at:%H%M%S}-{at.microsecond:06d}.jpg"
    )
    stored = s3(clean).get_object(clean.minio_bucket, row["object_key"]).read()
    assert stored == picture()
    queued = await OutboxItem.select(OutboxItem.job, OutboxItem.job_key)
    assert queued == [{"job": "analyse_snapshot", "job_key": f"analyse-snapshot:{row['id']}"}]
    health = (await client.get("/api/v1/cctv/cameras", headers=await admin(client))).json()
    assert health["items"][0]["health"]["last_snapshot_at"] is not None


async def test_multipart_pushes_take_the_first_jpeg_part(client, clean):
    created = await camera(client, await admin(client))
    answer = await client.post(
        "/api/v1/cctv/snapshots",
        files={
            "info": ("info.txt", b"channel=1", "text/plain"),
            "image": ("snap.jpg", picture(colour=(1, 2, 3)), "image/jpeg"),
            "second": ("b.jpg", picture(colour=(200, 2, 3)), "image/jpeg"),
        },
        auth=("CAM-GERAI-1", created["key"]),
    )
    assert answer.status_code == 202, answer.text
    key = (await Snapshot.select(Snapshot.object_key).first())["object_key"]
    assert s3(clean).get_object(clean.minio_bucket, key).read() == picture(colour=(1, 2, 3))


def bomb() -> bytes:
    """A real, small JPEG whose header claims 60,000 x 60,000 pixels."""
    data = bytearray(picture(16, 16))
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = (60000).to_bytes(2, "big") + (60000).to_bytes(2, "big")
    return bytes(data)


async def test_every_bad_push_is_refused_and_nothing_is_stored(client, clean):
    created = await camera(client, await admin(client))
    key = created["key"]
    png = io.BytesIO()
    Image.new("RGB", (8, 8)).save(png, "PNG")
    cases = [
        (await push(client, "CAM-GERAI-1", "wrong-key", picture()), 401),
        (await push(client, "CAM-NOPE", key, picture()), 401),
        (
            await client.post(
                "/api/v1/cctv/snapshots", content=picture(), headers={"Content-Type": "image/jpeg"}
            ),
            401,
        ),
        (await push(client, "CAM-GERAI-1", key, png.getvalue()), 415),
        (await push(client, "CAM-GERAI-1", key, b"%PDF-1.4 not a picture"), 415),
        (
            await push(
                client, "CAM-GERAI-1", key, picture(), headers={"Content-Type": "text/plain"}
            ),
            415,
        ),
        (await push(client, "CAM-GERAI-1", key, picture()[:300]), 422),
        (await push(client, "CAM-GERAI-1", key, bomb()), 413),
        (await push(client, "CAM-GERAI-1", key, b"\xff\xd8" + b"\0" * 5_100_000), 413),
        (await push(client, "CAM-GERAI-1", key, b""), 422),
    ]
    for index, (answer, status) in enumerate(cases):
        assert answer.status_code == status, (index, answer.status_code, answer.text)
        assert answer.json()["detail"]
    assert cases[0][0].headers["www-authenticate"].startswith("Basic")
    assert await Snapshot.count() == 0
    assert not list(s3(clean).list_objects(clean.minio_bucket, prefix="cctv/", recursive=True))


async def test_a_camera_pushing_too_fast_is_told_when_to_come_back(client, clean):
    created = await camera(client, await admin(client))
    first = await push(client, "CAM-GERAI-1", created["key"], picture())
    assert first.status_code == 202
    second = await push(client, "CAM-GERAI-1", created["key"], picture())
    assert second.status_code == 429, second.text
    assert int(second.headers["retry-after"]) >= 1
    assert await Snapshot.count() == 1


async def test_rotating_the_key_stops_the_old_one_at_once(client, clean):
    headers = await admin(client)
    created = await camera(client, headers)
    camera_id = created["camera"]["id"]
    rotated = await client.post(f"/api/v1/cctv/cameras/{camera_id}/key", headers=headers)
    assert rotated.status_code == 200, rotated.text
    new_key = rotated.json()["key"]
    assert new_key != created["key"]
    assert (await push(client, "CAM-GERAI-1", created["key"], picture())).status_code == 401
    assert (await push(client, "CAM-GERAI-1", new_key, picture())).status_code == 202
    missing = await client.post("/api/v1/cctv/cameras/999999/key", headers=headers)
    assert missing.status_code == 404


async def test_retention_deletes_old_pictures_from_the_store_and_keeps_counts(client, clean):
    created = await camera(client, await admin(client))
    old = (await push(client, "CAM-GERAI-1", created["key"], picture())).json()["id"]
    await Camera.update({Camera.last_snapshot_at: None}).where(Camera.code == "CAM-GERAI-1")
    recent = (await push(client, "CAM-GERAI-1", created["key"], picture())).json()["id"]
    await Snapshot.update(
        {Snapshot.taken_at: dt.datetime.now(dt.UTC) - dt.timedelta(days=40), Snapshot.people: 3}
    ).where(Snapshot.id == old)
    old_key = (await Snapshot.select(Snapshot.object_key).where(Snapshot.id == old).first())[
        "object_key"
    ]
    async with open_services(clean) as services:
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=clean.cctv_retention_days)
        assert await services.cctv.purge(cutoff) == 1
    keys = {
        o.object_name
        for o in s3(clean).list_objects(clean.minio_bucket, prefix="cctv/", recursive=True)
    }
    assert old_key not in keys and len(keys) == 1
    rows = {
        r["id"]: r for r in await Snapshot.select(Snapshot.id, Snapshot.object_key, Snapshot.people)
    }
    assert rows[old]["object_key"] == "" and rows[old]["people"] == 3
    assert rows[recent]["object_key"]


async def test_a_camera_gone_dark_raises_one_alert_and_comes_back(client, clean):
    headers = await admin(client)
    created = await camera(client, headers, interval_s=30)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    await Camera.update({Camera.created_at: long_ago}).where(Camera.code == "CAM-GERAI-1")
    listed = (await client.get("/api/v1/cctv/cameras", headers=headers)).json()
    assert listed["items"][0]["health"]["state"] == "dark"
    async with open_services(clean) as services:
        now = dt.datetime.now(dt.UTC)
        assert await services.cctv.find_dark(now) == 1
        assert await services.cctv.find_dark(now) == 0  # one alert while it stays dark
    alerts = (await client.get("/api/v1/cctv/alerts", headers=headers)).json()["items"]
    assert [(a["kind"], a["closed_at"]) for a in alerts] == [("dark", None)]
    notices = (
        await OutboxItem.select(OutboxItem.job, OutboxItem.kwargs)
        .where(OutboxItem.job == "create_notification")
        .output(load_json=True)
    )
    admin_id = by_role("admin")
    assert notices and all(n["kwargs"]["kind"] == "cctv_dark" for n in notices)
    assert (await push(client, "CAM-GERAI-1", created["key"], picture())).status_code == 202
    closed = await Alert.select(Alert.closed_at).first()
    assert closed["closed_at"] is not None
    assert msgspec.json.encode(admin_id)  # the demo admin exists
