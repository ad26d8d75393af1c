"""Liveness: the pure maths on synthetic points, then a few generated sequences from real photos
(the error rates over many are bench/liveness.py's; these pin the behaviour of each case)."""

from __future__ import annotations

import math
import random

import cv2
import numpy as np
import pytest

from backend.faces import liveness
from backend.faces.service import liveness_reason
from tests.support import liveness as sequences

# dlib's 5 points of a frontal face: picture-right eye (outer, inner), picture-left eye
# (outer, inner), base of the nose. Inter-ocular distance 60 px.
FRONT = np.array([[190.0, 100], [165, 100], [105, 100], [130, 100], [147.5, 150]])
TH = liveness.Thresholds()


def test_pose_is_the_nose_against_the_eye_line_in_eye_distances():
    pose = liveness.pose_of(FRONT)
    assert pose.iod == pytest.approx(60)
    assert pose.yaw == pytest.approx(0) and pose.pitch == pytest.approx(50 / 60)
    turned = FRONT.copy()
    turned[4, 0] += 9  # the nose towards the picture's right: the person's own left
    assert liveness.pose_of(turned).yaw == pytest.approx(0.15)
    up = FRONT.copy()
    up[4, 1] -= 9
    assert liveness.pose_of(up).pitch - pose.pitch == pytest.approx(-0.15)


def test_pose_ignores_a_rolled_phone_and_the_distance():
    angle = math.radians(25)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    moved = (FRONT - FRONT.mean(axis=0)) @ rotation.T * 0.6 + [40, 12]
    a, b = liveness.pose_of(FRONT), liveness.pose_of(moved)
    assert (b.yaw, b.pitch) == pytest.approx((a.yaw, a.pitch))


def test_steps_and_their_order():
    assert liveness.step_reached("left", 0.1, 0, TH) and not liveness.step_reached(
        "left", -0.1, 0, TH
    )
    assert liveness.step_reached("right", -0.1, 0, TH)
    assert liveness.step_reached("up", 0, -0.1, TH) and not liveness.step_reached("up", 0, 0.1, TH)
    assert liveness.order_of(["left", "up"], [(1, "left"), (2, "left"), (3, "up")]) is None
    assert liveness.order_of(["left", "up"], [(1, "up"), (3, "left")]) == "wrong_order"
    assert liveness.order_of(["left", "up"], [(1, "left")]) == "step_missing"


def _plane_pair(homography: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    src = rng.uniform([90, 60], [210, 220], size=(60, 2)).astype(np.float32)
    dst = cv2.perspectiveTransform(src.reshape(-1, 1, 2), homography).reshape(-1, 2)
    return src, dst.astype(np.float32)


def test_a_flat_picture_has_no_nose_parallax_and_a_head_has():
    # A picture tilted in perspective: every point, the nose included, follows one homography.
    tilt = np.array([[0.9, 0.05, 12], [0.02, 1.0, -4], [0.0009, 0.0002, 1]])
    src, dst = _plane_pair(tilt)
    front = liveness.pose_of(FRONT)
    seen = cv2.perspectiveTransform(FRONT.reshape(-1, 1, 2), tilt).reshape(-1, 2)
    flat = liveness.nose_parallax("left", front, liveness.pose_of(seen), src, dst)
    assert abs(flat) < 0.01
    # A head turned to its left: the nose stands out of the face's plane towards the picture's
    # right by 0.1 eye distances more than the plane carries it.
    head = seen.copy()
    head[4, 0] += 0.1 * front.iod
    assert liveness.nose_parallax("left", front, liveness.pose_of(head), src, dst) > TH.parallax
    # ... the wrong way for "right", and too few points decide nothing.
    assert liveness.nose_parallax("right", front, liveness.pose_of(head), src, dst) < 0
    assert liveness.nose_parallax("left", front, liveness.pose_of(head), src[:5], dst[:5]) is None


def _check(seq: sequences.Sequence) -> liveness.Result:
    return liveness.check(
        seq.challenge, seq.frames, seq.selfie, thresholds=TH, max_pixels=4_000_000
    )


def test_a_genuine_turn_passes():
    seq = sequences.genuine("biden.jpg", ["left", "up"], random.Random(2))
    result = _check(seq)
    assert result.passed, result
    assert liveness_reason(seq.challenge, result).code == "liveness_passed"


def test_a_flat_picture_moved_around_fails():
    seq = sequences.replay("biden.jpg", ["left", "up"], random.Random(2))
    result = _check(seq)
    assert not result.passed and result.failure in {"flat", "step_missing", "unclear"}, result
    assert "Tantangan gerak kepala gagal" in liveness_reason(seq.challenge, result).message


def test_the_steps_in_the_other_order_fail():
    seq = sequences.wrong_order("biden.jpg", ["left", "up"], random.Random(2))
    result = _check(seq)
    assert result.failure == "wrong_order", result
    words = liveness_reason(seq.challenge, result).message
    assert "urutan terbalik" in words and "toleh ke kiri lalu lihat ke atas" in words


def test_someone_else_turning_fails():
    seq = sequences.other_person("biden.jpg", "grace_hopper.jpg", ["right", "up"], random.Random(2))
    result = _check(seq)
    assert result.failure == "other_person", result
    assert "bukan orang yang sama" in liveness_reason(seq.challenge, result).message


def test_no_frames_at_all_is_a_step_not_done():
    """A kiosk capture may arrive without its frames: a failure in words, never a crash."""
    result = liveness.judge(["right", "up"], [], None, TH)
    assert not result.passed and result.failure == "step_missing" and result.step == "right"
    assert liveness_reason(["right", "up"], result).code == "liveness_failed"
