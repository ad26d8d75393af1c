"""Chaos on a busy morning: Redis, the worker and the api are killed (SIGKILL) at seeded-random
points while a few dozen ASN check in and out, ask for permits that their principal decides, and
BKD decides flagged check-ins. Once everything is up again and has settled, nothing is lost: the
outbox is empty, every day record equals a recomputation from the records, and every notification
was sent and reached the push endpoint.

Real processes where a kill must be real: `hadir run` (granian) and `hadir worker` (arq) started
with the production environment, a redis-server of the test's own (no persistence: a kill loses
every queued job), PostgreSQL, the S3 server, and the local push endpoint.

Notifications are delivered at least once: a worker killed after the push service accepted a
notice and before the row is marked sent sends it again when the work is handed over again
(README, "How follow-up work flows"). The test kills the worker anywhere, including there, and
allows a notice twice only when a worker was killed within WINDOW_S after the first delivery
of that notice; every other notice arrives exactly once. The last kill is always the worker's,
while it runs a job and with no Redis kill after it, so the work it held must come back
through arq's in-progress mark rather than through a Redis that forgot it.

Bounded: 24 staff, seven kills, about 75-100 s on a busy 2-core machine.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
import redis.asyncio as aioredis

from backend.attendance.recap import DayRecords
from backend.attendance.tables import CheckIn, DayRecord
from backend.core.db import migrate, open_engine
from backend.core.settings import Settings
from backend.core.tables import OutboxItem
from backend.demo import seed_demo
from backend.org.tables import Employee
from backend.permits.service import Permits
from backend.permits.tables import Permit
from backend.push.tables import PushNotification
from tests.integration.permits.test_permits import PRINCIPAL, next_weekday
from tests.support import services as real
from tests.support.factories import PASSWORD, TEACHER, by_role, jpeg, meta
from tests.support.push_endpoint import PushEndpoint
from tests.support.redis_server import RedisProcess
from tests.support.services import REPO, free_port
from tests.support.staff import extra_staff

SEED = 20261116
STAFF = 24
PERMIT_EVERY = 4  # every 4th employee asks for a permit
MORNING_S = 14.0  # check-ins start within this many seconds
KILLS = [("redis", 2), ("worker", 2), ("api", 2)]  # and a last one of the worker
RETRY_S = 5  # HADIR_OUTBOX_RETRY_S of the processes: how soon lost work is handed over again
SETTLE_S = 60.0  # everything done within this long after the last process is back
WINDOW_S = 5.0  # a worker kill this soon after a notice's delivery may resend it
BKD = by_role("bkd")


class TimedEndpoint(PushEndpoint):
    """The local push endpoint, also noting when each notice arrived (monotonic clock)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[tuple[float, int, str]] = []  # (when, notification id, Topic)
        self._arrivals_lock = threading.Lock()

    def _judge(self, browser: Any, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        status, text = super()._judge(browser, headers, body)
        if status == 201:
            with self._arrivals_lock:
                self.arrivals.append(
                    (time.monotonic(), json.loads(text)["id"], headers.get("topic", ""))
                )
        return status, text


class Process:
    """One production process in a session of its own, so that a kill takes its children
    (granian's workers, the face pool) with it, as when its container is killed."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.name, self.args, self.env, self.logs = name, args, env, logs
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        with open(self.logs / f"{self.name}-{self.starts}.log", "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "backend.cli", *self.args],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None

    def exited(self) -> int | None:
        """The exit status of a process that ended on its own; None while it runs."""
        return None if self.process is None else self.process.poll()


@contextlib.contextmanager
def stopped_at_end(*processes: Process | RedisProcess) -> Iterator[None]:
    try:
        yield
    finally:
        for process in processes:
            process.kill()


async def until(
    check: Callable[[], Awaitable[bool]],
    within_s: float,
    what: str,
    state: Callable[[], Awaitable[Any]] | None = None,
) -> None:
    deadline = time.monotonic() + within_s
    while not await check():
        if time.monotonic() > deadline:
            left = await state() if state else ""
            raise AssertionError(f"not within {within_s} s: {what} {left}")
        await asyncio.sleep(0.2)


class Phone:
    """An httpx client that keeps a request and sends it again while the api is away, as the
    PWA does (check-ins and permits carry a client_id, so a resent one lands once)."""

    def __init__(self, base: str) -> None:
        self.client = httpx.AsyncClient(base_url=base, timeout=15)

    async def call(
        self, method: str, url: str, *, again: tuple[int, ...] = (), **kwargs: Any
    ) -> httpx.Response:
        """`again`: statuses that mean "done by an earlier try" once a try got no answer
        (a decision resent after the api died having saved it answers 409)."""
        deadline = time.monotonic() + 90
        lost = False
        while True:
            try:
                response = await self.client.request(method, url, **kwargs)
            except httpx.TransportError:
                lost = True
            else:
                if response.status_code < 300 or (lost and response.status_code in again):
                    return response
                # 503 with Retry-After: a dependency is away for a moment. Anything else is a bug.
                assert response.status_code == 503, f"{method} {url}: {response.text}"
            assert time.monotonic() < deadline, f"{method} {url}: no answer in 90 s"
            await asyncio.sleep(0.3)

    async def login(self, nip: str) -> dict[str, str]:
        response = await self.call(
            "POST", "/api/v1/auth/login", json={"nip": nip, "password": PASSWORD}
        )
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


def checkin_files(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "meta": ("meta.json", msgspec.json.encode(body), "application/json"),
        "selfie": ("selfie.jpg", SELFIE, "image/jpeg"),
    }


SELFIE = jpeg(240, 320)


@pytest.fixture
async def own_db(migrated: Settings) -> AsyncIterator[Settings]:
    """A database of this test's own, bound to the tables: no other test's server or
    dispatcher can touch its outbox or notifications while processes are killed around it."""
    async with real.database(f"hadir_chaos_{uuid.uuid4().hex[:12]}") as url:
        settings = msgspec.structs.replace(migrated, database_url=url)
        async with open_engine(settings) as engine:
            await migrate(engine)
            await seed_demo(default_max_accuracy_m=settings.default_max_accuracy_m)
            yield settings


@pytest.mark.timeout(240)
async def test_a_busy_morning_with_redis_the_worker_and_the_api_killed_loses_nothing(
    own_db: Settings, tmp_path: Path
) -> None:
    db = own_db
    rng = random.Random(SEED)
    started = time.monotonic()
    teacher = await Employee.select(Employee.unit, Employee.schedule).where(
        Employee.nip == TEACHER.nip
    )
    push = TimedEndpoint()
    redis = RedisProcess()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with extra_staff() as staff:
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
        ids = [
            await staff.employee(teacher[0]["unit"], teacher[0]["schedule"], since=since)
            for _ in range(STAFF)
        ]
        nips = [await staff.nip_of(i) for i in ids]
        with push.running():
            env = {
                **os.environ,
                "HADIR_DATA_DIR": str(tmp_path),
                "HADIR_DATABASE_URL": db.database_url,
                "HADIR_DATABASE_POOL_SIZE": "5",
                "HADIR_REDIS_URL": redis.url,
                "HADIR_REDIS_TIMEOUT_S": "1",
                "HADIR_STORAGE": "minio",
                "HADIR_MINIO_ENDPOINT": db.minio_endpoint,
                "HADIR_MINIO_BUCKET": db.minio_bucket,
                "HADIR_SECRET_KEY": db.secret_key,
                "HADIR_PUSH_ALLOWED_ORIGINS": push.origin,
                "HADIR_OUTBOX_POLL_S": "0.5",
                "HADIR_OUTBOX_RETRY_S": str(RETRY_S),
                "HADIR_HOST": "127.0.0.1",
                "HADIR_PORT": str(port),
                "HADIR_WORKERS": "1",
            }
            api = Process("api", ["run"], env, tmp_path)
            worker = Process("worker", ["worker"], env, tmp_path)
            with stopped_at_end(api, worker, redis):
                redis.start()
                api.start()
                worker.start()
                phone = Phone(base)

                async def api_answers() -> bool:
                    assert api.exited() is None, f"api exited, see {tmp_path}"
                    with contextlib.suppress(httpx.TransportError):
                        await phone.client.get("/health", timeout=1)
                        return True
                    return False

                await until(api_answers, 60, "the api starts")
                up_s = time.monotonic() - started
                kills = await chaos_morning(rng, phone, push, nips, api, worker, redis, ids)
                morning_s = time.monotonic() - started

                # Everything is up; the work settles.
                await until(
                    lambda: settled(ids), SETTLE_S, "the outbox drains", lambda: unsettled(ids)
                )
                settle_s = time.monotonic() - started - morning_s
                for process in (api, worker):
                    assert process.exited() is None, f"{process.name} died on its own"
                await phone.client.aclose()

        # (a) Nothing left undone, nothing given up.
        left = await OutboxItem.select(OutboxItem.job_key, OutboxItem.last_error)
        assert left == [], left

        # (b) Every day record is what its records make it now.
        await check_day_records(db, ids)

        # (c) Every notification sent, and received; twice only where a worker died mid-send.
        notifications = await PushNotification.select(
            PushNotification.id, PushNotification.kind, PushNotification.sent_at
        )
        assert notifications, "the morning made notifications"
        assert {n["kind"] for n in notifications} >= {
            "permit_request",
            "permit_decision",
            "checkin_flagged",
        }
        assert [n for n in notifications if n["sent_at"] is None] == []
        check_deliveries(push, {n["id"] for n in notifications}, worker_kills=kills["worker"])
        print(
            f"chaos: {len(ids)} staff, {len(notifications)} notifications, "
            f"{sum(len(times) for times in kills.values())} kills; api up at {up_s:.1f} s, "
            f"morning over at {morning_s:.1f} s, settled {settle_s:.1f} s later"
        )


async def chaos_morning(
    rng: random.Random,
    phone: Phone,
    push: PushEndpoint,
    nips: list[str],
    api: Process,
    worker: Process,
    redis: RedisProcess,
    employee_ids: list[int],
) -> dict[str, list[float]]:
    """The morning's traffic and, meanwhile, the kills at seeded times; returns when each
    process was killed (monotonic clock)."""
    killed: dict[str, list[float]] = collections.defaultdict(list)
    permit_day = next_weekday(1)
    plans = [
        {
            "nip": nip,
            "in_at": rng.uniform(0, MORNING_S),
            "out_after": rng.uniform(1, 6),
            "permit": index % PERMIT_EVERY == 0,
            "approve": rng.random() < 0.7,
            "review": index % 3 != 0,  # BKD decides the flags of two in three
            "accept": rng.random() < 0.8,
        }
        for index, nip in enumerate(nips)
    ]
    schedule = sorted(
        (rng.uniform(1.0, MORNING_S - 1), target, rng.uniform(0.3, 2.5))
        for target, times in KILLS
        for _ in range(times)
    )
    decided_permits: set[int] = set()
    permits_expected = sum(plan["permit"] for plan in plans)
    to_review = {plan["nip"]: plan["accept"] for plan in plans if plan["review"]}
    reviewed: set[int] = set()
    t0 = time.monotonic()

    async def employee(plan: dict[str, Any]) -> None:
        headers = await phone.login(plan["nip"])
        await phone.call(
            "POST", "/api/v1/push/subscriptions", json=push.subscribe().to_json(), headers=headers
        )
        await asyncio.sleep(max(0.0, t0 + plan["in_at"] - time.monotonic()))
        body = meta(kind="in")
        await phone.call("POST", "/api/v1/checkins", files=checkin_files(body), headers=headers)
        if plan["permit"]:
            values = {
                "client_id": str(uuid.uuid4()),
                "kind": "sakit",
                "start_date": permit_day.isoformat(),
                "end_date": (permit_day + dt.timedelta(days=1)).isoformat(),
                "reason": "Demam tinggi, surat dokter menyusul",
            }
            files = {"meta": ("meta.json", msgspec.json.encode(values), "application/json")}
            await phone.call("POST", "/api/v1/permits", files=files, headers=headers)
        await asyncio.sleep(plan["out_after"])
        body = meta(kind="out")
        await phone.call("POST", "/api/v1/checkins", files=checkin_files(body), headers=headers)

    async def principal() -> None:
        headers = await phone.login(PRINCIPAL.nip)
        await phone.call(
            "POST", "/api/v1/push/subscriptions", json=push.subscribe().to_json(), headers=headers
        )
        approve = {plan["nip"]: plan["approve"] for plan in plans}
        while len(decided_permits) < permits_expected:
            inbox = await phone.call(
                "GET", "/api/v1/permits/inbox", params={"limit": 200}, headers=headers
            )
            for item in inbox.json()["items"]:
                decision = "approve" if approve[item["employee"]["nip"]] else "reject"
                await phone.call(
                    "POST",
                    f"/api/v1/permits/{item['id']}/decision",
                    json={"decision": decision},
                    headers=headers,
                    again=(409,),
                )
                decided_permits.add(item["id"])
            await asyncio.sleep(0.5)

    async def bkd() -> None:
        """Decide the flags of the chosen staff until every check-in has settled and none of
        theirs waits in the queue."""
        headers = await phone.login(BKD.nip)
        deadline = time.monotonic() + 120
        while True:
            queue = await phone.call(
                "GET", "/api/v1/reviews", params={"limit": 200}, headers=headers
            )
            mine = [i for i in queue.json()["items"] if i["employee"]["nip"] in to_review]
            for item in mine:
                decision = "accept" if to_review[item["employee"]["nip"]] else "reject"
                await phone.call(
                    "POST",
                    f"/api/v1/reviews/{item['checkin']['id']}",
                    json={"decision": decision},
                    headers=headers,
                    again=(409,),
                )
                reviewed.add(item["checkin"]["id"])
            if not mine and await all_settled():
                return
            assert time.monotonic() < deadline, (
                await checkin_statuses(),
                await unsettled(employee_ids),
            )
            await asyncio.sleep(0.5)

    async def all_settled() -> bool:
        statuses = await checkin_statuses()
        return sum(statuses.values()) == 2 * len(plans) and "pending" not in statuses

    async def checkin_statuses() -> dict[str, int]:
        rows = await CheckIn.select(CheckIn.status).where(CheckIn.employee.is_in(employee_ids))
        return dict(collections.Counter(row["status"] for row in rows))

    async def chaos() -> None:
        processes = {"api": api, "worker": worker, "redis": redis}
        client = aioredis.from_url(redis.url)
        held: set[bytes] = set()  # arq's marks of the jobs a killed worker was running
        try:
            for at, target, down_s in schedule:
                await asyncio.sleep(max(0.0, t0 + at - time.monotonic()))
                processes[target].kill()
                killed[target].append(time.monotonic())
                if target == "worker":
                    held = await running_jobs(client)
                await asyncio.sleep(down_s)
                processes[target].start()
            # The last blow, with no Redis kill after it to wipe arq's marks: once the traffic
            # has peaked, the worker dies while it runs a job.
            await asyncio.sleep(max(0.0, t0 + MORNING_S - time.monotonic()))
            deadline = time.monotonic() + 60
            while not await running_jobs(client) - held:
                assert time.monotonic() < deadline, "the worker ran no job after the traffic peak"
                await asyncio.sleep(0.005)
            worker.kill()
            killed["worker"].append(time.monotonic())
            await asyncio.sleep(rng.uniform(0.3, 2.5))
            worker.start()
        finally:
            await client.aclose()

    await asyncio.gather(chaos(), principal(), bkd(), *[employee(plan) for plan in plans])
    return killed


async def running_jobs(client: aioredis.Redis) -> set[bytes]:
    """arq's in-progress marks of follow-up work (the periodic jobs left out)."""
    keys = await client.keys("arq:in-progress:*")
    return {key for key in keys if not key.startswith(b"arq:in-progress:cron:")}


async def settled(employee_ids: list[int]) -> bool:
    pending = await CheckIn.count().where(
        CheckIn.employee.is_in(employee_ids) & (CheckIn.status == "pending")
    )
    unsent = await PushNotification.count().where(PushNotification.sent_at.is_null())
    undone = await OutboxItem.count().where(OutboxItem.gave_up_at.is_null())
    return pending == 0 and unsent == 0 and undone == 0


async def unsettled(employee_ids: list[int]) -> dict[str, Any]:
    """What `settled` still waits for, for the failure's message."""
    return {
        "pending": await CheckIn.select(CheckIn.id, CheckIn.work_date, CheckIn.kind).where(
            CheckIn.employee.is_in(employee_ids) & (CheckIn.status == "pending")
        ),
        "unsent": await PushNotification.count().where(PushNotification.sent_at.is_null()),
        "outbox": await OutboxItem.select(
            OutboxItem.job_key, OutboxItem.attempts, OutboxItem.available_at, OutboxItem.last_error
        ).where(OutboxItem.gave_up_at.is_null()),
    }


async def check_day_records(settings: Settings, employee_ids: list[int]) -> None:
    days = DayRecords(
        rules_table=settings.tpp_rules,
        permits=Permits(store=None, outbox=None, presign_ttl_s=60),  # type: ignore[arg-type]
        outbox=None,  # type: ignore[arg-type]  # compute_range only reads; nothing is stored
    )
    stored = (
        await DayRecord.select()
        .where(DayRecord.employee.is_in(employee_ids))
        .output(load_json=True)
    )
    by_key = {(row["employee"], row["day"]): row for row in stored}
    # A record for every day an input touched: each settled check-in's, each decided permit's.
    checkins = await CheckIn.select(CheckIn.employee, CheckIn.work_date).where(
        CheckIn.employee.is_in(employee_ids)
    )
    touched = {(row["employee"], row["work_date"]) for row in checkins}
    for permit in await Permit.select().where(
        Permit.employee.is_in(employee_ids) & (Permit.status != "pending")
    ):
        day = permit["start_date"]
        while day <= permit["end_date"]:
            touched.add((permit["employee"], day))
            day += dt.timedelta(days=1)
    assert touched, "the morning touched days"
    missing = sorted(touched - set(by_key))
    assert missing == [], f"no day record for {missing}"
    fields = ("status", "permit", "tl", "psw", "late_minutes", "early_minutes", "reasons")
    wrong = []
    for (employee_id, day), row in sorted(by_key.items()):
        # Judged at the moment it was stored (a day may have ended since), from today's records.
        [fresh] = await days.compute_range(employee_id, day, day, now=row["computed_at"])
        want = {name: getattr(fresh, name) for name in fields}
        want["reasons"] = list(fresh.reasons)
        have = {name: row[name] for name in fields}
        if want != have or abs(fresh.deduction_pct - row["deduction_pct"]) > 1e-9:
            wrong.append((employee_id, day, have, want))
    assert wrong == [], wrong


def check_deliveries(push: TimedEndpoint, notification_ids: set[int], worker_kills: list[float]):
    arrivals = sorted(push.arrivals)
    counts = collections.Counter(nid for _, nid, _ in arrivals)
    assert set(counts) == notification_ids, (
        f"never received: {sorted(notification_ids - set(counts))}; "
        f"unknown: {sorted(set(counts) - notification_ids)}"
    )
    first = {}
    for at, nid, _ in arrivals:
        first.setdefault(nid, at)
    unexplained = [
        nid
        for nid, count in counts.items()
        if count > 1 and not any(0 <= kill - first[nid] <= WINDOW_S for kill in worker_kills)
    ]
    assert unexplained == [], f"sent twice with no worker killed mid-send: {unexplained}"
    # The push service may drop a queued duplicate for a phone that is off: one Topic per notice.
    assert all(topic == f"hadir-{nid}" for _, nid, topic in arrivals), arrivals[:3]
