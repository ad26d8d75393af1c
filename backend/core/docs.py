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
from litestar import Request, Response, Router, get
from litestar.constants import OPENAPI_JSON_HANDLER_NAME
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router

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
