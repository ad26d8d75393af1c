"""Login limits over both counter stores (a real Redis, the process's own), through the API,
and with Redis down or hung: logins go on, counted in the process."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest

from backend.core.app import create_app
from backend.core.ratelimit import (
    FallbackStore,
    LoginLimiter,
    MemoryStore,
    RedisStore,
    TooManyAttempts,
)
from backend.core.settings import Settings
from tests.support import services as real
from tests.support.factories import PASSWORD, TEACHER, by_role
from tests.support.services import free_port


@pytest.fixture(params=["redis", "memory"])
async def store(request: pytest.FixtureRequest, clean: Settings) -> AsyncIterator[object]:
    if request.param == "memory":
        yield MemoryStore()
        return
    redis = RedisStore(clean.redis_url, timeout_s=2)
    yield redis
    await redis.close()


async def test_counters_expire_slide_and_reset_in_both_stores(store) -> None:
    assert await store.count("t:a") == 0 and await store.ttl("t:a") == 0
    assert [await store.incr("t:a", 0.6, sliding=False) for _ in range(3)] == [1, 2, 3]
    assert 0 < await store.ttl("t:a") <= 0.6
    await asyncio.sleep(0.4)
    await store.incr("t:s", 0.6, sliding=True)
    await asyncio.sleep(0.35)  # t:a's fixed window (set by its first increment) has ended
    assert await store.count("t:a") == 0
    assert await store.incr("t:s", 0.6, sliding=True) == 2  # each failure restarts the wait
    await asyncio.sleep(0.35)
    assert await store.count("t:s") == 2
    await store.mark("t:w", 5)
    assert 4 < await store.ttl("t:w") <= 5
    await store.delete("t:s", "t:w")
    assert await store.count("t:s") == 0 and await store.ttl("t:w") == 0


async def test_one_limiter_refuses_the_same_in_both_stores(store) -> None:
    limits = LoginLimiter(store, nip_free=2, nip_base_s=1, address_limit=4)
    for _ in range(2):
        await limits.check("199001012015031001", "10.9.0.1")
        await limits.failed("199001012015031001", "10.9.0.1")
    with pytest.raises(TooManyAttempts):
        await limits.check("199001012015031001", "10.9.0.1")
    for nip in ("199001012015031002", "199001012015031003"):
        await limits.failed(nip, "10.9.0.1")
    with pytest.raises(TooManyAttempts, match="alamat jaringan"):
        await limits.check("199001012015031004", "10.9.0.1")


@contextlib.asynccontextmanager
async def hung_redis() -> AsyncIterator[str]:
    """A port that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def swallow(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        for writer in held:
            writer.close()
        server.close()


@pytest.mark.parametrize("how", ["down", "hung"])
async def test_a_redis_down_or_hung_costs_one_timeout_then_counts_in_process(how: str) -> None:
    async with contextlib.AsyncExitStack() as stack:
        url = (
            f"redis://127.0.0.1:{free_port()}/0"
            if how == "down"
            else await stack.enter_async_context(hung_redis())
        )
        redis = RedisStore(url, timeout_s=0.3)
        stack.push_async_callback(redis.close)
        store = FallbackStore(redis, MemoryStore(), timeout_s=0.3, pause_s=30)
        limits = LoginLimiter(store, nip_free=2, nip_base_s=1)
        started = time.perf_counter()
        await limits.check("199001012015031001", "10.9.0.1")
        first = time.perf_counter() - started
        started = time.perf_counter()
        for _ in range(2):
            await limits.failed("199001012015031001", "10.9.0.1")
        with pytest.raises(TooManyAttempts):
            await limits.check("199001012015031001", "10.9.0.1")
        rest = time.perf_counter() - started
    assert first < 1.5, f"the first call took {first:.2f} s"
    assert rest < 0.1, f"calls after the failure took {rest:.2f} s (Redis asked again?)"


@pytest.fixture
async def client(clean: Settings) -> AsyncIterator[httpx.AsyncClient]:
    settings = msgspec.structs.replace(
        clean, login_nip_free_failures=3, login_nip_max_wait_s=2, login_address_failures=6
    )
    async with real.asgi_client(create_app(settings, face_executor=None)) as client:
        yield client


async def login(client: httpx.AsyncClient, nip: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"nip": nip, "password": password})


async def test_repeated_wrong_logins_are_429_with_retry_after_and_a_success_resets(
    client: httpx.AsyncClient,
) -> None:
    for _ in range(3):
        assert (await login(client, TEACHER.nip, "salah-terus")).status_code == 401
    # The right password too must wait: the limit is decided before the password is checked.
    refused = await login(client, TEACHER.nip, PASSWORD)
    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_attempts"
    assert refused.json()["detail"].startswith("Terlalu banyak percobaan masuk")
    assert 1 <= int(refused.headers["retry-after"]) <= 2
    # Someone else from the same address logs in meanwhile.
    assert (await login(client, by_role("bkd").nip, PASSWORD)).status_code == 201
    await asyncio.sleep(int(refused.headers["retry-after"]) + 0.1)
    assert (await login(client, TEACHER.nip, PASSWORD)).status_code == 201
    # The success reset the count: three more free failures.
    for _ in range(3):
        assert (await login(client, TEACHER.nip, "salah-lagi")).status_code == 401


async def test_one_address_trying_many_nips_is_stopped(client: httpx.AsyncClient) -> None:
    for i in range(6):
        answer = await login(client, f"19900101201503{1100 + i}", "tebakan")
        assert answer.status_code == 401
    refused = await login(client, "199001012015031200", "tebakan")
    assert refused.status_code == 429 and "alamat jaringan" in refused.json()["detail"]
    assert int(refused.headers["retry-after"]) > 500
    # Behind no trusted proxy, a forged X-Forwarded-For changes nothing.
    forged = await client.post(
        "/api/v1/auth/login",
        json={"nip": TEACHER.nip, "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.77"},
    )
    assert forged.status_code == 429
