"""The people counter on real CCTV frames whose people were counted by eye (tests/support/
people.py): how often it is exactly right and within one. The figures are in BENCHMARKS.md;
this keeps them from getting worse unnoticed."""

from __future__ import annotations

import pytest

from backend.cctv import people
from tests.support import people as frames


@pytest.fixture(scope="module")
def labelled():
    try:
        return frames.labelled()
    except frames.Unavailable as exc:
        pytest.skip(str(exc))


def test_the_counter_is_within_one_on_most_labelled_frames(labelled):
    counted = {
        index: people.count_people(jpeg, None, max_pixels=10**7).people
        for index, _, jpeg in labelled
    }
    truth = {index: n for index, n, _ in labelled}
    exact = sum(counted[i] == truth[i] for i in truth)
    within_one = sum(abs(counted[i] - truth[i]) <= 1 for i in truth)
    print(f"counted {counted} truth {truth}: exact {exact}/8, within one {within_one}/8")
    assert within_one >= 6, counted
    assert exact >= 2, counted


def test_a_zone_counts_only_those_standing_in_it(labelled):
    _, _, jpeg = labelled[0]  # frame 0: three walkers, all on the path's lower half
    everyone = people.count_people(jpeg, None, max_pixels=10**7)
    # The left half of the frame by the feet: the walker on the right is out.
    left = [[0, 0], [384, 0], [384, 576], [0, 576]]
    in_left = people.count_people(jpeg, left, max_pixels=10**7).people
    expected = sum(1 for b in everyone.boxes if (b.left + b.right) / 2 < 384)
    assert in_left == expected < everyone.people
