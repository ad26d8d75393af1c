"""Domain errors and the one place they become HTTP responses.

Services raise these and know nothing of HTTP. Messages are for people: Indonesian, because the
PWA shows them as they are. Every error body is `{"detail": str, "code": str, "errors": [...]}`.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)


class FieldError(msgspec.Struct, frozen=True):
    field: str
    message: str


class ErrorBody(msgspec.Struct, frozen=True):
    detail: str
    code: str
    errors: list[FieldError] = []


class DomainError(Exception):
    status_code = HTTP_400_BAD_REQUEST
    code = "bad_request"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class Invalid(DomainError):
    """Input that is well-formed but breaks a rule (422)."""

    status_code = HTTP_422_UNPROCESSABLE_ENTITY
    code = "invalid"


class TooLarge(DomainError):
    status_code = HTTP_413_REQUEST_ENTITY_TOO_LARGE
    code = "too_large"


class NotFound(DomainError):
    status_code = HTTP_404_NOT_FOUND
    code = "not_found"


class Conflict(DomainError):
    status_code = HTTP_409_CONFLICT
    code = "conflict"


class Gone(DomainError):
    """What was there once and is no more (a one-time download already taken, or expired)."""

    status_code = 410
    code = "gone"


class Unauthenticated(DomainError):
    status_code = HTTP_401_UNAUTHORIZED
    code = "unauthenticated"

    def __init__(self, detail: str, *, challenge: str = "") -> None:
        super().__init__(detail)
        self.challenge = challenge  # WWW-Authenticate, for machine clients (cameras)


class Forbidden(DomainError):
    status_code = HTTP_403_FORBIDDEN
    code = "forbidden"


class UnsupportedMedia(DomainError):
    """A body of a type the operation does not take (415)."""

    status_code = 415
    code = "unsupported_media_type"


class TooManyRequests(DomainError):
    """A caller sending faster than it may (429), told when to send again."""

    status_code = 429
    code = "too_many_requests"

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = max(1, int(retry_after_s))


class Unavailable(DomainError):
    """A backing service (database, storage, queue) failed; the client should retry.

    Answered with `Retry-After` so the PWA's outbox (and any HTTP client) knows when.
    """

    status_code = HTTP_503_SERVICE_UNAVAILABLE
    code = "unavailable"
    DEFAULT_RETRY_AFTER_S = 5

    def __init__(
        self,
        detail: str = "Layanan sedang sibuk atau tidak tersedia; coba lagi sebentar lagi",
        *,
        errors: list[FieldError] | None = None,
        retry_after_s: int = DEFAULT_RETRY_AFTER_S,
    ) -> None:
        super().__init__(detail, errors=errors)
        self.retry_after_s = max(1, int(retry_after_s))


# --- msgspec validation messages, in words a user understands ----------------------------------

_TYPE_WORDS = {
    "str": "teks",
    "int": "bilangan bulat",
    "float": "angka",
    "bool": "true/false",
    "object": "objek JSON",
    "array": "daftar",
    "null": "kosong (null)",
    "uuid": "UUID",
    "datetime": "waktu ISO-8601",
    "date": "tanggal (YYYY-MM-DD)",
}


def _words(type_name: str) -> str:
    parts = [p.strip(" `") for p in type_name.split("|")]
    return " atau ".join(_TYPE_WORDS.get(p, p) for p in parts)


_RULES: list[tuple[re.Pattern[str], Any]] = [
    (
        re.compile(r"Object missing required field `(?P<f>[^`]+)`"),
        lambda m: (m["f"], "wajib diisi"),
    ),
    (
        re.compile(r"Expected `(?P<t>[^`]+)` (?P<op>>=|<=|>|<) (?P<n>[-\d.e+]+)"),
        lambda m: (None, f"harus {_OPS[m['op']]} {m['n']}"),
    ),
    (
        re.compile(r"Expected `str` of length (?P<op>>=|<=) (?P<n>\d+)"),
        lambda m: (None, f"panjang teks harus {_OPS[m['op']]} {m['n']}"),
    ),
    (
        re.compile(r"Expected `array` of length (?P<op>>=|<=) (?P<n>\d+)"),
        lambda m: (None, f"jumlah isi harus {_OPS[m['op']]} {m['n']}"),
    ),
    (
        re.compile(r"Expected `str` matching regex"),
        lambda m: (None, "formatnya tidak sesuai"),
    ),
    (
        re.compile(r"Expected `(?P<t>[^`]+)`, got `(?P<g>[^`]+)`"),
        lambda m: (None, f"harus berupa {_words(m['t'])}, bukan {_words(m['g'])}"),
    ),
    (
        re.compile(r"Invalid enum value (?P<v>.+?)(?: -|$)"),
        lambda m: (None, f"nilai {m['v']} tidak dikenal"),
    ),
    (re.compile(r"Invalid UUID"), lambda m: (None, "bukan UUID yang sah")),
    (
        re.compile(r"Invalid RFC3339 encoded datetime"),
        lambda m: (None, "bukan waktu ISO-8601 yang sah (contoh 2026-11-23T07:15:00+07:00)"),
    ),
    (
        re.compile(r"Invalid RFC3339 encoded date"),
        lambda m: (None, "bukan tanggal YYYY-MM-DD yang sah"),
    ),
    (
        re.compile(r"Expected `datetime` with a timezone"),
        lambda m: (None, "waktu harus menyertakan zona waktu (contoh +07:00)"),
    ),
    (
        re.compile(r"Object contains unknown field `(?P<f>[^`]+)`"),
        lambda m: (m["f"], "tidak dikenal"),
    ),
    (re.compile(r"JSON is malformed"), lambda m: (None, "JSON tidak sah")),
    (re.compile(r"Input data was truncated"), lambda m: (None, "JSON terpotong")),
]
_OPS = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}
_PATH = re.compile(r" - at `\$(?P<p>[^`]*)`$")


def explain_validation(
    exc: msgspec.ValidationError | msgspec.DecodeError, *, part: str = ""
) -> FieldError:
    """Turn one msgspec error into a field and an Indonesian message."""
    text = str(exc)
    field = ""
    if m := _PATH.search(text):
        field = m["p"].lstrip(".")
        text = text[: m.start()]
    message = "tidak sah"
    for pattern, render in _RULES:
        if m := pattern.search(text):
            named, message = render(m)
            if named:
                field = f"{field}.{named}" if field else named
            break
    if field == "" and part:
        field = part
    elif part:
        field = f"{part}.{field}"
    return FieldError(field=field, message=message)


def invalid_from_msgspec(
    exc: msgspec.ValidationError | msgspec.DecodeError, *, part: str = ""
) -> Invalid:
    error = explain_validation(exc, part=part)
    return Invalid(f"{error.field or 'data'}: {error.message}", errors=[error])


# --- responses ----------------------------------------------------------------------------------


def _response(
    status: int, body: ErrorBody, headers: dict[str, str] | None = None
) -> Response[ErrorBody]:
    return Response(body, status_code=status, headers=headers)


def domain_error_handler(_: Request[Any, Any, Any], exc: DomainError) -> Response[ErrorBody]:
    # Unavailable (503) and rate limits (429) say when to come back.
    retry_after = getattr(exc, "retry_after_s", None)
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    if isinstance(exc, Unauthenticated) and exc.challenge:
        headers = {**(headers or {}), "WWW-Authenticate": exc.challenge}
    return _response(
        exc.status_code, ErrorBody(detail=exc.detail, code=exc.code, errors=exc.errors), headers
    )


def validation_exception_handler(
    _: Request[Any, Any, Any], exc: ValidationException
) -> Response[ErrorBody]:
    """Litestar's own request validation (path, query, JSON body) in the same shape."""
    errors: list[FieldError] = []
    for extra in exc.extra if isinstance(exc.extra, list) else []:
        if not isinstance(extra, dict):
            continue
        raw = str(extra.get("message", ""))
        key = str(extra.get("key", "") or "")
        error = explain_validation(msgspec.ValidationError(raw))
        errors.append(FieldError(field=error.field or key, message=error.message))
    detail = "; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in errors)
    return _response(
        HTTP_400_BAD_REQUEST,
        ErrorBody(detail=detail or "Permintaan tidak sah", code="bad_request", errors=errors),
    )


_HTTP_WORDS = {
    HTTP_401_UNAUTHORIZED: ("unauthenticated", "Silakan masuk (login) terlebih dahulu"),
    HTTP_403_FORBIDDEN: ("forbidden", "Anda tidak berhak mengakses ini"),
    HTTP_404_NOT_FOUND: ("not_found", "Tidak ditemukan"),
    405: ("method_not_allowed", "Metode tidak diizinkan untuk alamat ini"),
    HTTP_413_REQUEST_ENTITY_TOO_LARGE: ("too_large", "Permintaan terlalu besar"),
    415: ("unsupported_media_type", "Jenis isi (Content-Type) permintaan tidak didukung"),
    HTTP_503_SERVICE_UNAVAILABLE: (
        "unavailable",
        "Layanan sedang sibuk atau tidak tersedia; coba lagi sebentar lagi",
    ),
}


class SessionEnded(NotAuthorizedException):
    """A signed token whose session was ended (deactivation, new password or roles): the 401
    says so in full words, code `session_ended`, so a client can show it as it is."""


def http_exception_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[ErrorBody]:
    if isinstance(exc, SessionEnded):
        return _response(exc.status_code, ErrorBody(detail=exc.detail, code="session_ended"))
    if exc.status_code == HTTP_400_BAD_REQUEST:
        # Litestar's own 400s (malformed JSON or multipart) carry msgspec's English text.
        error = explain_validation(msgspec.DecodeError(exc.detail))
        words = error.message if error.message != "tidak sah" else "Permintaan tidak sah"
        return _response(exc.status_code, ErrorBody(detail=words, code="bad_request"))
    code, words = _HTTP_WORDS.get(exc.status_code, ("error", exc.detail))
    if isinstance(exc, NotAuthorizedException | PermissionDeniedException) and exc.detail not in (
        "",
        "Unauthorized",
        "Forbidden",
    ):
        words = f"{words} ({exc.detail})" if not exc.detail.startswith("No JWT") else words
    headers = None
    if exc.status_code == HTTP_503_SERVICE_UNAVAILABLE:
        headers = {"Retry-After": str(Unavailable.DEFAULT_RETRY_AFTER_S)}
    return _response(exc.status_code, ErrorBody(detail=words, code=code), headers)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    request.logger.exception("unhandled error", exc_info=exc)
    return _response(
        HTTP_500_INTERNAL_SERVER_ERROR,
        ErrorBody(detail="Terjadi kesalahan di server; coba lagi nanti", code="internal"),
    )


def recursion_error_handler(
    request: Request[Any, Any, Any], exc: RecursionError
) -> Response[ErrorBody]:
    """JSON nested deeper than msgspec will follow (about a thousand levels) is the client's
    fault; any other runaway recursion is ours."""
    if "deserializ" not in str(exc):
        return internal_error_handler(request, exc)
    return _response(
        HTTP_400_BAD_REQUEST,
        ErrorBody(detail="JSON terlalu dalam bersarangnya", code="bad_request"),
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error_handler,
    RecursionError: recursion_error_handler,
    ValidationException: validation_exception_handler,
    HTTPException: http_exception_handler,
    HTTP_500_INTERNAL_SERVER_ERROR: internal_error_handler,
}
