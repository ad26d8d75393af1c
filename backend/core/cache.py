"""Small read-through snapshots of rarely changing master data (units, fences).

The check-in hot path must not read the location table on every request. Each api process keeps
a snapshot and reloads it when it is older than `ttl_s`, so an admin's change reaches every
process within that time without any cross-process signalling.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Snapshot(Generic[T]):
    def __init__(self, load: Callable[[], Awaitable[T]], *, ttl_s: float = 60.0) -> None:
        self._load = load
        self._ttl_s = ttl_s
        self._value: T | None = None
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> T:
        if self._value is None or time.monotonic() - self._loaded_at > self._ttl_s:
            async with self._lock:
                if self._value is None or time.monotonic() - self._loaded_at > self._ttl_s:
                    self._value = await self._load()
                    self._loaded_at = time.monotonic()
        return self._value

    def invalidate(self) -> None:
        self._loaded_at = 0.0
