"""The API's description: `/schema/openapi.json`, and Swagger UI served from this origin.

Litestar's own viewers load their scripts, styles and favicon from CDNs and start with an inline
script: a Pemda intranet cannot reach the CDN and our Content-Security-Policy (no inline script,
no other origin) blocks both. Swagger UI's files ship in the `swagger-ui-py` wheel; they are
served under `/schema/swagger/assets/`, and the page starts the viewer from a script file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import swagger_ui
from litestar import Litestar, Request, Response, Router, get
from litestar.constants import OPENAPI_JSON_HANDLER_NAME
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from backend.core.errors import ErrorBody

SWAGGER_ASSETS = Path(swagger_ui.__file__).parent / "static"
ASSETS_PATH = "/swagger/assets"


class LocalSwagger(OpenAPIRenderPlugin):
    """Swagger UI at `/schema` and `/schema/swagger`, every file from this origin."""

    def __init__(self) -> None:
        super().__init__(path=["/", "/swagger"], favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        base = request.app.route_reverse(OPENAPI_JSON_HANDLER_NAME).rsplit("/", 1)[0]
        assets = f"{base}{ASSETS_PATH}"
        title = openapi_schema["info"]["title"]
        return f"""<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{title} API</title>
    <link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
    <link rel="stylesheet" href="{assets}/swagger-ui.css">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="{assets}/swagger-ui-bundle.js"></script>
    <script src="{base}/swagger/start.js"></script>
  </body>
</html>
""".encode()

    def receive_router(self, router: Router) -> None:
        router.register(
            create_static_files_router(
                path=ASSETS_PATH,
                directories=[SWAGGER_ASSETS],
                include_in_schema=False,
            )
        )
        router.register(start_swagger)


@get("/swagger/start.js", include_in_schema=False, sync_to_thread=False)
def start_swagger(request: Request[Any, Any, Any]) -> Response[str]:
    spec = request.app.route_reverse(OPENAPI_JSON_HANDLER_NAME)
    script = (
        "window.ui = SwaggerUIBundle({"
        f"url: {spec!r}, dom_id: '#swagger-ui', deepLinking: true, "
        "persistAuthorization: false});\n"
    )
    return Response(script, media_type="text/javascript; charset=utf-8")


# --- error responses ----------------------------------------------------------------------------

ERROR_WORDS = {
    400: "The request could not be read: malformed JSON or multipart, a missing or mistyped "
    "field, a parameter out of range",
    401: "No valid bearer token (or, at login, a wrong NIP or password)",
    403: "The caller's role or unit may not do this",
    404: "No such record, or not one the caller may see",
    409: "The record's state does not allow it (already decided, a replay with other content)",
    429: "Too many requests (failed logins for a NIP or an address, ratings from an address, a "
    "camera pushing too fast); retry after `Retry-After` seconds",
    413: "The body is larger than this operation takes",
    410: "Gone: a one-time download already taken, or expired",
    422: "Well-formed, but breaks a rule (the message says which, in Indonesian)",
    503: "A backing service is busy or down; retry after `Retry-After` seconds",
}
# Operations whose service raises Conflict (409): the record's state decides.
CONFLICTS = {
    "createCheckIn",
    "decideReview",
    "createPermit",
    "decidePermit",
    "cancelPermit",
    "ackTeguran",
    "createCamera",
    "kioskCapture",  # a client_id already used for another capture
}
PUBLIC_OPERATIONS = {"login", "health"}
# Citizens' ratings: public, one per device per visit window (409), limited per address (429).
CONFLICTS |= {"submitRating"}
PUBLIC_OPERATIONS |= {"publicGerai", "submitRating", "geraiQrSvg", "geraiQrPng"}
RATE_LIMITED = {"submitRating"}
# One-time downloads: 410 once taken or expired.
GONE = {"importPasswordHandout"}


def error_statuses(handler: HTTPRouteHandler, path: str) -> set[int]:
    """What an operation can answer besides success, from its shape: a token (401/403), input
    naming records that may not exist or breaking a rule (400/404/422), a body (413), a busy
    backing service (503, every operation)."""
    statuses = {HTTP_503_SERVICE_UNAVAILABLE}
    if handler.operation_id not in PUBLIC_OPERATIONS:
        statuses |= {HTTP_401_UNAUTHORIZED, HTTP_403_FORBIDDEN}
    if handler.operation_id == "login":
        statuses |= {HTTP_401_UNAUTHORIZED, HTTP_429_TOO_MANY_REQUESTS}
    takes_body = "data" in handler.parsed_fn_signature.parameters
    takes_params = any(
        name not in handler.resolve_dependencies()
        and name not in ("request", "data", "state", "headers", "cookies", "scope")
        for name in handler.parsed_fn_signature.parameters
    )
    if "{" in path or takes_body or takes_params:
        # Input names records (an id in the path, a unit code in the query): they may not exist.
        statuses |= {HTTP_400_BAD_REQUEST, HTTP_404_NOT_FOUND, HTTP_422_UNPROCESSABLE_ENTITY}
    if takes_body:
        statuses.add(HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if handler.operation_id in CONFLICTS:
        statuses.add(HTTP_409_CONFLICT)
    if handler.operation_id in RATE_LIMITED:
        statuses.add(429)
    if handler.operation_id in GONE:
        statuses.add(410)
    return statuses


def document_errors(app: Litestar) -> None:
    """Give every documented operation its error responses, all in the one ErrorBody shape
    (Litestar's default describes `{status_code, detail, extra}`, which the API never sends)."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if not isinstance(handler, HTTPRouteHandler) or not handler.include_in_schema:
                continue
            declared = dict(handler.responses or {})
            for status in sorted(error_statuses(handler, route.path)):
                declared.setdefault(
                    status,
                    ResponseSpec(
                        data_container=ErrorBody,
                        description=ERROR_WORDS[status],
                        generate_examples=False,
                    ),
                )
            handler.responses = declared
