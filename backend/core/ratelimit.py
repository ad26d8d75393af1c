"""Login attempts limited per NIP and per address, without handing an attacker a way to lock a
whole office out.

- Per NIP: the first `nip_free` failures cost nothing; each one after makes that NIP wait
  `nip_base_s * 2^(n - nip_free)` seconds, capped at `nip_cap_s`, before the next try. An
  attacker guessing one NIP's password only slows that NIP, and never by more than the cap;
  the count is forgotten `nip_window_s` after the last failure, and a successful login resets it.
- Per address: more than `address_limit` failures from one address within `address_window_s`
  refuse that address's logins until the window ends (one machine trying many NIPs). Successes
  do not count, so an office behind one NAT only trips it by failing that often; it always ends
  with its window.

A refusal is a 429 with Retry-After and the wait in words, decided before the password is
hashed (a refused attempt costs nothing). Counters live in Redis when `HADIR_REDIS_URL` is set,
so every api process shares them, else in the process; a Redis that fails or hangs past
`HADIR_REDIS_TIMEOUT_S` falls back to the process's own counters for a while (never blocks a
login).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Protocol

from backend.core.errors import DomainError
from backend.core.settings import Settings

log = logging.getLogger(__name__)


class TooManyAttempts(DomainError):
    status_code = 429
    code = "too_many_attempts"

    def __init__(self, detail: str, *, retry_after_s: float) -> None:
        super().__init__(detail)
        self.retry_after_s = max(1, int(retry_after_s + 0.999))


class AttemptStore(Protocol):
    """Counters that expire. `incr` adds one and returns the new count; with `sliding` every
    increment restarts the expiry, otherwise it is set by the first one (a fixed window)."""

    async def incr(self, key: str, ttl_s: float, *, sliding: bool) -> int: ...

    async def ttl(self, key: str) -> float:
        """Seconds until `key` expires; 0 when absent."""
        ...

    async def count(self, key: str) -> int: ...

    async def mark(self, key: str, ttl_s: float) -> None:
        """A key that exists for `ttl_s` (a wait)."""
        ...

    async def delete(self, *keys: str) -> None: ...

    async def close(self) -> None: ...


class MemoryStore:
    """The process's own counters, bounded (oldest forgotten first)."""

    MAX_KEYS = 200_000

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._keys: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def _live(self, key: str) -> tuple[int, float] | None:
        hit = self._keys.get(key)
        if hit is not None and hit[1] <= self._clock():
            del self._keys[key]
            return None
        return hit

    def _put(self, key: str, value: tuple[int, float]) -> None:
        self._keys[key] = value
        self._keys.move_to_end(key)
        while len(self._keys) > self.MAX_KEYS:
            self._keys.popitem(last=False)

    async def incr(self, key: str, ttl_s: float, *, sliding: bool) -> int:
        hit = self._live(key)
        now = self._clock()
        count = (hit[0] if hit else 0) + 1
        expires = now + ttl_s if sliding or hit is None else hit[1]
        self._put(key, (count, expires))
        return count

    async def ttl(self, key: str) -> float:
        hit = self._live(key)
        return max(0.0, hit[1] - self._clock()) if hit else 0.0

    async def count(self, key: str) -> int:
        hit = self._live(key)
        return hit[0] if hit else 0

    async def mark(self, key: str, ttl_s: float) -> None:
        self._put(key, (1, self._clock() + ttl_s))

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._keys.pop(key, None)

    async def close(self) -> None:
        return None


class RedisStore:
    """Counters in Redis, shared by every api process; each call bounded by `timeout_s`."""

    PREFIX = "hadir:login:"

    def __init__(self, url: str, *, timeout_s: float) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )

    async def incr(self, key: str, ttl_s: float, *, sliding: bool) -> int:
        key = self.PREFIX + key
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            if sliding:
                pipe.pexpire(key, int(ttl_s * 1000))
            else:
                pipe.pexpire(key, int(ttl_s * 1000), nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def ttl(self, key: str) -> float:
        ms = await self._redis.pttl(self.PREFIX + key)
        return ms / 1000 if ms > 0 else 0.0

    async def count(self, key: str) -> int:
        value = await self._redis.get(self.PREFIX + key)
        return int(value) if value else 0

    async def mark(self, key: str, ttl_s: float) -> None:
        await self._redis.set(self.PREFIX + key, 1, px=max(1, int(ttl_s * 1000)))

    async def delete(self, *keys: str) -> None:
        await self._redis.delete(*(self.PREFIX + key for key in keys))

    async def close(self) -> None:
        await self._redis.aclose()


class FallbackStore:
    """`primary` (Redis) while it answers within `timeout_s`; the process's own counters for
    `pause_s` after it fails, so a Redis that is down costs one timeout, not one per login."""

    def __init__(
        self, primary: AttemptStore, fallback: AttemptStore, *, timeout_s: float, pause_s: float
    ) -> None:
        self.primary = primary
        self.fallback = fallback
        self._timeout_s = timeout_s
        self._pause_s = pause_s
        self._down_until = 0.0

    async def _call(self, name: str, *args, **kwargs):
        if time.monotonic() >= self._down_until:
            try:
                return await asyncio.wait_for(
                    getattr(self.primary, name)(*args, **kwargs), self._timeout_s
                )
            except Exception as exc:  # Redis down, hung or refusing: logins go on
                log.warning("login counters: Redis failed (%s); in-process for now", exc)
                self._down_until = time.monotonic() + self._pause_s
        return await getattr(self.fallback, name)(*args, **kwargs)

    async def incr(self, key: str, ttl_s: float, *, sliding: bool) -> int:
        return await self._call("incr", key, ttl_s, sliding=sliding)

    async def ttl(self, key: str) -> float:
        return await self._call("ttl", key)

    async def count(self, key: str) -> int:
        return await self._call("count", key)

    async def mark(self, key: str, ttl_s: float) -> None:
        await self._call("mark", key, ttl_s)

    async def delete(self, *keys: str) -> None:
        await self._call("delete", *keys)

    async def close(self) -> None:
        await self.primary.close()


def _wait_words(seconds: float) -> str:
    seconds = max(1, int(seconds + 0.999))
    if seconds < 60:
        return f"{seconds} detik"
    return f"{(seconds + 59) // 60} menit"


class LoginLimiter:
    def __init__(
        self,
        store: AttemptStore,
        *,
        nip_free: int = 5,
        nip_base_s: float = 2.0,
        nip_cap_s: float = 300.0,
        nip_window_s: float = 3600.0,
        address_limit: int = 50,
        address_window_s: float = 600.0,
        trusted_proxies: frozenset[str] = frozenset(),
    ) -> None:
        self.store = store
        self.trusted_proxies = trusted_proxies
        self.nip_free = nip_free
        self.nip_base_s = nip_base_s
        self.nip_cap_s = nip_cap_s
        self.nip_window_s = nip_window_s
        self.address_limit = address_limit
        self.address_window_s = address_window_s

    def address_of(self, peer: str | None, forwarded_for: str | None) -> str:
        """The client's address: the peer's, or behind a trusted proxy the rightmost entry of
        X-Forwarded-For that is not a trusted proxy (entries left of it can be forged)."""
        address = peer or "unknown"
        if address in self.trusted_proxies and forwarded_for:
            for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
                address = hop[:64]
                if hop not in self.trusted_proxies:
                    break
        return address

    def backoff_s(self, failures: int) -> float:
        """The wait after the `failures`-th failure in a row of one NIP."""
        if failures < self.nip_free:
            return 0.0
        return min(self.nip_cap_s, self.nip_base_s * 2 ** (failures - self.nip_free))

    async def check(self, nip: str, address: str) -> None:
        """Raise TooManyAttempts when this address or this NIP must wait."""
        if await self.store.count(f"addr:{address}") >= self.address_limit:
            wait = await self.store.ttl(f"addr:{address}")
            raise TooManyAttempts(
                "Terlalu banyak percobaan masuk yang gagal dari alamat jaringan ini; coba lagi "
                f"dalam {_wait_words(wait)}",
                retry_after_s=wait,
            )
        wait = await self.store.ttl(f"wait:{nip}")
        if wait > 0:
            raise TooManyAttempts(
                "Terlalu banyak percobaan masuk yang gagal untuk NIP ini; coba lagi dalam "
                f"{_wait_words(wait)}",
                retry_after_s=wait,
            )

    async def failed(self, nip: str, address: str) -> None:
        failures = await self.store.incr(f"nip:{nip}", self.nip_window_s, sliding=True)
        await self.store.incr(f"addr:{address}", self.address_window_s, sliding=False)
        wait = self.backoff_s(failures)
        if wait > 0:
            await self.store.mark(f"wait:{nip}", wait)

    async def succeeded(self, nip: str) -> None:
        await self.store.delete(f"nip:{nip}", f"wait:{nip}")

    async def close(self) -> None:
        await self.store.close()


def login_limiter(settings: Settings) -> LoginLimiter:
    memory = MemoryStore()
    store: AttemptStore = memory
    if settings.redis_url:
        store = FallbackStore(
            RedisStore(settings.redis_url, timeout_s=settings.redis_timeout_s),
            memory,
            timeout_s=settings.redis_timeout_s,
            pause_s=30.0,
        )
    return LoginLimiter(
        store,
        nip_free=settings.login_nip_free_failures,
        nip_cap_s=settings.login_nip_max_wait_s,
        address_limit=settings.login_address_failures,
        address_window_s=settings.login_address_window_s,
        trusted_proxies=frozenset(
            part.strip() for part in settings.trusted_proxies.split(",") if part.strip()
        ),
    )
