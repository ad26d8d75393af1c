"""Password checks are bounded: a few at a time, a few waiting, the rest refused at once."""

from __future__ import annotations

import asyncio
import time

import pytest

from backend.core.auth import PasswordChecker, hash_password
from backend.core.errors import Unavailable

HASH = hash_password("rahasia")


async def test_a_right_and_a_wrong_password() -> None:
    checker = PasswordChecker(concurrency=1, queue=0)
    assert await checker.verify(HASH, "rahasia") is True
    assert await checker.verify(HASH, "salah") is False
    assert await checker.verify("not-a-hash", "salah") is False


async def test_beyond_the_queue_logins_are_refused_at_once_with_retry_after() -> None:
    checker = PasswordChecker(concurrency=1, queue=2)
    started = time.perf_counter()
    results = await asyncio.gather(
        *(checker.verify(HASH, f"salah-{i}") for i in range(6)), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, Unavailable)]
    assert len(refused) == 3 and results[:3] == [False, False, False]
    assert all(r.retry_after_s >= 1 for r in refused)
    # The admitted ones finish; a refused one is free again.
    assert await checker.verify(HASH, "rahasia") is True
    assert time.perf_counter() - started < 30


async def test_no_more_than_concurrency_checks_run_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import backend.core.auth as auth

    running, peak = 0, 0

    def slow_check(password_hash: str, password: str) -> bool:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        time.sleep(0.05)
        running -= 1
        return False

    monkeypatch.setattr(auth, "_check", slow_check)
    checker = PasswordChecker(concurrency=2, queue=20)
    await asyncio.gather(*(checker.verify(HASH, "x") for i in range(10)))
    assert peak == 2
