from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from backend.core.auth import Principal
from backend.core.paging import DEFAULT_PAGE_SIZE, PageCursor, PageLimit
from backend.core.policy import allow
from backend.geofence.schemas import FenceDraft, FenceReport, LocationFence, LocationPage
from backend.geofence.service import FenceEditor

LocationId = Annotated[int, Parameter(ge=1, le=2_147_483_647)]
Search = Annotated[str, Parameter(max_length=100, description="Part of a code or name")]


@get(
    "/api/v1/admin/locations",
    operation_id="listLocations",
    summary="Locations with fences, searched by code, name or unit; paged; with the tile URL",
    guards=[allow("fence.read")],
)
async def list_locations(
    fence_editor: NamedDependency[FenceEditor],
    q: FromQuery[Search] = "",
    limit: FromQuery[PageLimit] = DEFAULT_PAGE_SIZE,
    cursor: FromQuery[PageCursor] = None,
) -> LocationPage:
    return await fence_editor.search(q, limit, cursor)


@get(
    "/api/v1/admin/locations/{location_id:int}/fence",
    operation_id="getFence",
    summary="A location's fence with its metres check",
    guards=[allow("fence.read")],
)
async def get_fence(
    location_id: FromPath[LocationId], fence_editor: NamedDependency[FenceEditor]
) -> LocationFence:
    return await fence_editor.read(location_id)


@post(
    "/api/v1/admin/locations/{location_id:int}/fence/check",
    operation_id="checkFence",
    summary="The metres check of a fence as entered (area, largest distance, warnings, "
    "refusals in words); nothing is stored",
    guards=[allow("fence.read")],
    status_code=200,
)
async def check_fence(
    location_id: FromPath[LocationId],
    data: JSONBody[FenceDraft],
    fence_editor: NamedDependency[FenceEditor],
) -> FenceReport:
    return await fence_editor.check(location_id, data)


@put(
    "/api/v1/admin/locations/{location_id:int}/fence",
    operation_id="updateFence",
    summary="Replace a location's fence (circle or polygon); refused with the reason in words "
    "when the check finds an error; audited before/after",
    guards=[allow("fence.update")],
)
async def update_fence(
    request: Request[Principal, Any, Any],
    location_id: FromPath[LocationId],
    data: JSONBody[FenceDraft],
    fence_editor: NamedDependency[FenceEditor],
) -> LocationFence:
    return await fence_editor.update(request.user, location_id, data)


ROUTES = [list_locations, get_fence, check_fence, update_fence]
