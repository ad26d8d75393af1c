"""The board's change signal: a cheap "something changed" that reaches every api process.

With Redis configured, a change is a PUBLISH on one channel and each api process listens with
one subscription (started when its first board stream opens), so a check-in settled by a worker
on another machine wakes the streams of every api process. Without Redis (the embedded
default) the jobs run in the api process itself and the signal stays in-process. The signal
carries nothing: each process rebuilds the state from the aggregates, once per change, however
many streams it serves. A signal lost (Redis away for a moment) is covered by the streams'
periodic refresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import redis.asyncio as aioredis

log = logging.getLogger(__name__)

CHANNEL = "hadir:board:changed"
RECONNECT_S = 1.0


class ChangeSignal:
    def __init__(self, redis_url: str = "", *, timeout_s: float = 2.0) -> None:
        self.redis_url = redis_url
        self.timeout_s = timeout_s
        self.version = 0
        self._changed = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None
        self._redis: aioredis.Redis | None = None

    def _client(self) -> aioredis.Redis:
        if self._redis is None:
            self._redis = aioredis.from_url(
                self.redis_url,
                socket_timeout=self.timeout_s,
                socket_connect_timeout=self.timeout_s,
            )
        return self._redis

    def _bump(self) -> None:
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def publish(self) -> None:
        """Tell every process's streams; never raises (a lost signal only delays a screen)."""
        if not self.redis_url:
            self._bump()
            return
        try:
            await asyncio.wait_for(self._client().publish(CHANNEL, b"1"), self.timeout_s)
        except Exception as exc:  # Redis away: the streams' periodic refresh catches up
            log.warning("board signal not published: %s: %s", type(exc).__name__, exc)

    async def wait(self, seen: int, timeout_s: float) -> bool:
        """Wait until the version passes `seen` or `timeout_s` elapses; whether it changed."""
        self._listen()
        if self.version != seen:
            return True
        changed = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), timeout_s)
        return self.version != seen

    def _listen(self) -> None:
        if self.redis_url and (self._listener is None or self._listener.done()):
            self._listener = asyncio.create_task(self._subscribe(), name="hadir-board-signal")

    async def _subscribe(self) -> None:
        while True:
            pubsub = None
            try:
                # Its own connection without a read timeout: a quiet channel is not a failure.
                client = aioredis.from_url(
                    self.redis_url, socket_connect_timeout=self.timeout_s, socket_timeout=None
                )
                pubsub = client.pubsub()
                await asyncio.wait_for(pubsub.subscribe(CHANNEL), self.timeout_s)
                # Anything may have changed while not subscribed.
                self._bump()
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self._bump()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("board signal listener: %s: %s", type(exc).__name__, exc)
            finally:
                if pubsub is not None:
                    with contextlib.suppress(Exception):
                        await pubsub.aclose()
                    with contextlib.suppress(Exception):
                        await client.aclose()
            await asyncio.sleep(RECONNECT_S)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.aclose()
