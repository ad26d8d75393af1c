"""A regency's morning: every ASN checks in once, with a real selfie, against the production
processes, and the real worker verifies every selfie.

    uv run python bench/peak.py                                   # 20,000 ASN, 30 min in 60 s
    uv run python bench/peak.py --employees 500 --minutes 1 --speedup 1   # small: 500 in 60 s

Runs `hadir migrate`, `hadir seed-demo`, `hadir run` (granian, `--api-workers` processes) and
`--verifiers` x `hadir worker` as separate processes on PostgreSQL (127.0.0.1:5432, database
`hadir_bench_peak`, recreated), Redis (127.0.0.1:6379 db 11, flushed) and an S3 server (moto's
`moto_server` in its own process, through the minio SDK). `--employees` staff are added to the
demo units that have fences; `--enrolled` of them (a fraction) get a reference encoding of
obama.jpg (computed once, stored per employee as enrolment would), and they send PWA-sized
selfies of obama2.jpg / obama3.jpg (same person, other photos); the others send biden.jpg and end
`not_enrolled`, which skips the face encoding (the cheap case). Photos: tests/support/photos.py.

Arrivals follow a morning: the `--minutes` before the start of work, denser towards its end
(a triangular distribution), played `--speedup` times faster. Each check-in is sent at its time
over `--connections` keep-alive connections; the load generator runs on the same machine.

Prints the offered and achieved rates, acceptance latency p50/p99 (the HTTP answer: stored and
pending), how many ended accepted/flagged, the verification rate, and the lag from the last
answer until every check-in was verified.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import msgspec
import redis
from shapely.geometry import shape

sys.path.insert(0, str(Path(__file__).parents[1]))

from backend.core.auth import Principal, TokenIssuer, jwt_auth
from backend.core.settings import Settings
from backend.faces import recognition
from backend.org import demo_data
from tests.support.photos import photo, selfie
from tests.support.services import free_port

PG = "postgresql://postgres@127.0.0.1:5432"
DB = "hadir_bench_peak"
REDIS = "redis://127.0.0.1:6379/11"
SECRET = "bench-secret-bench-secret-bench-secret"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def wait_port(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"nothing listens on {port}")


async def prepare_database() -> None:
    admin = await asyncpg.connect(f"{PG}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{DB}"')
    await admin.close()


async def add_staff(count: int, enrolled: float) -> list[dict]:
    """Bench ASN spread over the demo units with a fence; returns who, where, and the token
    claims. Enrolment stores the same reference encoding per enrolled employee."""
    conn = await asyncpg.connect(f"{PG}/{DB}")
    try:
        fenced = {}
        for location in demo_data.LOCATIONS:
            point = shape(location.geometry).representative_point()
            fenced.setdefault(location.unit_code, (point.y, point.x))
        units = {
            r["code"]: r["id"]
            for r in await conn.fetch(
                "SELECT id, code FROM org_unit WHERE code = ANY($1)", list(fenced)
            )
        }
        schedule = await conn.fetchval("SELECT id FROM org_schedule LIMIT 1")
        password_hash = await conn.fetchval("SELECT password_hash FROM org_employee LIMIT 1")
        codes = sorted(units)
        rows, people = [], []
        now = dt.datetime.now(dt.UTC)
        for n in range(count):
            code = codes[n % len(codes)]
            nip = str(900_000_000_000_000_000 + n)  # unique; tokens are issued, nobody logs in
            rows.append(
                (nip, f"ASN {n}", units[code], schedule, ["asn"], "Staf", password_hash, True, now)
            )
            people.append(
                {"nip": nip, "unit_code": code, "unit": units[code], "point": fenced[code]}
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
        ids = {r["nip"]: r["id"] for r in await conn.fetch("SELECT id, nip FROM org_employee")}
        encoding = recognition.encoding_to_bytes(
            recognition.reference_encoding(photo("obama.jpg"), max_pixels=16_000_000)
        )
        references = []
        rng = random.Random(3)
        for person in people:
            person["id"] = ids[person["nip"]]
            person["enrolled"] = rng.random() < enrolled
            if person["enrolled"]:
                references.append(
                    (person["id"], encoding, f"references/{person['nip']}/bench.jpg", now)
                )
        await conn.copy_records_to_table(
            "faces_reference",
            records=references,
            columns=["employee", "encoding", "photo_key", "created_at"],
        )
        return people
    finally:
        await conn.close()


async def drive(
    people: list[dict], base: str, args: argparse.Namespace, issuer: TokenIssuer
) -> dict:
    rng = random.Random(11)
    window_s = args.minutes * 60 / args.speedup
    # A morning: arrivals thicken towards the start of work.
    offsets = sorted(rng.triangular(0, window_s, window_s * 0.8) for _ in people)
    rng.shuffle(people)
    photos = {
        True: [selfie("obama2.jpg"), selfie("obama3.jpg")],
        False: [selfie("biden.jpg")],
    }
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    slots = asyncio.Semaphore(args.connections)
    limits = httpx.Limits(
        max_connections=args.connections, max_keepalive_connections=args.connections
    )
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def one(person: dict, at: float, began: float) -> None:
            delay = began + at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            token = issuer.issue(
                Principal(
                    employee_id=person["id"],
                    nip=person["nip"],
                    name="ASN",
                    roles=("asn",),
                    unit_id=person["unit"],
                )
            )
            lat, lon = person["point"]
            now = dt.datetime.now(dt.UTC).isoformat()
            meta = {
                "client_id": str(uuid.uuid4()),
                "kind": "in",
                "lat": lat,
                "lon": lon,
                "accuracy_m": 10.0,
                "captured_at": now,
                "sent_at": now,
            }
            files = {
                "meta": ("meta.json", msgspec.json.encode(meta), "application/json"),
                "selfie": ("s.jpg", rng.choice(photos[person["enrolled"]]), "image/jpeg"),
            }
            async with slots:
                sent = time.perf_counter()
                try:
                    answer = await client.post(
                        "/api/v1/checkins",
                        files=files,
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    code = answer.status_code
                except httpx.HTTPError:
                    code = 0
                latencies.append(time.perf_counter() - sent)
                statuses[code] = statuses.get(code, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(one(p, at, began) for p, at in zip(people, offsets, strict=True)))
        sent_s = time.perf_counter() - began
    return {"latencies": latencies, "statuses": statuses, "sent_s": sent_s, "window_s": window_s}


async def settle(count: int, timeout_s: float) -> dict:
    conn = await asyncpg.connect(f"{PG}/{DB}")
    try:
        began = time.perf_counter()
        while time.perf_counter() - began < timeout_s:
            pending = await conn.fetchval(
                "SELECT count(*) FROM attendance_checkin WHERE status = 'pending'"
            )
            if pending == 0:
                break
            await asyncio.sleep(1)
        waited = time.perf_counter() - began
        rows = await conn.fetch(
            "SELECT status, count(*) AS n FROM attendance_checkin GROUP BY status"
        )
        span = await conn.fetchrow(
            "SELECT min(received_at) AS first_in, max(received_at) AS last_in,"
            " min(verified_at) AS first_verified, max(verified_at) AS last_verified"
            " FROM attendance_checkin"
        )
        reasons = await conn.fetch(
            "SELECT r->>'code' AS code, count(*) AS n FROM attendance_checkin,"
            " json_array_elements(reasons) r WHERE status = 'flagged' GROUP BY 1 ORDER BY 2 DESC"
        )
        return {
            "waited_s": waited,
            "by_status": {r["status"]: r["n"] for r in rows},
            "span": dict(span),
            "flag_reasons": {r["code"]: r["n"] for r in reasons},
            "stored": sum(r["n"] for r in rows),
        }
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--employees", type=int, default=20_000)
    parser.add_argument("--minutes", type=float, default=30, help="length of the morning simulated")
    parser.add_argument("--speedup", type=float, default=30, help="played this many times faster")
    parser.add_argument("--enrolled", type=float, default=1.0, help="fraction with a reference")
    parser.add_argument("--api-workers", type=int, default=2)
    parser.add_argument("--verifiers", type=int, default=1, help="`hadir worker` processes")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--settle-timeout", type=float, default=3600)
    args = parser.parse_args()

    asyncio.run(prepare_database())
    redis.Redis.from_url(REDIS).flushdb()
    s3_port, api_port = free_port(), free_port()
    tmp = Path(tempfile.mkdtemp(prefix="hadir-peak-"))
    env = {
        **os.environ,
        "HADIR_DATA_DIR": str(tmp),
        "HADIR_DATABASE_URL": f"{PG}/{DB}",
        "HADIR_DATABASE_POOL_SIZE": "16",
        "HADIR_REDIS_URL": REDIS,
        "HADIR_STORAGE": "minio",
        "HADIR_MINIO_ENDPOINT": f"127.0.0.1:{s3_port}",
        "HADIR_MINIO_BUCKET": "hadir-peak",
        "HADIR_SECRET_KEY": SECRET,
        "HADIR_PORT": str(api_port),
        "HADIR_WORKERS": str(args.api_workers),
    }
    hadir = [sys.executable, "-m", "backend.cli"]
    processes: list[subprocess.Popen[bytes]] = []
    logs = tmp / "logs"
    logs.mkdir()

    def start(name: str, command: list[str]) -> None:
        out = (logs / f"{name}.log").open("wb")
        processes.append(subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT))

    try:
        moto = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
        start("s3", [moto, "-H", "127.0.0.1", "-p", str(s3_port)])
        wait_port(s3_port)
        subprocess.run([*hadir, "migrate"], env=env, check=True, capture_output=True)
        subprocess.run([*hadir, "seed-demo"], env=env, check=True, capture_output=True)
        began = time.perf_counter()
        people = asyncio.run(add_staff(args.employees, args.enrolled))
        print(f"added {len(people)} ASN in {time.perf_counter() - began:.1f} s", file=sys.stderr)
        start("api", [*hadir, "run"])
        for n in range(args.verifiers):
            start(f"worker{n}", [*hadir, "worker"])
        wait_port(api_port)
        base = f"http://127.0.0.1:{api_port}"
        for _ in range(100):
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                break
            time.sleep(0.2)
        settings = Settings(secret_key=SECRET)
        issuer = TokenIssuer(jwt_auth(settings))
        load = asyncio.run(drive(people, base, args, issuer))
        settled = asyncio.run(settle(len(people), args.settle_timeout))
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    latencies = load["latencies"]
    span = settled["span"]
    verified = sum(n for s, n in settled["by_status"].items() if s != "pending")
    print(
        f"machine: {platform.machine()} cpus={os.cpu_count()} python={platform.python_version()}; "
        f"api: granian x{args.api_workers}; verifiers: hadir worker x{args.verifiers}; "
        "PostgreSQL, Redis, moto S3 on this machine; load generator on this machine"
    )
    print(
        f"morning: {len(people)} ASN over {args.minutes:g} min played x{args.speedup:g} "
        f"= {load['window_s']:.0f} s; peak offered ~{2 * len(people) / load['window_s']:.0f}/s; "
        f"enrolled {args.enrolled:.0%}"
    )
    print(
        f"answers: {load['statuses']} in {load['sent_s']:.1f} s "
        f"({len(latencies) / load['sent_s']:.0f}/s achieved)"
    )
    print(
        f"acceptance latency: p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    print(f"stored: {settled['stored']}; by status: {settled['by_status']}")
    print(f"flag reasons: {settled['flag_reasons']}")
    if span["first_verified"] and span["last_verified"]:
        verify_s = (span["last_verified"] - span["first_verified"]).total_seconds()
        lag = span["last_verified"].timestamp() - span["last_in"].timestamp()
        print(
            f"verification: {verified} in {verify_s:.0f} s ({verified / max(verify_s, 1e-9):.1f}/s); "
            f"lag after the last check-in until all verified: {lag:.0f} s "
            f"(waited {settled['waited_s']:.0f} s after the last answer)"
        )
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
