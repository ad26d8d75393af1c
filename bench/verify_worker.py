"""Selfie verification end to end through the arq worker.

    uv run python bench/verify_worker.py [--selfies 60]

Seeds the demo on PostgreSQL (database hadir_bench_faces), enrols a reference photo, stores
`--selfies` check-ins through the check-in service (selfies at the PWA's size, objects on local
disk, jobs queued on Redis db 12), then runs one arq worker in burst mode, as `hadir worker`
does (a process pool of one process per core), and reports settled check-ins per second.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import msgspec
import redis.asyncio as aioredis
from arq.worker import Worker

sys.path.insert(0, str(Path(__file__).parents[1]))

from backend.attendance.tables import CheckIn
from backend.core.auth import Principal
from backend.core.db import migrate, open_engine
from backend.core.settings import Settings
from backend.demo import seed_demo
from backend.org import demo_data
from backend.org.tables import Employee
from backend.services import open_services
from backend.worker import worker_settings
from tests.support.photos import photo, selfie

PG = "postgresql://postgres@127.0.0.1:5432"
DB = "hadir_bench_faces"


async def main(count: int) -> None:
    admin = await asyncpg.connect(f"{PG}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{DB}"')
    await admin.close()
    settings = Settings(
        data_dir=tempfile.mkdtemp(prefix="hadir-bench-faces-"),
        database_url=f"{PG}/{DB}",
        redis_url="redis://127.0.0.1:6379/12",
        secret_key="bench" * 10,
    )
    redis = aioredis.from_url(settings.redis_url)
    await redis.flushdb()
    await redis.aclose()
    teacher = demo_data.EMPLOYEES[0]
    lon, lat = next(
        loc for loc in demo_data.LOCATIONS if loc.unit_code == teacher.unit_code
    ).geometry["coordinates"]
    images = [selfie(name) for name in ("obama.jpg", "obama2.jpg", "obama3.jpg")]
    async with open_engine(settings) as engine:
        await migrate(engine)
        await seed_demo(default_max_accuracy_m=settings.default_max_accuracy_m)
    async with open_services(settings, face_executor=lambda: None) as services:
        await services.faces.enrol(teacher.nip, photo("obama.jpg"), enrolled_by=None)
        row = (
            await Employee.select(Employee.id, Employee.unit)
            .where(Employee.nip == teacher.nip)
            .first()
        )
        who = Principal(
            employee_id=row["id"],
            nip=teacher.nip,
            name=teacher.name,
            roles=("asn",),
            unit_id=row["unit"],
        )
        now = dt.datetime.now(dt.UTC)
        for i in range(count):
            at = (now - dt.timedelta(seconds=count - i)).isoformat()
            meta = {
                "client_id": str(uuid.uuid4()),
                "kind": "in",
                "lat": lat,
                "lon": lon,
                "accuracy_m": 10.0,
                "captured_at": at,
                "sent_at": at,
            }
            await services.checkins.submit(who, msgspec.json.encode(meta), images[i % len(images)])

        worker = Worker(**worker_settings(settings), burst=True, poll_delay=0.01)
        started = time.perf_counter()
        try:
            await worker.main()
        finally:
            await worker.close()
        seconds = time.perf_counter() - started
        statuses = await CheckIn.select(CheckIn.status)
    settled = sum(1 for s in statuses if s["status"] != "pending")
    cores = os.cpu_count() or 1
    print(f"machine: {platform.platform()} cpus={cores} python={platform.python_version()}")
    print(
        f"worker: arq burst, process pool of {cores}, {count} selfies of {len(images[0]) // 1024}-{len(images[2]) // 1024} KB"
    )
    print("(includes the worker's start: the pool loads the models, ~1 s per process)")
    print(
        f"settled {settled}/{count} in {seconds:.1f} s: {settled / seconds:.1f} selfies/s, {settled / seconds / cores:.1f} per core"
    )
    accepted = sum(1 for s in statuses if s["status"] == "accepted")
    print(f"accepted {accepted} (same person as the reference)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--selfies", type=int, default=60)
    asyncio.run(main(parser.parse_args().selfies))
