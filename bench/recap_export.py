"""A whole regency's monthly recap export on PostgreSQL: 20,000 employees.

    uv run python bench/recap_export.py [--employees 20000] [--chunk 500]

Builds a fresh database (127.0.0.1:5432, `hadir_bench_recap`, dropped and created), the demo
regency, ~1,330 schools under the Pemda (15 employees each), the employees (registered on
1 January) and their stored day records of last month and the 31 days before it (what the
hourly settle job leaves: 85 % present, a tenth of those late or leaving early, 5 % on a permit,
the rest absent without reason; off days and holidays as the schedule says), ~1.2 M rows by COPY.

Then times, through the service the job runs (`RecapExports.build`: judge the staff
`--chunk` at a time storing the progress, write the file, put it in the object store on disk):
the XLSX (four sheets) and the CSV of the Pemda with everything under it; the parts (the recap
alone, writing the XLSX, writing the CSV); and, as the reference measured in the same run, the
way before this change: `GET /api/v1/recap` of every unit one at a time (the service call).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import msgspec

sys.path.insert(0, str(Path(__file__).parents[1]))

import itertools

from backend.attendance import day_status as rules
from backend.attendance.exports import ExportRequest
from backend.attendance.recap import to_csv, to_xlsx
from backend.core.auth import Principal
from backend.core.db import migrate, open_engine
from backend.core.settings import Settings
from backend.demo import seed_demo
from backend.org import service as org
from backend.org.tables import Employee, Holiday, Schedule, Unit
from backend.services import open_services

PG = "postgresql://postgres@127.0.0.1:5432"
DB = "hadir_bench_recap"
WIB = dt.timezone(dt.timedelta(hours=7))


def nip(rng: random.Random, i: int) -> str:
    year = rng.randint(1965, 1998)
    return (
        f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        f"{min(year + rng.randint(22, 30), 2024)}{rng.randint(1, 12):02d}"
        f"{rng.choice('12')}{i % 999 + 1:03d}"
    )


async def populate(count: int, month_start: dt.date, month_end: dt.date) -> None:
    pemda = await Unit.select(Unit.id).where(Unit.code == "PEMDA").first()
    schedule = await Schedule.select(Schedule.id, Schedule.days).first().output(load_json=True)
    unit_count = max(1, count // 15)
    await Unit.insert(
        *[
            Unit(
                code=f"U{i:05d}",
                name=f"Sekolah {i:05d}",
                kind="sekolah",
                parent=pemda["id"],
                timezone="Asia/Jakarta",
            )
            for i in range(unit_count)
        ]
    )
    units = [
        r["id"] for r in await Unit.select(Unit.id).where(Unit.code.like("U%")).order_by(Unit.id)
    ]
    rng = random.Random(11)
    registered = dt.datetime(month_start.year, 1, 1, tzinfo=WIB)
    for start in range(0, count, 2000):
        await Employee.insert(
            *[
                Employee(
                    nip=nip(rng, i),
                    name=f"Pegawai {i:05d}",
                    unit=units[i % len(units)],
                    schedule=schedule["id"],
                    roles=["asn"],
                    position="Pelaksana",
                    password_hash="",
                    created_at=registered,
                )
                for i in range(start, min(count, start + 2000))
            ]
        )
    holidays = {r["date"] for r in await Holiday.select(Holiday.date)}
    people = await Employee.select(Employee.id).where(Employee.unit.is_in(units))
    first = month_start - dt.timedelta(days=31)
    days = [first + dt.timedelta(days=i) for i in range((month_end - first).days + 1)]
    days_of_week = schedule["days"]
    records = []
    for person in people:
        for day in days:
            window = rules.window_for(days_of_week, day)
            computed = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(3), WIB)
            status, permit, tl, psw, late, early, pct = "off", None, None, None, 0, 0, 0.0
            if day in holidays:
                status = "holiday"
            elif window is not None:
                roll = rng.random()
                if roll < 0.85:
                    status = "present"
                    if rng.random() < 0.1:
                        late = rng.randint(1, 120)
                        tl = "TL1" if late <= 30 else "TL2" if late <= 60 else "TL3"
                        pct = 0.5 if tl == "TL1" else 1.0 if tl == "TL2" else 1.25
                    if rng.random() < 0.05:
                        early, psw = rng.randint(1, 25), "PSW1"
                        pct = min(2.5, pct + 0.5)
                elif roll < 0.9:
                    status, permit = "permit", rng.choice(["sakit", "izin", "cuti_tahunan"])
                else:
                    status, pct = "absent", 5.0
            records.append(
                (
                    person["id"],
                    day,
                    status,
                    permit,
                    tl,
                    psw,
                    late,
                    early,
                    pct,
                    "[]",
                    computed,
                )
            )
    conn = await asyncpg.connect(f"{PG}/{DB}")
    try:
        await conn.copy_records_to_table(
            "attendance_day",
            records=records,
            columns=[
                "employee",
                "day",
                "status",
                "permit",
                "tl",
                "psw",
                "late_minutes",
                "early_minutes",
                "deduction_pct",
                "reasons",
                "computed_at",
            ],
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    print(f"  ({len(units):,} schools, {len(people):,} employees, {len(records):,} day records)")


async def timed(label: str, run) -> tuple[object, float]:
    start = time.perf_counter()
    result = await run()
    seconds = time.perf_counter() - start
    print(f"| {label} | {seconds:.2f} s |", flush=True)
    return result, seconds


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--employees", type=int, default=20_000)
    parser.add_argument("--chunk", type=int, default=500)
    args = parser.parse_args()
    today = dt.datetime.now(WIB).date()
    month_end = today.replace(day=1) - dt.timedelta(days=1)
    month_start = month_end.replace(day=1)
    month = month_start.strftime("%Y-%m")
    admin = await asyncpg.connect(f"{PG}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{DB}"')
    data_dir = tempfile.mkdtemp(prefix="hadir-bench-recap-")
    settings = Settings(
        database_url=f"{PG}/{DB}",
        database_command_timeout_s=600,
        data_dir=data_dir,
        recap_export_chunk=args.chunk,
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpu, Python {platform.python_version()}"
    )
    try:
        async with open_engine(settings) as engine:
            with contextlib.redirect_stdout(sys.stderr):
                await migrate(engine)
            await seed_demo(default_max_accuracy_m=100)
            start = time.perf_counter()
            await populate(args.employees, month_start, month_end)
            print(f"  (populated in {time.perf_counter() - start:.0f} s; month {month})")
        async with open_services(settings, face_executor=lambda: None) as services:
            bkd = await Employee.select().where(Employee.nip == "198301192009012003").first()
            who = Principal(
                employee_id=bkd["id"],
                nip=bkd["nip"],
                name=bkd["name"],
                roles=("asn", "bkd"),
                unit_id=bkd["unit"],
            )
            pemda = await org.unit_by_code("PEMDA")
            now = dt.datetime.now(dt.UTC)
            print("| what | time |\n|---|---|")
            steps: list[float] = []

            async def progress(done: int, total: int) -> None:
                steps.append(time.perf_counter())

            recap, _judged = await timed(
                f"the recap alone (Pemda with everything under it, chunk {args.chunk})",
                lambda: services.days.build(
                    pemda, month, now=now, subtree=True, chunk=args.chunk, progress=progress
                ),
            )
            people = len(recap.employees)  # type: ignore[attr-defined]
            gaps = [b - a for a, b in itertools.pairwise(steps)]
            print(f"  ({people:,} rows; longest step between progress updates {max(gaps):.2f} s)")
            xlsx, _ = await timed(
                "writing the XLSX (4 sheets)", lambda: asyncio.to_thread(to_xlsx, recap)
            )
            csv, _ = await timed("writing the CSV", lambda: asyncio.to_thread(to_csv, recap))
            print(f"  (XLSX {len(xlsx) / 1e6:.1f} MB, CSV {len(csv) / 1e6:.1f} MB)")  # type: ignore[arg-type]
            for fmt in ("xlsx", "csv"):
                view, _created = await services.exports.request(
                    who, ExportRequest(unit="PEMDA", month=month, format=fmt, subtree=True), now=now
                )
                _, seconds = await timed(
                    f"export job, {fmt.upper()}, {people:,} employees (judge, write, store)",
                    lambda view=view: services.exports.build(view.id),
                )
                done = await services.exports.get(who, view.id)
                assert done.state == "done" and done.done == done.total == people, done
                print(f"  ({people / seconds:,.0f} employees/s)")
            codes = [n.code for n in await org.unit_nodes()]

            async def one_at_a_time() -> int:
                rows = 0
                for code in codes:
                    answer = await services.days.recap(who, code, month, now=now)
                    rows += len(answer.employees)
                return rows

            rows, _ = await timed(
                f"reference: GET /api/v1/recap of each of the {len(codes):,} units in turn",
                one_at_a_time,
            )
            assert rows == people, (rows, people)
            print(msgspec.json.encode({"employees": people, "units": len(codes)}).decode())
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
