"""The desk's unit filter: the tree depth first, each unit counting what waits below it."""

from __future__ import annotations

from types import SimpleNamespace as Node

from backend.attendance.reviews import review_units


def node(id: int, code: str, parent: int | None, name: str | None = None) -> Node:
    return Node(id=id, code=code, name=name or code, kind="opd", parent=parent)


def test_units_come_depth_first_with_their_subtree_counts() -> None:
    nodes = [
        node(1, "PEMDA", None),
        node(3, "DISDIK", 1),
        node(2, "BKD", 1),
        node(4, "SD-B", 3),
        node(5, "SD-A", 3),
    ]
    units = review_units(nodes, {4: 2, 5: 1, 2: 3})
    assert [(u.code, u.depth, u.parent, u.flagged) for u in units] == [
        ("PEMDA", 0, None, 6),
        ("BKD", 1, "PEMDA", 3),
        ("DISDIK", 1, "PEMDA", 3),
        ("SD-A", 2, "DISDIK", 1),
        ("SD-B", 2, "DISDIK", 2),
    ]


def test_a_subtree_without_its_parent_starts_at_the_top() -> None:
    # A head of unit's scope: their unit has a parent they do not see.
    units = review_units([node(3, "DISDIK", 1), node(4, "SD", 3)], {4: 1})
    assert [(u.code, u.depth, u.parent, u.flagged) for u in units] == [
        ("DISDIK", 0, None, 1),
        ("SD", 1, "DISDIK", 1),
    ]
