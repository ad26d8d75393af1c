"""Login, the caller's profile, health and the API description."""

import httpx

from backend.org import demo_data
from tests.support.factories import PASSWORD, TEACHER, by_role, login


async def test_login_returns_a_bearer_token_and_the_user(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/login", json={"nip": TEACHER.nip, "password": PASSWORD}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 7 * 24 * 3600
    assert body["user"]["nip"] == TEACHER.nip
    assert body["user"]["roles"] == ["asn"]
    assert body["user"]["unit"]["code"] == TEACHER.unit_code
    assert body["user"]["unit"]["timezone"] == "Asia/Jakarta"


async def test_wrong_credentials_are_401_without_saying_which(client: httpx.AsyncClient) -> None:
    wrong_password = await client.post(
        "/api/v1/auth/login", json={"nip": TEACHER.nip, "password": "salah"}
    )
    unknown = await client.post(
        "/api/v1/auth/login", json={"nip": "199001012015031999", "password": PASSWORD}
    )
    assert wrong_password.status_code == unknown.status_code == 401
    assert (
        wrong_password.json()["detail"] == unknown.json()["detail"] == "NIP atau kata sandi salah"
    )


async def test_a_malformed_nip_is_refused_with_the_part_that_is_wrong(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/v1/auth/login", json={"nip": "199213142019042003", "password": "x"}
    )
    assert response.status_code == 422
    assert "Tanggal lahir" in response.json()["detail"]
    response = await client.post("/api/v1/auth/login", json={"nip": TEACHER.nip})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "password"
    assert "wajib diisi" in response.json()["detail"]


async def test_me_gives_todays_schedule_and_the_fences(
    client: httpx.AsyncClient, teacher: dict[str, str]
) -> None:
    body = (await client.get("/api/v1/me", headers=teacher)).json()
    assert body["user"]["name"] == TEACHER.name
    assert body["schedule_today"]["timezone"] == "Asia/Jakarta"
    assert body["schedule_today"]["schedule"]
    [location] = body["locations"]
    assert location["geometry"]["type"] == "Point"
    assert location["radius_m"] > 0
    head = await login(client, by_role("kepala_unit", unit_code="BKD").nip)
    [office] = (await client.get("/api/v1/me", headers=head)).json()["locations"]
    assert office["geometry"]["type"] == "Polygon"
    assert office["radius_m"] is None


async def test_every_api_route_needs_a_token(client: httpx.AsyncClient) -> None:
    for path in ("/api/v1/me", "/api/v1/checkins", "/api/v1/checkins/1"):
        response = await client.get(path)
        assert response.status_code == 401, path
        assert response.json()["code"] == "unauthenticated"
    forged = {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.x"}
    assert (await client.get("/api/v1/me", headers=forged)).status_code == 401


async def test_health_reports_each_part(client: httpx.AsyncClient) -> None:
    body = (await client.get("/health")).json()
    assert body == body | {"status": "ok", "database": "ok", "storage": "ok", "queue": "ok"}


async def test_openapi_describes_the_contract(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert {"login", "me", "createCheckIn", "getCheckIn", "listCheckIns", "health"} <= operations


async def test_responses_carry_a_strict_content_security_policy(client: httpx.AsyncClient) -> None:
    csp = (await client.get("/health")).headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_the_demo_has_every_role() -> None:
    roles = {role for e in demo_data.EMPLOYEES for role in e.roles}
    assert roles == {"asn", "kepala_unit", "bkd", "command", "admin"}
