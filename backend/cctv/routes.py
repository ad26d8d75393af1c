from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from backend.cctv.schemas import (
    AlertList,
    CameraCreate,
    CameraCreated,
    CameraKey,
    CameraList,
    ExitEventList,
    SnapshotAccepted,
    SnapshotList,
)
from backend.cctv.service import BASIC_CHALLENGE, WRONG_KEY, Cctv
from backend.core.auth import Principal
from backend.core.errors import ErrorBody, Unauthenticated, UnsupportedMedia
from backend.core.paging import DEFAULT_PAGE_SIZE, PageCursor, PageLimit
from backend.core.policy import allow
from backend.core.schema import Id

# The route's own ceiling; HADIR_CCTV_MAX_BYTES (below it) answers 413 with the limit in words.
MAX_SNAPSHOT_BODY = 16_000_000


def _error(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=ErrorBody, description=description, generate_examples=False)


@dataclasses.dataclass
class JpegUpload(Operation):
    """The push's body as cameras send it: the raw JPEG, or a form with a JPEG part. (The
    handler reads the body itself: Litestar parses only JSON, forms and msgpack into `data`.)"""

    def __post_init__(self) -> None:
        jpeg = Schema(type=OpenAPIType.STRING, format="binary")  # type: ignore[arg-type]
        self.request_body = RequestBody(
            required=True,
            description="A JPEG snapshot, raw or as the first JPEG part of a form",
            content={
                "image/jpeg": OpenAPIMediaType(schema=jpeg),
                "multipart/form-data": OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.OBJECT, properties={"image": jpeg})
                ),
            },
        )


def camera_credentials(request: Request[Any, Any, Any]) -> tuple[str, str]:
    """HTTP Basic `code:key` from the Authorization header (what an IP camera's HTTP upload
    sends); 401 with a Basic challenge when absent or unreadable."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        raise Unauthenticated(
            "Kirim kode kamera dan kuncinya dengan HTTP Basic", challenge=BASIC_CHALLENGE
        )
    try:
        code, sep, key = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        code, sep, key = "", "", ""
    if not sep or not code or not key:
        raise Unauthenticated(WRONG_KEY, challenge=BASIC_CHALLENGE)
    return code, key


async def snapshot_body(request: Request[Any, Any, Any]) -> bytes:
    """The JPEG of a push: the raw body, or the first JPEG part of a multipart form (NVRs
    that upload as a browser form would)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media in ("image/jpeg", "image/jpg"):
        return await request.body()
    if media == "multipart/form-data":
        form = await request.form()
        # In the order sent (multi_items() walks a set of the names).
        for _, value in form.items():
            if isinstance(value, UploadFile):
                content = await value.read()
                if value.content_type in ("image/jpeg", "image/jpg") or content.startswith(
                    b"\xff\xd8"
                ):
                    return content
        raise UnsupportedMedia("Kiriman multipart tidak memuat berkas JPEG")
    raise UnsupportedMedia(
        "Snapshot dikirim sebagai image/jpeg atau multipart/form-data berisi JPEG"
    )


@post(
    "/api/v1/cctv/cameras",
    operation_id="createCamera",
    summary="Register a camera; its push key is in the answer this once",
    guards=[allow("cctv.camera.manage")],
)
async def create_camera(data: JSONBody[CameraCreate], cctv: NamedDependency[Cctv]) -> CameraCreated:
    return await cctv.create(data)


@get(
    "/api/v1/cctv/cameras",
    operation_id="listCameras",
    summary="Cameras with their health (online/dark, last snapshot, last count), paged",
    guards=[allow("cctv.camera.list")],
)
async def list_cameras(
    cctv: NamedDependency[Cctv], limit: PageLimit = DEFAULT_PAGE_SIZE, cursor: PageCursor = None
) -> CameraList:
    return await cctv.cameras(limit=limit, cursor=cursor)


@post(
    "/api/v1/cctv/cameras/{camera_id:int}/key",
    operation_id="rotateCameraKey",
    summary="A new push key for a camera; the old one stops working at once",
    guards=[allow("cctv.camera.manage")],
    status_code=HTTP_200_OK,
)
async def rotate_camera_key(camera_id: FromPath[Id], cctv: NamedDependency[Cctv]) -> CameraKey:
    return await cctv.rotate_key(camera_id)


@post(
    "/api/v1/cctv/snapshots",
    operation_id="pushSnapshot",
    summary="A camera pushes a JPEG snapshot (HTTP Basic: camera code and key)",
    description="Body: the JPEG itself (`image/jpeg`) or a multipart form whose first JPEG part "
    "is taken. Analysed later; the answer is the snapshot's id.",
    status_code=HTTP_202_ACCEPTED,
    request_max_body_size=MAX_SNAPSHOT_BODY,
    operation_class=JpegUpload,
    opt={"exclude_from_auth": True},
    responses={
        400: _error("The multipart form cannot be read"),
        401: _error("No or wrong camera code and key (HTTP Basic)"),
        413: _error("Larger than HADIR_CCTV_MAX_BYTES, or a header claiming too many pixels"),
        415: _error("The body is not a JPEG"),
        422: _error("An empty body, or a JPEG cut short"),
        429: _error("The camera pushes faster than it may; retry after `Retry-After` seconds"),
    },
)
async def push_snapshot(
    request: Request[Any, Any, Any], cctv: NamedDependency[Cctv]
) -> SnapshotAccepted:
    code, key = camera_credentials(request)
    return SnapshotAccepted(id=await cctv.push(code, key, await snapshot_body(request)))


@get(
    "/api/v1/cctv/cameras/{camera_id:int}/snapshots",
    operation_id="listCameraSnapshots",
    summary="A camera's snapshots from `since`, with counts and short-lived image links (logged)",
    guards=[allow("cctv.snapshot.list")],
)
async def list_snapshots(
    request: Request[Principal, Any, Any],
    camera_id: FromPath[Id],
    cctv: NamedDependency[Cctv],
    since: Annotated[
        dt.datetime | None, Parameter(description="Snapshots taken at or after (ISO-8601)")
    ] = None,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> SnapshotList:
    return await cctv.snapshots(request.user, camera_id, since=since, limit=limit, cursor=cursor)


@get(
    "/api/v1/cctv/alerts",
    operation_id="listCctvAlerts",
    summary="Queue and dark-camera alerts, newest first, paged; `open` for open ones only",
    guards=[allow("cctv.alert.list")],
)
async def list_alerts(
    cctv: NamedDependency[Cctv],
    open: FromQuery[bool] = False,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> AlertList:
    return await cctv.alerts(open_only=open, limit=limit, cursor=cursor)


@get(
    "/api/v1/cctv/exits",
    operation_id="listCctvExits",
    summary="Staff seen leaving through exit cameras in working hours without a covering permit "
    "(evidence, newest first, paged; image links logged); a head of unit sees their own staff",
    guards=[allow("cctv.exit.list")],
)
async def list_exits(
    request: Request[Principal, Any, Any],
    cctv: NamedDependency[Cctv],
    since: Annotated[
        dt.datetime | None, Parameter(description="Events first seen at or after (ISO-8601)")
    ] = None,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> ExitEventList:
    return await cctv.exit_events(request.user, since=since, limit=limit, cursor=cursor)


ROUTES = [
    create_camera,
    list_cameras,
    rotate_camera_key,
    push_snapshot,
    list_snapshots,
    list_alerts,
    list_exits,
]
