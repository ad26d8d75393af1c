"""The access-policy table's pure parts: scopes per role, several roles, nobody decides their own."""

import pytest

from backend.core import policy
from backend.core.auth import ROLES, Principal


def who(*roles: str) -> Principal:
    return Principal(employee_id=1, nip="-", name="-", roles=roles, unit_id=1)


def test_every_action_names_known_roles_and_scopes() -> None:
    for action, row in policy.POLICY.items():
        assert set(row) <= set(ROLES), action
        assert set(row.values()) <= set(policy.SCOPES), action
    assert policy.NOT_OWN <= set(policy.POLICY)


def test_command_reads_aggregates_not_check_ins() -> None:
    command = who("asn", "command")
    assert policy.scope(command, "recap.read") == policy.ANY
    assert policy.scope(command, "checkin.read") == policy.OWN
    assert policy.scope(command, "review.list") is None


def test_the_widest_scope_of_several_roles_counts() -> None:
    head_of_bkd = who("asn", "kepala_unit", "bkd")
    assert policy.scope(head_of_bkd, "checkin.read") == policy.ANY
    assert policy.scope(who("asn", "kepala_unit"), "checkin.read") == policy.UNIT
    assert policy.scope(who("asn"), "permit.inbox") is None


async def test_nobody_decides_their_own() -> None:
    verifier = who("asn", "bkd")
    assert not await policy.reaches(verifier, "review.decide", employee_id=1)
    assert await policy.reaches(verifier, "review.decide", employee_id=2)
    assert await policy.reaches(verifier, "checkin.read", employee_id=1)
    assert not await policy.reaches(who("asn"), "checkin.read", employee_id=2)


def test_a_guard_for_an_action_outside_the_table_is_refused() -> None:
    with pytest.raises(KeyError):
        policy.allow("checkin.delete")
