"""The app factory: `create_app(settings)` builds the one Litestar app."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec
from litestar import Litestar, Response, asgi, get
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.openapi import OpenAPIConfig
from litestar.params import FromPath, FromQuery
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from litestar.types import Message, Scope

from backend.core.auth import PasswordChecker, TokenIssuer, TokenVersions, jwt_auth
from backend.core.docs import LocalSwagger, document_errors
from backend.core.errors import EXCEPTION_HANDLERS
from backend.core.ratelimit import login_limiter
from backend.core.settings import Settings

PWA_DIR = Path(__file__).parents[2] / "pwa"
# The back office's desks (BKD, admin): served beside the PWA, outside its offline shell.
DESK_DIR = Path(__file__).parents[2] / "desk"
# JSON bodies are small (a login, a decision, a push subscription); routes taking photos set
# their own, larger limit. Litestar's default is 10 MB.
MAX_BODY = 1_000_000

# The PWA keeps a bearer token for offline sync, so injected script would be costly: nothing
# inline, nothing from another origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; font-src 'self'; "
    "media-src 'self' blob: mediastream:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "permissions-policy": "geolocation=(self), camera=(self), microphone=()",
}


def csp_for(settings: Settings) -> str:
    """The CSP, with img-src widened to the map tile server's origin where one is configured
    (HADIR_TILE_URL, for the fence editor's background) and nothing else."""
    origin = settings.tile_origin
    if origin is None:
        return CSP
    return CSP.replace("img-src 'self' blob: data:;", f"img-src 'self' blob: data: {origin};")


def security_headers(csp: str) -> list[tuple[bytes, bytes]]:
    return [
        (name.encode(), (csp if name == "content-security-policy" else value).encode())
        for name, value in SECURITY_HEADERS.items()
    ]


_SECURITY_HEADERS = security_headers(CSP)
# Everything under /api/ is about someone (their check-ins, days, permits, faces, a token):
# no browser or proxy cache may keep it. A handler that knows better sets its own Cache-Control.
PERSONAL_PREFIX = "/api/"


def secure_headers_with(
    headers_to_add: list[tuple[bytes, bytes]],
) -> Callable[[Message, Scope], Awaitable[None]]:
    async def secure_headers(message: Message, scope: Scope) -> None:
        """Put the security headers on every response, errors, 404s of unknown routes and
        static files included (a `before_send` hook sees them all), and `no-store` on personal
        data."""
        if message["type"] != "http.response.start":
            return
        headers = list(message.get("headers") or [])
        present = {name.lower() for name, _ in headers}
        headers.extend(h for h in headers_to_add if h[0] not in present)
        if b"cache-control" not in present and scope.get("path", "").startswith(PERSONAL_PREFIX):
            headers.append((b"cache-control", b"no-store"))
        message["headers"] = headers  # type: ignore[typeddict-unknown-key]

    return secure_headers


secure_headers = secure_headers_with(_SECURITY_HEADERS)


class Health(msgspec.Struct):
    status: str
    database: str
    storage: str
    queue: str
    seconds: float


@get("/health", operation_id="health", summary="Database, storage and queue reachability")
async def health(services: NamedDependency[Any]) -> Response[Health]:
    from backend.core.db import ping

    started = time.perf_counter()
    checks: dict[str, str] = {}
    for name, probe in (
        ("database", lambda: ping(services.engine)),
        ("storage", services.store.ping),
        ("queue", services.queue.ping),
    ):
        try:
            await probe()
            checks[name] = "ok"
        except Exception as exc:  # a health probe reports, it does not raise
            checks[name] = f"error: {type(exc).__name__}: {exc}"[:200]
    healthy = all(v == "ok" for v in checks.values())
    body = Health(
        status="ok" if healthy else "degraded",
        seconds=round(time.perf_counter() - started, 4),
        **checks,
    )
    return Response(body, status_code=HTTP_200_OK if healthy else HTTP_503_SERVICE_UNAVAILABLE)


MEDIA_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
# Files that are saved rather than shown (recap exports): named by the key's last part.
DOWNLOADS = frozenset({"xlsx", "csv"})


@get("/api/v1/objects/{key:path}", operation_id="getObject", include_in_schema=False)
async def get_object(
    key: FromPath[str],
    expires: FromQuery[int],
    signature: FromQuery[str],
    services: NamedDependency[Any],
) -> Response[bytes]:
    """Photos and attachments behind short-lived signed links, from whichever store holds them:
    same-origin, so the PWA's CSP can stay at img-src 'self'."""
    store = services.store
    key = key.lstrip("/")
    if not store.verify(key, expires, signature):
        raise NotFoundException()
    extension = key.rsplit(".", 1)[-1]
    headers = {"Cache-Control": "no-store"}  # selfies, references: biometric data (UU PDP)
    if extension in DOWNLOADS:
        name = key.rsplit("/", 1)[-1].replace('"', "")
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(
        await store.get(key),
        media_type=MEDIA_TYPES.get(extension, "application/octet-stream"),
        headers=headers,
    )


def create_app(settings: Settings, *, face_executor: Any = None) -> Litestar:
    from backend import admin_screens, routes
    from backend.services import TOKEN_STATE, open_services

    settings = settings.with_secret()
    versions = TokenVersions(TOKEN_STATE, ttl_s=settings.token_check_ttl_s)
    jwt = jwt_auth(settings, versions)
    tokens = TokenIssuer(jwt)
    passwords = PasswordChecker.from_settings(settings)
    logins = login_limiter(settings)
    admin_app = admin_screens.build(settings, jwt, versions, passwords, logins)

    # Piccolo Admin (master data screens) checks its own sessions: hadir's login and roles,
    # through backend/core/admin.py; its shell and login are public, its API is for `admin`.
    @asgi(
        "/admin/",
        is_mount=True,
        copy_scope=True,
        operation_id="adminScreens",
        exclude_from_auth=True,
        include_in_schema=False,
    )
    async def admin(scope: Scope, receive: Any, send: Any) -> None:
        await admin_app(scope, receive, send)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with open_services(
            settings, face_executor=face_executor, periodic=True, dispatch=True
        ) as services:
            app.state.services = services
            try:
                yield
            finally:
                await logins.close()

    def provider(attribute: str | None) -> Provide:
        def get_it(state: State) -> Any:
            services = state.services
            return services if attribute is None else getattr(services, attribute)

        return Provide(get_it, sync_to_thread=False)

    handlers: list[Any] = [health, get_object, admin, *routes.ROUTES]
    if DESK_DIR.is_dir():
        handlers.append(
            create_static_files_router(
                path="/desk", directories=[DESK_DIR], include_in_schema=False
            )
        )
    if PWA_DIR.is_dir():
        handlers.append(
            create_static_files_router(
                path="/",
                directories=[PWA_DIR],
                html_mode=True,
                include_in_schema=False,
            )
        )
    app = Litestar(
        route_handlers=handlers,
        lifespan=[lifespan],
        on_app_init=[jwt.on_app_init],
        dependencies={
            "services": provider(None),
            "settings": Provide(lambda: settings, sync_to_thread=False),
            "tokens": Provide(lambda: tokens, sync_to_thread=False),
            "passwords": Provide(lambda: passwords, sync_to_thread=False),
            "checkins": provider("checkins"),
            "units": provider("units"),
            "geofences": provider("geofences"),
            "faces": provider("faces"),
            "reviews": provider("reviews"),
            "push": provider("push"),
            "permits": provider("permits"),
            "attestations": provider("attestations"),
            "days": provider("days"),
            "exports": provider("exports"),
            "store": provider("store"),
            "imports": provider("imports"),
            "gerai": provider("gerai"),
            "ratings": provider("ratings"),
            "board": provider("board"),
            "cctv": provider("cctv"),
            "accounts": provider("accounts"),
            "fence_editor": provider("fence_editor"),
            "kiosks": provider("kiosks"),
            "devices": provider("devices"),
            "logins": Provide(lambda: logins, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[secure_headers_with(security_headers(csp_for(settings)))],
        # The PWA shell must load over 2G: gzip everything sizeable (small JSON is not worth it).
        compression_config=CompressionConfig(
            backend="gzip",
            minimum_size=1024,
            gzip_compress_level=6,
            # Event streams (the board) must not wait in a compressor's buffer.
            exclude_opt_key="skip_compression",
        ),
        openapi_config=OpenAPIConfig(
            title="hadir", version="1.0.0", path="/schema", render_plugins=[LocalSwagger()]
        ),
        request_max_body_size=MAX_BODY,
        debug=False,
    )
    document_errors(app)
    return app
