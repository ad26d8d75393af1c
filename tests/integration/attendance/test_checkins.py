"""Check-ins against real PostgreSQL, S3 (moto through the minio SDK) and Redis."""

from __future__ import annotations

import asyncio
import datetime as dt
import struct
import uuid
from typing import Any

import httpx
import msgspec
import pytest
from minio import Minio

from backend.attendance.tables import CheckIn
from backend.core.app import create_app
from backend.core.settings import Settings
from tests.support.factories import TEACHER, by_role, checkin_files, jpeg, login, meta, school_point
from tests.support.services import FaultyProxy, asgi_client


async def post(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    body: dict[str, Any],
    selfie: bytes | None = None,
):
    return await client.post("/api/v1/checkins", files=checkin_files(body, selfie), headers=headers)


async def stored_count() -> int:
    return await CheckIn.count()


def bucket_keys(settings: Settings) -> list[str]:
    client = Minio(settings.minio_endpoint, access_key="x", secret_key="y", secure=False)
    return [o.object_name for o in client.list_objects(settings.minio_bucket, recursive=True)]


async def test_inside_the_fence_is_stored_pending_with_its_reason(client, teacher, clean):
    body = meta()
    response = await post(client, teacher, body)
    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["client_id"] == body["client_id"]
    assert stored["status"] == "pending"
    assert stored["geofence"]["decision"] == "inside"
    assert stored["geofence"]["distance_m"] == 0
    assert [r["code"] for r in stored["reasons"]] == ["inside_fence"]
    key = f"selfies/{stored['work_date'].replace('-', '/')}/{TEACHER.nip}/{body['client_id']}.jpg"
    assert key in bucket_keys(clean)

    again = await client.get(f"/api/v1/checkins/{stored['id']}", headers=teacher)
    assert again.json()["id"] == stored["id"]
    day = await client.get(
        "/api/v1/checkins", params={"date": stored["work_date"]}, headers=teacher
    )
    assert [c["id"] for c in day.json()["items"]] == [stored["id"]]


async def test_outside_every_fence_is_rejected_with_the_distance(client, teacher):
    lon, lat = school_point()
    # 0.01 degree of latitude is ~1.1 km; the school's circle has a 90-100 m radius.
    response = await post(client, teacher, meta(lat=lat + 0.01, lon=lon))
    assert response.status_code == 201
    stored = response.json()
    assert stored["status"] == "rejected"
    assert stored["geofence"]["decision"] == "outside"
    assert 950 < stored["geofence"]["distance_m"] < 1060
    assert stored["reasons"][0]["code"] == "outside_fence"
    assert (
        "km dari" in stored["reasons"][0]["message"] or " m dari" in stored["reasons"][0]["message"]
    )


async def test_a_replay_returns_the_stored_result_and_different_content_is_a_conflict(
    client, teacher
):
    body = meta()
    first = await post(client, teacher, body)
    assert first.status_code == 201
    later = dict(body, sent_at=(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)).isoformat())
    replay = await post(client, teacher, later)
    assert replay.status_code == 200
    assert replay.json() == first.json()
    changed = await post(client, teacher, dict(body, kind="out"))
    assert changed.status_code == 409
    assert "client_id" in changed.json()["detail"]
    other_selfie = await post(client, teacher, body, selfie=jpeg(colour=(10, 200, 10)))
    assert other_selfie.status_code == 409
    assert await stored_count() == 1


async def test_the_same_record_sent_concurrently_is_stored_once(client, teacher):
    body = meta()
    responses = await asyncio.gather(*(post(client, teacher, body) for _ in range(25)))
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 1 and codes.count(200) == 24, codes
    assert len({r.json()["id"] for r in responses}) == 1
    assert await stored_count() == 1


def bomb_jpeg() -> bytes:
    """A real JPEG whose header claims 60000 x 60000 pixels."""
    data = bytearray(jpeg(16, 16))
    i = 2
    while i < len(data):
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker in (0xC0, 0xC2):
            data[i + 5 : i + 9] = struct.pack(">HH", 60000, 60000)
            break
        i += 2 + length
    return bytes(data)


BAD_META = [
    ({"lat": 91.0}, "meta.lat"),
    ({"lon": -181.0}, "meta.lon"),
    ({"accuracy_m": -1.0}, "meta.accuracy_m"),
    ({"kind": "masuk"}, "meta.kind"),
    ({"client_id": "not-a-uuid"}, "meta.client_id"),
    ({"captured_at": "kemarin"}, "meta.captured_at"),
    ({"captured_at": "2026-11-23T07:00:00"}, "meta.captured_at"),  # no offset
    ({"lat": None}, "lat"),  # lat without lon
    ({"accuracy_m": None}, "accuracy_m"),  # a fix without its accuracy
    ({"lat": "-7.1"}, "meta.lat"),
]


@pytest.mark.parametrize(("override", "field"), BAD_META)
async def test_bad_meta_is_refused_in_words_and_nothing_is_stored(
    client, teacher, clean, override, field
):
    response = await post(client, teacher, meta(**override))
    assert response.status_code == 422, response.text
    error = response.json()
    assert field in error["detail"]
    assert error["detail"].isascii() is False or " " in error["detail"]  # a sentence, not a code
    assert await stored_count() == 0
    assert bucket_keys(clean) == []


async def test_nan_and_missing_fields_are_refused(client, teacher):
    raw = msgspec.json.encode(meta()).replace(b'"accuracy_m":10.0', b'"accuracy_m":NaN')
    response = await client.post(
        "/api/v1/checkins",
        files={
            "meta": ("m.json", raw, "application/json"),
            "selfie": ("s.jpg", jpeg(), "image/jpeg"),
        },
        headers=teacher,
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "meta: JSON tidak sah"
    body = meta()
    del body["captured_at"]
    response = await post(client, teacher, body)
    assert response.status_code == 422
    assert response.json()["errors"][0] == {"field": "meta.captured_at", "message": "wajib diisi"}


async def test_a_capture_time_in_the_future_is_refused(client, teacher):
    now = dt.datetime.now(dt.UTC)
    body = meta(captured_at=(now + dt.timedelta(hours=2)).isoformat(), sent_at=now.isoformat())
    response = await post(client, teacher, body)
    assert response.status_code == 422
    assert "masa depan" in response.json()["detail"] or "lebih lambat" in response.json()["detail"]
    assert await stored_count() == 0


@pytest.mark.parametrize(
    ("selfie", "status", "words"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"0" * 2000, 422, "JPEG"),
        (b"", 422, "kosong"),
        (jpeg()[:-200], 422, "terpotong"),
        (jpeg(3000, 3000) + b"\xff\xd9" + b"x" * 400_000, 413, "terlalu besar"),
        (bomb_jpeg(), 422, "tidak wajar"),
    ],
    ids=["png", "empty", "truncated", "too-large", "decompression-bomb"],
)
async def test_a_bad_selfie_is_refused_and_nothing_is_stored(
    client, teacher, clean, selfie, status, words
):
    response = await post(client, teacher, meta(), selfie=selfie)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert await stored_count() == 0
    assert bucket_keys(clean) == []


async def test_missing_parts_are_named(client, teacher):
    response = await client.post(
        "/api/v1/checkins",
        files={"meta": ("m.json", msgspec.json.encode(meta()), "application/json")},
        headers=teacher,
    )
    assert response.status_code == 422
    assert "selfie" in response.json()["detail"]
    response = await client.post(
        "/api/v1/checkins", files={"selfie": ("s.jpg", jpeg(), "image/jpeg")}, headers=teacher
    )
    assert response.status_code == 422
    assert "meta" in response.json()["detail"]


async def test_clock_skew_is_corrected_and_flagged(client, teacher):
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    phone = now - dt.timedelta(minutes=20)  # the phone's clock is 20 minutes slow
    body = meta(
        captured_at=(phone - dt.timedelta(seconds=5)).isoformat(), sent_at=phone.isoformat()
    )
    stored = (await post(client, teacher, body)).json()
    codes = [r["code"] for r in stored["reasons"]]
    assert "clock_skew" in codes
    corrected = dt.datetime.fromisoformat(stored["corrected_captured_at"])
    assert abs((corrected - (now - dt.timedelta(seconds=5))).total_seconds()) < 3


async def test_a_record_synced_long_after_capture_is_flagged(client, teacher):
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    body = meta(captured_at=(now - dt.timedelta(days=2)).isoformat(), sent_at=now.isoformat())
    stored = (await post(client, teacher, body)).json()
    late = next(r for r in stored["reasons"] if r["code"] == "late_sync")
    assert "hari" in late["message"]


async def test_poor_accuracy_and_near_the_fence_are_flags_not_silent_passes(client, teacher):
    _, lat = school_point()
    stored = (await post(client, teacher, meta(accuracy_m=450.0))).json()
    assert "low_accuracy" in [r["code"] for r in stored["reasons"]]
    # ~130 m north of the centre: outside a <=100 m circle, within an 80 m accuracy circle.
    near = (await post(client, teacher, meta(lat=lat + 0.00118, accuracy_m=80.0))).json()
    assert near["geofence"]["decision"] == "uncertain"
    assert near["status"] == "pending"
    assert "near_fence" in [r["code"] for r in near["reasons"]]


async def test_no_location_fix_is_kept_and_flagged(client, teacher):
    stored = (await post(client, teacher, meta(lat=None, lon=None, accuracy_m=None))).json()
    assert stored["geofence"] is None
    assert [r["code"] for r in stored["reasons"]] == ["no_location"]


async def test_records_are_private_to_their_owner_and_the_units_above(client, teacher):
    stored = (await post(client, teacher, meta())).json()
    url = f"/api/v1/checkins/{stored['id']}"
    assert (await client.get(url)).status_code == 401
    stranger = await login(client, by_role("asn", unit_code="DISDUKCAPIL").nip)
    assert (await client.get(url, headers=stranger)).status_code == 404
    principal = await login(client, by_role("kepala_unit", unit_code=TEACHER.unit_code).nip)
    assert (await client.get(url, headers=principal)).status_code == 200
    other_head = await login(client, by_role("kepala_unit", unit_code="DISDUKCAPIL").nip)
    assert (await client.get(url, headers=other_head)).status_code == 404
    bkd = await login(client, by_role("bkd").nip)
    assert (await client.get(url, headers=bkd)).status_code == 200
    assert (await client.get("/api/v1/checkins/999999", headers=teacher)).status_code == 404


async def test_storage_failure_mid_request_stores_nothing_and_a_retry_lands_once(clean):
    host, port = clean.minio_endpoint.split(":")
    proxy = FaultyProxy(host, int(port))
    await proxy.start()
    settings = msgspec.structs.replace(clean, minio_endpoint=f"127.0.0.1:{proxy.port}")
    try:
        async with asgi_client(create_app(settings, face_executor=lambda: None)) as client:
            headers = await login(client)
            body = meta()
            proxy.broken = True
            failed = await post(client, headers, body)
            assert failed.status_code == 503
            assert "dikirim ulang" in failed.json()["detail"]
            assert await stored_count() == 0
            proxy.broken = False
            assert (await post(client, headers, body)).status_code == 201
            assert (await post(client, headers, body)).status_code == 200
            assert await stored_count() == 1
    finally:
        await proxy.stop()


async def test_an_unknown_client_id_for_another_employee_is_a_conflict(client, teacher):
    body = meta()
    assert (await post(client, teacher, body)).status_code == 201
    colleague = await login(client, by_role("kepala_unit", unit_code=TEACHER.unit_code).nip)
    assert (await post(client, colleague, body)).status_code == 409


def test_client_ids_are_uuids() -> None:
    assert uuid.UUID(meta()["client_id"]).version == 4
