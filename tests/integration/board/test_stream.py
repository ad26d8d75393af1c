"""The board's Server-Sent Events, read by a real SSE client (httpx-sse) from the production
server: the new state arrives within 2 s of a check-in settling, in-process and across api
processes fed by a worker through Redis."""

from __future__ import annotations

import contextlib
import datetime as dt
import queue
import threading
import time
from collections.abc import Iterator

import httpx
import msgspec
import pytest
from httpx_sse import connect_sse

from backend.attendance.day_status import window_for
from backend.org import demo_data
from tests.support.commands import started
from tests.support.factories import PASSWORD, TEACHER, checkin_files, meta
from tests.support.photos import photo, selfie
from tests.support.services import live_server

COMMAND = next(e for e in demo_data.EMPLOYEES if e.roles == ("asn", "command"))
BKD = next(e for e in demo_data.EMPLOYEES if e.roles == ("asn", "bkd"))
SETTLE_TO_EVENT_S = 2.0


def token(client: httpx.Client, nip: str) -> dict[str, str]:
    answer = client.post("/api/v1/auth/login", json={"nip": nip, "password": PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def school_unit(state: dict) -> dict:
    return next(u for u in state["units"] if u["code"] == TEACHER.unit_code)


def teacher_works_today() -> bool:
    schedule = next(s for s in demo_data.SCHEDULES if s.code == TEACHER.schedule_code)
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).date()
    holidays = {h.date for h in demo_data.HOLIDAYS}
    return today not in holidays and window_for(schedule.days, today) is not None


@contextlib.contextmanager
def listening(base: str, headers: dict[str, str]) -> Iterator[queue.Queue]:
    """A real SSE client in a thread; every `board` event lands in the queue with the moment
    it arrived."""
    events: queue.Queue = queue.Queue()
    stop = threading.Event()

    def read() -> None:
        try:
            with (
                httpx.Client(base_url=base, timeout=httpx.Timeout(5, read=60)) as client,
                connect_sse(client, "GET", "/api/v1/board/stream", headers=headers) as source,
            ):
                source.response.raise_for_status()
                for event in source.iter_sse():
                    if stop.is_set():
                        return
                    if event.event == "board":
                        events.put((time.monotonic(), msgspec.json.decode(event.data)))
        except httpx.TransportError:
            # The server going away once the test is done ends the stream; before that, the
            # test sees no event and fails on its own deadline.
            if not stop.is_set():
                raise

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    try:
        yield events
    finally:
        stop.set()


def check_in_and_time_it(base: str, streams: list[queue.Queue]) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        bkd = token(client, BKD.nip)
        enrolled = client.post(
            f"/api/v1/faces/{TEACHER.nip}/references",
            files={"photo": ("obama.jpg", photo("obama.jpg"), "image/jpeg")},
            headers=bkd,
        )
        assert enrolled.status_code == 201, enrolled.text
        firsts = [stream.get(timeout=20)[1] for stream in streams]  # the state on connecting
        for first in firsts:
            assert school_unit(first)["present"] == 0
        teacher = token(client, TEACHER.nip)
        created = client.post(
            "/api/v1/checkins", files=checkin_files(meta(), selfie("obama2.jpg")), headers=teacher
        )
        assert created.status_code == 201, created.text
        record_id = created.json()["id"]
        deadline = time.monotonic() + 60
        while True:  # settled: the face was compared and the record accepted
            record = client.get(f"/api/v1/checkins/{record_id}", headers=teacher).json()
            if record["status"] != "pending":
                settled = time.monotonic()
                break
            assert time.monotonic() < deadline, "the check-in never settled"
            time.sleep(0.05)
        assert record["status"] == "accepted", record
    working = teacher_works_today()
    for stream, first in zip(streams, firsts, strict=True):
        while True:  # the first event after the change (a stream may see another change first)
            arrived, state = stream.get(timeout=SETTLE_TO_EVENT_S + 5)
            if state["version"] > first["version"] and (
                not working or school_unit(state)["present"] == 1
            ):
                break
        assert arrived - settled < SETTLE_TO_EVENT_S, arrived - settled
        if working:  # the teacher moved from not yet in (or absent, after hours) to present

            def seen(unit: dict) -> int:
                return unit["present"] + unit["absent"] + unit["permit"] + unit["not_yet_in"]

            assert school_unit(state)["present"] == school_unit(first)["present"] + 1
            assert seen(school_unit(state)) == seen(school_unit(first))


@pytest.mark.timeout(180)
def test_a_settled_check_in_reaches_the_stream_in_process(server_env, clean) -> None:
    with live_server(server_env) as base, httpx.Client(base_url=base) as client:
        headers = token(client, COMMAND.nip)
        with listening(base, headers) as events:
            check_in_and_time_it(base, [events])


@pytest.mark.timeout(240)
def test_every_api_process_gets_it_from_a_worker_through_redis(server_env, clean, tmp_path) -> None:
    env = {**server_env, "HADIR_REDIS_URL": clean.redis_url}
    with (
        started("worker", env, "worker", log_dir=tmp_path),
        live_server(env, workers=2) as base,
        httpx.Client(base_url=base) as client,
    ):
        headers = token(client, COMMAND.nip)
        with contextlib.ExitStack() as stack:
            # Four streams over two api processes: both processes serve some.
            streams = [stack.enter_context(listening(base, headers)) for _ in range(4)]
            check_in_and_time_it(base, streams)
