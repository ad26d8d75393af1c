"""The one mapping of errors to responses: shape, status and headers."""

from __future__ import annotations

import msgspec
from litestar import Litestar, get
from litestar.exceptions import ServiceUnavailableException
from litestar.testing import TestClient

from backend.core.app import SECURITY_HEADERS, secure_headers
from backend.core.errors import EXCEPTION_HANDLERS, Unavailable, explain_validation


def app_raising(exc: Exception) -> Litestar:
    @get("/api/v1/boom")
    async def boom() -> None:
        raise exc

    return Litestar([boom], exception_handlers=EXCEPTION_HANDLERS, before_send=[secure_headers])


def test_unavailable_answers_503_with_retry_after() -> None:
    with TestClient(app_raising(Unavailable("Basis data tidak menjawab", retry_after_s=7))) as c:
        response = c.get("/api/v1/boom")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "7"
    assert response.json() == {
        "detail": "Basis data tidak menjawab",
        "code": "unavailable",
        "errors": [],
    }


def test_unavailable_has_a_default_retry_after_and_so_does_litestars_503() -> None:
    for exc in (Unavailable(), ServiceUnavailableException()):
        with TestClient(app_raising(exc)) as c:
            response = c.get("/api/v1/boom")
        assert response.status_code == 503
        assert int(response.headers["retry-after"]) >= 1
        assert response.json()["code"] == "unavailable"


def test_a_recursion_error_that_is_not_decoding_stays_a_500() -> None:
    with TestClient(app_raising(RecursionError("maximum recursion depth exceeded"))) as c:
        response = c.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.json()["code"] == "internal"
    # Even a crash carries the security headers and is not cached.
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["cache-control"] == "no-store"


def test_msgspec_limits_read_in_indonesian() -> None:
    error = explain_validation(msgspec.ValidationError("Expected `int` <= 2147483647"))
    assert error.message == "harus ≤ 2147483647"
