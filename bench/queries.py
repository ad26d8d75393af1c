"""The requests that used to read whole tables, timed as the Pemda grows: 1k, 5k, 20k employees.

    uv run python bench/queries.py [--sizes 1000,5000,20000] [--repeat 15]

Builds a regency on PostgreSQL (127.0.0.1:5432, database `hadir_bench_queries`, dropped and
created): the demo Pemda, then ~40 OPD under it and schools / desa offices under the OPD, about
one unit per 15 employees, each unit with a head. Every employee has stored day records (what the
nightly job writes) from the start of the month before last to yesterday; 5 % have a pending
permit and 10 % a flagged check-in. The unit measured (the demo school SD Negeri 1 Bleboh, its
principal, its OPD Dinas Pendidikan) stays the same size while the Pemda grows around it, so a
bounded request stays flat; BKD's first page of the review queue and of the inbox is one page
(50) at every size.

Each request runs through the real app (ASGI, PostgreSQL, Redis db 12, objects on local disk)
`--repeat` times; the table shows the median in ms per size, and `/health` from the same run as
a reference for the machine's noise.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).parents[1]))

from backend.core.app import create_app
from backend.core.db import migrate, open_engine
from backend.core.settings import Settings
from backend.demo import seed_demo
from backend.org import demo_data
from backend.org import service as org
from tests.support.services import asgi_client

PG = "postgresql://postgres@127.0.0.1:5432"
DB = "hadir_bench_queries"
REDIS = "redis://127.0.0.1:6379/12"
WIB = dt.timezone(dt.timedelta(hours=7))
PER_UNIT = 15
OPDS = 40


class Regency:
    """Grows the bench Pemda with COPY (seconds for 20k employees and a million day records)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.rng = random.Random(8)
        self.serial = 0
        self.opds: list[int] = []
        self.leaves: list[int] = []

    async def start(self) -> None:
        pemda = await self.conn.fetchval("SELECT id FROM org_unit WHERE code = 'PEMDA'")
        self.password_hash = await self.conn.fetchval(
            "SELECT password_hash FROM org_employee LIMIT 1"
        )
        self.schedule = await self.conn.fetchval(
            "SELECT id FROM org_schedule WHERE kind = 'five_day' LIMIT 1"
        )
        # The demo staff were registered today; move them back so their months are judged.
        since = dt.datetime.combine(month_before_last(), dt.time(), WIB)
        await self.conn.execute("UPDATE org_employee SET created_at = $1", since)
        self.opds = await self._units([("opd", pemda)] * OPDS)
        await self._staff(self.opds, heads_only=True)

    async def grow_to(self, employees: int) -> None:
        have = await self.conn.fetchval("SELECT count(*) FROM org_employee")
        if employees <= have:
            return
        wanted_units = employees // PER_UNIT - len(self.opds) - len(self.leaves)
        if wanted_units > 0:
            parents = [(self.rng.choice(("school", "desa")), p) for p in self.opds]
            new = await self._units([parents[i % len(parents)] for i in range(wanted_units)])
            self.leaves += new
            await self._staff(new, heads_only=True)
        have = await self.conn.fetchval("SELECT count(*) FROM org_employee")
        units = self.opds + self.leaves
        await self._staff([units[i % len(units)] for i in range(employees - have)])
        await self._activity()

    async def _units(self, specs: list[tuple[str, int]]) -> list[int]:
        rows = []
        for kind, parent in specs:
            self.serial += 1
            rows.append((f"B-{self.serial:05d}", f"Unit bench {self.serial}", kind, parent))
        await self.conn.copy_records_to_table(
            "org_unit", records=rows, columns=["code", "name", "kind", "parent"]
        )
        codes = [r[0] for r in rows]
        return [
            r["id"]
            for r in await self.conn.fetch(
                "SELECT id FROM org_unit WHERE code = ANY($1) ORDER BY id", codes
            )
        ]

    async def _staff(self, units: list[int], *, heads_only: bool = False) -> None:
        since = dt.datetime.combine(month_before_last(), dt.time(), WIB)
        rows = []
        for unit in units:
            self.serial += 1
            roles = ["asn", "kepala_unit"] if heads_only else ["asn"]
            nip = f"{self.serial:018d}"  # unique; bench staff never log in
            rows.append(
                (
                    nip,
                    f"Pegawai {self.serial}",
                    unit,
                    self.schedule,
                    roles,
                    "Staf",
                    self.password_hash,
                    True,
                    since,
                )
            )
        await self.conn.copy_records_to_table(
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

    async def _activity(self) -> None:
        """Day records, permits and flagged check-ins for employees that have none yet."""
        fresh = [
            r["id"]
            for r in await self.conn.fetch(
                "SELECT e.id FROM org_employee e WHERE NOT EXISTS "
                "(SELECT 1 FROM attendance_day d WHERE d.employee = e.id)"
            )
        ]
        start, yesterday = month_before_last(), dt.datetime.now(WIB).date() - dt.timedelta(days=1)
        now = dt.datetime.now(dt.UTC)
        days = []
        for employee in fresh:
            day = start
            while day <= yesterday:
                if day.isoweekday() > 5:
                    status = "off"
                else:
                    status = self.rng.choices(("present", "absent", "permit"), (90, 7, 3))[0]
                days.append(
                    (
                        employee,
                        day,
                        status,
                        "sakit" if status == "permit" else None,
                        5.0 if status == "absent" else 0.0,
                        "[]",
                        now,
                    )
                )
                day += dt.timedelta(days=1)
        await self.conn.copy_records_to_table(
            "attendance_day",
            records=days,
            columns=[
                "employee",
                "day",
                "status",
                "permit",
                "deduction_pct",
                "reasons",
                "computed_at",
            ],
        )
        permits, flagged = [], []
        for employee in fresh:
            if self.rng.random() < 0.05:
                begin = yesterday + dt.timedelta(days=self.rng.randint(2, 20))
                permits.append(
                    (
                        uuid.uuid4(),
                        employee,
                        "izin",
                        begin,
                        begin + dt.timedelta(days=1),
                        "Keperluan keluarga",
                        "pending",
                        now - dt.timedelta(minutes=self.rng.randint(1, 5000)),
                    )
                )
            if self.rng.random() < 0.10:
                at = now - dt.timedelta(minutes=self.rng.randint(1, 600))
                flagged.append(
                    (
                        uuid.uuid4(),
                        employee,
                        "in",
                        at,
                        at,
                        at,
                        at,
                        at.astimezone(WIB).date(),
                        "flagged",
                        '[{"code": "face_mismatch", "message": "Wajah tidak cocok"}]',
                        "0" * 64,
                    )
                )
        await self.conn.copy_records_to_table(
            "permits_permit",
            records=permits,
            columns=[
                "client_id",
                "employee",
                "kind",
                "start_date",
                "end_date",
                "reason",
                "status",
                "created_at",
            ],
        )
        await self.conn.copy_records_to_table(
            "attendance_checkin",
            records=flagged,
            columns=[
                "client_id",
                "employee",
                "kind",
                "captured_at",
                "sent_at",
                "received_at",
                "corrected_captured_at",
                "work_date",
                "status",
                "reasons",
                "content_hash",
            ],
        )
        await self.conn.execute("ANALYZE")


def month_before_last() -> dt.date:
    first = dt.datetime.now(WIB).date().replace(day=1)
    return ((first - dt.timedelta(days=1)).replace(day=1) - dt.timedelta(days=1)).replace(day=1)


async def timed(call: Callable[[], Awaitable[object]], repeat: int) -> float:
    await call()  # warm: snapshots, prepared plans
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


async def measure(settings: Settings, conn: asyncpg.Connection, repeat: int) -> dict[str, float]:
    """Median ms of each request against the Pemda as it is now."""
    school = demo_data.EMPLOYEES[0].unit_code
    principal = next(
        e for e in demo_data.EMPLOYEES if e.unit_code == school and "kepala_unit" in e.roles
    )
    opd_head = next(
        e for e in demo_data.EMPLOYEES if e.unit_code == "DISDIK" and "kepala_unit" in e.roles
    )
    bkd = next(e for e in demo_data.EMPLOYEES if "bkd" in e.roles)
    teacher = demo_data.EMPLOYEES[0]
    last_month = (dt.datetime.now(WIB).date().replace(day=1) - dt.timedelta(days=1)).strftime(
        "%Y-%m"
    )
    app = create_app(settings, face_executor=lambda: None)
    async with asgi_client(app) as client:

        async def token(nip: str) -> dict[str, str]:
            answer = await client.post(
                "/api/v1/auth/login", json={"nip": nip, "password": demo_data.DEMO_PASSWORD}
            )
            return {"Authorization": f"Bearer {answer.json()['access_token']}"}

        heads = {who.nip: await token(who.nip) for who in (principal, opd_head, bkd)}
        teacher_id = await conn.fetchval("SELECT id FROM org_employee WHERE nip = $1", teacher.nip)
        disdik = await conn.fetchval("SELECT id FROM org_unit WHERE code = 'DISDIK'")
        pemda = await conn.fetchval("SELECT id FROM org_unit WHERE code = 'PEMDA'")

        def get(path: str, who: str, **params: str) -> Callable[[], Awaitable[object]]:
            async def call() -> None:
                answer = await client.get(path, params=params, headers=heads[who])
                assert answer.status_code == 200, answer.text

            return call

        async def health() -> None:
            assert (await client.get("/health")).status_code == 200

        cases: dict[str, Callable[[], Awaitable[object]]] = {
            "GET /health (reference)": health,
            "org.approver_for (teacher)": lambda: org.approver_for(teacher_id),
            "org.unit_ids_under (OPD)": lambda: org.unit_ids_under(disdik),
            "org.unit_ids_under (Pemda: all units)": lambda: org.unit_ids_under(pemda),
            "inbox, school principal": get("/api/v1/permits/inbox", principal.nip),
            "inbox, OPD head": get("/api/v1/permits/inbox", opd_head.nip),
            "inbox, BKD first page (50)": get("/api/v1/permits/inbox", bkd.nip),
            "reviews, BKD first page (50)": get("/api/v1/reviews", bkd.nip),
            "reviews, one school": get("/api/v1/reviews", bkd.nip, unit=school),
            "recap, one school, last month": get(
                "/api/v1/recap", principal.nip, unit=school, month=last_month
            ),
        }
        return {name: await timed(call, repeat) for name, call in cases.items()}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,5000,20000")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    logging.getLogger("httpx").setLevel(logging.WARNING)

    admin = await asyncpg.connect(f"{PG}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{DB}"')
    await admin.close()
    tmp = Path(tempfile.mkdtemp(prefix="hadir-bench-queries-"))
    settings = Settings(
        data_dir=str(tmp),
        database_url=f"{PG}/{DB}",
        redis_url=REDIS,
        storage="local",
        secret_key="bench-secret-bench-secret-bench-secret",
    )
    async with open_engine(settings) as engine:
        await migrate(engine)
        await seed_demo(default_max_accuracy_m=settings.default_max_accuracy_m)
    conn = await asyncpg.connect(f"{PG}/{DB}")
    regency = Regency(conn)
    await regency.start()

    results: dict[str, dict[int, float]] = {}
    counts: dict[int, tuple[int, int, int, int]] = {}
    for size in sizes:
        grown = time.perf_counter()
        await regency.grow_to(size)
        print(f"grew to {size} employees in {time.perf_counter() - grown:.1f} s", file=sys.stderr)
        counts[size] = tuple(
            [
                await conn.fetchval(f"SELECT count(*) FROM {t}")
                for t in ("org_unit", "attendance_day", "permits_permit", "attendance_checkin")
            ]
        )  # type: ignore[assignment]
        for name, median in (await measure(settings, conn, args.repeat)).items():
            results.setdefault(name, {})[size] = median
    await conn.close()

    print(
        f"machine: {platform.machine()} cpus={os.cpu_count()} python={platform.python_version()}; "
        "PostgreSQL on 127.0.0.1; in-process ASGI client; median of "
        f"{args.repeat} runs (ms)"
    )
    for size in sizes:
        units, days, permits, checkins = counts[size]
        print(
            f"  {size} employees: {units} units, {days} day records, {permits} permits, "
            f"{checkins} check-ins"
        )
    header = f"{'request':<40}" + "".join(f"{s:>10}" for s in sizes) + f"{'last/first':>12}"
    print(header)
    for name, by_size in results.items():
        cells = "".join(f"{by_size[s]:>10.1f}" for s in sizes)
        print(f"{name:<40}{cells}{by_size[sizes[-1]] / by_size[sizes[0]]:>12.2f}")


if __name__ == "__main__":
    asyncio.run(main())
