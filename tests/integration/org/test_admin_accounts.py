"""An admin changes an employee or resets their password: sessions end where they must, every
change is audited with before and after, and nobody but an admin may."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest

from backend.core import audit
from backend.core.app import create_app
from backend.core.auth import hash_password
from backend.core.db import open_engine
from backend.core.settings import Settings
from backend.org.tables import Employee, Unit
from tests.support import services as real
from tests.support.factories import PASSWORD, TEACHER, by_role, login

NIP = "198805052012031444"
ADMIN = by_role("admin")


@pytest.fixture
async def client(clean: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(msgspec.structs.replace(clean, token_check_ttl_s=0), face_executor=None)
    async with real.asgi_client(app) as client:
        yield client


@pytest.fixture
async def staff(clean: Settings) -> AsyncIterator[str]:
    async with open_engine(clean):
        await Employee.delete().where(Employee.nip == NIP)
        unit = await Unit.select(Unit.id).where(Unit.code == TEACHER.unit_code).first()
        await Employee.insert(
            Employee(
                nip=NIP,
                name="Budi Staf",
                unit=unit["id"],
                roles=["asn"],
                position="Staf",
                password_hash=hash_password(PASSWORD),
                created_at=dt.datetime.now(dt.UTC),
            )
        )
        yield NIP
        await Employee.delete().where(Employee.nip == NIP)


def path(nip: str) -> str:
    return f"/api/v1/admin/employees/{nip}"


async def test_roles_unit_and_deactivation_end_sessions_and_are_audited(
    client: httpx.AsyncClient, staff: str
) -> None:
    admin = await login(client, ADMIN.nip)
    theirs = await login(client, staff)

    # A name or position does not end a session.
    renamed = await client.patch(path(staff), json={"name": "Budi Santoso"}, headers=admin)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Budi Santoso"
    assert (await client.get("/api/v1/me", headers=theirs)).status_code == 200

    promoted = await client.patch(
        path(staff), json={"roles": ["kepala_unit", "asn"], "unit": "DESA-NGLIRON"}, headers=admin
    )
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["roles"] == ["asn", "kepala_unit"]
    assert promoted.json()["unit"] == "DESA-NGLIRON"
    ended = await client.get("/api/v1/me", headers=theirs)
    assert ended.status_code == 401 and ended.json()["code"] == "session_ended"
    fresh = await login(client, staff)
    me = (await client.get("/api/v1/me", headers=fresh)).json()["user"]
    assert me["roles"] == ["asn", "kepala_unit"] and me["unit"]["code"] == "DESA-NGLIRON"

    off = await client.patch(path(staff), json={"active": False}, headers=admin)
    assert off.status_code == 200 and off.json()["active"] is False
    assert (await client.get("/api/v1/me", headers=fresh)).status_code == 401
    again = await client.post("/api/v1/auth/login", json={"nip": staff, "password": PASSWORD})
    assert again.status_code == 401

    trail = await audit.entries("org_employee", staff)
    assert [e["action"] for e in trail] == ["employee.update"] * 3
    newest, middle, oldest = trail
    assert all(e["actor"] == ADMIN.nip for e in trail)
    assert oldest["before"]["name"] == "Budi Staf" and oldest["after"]["name"] == "Budi Santoso"
    assert middle["before"]["unit"] == TEACHER.unit_code
    assert middle["after"]["unit"] == "DESA-NGLIRON"
    assert middle["after"]["token_version"] == middle["before"]["token_version"] + 1
    assert newest["before"]["active"] is True and newest["after"]["active"] is False
    assert all("password_hash" not in (e["after"] or {}) for e in trail)
    assert isinstance(newest["at"], dt.datetime)

    # The same again changes nothing and is not audited.
    same = await client.patch(path(staff), json={"active": False}, headers=admin)
    assert same.status_code == 200 and len(await audit.entries("org_employee", staff)) == 3


async def test_a_reset_password_is_shown_once_and_must_be_replaced(
    client: httpx.AsyncClient, staff: str
) -> None:
    admin = await login(client, ADMIN.nip)
    theirs = await login(client, staff)
    reset = await client.post(f"{path(staff)}/password-reset", headers=admin)
    assert reset.status_code == 200, reset.text
    one_time = reset.json()["one_time_password"]
    assert len(one_time) == 19 and reset.json()["nip"] == staff
    assert (await client.get("/api/v1/me", headers=theirs)).status_code == 401
    old = await client.post("/api/v1/auth/login", json={"nip": staff, "password": PASSWORD})
    assert old.status_code == 401
    new = await client.post("/api/v1/auth/login", json={"nip": staff, "password": one_time})
    assert new.status_code == 201 and new.json()["user"]["must_change_password"] is True
    (entry,) = await audit.entries("org_employee", staff)
    assert entry["action"] == "employee.password_reset" and entry["actor"] == ADMIN.nip
    assert entry["before"]["must_change_password"] is False
    assert entry["after"]["must_change_password"] is True
    assert one_time not in str(entry)


async def test_bad_changes_are_refused_with_the_field_and_nothing_changes(
    client: httpx.AsyncClient, staff: str
) -> None:
    admin = await login(client, ADMIN.nip)
    cases = [
        (staff, {"roles": ["asn", "raja"]}, 422, "roles: peran 'raja' tidak dikenal"),
        (staff, {"roles": ["bkd"]}, 422, "roles: setiap pegawai berperan 'asn'"),
        (staff, {"unit": "TIDAK-ADA"}, 422, "unit: kode unit 'TIDAK-ADA' tidak dikenal"),
        (staff, {"schedule": "X"}, 422, "schedule: kode jadwal 'X' tidak dikenal"),
        (staff, {}, 422, "Tidak ada yang diubah"),
        (staff, {"salary": 1}, 400, "salary"),
        (ADMIN.nip, {"active": False}, 422, "akun sendiri"),
        ("198805052012031999", {"name": "X"}, 404, "tidak ditemukan"),
        ("12345", {"name": "X"}, 422, "NIP harus 18 angka"),
    ]
    for nip, body, status, words in cases:
        answer = await client.patch(path(nip), json=body, headers=admin)
        assert answer.status_code == status, (body, answer.text)
        assert words in answer.json()["detail"], (body, answer.text)
    assert await audit.entries("org_employee") == []
    own = await client.post(f"{path(ADMIN.nip)}/password-reset", headers=admin)
    assert own.status_code == 403


async def test_only_an_admin_changes_accounts(client: httpx.AsyncClient, staff: str) -> None:
    for role in ("asn", "kepala_unit", "bkd", "command"):
        headers = await login(client, by_role(role).nip)
        patched = await client.patch(path(staff), json={"active": False}, headers=headers)
        reset = await client.post(f"{path(staff)}/password-reset", headers=headers)
        assert patched.status_code == reset.status_code == 403, role
    assert await audit.entries("org_employee") == []
