from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from backend.core.auth import PasswordChecker, Principal, TokenIssuer
from backend.geofence.schemas import Location
from backend.geofence.service import Geofences
from backend.org import service
from backend.org.schemas import LoginRequest, LoginResponse, ScheduleToday, User


class Me(msgspec.Struct, frozen=True):
    user: User
    schedule_today: ScheduleToday
    locations: list[Location]
    server_time: dt.datetime


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
)
async def me(
    request: Request[Principal, Any, Any],
    units: NamedDependency[service.UnitDirectory],
    geofences: NamedDependency[Geofences],
) -> Me:
    who = request.user
    now = dt.datetime.now(dt.UTC)
    return Me(
        user=await service.get_user(who.employee_id),
        schedule_today=await service.schedule_today(
            who.employee_id, await units.timezone(who.unit_id), now
        ),
        locations=await geofences.for_unit(who.unit_id),
        server_time=now,
    )


ROUTES = [login, me]
