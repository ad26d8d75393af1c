from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.core.auth import Principal
from backend.core.paging import DEFAULT_PAGE_SIZE, PageCursor, PageLimit
from backend.core.policy import allow
from backend.core.schema import Id, file_part, file_parts, json_part, multipart, read_part
from backend.org.service import UnitDirectory
from backend.permits.schemas import (
    AttachmentUrl,
    DestinationList,
    LeaveBalance,
    Permit,
    PermitDecision,
    PermitList,
)
from backend.permits.service import Permits

MAX_PERMIT_BODY = 2_500_000
PERMIT_PARTS = multipart(
    "One permit request: its details as JSON and an optional attachment",
    required=["meta"],
    meta=json_part("The request: client_id, kind, start, end, reason..."),
    attachment=file_part("application/pdf", "A letter or certificate: PDF, JPEG or PNG"),
    chain=json_part(
        "Optional: the device's signed chain block {device, seq, prev, hash, sig, signed} "
        "(README: Signed records)"
    ),
)


@post(
    "/api/v1/permits",
    operation_id="createPermit",
    summary="Request a permit (multipart: meta JSON + optional attachment); replays are idempotent",
    request_max_body_size=MAX_PERMIT_BODY,
    guards=[allow("permit.create")],
)
async def create_permit(
    request: Request[Principal, Any, Any],
    data: Annotated[dict[str, Any], PERMIT_PARTS],
    permits: NamedDependency[Permits],
    units: NamedDependency[UnitDirectory],
) -> Response[Permit]:
    meta = await read_part(data, "meta")
    attachment = await read_part(data, "attachment", required=False)
    permit, created = await permits.create(
        request.user,
        meta or b"",
        attachment,
        today=await units.today(request.user.unit_id),
        chain=await read_part(data, "chain", required=False),
        files=await file_parts(data),
    )
    return Response(permit, status_code=HTTP_201_CREATED if created else HTTP_200_OK)


@get("/api/v1/permits", operation_id="listMyPermits", guards=[allow("permit.list")])
async def list_permits(
    request: Request[Principal, Any, Any], permits: NamedDependency[Permits]
) -> PermitList:
    return await permits.mine(request.user)


@get(
    "/api/v1/permits/leave",
    operation_id="myLeaveBalance",
    summary="Remaining annual leave (sisa cuti tahunan) of this year, in working days",
    guards=[allow("permit.list")],
)
async def my_leave_balance(
    request: Request[Principal, Any, Any],
    permits: NamedDependency[Permits],
    units: NamedDependency[UnitDirectory],
) -> LeaveBalance:
    return await permits.leave_balance(request.user, today=await units.today(request.user.unit_id))


@get(
    "/api/v1/permits/destinations",
    operation_id="dinasLuarDestinations",
    summary="Locations a dinas luar may go to, by name (`q`: words of the name), at most 30",
    guards=[allow("permit.create")],
)
async def dinas_luar_destinations(
    permits: NamedDependency[Permits], q: Annotated[str, Parameter(max_length=100)] = ""
) -> DestinationList:
    return await permits.destinations(q)


@get(
    "/api/v1/permits/inbox",
    operation_id="permitInbox",
    summary="Pending permits this person may decide, oldest first, paged (`limit`, `cursor`)",
    guards=[allow("permit.inbox")],
)
async def permit_inbox(
    request: Request[Principal, Any, Any],
    permits: NamedDependency[Permits],
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> PermitList:
    return await permits.inbox(request.user, limit=limit, cursor=cursor)


@get("/api/v1/permits/{permit_id:int}", operation_id="getPermit", guards=[allow("permit.read")])
async def get_permit(
    request: Request[Principal, Any, Any],
    permit_id: FromPath[Id],
    permits: NamedDependency[Permits],
) -> Permit:
    return await permits.get(request.user, permit_id)


@post(
    "/api/v1/permits/{permit_id:int}/decision",
    operation_id="decidePermit",
    guards=[allow("permit.decide")],
    status_code=HTTP_200_OK,
)
async def decide_permit(
    request: Request[Principal, Any, Any],
    permit_id: FromPath[Id],
    data: JSONBody[PermitDecision],
    permits: NamedDependency[Permits],
) -> Permit:
    return await permits.decide(request.user, permit_id, data)


@post(
    "/api/v1/permits/{permit_id:int}/cancel",
    operation_id="cancelPermit",
    status_code=HTTP_200_OK,
    guards=[allow("permit.cancel")],
)
async def cancel_permit(
    request: Request[Principal, Any, Any],
    permit_id: FromPath[Id],
    permits: NamedDependency[Permits],
) -> Permit:
    return await permits.cancel(request.user, permit_id)


@get(
    "/api/v1/permits/{permit_id:int}/attachment",
    operation_id="permitAttachment",
    guards=[allow("permit.read")],
)
async def permit_attachment(
    request: Request[Principal, Any, Any],
    permit_id: FromPath[Id],
    permits: NamedDependency[Permits],
) -> AttachmentUrl:
    return AttachmentUrl(url=await permits.attachment_url(request.user, permit_id))


ROUTES = [
    create_permit,
    list_permits,
    my_leave_balance,
    dinas_luar_destinations,
    permit_inbox,
    get_permit,
    decide_permit,
    cancel_permit,
    permit_attachment,
]
