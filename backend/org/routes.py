from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from backend.core.auth import PasswordChecker, Principal, TokenIssuer
from backend.core.policy import allow
from backend.org import service
from backend.org.schemas import LoginRequest, LoginResponse, PasswordChange


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


ROUTES = [login, change_password]
