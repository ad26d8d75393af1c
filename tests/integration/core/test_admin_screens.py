"""Piccolo Admin at /admin/: served with its assets, signed in through hadir's NIP login, only
for `admin`, secrets never shown, every write audited with before and after, and a deactivated
admin out at once."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar

from backend.core import audit
from backend.core.admin import COOKIE
from backend.core.app import create_app
from backend.core.auth import hash_password
from backend.core.db import migrate, open_engine
from backend.core.settings import Settings
from backend.demo import seed_demo
from backend.org import demo_data
from backend.org.tables import Employee, Unit
from tests.support.factories import PASSWORD, TEACHER, by_role, login
from tests.support.services import asgi_client

ADMIN = by_role("admin")
BKD = next(e for e in demo_data.EMPLOYEES if "bkd" in e.roles and "admin" not in e.roles)
SECOND_ADMIN = "198906062015031777"


class Screens:
    """One browser's worth of /admin/: its own cookies (session and CSRF)."""

    def __init__(self, app: Litestar) -> None:
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://hadir.test"
        )

    async def open(self) -> httpx.Response:
        shell = await self.http.get("/admin/")
        assert shell.status_code == 200, shell.text
        return shell

    def csrf(self) -> dict[str, str]:
        return {"X-CSRFToken": self.http.cookies.get("csrftoken", "")}

    async def login(self, nip: str, password: str = PASSWORD) -> httpx.Response:
        await self.open()
        return await self.http.post(
            "/admin/public/login/",
            json={"username": nip, "password": password},
            headers=self.csrf(),
        )

    async def get(self, path: str, **kwargs) -> httpx.Response:
        return await self.http.get(f"/admin/api{path}", **kwargs)

    async def write(self, method: str, path: str, **kwargs) -> httpx.Response:
        return await self.http.request(method, f"/admin/api{path}", headers=self.csrf(), **kwargs)


@pytest.fixture
async def screens(client: httpx.AsyncClient, app: Litestar) -> AsyncIterator[Screens]:
    opened = Screens(app)  # `client` runs the app's lifespan
    yield opened
    await opened.http.aclose()


@pytest.fixture
async def second_admin(clean: Settings) -> AsyncIterator[str]:
    """Another admin, made before the app starts (asked for before `screens`) and removed
    after it stopped: no engine is bound over the running app's."""
    async with open_engine(clean):
        await Employee.delete().where(Employee.nip == SECOND_ADMIN)
        unit = await Unit.select(Unit.id).where(Unit.code == ADMIN.unit_code).first()
        await Employee.insert(
            Employee(
                nip=SECOND_ADMIN,
                name="Admin Kedua",
                unit=unit["id"],
                roles=["asn", "admin"],
                position="Pranata Komputer",
                password_hash=hash_password(PASSWORD),
                created_at=dt.datetime.now(dt.UTC),
            )
        )
    yield SECOND_ADMIN
    async with open_engine(clean):
        await Employee.delete().where(Employee.nip == SECOND_ADMIN)


async def test_the_screens_and_their_assets_are_served_under_a_csp(screens: Screens) -> None:
    shell = await screens.open()
    assert '<div id="app">' in shell.text
    csp = shell.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-eval" not in csp
    assets = re.findall(r'(?:src|href)="\./(assets/[^"]+)"', shell.text)
    assert len(assets) == 2, shell.text
    for asset in assets:
        answer = await screens.http.get(f"/admin/{asset}")
        assert answer.status_code == 200, asset
        assert answer.headers["content-security-policy"] == csp
    # Without the slash, to the slash (the bundle's paths are relative).
    bare = await screens.http.get("/admin")
    assert bare.status_code in (301, 307, 308) and bare.headers["location"].endswith("/admin/")
    # The Indonesian translation is offered and is the default.
    translations = (await screens.http.get("/admin/public/translations/")).json()
    assert translations["default_language_code"] == "id"
    indonesian = (await screens.http.get("/admin/public/translations/id/")).json()
    assert indonesian["translations"]["Login"] == "Masuk"


async def test_an_admin_signs_in_with_nip_and_sees_master_data_without_secrets(
    screens: Screens,
) -> None:
    signed_in = await screens.login(ADMIN.nip)
    assert signed_in.status_code == 200, signed_in.text
    cookie = signed_in.headers["set-cookie"]
    assert COOKIE in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/admin/" in cookie
    user = (await screens.get("/user/")).json()
    assert ADMIN.nip in user["username"]

    tables = (await screens.get("/tables/")).json()
    for expected in ("org_unit", "org_employee", "org_schedule", "org_holiday"):
        assert expected in tables
    for expected in ("geofence_location", "gerai_gerai", "gerai_member", "cctv_camera"):
        assert expected in tables
    for record in ("attendance_checkin", "faces_reference", "core_outbox", "core_audit"):
        assert record not in tables

    rows = (await screens.get("/tables/org_employee/", params={"nip": TEACHER.nip})).json()
    assert rows["rows"][0]["nip"] == TEACHER.nip
    # Foreign keys read as names, not bare ids ("Parent 4").
    readable = await screens.get(
        "/tables/org_employee/", params={"nip": TEACHER.nip, "__readable": "true"}
    )
    assert readable.json()["rows"][0]["unit_readable"] == "SD Negeri 1 Bleboh (SDN-BLEBOH-1)", (
        readable.text
    )
    assert "password_hash" not in rows["rows"][0] and "token_version" not in rows["rows"][0]
    schema = (await screens.get("/tables/org_employee/schema/")).json()
    assert "password_hash" not in schema["properties"]
    camera_schema = (await screens.get("/tables/cctv_camera/schema/")).json()
    assert "key_hash" not in camera_schema["properties"]
    assert "password" not in camera_schema["properties"]

    # And no write can set one.
    employee_id = rows["rows"][0]["id"]
    sneaked = await screens.write(
        "PATCH", f"/tables/org_employee/{employee_id}/", json={"password_hash": "x"}
    )
    assert sneaked.status_code == 400, sneaked.text


@pytest.mark.parametrize("who", [TEACHER, BKD], ids=["asn", "bkd"])
async def test_other_roles_get_403_and_strangers_nothing(
    screens: Screens, client: httpx.AsyncClient, who
) -> None:
    refused = await screens.login(who.nip)
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "forbidden"
    assert COOKIE not in screens.http.cookies
    # Their PWA token does not open the API either.
    bearer = await login(client, who.nip)
    assert (await screens.get("/tables/", headers=bearer)).status_code == 403
    # A wrong password is hadir's 401, counted by its login limits.
    wrong = await screens.login(ADMIN.nip, "salah-sandi-99")
    assert wrong.status_code == 401 and wrong.json()["code"] == "unauthenticated"

    screens.http.cookies.clear()
    await screens.open()
    for path in ("/tables/", "/tables/org_unit/", "/tables/org_employee/1/", "/user/"):
        answer = await screens.get(path)
        assert answer.status_code == 401, (path, answer.text)
    write = await screens.write("PATCH", "/tables/org_unit/1/", json={"name": "x"})
    assert write.status_code == 401
    screens.http.cookies.set(COOKIE, "not-a-token", domain="hadir.test", path="/admin/")
    forged = await screens.get("/tables/")
    assert forged.status_code == 401


async def test_an_edit_is_audited_with_before_and_after(screens: Screens) -> None:
    assert (await screens.login(ADMIN.nip)).status_code == 200
    unit = (await screens.get("/tables/org_unit/", params={"code": TEACHER.unit_code})).json()
    row = unit["rows"][0]
    old_name = row["name"]
    try:
        edited = await screens.write(
            "PATCH", f"/tables/org_unit/{row['id']}/", json={"name": "SD Negeri 1 Bleboh (baru)"}
        )
        assert edited.status_code == 200, edited.text
        assert edited.json()["name"] == "SD Negeri 1 Bleboh (baru)"
        # Read through the app's own engine (the lifespan bound it): binding another one here
        # would pull the app's background jobs off theirs mid-transaction.
        trail = await audit.entries("org_unit", str(row["id"]))
        assert len(trail) == 1
        entry = trail[0]
        assert entry["actor"] == ADMIN.nip and entry["action"] == "admin.update"
        assert entry["before"]["name"] == old_name
        assert entry["after"]["name"] == "SD Negeri 1 Bleboh (baru)"
        assert entry["after"]["code"] == TEACHER.unit_code

        # A refused write leaves no trail and no change: a fence that is no shape.
        location = (await screens.get("/tables/geofence_location/")).json()["rows"][0]
        broken = await screens.write(
            "PATCH",
            f"/tables/geofence_location/{location['id']}/",
            json={"geometry": {"type": "Point", "coordinates": [999, 0]}},
        )
        assert broken.status_code == 422, broken.text
        assert "geometry" in broken.json()["detail"]
        assert await audit.entries("geofence_location") == []
    finally:
        restored = await screens.write(
            "PATCH", f"/tables/org_unit/{row['id']}/", json={"name": old_name}
        )
        assert restored.status_code == 200


async def test_a_deactivated_admin_is_out_at_once(
    second_admin: str, screens: Screens, app: Litestar
) -> None:
    theirs = Screens(app)
    try:
        assert (await theirs.login(second_admin)).status_code == 200
        assert (await theirs.get("/tables/")).status_code == 200
        assert (await screens.login(ADMIN.nip)).status_code == 200
        found = (await screens.get("/tables/org_employee/", params={"nip": second_admin})).json()
        employee_id = found["rows"][0]["id"]

        # Deactivated through the screens by the other admin: audited, sessions end.
        off = await screens.write(
            "PATCH", f"/tables/org_employee/{employee_id}/", json={"active": False}
        )
        assert off.status_code == 200, off.text
        ended = await theirs.get("/tables/")
        assert ended.status_code == 401 and ended.json()["code"] == "session_ended"
        assert (await theirs.login(second_admin)).status_code == 401
        trail = await audit.entries("org_employee", str(employee_id))
        assert trail[0]["before"]["active"] is True and trail[0]["after"]["active"] is False
        assert "password_hash" not in trail[0]["after"]

        # The edit form posts the whole row back, read-only columns included: they keep their
        # stored values, the rest is saved.
        row = (await screens.get(f"/tables/org_employee/{employee_id}/")).json()
        form = {
            **row,
            "name": "Admin Kedua, S.Kom.",
            "created_at": "2001-01-01T00:00:00+00:00",
            "must_change_password": True,
        }
        form.pop("id")
        saved = await screens.write("PATCH", f"/tables/org_employee/{employee_id}/", json=form)
        assert saved.status_code == 200, saved.text
        assert saved.json()["name"] == "Admin Kedua, S.Kom."
        assert saved.json()["created_at"] == row["created_at"]
        assert saved.json()["must_change_password"] is False

        # One's own account cannot be switched off here either.
        me = (await screens.get("/tables/org_employee/", params={"nip": ADMIN.nip})).json()
        own = await screens.write(
            "PATCH", f"/tables/org_employee/{me['rows'][0]['id']}/", json={"active": False}
        )
        assert own.status_code == 422
    finally:
        await theirs.http.aclose()


@pytest.mark.timeout(120)
# Text filters use ILIKE, which Piccolo turns into LIKE on SQLite with a warning (silenced in
# backend/core/admin.py; this suite makes every warning an error, ahead of that filter).
@pytest.mark.filterwarnings("ignore:.*SQLite doesn't support ILIKE")
async def test_the_screens_work_on_the_embedded_sqlite_default(tmp_path) -> None:
    """The same screens on SQLite: arrays (roles) and JSON (fences) stored as text there."""
    settings = Settings(data_dir=str(tmp_path), token_check_ttl_s=0)
    async with open_engine(settings) as engine:
        await migrate(engine)
        await seed_demo(default_max_accuracy_m=settings.default_max_accuracy_m)
    app = create_app(settings, face_executor=lambda: None)
    async with asgi_client(app) as client:
        screens = Screens(app)
        try:
            assert (await screens.login(ADMIN.nip)).status_code == 200
            bearer = await login(client, TEACHER.nip)
            found = await screens.get("/tables/org_employee/", params={"nip": TEACHER.nip})
            assert found.status_code == 200, found.text
            teacher = found.json()["rows"][0]
            assert teacher["roles"] == ["asn"] and "password_hash" not in teacher

            promoted = await screens.write(
                "PATCH",
                f"/tables/org_employee/{teacher['id']}/",
                json={"roles": ["asn", "kepala_unit"]},
            )
            assert promoted.status_code == 200, promoted.text
            assert promoted.json()["roles"] == ["asn", "kepala_unit"]
            # Roles changed: the teacher's PWA session ends, as after the accounts API.
            ended = await client.get("/api/v1/me", headers=bearer)
            assert ended.status_code == 401 and ended.json()["code"] == "session_ended"

            fences = (await screens.get("/tables/geofence_location/")).json()["rows"]
            location = await screens.get(f"/tables/geofence_location/{fences[0]['id']}/")
            assert location.status_code == 200, location.text
            moved = await screens.write(
                "PATCH",
                f"/tables/geofence_location/{fences[0]['id']}/",
                json={"max_accuracy_m": 75.0},
            )
            assert moved.status_code == 200, moved.text
            roles = await audit.entries("org_employee", str(teacher["id"]))
            fence = await audit.entries("geofence_location", str(fences[0]["id"]))
            assert roles[0]["before"]["roles"] == ["asn"]
            assert roles[0]["after"]["roles"] == ["asn", "kepala_unit"]
            assert fence[0]["after"]["max_accuracy_m"] == 75.0
        finally:
            await screens.http.aclose()


async def test_over_https_a_write_must_come_from_the_same_origin(app: Litestar, client) -> None:
    """Piccolo's CSRF check (cookie + header) and, over HTTPS, the Origin: same host only."""
    secure = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://hadir.test"
    )
    try:
        await secure.get("/admin/")
        token = secure.cookies.get("csrftoken", "")
        body = {"username": ADMIN.nip, "password": PASSWORD}
        no_token = await secure.post("/admin/public/login/", json=body)
        assert no_token.status_code == 403
        elsewhere = await secure.post(
            "/admin/public/login/",
            json=body,
            headers={"X-CSRFToken": token, "Origin": "https://evil.test"},
        )
        assert elsewhere.status_code == 403
        same = await secure.post(
            "/admin/public/login/",
            json=body,
            headers={"X-CSRFToken": token, "Origin": "https://hadir.test"},
        )
        assert same.status_code == 200, same.text
        assert "Secure" in same.headers["set-cookie"]
    finally:
        await secure.aclose()


async def test_the_password_screen_changes_the_hadir_password(
    second_admin: str, screens: Screens, client: httpx.AsyncClient
) -> None:
    assert (await screens.login(second_admin)).status_code == 200
    pwa = await login(client, second_admin)
    wrong = await screens.write(
        "POST",
        "/change-password/",
        json={"current_password": "bukan-ini-99", "new_password": "sawah-hijau-2031"},
    )
    assert wrong.status_code == 422 and wrong.json()["detail"] == "Kata sandi lama salah"
    changed = await screens.write(
        "POST",
        "/change-password/",
        json={
            "current_password": PASSWORD,
            "new_password": "sawah-hijau-2031",
            "confirm_new_password": "sawah-hijau-2031",
        },
    )
    assert changed.status_code == 200, changed.text
    # The screens go on with the fresh cookie; the PWA session ended; the new password works.
    assert (await screens.get("/tables/")).status_code == 200
    assert (await client.get("/api/v1/me", headers=pwa)).status_code == 401
    assert (
        await client.post(
            "/api/v1/auth/login", json={"nip": second_admin, "password": "sawah-hijau-2031"}
        )
    ).status_code == 201


async def test_creating_and_deleting_are_audited_and_guarded(screens: Screens) -> None:
    assert (await screens.login(ADMIN.nip)).status_code == 200
    unit = (await screens.get("/tables/org_unit/", params={"code": TEACHER.unit_code})).json()
    # As the screen does: the defaults of a new row first (`/new/`), then what was typed.
    defaults = (await screens.get("/tables/org_employee/new/")).json()
    new = {
        **defaults,
        "nip": "199507072020121009",
        "name": "Pegawai Dari Layar",
        "unit": unit["rows"][0]["id"],
        "roles": ["asn"],
        "position": "Guru",
    }
    bad = await screens.write("POST", "/tables/org_employee/", json={**new, "nip": "1995"})
    assert bad.status_code == 422 and "18 angka" in bad.json()["detail"]
    created = await screens.write("POST", "/tables/org_employee/", json=new)
    assert created.status_code == 201, created.text
    employee_id = created.json()[0]["id"]
    try:
        made = await audit.entries("org_employee", str(employee_id))
        assert made[0]["action"] == "admin.create" and made[0]["before"] is None
        assert made[0]["after"]["nip"] == new["nip"] and made[0]["after"]["active"] is True
        # No password yet: nobody can log in as them until an admin resets one.
        assert (await screens.login(new["nip"], "")).status_code == 422
        # Employees are deactivated, not deleted, here.
        refused = await screens.write("DELETE", f"/tables/org_employee/{employee_id}/")
        assert refused.status_code == 405
    finally:
        await Employee.delete().where(Employee.id == employee_id)

    holiday = await screens.write(
        "POST",
        "/tables/org_holiday/",
        json={
            **(await screens.get("/tables/org_holiday/new/")).json(),
            "date": "2031-12-31",
            "name": "Uji",
            "kind": "cuti_bersama",
        },
    )
    assert holiday.status_code == 201, holiday.text
    key = holiday.json()[0]["id"]
    gone = await screens.write("DELETE", f"/tables/org_holiday/{key}/")
    assert gone.status_code == 204
    trail = await audit.entries("org_holiday", str(key))
    assert [e["action"] for e in trail] == ["admin.delete", "admin.create"]
    assert trail[0]["before"]["name"] == "Uji" and trail[0]["after"] is None

    # A unit in use: the database refuses (ON DELETE RESTRICT), the answer says so, and the
    # rolled-back write leaves no audit entry.
    in_use = await screens.write("DELETE", f"/tables/org_unit/{unit['rows'][0]['id']}/")
    assert 400 <= in_use.status_code < 500, in_use.text
    assert await audit.entries("org_unit") == []
