"""The access-policy table's pure parts: scopes per role, several roles, nobody decides their own."""

import pytest

from backend.core import policy
from backend.core.auth import ROLES, Principal


def who(*roles: str) -> Principal:
    return Principal(employee_id=1, nip="-", name="-", roles=roles, unit_id=1)


class TwoUnitTree:
    """Unit 1 holds employees 1-9 and unit 2 under it holds 10-19; unit 3 is elsewhere."""

    async def employee_within(self, employee_id: int, ancestor_id: int) -> bool:
        unit = 1 if employee_id < 10 else 2 if employee_id < 20 else 3
        return await self.unit_within(unit, ancestor_id)

    async def unit_within(self, unit_id: int, ancestor_id: int) -> bool:
        return unit_id == ancestor_id or (unit_id == 2 and ancestor_id == 1)


TREE = TwoUnitTree()


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
    assert not await policy.reaches(verifier, "review.decide", TREE, employee_id=1)
    assert await policy.reaches(verifier, "review.decide", TREE, employee_id=2)
    assert await policy.reaches(verifier, "checkin.read", TREE, employee_id=1)
    assert not await policy.reaches(who("asn"), "checkin.read", TREE, employee_id=2)


async def test_a_head_reaches_the_units_under_theirs_only() -> None:
    head = who("asn", "kepala_unit")
    assert await policy.reaches(head, "checkin.read", TREE, employee_id=5)
    assert await policy.reaches(head, "checkin.read", TREE, employee_id=15)
    assert not await policy.reaches(head, "checkin.read", TREE, employee_id=25)
    assert await policy.reaches(head, "recap.read", TREE, unit_id=2)
    assert not await policy.reaches(head, "recap.read", TREE, unit_id=3)
    # A head may not decide their own permit, even inside their unit.
    assert not await policy.reaches(head, "permit.decide", TREE, employee_id=1)


def test_a_guard_for_an_action_outside_the_table_is_refused() -> None:
    with pytest.raises(KeyError):
        policy.allow("checkin.delete")
