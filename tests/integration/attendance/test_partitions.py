"""`hadir partition-checkins` on PostgreSQL: check-ins partitioned by month of work_date, the
rows kept, each in its month, and client_id still stored once (replays, 25 sends at once)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator

import asyncpg
import msgspec
import pytest

from backend.attendance.partitions import (
    DEFAULT,
    month_start,
    next_month,
    partition_checkins,
    partition_name,
)
from backend.core.app import create_app
from backend.core.db import migrate, open_engine
from backend.core.settings import Settings
from backend.demo import seed_demo
from tests.support.factories import checkin_files, login, meta
from tests.support.services import asgi_client, database


@pytest.fixture
async def own_db(migrated: Settings) -> AsyncIterator[Settings]:
    """A database of its own: the partitioned table must not change the session's."""
    async with database(f"hadir_partition_{os.getpid()}") as url:
        settings = msgspec.structs.replace(migrated, database_url=url)
        async with open_engine(settings) as engine:
            await migrate(engine)
            await seed_demo(default_max_accuracy_m=settings.default_max_accuracy_m)
        yield settings


async def post(client, headers, body):
    return await client.post("/api/v1/checkins", files=checkin_files(body), headers=headers)


def run_command(settings: Settings, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "backend.cli", "partition-checkins", *args],
        env={**env, "HADIR_DATABASE_URL": settings.database_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def where_rows_are(connection: asyncpg.Connection) -> list[tuple[str, dt.date]]:
    rows = await connection.fetch(
        "SELECT tableoid::regclass::text AS part, work_date FROM attendance_checkin"
    )
    return [(r["part"], r["work_date"]) for r in rows]


async def test_partitioned_by_month_keeps_rows_and_client_id_unique(own_db, server_env) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    old_capture = now - dt.timedelta(days=70)
    async with asgi_client(create_app(own_db, face_executor=lambda: None)) as client:
        headers = await login(client)
        before = [meta(), meta(kind="out")]
        # Synced 70 days late: its work date is two or three months back.
        before.append(meta(captured_at=old_capture.isoformat(), sent_at=old_capture.isoformat()))
        stored_before = []
        for body in before:
            response = await post(client, headers, body)
            assert response.status_code == 201, response.text
            stored_before.append(response.json())

    report = msgspec.json.decode(run_command(own_db, server_env, "--months-ahead", "2"))
    assert report["converted"] is True and report["rows"] == 3
    assert report["foreign_keys_replaced"] == ["attendance_review.checkin"]
    today = dt.date.today()
    ahead = next_month(next_month(month_start(today)))
    assert partition_name(ahead) in report["partitions_created"]

    connection = await asyncpg.connect(own_db.database_url)
    try:
        kind = await connection.fetchval(
            "SELECT relkind::text FROM pg_class WHERE oid = 'attendance_checkin'::regclass"
        )
        assert kind == "p"
        key = await connection.fetchval("SELECT pg_get_partkeydef('attendance_checkin'::regclass)")
        assert key == "RANGE (work_date)"
        for part, work_date in await where_rows_are(connection):
            assert part == partition_name(month_start(work_date))
        assert {r["id"] for r in stored_before} == {
            r["id"] for r in await connection.fetch("SELECT id FROM attendance_checkin")
        }

        async with asgi_client(create_app(own_db, face_executor=lambda: None)) as client:
            headers = await login(client)
            # A record stored before the change, sent again: the stored record comes back.
            replay = await post(client, headers, before[0])
            assert replay.status_code == 200, replay.text
            assert replay.json()["id"] == stored_before[0]["id"]
            changed = await post(client, headers, dict(before[0], kind="out"))
            assert changed.status_code == 409

            # A new record, then the same one 25 times at once: one row.
            body = meta()
            responses = await asyncio.gather(*(post(client, headers, body) for _ in range(25)))
            codes = sorted(r.status_code for r in responses)
            assert codes.count(201) == 1 and codes.count(200) == 24, codes
            assert len({r.json()["id"] for r in responses}) == 1
            stored = responses[0].json()
            assert (
                await connection.fetchval(
                    "SELECT count(*) FROM attendance_checkin WHERE client_id = $1",
                    uuid.UUID(body["client_id"]),
                )
                == 1
            )
            part = await connection.fetchval(
                "SELECT tableoid::regclass::text FROM attendance_checkin WHERE id = $1",
                stored["id"],
            )
            assert part == partition_name(month_start(dt.date.fromisoformat(stored["work_date"])))
            assert stored["id"] > max(r["id"] for r in stored_before)  # the same id sequence

        # A month without a partition yet lands in the default one; making its partition later
        # moves the rows out of the default.
        far = dt.date(today.year + 3, 6, 15)
        await connection.execute(
            "INSERT INTO attendance_checkin (client_id, employee, kind, captured_at, sent_at,"
            " received_at, corrected_captured_at, work_date, status, reasons, content_hash)"
            " SELECT $1, employee, kind, captured_at, sent_at, received_at,"
            " corrected_captured_at, $2, status, reasons, content_hash"
            " FROM attendance_checkin LIMIT 1",
            uuid.uuid4(),
            far,
        )
        assert (
            far_part := await connection.fetchval(
                "SELECT tableoid::regclass::text FROM attendance_checkin WHERE work_date = $1", far
            )
        ) == DEFAULT, far_part
        again = await partition_checkins(connection, today=far, months_ahead=0)
        assert again.converted is False
        assert partition_name(month_start(far)) in again.partitions_created
        for part, work_date in await where_rows_are(connection):
            assert part == partition_name(month_start(work_date))
        assert await connection.fetchval(f"SELECT count(*) FROM {DEFAULT}") == 0

        # Reviews still cannot name a check-in that does not exist.
        reviewer = await connection.fetchval("SELECT employee FROM attendance_checkin LIMIT 1")
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await connection.execute(
                "INSERT INTO attendance_review (checkin, reviewer, decision, note,"
                " previous_status, new_status, decided_at)"
                " VALUES (987654321, $1, 'accept', '', 'flagged', 'accepted', now())",
                reviewer,
            )
    finally:
        await connection.close()

    # Running it again changes nothing but the months ahead.
    rerun = msgspec.json.decode(run_command(own_db, server_env))
    assert rerun["converted"] is False and rerun["partitions_created"] == []
