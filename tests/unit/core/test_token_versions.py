"""A process trusts an employee's token version for a short TTL: one read per TTL, not per request."""

from __future__ import annotations

import msgspec

from backend.core.auth import Principal, TokenVersions


async def test_versions_are_read_once_per_ttl_and_compared() -> None:
    reads: list[int] = []

    async def load(employee_id: int) -> tuple[int, bool] | None:
        reads.append(employee_id)
        return (3, True) if employee_id == 7 else None

    versions = TokenVersions(load, ttl_s=60)
    who = Principal(employee_id=7, nip="x", name="x", roles=("asn",), unit_id=1, token_version=3)
    assert all([await versions.current(who) for _ in range(100)])
    assert reads == [7]
    assert not await versions.current(msgspec.structs.replace(who, token_version=2))
    assert not await versions.current(msgspec.structs.replace(who, employee_id=8))
    versions.forget(7)
    assert await versions.current(who) and reads == [7, 8, 7]


async def test_a_newer_token_than_the_cached_version_reads_again() -> None:
    """The fresh token of a password change must work at once, in every process, though the
    process still holds the old version for its TTL; an older token never forces a read."""
    state = {"version": 3}
    reads: list[int] = []

    async def load(employee_id: int) -> tuple[int, bool] | None:
        reads.append(employee_id)
        return (state["version"], True)

    versions = TokenVersions(load, ttl_s=60)
    who = Principal(employee_id=7, nip="x", name="x", roles=("asn",), unit_id=1, token_version=3)
    assert await versions.current(who)
    state["version"] = 4
    fresh = msgspec.structs.replace(who, token_version=4)
    assert await versions.current(fresh) and reads == [7, 7]
    assert not await versions.current(who) and reads == [7, 7]
    assert await versions.current(fresh) and reads == [7, 7]
