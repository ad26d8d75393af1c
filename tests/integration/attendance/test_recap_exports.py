"""The recap of a unit with everything under it, and recap files built by a job with progress:
on PostgreSQL + Redis + S3 with a real arq worker, and on the embedded default (SQLite, files on
disk, jobs in-process). The content is compared with the recap recomputed the long way."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from pathlib import Path

import msgspec
import pytest
from openpyxl import load_workbook

from backend.attendance.tables import RecapExport
from backend.core.app import create_app
from backend.core.db import migrate, open_engine
from backend.core.settings import Settings
from backend.demo import seed_demo
from backend.org.tables import Employee, Unit
from backend.services import open_services
from tests.support.factories import TEACHER, by_role, login
from tests.support.jobs import drain
from tests.support.recap import WIB, reference_recap, seed_month, without_units
from tests.support.services import asgi_client

SUBTREE = ["DISDIK", "SDN-BLEBOH-1", "SMPN-TODANAN-1"]  # parents first, siblings by name


async def registered_since(since: dt.date, codes: list[str]) -> list[dict]:
    """Move the registration of these units' staff back to `since` (days before registration
    are not judged); returns what to put back."""
    units = await Unit.select(Unit.id).where(Unit.code.is_in(codes))
    ids = [u["id"] for u in units]
    staff = await Employee.select(Employee.id, Employee.created_at, Employee.unit).where(
        Employee.unit.is_in(ids)
    )
    await Employee.update({Employee.created_at: dt.datetime.combine(since, dt.time(), WIB)}).where(
        Employee.unit.is_in(ids)
    )
    return staff


async def put_back(staff: list[dict]) -> None:
    for person in staff:
        await Employee.update({Employee.created_at: person["created_at"]}).where(
            Employee.id == person["id"]
        )


@pytest.mark.timeout(300)
async def test_a_subtree_export_through_the_outbox_and_arq_with_progress(client, clean) -> None:
    settings = msgspec.structs.replace(clean, recap_export_chunk=2)
    today = dt.datetime.now(WIB).date()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    since = (last_month - dt.timedelta(days=1)).replace(day=1)
    month = last_month.strftime("%Y-%m")
    staff = await registered_since(since, SUBTREE)
    try:
        async with open_services(settings, face_executor=lambda: None) as services:
            school = await Unit.select(Unit.id).where(Unit.code == TEACHER.unit_code).first()
            teachers = sorted(s["id"] for s in staff if s["unit"] == school["id"])
            await seed_month(teachers, since, today)
            expected = []
            for code in SUBTREE:
                expected += await reference_recap(services, code, month, today)

        bkd = await login(client, by_role("bkd").nip)
        asked = {"unit": "DISDIK", "month": month, "format": "xlsx", "subtree": True}
        created = await client.post("/api/v1/recap/exports", json=asked, headers=bkd)
        assert created.status_code == 202, created.text
        export = created.json()
        assert (export["state"], export["done"], export["download_url"]) == ("queued", 0, None)
        # Asked again while it waits: the same export, not a second job.
        again = await client.post("/api/v1/recap/exports", json=asked, headers=bkd)
        assert (again.status_code, again.json()["id"]) == (200, export["id"])
        [row] = await RecapExport.select().where(RecapExport.id == export["id"])
        assert row["request_key"] == f"DISDIK:{month}:xlsx:tree"

        # The worker (arq on Redis, burst) picks the job up through the outbox.
        await drain(settings)
        done = (await client.get(f"/api/v1/recap/exports/{export['id']}", headers=bkd)).json()
        assert done["state"] == "done", done
        assert done["done"] == done["total"] == len(expected)
        assert done["filename"] == f"rekap-DISDIK-semua-{month}.xlsx"
        assert done["download_url"].startswith("/api/v1/objects/recap-exports/")

        # The file, through the short-lived link (no token), opened with openpyxl.
        file = await client.get(done["download_url"])
        assert file.status_code == 200
        assert file.headers["content-disposition"] == f'attachment; filename="{done["filename"]}"'
        book = load_workbook(io.BytesIO(file.content))
        assert book.sheetnames == [
            f"Rekap {month}",
            "Potongan TPP",
            "Disiplin PP 94-2021",
            "Skala PP 94-2021",
        ]
        recap_sheet = [[c.value for c in r] for r in book[f"Rekap {month}"].iter_rows()]
        assert recap_sheet[0][0] == (
            f"Rekap presensi Dinas Pendidikan Kabupaten Blora beserta unit di bawahnya, "
            f"bulan {month}"
        )
        assert [r[0] for r in recap_sheet[2:]] == [e["nip"] for e in expected]
        tpp = [[c.value for c in r] for r in book["Potongan TPP"].iter_rows()]
        head = tpp[1]
        first = next(e for e in expected if e["days"]["present"])  # the teacher who came
        [tpp_row] = [r for r in tpp[2:] if r[0] == first["nip"]]
        assert tpp_row[head.index("Potongan TPP (%)")] == round(first["deduction_pct"], 2)
        assert tpp_row[head.index("TPP dibayarkan (%)")] == round(
            100 - round(first["deduction_pct"], 2), 2
        )
        assert tpp_row[head.index("Hadir (hari)")] == first["days"]["present"]
        assert tpp_row[head.index("Terlambat (kali)")] == sum(
            first["days"][f"TL{i}"] for i in range(1, 5)
        )
        assert tpp_row[head.index("Unit kerja")] == "SD Negeri 1 Bleboh"
        standing = [[c.value for c in r] for r in book["Disiplin PP 94-2021"].iter_rows()]
        for person in expected:
            [line] = [r for r in standing[2:] if r[0] == person["nip"]]
            assert line[3] == person["absent_days_year"]
            assert line[5] == person["discipline"]["description"]
        assert any(e["discipline"]["level"] != "belum_ada" for e in expected)

        # The same recap answered in the request (small enough) equals the long way too.
        direct = await client.get(
            "/api/v1/recap",
            params={"unit": "DISDIK", "month": month, "subtree": "true"},
            headers=bkd,
        )
        body = direct.json()
        assert without_units(body["employees"]) == expected
        assert [u["code"] for u in body["units"]] == SUBTREE
        assert body["employees"][-1]["unit"] in ("SDN-BLEBOH-1", "SMPN-TODANAN-1")

        # Once done, an identical request is a new export (the month may have moved on).
        fresh = await client.post("/api/v1/recap/exports", json=asked, headers=bkd)
        assert fresh.status_code == 202 and fresh.json()["id"] != export["id"]
    finally:
        await put_back(staff)


async def test_the_recap_and_its_exports_are_refused_to_an_asn_and_other_heads(
    client, teacher, clean
) -> None:
    month = dt.date.today().strftime("%Y-%m")
    asked = {"unit": TEACHER.unit_code, "month": month}
    assert (
        await client.post("/api/v1/recap/exports", json=asked, headers=teacher)
    ).status_code == 403
    assert (await client.get("/api/v1/recap/units", headers=teacher)).status_code == 403
    head = await login(client, by_role("kepala_unit", unit_code=TEACHER.unit_code).nip)
    mine = await client.get("/api/v1/recap/units", headers=head)
    assert [u["code"] for u in mine.json()] == [TEACHER.unit_code]
    above = await client.post(
        "/api/v1/recap/exports", json={"unit": "DISDIK", "month": month}, headers=head
    )
    assert above.status_code == 403
    bad = await client.post(
        "/api/v1/recap/exports", json={"unit": "DISDIK", "month": "2026-13"}, headers=head
    )
    assert bad.status_code == 422 and "YYYY-MM" in bad.json()["detail"]
    # Someone else's export of a unit not theirs: not confirmed to exist.
    bkd = await login(client, by_role("bkd").nip)
    other = await client.post(
        "/api/v1/recap/exports", json={"unit": "DISDIK", "month": month}, headers=bkd
    )
    assert (
        await client.get(f"/api/v1/recap/exports/{other.json()['id']}", headers=head)
    ).status_code == 404
    everything = (await client.get("/api/v1/recap/units", headers=bkd)).json()
    assert everything[0]["code"] == "PEMDA" and everything[0]["depth"] == 0
    assert everything[0]["staff_subtree"] == sum(u["staff"] for u in everything)


async def test_a_regency_too_large_to_answer_directly_is_sent_to_an_export(client, clean) -> None:
    settings = msgspec.structs.replace(clean, recap_direct_max=5)
    async with asgi_client(create_app(settings, face_executor=lambda: None)) as small:
        bkd = await login(small, by_role("bkd").nip)
        month = dt.date.today().strftime("%Y-%m")
        refused = await small.get(
            "/api/v1/recap",
            params={"unit": "PEMDA", "month": month, "subtree": "true"},
            headers=bkd,
        )
        assert refused.status_code == 422
        assert "/api/v1/recap/exports" in refused.json()["detail"]
        # One unit alone is answered as before, whatever its size.
        one = await small.get("/api/v1/recap", params={"unit": "BKD", "month": month}, headers=bkd)
        assert one.status_code == 200 and len(one.json()["employees"]) > 0


@pytest.mark.timeout(240)
async def test_the_embedded_default_builds_an_export_in_process_with_progress(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=str(tmp_path), recap_export_chunk=3)
    async with open_engine(settings) as engine:
        await migrate(engine)
        await seed_demo(default_max_accuracy_m=settings.default_max_accuracy_m)
    month = dt.date.today().strftime("%Y-%m")
    # Each step's progress, straight from the builder the job runs.
    async with open_services(settings, face_executor=lambda: None) as services:
        from backend.org import service as org

        steps: list[tuple[int, int]] = []

        async def progress(done: int, total: int) -> None:
            steps.append((done, total))

        pemda = await org.unit_by_code("PEMDA")
        recap = await services.days.build(
            pemda, month, now=dt.datetime.now(dt.UTC), subtree=True, chunk=3, progress=progress
        )
        total = len(recap.employees)
        assert steps[0] == (0, total) and steps[-1] == (total, total)
        assert [d for d, _ in steps] == sorted(d for d, _ in steps) and len(steps) > 5

    async with asgi_client(create_app(settings, face_executor=lambda: None)) as client:
        bkd = await login(client, by_role("bkd").nip)
        asked = {"unit": "PEMDA", "month": month, "format": "csv", "subtree": True}
        created = await client.post("/api/v1/recap/exports", json=asked, headers=bkd)
        assert created.status_code == 202, created.text
        seen = []
        for _ in range(600):
            view = (
                await client.get(f"/api/v1/recap/exports/{created.json()['id']}", headers=bkd)
            ).json()
            seen.append((view["state"], view["done"], view["total"]))
            if view["state"] in ("done", "failed"):
                break
            await asyncio.sleep(0.05)
        assert view["state"] == "done", seen
        assert view["done"] == view["total"] == total
        file = await client.get(view["download_url"])
        rows = list(csv.reader(io.StringIO(file.content.decode("utf-8-sig"))))
        assert rows[0][:3] == ["NIP", "Nama", "Hadir"] and len(rows) == total + 1
        unit = rows[0].index("Kode unit")
        assert {r[unit] for r in rows[1:]} >= {"SETDA", "BKD", "SDN-BLEBOH-1", "MPP"}
        # The file is in the store on disk, not in the database.
        assert list((tmp_path / "objects" / "recap-exports").rglob("*.csv"))
        # A link past its time is refused.
        expired = view["download_url"].replace("expires=", "expires=1")
        assert (await client.get(expired)).status_code == 404
