"""CCTV: snapshots accepted per second on the push path, and people counted per second per core.

    uv run python bench/cctv.py [--seconds 10] [--connections 32] [--workers 2] [--cameras 200]
                                [--rate 17 --paced-seconds 30]

Push: runs hadir as production does (granian, PostgreSQL on 127.0.0.1:5432, arq on Redis
127.0.0.1:6379 db 13, pictures on local disk as bench/checkin.py does), registers `--cameras`
push cameras through the API, and drives `POST /api/v1/cctv/snapshots` with `wrk` (a ~150 KB
1280x720 JPEG, HTTP Basic, cameras taken in turn), after `GET /health` in the same run. No worker
runs: the analysis jobs wait in the outbox, so this is the ingest alone. The per-camera rate limit
is lowered to 10 ms so that the load is not refused (its conditional update is still paid).

Paced (`--rate`): the regency's load as it comes (500 cameras at one snapshot every 30 s is 17
per second), sent at that rate for `--paced-seconds` by this process, and the CPU time the api
processes (granian and its workers) and PostgreSQL + Redis spent meanwhile, read from /proc:
the share of one core that ingest costs at that rate, which is what the issue's aim names.

Analysis: `backend.cctv.people.count_people` on frames of OpenCV's pedestrian video (see
`tests/support/people.py`), one process, OpenCV on one thread: pictures per second per core.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parent))

from checkin import REDIS, reset_database, wrk

from backend.org import demo_data

LUA = r"""
local picture = nil
local auth = {}
local counter = 0

function init(args)
  local f = assert(io.open(os.getenv("HADIR_BENCH_PICTURE"), "rb"))
  picture = f:read("*all")
  f:close()
  for line in io.lines(os.getenv("HADIR_BENCH_AUTH")) do
    auth[#auth + 1] = line
  end
  counter = math.random(1, #auth)
end

function request()
  counter = counter % #auth + 1
  return wrk.format("POST", "/api/v1/cctv/snapshots", {
    ["Authorization"] = "Basic " .. auth[counter],
    ["Content-Type"] = "image/jpeg",
  }, picture)
end
"""


def cctv_frame() -> bytes:
    """A 1280x720 photo-like JPEG of about 150 KB (gradients plus sensor noise)."""
    rng = np.random.default_rng(11)
    y, x = np.mgrid[0:720, 0:1280]
    base = np.stack([(x / 1280 * 200), (y / 720 * 180), ((x + y) / 2000 * 160)], axis=-1)
    noisy = np.clip(base + rng.normal(0, 7, base.shape), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noisy).save(buffer, "JPEG", quality=75)
    return buffer.getvalue()


async def count_rows(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SELECT count(*) FROM cctv_snapshot")
    finally:
        await conn.close()


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(match) -> float:
    """utime + stime of every process whose /proc stat fields `match(pid, comm, pgrp)`."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        if match(int(entry.name), comm, int(fields[2])):
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


async def paced(base: str, auth: list[str], picture: bytes, rate: float, seconds: float) -> dict:
    """Send snapshots at `rate` per second (cameras in turn), whatever the answers' speed."""
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:

        async def one(n: int) -> None:
            started = time.perf_counter()
            answer = await client.post(
                "/api/v1/cctv/snapshots",
                content=picture,
                headers={
                    "Authorization": f"Basic {auth[n % len(auth)]}",
                    "Content-Type": "image/jpeg",
                },
            )
            latencies.append(time.perf_counter() - started)
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

        tasks = []
        start = time.perf_counter()
        for n in range(int(rate * seconds)):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    latencies.sort()
    return {
        "statuses": statuses,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
    }


def paced_bench(base: str, server: subprocess.Popen, auth: list[str], picture: bytes, args) -> dict:
    group = os.getpgid(server.pid)

    def api(pid: int, comm: str, pgrp: int) -> bool:
        return pgrp == group

    def stores(pid: int, comm: str, pgrp: int) -> bool:
        return comm.startswith(("postgres", "redis-server"))

    before = (cpu_seconds(api), cpu_seconds(stores), time.perf_counter())
    result = asyncio.run(paced(base, auth, picture, args.rate, args.paced_seconds))
    wall = time.perf_counter() - before[2]
    result["api_cores"] = (cpu_seconds(api) - before[0]) / wall
    result["store_cores"] = (cpu_seconds(stores) - before[1]) / wall
    result["wall_s"] = wall
    return result


def push_bench(args: argparse.Namespace) -> tuple[dict, dict, int, int]:
    db_url = asyncio.run(reset_database())
    tmp = Path(tempfile.mkdtemp(prefix="hadir-bench-"))
    env = {
        **os.environ,
        "HADIR_DATA_DIR": str(tmp),
        "HADIR_DATABASE_URL": db_url,
        "HADIR_DATABASE_POOL_SIZE": "16",
        "HADIR_REDIS_URL": REDIS,
        "HADIR_STORAGE": "local",
        "HADIR_SECRET_KEY": "bench-secret-bench-secret-bench-secret",
        "HADIR_PORT": "8766",
        "HADIR_WORKERS": str(args.workers),
        "HADIR_CCTV_MIN_PUSH_INTERVAL_S": "0.01",
    }
    subprocess.run(
        ["redis-cli", "-n", REDIS.rsplit("/", 1)[1], "flushdb"], check=True, capture_output=True
    )
    subprocess.run(
        [sys.executable, "-m", "backend.cli", "seed-demo"], env=env, check=True, capture_output=True
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the paced figure reads its CPU time
    )
    base = "http://127.0.0.1:8766"
    picture = cctv_frame()
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        admin = next(e for e in demo_data.EMPLOYEES if "admin" in e.roles)
        token = httpx.post(
            f"{base}/api/v1/auth/login",
            json={"nip": admin.nip, "password": demo_data.DEMO_PASSWORD},
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        location = asyncio.run(first_location(db_url))
        lines = []
        with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
            for n in range(args.cameras):
                code = f"BENCH-{n:04d}"
                created = client.post(
                    "/api/v1/cctv/cameras",
                    json={"code": code, "name": code, "location_id": location, "mode": "push"},
                )
                created.raise_for_status()
                lines.append(base64.b64encode(f"{code}:{created.json()['key']}".encode()).decode())
        (tmp / "auth.txt").write_text("\n".join(lines) + "\n")
        (tmp / "picture.jpg").write_bytes(picture)
        (tmp / "push.lua").write_text(LUA)
        wrk_env = {
            **os.environ,
            "HADIR_BENCH_PICTURE": str(tmp / "picture.jpg"),
            "HADIR_BENCH_AUTH": str(tmp / "auth.txt"),
        }
        if args.rate:
            args.paced = paced_bench(base, server, lines, picture, args)
        wrk(f"{base}/health", 3, args.connections, wrk_env, None)  # warm-up
        health = wrk(f"{base}/health", args.seconds, args.connections, wrk_env, None)
        push = wrk(base, args.seconds, args.connections, wrk_env, tmp / "push.lua")
        stored = asyncio.run(count_rows(db_url))
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=20)
        shutil.rmtree(tmp, ignore_errors=True)
    return health, push, stored, len(picture)


async def first_location(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SELECT id FROM geofence_location ORDER BY id LIMIT 1")
    finally:
        await conn.close()


def analysis_bench(frames: int) -> tuple[float, int, tuple[int, int]]:
    import cv2

    from backend.cctv import people
    from tests.support.people import video_frames

    cv2.setNumThreads(1)
    pictures = [jpeg for _, jpeg in video_frames(count=frames)]
    people.count_people(pictures[0], None, max_pixels=10**8)  # load the detector
    started = time.perf_counter()
    for jpeg in pictures:
        people.count_people(jpeg, None, max_pixels=10**8)
    elapsed = time.perf_counter() - started
    size = Image.open(io.BytesIO(pictures[0])).size
    return len(pictures) / elapsed, len(pictures), size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="granian worker processes")
    parser.add_argument("--cameras", type=int, default=200)
    parser.add_argument("--frames", type=int, default=40, help="frames for the analysis figure")
    parser.add_argument("--skip-push", action="store_true")
    parser.add_argument("--rate", type=float, default=0, help="also send this many per second")
    parser.add_argument("--paced-seconds", type=float, default=30)
    args = parser.parse_args()
    print(f"machine: {platform.machine()} cpus={os.cpu_count()} python={platform.python_version()}")
    if not args.skip_push:
        if not shutil.which("wrk"):
            sys.exit("bench/cctv.py needs wrk: apt-get install -y wrk")
        health, push, stored, size = push_bench(args)
        print(
            f"server: granian, {args.workers} workers; PostgreSQL; arq/Redis; pictures on local disk"
        )
        print(
            f"load: wrk -t2 -c{args.connections} -d{args.seconds}s, {args.cameras} cameras, "
            f"JPEG {size} bytes"
        )
        print(f"{'endpoint':<28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}")
        for name, row in (("GET /health", health), ("POST /api/v1/cctv/snapshots", push)):
            print(
                f"{name:<28}{row['rps']:>10.0f}{row['p50_ms']:>10.1f}{row['p99_ms']:>10.1f}{row['non2xx']:>10}"
            )
        print(f"snapshots / health: {push['rps'] / health['rps']:.2f}")
        print(f"rows stored: {stored} (2xx: {push['requests'] - push['non2xx']})")
        if args.rate:
            paced_row = args.paced
            print(
                f"paced: {args.rate:g}/s for {paced_row['wall_s']:.1f} s, answers "
                f"{paced_row['statuses']}, p50 {paced_row['p50_ms']:.1f} ms, p99 "
                f"{paced_row['p99_ms']:.1f} ms; CPU: api processes "
                f"{paced_row['api_cores']:.3f} core, PostgreSQL + Redis "
                f"{paced_row['store_cores']:.3f} core"
            )
    rate, frames, size = analysis_bench(args.frames)
    print(f"analysis: {rate:.1f} pictures/s on one core ({frames} frames of {size[0]}x{size[1]})")


if __name__ == "__main__":
    main()
