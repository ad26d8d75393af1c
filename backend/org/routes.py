from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter

from backend.core.auth import PasswordChecker, Principal, TokenIssuer
from backend.core.policy import allow
from backend.core.settings import Settings
from backend.geofence.schemas import Location
from backend.geofence.service import Geofences
from backend.org import service
from backend.org.schemas import (
    LoginRequest,
    LoginResponse,
    PasswordChange,
    ScheduleToday,
    User,
)


class Me(msgspec.Struct, frozen=True):
    """Who the caller is and where they may check in.

    `locations` is not every fence of a large unit: it is the unit's `me_locations_max` fences
    nearest to `lon`/`lat` (the phone's last fix, when it sends one; else the middle of the
    unit's fences), nearest first, each in full GeoJSON as before. `locations_total` says how
    many the unit has; when it is larger, the PWA's map and local hint cover the nearest ones
    only, and the server still decides each check-in against every fence of the unit.
    """

    user: User
    schedule_today: ScheduleToday
    locations: list[Location]
    server_time: dt.datetime
    locations_total: int = 0


@post("/api/v1/auth/login", operation_id="login", summary="Log in with NIP and password")
async def login(
    data: JSONBody[LoginRequest],
    tokens: NamedDependency[TokenIssuer],
    passwords: NamedDependency[PasswordChecker],
) -> LoginResponse:
    principal, user = await service.authenticate(data.nip, data.password, passwords)
    return LoginResponse(
        access_token=tokens.issue(principal),
        expires_in=tokens.ttl_s,
        user=user,
    )


@get(
    "/api/v1/me",
    operation_id="me",
    summary="The caller, today's schedule, and where they may check in",
    guards=[allow("me.read")],
)
async def me(
    request: Request[Principal, Any, Any],
    units: NamedDependency[service.UnitDirectory],
    geofences: NamedDependency[Geofences],
    settings: NamedDependency[Settings],
    lon: Annotated[float | None, Parameter(ge=-180, le=180)] = None,
    lat: Annotated[float | None, Parameter(ge=-90, le=90)] = None,
) -> Me:
    who = request.user
    now = dt.datetime.now(dt.UTC)
    locations, total = await geofences.near(who.unit_id, lon, lat, settings.me_locations_max)
    return Me(
        user=await service.get_user(who.employee_id),
        schedule_today=await service.schedule_today(
            who.employee_id, await units.timezone(who.unit_id), now
        ),
        locations=locations,
        server_time=now,
        locations_total=total,
    )


@post(
    "/api/v1/me/password",
    operation_id="changePassword",
    summary="Change one's own password; other sessions end, a fresh token is returned",
    guards=[allow("me.password")],
    status_code=200,
)
async def change_password(
    request: Request[Principal, Any, Any],
    data: JSONBody[PasswordChange],
    tokens: NamedDependency[TokenIssuer],
    passwords: NamedDependency[PasswordChecker],
) -> LoginResponse:
    principal, user = await service.change_password(
        request.user, data.old_password, data.new_password, passwords
    )
    return LoginResponse(access_token=tokens.issue(principal), expires_in=tokens.ttl_s, user=user)


ROUTES = [login, me, change_password]
