"""Input the API cannot use is refused with a 4xx in the error shape, never a 500: ids beyond the
database column, JSON nested absurdly deep, malformed JSON, wrong content types, huge bodies."""

from __future__ import annotations

import httpx
import pytest

from tests.support.factories import by_role, checkin_files, login, meta

TOO_BIG_IDS = ("2147483648", "9223372036854775808", "99999999999999999999999", "0", "-1")


def assert_error_shape(response: httpx.Response, *statuses: int) -> dict:
    assert response.status_code in statuses, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}, body
    assert body["detail"]
    return body


@pytest.mark.parametrize("value", TOO_BIG_IDS)
async def test_ids_beyond_the_column_are_refused_not_500(
    client: httpx.AsyncClient, teacher: dict[str, str], value: str
) -> None:
    bkd = await login(client, by_role("bkd").nip)
    for method, path, headers in (
        ("GET", f"/api/v1/checkins/{value}", teacher),
        ("GET", f"/api/v1/permits/{value}", teacher),
        ("POST", f"/api/v1/permits/{value}/cancel", teacher),
        ("GET", f"/api/v1/permits/{value}/attachment", teacher),
        ("POST", f"/api/v1/reviews/{value}", bkd),
    ):
        json = {"decision": "accept", "note": "ok"} if "reviews" in path else None
        response = await client.request(method, path, headers=headers, json=json)
        body = assert_error_shape(response, 400, 404, 422)
        if response.status_code == 400:
            assert "checkin_id" in body["detail"] or "permit_id" in body["detail"], body


async def test_the_largest_id_that_fits_is_simply_not_found(
    client: httpx.AsyncClient, teacher: dict[str, str]
) -> None:
    response = await client.get("/api/v1/checkins/2147483647", headers=teacher)
    assert_error_shape(response, 404)


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


async def test_json_nested_a_thousand_deep_is_refused(
    client: httpx.AsyncClient, teacher: dict[str, str]
) -> None:
    bkd = await login(client, by_role("bkd").nip)
    for path, headers in (
        ("/api/v1/auth/login", {}),
        ("/api/v1/push/subscriptions", teacher),
        ("/api/v1/reviews/1", bkd),
    ):
        for body in (nested(1_000), b'{"a":' * 1_000 + b"1" + b"}" * 1_000, nested(100_000)):
            response = await client.post(
                path, content=body, headers={**headers, "Content-Type": "application/json"}
            )
            assert_error_shape(response, 400, 413, 422)


async def test_deep_json_inside_a_multipart_meta_is_refused(
    client: httpx.AsyncClient, teacher: dict[str, str]
) -> None:
    files = checkin_files(meta())
    files["meta"] = ("meta.json", nested(5_000), "application/json")
    response = await client.post("/api/v1/checkins", files=files, headers=teacher)
    assert_error_shape(response, 400, 422)


@pytest.mark.parametrize(
    "content",
    [b"{", b'{"nip": ', b"\xff\xfe", b"null", b"[]", b'"x"', b"1e999999", b'{"nip": 1}'],
)
async def test_malformed_json_is_400_in_the_error_shape(
    client: httpx.AsyncClient, content: bytes
) -> None:
    response = await client.post(
        "/api/v1/auth/login", content=content, headers={"Content-Type": "application/json"}
    )
    body = assert_error_shape(response, 400, 422)
    assert body["code"] in ("bad_request", "invalid")
    # Indonesian words, not msgspec's English.
    assert not any(word in body["detail"] for word in ("malformed", "Expected", "Validation"))


async def test_a_wrong_content_type_is_4xx(
    client: httpx.AsyncClient, teacher: dict[str, str]
) -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "image/jpeg"):
        response = await client.post(
            "/api/v1/checkins", content=b"nip=1", headers={**teacher, "Content-Type": content_type}
        )
        assert_error_shape(response, 400, 415, 422)
    response = await client.post(
        "/api/v1/auth/login",
        content=b"nip=1&password=2",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_error_shape(response, 400, 415, 422)
    response = await client.post(
        "/api/v1/checkins",
        content=b"--x\r\nbroken",
        headers={**teacher, "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert_error_shape(response, 400, 422)


async def test_oversized_bodies_are_413_in_the_error_shape(
    client: httpx.AsyncClient, teacher: dict[str, str]
) -> None:
    huge = b"x" * 3_000_000
    response = await client.post(
        "/api/v1/auth/login", content=huge, headers={"Content-Type": "application/json"}
    )
    assert_error_shape(response, 413)
    files = checkin_files(meta(), selfie=huge)
    response = await client.post("/api/v1/checkins", files=files, headers=teacher)
    assert_error_shape(response, 413)


async def test_query_limits_are_checked(client: httpx.AsyncClient, teacher: dict[str, str]) -> None:
    for params in ({"date": "99999-01-01"}, {"date": "x"}):
        response = await client.get("/api/v1/checkins", params=params, headers=teacher)
        assert_error_shape(response, 400)


async def test_query_words_are_bounded(client: httpx.AsyncClient) -> None:
    bkd = await login(client, by_role("bkd").nip)
    long = "x" * 5_000
    for path, params in (
        ("/api/v1/reviews", {"unit": long}),
        ("/api/v1/reviews", {"reason": long}),
        ("/api/v1/recap", {"unit": long, "month": "2026-06"}),
        ("/api/v1/push/subscriptions", {"endpoint": long}),
    ):
        method = "DELETE" if "push" in path else "GET"
        response = await client.request(method, path, params=params, headers=bkd)
        body = assert_error_shape(response, 400)
        assert "≤ " in body["detail"], body
