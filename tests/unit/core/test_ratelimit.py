"""Login limits: one NIP's failures only slow that NIP, with a capped doubling wait; one
address failing too often waits out its window; a success resets the NIP."""

from __future__ import annotations

import pytest

from backend.core.ratelimit import LoginLimiter, MemoryStore, TooManyAttempts


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(clock: Clock, **kwargs) -> LoginLimiter:
    options = {"nip_free": 3, "nip_base_s": 2, "nip_cap_s": 20, "address_limit": 10}
    return LoginLimiter(MemoryStore(clock), **{**options, **kwargs})


def test_the_wait_doubles_after_the_free_failures_and_is_capped() -> None:
    waits = [limiter(Clock()).backoff_s(n) for n in range(1, 10)]
    assert waits == [0, 0, 2, 4, 8, 16, 20, 20, 20]


async def test_a_nip_waits_only_after_its_free_failures_and_a_success_resets_it() -> None:
    clock = Clock()
    limits = limiter(clock)
    for _ in range(2):
        await limits.check("nip-a", "10.0.0.1")
        await limits.failed("nip-a", "10.0.0.1")
    await limits.check("nip-a", "10.0.0.1")
    await limits.failed("nip-a", "10.0.0.1")  # the third: 2 s to wait
    with pytest.raises(TooManyAttempts) as refused:
        await limits.check("nip-a", "10.0.0.2")  # another address: the same NIP waits
    assert refused.value.retry_after_s == 2 and "NIP ini" in refused.value.detail
    await limits.check("nip-b", "10.0.0.1")  # another NIP from the same address does not
    clock.now += 2.01
    await limits.check("nip-a", "10.0.0.1")
    await limits.succeeded("nip-a")
    await limits.failed("nip-a", "10.0.0.1")
    await limits.check("nip-a", "10.0.0.1")  # counting again from one


async def test_an_address_failing_on_many_nips_waits_out_its_window() -> None:
    clock = Clock()
    limits = limiter(clock, address_window_s=600)
    for i in range(10):
        await limits.check(f"nip-{i}", "10.0.0.9")
        await limits.failed(f"nip-{i}", "10.0.0.9")
    with pytest.raises(TooManyAttempts) as refused:
        await limits.check("nip-new", "10.0.0.9")
    assert "alamat jaringan" in refused.value.detail and refused.value.retry_after_s == 600
    await limits.check("nip-new", "10.0.0.10")  # a colleague elsewhere is not touched
    clock.now += 601
    await limits.check("nip-new", "10.0.0.9")  # never forever


def test_the_address_behind_a_trusted_proxy_is_the_forwarded_one() -> None:
    limits = LoginLimiter(MemoryStore(), trusted_proxies=frozenset({"10.1.1.1", "10.1.1.2"}))
    assert limits.address_of("203.0.113.5", "198.51.100.1") == "203.0.113.5"  # not a proxy
    assert limits.address_of("10.1.1.1", "6.6.6.6, 198.51.100.7, 10.1.1.2") == "198.51.100.7"
    assert limits.address_of("10.1.1.1", None) == "10.1.1.1"
    assert limits.address_of(None, None) == "unknown"
