"""Login credentials, bearer tokens and role guards.

Tokens are JWTs (Litestar's JWTAuth) carrying who the user is, so a request costs no database
read to authenticate; the PWA keeps the token to sync offline records later.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import anyio.to_thread
import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from litestar.connection import ASGIConnection
from litestar.middleware.authentication import AuthenticationResult
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token

from backend.core.errors import Unavailable
from backend.core.settings import Settings

ROLES = ("asn", "kepala_unit", "bkd", "command", "admin")
_hasher = PasswordHasher()

BUSY = "Terlalu banyak permintaan masuk (login) saat ini; coba lagi sebentar lagi"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _check(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


class PasswordChecker:
    """Verifies passwords a few at a time, in threads of their own.

    argon2 is deliberately costly: 64 MiB and tens of ms of CPU per check. Unbounded, a hundred
    concurrent wrong logins took one api process from 191 MB to 2.76 GB and /health to 7.5 s.
    At most `concurrency` checks run at once (in a capacity-limited thread pool, so the event loop
    stays free); at most `queue` more wait; the rest are refused at once with a 503 and
    Retry-After, which costs nothing.
    """

    RETRY_AFTER_S = 2

    def __init__(self, *, concurrency: int, queue: int) -> None:
        self._limiter = anyio.CapacityLimiter(max(1, concurrency))
        self._admitted = 0
        self._max_admitted = max(1, concurrency) + max(0, queue)

    @classmethod
    def from_settings(cls, settings: Settings) -> PasswordChecker:
        return cls(
            concurrency=settings.password_hash_concurrency, queue=settings.password_hash_queue
        )

    @contextlib.asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        """A place among those checking or waiting, or Unavailable at once. Taken before the
        login's database read too, so a flood does not queue on the connection pool either."""
        if self._admitted >= self._max_admitted:
            raise Unavailable(BUSY, retry_after_s=self.RETRY_AFTER_S)
        self._admitted += 1
        try:
            yield
        finally:
            self._admitted -= 1

    async def check(self, password_hash: str, password: str) -> bool:
        """Whether `password` matches, at most `concurrency` at once (call inside `admit`)."""
        return await anyio.to_thread.run_sync(
            _check, password_hash, password, limiter=self._limiter
        )

    async def verify(self, password_hash: str, password: str) -> bool:
        async with self.admit():
            return await self.check(password_hash, password)


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
    # Citizens rate a gerai with no account: the rating page, its data, QR and poster.
    r"^/(nilai/|nilai\.html|nilai-sw\.js|api/v1/public/)",
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
