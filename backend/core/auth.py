"""Login credentials, bearer tokens and role guards.

Tokens are JWTs (Litestar's JWTAuth) carrying who the user is, so a request costs no database
read to authenticate; the PWA keeps the token to sync offline records later.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import OrderedDict
from typing import Any, ClassVar

import anyio.to_thread
import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from litestar.connection import ASGIConnection
from litestar.middleware.authentication import AuthenticationResult
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token

from backend.core.settings import Settings

ROLES = ("asn", "kepala_unit", "bkd", "command", "admin")
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


async def verify_password(password_hash: str, password: str) -> bool:
    # argon2 is deliberately slow (tens of ms): keep it off the event loop.
    def check() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerifyMismatchError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(check)


class Principal(msgspec.Struct, frozen=True):
    """Who is calling, as the token says."""

    employee_id: int
    nip: str
    name: str
    roles: tuple[str, ...]
    unit_id: int

    def has(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)


def principal_from_token(token: Token, _: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    try:
        return msgspec.convert(token.extras, Principal)
    except msgspec.ValidationError:
        return None


PUBLIC_PATHS = [
    "^/$",
    "^/health",
    "^/schema",
    "^/api/v1/auth/login",
    "^/api/v1/objects/",  # signed URLs carry their own proof
    r"^/(index\.html|manifest\.webmanifest|sw\.js|src/|icons/|favicon)",
]


class CachedJWTMiddleware(JWTAuthenticationMiddleware):
    """Remembers verified tokens until they expire.

    The PWA sends the same token with every request for days; verifying its signature and
    decoding it again each time was ~0.7 ms of a check-in's ~5 ms of CPU (bench/checkin.py).
    Only successfully verified tokens are kept, each no longer than its own `exp`.
    """

    MAX_TOKENS = 50_000
    _verified: ClassVar[OrderedDict[str, tuple[AuthenticationResult, float]]] = OrderedDict()

    async def authenticate_token(
        self, encoded_token: str, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        hit = self._verified.get(encoded_token)
        if hit is not None and hit[1] > time.time():
            self._verified.move_to_end(encoded_token)
            return hit[0]
        result = await super().authenticate_token(encoded_token, connection)
        self._verified[encoded_token] = (result, result.auth.exp.timestamp())
        if len(self._verified) > self.MAX_TOKENS:
            self._verified.popitem(last=False)
        return result


def jwt_auth(settings: Settings) -> JWTAuth[Principal, Token]:
    return JWTAuth[Principal, Token](
        token_secret=settings.secret_key,
        retrieve_user_handler=principal_from_token,
        default_token_expiration=dt.timedelta(hours=settings.token_ttl_hours),
        exclude=PUBLIC_PATHS,
        authentication_middleware_class=CachedJWTMiddleware,
    )


class TokenIssuer:
    """Issues the bearer tokens that `jwt_auth` accepts (handed to the login handler)."""

    def __init__(self, auth: JWTAuth[Principal, Token]) -> None:
        self._auth = auth
        self.ttl_s = int(auth.default_token_expiration.total_seconds())

    def issue(self, principal: Principal) -> str:
        return self._auth.create_token(
            identifier=principal.nip, token_extras=msgspec.to_builtins(principal)
        )
