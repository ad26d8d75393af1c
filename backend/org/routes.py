from __future__ import annotations

from litestar import post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from backend.core.auth import PasswordChecker, TokenIssuer
from backend.org import service
from backend.org.schemas import LoginRequest, LoginResponse


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


ROUTES = [login]
