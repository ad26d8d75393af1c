from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.attendance.schemas import CheckIn, CheckInList
from backend.attendance.service import CheckIns
from backend.core.auth import Principal
from backend.core.errors import Invalid

MAX_CHECKIN_BODY = 1_000_000  # the selfie limit is a setting; this only stops runaway uploads


async def _part(data: dict[str, Any], name: str) -> bytes:
    value = data.get(name)
    if value is None:
        raise Invalid(f"Bagian '{name}' tidak ada dalam kiriman", errors=[])
    if isinstance(value, UploadFile):
        return await value.read()
    if isinstance(value, list):
        raise Invalid(f"Bagian '{name}' dikirim lebih dari sekali")
    return str(value).encode()


@post(
    "/api/v1/checkins",
    operation_id="createCheckIn",
    summary="Submit one check-in (multipart: meta JSON + selfie JPEG); replays are idempotent",
    request_max_body_size=MAX_CHECKIN_BODY,
)
async def create_checkin(
    request: Request[Principal, Any, Any],
    data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    checkins: CheckIns,
) -> Response[CheckIn]:
    stored, created = await checkins.submit(
        request.user, await _part(data, "meta"), await _part(data, "selfie")
    )
    return Response(stored, status_code=HTTP_201_CREATED if created else HTTP_200_OK)


@get("/api/v1/checkins/{checkin_id:int}", operation_id="getCheckIn")
async def get_checkin(
    request: Request[Principal, Any, Any], checkin_id: int, checkins: CheckIns
) -> CheckIn:
    return await checkins.get(request.user, checkin_id)


@get("/api/v1/checkins", operation_id="listCheckIns", summary="Own check-ins of one local day")
async def list_checkins(
    request: Request[Principal, Any, Any], checkins: CheckIns, date: dt.date | None = None
) -> CheckInList:
    return await checkins.list_day(request.user, date)


ROUTES = [create_checkin, get_checkin, list_checkins]
