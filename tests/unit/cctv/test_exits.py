"""Exit cameras' rules: who counts as leaving without a permit, in whose working hours, when two
sightings are one event, and the 1:N identification with its margin over the runner-up."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from backend.cctv.exits import (
    identified_staff,
    leaving_without_permit,
    same_event,
    shift_running,
)
from backend.faces import recognition
from backend.faces.recognition import identify
from tests.support.exits import exit_frame
from tests.support.photos import photo

OFFICE = {"1": ["07:30", "16:00"], "5": ["07:30", "16:30"]}
NIGHT = {"1": ["22:00", "06:00"]}
MONDAY = dt.date(2026, 11, 23)
T = dt.time


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, T(hour, minute))


def test_working_hours_are_the_shift_running_then() -> None:
    assert shift_running(OFFICE, set(), at(MONDAY, 10)) == MONDAY
    assert shift_running(OFFICE, set(), at(MONDAY, 7, 29)) is None
    assert shift_running(OFFICE, set(), at(MONDAY, 16)) is None  # the shift has ended
    tuesday = MONDAY + dt.timedelta(days=1)
    assert shift_running(OFFICE, set(), at(tuesday, 10)) is None  # not a working day
    assert shift_running(OFFICE, {MONDAY}, at(MONDAY, 10)) is None  # a holiday


def test_a_night_shift_runs_past_midnight_on_its_own_work_date() -> None:
    tuesday = MONDAY + dt.timedelta(days=1)
    assert shift_running(NIGHT, set(), at(MONDAY, 23)) == MONDAY
    assert shift_running(NIGHT, set(), at(tuesday, 5, 59)) == MONDAY
    assert shift_running(NIGHT, set(), at(tuesday, 6)) is None
    assert shift_running(NIGHT, set(), at(MONDAY, 21)) is None


def test_leaving_without_permit_unless_a_short_leave_covers_the_moment() -> None:
    moment = at(MONDAY, 10, 15)
    assert leaving_without_permit(moment, day_permit=None, short_leaves=[])
    assert not leaving_without_permit(moment, day_permit=None, short_leaves=[(T(10), T(12))])
    # The bounds are inside; a leave of other hours that day does not cover this one.
    assert not leaving_without_permit(
        at(MONDAY, 10), day_permit=None, short_leaves=[(T(10), T(11))]
    )
    assert leaving_without_permit(moment, day_permit=None, short_leaves=[(T(13), T(14))])
    assert leaving_without_permit(moment, day_permit=None, short_leaves=[(T(9), T(10, 10))])
    assert not leaving_without_permit(
        moment, day_permit=None, short_leaves=[(T(8), T(9)), (T(10), T(10, 30))]
    )


@pytest.mark.parametrize("kind", ["dinas_luar", "cuti_tahunan", "sakit"])
def test_a_whole_day_permit_is_never_leaving_without_one(kind: str) -> None:
    assert not leaving_without_permit(at(MONDAY, 10), day_permit=kind, short_leaves=[])


def test_sightings_within_the_merge_window_are_one_event() -> None:
    first = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)
    last = first + dt.timedelta(minutes=20)  # lingered at the door, seen all along
    minutes = lambda n: first + dt.timedelta(minutes=n)  # noqa: E731
    assert same_event(first, first, minutes(5), 300)
    assert not same_event(first, first, first + dt.timedelta(seconds=301), 300)
    assert same_event(first, last, minutes(10), 300)  # between two sightings
    assert same_event(first, last, minutes(25), 300)
    assert not same_event(first, last, minutes(26), 300)
    assert same_event(first, last, minutes(-5), 300)  # analysed out of order
    assert not same_event(first, last, minutes(-6), 300)


def unit(*values: float) -> np.ndarray:
    vector = np.zeros(128)
    vector[: len(values)] = values
    return vector


def test_one_to_n_names_the_best_only_with_a_margin_over_the_runner_up() -> None:
    face = unit(0.0)
    people = {7: [unit(0.30), unit(0.9)], 8: [unit(0.55)]}
    found = identify(face, people, tolerance=0.42, margin=0.1)
    assert (found.code, found.employee_id) == ("match", 7)
    assert found.distance == pytest.approx(0.30) and found.margin == pytest.approx(0.25)
    # A look-alike within the margin: nobody is named.
    close = identify(face, {7: [unit(0.30)], 8: [unit(0.36)]}, tolerance=0.42, margin=0.1)
    assert (close.code, close.employee_id) == ("ambiguous", 7)
    assert close.margin == pytest.approx(0.06)
    # Within the 1:1 tolerance (0.5) but not the strict one.
    far = identify(face, {7: [unit(0.45)]}, tolerance=0.42, margin=0.1)
    assert far.code == "unknown" and far.distance == pytest.approx(0.45)
    # One enrolled person: no runner-up, the strict tolerance alone.
    alone = identify(face, {7: [unit(0.2)]}, tolerance=0.42, margin=0.1)
    assert alone.code == "match" and alone.margin is None
    assert identify(face, {}, tolerance=0.42, margin=0.1).code == "unknown"
    assert identify(face, {7: []}, tolerance=0.42, margin=0.1).code == "unknown"


def test_two_references_of_one_person_never_compete() -> None:
    found = identify(
        unit(0.0), {7: [unit(0.1), unit(0.12)], 8: [unit(0.6)]}, tolerance=0.42, margin=0.1
    )
    assert found.code == "match" and found.margin == pytest.approx(0.5)


def test_only_confident_faces_are_named_and_one_person_once_per_frame() -> None:
    people = {7: [unit(0.0)], 8: [unit(0.0, 1.0)]}
    faces = [unit(0.2), unit(0.1), unit(0.05, 0.5), unit(3.0)]
    named = identified_staff(faces, people, tolerance=0.42, margin=0.1)
    assert sorted(named) == [7]  # the face between 7 and 8 names nobody; the far one neither
    assert named[7].distance == pytest.approx(0.1)  # the nearer of its two faces


def reference(name: str) -> np.ndarray:
    return recognition.reference_encoding(photo(name), max_pixels=50_000_000)


def test_real_faces_in_an_exit_frame_are_told_apart() -> None:
    """Staff of a location: one enrolled with obama.jpg, one with biden.jpg. An exit frame with
    another photo of the first and a stranger (grace_hopper.jpg) names the first only."""
    staff = {1: [reference("obama.jpg")], 2: [reference("biden.jpg")]}
    faces = recognition.picture_encodings(
        exit_frame("obama3.jpg", "grace_hopper.jpg"), max_pixels=50_000_000
    )
    assert len(faces) == 2
    named = identified_staff(faces, staff, tolerance=0.42, margin=0.1)
    assert list(named) == [1] and named[1].distance < 0.42 and named[1].margin > 0.1


def test_real_look_alikes_within_the_margin_name_nobody() -> None:
    """Two photos of one man enrolled as two employees: a third photo of him is near both
    (0.36 and 0.44), within the tolerance of one, but not clear of the other by the margin."""
    staff = {1: [reference("obama.jpg")], 2: [reference("obama3.jpg")]}
    [face] = recognition.picture_encodings(exit_frame("obama2.jpg"), max_pixels=50_000_000)
    found = identify(face, staff, tolerance=0.42, margin=0.1)
    assert found.code == "ambiguous" and found.employee_id == 1
    assert identified_staff([face], staff, tolerance=0.42, margin=0.1) == {}
