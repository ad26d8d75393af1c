"""Follow-up work is recorded with the change, survives a queue that is down, and runs again when
asked for while it runs. Real PostgreSQL, a redis-server of the test's own, the real app."""

from __future__ import annotations

import asyncio
import datetime as dt
import types
import uuid
from typing import Any

import httpx
import msgspec

from backend.core import outbox as events
from backend.core.app import create_app
from backend.core.outbox import Outbox, outbox_job
from backend.core.queue import InProcessQueue
from backend.core.settings import Settings
from backend.core.tables import OutboxItem
from backend.permits.tables import Permit
from tests.integration.permits.test_permits import PRINCIPAL, body, next_weekday, request
from tests.support.factories import checkin_files, login, meta
from tests.support.jobs import drain
from tests.support.redis_server import redis_process
from tests.support.services import asgi_client


def with_redis(settings: Settings, url: str) -> Settings:
    # outbox_retry_s is also the worker's job timeout: long enough for a face check on a busy
    # machine, short enough that a lost job is handed over again within the test.
    return msgspec.structs.replace(
        settings, redis_url=url, redis_timeout_s=0.5, outbox_poll_s=0.1, outbox_retry_s=10.0
    )


async def outbox_keys() -> list[str]:
    rows = await OutboxItem.select(OutboxItem.job_key).order_by(OutboxItem.id)
    return [row["job_key"] for row in rows]


async def test_the_api_starts_and_saves_work_while_redis_is_down_and_catches_up(db):
    with redis_process(started=False) as redis:
        settings = with_redis(db, redis.url)
        app = create_app(settings, face_executor=lambda: None)
        async with asgi_client(app) as client:
            health = await client.get("/health")
            assert health.status_code == 503
            assert health.json()["queue"].startswith("error")
            assert health.json()["database"] == "ok"

            teacher = await login(client)
            checkin = await client.post(
                "/api/v1/checkins", files=checkin_files(meta()), headers=teacher
            )
            assert checkin.status_code == 201, checkin.text
            permit = await request(client, teacher, body())
            assert permit.status_code == 201, permit.text
            principal = await login(client, PRINCIPAL.nip)
            decided = await client.post(
                f"/api/v1/permits/{permit.json()['id']}/decision",
                json={"decision": "approve"},
                headers=principal,
            )
            assert decided.status_code == 200, decided.text
            await asyncio.sleep(0.5)  # the dispatcher tries, and fails, several times
            keys = await outbox_keys()
            assert f"verify-checkin:{checkin.json()['id']}" in keys
            assert f"notice:permit_request:{permit.json()['id']}" in keys
            assert f"notice:permit_decision:{permit.json()['id']}" in keys
            assert sum(key.startswith("day:") for key in keys) == 2  # the permit's two days
            errors = await OutboxItem.select(OutboxItem.last_error)
            assert all("Error" in row["last_error"] for row in errors), errors

            redis.start()
            # Redis is back: the api's dispatcher hands everything over on its own.
            deadline = asyncio.get_running_loop().time() + 10
            while await OutboxItem.count().where(OutboxItem.attempts == 0) > 0:
                assert asyncio.get_running_loop().time() < deadline, await outbox_keys()
                await asyncio.sleep(0.1)
            assert (await client.get("/health")).status_code == 200
        await drain(settings)
        assert await OutboxItem.count() == 0


async def test_a_hung_redis_does_not_hang_a_request(clean):
    # A server that accepts connections and never answers.
    writers: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        await reader.read()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        settings = with_redis(clean, f"redis://127.0.0.1:{port}/0")
        app = create_app(settings, face_executor=lambda: None)
        async with asgi_client(app) as client:
            teacher = await login(client)
            started = asyncio.get_running_loop().time()
            response = await client.post(
                "/api/v1/checkins", files=checkin_files(meta()), headers=teacher
            )
            assert response.status_code == 201
            health = await client.get("/health")
            assert health.status_code == 503
            assert asyncio.get_running_loop().time() - started < 3
    finally:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_work_asked_for_while_its_job_runs_is_run_again_after_it(db):
    """A check-out landing while its day is recomputed is not dropped."""
    from piccolo_conf import DB  # the engine bound by the `db` fixture

    outbox = Outbox(DB, retry_s=30)
    runs: list[int] = []
    started, release = asyncio.Event(), asyncio.Event()

    async def recompute_day(ctx: dict[str, Any], *, employee_id: int, day: str) -> None:
        runs.append(employee_id)
        started.set()
        await release.wait()

    queue = InProcessQueue([outbox_job(recompute_day)])
    queue.ctx["services"] = types.SimpleNamespace(outbox=outbox)
    day = dt.date(2026, 11, 16)
    await outbox.add(events.day_changed(7, day))
    assert await outbox.dispatch_once(queue) == 1
    await started.wait()
    (first,) = await OutboxItem.select(OutboxItem.id)

    await outbox.add(events.day_changed(7, day))  # the check-out, mid-recompute
    await OutboxItem.update({OutboxItem.available_at: dt.datetime.now(dt.UTC)}).where(
        OutboxItem.id != first["id"]
    )
    assert await outbox.dispatch_once(queue) == 1  # offered, refused: the same job runs
    release.set()
    await queue.idle()
    assert runs == [7]
    left = await OutboxItem.select(OutboxItem.id, OutboxItem.job_key)
    assert [row["job_key"] for row in left] == ["day:7:2026-11-16"]
    assert left[0]["id"] != first["id"]  # the first run removed only what it had seen

    started.clear()
    await OutboxItem.update({OutboxItem.available_at: dt.datetime.now(dt.UTC)}, force=True)
    assert await outbox.dispatch_once(queue) == 1
    await started.wait()
    await queue.idle()
    assert runs == [7, 7]
    assert await OutboxItem.count() == 0


async def test_work_that_never_succeeds_is_given_up_with_a_reason(db):
    from piccolo_conf import DB

    outbox = Outbox(DB, retry_s=0, max_attempts=3)

    async def recompute_day(ctx: dict[str, Any], **kwargs: Any) -> None:
        raise RuntimeError("broken")

    queue = InProcessQueue([outbox_job(recompute_day)])
    queue.ctx["services"] = types.SimpleNamespace(outbox=outbox)
    await outbox.add(events.day_changed(7, dt.date(2026, 11, 16)))
    for _ in range(5):
        await outbox.dispatch_once(queue)
        await queue.idle()
    (row,) = await OutboxItem.select()
    assert row["attempts"] == 3
    assert row["gave_up_at"] is not None
    assert "3 hand-overs" in row["last_error"]


async def test_parallel_retries_of_one_permit_get_the_stored_permit(client, teacher, clean):
    values = body(client_id=str(uuid.uuid4()))

    async def send(payload: dict[str, Any]) -> httpx.Response:
        return await request(client, teacher, payload)

    answers = await asyncio.gather(*[send(values) for _ in range(20)])
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] * 19 + [201], [a.text for a in answers if a.status_code >= 300]
    assert len({a.json()["id"] for a in answers}) == 1
    assert await Permit.count().where(Permit.client_id == values["client_id"]) == 1
    different = await send(dict(values, reason="Isi yang berbeda"))
    assert different.status_code == 409
    # Different permits for the same other days at once: one is made, the others overlap it.
    later = next_weekday(1, dt.date.fromisoformat(values["end_date"]))
    clashing = await asyncio.gather(
        *[send(body(start_date=later.isoformat(), end_date=later.isoformat())) for _ in range(5)]
    )
    assert sorted(a.status_code for a in clashing) == [201] + [409] * 4
