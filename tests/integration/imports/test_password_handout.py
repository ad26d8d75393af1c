"""The password handout of an applied employee import: a printable XLSX per unit, downloaded
once by whoever applied the import; after that (or its expiry) the passwords are nowhere on the
server. The API's own answer keeps handing the passwords out once, as before."""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import AsyncIterator

import httpx
import openpyxl
import pytest

from backend.core.db import open_engine
from backend.core.settings import Settings
from backend.imports.tables import HandoutSheet
from backend.org.tables import Employee, Unit
from backend.services import open_services
from tests.support.factories import by_role, login

PREFIX = "HNDT"
UNITS = [
    (f"{PREFIX}-SD1", "SD Negeri 1 Uji Lembar", "sekolah", "DISDIK"),
    (f"{PREFIX}-SD2", "SD Negeri 2 Uji Lembar", "sekolah", "DISDIK"),
]


def xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def nip(rng: random.Random, sequence: int) -> str:
    year = rng.randint(1970, 1995)
    return f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{year + 25}{rng.randint(1, 12):02d}1{sequence:03d}"


async def _remove(settings: Settings) -> None:
    async with open_engine(settings):
        ids = [
            r["id"]
            for r in await Unit.select(Unit.id).where(Unit.code.is_in([u[0] for u in UNITS]))
        ]
        if ids:
            await Employee.delete().where(Employee.unit.is_in(ids))
            await Unit.delete().where(Unit.id.is_in(ids))
        await HandoutSheet.delete(force=True)


@pytest.fixture
async def admin(client: httpx.AsyncClient, clean: Settings) -> AsyncIterator[dict[str, str]]:
    await _remove(clean)
    yield await login(client, by_role("admin").nip)
    await _remove(clean)


async def upload(client, headers, kind: str, data: bytes) -> dict:
    response = await client.post(
        f"/api/v1/admin/imports/{kind}",
        params={"apply": "true"},
        files={"file": ("data.xlsx", data)},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_handout_is_downloaded_once_per_unit_then_gone(
    client: httpx.AsyncClient, admin: dict[str, str], clean: Settings
) -> None:
    units = xlsx(
        [["Kode Unit", "Nama Unit", "Jenis", "Kode Induk", "Zona Waktu"]]
        + [[code, name, kind, parent, "WIB"] for code, name, kind, parent in UNITS]
    )
    assert (await upload(client, admin, "units", units))["created"] == 2
    rng = random.Random(14)
    people = [
        (nip(rng, 1), "Ani Lestari", f"{PREFIX}-SD1"),
        (nip(rng, 2), "Budi Santoso", f"{PREFIX}-SD1"),
        (nip(rng, 3), "Citra Dewi", f"{PREFIX}-SD2"),
    ]
    data = xlsx([["NIP Baru", "Nama Lengkap", "Kode Unit"], *[list(p) for p in people]])
    report = await upload(client, admin, "employees", data)
    assert report["created"] == 3 and not report["refused"]
    # The answer still hands the passwords out once, as before.
    passwords = {p["nip"]: p["password"] for p in report["passwords"]}
    assert set(passwords) == {p[0] for p in people}
    assert {p["unit_name"] for p in report["passwords"]} == {u[1] for u in UNITS}
    handout = report["handout"]
    assert [(u["code"], u["people"]) for u in handout["units"]] == [
        (f"{PREFIX}-SD1", 2),
        (f"{PREFIX}-SD2", 1),
    ]
    url = handout["url"]
    # Kept encrypted: no password is readable in the database.
    sealed = " ".join(r["sealed"] for r in await HandoutSheet.select(HandoutSheet.sealed))
    assert not any(password in sealed for password in passwords.values())

    # Another BKD officer cannot take it: only who applied the import.
    bkd = await login(client, by_role("bkd").nip)
    assert (await client.get(url, headers=bkd)).status_code == 410
    # An asn may not ask at all.
    asn = await login(client)
    assert (await client.get(url, headers=asn)).status_code == 403

    first = await client.get(url, params={"unit": f"{PREFIX}-SD1"}, headers=admin)
    assert first.status_code == 200, first.text
    assert first.headers["content-disposition"].endswith(f'kata-sandi-awal-{PREFIX}-SD1.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(first.content))
    assert book.sheetnames == [f"{PREFIX}-SD1"]
    rows = [[c.value for c in r] for r in book.active.iter_rows()]
    assert rows[0][0] == "Kata sandi awal pegawai baru — SD Negeri 1 Uji Lembar"
    header = rows[3]
    assert header == ["No", "NIP", "Nama", "Unit kerja", "Kata sandi awal", "Tanda tangan"]
    listed = {r[1]: r for r in rows[4:6]}
    for number, name, _ in people[:2]:
        assert listed[number][2] == name
        assert listed[number][3] == "SD Negeri 1 Uji Lembar"
        assert listed[number][4] == passwords[number]
    text = " ".join(str(r[0]) for r in rows if r and r[0])
    assert "kata sandi baru" in text and "Masuk" in text

    # Once: that unit's page is gone; the other unit's is still there, once.
    again = await client.get(url, params={"unit": f"{PREFIX}-SD1"}, headers=admin)
    assert again.status_code == 410 and again.json()["code"] == "gone"
    rest = await client.get(url, headers=admin)
    assert rest.status_code == 200
    rest_book = openpyxl.load_workbook(io.BytesIO(rest.content))
    assert rest_book.sheetnames == [f"{PREFIX}-SD2"]
    assert (await client.get(url, headers=admin)).status_code == 410
    assert await HandoutSheet.count() == 0

    # The password printed works once, and must be changed.
    number = people[2][0]
    login_answer = await client.post(
        "/api/v1/auth/login", json={"nip": number, "password": passwords[number]}
    )
    assert login_answer.json()["user"]["must_change_password"] is True


async def test_a_handout_not_downloaded_is_gone_after_its_time(
    client: httpx.AsyncClient, admin: dict[str, str], clean: Settings
) -> None:
    units = xlsx([["Kode Unit", "Nama Unit", "Jenis", "Kode Induk"], [*UNITS[0][:3], UNITS[0][3]]])
    await upload(client, admin, "units", units)
    data = xlsx([["NIP", "Nama", "Unit Kerja"], [nip(random.Random(3), 7), "Dedi", UNITS[0][0]]])
    report = await upload(client, admin, "employees", data)
    expires = dt.datetime.fromisoformat(report["handout"]["expires_at"])
    now = dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=29) < expires - now <= dt.timedelta(minutes=30)
    async with open_services(clean, face_executor=lambda: None) as services:
        assert await services.imports.handouts.purge(now) == 0  # not yet
        assert await services.imports.handouts.purge(expires + dt.timedelta(seconds=1)) == 1
    assert await HandoutSheet.count() == 0
    assert (await client.get(report["handout"]["url"], headers=admin)).status_code == 410
    # A dry run keeps nothing and hands nothing out.
    dry = await client.post(
        "/api/v1/admin/imports/employees",
        params={"apply": "false"},
        files={"file": ("d.xlsx", data)},
        headers=admin,
    )
    assert dry.json()["handout"] is None and dry.json()["passwords"] == []


async def test_the_handout_on_the_embedded_default(tmp_path) -> None:
    """SQLite: the page is deleted by the statement that reads it (DELETE ... RETURNING)."""
    from backend.core.db import migrate
    from backend.imports.handout import Handouts
    from backend.imports.schemas import InitialPassword

    settings = Settings(data_dir=str(tmp_path))
    async with open_engine(settings) as engine:
        await migrate(engine)
        handouts = Handouts(secret="rahasia", ttl_minutes=30)
        now = dt.datetime.now(dt.UTC)
        kept = await handouts.keep(
            [
                InitialPassword("199001012015031001", "Ani", "SD-1", "pw-1", "SD Satu"),
                InitialPassword("199001012015031002", "Budi", "SD-2", "pw-2", "SD Dua"),
            ],
            created_by=7,
            now=now,
        )
        assert kept is not None and [u.code for u in kept.units] == ["SD-1", "SD-2"]
        assert await handouts.take(kept.id, employee_id=8, unit=None, now=now) is None
        [(code, _, people)] = await handouts.take(kept.id, employee_id=7, unit="SD-2", now=now)
        assert (code, [p.password for p in people]) == ("SD-2", ["pw-2"])
        assert await handouts.take(kept.id, employee_id=7, unit="SD-2", now=now) is None
        later = now + dt.timedelta(minutes=31)
        assert await handouts.take(kept.id, employee_id=7, unit=None, now=later) is None
        assert await handouts.purge(later) == 1
        assert await HandoutSheet.count() == 0
