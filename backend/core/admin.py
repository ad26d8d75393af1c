"""Piccolo Admin at /admin/, signed in through hadir's own NIP login and roles.

Piccolo Admin (a FastAPI app) keeps master data through screens instead of hand-written CRUD per
table. Out of the box it signs people in against its own user table (piccolo_api sessions on
`BaseUser`); hadir has no second user base, so the pieces that touch identity are replaced:

- `POST /admin/public/login/` (what its login screen posts: `{username, password}`) runs hadir's
  login (NIP and password, the same per-NIP and per-address limits) and lets only a role that
  reaches `admin.screens` in the access policy in. It sets an httpOnly, SameSite=Strict cookie
  scoped to /admin/ holding a hadir token that lives `SESSION` (8 hours), not the PWA's 7 days.
- Every call under /admin/api/ is checked by `Gate`: the cookie (or a PWA bearer token) must be
  a valid hadir token whose version is current (core.auth.TokenVersions: a deactivated admin,
  or one whose roles or password changed, is out at once) and whose roles reach
  `admin.screens`: 401 without, 403 for any other role.
- `POST /admin/api/change-password/` changes the hadir password (the PWA's rule and effect).
- Every write (create, edit, delete) is audited by `AuditedWrites`: before and after in
  `core_audit`, in the transaction of the change, under the NIP of the admin.

Core imports no domain: which tables are shown, and the rules of each, come from the composition
(`backend/admin_screens.py`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from types import SimpleNamespace
from typing import Any

import msgspec
from litestar.exceptions import NotAuthorizedException
from litestar.security.jwt import JWTAuth, Token
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table
from piccolo_admin.endpoints import AdminRouter, TableConfig, create_admin
from piccolo_admin.translations.data import ENGLISH
from piccolo_admin.translations.models import Translation
from piccolo_api.csrf.middleware import CSRFMiddleware
from starlette.datastructures import URL
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from backend.core import audit
from backend.core.auth import ENDED, Principal, TokenVersions
from backend.core.errors import DomainError
from backend.core.policy import scope as policy_scope

# Piccolo Admin filters text with ILIKE; on SQLite Piccolo falls back to LIKE (which is already
# case-insensitive for ASCII there) and warns on every such query. The result is right: no
# warning per request in the log.
warnings.filterwarnings("ignore", message=r".*SQLite doesn't support ILIKE")

ACTION = "admin.screens"
COOKIE = "hadir_admin"
SESSION = dt.timedelta(hours=8)
PREFIX = "/admin/"

# The PWA's policy (backend/core/app.py), relaxed where Piccolo Admin's Vue bundle needs it:
# - style-src 'unsafe-inline': the bundle inserts <style> elements at run time (Font Awesome's
#   SVG core and component styles) and sets style attributes; without it the icons render huge
#   and the layout breaks. Scripts stay 'self' only: no inline script, no eval, no other origin.
# - img-src data: for the bundle's inline SVG icons.
# form-action stays 'self', frames none. The admin token is httpOnly, so a script that got in
# could not read it anyway.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "worker-src 'none'; manifest-src 'none'"
)

NOT_SIGNED_IN = "Belum masuk: masuk dengan NIP dan kata sandi akun admin"
NOT_ADMIN = "Layar data induk hanya untuk peran admin"
MUST_CHANGE = (
    "Akun ini masih memakai kata sandi sekali pakai: ganti dulu di aplikasi hadir "
    "(Akun → Ganti kata sandi), lalu masuk lagi"
)


class Refused(Exception):
    """An answer in hadir's error shape, from the bridge itself."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail

    def response(self) -> JSONResponse:
        return JSONResponse(
            {"detail": self.detail, "code": self.code, "errors": []}, status_code=self.status
        )


def domain_response(exc: DomainError) -> JSONResponse:
    response = JSONResponse(
        {
            "detail": exc.detail,
            "code": exc.code,
            "errors": [msgspec.to_builtins(e) for e in exc.errors],
        },
        status_code=exc.status_code,
    )
    retry = getattr(exc, "retry_after_s", None)
    if retry:
        response.headers["retry-after"] = str(retry)
    return response


class AdminUser:
    """What Starlette and Piccolo Admin read as `request.user`: the hadir principal."""

    is_authenticated = True

    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.display_name = f"{principal.name} ({principal.nip})"
        self.identity = principal.nip
        self.user_id = principal.employee_id
        # Piccolo Admin's guard of its own user tables reads `.user.superuser`; those tables
        # are not mounted, and nobody here is a Piccolo superuser.
        self.user = SimpleNamespace(
            id=principal.employee_id, username=principal.nip, superuser=False, admin=True
        )


# (nip, password, peer address, X-Forwarded-For) -> (the principal, whether a new password is
# due first)
Login = Callable[[str, str, str | None, str | None], Awaitable[tuple[Principal, bool]]]
# (who, old, new) -> the principal with its new token version
ChangePassword = Callable[[Principal, str, str], Awaitable[Principal]]


class AdminSessions:
    """Issues and checks the admin cookie: a hadir token, short-lived."""

    def __init__(
        self,
        jwt: JWTAuth[Principal, Token],
        versions: TokenVersions | None,
        login: Login,
        change_password: ChangePassword,
        *,
        ttl: dt.timedelta = SESSION,
    ) -> None:
        self.jwt = jwt
        self.versions = versions
        self.login = login
        self.change_password = change_password
        self.ttl = ttl

    def issue(self, principal: Principal) -> str:
        return self.jwt.create_token(
            identifier=principal.nip,
            token_expiration=self.ttl,
            token_extras=msgspec.to_builtins(principal),
        )

    def set_cookie(self, response: Response, request: Request, principal: Principal) -> None:
        response.set_cookie(
            COOKIE,
            self.issue(principal),
            max_age=int(self.ttl.total_seconds()),
            path=PREFIX,
            httponly=True,
            secure=request.url.scheme == "https",
            samesite="strict",
        )

    async def who(self, scope: dict[str, Any]) -> Principal:
        """The admin behind this request, or Refused (401 / 403)."""
        encoded = _token_of(scope)
        if not encoded:
            raise Refused(401, "unauthenticated", NOT_SIGNED_IN)
        try:
            token = self.jwt.token_cls.decode(
                encoded_token=encoded,
                secret=self.jwt.token_secret,
                algorithm=self.jwt.algorithm,
            )
            principal = msgspec.convert(token.extras, Principal)
        except (NotAuthorizedException, msgspec.ValidationError):
            raise Refused(401, "unauthenticated", NOT_SIGNED_IN) from None
        if self.versions is not None and not await self.versions.current(principal):
            raise Refused(401, "session_ended", ENDED)
        if policy_scope(principal, ACTION) is None:
            raise Refused(403, "forbidden", NOT_ADMIN)
        return principal


def _token_of(scope: dict[str, Any]) -> str:
    cookie_header = ""
    for name, value in scope.get("headers") or []:
        if name == b"authorization":
            kind, _, token = value.decode("latin-1").partition(" ")
            if kind.lower() == "bearer" and token.strip():
                return token.strip()
        elif name == b"cookie":
            cookie_header += value.decode("latin-1") + ";"
    if cookie_header:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(cookie_header)
        except Exception:  # an unparsable cookie header is no session
            return ""
        if COOKIE in jar:
            return jar[COOKIE].value
    return ""


class Gate:
    """In front of Piccolo Admin's private API: only a current hadir admin passes."""

    def __init__(self, app: Any, sessions: AdminSessions) -> None:
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":  # the admin API has no websockets
            await send({"type": "websocket.close", "code": 1008})
            return
        try:
            principal = await self.sessions.who(scope)
        except Refused as refused:
            await refused.response()(scope, receive, send)
            return
        except DomainError as exc:  # the token check could not reach the database: 503
            await domain_response(exc)(scope, receive, send)
            return
        scope["user"] = AdminUser(principal)
        scope["auth"] = SimpleNamespace(scopes=["authenticated", "admin"])
        await self.app(scope, receive, send)


# --- audited writes ------------------------------------------------------------------------------

Values = dict[str, Any]


@dataclass(frozen=True)
class Rules:
    """What may be written to one table through the screens, and what follows a write.

    `read_only` columns keep their stored value on an edit (the form posts them anyway) and
    take their default in a new row. `check(who, before, values)` raises Refused or DomainError to refuse a write (`before` is
    None for a new row, `values` the posted columns); `after(who, before, after)` runs in the
    write's transaction; `committed(before, after)` after it (e.g. to drop a cache).
    """

    read_only: frozenset[str] = frozenset()
    create: bool = True
    delete: bool = True
    check: Callable[[Principal, Values | None, Values], None] | None = None
    after: Callable[[Principal, Values | None, Values | None], Awaitable[None]] | None = None
    committed: Callable[[Values | None, Values | None], None] | None = None


@dataclass
class Screen:
    """One table on the screens: Piccolo Admin's TableConfig and hadir's rules."""

    config: TableConfig
    rules: Rules = field(default_factory=Rules)

    @property
    def table(self) -> type[Table]:
        return self.config.table_class


_ROW = re.compile(r"^/tables/(?P<table>[a-z0-9_]+)/(?:(?P<pk>[^/]+)/)?$")
_WRITES = {"POST", "PATCH", "PUT", "DELETE"}
_NOT_A_ROW = {"ids", "new", "count", "schema", "references"}


class _Rollback(Exception):
    pass


class AuditedWrites:
    """Every write through the admin API, audited (who, when, before, after) in its transaction.

    The request is run inside one database transaction; its answer is held back until the
    transaction commits, so what the admin sees saved is saved with its audit entry, and a
    refused write leaves neither.
    """

    def __init__(self, app: Any, screens: Sequence[Screen]) -> None:
        self.app = app
        self.screens = {s.table._meta.tablename: s for s in screens}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        match = _ROW.match(_below(scope)) if scope["type"] == "http" else None
        if match is None or scope["method"] not in _WRITES:
            await self.app(scope, receive, send)
            return
        screen = self.screens.get(match["table"])
        pk = match["pk"]
        if screen is None or pk in _NOT_A_ROW:
            await self.app(scope, receive, send)
            return
        try:
            await self._write(screen, pk, scope, receive, send)
        except Refused as refused:
            await refused.response()(scope, receive, send)
        except DomainError as exc:
            await domain_response(exc)(scope, receive, send)

    async def _write(
        self, screen: Screen, pk: str | None, scope: dict[str, Any], receive: Any, send: Any
    ) -> None:
        who: Principal = scope["user"].principal
        method = scope["method"]
        body = original = await _read_body(receive)
        values = _json_object(body) if method in ("POST", "PATCH", "PUT") else {}
        table = screen.table
        rules = screen.rules
        if pk is None and method != "POST":
            raise Refused(405, "not_allowed", "Hapus atau ubah satu baris saja")
        if method == "POST" and not rules.create:
            raise Refused(405, "not_allowed", "Baris baru tabel ini tidak dibuat di sini")
        if method == "DELETE" and not rules.delete:
            raise Refused(405, "not_allowed", "Baris tabel ini tidak dihapus di sini")
        key = _primary_key(table, pk) if pk is not None else None
        if method == "POST" and rules.read_only:
            # A new row's read-only columns take their defaults, whatever the form sent (the
            # screen posts every column, with the defaults it read from `/new/`).
            for column in rules.read_only:
                default = table._meta.get_column_by_name(column).get_default_value()
                values[column] = default.python() if hasattr(default, "python") else default
            body = msgspec.json.encode(values)
        elif method in ("PATCH", "PUT") and rules.read_only & values.keys():
            # The edit form posts every column it shows, read-only ones too (timestamps in its
            # own format and resolution): those keep their stored values.
            values = {k: v for k, v in values.items() if k not in rules.read_only}
            if not values:
                raise Refused(422, "invalid", "Kolom ini tidak diubah lewat layar ini")
            body = msgspec.json.encode(values)
        if body is not original:
            scope = {
                **scope,
                "headers": [(k, v) for k, v in scope.get("headers") or [] if k != b"content-length"]
                + [(b"content-length", str(len(body)).encode())],
            }

        held: list[dict[str, Any]] = []

        async def hold(message: dict[str, Any]) -> None:
            held.append(message)

        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        before: Values | None = None
        after: Values | None = None
        try:
            async with _write_transaction(table._meta.db):
                before = await _row(table, key) if key is not None else None
                if key is not None and before is None:
                    raise Refused(404, "not_found", "Baris tidak ditemukan")
                if rules.check is not None and method != "DELETE":
                    rules.check(who, before, values)
                await self.app(scope, replay, hold)
                status = next(m["status"] for m in held if m["type"] == "http.response.start")
                if status >= 300:
                    raise _Rollback
                if method == "POST":
                    key = _created_key(table, held)
                after = await _row(table, key) if method != "DELETE" else None
                if rules.after is not None:
                    await rules.after(who, before, after)
                await audit.record(
                    actor=who.nip,
                    action={"POST": "admin.create", "DELETE": "admin.delete"}.get(
                        method, "admin.update"
                    ),
                    target=table._meta.tablename,
                    target_key=str(key),
                    before=before,
                    after=after,
                )
        except _Rollback:
            pass
        else:
            if rules.committed is not None:
                rules.committed(before, after)
        for message in held:
            await send(message)


def _write_transaction(engine: Any) -> Any:
    """On SQLite the write lock is taken at the start (IMMEDIATE): a transaction that read the
    row first and wrote later could not upgrade its snapshot under WAL when another process
    wrote in between (as core.outbox does)."""
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


def _below(scope: dict[str, Any]) -> str:
    """The path under the app's mount point (Starlette keeps the full path and a root_path)."""
    path, root = scope.get("path", ""), scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def _read_body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _json_object(body: bytes) -> Values:
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        raise Refused(400, "bad_request", "Isi permintaan bukan JSON") from None
    if not isinstance(parsed, dict):
        raise Refused(400, "bad_request", "Isi permintaan harus objek JSON")
    return parsed


def _primary_key(table: type[Table], pk: str) -> Any:
    try:
        return table._meta.primary_key.value_type(pk)
    except (TypeError, ValueError):
        raise Refused(404, "not_found", "Baris tidak ditemukan") from None


def _created_key(table: type[Table], held: list[dict[str, Any]]) -> Any:
    body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
    created = json.loads(body)
    row = created[0] if isinstance(created, list) else created
    return row[table._meta.primary_key._meta.name]


async def _row(table: type[Table], key: Any) -> Values | None:
    return (
        await table.select(*table._meta.columns)
        .where(table._meta.primary_key == key)
        .first()
        .output(load_json=True)
    )


# --- the mounted app -----------------------------------------------------------------------------

# Piccolo Admin's UI strings in Indonesian (its `translations` argument takes custom ones; keys
# are the English phrases of piccolo_admin.translations.data.ENGLISH).
INDONESIAN = Translation(
    language_name="Bahasa Indonesia",
    language_code="id",
    translations={
        "About": "Tentang",
        "Add Row": "Tambah Baris",
        "Add": "Tambah",
        "Apply": "Terapkan",
        "Ascending": "Naik",
        "Back to home page": "Kembali ke beranda",
        "Back": "Kembali",
        "Change Password": "Ganti Kata Sandi",
        "Clear filters": "Hapus saringan",
        "Close": "Tutup",
        "Comma": "Koma",
        "Create": "Buat",
        "Current password": "Kata sandi sekarang",
        "Dark Mode": "Mode Gelap",
        "Days": "Hari",
        "Delete": "Hapus",
        "Delimiter": "Pemisah",
        "Descending": "Turun",
        "Download": "Unduh",
        "Download failed": "Gagal mengunduh",
        "Download successful": "Berhasil diunduh",
        "Edit": "Ubah",
        "Export CSV": "Ekspor CSV",
        "Filter": "Saring",
        "For timestamps which are timezone aware, they will be displayed in this timezone by default.": "Waktu yang menyimpan zona waktu ditampilkan dalam zona waktu ini.",
        "Form submitted": "Formulir terkirim",
        "Forms": "Formulir",
        "Hide Filters": "Sembunyikan Saringan",
        "Hide referencing tables": "Sembunyikan tabel yang merujuk",
        "Home": "Beranda",
        "Hours": "Jam",
        "Light Mode": "Mode Terang",
        "Links": "Tautan",
        "Loading": "Memuat",
        "Log Out": "Keluar",
        "Login": "Masuk",
        "MFA Code": "Kode MFA",
        "MFA Setup": "Pengaturan MFA",
        "Minutes": "Menit",
        "New password confirmation": "Ulangi kata sandi baru",
        "New password": "Kata sandi baru",
        "New value": "Nilai baru",
        "No results found": "Tidak ada hasil",
        "Note: Large data sets may take a while.": "Catatan: data yang besar perlu waktu.",
        "Note: They are converted to UTC when stored in the database.": "Catatan: disimpan dalam UTC di basis data.",
        "of": "dari",
        "page": "halaman",
        "Password": "Kata sandi",
        "result(s)": "hasil",
        "rows": "baris",
        "Save": "Simpan",
        "Seconds": "Detik",
        "Select a column to update": "Pilih kolom yang diubah",
        "Select a Column": "Pilih Kolom",
        "Select a table in the sidebar to get started.": "Pilih tabel di samping untuk mulai.",
        "selected result(s) on": "hasil terpilih di",
        "Semicolon": "Titik koma",
        "Set Timezone": "Atur Zona Waktu",
        "Show Filters": "Tampilkan Saringan",
        "Show referencing tables": "Tampilkan tabel yang merujuk",
        "Showing": "Menampilkan",
        "Sort by": "Urutkan menurut",
        "Sort": "Urutkan",
        "Submit": "Kirim",
        "Tables": "Tabel",
        "Timezone": "Zona waktu",
        "Thanks for using Piccolo Admin.": "Data induk hadir, dengan Piccolo Admin.",
        "Update": "Perbarui",
        "Use again": "Pakai lagi",
        "Username": "NIP",
        "Version": "Versi",
        "Weeks": "Minggu",
        "Welcome to": "Selamat datang di",
        "with a matching": "yang cocok dengan",
    },
)


def _login_endpoint(sessions: AdminSessions) -> Callable[[Request], Awaitable[Response]]:
    async def login(request: Request) -> Response:
        try:
            body = (
                await request.json()
                if request.headers.get("content-type", "").startswith("application/json")
                else dict(await request.form())
            )
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return Refused(400, "bad_request", "Isi permintaan bukan JSON").response()
        nip, password = body.get("username"), body.get("password")
        if not isinstance(nip, str) or not isinstance(password, str) or not nip or not password:
            return Refused(422, "invalid", "Isi NIP dan kata sandi").response()
        peer = request.client.host if request.client else None
        try:
            principal, must_change = await sessions.login(
                nip, password, peer, request.headers.get("x-forwarded-for")
            )
        except DomainError as exc:
            return domain_response(exc)
        if policy_scope(principal, ACTION) is None:
            return Refused(403, "forbidden", NOT_ADMIN).response()
        if must_change:
            return Refused(403, "password_change_required", MUST_CHANGE).response()
        response = JSONResponse({"message": "logged in"})
        sessions.set_cookie(response, request, principal)
        return response

    return login


async def _logout(request: Request) -> Response:
    response = JSONResponse({"message": "logged out"})
    response.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="strict")
    return response


def _change_password_endpoint(
    sessions: AdminSessions,
) -> Callable[[Request], Awaitable[Response]]:
    async def change_password(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return Refused(400, "bad_request", "Isi permintaan bukan JSON").response()
        old, new = body.get("current_password"), body.get("new_password")
        if not isinstance(old, str) or not isinstance(new, str):
            return Refused(422, "invalid", "Isi kata sandi sekarang dan yang baru").response()
        if body.get("confirm_new_password", new) != new:
            return Refused(422, "invalid", "Kata sandi baru tidak sama").response()
        try:
            principal = await sessions.change_password(request.user.principal, old, new)
        except DomainError as exc:
            return domain_response(exc)
        response = JSONResponse({"message": "Kata sandi diganti; sesi lain berakhir"})
        sessions.set_cookie(response, request, principal)
        return response

    return change_password


class SameOriginCSRF(CSRFMiddleware):
    """Piccolo's CSRF check (double-submit cookie) with its HTTPS Origin/Referer check made
    against the request's own host, instead of a list of host names hadir has no setting for."""

    def is_valid_referer(self, request: Request) -> bool:
        header = request.headers.get("origin") or request.headers.get("referer") or ""
        host = request.headers.get("host", "")
        return bool(header and host) and URL(header).netloc == host


class Headers:
    """hadir's security headers with the admin's CSP (set here, so the app-wide hook that adds
    the PWA's stricter one leaves it), and no-store on the API (personal data)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Litestar hands the mount the path below /admin with no root_path; Starlette (inside
        # Piccolo Admin) expects the full path and the root_path, so that its URLs and
        # redirects keep the prefix.
        below = scope.get("path", "") or "/"
        raw = scope.get("raw_path") or b""
        if below == "/" and raw and not raw.endswith(b"/"):
            # /admin without the slash: the bundle's relative asset paths need it.
            await Response(status_code=308, headers={"location": PREFIX})(scope, receive, send)
            return
        # No `http.response.pathsend` (granian offers it): Starlette's static files would hand
        # the server a path, past Litestar's compression and headers (a 500 there); as bodies,
        # the 1.6 MB bundle is gzipped to ~0.5 MB like the PWA's files.
        extensions = {
            k: v
            for k, v in (scope.get("extensions") or {}).items()
            if k != "http.response.pathsend"
        }
        scope = {
            **scope,
            "root_path": PREFIX.rstrip("/"),
            "path": PREFIX.rstrip("/") + below,
            "extensions": extensions,
        }
        api = below.startswith(("/api/", "/public/"))

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers") or []
                    if k.lower() not in (b"content-security-policy", b"cache-control")
                ]
                headers.append((b"content-security-policy", CSP.encode()))
                if api:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def create(
    screens: Sequence[Screen], sessions: AdminSessions, *, site_name: str = "hadir · Data induk"
) -> Any:
    """Piccolo Admin over `screens`, its identity parts replaced by hadir's."""
    admin: AdminRouter = create_admin(
        [s.config for s in screens],
        site_name=site_name,
        default_language_code="id",
        translations=[INDONESIAN, ENGLISH],
        page_size=25,
        production=True,
    )
    admin.user_middleware = [
        Middleware(SameOriginCSRF, allowed_hosts=[], allow_form_param=True)
        if m.cls is CSRFMiddleware
        else m
        for m in admin.user_middleware
    ]
    for route in admin.router.routes:
        if isinstance(route, Mount) and route.path == "/api":
            private = route.app.app  # inside piccolo's session AuthenticationMiddleware
            private.router.routes = [
                r
                for r in private.router.routes
                if getattr(r, "path", "") not in ("/change-password/", "/docs")
            ]
            private.router.routes.insert(
                0,
                Route("/change-password/", _change_password_endpoint(sessions), methods=["POST"]),
            )
            route.app = Gate(AuditedWrites(private, screens), sessions)
        elif isinstance(route, Mount) and route.path == "/public":
            public = route.app
            public.router.routes = [
                r
                for r in public.router.routes
                if getattr(r, "path", "") not in ("/login", "/logout/", "/docs")
            ]
            public.router.routes[:0] = [
                Route("/login/", _login_endpoint(sessions), methods=["POST"]),
                Route("/logout/", _logout, methods=["POST"]),
            ]
    return Headers(admin)
