"""The audit trail: who changed master data or an account, when, before and after.

Written with the change, in its transaction, by whoever makes it (an admin's account change in
org, an edit through Piccolo Admin at /admin/). Values are kept as JSON; secrets (password
hashes) never reach it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import msgspec

from backend.core.tables import AuditEntry

SECRET_COLUMNS = frozenset({"password_hash", "password"})


def scrub(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """The row as JSON-able values, without secrets."""
    if row is None:
        return None
    return msgspec.to_builtins({k: v for k, v in row.items() if k not in SECRET_COLUMNS})


async def record(
    *,
    actor: str,
    action: str,
    target: str,
    target_key: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    await AuditEntry.insert(
        AuditEntry(
            at=dt.datetime.now(dt.UTC),
            actor=actor,
            action=action,
            target=target,
            target_key=str(target_key)[:100],
            before=scrub(before),
            after=scrub(after),
        )
    )


async def entries(target: str | None = None, target_key: str | None = None) -> list[dict]:
    """The trail, newest first (for tests and a later screen)."""
    query = AuditEntry.select().order_by(AuditEntry.id, ascending=False)
    if target is not None:
        query = query.where(AuditEntry.target == target)
    if target_key is not None:
        query = query.where(AuditEntry.target_key == target_key)
    return await query.output(load_json=True)


async def trail(
    target_key: str,
    targets: tuple[str, ...],
    *,
    limit: int,
    before_id: int | None,
    also: Sequence[tuple[str, list[str]]] = (),
) -> list[dict]:
    """One record's trail across tables (an employee's account and face references share the
    NIP as key), newest first, `limit + 1` rows from below `before_id` for keyset paging.
    `also`: (target, keys) pairs of entries kept under other keys (Piccolo Admin keys a row by
    its id, the review desk a face reference by its id)."""
    where = (AuditEntry.target_key == target_key) & AuditEntry.target.is_in(list(targets))
    for target, keys in also:
        if keys:
            where = where | (
                (AuditEntry.target == target) & AuditEntry.target_key.is_in(keys[:500])
            )
    query = AuditEntry.select().where(where)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return (
        await query.order_by(AuditEntry.id, ascending=False).limit(limit + 1).output(load_json=True)
    )
