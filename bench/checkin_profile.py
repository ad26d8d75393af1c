"""Where one check-in's time goes, through the real app on PostgreSQL + Redis + S3.

    uv run python bench/checkin_profile.py [--checkins 300]

The app runs in this process behind an in-process ASGI client (no HTTP server, no load
generator competing for the cores): PostgreSQL on 127.0.0.1:5432 (database
`hadir_bench_profile`, recreated), arq on Redis 127.0.0.1:6379 db 14, and an S3 server (moto's
server in its own process, as MinIO would be, through the minio SDK). Each request is a fresh client_id with a ~30 KB selfie
inside the demo school's fence, sent one after another.

Prints: the wall time per check-in split into stages (the selfie put to S3, the arq enqueue, the
rest of `CheckIns.submit`, and the framework around it: auth, multipart, response), the SQL
statements and Redis commands per check-in, and cProfile's CPU time per package.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import logging
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

sys.path.insert(0, str(Path(__file__).parents[1]))

from backend.core.app import create_app
from backend.core.db import migrate, open_engine
from backend.core.settings import Settings
from backend.demo import seed_demo
from backend.org import demo_data
from bench.checkin import selfie_30kb
from tests.support.services import asgi_client, free_port

PG = "postgresql://postgres@127.0.0.1:5432"
DB = "hadir_bench_profile"
REDIS = "redis://127.0.0.1:6379/14"


class Stages:
    """Wall time of wrapped coroutines, per name."""

    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = defaultdict(list)

    def wrap(self, name: str, function: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                self.seconds[name].append(time.perf_counter() - began)

        return timed


def count_calls(
    owner: type,
    names: tuple[str, ...],
    counter: dict[str, int],
    key: str,
    texts: dict[str, int] | None = None,
) -> None:
    for name in names:
        original = getattr(owner, name)

        async def counted(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            counter[key] += 1
            if texts is not None and args:
                texts[" ".join(str(args[0]).split())[:90]] += 1
            return await __original(self, *args, **kwargs)

        setattr(owner, name, counted)


def package_of(filename: str) -> str:
    path = filename.replace("\\", "/")
    if "/site-packages/" in path:
        return path.split("/site-packages/")[1].split("/")[0].removesuffix(".py")
    if "/backend/" in path:
        return "backend." + path.split("/backend/")[1].split("/")[0].removesuffix(".py")
    if path.startswith("~") or "/lib/python3" in path:
        return "stdlib / builtins"
    return path.rsplit("/", 1)[-1]


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    moto = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return moto, f"127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    moto.kill()
    raise SystemExit("moto_server did not start")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkins", type=int, default=300)
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)

    admin = await asyncpg.connect(f"{PG}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{DB}"')
    await admin.close()
    import redis.asyncio as aioredis

    flush = aioredis.from_url(REDIS)
    await flush.flushdb()
    await flush.aclose()

    moto, endpoint = start_moto()
    try:
        settings = Settings(
            data_dir=tempfile.mkdtemp(prefix="hadir-profile-"),
            database_url=f"{PG}/{DB}",
            redis_url=REDIS,
            storage="minio",
            minio_endpoint=endpoint,
            minio_bucket="hadir-profile",
            secret_key="bench-secret-bench-secret-bench-secret",
        )
        async with open_engine(settings) as engine:
            await migrate(engine)
            await seed_demo(default_max_accuracy_m=settings.default_max_accuracy_m)
        app = create_app(settings, face_executor=lambda: None)
        async with asgi_client(app) as client:
            teacher = demo_data.EMPLOYEES[0]
            login = await client.post(
                "/api/v1/auth/login",
                json={"nip": teacher.nip, "password": demo_data.DEMO_PASSWORD},
            )
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            school = next(loc for loc in demo_data.LOCATIONS if loc.unit_code == teacher.unit_code)
            lon, lat = school.geometry["coordinates"]
            selfie = selfie_30kb()

            async def one() -> None:
                now = dt.datetime.now(dt.UTC).isoformat()
                meta = {
                    "client_id": str(uuid.uuid4()),
                    "kind": "in",
                    "lat": lat,
                    "lon": lon,
                    "accuracy_m": 12.0,
                    "captured_at": now,
                    "sent_at": now,
                }
                files = {
                    "meta": ("meta.json", msgspec.json.encode(meta), "application/json"),
                    "selfie": ("s.jpg", selfie, "image/jpeg"),
                }
                answer = await client.post("/api/v1/checkins", files=files, headers=headers)
                assert answer.status_code == 201, answer.text

            for _ in range(30):  # warm: pools, snapshots, statement caches
                await one()

            services = app.state.services
            stages = Stages()
            services.store.put = stages.wrap("selfie put to S3", services.store.put)
            services.queue.enqueue = stages.wrap("arq enqueue", services.queue.enqueue)
            submit = services.checkins.submit
            services.checkins.submit = stages.wrap("CheckIns.submit", submit)
            calls: dict[str, int] = defaultdict(int)
            statements: dict[str, int] = defaultdict(int)
            count_calls(
                asyncpg.connection.Connection,
                ("execute", "fetch", "fetchrow", "fetchval", "executemany"),
                calls,
                "SQL statements",
                statements,
            )
            from redis.asyncio.client import Pipeline, Redis

            count_calls(Redis, ("execute_command",), calls, "Redis commands")
            count_calls(Pipeline, ("execute",), calls, "Redis pipelines")

            totals = []
            for _ in range(args.checkins):
                began = time.perf_counter()
                await one()
                totals.append(time.perf_counter() - began)

            # The timed run only: the profiled run below is slowed by the profiler.
            calls, statements = dict(calls), dict(statements)
            timed_stages = {name: list(values) for name, values in stages.seconds.items()}
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.checkins):
                await one()
            profiler.disable()

    finally:
        moto.terminate()
        moto.wait(timeout=10)

    n = args.checkins
    mean_ms = statistics.mean(totals) * 1000
    print(f"{n} check-ins, one at a time, through the ASGI app (PostgreSQL, Redis, S3 via minio)")
    print(f"per check-in: mean {mean_ms:.2f} ms, median {statistics.median(totals) * 1000:.2f} ms")
    print(f"{'stage (wall time)':<44}{'mean ms':>10}{'share':>8}")
    submit_ms = statistics.mean(timed_stages["CheckIns.submit"]) * 1000
    put_ms = statistics.mean(timed_stages["selfie put to S3"]) * 1000
    queue_ms = statistics.mean(timed_stages["arq enqueue"]) * 1000
    rows = [
        ("framework: auth, multipart, response", mean_ms - submit_ms),
        ("submit: selfie put to S3 (in the transaction)", put_ms),
        ("submit: arq enqueue of verify_checkin", queue_ms),
        ("submit: rules + SQL (BEGIN/INSERT/COMMIT)", submit_ms - put_ms - queue_ms),
    ]
    for name, value in rows:
        print(f"{name:<44}{value:>10.2f}{value / mean_ms:>8.0%}")
    for key, value in sorted(calls.items()):
        print(f"{key} per check-in: {value / n:.1f}")
    for text, count in sorted(statements.items(), key=lambda kv: -kv[1]):
        print(f"  {count / n:.1f} x {text}")

    stats = pstats.Stats(profiler)
    by_package: dict[str, float] = defaultdict(float)
    total_cpu = 0.0
    idle = 0.0
    stdlib: dict[str, float] = defaultdict(float)
    for (filename, _, function), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "poll" in function and "epoll" in function:
            idle += tottime  # the event loop waiting for PostgreSQL, Redis, S3: not CPU
            continue
        package = package_of(filename)
        by_package[package] += tottime
        if package == "stdlib / builtins":
            stdlib[f"{filename.rsplit('/', 1)[-1]}:{function}"] += tottime
        total_cpu += tottime
    print(
        f"CPU in this process per check-in (cProfile, inflated by it): {total_cpu / n * 1000:.2f} ms"
    )
    for package, seconds in sorted(by_package.items(), key=lambda kv: -kv[1])[:14]:
        print(f"  {package:<40}{seconds / n * 1000:>8.3f} ms{seconds / total_cpu:>8.0%}")
    print(f"  (event loop idle in epoll, waiting on I/O: {idle / n * 1000:.2f} ms)")
    print("stdlib / builtins, top:")
    for name, seconds in sorted(stdlib.items(), key=lambda kv: -kv[1])[:8]:
        print(f"  {name[:60]:<60}{seconds / n * 1000:>8.3f} ms")
    print("top functions by cumulative time:")
    stats.sort_stats("cumulative").print_stats(
        r"backend|piccolo/query|minio/api|arq/connections|litestar/_multipart|litestar/middleware/auth",
        25,
    )


if __name__ == "__main__":
    asyncio.run(main())
