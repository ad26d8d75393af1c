"""Citizens' ratings through the production server, and a year's IKM of a busy MPP.

    uv run python bench/ratings.py [--seconds 10] [--connections 32] [--workers 2]
                                   [--ratings 100000]

Runs hadir as production does (granian, PostgreSQL on 127.0.0.1:5432 in database
`hadir_bench_ratings`, recreated; Redis 127.0.0.1:6379 db 12, flushed), seeds the demo (12
gerai in the MPP unit) and measures, in the same run:

1. `GET /health` and `POST /api/v1/public/ratings` with `wrk` (Debian package `wrk`) from this
   machine. Each rating has a new client_id, a random gerai of the twelve and one of its
   services, nine random answers, a short comment and a profile. wrk sends no cookie, so every
   request is a new device (the window never refuses); the per-address limit is raised for the
   run (`HADIR_RATING_PER_MINUTE`), since every request comes from 127.0.0.1. So each 201 is
   the whole path: replay lookup, gerai lookup, the rating insert and its day aggregate upsert
   in one transaction. Checks that rows = 201 answers and that the aggregates equal the rows.
2. `--ratings` raw ratings written in bulk (COPY) over the past year across the twelve gerai,
   their `ratings_day` aggregates built from them with one INSERT ... SELECT; then the time of
   `GET /api/v1/ratings/ikm?unit=MPP&from=<a year ago>&to=<today>` (bkd) and of the XLSX report
   for the same year (`/api/v1/ratings/report.xlsx`, every respondent's row), each over HTTP.
   The IKM is checked against one computed from the raw rows.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).parents[1]))

from backend.gerai import demo
from backend.org import demo_data
from backend.ratings import skm

sys.path.insert(0, str(Path(__file__).parent))
from checkin import parse_wrk  # the same wrk output parser

PG = "postgresql://postgres@127.0.0.1:5432"
DB = "hadir_bench_ratings"
REDIS = "redis://127.0.0.1:6379/12"
PORT = 8767

LUA = r"""
local choices = CHOICES
local counter = 0

function init(args)
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
  local pick = choices[math.random(1, #choices)]
  local answers = {}
  for i = 1, 9 do answers[i] = string.format('"U%d":%d', i, math.random(1, 4)) end
  local body = string.format(
    '{"client_id":"%s","gerai":"%s","service":"%s","answers":{%s},'
    .. '"comment":"antrean cukup cepat","profile":{"sex":"P","age":"30-39"}}',
    uuid4(), pick[1], pick[2], table.concat(answers, ","))
  return wrk.format("POST", "/api/v1/public/ratings",
    {["Content-Type"] = "application/json"}, body)
end
"""


def wrk(url: str, seconds: int, connections: int, script: Path | None = None) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    return parse_wrk(output)


async def reset_database() -> str:
    conn = await asyncpg.connect(f"{PG}/postgres")
    await conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{DB}"')
    await conn.close()
    return f"{PG}/{DB}"


async def check_aggregates(url: str) -> tuple[int, bool]:
    """(rows, whether ratings_day equals a recount of the rows), once the server has finished
    the requests wrk left in flight (they complete after wrk hangs up)."""
    conn = await asyncpg.connect(url)
    try:
        seen = -1
        while (now := await conn.fetchval("SELECT count(*) FROM ratings_rating")) != seen:
            seen = now
            await asyncio.sleep(1)
        rows = await conn.fetchval("SELECT count(*) FROM ratings_rating")
        sums = ", ".join(f"sum((answers->>'U{i}')::int)" for i in range(1, 10))
        raw = await conn.fetchrow(f"SELECT count(*), {sums} FROM ratings_rating")
        day = ", ".join(f"sum(s{i})" for i in range(1, 10))
        agg = await conn.fetchrow(f"SELECT sum(respondents), {day} FROM ratings_day")
        return rows, list(raw) == [int(v or 0) for v in agg]
    finally:
        await conn.close()


async def seed_year(url: str, count: int, today: dt.date) -> dict[str, tuple[int, int]]:
    """`count` ratings over the past year across the demo gerai, in bulk, and their daily
    aggregates; returns each element's (sum, count) over the raw rows."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DELETE FROM ratings_day; DELETE FROM ratings_rating")
        gerai = await conn.fetch("SELECT id, code, unit, agency, services FROM gerai_gerai")
        rng = random.Random(12)
        records = []
        totals = {code: [0, 0] for code in skm.CODES}
        now = dt.datetime.now(dt.UTC)
        for n in range(count):
            row = gerai[n % len(gerai)]
            services = (
                json.loads(row["services"]) if isinstance(row["services"], str) else row["services"]
            )
            # Mostly good service, as real surveys run: answers 2-4, a few 1s.
            answers = {c: rng.choices((1, 2, 3, 4), (1, 3, 10, 6))[0] for c in skm.CODES}
            for code, value in answers.items():
                totals[code][0] += value
                totals[code][1] += 1
            day = today - dt.timedelta(days=rng.randrange(365))
            records.append(
                (
                    uuid.uuid4(),
                    row["id"],
                    services[n % len(services)],
                    json.dumps(answers),
                    "" if n % 5 else "pelayanan ramah",
                    json.dumps({"sex": "LP"[n % 2]}),
                    "",
                    day,
                    now - dt.timedelta(days=(today - day).days),
                )
            )
        await conn.copy_records_to_table(
            "ratings_rating",
            records=records,
            columns=[
                "client_id",
                "gerai",
                "service",
                "answers",
                "comment",
                "profile",
                "device",
                "day",
                "created_at",
            ],
        )
        s = ", ".join(f"sum((r.answers->>'U{i}')::int)" for i in range(1, 10))
        n = ", ".join("count(*)" for _ in range(1, 10))
        columns = ", ".join([f"s{i}" for i in range(1, 10)] + [f"n{i}" for i in range(1, 10)])
        await conn.execute(
            f"INSERT INTO ratings_day (gerai, unit, agency, day, respondents, {columns}) "
            f"SELECT r.gerai, g.unit, g.agency, r.day, count(*), {s}, {n} "
            f"FROM ratings_rating r JOIN gerai_gerai g ON g.id = r.gerai "
            f"GROUP BY r.gerai, g.unit, g.agency, r.day"
        )
        await conn.execute("ANALYZE ratings_rating; ANALYZE ratings_day")
        return {code: (t, c) for code, (t, c) in totals.items()}
    finally:
        await conn.close()


def timed(
    client: httpx.Client, path: str, params: dict, headers: dict, times: int
) -> tuple[list[float], httpx.Response]:
    spent, answer = [], None
    for _ in range(times):
        started = time.perf_counter()
        answer = client.get(path, params=params, headers=headers)
        spent.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, answer.text[:300]
    return spent, answer  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="granian worker processes")
    parser.add_argument("--ratings", type=int, default=100_000, help="ratings in the year")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench/ratings.py needs wrk: apt-get install -y wrk")

    db_url = asyncio.run(reset_database())
    tmp = Path(tempfile.mkdtemp(prefix="hadir-bench-ratings-"))
    env = {
        **os.environ,
        "HADIR_DATA_DIR": str(tmp),
        "HADIR_DATABASE_URL": db_url,
        "HADIR_DATABASE_POOL_SIZE": "16",
        "HADIR_REDIS_URL": REDIS,
        "HADIR_STORAGE": "local",
        "HADIR_SECRET_KEY": "bench-secret-bench-secret-bench-secret",
        "HADIR_PORT": str(PORT),
        "HADIR_WORKERS": str(args.workers),
        "HADIR_RATING_PER_MINUTE": "100000000",  # all of wrk comes from one address
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
    base = f"http://127.0.0.1:{PORT}"
    choices = [(g.code, s) for g in demo.GERAI for s in g.services]
    lua_choices = "{" + ",".join(f'{{"{c}","{s}"}}' for c, s in choices) + "}"
    script = tmp / "ratings.lua"
    script.write_text(LUA.replace("CHOICES", lua_choices))
    today = dt.date.today()
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        wrk(f"{base}/health", 3, args.connections)  # warm-up
        health = wrk(f"{base}/health", args.seconds, args.connections)
        rating = wrk(base, args.seconds, args.connections, script)
        stored, aggregates_match = asyncio.run(check_aggregates(db_url))

        started = time.perf_counter()
        totals = asyncio.run(seed_year(db_url, args.ratings, today))
        seed_s = time.perf_counter() - started
        bkd = next(e for e in demo_data.EMPLOYEES if "bkd" in e.roles)
        with httpx.Client(base_url=base, timeout=120) as client:
            token = client.post(
                "/api/v1/auth/login", json={"nip": bkd.nip, "password": demo_data.DEMO_PASSWORD}
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            year = {
                "unit": "MPP",
                "from": (today - dt.timedelta(days=364)).isoformat(),
                "to": today.isoformat(),
            }
            timed(client, "/api/v1/ratings/ikm", year, headers, 2)  # warm-up
            ikm_ms, ikm = timed(client, "/api/v1/ratings/ikm", year, headers, 20)
            xlsx_ms, xlsx = timed(client, "/api/v1/ratings/report.xlsx", year, headers, 1)
    finally:
        server.terminate()
        server.wait(timeout=20)
        shutil.rmtree(tmp, ignore_errors=True)

    body = ikm.json()
    expected = skm.round2(skm.ikm(totals))
    print(
        f"machine: {platform.machine()} cpus={os.cpu_count()} python={platform.python_version()}; shared with other work"
    )
    print(
        f"server: granian, {args.workers} workers; PostgreSQL; load: wrk -t2 -c{args.connections} -d{args.seconds}s on the same machine"
    )
    print(f"{'endpoint':<28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}")
    for name, row in (("GET /health", health), ("POST /api/v1/public/ratings", rating)):
        print(
            f"{name:<28}{row['rps']:>10.0f}{row['p50_ms']:>10.1f}{row['p99_ms']:>10.1f}{row['non2xx']:>10}"
        )
    print(f"ratings / health: {rating['rps'] / health['rps']:.2f}")
    print(
        f"rows stored: {stored} (2xx answers: {rating['requests'] - rating['non2xx']}; wrk may "
        f"count a few cut at the end); ratings_day equals a recount: {aggregates_match}"
    )
    print(
        f"year seeded: {args.ratings:,} ratings over 365 days x {len(demo.GERAI)} gerai in {seed_s:.1f} s"
    )
    print(
        f"GET /api/v1/ratings/ikm?unit=MPP (a year, {body['respondents']:,} respondents): "
        f"median {statistics.median(ikm_ms):.1f} ms, max {max(ikm_ms):.1f} ms over {len(ikm_ms)}; "
        f"IKM {body['ikm']} {body['grade']} (from the raw rows: {expected}) "
        f"{'OK' if Decimal(body['ikm']) == expected else 'MISMATCH'}"
    )
    print(
        f"GET /api/v1/ratings/report.xlsx (same year, one row per respondent): "
        f"{xlsx_ms[0] / 1000:.2f} s (one run), {len(xlsx.content) / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
