"""The command board at regency scale: how long its state takes to build, and how long a
check-in takes to reach a board stream.

    uv run python bench/board.py [--employees 20000] [--units 300] [--samples 12]

Makes a fresh PostgreSQL database (hadir_bench_board on 127.0.0.1:5432), seeds the demo, adds
`--units` units (OPDs with schools under them) and `--employees` staff, and a morning of their
check-ins as the board holds it (present, late, on permit, absent yesterday...) plus 30 days of
history, written straight into the board's aggregates (what `apply_board_day` would have kept).
Then:

1. the state built in-process (`Board.state`): the live part alone (today's counts, what every
   change rebuilds) and the whole state with its 30-day part rebuilt (once a minute);
2. through the production server (granian, 2 api processes, `hadir worker`, Redis db 12):
   `GET /health` and `GET /api/v1/board` side by side;
3. check-in to event: staff of the demo school (with an enrolled face) check in with a real
   selfie while a real SSE client holds `/api/v1/board/stream` open; the time from the
   check-in's 201 to the first event showing it (the face check by the worker included).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import asyncpg
import httpx
import msgspec

sys.path.insert(0, str(Path(__file__).parents[1]))

from backend.board import counts
from backend.org import demo_data
from tests.support.factories import checkin_files, meta
from tests.support.photos import photo, selfie

PG = "postgresql://postgres@127.0.0.1:5432"
DB = "hadir_bench_board"
REDIS = "redis://127.0.0.1:6379/12"
PORT = 8766
SCHOOL = demo_data.EMPLOYEES[0].unit_code
WIB = dt.timezone(dt.timedelta(hours=7))


async def reset_database() -> str:
    conn = await asyncpg.connect(f"{PG}/postgres")
    await conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{DB}"')
    await conn.close()
    return f"{PG}/{DB}"


def nip(i: int) -> str:
    # Valid shape: birth date, TMT, sex, sequence.
    return f"1980{(i % 12) + 1:02d}{(i % 28) + 1:02d}2005{(i % 12) + 1:02d}1{i % 999 + 1:03d}"[:18]


async def seed(url: str, employees: int, units: int, school_extra: int) -> dict:
    """Units, staff, and a morning plus 30 days of board aggregates. Returns the shape."""
    rng = random.Random(2026)
    conn = await asyncpg.connect(url)
    try:
        pemda = await conn.fetchval("SELECT id FROM org_unit WHERE kind = 'pemda'")
        school = await conn.fetchval("SELECT id FROM org_unit WHERE code = $1", SCHOOL)
        schedule = await conn.fetchval("SELECT id FROM org_schedule ORDER BY id LIMIT 1")
        opds = max(1, units // 10)
        unit_ids: list[int] = []
        for o in range(opds):
            opd = await conn.fetchval(
                "INSERT INTO org_unit (code, name, kind, parent, timezone, kode_wilayah)"
                " VALUES ($1, $2, 'opd', $3, 'Asia/Jakarta', '') RETURNING id",
                f"B-OPD-{o}",
                f"OPD Bench {o}",
                pemda,
            )
            unit_ids.append(opd)
            for k in range(units // opds - 1):
                unit_ids.append(
                    await conn.fetchval(
                        "INSERT INTO org_unit (code, name, kind, parent, timezone, kode_wilayah)"
                        " VALUES ($1, $2, 'school', $3, $4, '') RETURNING id",
                        f"B-SCH-{o}-{k}",
                        f"Sekolah Bench {o}-{k}",
                        opd,
                        rng.choice(["Asia/Jakarta"] * 8 + ["Asia/Makassar", "Asia/Jayapura"]),
                    )
                )
        now = dt.datetime.now(dt.UTC)
        rows = []
        for i in range(employees):
            unit = school if i < school_extra else unit_ids[i % len(unit_ids)]
            rows.append(
                (
                    f"9{i:017d}",
                    f"Pegawai Bench {i}",
                    unit,
                    schedule,
                    ["asn"],
                    "Staf",
                    "x",
                    True,
                    now - dt.timedelta(days=400),
                )
            )
        await conn.copy_records_to_table(
            "org_employee",
            records=rows,
            columns=[
                "nip",
                "name",
                "unit",
                "schedule",
                "roles",
                "position",
                "password_hash",
                "active",
                "created_at",
            ],
        )
        staff = await conn.fetch(
            "SELECT id, unit FROM org_employee WHERE nip LIKE '9%' AND unit <> $1", school
        )
        today = now.astimezone(WIB).date()
        day_rows = []
        totals: dict[tuple[int, dt.date], dict[str, int]] = {}
        for back in range(30):
            day = today - dt.timedelta(days=back)
            if day.isoweekday() > 5:
                continue
            for person in staff:
                roll = rng.random()
                if back == 0 and roll < 0.2:
                    continue  # not yet in this morning
                if roll < 0.06:
                    state = (
                        "permit",
                        rng.choice(["izin", "sakit", "cuti_tahunan", "dinas_luar"]),
                        None,
                        None,
                    )
                elif roll < 0.1:
                    state = ("absent", None, None, None)
                elif roll < 0.3:
                    state = ("present", None, rng.choice(["TL1", "TL2", "TL3"]), None)
                else:
                    state = ("present", None, None, None)
                day_rows.append((person["id"], person["unit"], day, *state, now))
                bucket = totals.setdefault((person["unit"], day), {})
                for key, n in counts.contribution(state).items():
                    bucket[key] = bucket.get(key, 0) + n
        await conn.copy_records_to_table(
            "board_day",
            records=day_rows,
            columns=["employee", "unit", "day", "status", "permit", "tl", "psw", "computed_at"],
        )
        await conn.copy_records_to_table(
            "board_count",
            records=[
                (unit, day, key, n) for (unit, day), c in totals.items() for key, n in c.items()
            ],
            columns=["unit", "day", "key", "n"],
        )
        await conn.execute("VACUUM ANALYZE")  # a steady state: autovacuum has been by
        return {
            "units": await conn.fetchval("SELECT count(*) FROM org_unit"),
            "employees": await conn.fetchval("SELECT count(*) FROM org_employee WHERE active"),
            "board_day": len(day_rows),
            "board_count": await conn.fetchval("SELECT count(*) FROM board_count"),
        }
    finally:
        await conn.close()


def ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return (
        f"p50 {statistics.median(values) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms (n={len(values)})"
    )


async def build_in_process(env: dict[str, str], rounds: int) -> dict[str, str]:
    from backend.core.settings import Settings
    from backend.services import open_services

    settings = Settings.from_env(env)
    async with open_services(settings) as services:
        board = services.board
        now = dt.datetime.now(dt.UTC)
        await board.state(now)  # warm the unit and schedule snapshots
        live, whole, size = [], [], 0
        for _ in range(rounds):
            started = time.perf_counter()
            await board.units_today(dt.datetime.now(dt.UTC))
            live.append(time.perf_counter() - started)
        for _ in range(max(3, rounds // 5)):
            board._slow = None  # the 30-day part rebuilt, as once a minute
            started = time.perf_counter()
            state = await board.state(dt.datetime.now(dt.UTC))
            whole.append(time.perf_counter() - started)
            size = len(msgspec.json.encode(state))
        today = dt.datetime.now(WIB).date()
        watch, trends = [], []
        for _ in range(max(3, rounds // 5)):
            started = time.perf_counter()
            await board.watch(today)
            watch.append(time.perf_counter() - started)
            started = time.perf_counter()
            await board.trends(today)
            trends.append(time.perf_counter() - started)
        cached = []
        for _ in range(rounds):
            started = time.perf_counter()
            state = await board.state(dt.datetime.now(dt.UTC))
            cached.append(time.perf_counter() - started)
        return {
            "live part (today's counts, every change)": ms(live),
            "whole state, 30-day part cached": ms(cached),
            "whole state, 30-day part rebuilt": ms(whole),
            "  of which the watch list (30 days, PP 94 standing)": ms(watch),
            "  of which the trends (30 days)": ms(trends),
            "state JSON size": f"{size / 1024:.0f} KB",
        }


def http_side_by_side(base: str, token: str, rounds: int) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    result = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        for name, path, h in (
            ("GET /health", "/health", {}),
            ("GET /api/v1/board", "/api/v1/board", headers),
        ):
            times = []
            for _ in range(rounds):
                started = time.perf_counter()
                answer = client.get(path, headers=h)
                times.append(time.perf_counter() - started)
                assert answer.status_code == 200, answer.text
            result[name] = ms(times)
    return result


def checkin_to_event(base: str, samples: int) -> dict[str, str]:
    from httpx_sse import connect_sse

    school_staff = [e for e in demo_data.EMPLOYEES if e.unit_code == SCHOOL][:samples]
    with httpx.Client(base_url=base, timeout=60) as client:

        def login(nip_: str) -> dict[str, str]:
            token = client.post(
                "/api/v1/auth/login", json={"nip": nip_, "password": demo_data.DEMO_PASSWORD}
            ).json()["access_token"]
            return {"Authorization": f"Bearer {token}"}

        command = login(next(e for e in demo_data.EMPLOYEES if "command" in e.roles).nip)
        bkd = login(next(e for e in demo_data.EMPLOYEES if e.roles == ("asn", "bkd")).nip)
        for person in school_staff:
            enrolled = client.post(
                f"/api/v1/faces/{person.nip}/references",
                files={"photo": ("obama.jpg", photo("obama.jpg"), "image/jpeg")},
                headers=bkd,
            )
            assert enrolled.status_code == 201, enrolled.text
        heads = {p.nip: login(p.nip) for p in school_staff}
        seen: list[tuple[float, int]] = []
        ready = threading.Event()
        stop = threading.Event()

        def listen() -> None:
            with (
                httpx.Client(base_url=base, timeout=httpx.Timeout(5, read=120)) as c,
                connect_sse(c, "GET", "/api/v1/board/stream", headers=command) as source,
            ):
                for event in source.iter_sse():
                    state = msgspec.json.decode(event.data)
                    unit = next(u for u in state["units"] if u["code"] == SCHOOL)
                    seen.append((time.time(), unit["present"]))
                    ready.set()
                    if stop.is_set():
                        return

        threading.Thread(target=listen, daemon=True).start()
        ready.wait(30)
        delays, settled_delays = [], []
        for person in school_staff:
            before = seen[-1][1]
            sent = time.time()
            answer = client.post(
                "/api/v1/checkins",
                files=checkin_files(meta(), selfie("obama2.jpg")),
                headers=heads[person.nip],
            )
            assert answer.status_code == 201, answer.text
            deadline = time.monotonic() + 30
            while not any(at > sent and present > before for at, present in seen):
                if time.monotonic() > deadline:
                    raise SystemExit(f"no event for {person.nip} within 30 s")
                time.sleep(0.01)
            arrived = next(at for at, present in seen if at > sent and present > before)
            delays.append(arrived - sent)
            settled = asyncio.run(verified_at(answer.json()["id"]))
            settled_delays.append(arrived - settled)
            time.sleep(1)  # one check-in at a time: each measured on its own
        stop.set()
    print("each (s):", [round(d, 2) for d in delays], [round(d, 2) for d in settled_delays])
    return {
        "check-in 201 -> SSE event (face check included)": ms(delays),
        "check-in settled (verified_at) -> SSE event": ms(settled_delays),
    }


async def verified_at(checkin_id: int) -> float:
    conn = await asyncpg.connect(f"{PG}/{DB}")
    try:
        at = await conn.fetchval(
            "SELECT verified_at FROM attendance_checkin WHERE id = $1", checkin_id
        )
        return at.timestamp()
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--employees", type=int, default=20_000)
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--samples", type=int, default=6)
    args = parser.parse_args()

    url = asyncio.run(reset_database())
    tmp = Path(tempfile.mkdtemp(prefix="hadir-bench-board-"))
    env = {
        **os.environ,
        "HADIR_DATA_DIR": str(tmp),
        "HADIR_DATABASE_URL": url,
        "HADIR_REDIS_URL": REDIS,
        "HADIR_STORAGE": "local",
        "HADIR_SECRET_KEY": "bench-secret-bench-secret-bench-secret",
        "HADIR_PORT": str(PORT),
        "HADIR_WORKERS": "2",
    }
    subprocess.run(
        ["redis-cli", "-n", REDIS.rsplit("/", 1)[1], "flushdb"], check=True, capture_output=True
    )
    subprocess.run(
        [sys.executable, "-m", "backend.cli", "seed-demo"], env=env, check=True, capture_output=True
    )
    started = time.perf_counter()
    shape = asyncio.run(seed(url, args.employees, args.units, 0))
    print(f"seeded {shape} in {time.perf_counter() - started:.1f} s")
    for name, figure in asyncio.run(build_in_process(env, args.rounds)).items():
        print(f"{name}: {figure}")

    logs = tmp / "logs"
    logs.mkdir()
    server = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "run"],
        env=env,
        stdout=(logs / "api.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "worker"],
        env=env,
        stdout=(logs / "worker.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{PORT}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        command = next(e for e in demo_data.EMPLOYEES if "command" in e.roles)
        token = httpx.post(
            f"{base}/api/v1/auth/login",
            json={"nip": command.nip, "password": demo_data.DEMO_PASSWORD},
            timeout=30,
        ).json()["access_token"]
        for name, figure in http_side_by_side(base, token, args.rounds).items():
            print(f"{name}: {figure}")
        for name, figure in checkin_to_event(base, args.samples).items():
            print(f"{name}: {figure}")
    finally:
        for process in (server, worker):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        print(f"logs: {logs}")


if __name__ == "__main__":
    main()
