"""A dependency that accepts connections and never answers (S3, PostgreSQL, a push service) costs
a request a few seconds and a 503 with Retry-After, never a hang; the PWA keeps the record and
sends it again. Each hang is a real TCP peer on loopback that swallows what it is sent."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from minio import Minio

from backend.attendance.tables import CheckIn
from backend.core.app import create_app
from backend.core.db import migrate, open_engine
from backend.core.errors import Unavailable
from backend.core.settings import Settings
from backend.demo import seed_demo
from backend.org.tables import Employee
from backend.permits.tables import Permit
from backend.push.service import DeliveryFailed
from backend.push.tables import PushNotification, PushSubscription
from backend.services import open_services
from tests.support.factories import TEACHER, by_role, checkin_files, jpeg, login, meta
from tests.support.push_endpoint import PushEndpoint
from tests.support.services import asgi_client, black_hole, faulty_proxy

# What "a few seconds" means with the default timeouts (5 s each), on a busy 2-core machine.
FEW_SECONDS = 9.0


def s3(settings: Settings) -> Minio:
    return Minio(settings.minio_endpoint, access_key="x", secret_key="y", secure=False)


def bucket_keys(settings: Settings) -> list[str]:
    return [o.object_name for o in s3(settings).list_objects(settings.minio_bucket, recursive=True)]


def permit_files(attachment: bytes | None = None) -> dict[str, Any]:
    day = dt.date.today() + dt.timedelta(days=7)
    while day.isoweekday() > 5:
        day += dt.timedelta(days=1)
    values = {
        "client_id": str(uuid.uuid4()),
        "kind": "sakit",
        "start_date": day.isoformat(),
        "end_date": day.isoformat(),
        "reason": "Demam",
    }
    files: dict[str, Any] = {"meta": ("meta.json", msgspec.json.encode(values), "application/json")}
    if attachment is not None:
        files["attachment"] = ("surat.jpg", attachment, "image/jpeg")
    return files


async def timed(call: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await call
    return response, time.monotonic() - started


def assert_retry_later(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["code"] == "unavailable"


# --- S3 ------------------------------------------------------------------------------------------


async def test_a_hung_storage_answers_503_fast_stores_nothing_and_a_retry_lands_once(clean):
    async with faulty_proxy(clean.minio_endpoint) as proxy:
        settings = msgspec.structs.replace(clean, minio_endpoint=proxy.endpoint)
        async with asgi_client(create_app(settings, face_executor=lambda: None)) as client:
            headers = await login(client)
            body = meta()
            proxy.stalled = True
            failed, took = await timed(
                client.post("/api/v1/checkins", files=checkin_files(body), headers=headers)
            )
            print(f"hung S3, default timeouts: 503 after {took:.2f} s")
            assert_retry_later(failed)
            assert "dikirim ulang" in failed.json()["detail"]
            assert took < FEW_SECONDS
            assert await CheckIn.count() == 0
            assert bucket_keys(clean) == []

            proxy.stalled = False
            again = await client.post(
                "/api/v1/checkins", files=checkin_files(body), headers=headers
            )
            assert again.status_code == 201, again.text
            assert await CheckIn.count() == 1
            assert len(bucket_keys(clean)) == 1


async def test_a_replay_is_answered_while_the_storage_hangs(clean):
    async with faulty_proxy(clean.minio_endpoint) as proxy:
        settings = msgspec.structs.replace(
            clean, minio_endpoint=proxy.endpoint, storage_timeout_s=3.0
        )
        async with asgi_client(create_app(settings, face_executor=lambda: None)) as client:
            headers = await login(client)
            body = meta()
            stored = await client.post(
                "/api/v1/checkins", files=checkin_files(body), headers=headers
            )
            assert stored.status_code == 201, stored.text
            proxy.stalled = True
            # The phone never saw the 201 and sends again: the stored record answers, S3 unasked.
            replay, took = await timed(
                client.post("/api/v1/checkins", files=checkin_files(body), headers=headers)
            )
            assert replay.status_code == 200, replay.text
            assert replay.json()["id"] == stored.json()["id"]
            assert took < 2.0  # asking S3 would take 3 s


async def test_a_permit_attachment_on_a_hung_storage_is_a_503_and_no_permit(clean):
    async with faulty_proxy(clean.minio_endpoint) as proxy:
        settings = msgspec.structs.replace(
            clean, minio_endpoint=proxy.endpoint, storage_timeout_s=1.0
        )
        async with asgi_client(create_app(settings, face_executor=lambda: None)) as client:
            headers = await login(client)
            proxy.stalled = True
            files = permit_files(jpeg())
            failed, took = await timed(client.post("/api/v1/permits", files=files, headers=headers))
            assert_retry_later(failed)
            assert took < 3.0
            assert await Permit.count() == 0

            proxy.stalled = False
            stored = await client.post("/api/v1/permits", files=files, headers=headers)
            assert stored.status_code == 201, stored.text
            assert stored.json()["has_attachment"] is True


async def test_a_bucket_that_disappeared_is_made_again(client, teacher, clean):
    storage = s3(clean)
    storage.remove_bucket(clean.minio_bucket)  # `clean` left it empty
    assert not storage.bucket_exists(clean.minio_bucket)

    created = await client.post("/api/v1/checkins", files=checkin_files(meta()), headers=teacher)
    assert created.status_code == 201, created.text
    assert storage.bucket_exists(clean.minio_bucket)
    assert len(bucket_keys(clean)) == 1


# --- PostgreSQL ----------------------------------------------------------------------------------


async def test_a_hung_database_answers_503_fast(clean):
    host_port = clean.database_url.split("@", 1)[1].split("/", 1)[0]
    async with faulty_proxy(host_port) as proxy:
        settings = msgspec.structs.replace(
            clean, database_url=clean.database_url.replace(host_port, proxy.endpoint)
        )
        async with asgi_client(create_app(settings, face_executor=lambda: None)) as client:
            headers = await login(client)
            proxy.stalled = True
            failed, took = await timed(
                client.post("/api/v1/checkins", files=checkin_files(meta()), headers=headers)
            )
            print(f"hung PostgreSQL, default timeouts: 503 after {took:.2f} s")
            assert_retry_later(failed)
            assert took < FEW_SECONDS

            # A read as well: an answer, not a hang.
            listed, took = await timed(client.get("/api/v1/checkins", headers=headers))
            assert_retry_later(listed)
            assert took < FEW_SECONDS

            proxy.stalled = False
            recovered = await client.post(
                "/api/v1/checkins", files=checkin_files(meta()), headers=headers
            )
            assert recovered.status_code == 201, recovered.text


async def test_a_database_that_hangs_inside_a_transaction_costs_one_timeout(clean):
    host_port = clean.database_url.split("@", 1)[1].split("/", 1)[0]
    async with faulty_proxy(host_port) as proxy:
        settings = msgspec.structs.replace(
            clean,
            database_url=clean.database_url.replace(host_port, proxy.endpoint),
            database_timeout_s=2.0,
            database_command_timeout_s=2.0,
        )
        async with open_engine(settings) as engine:
            started = 0.0
            with pytest.raises(Unavailable):
                async with engine.transaction():
                    await CheckIn.count()
                    proxy.stalled = True
                    started = time.monotonic()
                    await CheckIn.count()
            took = time.monotonic() - started
            # Not a ROLLBACK and a connection reset waited out as well, each as long again.
            assert took < 3.5, f"{took:.2f} s"
            proxy.stalled = False
            assert await CheckIn.count() == 0


async def test_a_database_that_never_answers_fails_start_up_within_its_timeout(clean):
    async with black_hole() as hole:
        settings = msgspec.structs.replace(
            clean,
            database_url=f"postgresql://postgres@{hole.endpoint}/hadir",
            database_timeout_s=1.0,
        )
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            async with open_engine(settings):
                pass
        assert time.monotonic() - started < 4.0


# --- SQLite: the write lock is not held while S3 works -------------------------------------------


@pytest.fixture
async def sqlite_with_s3(clean: Settings, tmp_path: Path) -> Settings:
    settings = msgspec.structs.replace(
        clean, data_dir=str(tmp_path), database_url="", redis_url="", storage_timeout_s=5.0
    )
    async with open_engine(settings) as engine:
        await migrate(engine)
        await seed_demo(default_max_accuracy_m=settings.default_max_accuracy_m)
    return settings


async def test_on_sqlite_a_hung_storage_does_not_block_other_writes(sqlite_with_s3):
    async with faulty_proxy(sqlite_with_s3.minio_endpoint) as proxy:
        settings = msgspec.structs.replace(sqlite_with_s3, minio_endpoint=proxy.endpoint)
        async with asgi_client(create_app(settings, face_executor=lambda: None)) as client:
            teacher = await login(client)
            colleague = await login(client, by_role("kepala_unit", unit_code="DISDIK").nip)
            proxy.stalled = True
            hung = asyncio.create_task(
                client.post("/api/v1/checkins", files=checkin_files(meta()), headers=teacher)
            )
            await asyncio.sleep(0.5)  # the check-in is now waiting on S3
            assert not hung.done()

            # Another employee's permit (a database write) does not queue behind it.
            permit, took = await timed(
                client.post("/api/v1/permits", files=permit_files(), headers=colleague)
            )
            assert permit.status_code == 201, permit.text
            print(f"SQLite, S3 hung: another employee's permit stored in {took:.2f} s")
            assert took < 2.0, f"a write waited {took:.1f} s behind a check-in stuck on S3"
            assert not hung.done()

            assert_retry_later(await hung)


# --- push services -------------------------------------------------------------------------------


@pytest.fixture
def push_endpoint() -> Iterator[PushEndpoint]:
    with PushEndpoint().running() as endpoint:
        yield endpoint


async def test_a_hung_push_service_is_a_failed_try_not_a_hung_job(clean, push_endpoint):
    async with black_hole() as hole:
        # The hole is on loopback: allowed as the tests' push endpoint is, through the setting.
        settings = msgspec.structs.replace(
            clean, push_timeout_s=1.0, push_allowed_origins=f"http://{hole.endpoint}"
        )
        async with open_services(settings, face_executor=lambda: None) as services:
            teacher = await Employee.select(Employee.id).where(Employee.nip == TEACHER.nip).first()
            keys = push_endpoint.subscribe().to_json()["keys"]
            # Straight into the table: the route's endpoint rules are not what this test is about.
            await PushSubscription.insert(
                PushSubscription(
                    employee=teacher["id"],
                    endpoint=f"http://{hole.endpoint}/push/hung",
                    p256dh=keys["p256dh"],
                    auth=keys["auth"],
                    created_at=dt.datetime.now(dt.UTC),
                )
            )
            notification_id = await services.push.notify(
                teacher["id"], kind="permit_request", title="Izin baru", body="Ada izin."
            )
            assert notification_id is not None
            started = time.monotonic()
            with pytest.raises(DeliveryFailed):
                await services.push.send(notification_id)
            took = time.monotonic() - started
            print(f"hung push service, 1 s timeout: failed try after {took:.2f} s")
            assert took < 3.0
            row = (
                await PushNotification.select()
                .where(PushNotification.id == notification_id)
                .first()
            )
            assert row["sent_at"] is None and row["attempts"] == 1
