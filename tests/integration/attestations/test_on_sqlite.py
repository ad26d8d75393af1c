"""Attestation on the embedded default (SQLite, jobs in-process): the migrations, the insert
that answers a parallel replay, the day recomputed as attested, and BKD's grouped summary."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from backend.attendance.tables import DayRecord
from backend.core.app import create_app
from backend.core.db import migrate, open_engine
from backend.core.settings import Settings
from backend.demo import seed_demo
from backend.org.tables import Employee
from tests.integration.attestations.test_attestations import (
    BKD,
    HEAD,
    body,
    last_school_day,
)
from tests.support.factories import TEACHER, login
from tests.support.jobs import settle_in_process
from tests.support.services import asgi_client


async def test_attestation_works_on_sqlite(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path))
    async with open_engine(settings) as engine:
        await migrate(engine)
        await seed_demo(default_max_accuracy_m=settings.default_max_accuracy_m)
        earlier = dt.datetime.now(dt.UTC) - dt.timedelta(days=21)
        await Employee.update({Employee.created_at: earlier}, force=True)
    app = create_app(settings, face_executor=lambda: None)
    day = last_school_day()
    async with asgi_client(app) as client:
        head = await login(client, HEAD.nip)
        sent = body(TEACHER.nip, day)
        created = await client.post("/api/v1/attestations", json=sent, headers=head)
        assert created.status_code == 201, created.text
        again = await client.post("/api/v1/attestations", json=sent, headers=head)
        assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
        await settle_in_process(app.state.services)
        [row] = await DayRecord.select(DayRecord.status, DayRecord.attested).where(
            (DayRecord.employee.nip == TEACHER.nip) & (DayRecord.day == day)
        )
        assert row["status"] == "present" and row["attested"]
        summary = await client.get(
            "/api/v1/attestations/summary", headers=await login(client, BKD.nip)
        )
        assert summary.status_code == 200, summary.text
        [listed] = summary.json()["heads"]
        assert (listed["head"]["nip"], listed["days"]) == (HEAD.nip, 1)
