"""Login credentials, bearer tokens and role guards.

Tokens are JWTs (Litestar's JWTAuth) carrying who the user is, so a request costs no database
read to authenticate; the PWA keeps the token to sync offline records later.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, ClassVar

import anyio.to_thread
import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from litestar.connection import ASGIConnection
from litestar.middleware.authentication import AuthenticationResult
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token

from backend.core.errors import SessionEnded, Unavailable
from backend.core.settings import Settings

ROLES = ("asn", "kepala_unit", "bkd", "command", "admin")
_hasher = PasswordHasher()

BUSY = "Terlalu banyak permintaan masuk (login) saat ini; coba lagi sebentar lagi"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


# One-time passwords handed to new employees (bulk import, an admin's reset). They are random,
# 16 letters and digits from a 31-sign alphabet (~79 bits): guessing one offline is out of reach
# even with a fast hash, so they are kept as salted SHA-256 and a 20,000-employee import costs
# milliseconds instead of the ~17 minutes argon2 would (argon2 protects passwords people choose,
# which are guessable). Each must be replaced at first login (`must_change_password`); the one
# a person chooses is then kept with argon2.
INITIAL_PREFIX = "initial$sha256$"
_INITIAL_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off a handout


def initial_password() -> str:
    """`k7m2-q9xp-4hwt-r8ce`: four groups of four, typed easily on a phone."""
    signs = "".join(secrets.choice(_INITIAL_ALPHABET) for _ in range(16))
    return "-".join(signs[i : i + 4] for i in range(0, 16, 4))


def hash_initial(password: str) -> str:
    salt = secrets.token_hex(16)
    return f"{INITIAL_PREFIX}{salt}${_sha256(salt, password)}"


def _sha256(salt: str, password: str) -> str:
    return hashlib.sha256(f"{salt}${password}".encode()).hexdigest()


def _check(password_hash: str, password: str) -> bool:
    if password_hash.startswith(INITIAL_PREFIX):
        salt, _, digest = password_hash[len(INITIAL_PREFIX) :].partition("$")
        return hmac.compare_digest(digest, _sha256(salt, password))
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

    async def hash(self, password: str) -> str:
        """An argon2 hash of a password someone chose, under the same bound as the checks."""
        return await anyio.to_thread.run_sync(hash_password, password, limiter=self._limiter)

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
    # The employee's token version when the token was issued (older tokens carry none: 0).
    token_version: int = 0

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
    # The desks' code (no data: every call they make carries the bearer token).
    r"^/desk/",
    # Citizens rate a gerai with no account: the rating page, its data, QR and poster.
    r"^/(nilai/|nilai\.html|nilai-sw\.js|api/v1/public/)",
    # A face kiosk has no login: it signs with its own device key (backend/kiosk/service.py).
    "^/api/v1/kiosk/",
]


ENDED = (
    "Sesi ini sudah diakhiri (akun dinonaktifkan, kata sandi atau peran diubah); silakan masuk "
    "lagi. Catatan yang belum terkirim tetap tersimpan di perangkat."
)


class TokenVersions:
    """Whether a token is still current: its version equals the employee's, and the employee
    is active. What was read is trusted for `ttl_s` per employee and process, so a request
    costs a dictionary lookup, and a revocation reaches every process within `ttl_s`.

    `load(employee_id)` -> (token_version, active), or None when there is no such employee; the
    org domain provides it (core imports no domain).
    """

    MAX_EMPLOYEES = 100_000

    def __init__(
        self, load: Callable[[int], Awaitable[tuple[int, bool] | None]], *, ttl_s: float
    ) -> None:
        self._load = load
        self._ttl_s = ttl_s
        self._known: OrderedDict[int, tuple[tuple[int, bool] | None, float]] = OrderedDict()

    async def current(self, principal: Principal) -> bool:
        now = time.monotonic()
        hit = self._known.get(principal.employee_id)
        # A token newer than what was read (just issued after a password change, here or in
        # another process) means the read is stale: tokens are signed, so only the server
        # itself can present a higher version.
        stale = hit is not None and hit[0] is not None and hit[0][0] < principal.token_version
        if hit is None or hit[1] <= now or stale:
            state = await self._load(principal.employee_id)
            self._known[principal.employee_id] = (state, now + self._ttl_s)
            if len(self._known) > self.MAX_EMPLOYEES:
                self._known.popitem(last=False)
        else:
            state = hit[0]
        return state is not None and state[1] and state[0] == principal.token_version

    def forget(self, employee_id: int) -> None:
        """This process changed the employee: read them again at the next request."""
        self._known.pop(employee_id, None)


class CachedJWTMiddleware(JWTAuthenticationMiddleware):
    """Remembers verified tokens until they expire.

    The PWA sends the same token with every request for days; verifying its signature and
    decoding it again each time was ~0.7 ms of a check-in's ~5 ms of CPU (bench/checkin.py).
    Only successfully verified tokens are kept, each no longer than its own `exp`.
    """

    MAX_TOKENS = 50_000
    _verified: ClassVar[OrderedDict[str, tuple[AuthenticationResult, float]]] = OrderedDict()
    versions: ClassVar[TokenVersions | None] = None

    async def authenticate_token(
        self, encoded_token: str, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        hit = self._verified.get(encoded_token)
        if hit is not None and hit[1] > time.time():
            self._verified.move_to_end(encoded_token)
            result = hit[0]
        else:
            result = await super().authenticate_token(encoded_token, connection)
            self._verified[encoded_token] = (result, result.auth.exp.timestamp())
            if len(self._verified) > self.MAX_TOKENS:
                self._verified.popitem(last=False)
        if self.versions is not None and not await self.versions.current(result.user):
            raise SessionEnded(ENDED)
        return result


def jwt_auth(
    settings: Settings, versions: TokenVersions | None = None
) -> JWTAuth[Principal, Token]:
    # Litestar builds the middleware itself: the app's TokenVersions rides on a subclass.
    middleware = type("AppJWTMiddleware", (CachedJWTMiddleware,), {"versions": versions})
    return JWTAuth[Principal, Token](
        token_secret=settings.secret_key,
        retrieve_user_handler=principal_from_token,
        default_token_expiration=dt.timedelta(hours=settings.token_ttl_hours),
        exclude=PUBLIC_PATHS,
        authentication_middleware_class=middleware,
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
