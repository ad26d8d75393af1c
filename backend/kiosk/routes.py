"""Face kiosk routes: the admin's register / list / revoke (bearer token, `kiosk.manage`), and
the tablet's activation and signed captures (no login: the kiosk's own device key, checked by
the service; listed in `policy.PUBLIC`)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.core.auth import Principal
from backend.core.paging import DEFAULT_PAGE_SIZE, PageCursor, PageLimit
from backend.core.policy import allow
from backend.core.schema import Id, file_part, json_part, multipart, read_part
from backend.kiosk.schemas import (
    Kiosk,
    KioskActivate,
    KioskActivated,
    KioskCreate,
    KioskCreated,
    KioskList,
    KioskResult,
)
from backend.kiosk.service import FRAME_PARTS, Kiosks

CAPTURE_PARTS = multipart(
    "One kiosk capture, signed with the kiosk's device key (headers X-Kiosk-Id and "
    "X-Kiosk-Signature over the SHA-256 of each part: backend/kiosk/service.py signed_message)",
    required=["meta", "photo"],
    meta=json_part("client_id, captured_at, sent_at, kind (optional), liveness"),
    photo=file_part("image/jpeg", "The frontal frame, a JPEG of about 480 px"),
    **{
        part: file_part("image/jpeg", "A frame of the head-movement challenge")
        for part in FRAME_PARTS
    },
)


@post(
    "/api/v1/kiosks",
    operation_id="createKiosk",
    summary="Register a face kiosk at a location; its one-time activation code is in the answer this once",
    guards=[allow("kiosk.manage")],
)
async def create_kiosk(
    request: Request[Principal, Any, Any],
    data: JSONBody[KioskCreate],
    kiosks: NamedDependency[Kiosks],
) -> KioskCreated:
    return await kiosks.register(request.user, data)


@get(
    "/api/v1/kiosks",
    operation_id="listKiosks",
    summary="Face kiosks, newest first, paged",
    guards=[allow("kiosk.manage")],
)
async def list_kiosks(
    kiosks: NamedDependency[Kiosks],
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> KioskList:
    return await kiosks.list(limit=limit, cursor=cursor)


@post(
    "/api/v1/kiosks/{kiosk_id:int}/revoke",
    operation_id="revokeKiosk",
    summary="Revoke a face kiosk: its key is refused from now on",
    guards=[allow("kiosk.manage")],
    status_code=HTTP_200_OK,
)
async def revoke_kiosk(
    request: Request[Principal, Any, Any],
    kiosk_id: FromPath[Id],
    kiosks: NamedDependency[Kiosks],
) -> Kiosk:
    return await kiosks.revoke(request.user, kiosk_id)


@post(
    "/api/v1/kiosk/activate",
    operation_id="activateKiosk",
    summary="A tablet activates itself as a kiosk: one-time code and its device key's public half",
    status_code=HTTP_200_OK,
)
async def activate_kiosk(
    data: JSONBody[KioskActivate], kiosks: NamedDependency[Kiosks]
) -> KioskActivated:
    return await kiosks.activate(data)


@post(
    "/api/v1/kiosk/captures",
    operation_id="kioskCapture",
    summary="A signed kiosk capture: identify the face 1:N and record the check-in when sure",
    request_max_body_size=1_500_000,
)
async def kiosk_capture(
    request: Request[Any, Any, Any],
    data: Annotated[dict[str, Any], CAPTURE_PARTS],
    kiosks: NamedDependency[Kiosks],
) -> Response[KioskResult]:
    meta = await read_part(data, "meta")
    photo = await read_part(data, "photo")
    assert meta is not None and photo is not None  # required parts
    frames = {}
    for part in FRAME_PARTS:
        content = await read_part(data, part, required=False)
        if content is not None:
            frames[part] = content
    kiosk = await kiosks.authenticate(
        request.headers.get("x-kiosk-id"),
        request.headers.get("x-kiosk-signature"),
        [("meta", meta), ("photo", photo), *frames.items()],
    )
    result, created = await kiosks.capture(kiosk, meta, photo, frames)
    return Response(result, status_code=HTTP_201_CREATED if created else HTTP_200_OK)


ROUTES = [create_kiosk, list_kiosks, revoke_kiosk, activate_kiosk, kiosk_capture]
