"""Bulk import on real PostgreSQL, through the API and the `hadir import` command: a realistic
500-row XLSX with 22 kinds of bad rows, each refused with its reason, the rest applied; the same
file again changes nothing; a changed file updates; new employees log in once with their
one-time password and must choose their own."""

from __future__ import annotations

import io
import json
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest

from backend.core.db import open_engine
from backend.core.settings import Settings
from backend.org.tables import Employee, Unit
from tests.support.commands import assert_no_traceback, run_hadir
from tests.support.factories import by_role, login

PREFIX = "IMPT"  # every unit this file makes; removed afterwards
UNITS = [
    (f"{PREFIX}-DINAS", "Dinas Uji Impor", "opd", "PEMDA"),
    (f"{PREFIX}-SD1", "SD Negeri 1 Uji Impor", "sekolah", f"{PREFIX}-DINAS"),
    (f"{PREFIX}-SD2", "SD Negeri 2 Uji Impor", "sekolah", f"{PREFIX}-DINAS"),
    (f"{PREFIX}-DESA", "Pemerintah Desa Uji Impor", "desa", f"{PREFIX}-DINAS"),
]


def xlsx(rows: list[list[Any]], title: str = "Pegawai") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def good_nip(rng: random.Random, sequence: int, *, pppk: bool = False) -> str:
    year = rng.randint(1965, 1998)
    birth = f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    appointed = f"{min(year + rng.randint(22, 30), 2024)}"
    month = "21" if pppk else f"{rng.randint(1, 12):02d}"
    return f"{birth}{appointed}{month}{rng.choice('12')}{sequence:03d}"


# (what is wrong, the column refused, words the reason must hold); each row below breaks one rule.
BAD = [
    ("letters in the NIP", "NIP", "hanya boleh berisi angka"),
    ("17 digits", "NIP", "harus 18 angka, bukan 17"),
    ("no such birth date", "NIP", "Tanggal lahir pada NIP"),
    ("born 1930", "NIP", "Tahun lahir pada NIP (1930)"),
    ("month 13", "NIP", "Bulan pengangkatan pada NIP"),
    ("appointed 2099", "NIP", "(2099) belum terjadi"),
    ("appointed at 10", "NIP", "terlalu dekat dengan tahun lahir"),
    ("sex digit 3", "NIP", "Kode jenis kelamin"),
    ("sequence 000", "NIP", "Nomor urut pada NIP"),
    ("no NIP", "NIP", "NIP kosong"),
    ("NIP in a number cell", "NIP", "tersimpan sebagai angka di Excel"),
    ("duplicate NIP", "NIP", "NIP sama dengan baris"),
    ("no name", "Nama", "Nama kosong"),
    ("name too long", "Nama", "Nama terlalu panjang (201 huruf"),
    ("unknown unit", "Unit Kerja", "Unit 'SD Negeri 99 Entah' tidak dikenal"),
    ("no unit", "Unit Kerja", "Unit kosong"),
    ("kind honorer", "Jenis Pegawai", "harus PNS atau PPPK"),
    ("PPPK with a PNS NIP", "Jenis Pegawai", "berformat PNS"),
    ("unknown role", "Peran", "Peran 'superuser' tidak dikenal"),
    ("admin by file", "Peran", "Peran admin tidak diberikan lewat impor"),
    ("unknown schedule", "Jadwal", "Jadwal 'JAM-MALAM' tidak dikenal"),
    ("active maybe", "Aktif", "Aktif 'mungkin' harus ya atau tidak"),
]


def employee_file(
    rng: random.Random, *, rename: dict[str, str] | None = None
) -> tuple[bytes, dict]:
    """500 rows as a personnel system exports them: title lines, extra columns, a shuffled
    column order, unit names rather than codes; 22 bad rows spread among 478 good ones."""
    headers = ["No", "NIP Baru", "Nama Lengkap", "Golongan", "Jabatan", "Unit Kerja",
               "Jenis Pegawai", "Peran", "Kode Jadwal", "Aktif", "TMT Jabatan"]  # fmt: skip
    order = headers[:]
    rng.shuffle(order)
    rows: list[dict[str, Any]] = []
    nips: list[str] = []
    for i in range(478):
        pppk = i % 9 == 0
        nip = good_nip(rng, i + 1, pppk=pppk)
        nips.append(nip)
        rows.append(
            {
                "NIP Baru": nip,
                "Nama Lengkap": f"Pegawai Uji {i + 1}, S.Pd.",
                "Golongan": "III/b",
                "Jabatan": "Guru Kelas" if i % 3 else "Staf",
                "Unit Kerja": UNITS[1 + i % 3][1],
                "Jenis Pegawai": "PPPK" if pppk else "PNS",
                "Peran": "asn",
                "Kode Jadwal": "5HK",
                "Aktif": "ya",
                "TMT Jabatan": "01-01-2020",
            }
        )
    base = dict(rows[0])
    ok = nips[0]
    bad_values = [
        {"NIP Baru": ok[:17] + "A"},
        {"NIP Baru": ok[:17]},
        {"NIP Baru": "19921314" + ok[8:]},
        {"NIP Baru": "19300101" + "19600" + ok[13:]},
        {"NIP Baru": ok[:12] + "13" + ok[14:]},
        {"NIP Baru": ok[:8] + "2099" + ok[12:]},
        {"NIP Baru": "19900101" + "2000" + ok[12:]},
        {"NIP Baru": ok[:14] + "3" + ok[15:]},
        {"NIP Baru": ok[:15] + "000"},
        {"NIP Baru": ""},
        {"NIP Baru": float(good_nip(rng, 901))},
        {"NIP Baru": nips[5]},
        {"Nama Lengkap": ""},
        {"Nama Lengkap": "N" * 201},
        {"Unit Kerja": "SD Negeri 99 Entah"},
        {"Unit Kerja": ""},
        {"Jenis Pegawai": "Honorer"},
        {"Jenis Pegawai": "PPPK"},
        {"Peran": "superuser"},
        {"Peran": "asn, admin"},
        {"Kode Jadwal": "JAM-MALAM"},
        {"Aktif": "mungkin"},
    ]
    assert len(bad_values) == len(BAD)
    bad_rows: list[dict[str, Any]] = []
    for k, change in enumerate(bad_values):
        row = {**base, "NIP Baru": good_nip(rng, 700 + k), "Jenis Pegawai": "PNS", **change}
        bad_rows.append(row)
    # Spread the bad rows among the good ones (after row 6, so the duplicate's first is earlier).
    positions = sorted(rng.sample(range(10, 490), len(bad_rows)))
    merged = rows[:]
    for position, row in zip(positions, bad_rows, strict=True):
        merged.insert(position, row)
    expected = {}
    grid: list[list[Any]] = [
        ["DAFTAR NOMINATIF PEGAWAI UJI IMPOR"],
        ["Keadaan 1 Desember 2026"],
        order,
    ]
    for number, row in enumerate(merged, start=1):
        row["No"] = number
        if rename:
            row = {
                **row,
                **{
                    k: rename.get(row["NIP Baru"], v) if k == "Nama Lengkap" else v
                    for k, v in row.items()
                },
            }
        grid.append([row[h] for h in order])
    for position, bad in zip(positions, BAD, strict=True):
        expected[position + 4] = bad  # 3 lines above the data, 1-based
    return xlsx(grid), {"expected": expected, "nips": nips}


def unit_file() -> bytes:
    return xlsx(
        [["Kode Unit", "Nama Unit", "Jenis", "Kode Induk", "Zona Waktu"]]
        + [[code, name, kind, parent, "WIB"] for code, name, kind, parent in UNITS]
    )


async def _remove_test_data(settings: Settings) -> None:
    async with open_engine(settings):
        codes = [u[0] for u in UNITS]
        ids = [r["id"] for r in await Unit.select(Unit.id).where(Unit.code.is_in(codes))]
        if ids:
            await Employee.delete().where(Employee.unit.is_in(ids))
            await Unit.update({Unit.parent: None}).where(Unit.id.is_in(ids))
            await Unit.delete().where(Unit.id.is_in(ids))


@pytest.fixture
async def admin(client: httpx.AsyncClient, clean: Settings) -> AsyncIterator[dict[str, str]]:
    await _remove_test_data(clean)
    yield await login(client, by_role("admin").nip)
    await _remove_test_data(clean)


async def upload(
    client: httpx.AsyncClient, headers: dict, kind: str, data: bytes, *, apply: bool
) -> httpx.Response:
    return await client.post(
        f"/api/v1/admin/imports/{kind}",
        params={"apply": str(apply).lower()},
        files={"file": ("data.xlsx" if data.startswith(b"PK") else "data.csv", data)},
        headers=headers,
    )


async def test_500_rows_with_22_kinds_of_bad_rows(
    client: httpx.AsyncClient, admin: dict[str, str], clean: Settings
) -> None:
    units = await upload(client, admin, "units", unit_file(), apply=True)
    assert units.status_code == 200, units.text
    assert units.json() | {"refused": []} == units.json()
    assert units.json()["created"] == 4
    data, truth = employee_file(random.Random(9))

    dry = (await upload(client, admin, "employees", data, apply=False)).json()
    assert dry["applied"] is False and dry["passwords"] == []
    assert (dry["rows"], dry["created"], dry["updated"], dry["unchanged"]) == (500, 478, 0, 0)
    refused = {r["row"]: r for r in dry["refused"]}
    assert len(refused) == len(BAD), dry["refused"]
    for row, (what, column, words) in truth["expected"].items():
        assert row in refused, f"{what}: row {row} not refused"
        assert refused[row]["column"] == column, (what, refused[row])
        assert words in refused[row]["reason"], (what, refused[row])
    async with open_engine(clean):
        assert not await Employee.exists().where(Employee.nip == truth["nips"][0])

    applied = (await upload(client, admin, "employees", data, apply=True)).json()
    assert (applied["created"], applied["updated"], applied["unchanged"]) == (478, 0, 0)
    assert applied["refused"] == dry["refused"]
    passwords = {p["nip"]: p for p in applied["passwords"]}
    assert set(passwords) == set(truth["nips"])
    first = passwords[truth["nips"][0]]
    assert first["unit"] == f"{PREFIX}-SD1" and len(first["password"]) == 19

    again = (await upload(client, admin, "employees", data, apply=True)).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 478)
    assert again["passwords"] == []

    # The one-time password works once: the account must choose its own.
    response = await client.post(
        "/api/v1/auth/login", json={"nip": first["nip"], "password": first["password"]}
    )
    assert response.status_code == 201, response.text
    assert response.json()["user"]["must_change_password"] is True

    changed, _ = employee_file(
        random.Random(9), rename={truth["nips"][1]: "Nama Baru", truth["nips"][2]: "Lain Lagi"}
    )
    update = (await upload(client, admin, "employees", changed, apply=True)).json()
    assert (update["created"], update["updated"], update["unchanged"]) == (0, 2, 476)
    # A re-import never touches a password.
    response = await client.post(
        "/api/v1/auth/login", json={"nip": first["nip"], "password": first["password"]}
    )
    assert response.status_code == 201


async def test_missing_required_column_refuses_the_file(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    data = xlsx([["NIP", "Jabatan"], ["199205142019042003", "Guru"]])
    body = (await upload(client, admin, "employees", data, apply=True)).json()
    assert body["applied"] is False
    assert [(r["row"], r["column"]) for r in body["refused"]] == [(1, "Nama"), (1, "Unit Kerja")]
    assert "Kolom wajib 'Nama' tidak ada" in body["refused"][0]["reason"]


async def test_units_schedules_holidays(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    units = xlsx(
        [["Kode Unit", "Nama Unit", "Jenis", "Kode Induk"]]
        + [[code, name, kind, parent] for code, name, kind, parent in UNITS]
        + [
            [f"{PREFIX}-X", "Unit X", "planet", "PEMDA"],
            [f"{PREFIX}-Y", "Unit Y", "opd", "ENTAH"],
            [f"{PREFIX}-SD1", "Lagi", "sekolah", f"{PREFIX}-DINAS"],
        ]
    )
    body = (await upload(client, admin, "units", units, apply=True)).json()
    assert body["created"] == 4
    assert [(r["row"], r["column"]) for r in body["refused"]] == [
        (6, "Jenis Unit"),
        (7, "Kode Induk"),
        (8, "Kode Unit"),
    ]
    # A cycle: the dinas placed under its own school.
    cycle = xlsx(
        [
            ["Kode Unit", "Nama Unit", "Kode Induk"],
            [f"{PREFIX}-DINAS", "Dinas Uji Impor", f"{PREFIX}-SD1"],
        ]
    )
    body = (await upload(client, admin, "units", cycle, apply=False)).json()
    assert "lingkaran" in body["refused"][0]["reason"]

    schedules = (
        b"Kode;Nama;Jenis;Senin;Selasa;Rabu;Kamis;Jumat;Sabtu\n"
        + (
            f"{PREFIX}-6HK;Enam hari uji;6 hari;07.00-14.00;07:00-14:00;07:00-14:00;07:00-14:00;"
            "07:00-11:00;07:00-12:30\n"
            f"{PREFIX}-BAD;Salah;5 hari;pagi;;;;;\n"
        ).encode()
    )
    body = (await upload(client, admin, "schedules", schedules, apply=True)).json()
    assert (body["created"], [r["column"] for r in body["refused"]]) == (1, ["Senin"])
    body = (await upload(client, admin, "schedules", schedules, apply=True)).json()
    assert (body["created"], body["unchanged"]) == (0, 1)

    holidays = xlsx(
        [
            ["Tanggal", "Keterangan", "Jenis"],
            ["17 Agustus 2031", "HUT RI", "libur nasional"],
            ["2031-02-30", "Salah", ""],
            ["17/08/2031", "Dua kali", ""],
        ]
    )
    body = (await upload(client, admin, "holidays", holidays, apply=True)).json()
    assert body["created"] == 1
    assert [r["reason"] for r in body["refused"]] == [
        "'2031-02-30' bukan tanggal yang ada",
        "Tanggal sama dengan baris 2 di berkas ini",
    ]


async def test_import_is_for_admin_and_bkd_only(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    teacher = await login(client)
    response = await upload(client, teacher, "units", unit_file(), apply=False)
    assert response.status_code == 403
    bkd = await login(client, by_role("bkd").nip)
    assert (await upload(client, bkd, "units", unit_file(), apply=False)).status_code == 200
    assert (await upload(client, admin, "gedung", unit_file(), apply=False)).status_code == 404


async def test_the_command_as_a_real_process(
    server_env: dict[str, str], admin: dict[str, str], tmp_path: Path
) -> None:
    units = tmp_path / "unit.xlsx"
    units.write_bytes(unit_file())
    dry = run_hadir(server_env, "import", "units", str(units))
    assert_no_traceback(dry.stderr, "hadir import")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["created"] == 4
    applied = run_hadir(server_env, "import", "units", str(units), "--apply")
    assert json.loads(applied.stdout)["applied"] is True
    again = run_hadir(server_env, "import", "units", str(units), "--apply", "--sheet", "Pegawai")
    assert json.loads(again.stdout)["unchanged"] == 4
    data, _ = employee_file(random.Random(3))
    people = tmp_path / "pegawai.xlsx"
    people.write_bytes(data)
    handout = tmp_path / "kata-sandi.xlsx"
    result = run_hadir(
        server_env, "import", "employees", str(people), "--apply", "--handout", str(handout)
    )
    assert result.returncode == 1  # rows were refused
    report = json.loads(result.stdout)
    assert (report["created"], len(report["refused"]), len(report["passwords"])) == (478, 22, 478)
    # The printable handout: a sheet per unit, every new employee's password on it; nothing
    # kept on the server for the command line (report["handout"] is for the API's caller).
    assert report["handout"] is None
    book = openpyxl.load_workbook(handout)
    assert book.sheetnames == sorted({p["unit"] for p in report["passwords"]})
    printed = {
        row[1]: row[4]
        for sheet in book.worksheets
        for row in sheet.iter_rows(min_row=5, values_only=True)
        if row and isinstance(row[0], int)
    }
    assert printed == {p["nip"]: p["password"] for p in report["passwords"]}
    missing = run_hadir(server_env, "import", "units", str(units), "--sheet", "Tidak")
    assert missing.returncode == 1 and "Lembar 'Tidak' tidak ada" in missing.stderr
