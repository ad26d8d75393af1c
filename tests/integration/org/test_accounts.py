"""Accounts and sessions: a one-time password must be replaced at first login; a new password
or a deactivation ends every session of the account at once (token version, checked on every
request), with a 401 that says why."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest

from backend.core.app import create_app
from backend.core.auth import hash_initial, initial_password
from backend.core.db import open_engine
from backend.core.settings import Settings
from backend.org.tables import Employee, Unit
from tests.support import services as real
from tests.support.factories import TEACHER

NIP = "199001012015031777"


@pytest.fixture
async def client(clean: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with revocations seen at the next request (no per-process grace)."""
    app = create_app(msgspec.structs.replace(clean, token_check_ttl_s=0), face_executor=None)
    async with real.asgi_client(app) as client:
        yield client


@pytest.fixture
async def newcomer(clean: Settings) -> AsyncIterator[str]:
    """An employee as an import leaves them: a one-time password to replace."""
    password = initial_password()
    async with open_engine(clean):
        await Employee.delete().where(Employee.nip == NIP)
        unit = await Unit.select(Unit.id).where(Unit.code == TEACHER.unit_code).first()
        await Employee.insert(
            Employee(
                nip=NIP,
                name="Pegawai Baru",
                unit=unit["id"],
                roles=["asn"],
                password_hash=hash_initial(password),
                must_change_password=True,
                created_at=dt.datetime.now(dt.UTC),
            )
        )
        yield password
        await Employee.delete().where(Employee.nip == NIP)


async def login(client: httpx.AsyncClient, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"nip": NIP, "password": password})


def bearer(response: httpx.Response) -> dict[str, str]:
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_a_one_time_password_is_replaced_and_old_sessions_end(
    client: httpx.AsyncClient, newcomer: str
) -> None:
    first = await login(client, newcomer)
    assert first.status_code == 201 and first.json()["user"]["must_change_password"] is True
    old = bearer(first)
    assert (await client.get("/api/v1/me", headers=old)).json()["user"]["must_change_password"]

    change = "/api/v1/me/password"
    wrong = await client.post(
        change, json={"old_password": "salah", "new_password": "rahasia-baru-9"}, headers=old
    )
    assert wrong.status_code == 422 and wrong.json()["detail"] == "Kata sandi lama salah"
    short = await client.post(
        change, json={"old_password": newcomer, "new_password": "pendek"}, headers=old
    )
    assert short.status_code == 422 and "minimal 8" in short.json()["detail"]
    with_nip = await client.post(
        change, json={"old_password": newcomer, "new_password": f"x{NIP}"}, headers=old
    )
    assert with_nip.status_code == 422 and "NIP" in with_nip.json()["detail"]

    done = await client.post(
        change, json={"old_password": newcomer, "new_password": "rahasia-baru-9"}, headers=old
    )
    assert done.status_code == 200, done.text
    assert done.json()["user"]["must_change_password"] is False
    # The token used to change it has ended; the one handed back works.
    ended = await client.get("/api/v1/me", headers=old)
    assert ended.status_code == 401
    assert ended.json()["detail"].startswith("Sesi ini sudah diakhiri")
    assert ended.json()["code"] == "session_ended"
    assert "tetap tersimpan" in ended.json()["detail"]  # the PWA's outbox keeps its records
    assert (await client.get("/api/v1/me", headers=bearer(done))).status_code == 200
    assert (await login(client, newcomer)).status_code == 401
    again = await login(client, "rahasia-baru-9")
    assert again.status_code == 201 and again.json()["user"]["must_change_password"] is False


async def test_deactivation_ends_sessions_at_once(
    client: httpx.AsyncClient, newcomer: str, clean: Settings
) -> None:
    headers = bearer(await login(client, newcomer))
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    async with open_engine(clean):
        await Employee.update({Employee.active: False}).where(Employee.nip == NIP)
    refused = await client.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401 and "diakhiri" in refused.json()["detail"]
    assert (await login(client, newcomer)).status_code == 401
