"""Selfie verification as production runs it: the api queues on Redis, an arq worker (burst)
verifies with the real face models in its process pool; and the periodic sweep."""

from __future__ import annotations

import httpx
import msgspec
import pytest
import redis.asyncio as aioredis

from backend.attendance.tables import CheckIn
from backend.core.settings import Settings
from backend.services import open_services
from tests.support.factories import TEACHER, checkin_files, meta
from tests.support.jobs import dispatch_all, drain
from tests.support.photos import photo, selfie


async def run_worker(settings) -> None:
    await drain(settings)


async def enrol(settings: Settings, name: str) -> None:
    async with open_services(settings, face_executor=lambda: None) as services:
        await services.faces.enrol(TEACHER.nip, photo(name), enrolled_by=None)


async def submit(client: httpx.AsyncClient, headers: dict[str, str], image: bytes) -> dict:
    response = await client.post(
        "/api/v1/checkins", files=checkin_files(meta(), image), headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def status_of(client: httpx.AsyncClient, headers: dict[str, str], checkin_id: int) -> dict:
    return (await client.get(f"/api/v1/checkins/{checkin_id}", headers=headers)).json()


@pytest.mark.timeout(240)
async def test_the_worker_accepts_the_same_person_and_flags_others(client, teacher, clean):
    await enrol(clean, "obama.jpg")
    same = await submit(client, teacher, selfie("obama2.jpg"))
    other = await submit(client, teacher, selfie("biden.jpg"))
    group = await submit(client, teacher, selfie("faces.jpg"))
    nobody = await submit(client, teacher, selfie("landscape.jpg"))
    assert {same["status"], other["status"]} == {"pending"}

    await run_worker(clean)

    same = await status_of(client, teacher, same["id"])
    assert same["status"] == "accepted", same
    assert [r["code"] for r in same["reasons"]] == ["inside_fence", "face_match"]
    assert 0.2 < same["face_distance"] < 0.5
    other = await status_of(client, teacher, other["id"])
    assert other["status"] == "flagged"
    assert other["reasons"][-1]["code"] == "face_mismatch"
    assert other["face_distance"] > 0.6
    assert "jarak" in other["reasons"][-1]["message"]
    assert (await status_of(client, teacher, group["id"]))["reasons"][-1][
        "code"
    ] == "multiple_faces"
    assert (await status_of(client, teacher, nobody["id"]))["reasons"][-1]["code"] == "no_face"


async def test_without_a_reference_the_record_is_flagged_not_enrolled(client, teacher, clean):
    stored = await submit(client, teacher, selfie("obama.jpg"))
    await run_worker(clean)
    settled = await status_of(client, teacher, stored["id"])
    assert settled["status"] == "flagged"
    assert settled["reasons"][-1]["code"] == "not_enrolled"


async def test_a_lost_job_is_found_by_the_sweep_and_verified_once(client, teacher, clean):
    await enrol(clean, "obama.jpg")
    stored = await submit(client, teacher, selfie("obama3.jpg"))
    # Redis restarted: the queued job is gone, the record is still pending.
    redis = aioredis.from_url(clean.redis_url)
    for key in await redis.keys("arq:*"):  # everything arq had, as after a restart
        await redis.delete(key)
    await redis.aclose()
    await CheckIn.update({CheckIn.received_at: CheckIn.received_at}).where(
        CheckIn.id == stored["id"]
    )
    sweep_now = msgspec.structs.replace(clean, verify_sweep_minutes=0)
    await run_worker(sweep_now)  # the sweep runs at worker start-up, queues, and the burst runs it
    settled = await status_of(client, teacher, stored["id"])
    assert settled["status"] == "accepted", settled


async def test_queueing_the_same_check_in_twice_makes_one_job(client, teacher, clean):
    stored = await submit(client, teacher, selfie("obama.jpg"))
    await dispatch_all(clean)  # the outbox row written with the check-in, handed to Redis
    async with open_services(clean, face_executor=lambda: None) as services:
        assert (
            await services.queue.enqueue(
                "verify_checkin", job_id=f"verify-checkin:{stored['id']}", id=stored["id"]
            )
            is False
        )


async def test_impossible_travel_is_judged_when_the_record_settles(client, teacher, clean):
    import datetime as dt

    from tests.support.factories import school_point

    await enrol(clean, "obama.jpg")
    _, lat = school_point()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    early = (now - dt.timedelta(minutes=10)).isoformat()
    # ~55 km away ten minutes earlier: outside (rejected), but it is where the phone was.
    far = meta(lat=lat + 0.5, captured_at=early, sent_at=now.isoformat())
    response = await client.post(
        "/api/v1/checkins", files=checkin_files(far, selfie("obama.jpg")), headers=teacher
    )
    assert response.json()["status"] == "rejected"
    here = await submit(client, teacher, selfie("obama2.jpg"))
    await run_worker(clean)
    settled = await status_of(client, teacher, here["id"])
    assert settled["status"] == "flagged"
    codes = [r["code"] for r in settled["reasons"]]
    assert codes == ["inside_fence", "impossible_travel", "face_match"]
    assert "km/jam" in settled["reasons"][1]["message"]
