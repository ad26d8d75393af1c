"""Headers every response carries (errors and static files included), `no-store` on personal
data, and API docs that load nothing from another origin."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest

from backend.core.app import CSP
from tests.support.factories import TEACHER, by_role, login

SECURITY = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def assert_secured(response: httpx.Response) -> None:
    for name, value in SECURITY.items():
        assert response.headers.get(name) == value, (response.request.url, name, response.headers)
    assert "geolocation=" in response.headers.get("permissions-policy", ""), response.request.url


async def test_every_response_carries_the_security_headers(
    client: httpx.AsyncClient, teacher: dict[str, str]
) -> None:
    requests = [
        ("GET", "/health", {}, 200),
        ("GET", "/", {}, 200),
        ("GET", "/manifest.webmanifest", {}, 200),
        ("GET", "/src/no-such-file.js", {}, 404),
        ("GET", "/api/v1/no-such-route", teacher, 404),
        ("GET", "/api/v1/checkins/2147483647", teacher, 404),
        ("GET", "/api/v1/me", {}, 401),
        ("DELETE", "/api/v1/me", teacher, 405),
        ("GET", "/api/v1/checkins/99999999999", teacher, 400),
        ("GET", "/schema/openapi.json", {}, 200),
        ("GET", "/schema/swagger", {}, 200),
    ]
    for method, path, headers, status in requests:
        response = await client.request(method, path, headers=headers)
        assert response.status_code == status, (path, response.status_code)
        assert_secured(response)


def personal_paths(today: dt.date) -> list[tuple[str, str]]:
    month = today.strftime("%Y-%m")
    return [
        ("asn", "/api/v1/me"),
        ("asn", "/api/v1/checkins"),
        ("asn", f"/api/v1/days?start={today.isoformat()}"),
        ("asn", "/api/v1/permits"),
        ("asn", "/api/v1/checkins/2147483647"),  # an error about one's own data too
        ("bkd", "/api/v1/reviews"),
        ("bkd", f"/api/v1/recap?unit={by_role('bkd').unit_code}&month={month}"),
        ("bkd", f"/api/v1/faces/{TEACHER.nip}/references"),
        ("kepala_unit", "/api/v1/permits/inbox"),
    ]


async def test_personal_data_is_never_cached(client: httpx.AsyncClient) -> None:
    headers = {role: await login(client, by_role(role).nip) for role in ("asn", "bkd")}
    headers["kepala_unit"] = await login(client, by_role("kepala_unit").nip)
    for role, path in personal_paths(dt.date.today()):
        response = await client.get(path, headers=headers[role])
        assert response.status_code < 500, (path, response.text)
        assert "no-store" in response.headers.get("cache-control", ""), (path, response.headers)
    login_response = await client.post(
        "/api/v1/auth/login", json={"nip": TEACHER.nip, "password": "salah"}
    )
    assert "no-store" in login_response.headers["cache-control"]


async def test_the_swagger_page_loads_only_same_origin_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/schema/swagger")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    references = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert references, html
    for reference in references:
        assert reference.startswith("/") and not reference.startswith("//"), reference
        asset = await client.get(reference)
        assert asset.status_code == 200, reference
        assert_secured(asset)
    # The CSP allows no inline script: every <script> has a src.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), html
    assert "style=" not in html
    scripts = [r for r in references if r.endswith(".js")]
    assert any("swagger-ui-bundle" in s for s in scripts)
    init = next(s for s in scripts if "swagger-ui-bundle" not in s)
    assert "/schema/openapi.json" in (await client.get(init)).text


@pytest.mark.parametrize("path", ["/schema/redoc", "/schema/elements", "/schema/rapidoc"])
async def test_docs_viewers_that_need_a_cdn_are_not_served(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 404 or "cdn" not in response.text.lower()
