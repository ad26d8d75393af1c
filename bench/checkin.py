"""Check-ins per second and latency through the production server.

    uv run python bench/checkin.py [--seconds 15] [--connections 64] [--workers 2]

Runs hadir as production does (granian, PostgreSQL on 127.0.0.1:5432, arq queue on Redis
127.0.0.1:6379 db 13, selfies on local disk: see BENCHMARKS.md for why), seeds the demo, and
drives it with `wrk` (Debian package `wrk`) from this machine: first `GET /health`, then
`POST /api/v1/checkins` with a ~30 KB selfie and a fresh client_id per request. Prints
requests/s, p50/p99 latency and the ratio of the two, and checks every 2xx was stored once.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import platform
import re
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

from backend.org import demo_data

PG = "postgresql://postgres@127.0.0.1:5432"
DB = "hadir_bench"
REDIS = "redis://127.0.0.1:6379/13"

LUA = r"""
local selfie = nil
local token = os.getenv("HADIR_BENCH_TOKEN")
local lat, lon = os.getenv("HADIR_BENCH_LAT"), os.getenv("HADIR_BENCH_LON")
local boundary = "hadirbench0123456789"
local counter = 0

function init(args)
  local f = assert(io.open(os.getenv("HADIR_BENCH_SELFIE"), "rb"))
  selfie = f:read("*all")
  f:close()
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

local function uuid4()
  local t = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
  return (t:gsub("[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

function request()
  counter = counter + 1
  local now = os.date("!%Y-%m-%dT%H:%M:%S+00:00")
  local meta = string.format(
    '{"client_id":"%s","kind":"in","lat":%s,"lon":%s,"accuracy_m":12.0,"captured_at":"%s","sent_at":"%s"}',
    uuid4(), lat, lon, now, now)
  local body = "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"meta\"\r\n"
    .. "Content-Type: application/json\r\n\r\n" .. meta .. "\r\n"
    .. "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"selfie\"; filename=\"s.jpg\"\r\n"
    .. "Content-Type: image/jpeg\r\n\r\n" .. selfie .. "\r\n--" .. boundary .. "--\r\n"
  return wrk.format("POST", "/api/v1/checkins", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
  }, body)
end
"""


def selfie_30kb() -> bytes:
    """A 480x640 photo-like JPEG of about 30 KB (smooth gradients plus sensor noise)."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:640, 0:480]
    base = np.stack([(x / 480 * 200), (y / 640 * 180), ((x + y) / 1120 * 160)], axis=-1)
    noisy = np.clip(base + rng.normal(0, 9, base.shape), 0, 255).astype(np.uint8)
    best = b""
    for quality in range(95, 10, -5):
        buffer = io.BytesIO()
        Image.fromarray(noisy).save(buffer, "JPEG", quality=quality)
        best = buffer.getvalue()
        if len(best) <= 31_000:
            break
    return best


def parse_wrk(output: str) -> dict[str, float]:
    def latency(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if not match:
            return float("nan")
        value, unit = float(match[1]), match[2]
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])  # type: ignore[index]
    total = int(re.search(r"(\d+) requests in", output)[1])  # type: ignore[index]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": rps,
        "requests": total,
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "non2xx": int(non2xx[1]) if non2xx else 0,
        "socket_errors": errors[1] if errors else "none",
    }


def wrk(url: str, seconds: int, connections: int, env: dict[str, str], script: Path | None) -> dict:
    threads = 2
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, env=env, check=True
    ).stdout
    return parse_wrk(output)


async def reset_database() -> str:
    conn = await asyncpg.connect(f"{PG}/postgres")
    await conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{DB}"')
    await conn.close()
    return f"{PG}/{DB}"


async def count_rows(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SELECT count(*) FROM attendance_checkin")
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2, help="granian worker processes")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench/checkin.py needs wrk: apt-get install -y wrk")

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
        "HADIR_PORT": "8765",
        "HADIR_WORKERS": str(args.workers),
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
    )
    base = "http://127.0.0.1:8765"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        teacher = demo_data.EMPLOYEES[0]
        token = httpx.post(
            f"{base}/api/v1/auth/login",
            json={"nip": teacher.nip, "password": demo_data.DEMO_PASSWORD},
        ).json()["access_token"]
        school = next(loc for loc in demo_data.LOCATIONS if loc.unit_code == teacher.unit_code)
        lon, lat = school.geometry["coordinates"]
        selfie = tmp / "selfie.jpg"
        selfie.write_bytes(selfie_30kb())
        script = tmp / "checkin.lua"
        script.write_text(LUA)
        wrk_env = {
            **os.environ,
            "HADIR_BENCH_TOKEN": token,
            "HADIR_BENCH_SELFIE": str(selfie),
            "HADIR_BENCH_LAT": str(lat),
            "HADIR_BENCH_LON": str(lon),
        }
        wrk(f"{base}/health", 3, args.connections, wrk_env, None)  # warm-up
        health = wrk(f"{base}/health", args.seconds, args.connections, wrk_env, None)
        checkin = wrk(base, args.seconds, args.connections, wrk_env, script)
        stored = asyncio.run(count_rows(db_url))
    finally:
        server.terminate()
        server.wait(timeout=20)
        shutil.rmtree(tmp, ignore_errors=True)

    print(
        f"machine: {platform.machine()} {platform.processor() or ''} cpus={os.cpu_count()} python={platform.python_version()}"
    )
    print(f"server: granian, {args.workers} workers; PostgreSQL; arq/Redis; selfies on local disk")
    print(
        f"load: wrk -t2 -c{args.connections} -d{args.seconds}s on the same machine; selfie {selfie_size(selfie_30kb())} bytes"
    )
    print(f"{'endpoint':<24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}")
    for name, row in (("GET /health", health), ("POST /api/v1/checkins", checkin)):
        print(
            f"{name:<24}{row['rps']:>10.0f}{row['p50_ms']:>10.1f}{row['p99_ms']:>10.1f}{row['non2xx']:>10}"
        )
    print(f"check-ins / health: {checkin['rps'] / health['rps']:.2f}")
    expected = checkin["requests"] - checkin["non2xx"]
    print(f"rows stored: {stored} (2xx responses: {expected}; wrk may count a few cut at the end)")


def selfie_size(data: bytes) -> int:
    return len(data)


if __name__ == "__main__":
    main()
