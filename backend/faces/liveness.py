"""Active liveness: did a real head turn as asked? Pure CPU work, no I/O (run it in the face pool).

The phone asks for two of `left`, `right`, `up` (the person's own left and right; frames are not
mirrored) in random order and sends a frontal frame plus one or two small frames per step. Per
frame: the face (HOG, upsampled for small frames), dlib's 5-point landmarks (the two corners of
each eye and the base of the nose; the 68-point model's training data restricts commercial use),
and its encoding. Three checks follow:

1. Pose. Yaw is the nose's offset from the middle of the eyes along the eye line, pitch its
   distance below that line, both in inter-ocular distances and relative to the frontal frame,
   so a roll of the phone or a face further away changes neither. Left turns the nose to the
   picture's right (yaw up), right to its left, looking up brings the nose towards the eyes.
2. The same person: every frame's face within the face tolerance of the selfie.
3. Depth (plane + parallax). The four eye corners lie almost on one line, so they cannot fix a
   homography (nor an affine map) between two frames, and the nose alone can always be matched by
   some tilt of a flat picture. So the flat hypothesis is tested on the whole face instead: points
   of texture inside the face are tracked from the frontal frame to the most turned frame of each
   step (pyramidal Lucas-Kanade, seeded by the similarity the landmarks give) and one homography
   is fitted to them with RANSAC. A flat picture moved, tilted or bent slightly is one homography
   up to tracking noise; a head is not (the nose and the cheeks in front of the jaw move by
   different amounts), so the share of tracks off the fitted plane is the depth signal.

What it does not catch: a video of the person doing the same turns, a good 3-D mask; the
challenge is drawn on the phone (it must work offline), so a tampered app can know it ahead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, NamedTuple

import cv2
import dlib
import msgspec
import numpy as np

from backend.faces import recognition

STEPS = ("left", "right", "up")
Step = Literal["left", "right", "up"]

# Frames smaller than this (long side) are upsampled once before detection: a 320 px frame's
# face is ~100 px, near the HOG detector's 80 px floor at upsample 0.
UPSAMPLE_BELOW = 480

# Fewer tracked points than this cannot tell a plane from a head: the check fails as unclear.
MIN_TRACKS = 12


class Thresholds(msgspec.Struct, frozen=True):
    """The decision's numbers (settings `liveness_*`, documented in backend/core/settings.py)."""

    yaw: float = 0.06  # nose offset change (inter-ocular distances) that counts as a turn
    pitch: float = 0.06  # nose-to-eye-line shortening that counts as looking up
    tolerance: float = 0.6  # face distance of every frame to the selfie: the same person
    parallax: float = 0.02  # the nose off the face's plane (inter-ocular distances): a head


class FramePose(NamedTuple):
    yaw: float
    pitch: float
    iod: float  # inter-ocular distance in pixels
    points: np.ndarray  # (5, 2) landmarks


class Frame(NamedTuple):
    """One decoded frame: grey pixels for tracking, its pose and encoding (None: no face)."""

    step: str
    grey: np.ndarray
    pose: FramePose | None
    encoding: np.ndarray | None
    faces: int


class Result(msgspec.Struct, frozen=True):
    """The verdict: `passed`, and when not, `failure` (a code) and `step` it concerns."""

    passed: bool
    failure: str | None = None  # see WORDS in faces/service.py
    step: str | None = None
    yaw: list[float] = []  # per frame, relative to the frontal frame (for BKD and the bench)
    pitch: list[float] = []
    distance: float | None = None  # the largest face distance to the selfie
    parallax: float | None = None  # the smaller of the two steps' nose parallax


def pose_of(points: np.ndarray) -> FramePose:
    """Yaw and pitch of dlib's 5 landmarks: 0-1 the picture-right eye (outer, inner corner),
    2-3 the picture-left eye (outer, inner), 4 the base of the nose."""
    points = np.asarray(points, dtype=np.float64)
    right_eye, left_eye = points[0:2].mean(axis=0), points[2:4].mean(axis=0)
    axis = right_eye - left_eye
    iod = float(np.hypot(*axis))
    if iod < 1e-6:
        return FramePose(0.0, 0.0, 0.0, points)
    along = axis / iod
    down = np.array([-along[1], along[0]])  # the eye line turned 90 degrees: towards the chin
    offset = points[4] - (right_eye + left_eye) / 2
    return FramePose(float(offset @ along) / iod, float(offset @ down) / iod, iod, points)


def step_reached(step: str, yaw: float, pitch: float, thresholds: Thresholds) -> bool:
    """Does a pose relative to the frontal one show the step? (yaw > 0: the person's left)."""
    if step == "left":
        return yaw >= thresholds.yaw
    if step == "right":
        return yaw <= -thresholds.yaw
    if step == "up":
        return pitch <= -thresholds.pitch
    return False


def order_of(challenge: Sequence[str], reached: Sequence[tuple[int, str]]) -> str | None:
    """Which failure, if any, the reached steps (frame index, step) show against the challenge:
    `step_missing` names the step, `wrong_order` when both show but the second came first."""
    first_seen: dict[str, int] = {}
    for index, step in reached:
        first_seen.setdefault(step, index)
    for step in challenge:
        if step not in first_seen:
            return "step_missing"
    if first_seen[challenge[0]] > first_seen[challenge[1]]:
        return "wrong_order"
    return None


def track(front: Frame, turned: Frame) -> tuple[np.ndarray, np.ndarray]:
    """Texture points of the frontal face around the nose (forehead, eyes, cheeks, mouth: not
    the nose itself) and where they went in the turned frame."""
    assert front.pose is not None and turned.pose is not None
    iod = front.pose.iod
    points = front.pose.points
    eyes = points[:4].mean(axis=0)
    centre = eyes + (points[4] - eyes) * 0.6
    mask = np.zeros_like(front.grey)
    cv2.ellipse(
        mask,
        (round(centre[0]), round(centre[1])),
        (round(1.1 * iod), round(1.4 * iod)),
        math.degrees(math.atan2(*(points[0] - points[2])[::-1])),
        0,
        360,
        255,
        -1,
    )
    # The nose, from between the eyes to below its base: the point whose parallax is measured.
    nose = np.array([eyes, points[4] + (points[4] - eyes) * 0.25], dtype=np.float64)
    cv2.line(
        mask,
        tuple(int(v) for v in np.round(nose[0])),
        tuple(int(v) for v in np.round(nose[1])),
        0,
        max(3, round(0.55 * iod)),
    )
    found = cv2.goodFeaturesToTrack(
        front.grey, maxCorners=150, qualityLevel=0.005, minDistance=max(2.0, iod / 12), mask=mask
    )
    if found is None:
        return np.empty((0, 2), np.float32), np.empty((0, 2), np.float32)
    src = found.reshape(-1, 2).astype(np.float32)
    seed, _ = cv2.estimateAffinePartial2D(front.pose.points[:4], turned.pose.points[:4])
    if seed is None:
        guess = src.copy()
    else:
        guess = (src @ seed[:, :2].T + seed[:, 2]).astype(np.float32)
    window = (max(9, round(iod / 4) | 1),) * 2
    dst, ok, _ = cv2.calcOpticalFlowPyrLK(
        front.grey,
        turned.grey,
        src,
        guess.copy(),
        winSize=window,
        maxLevel=3,
        flags=cv2.OPTFLOW_USE_INITIAL_FLOW,
    )
    back, ok_back, _ = cv2.calcOpticalFlowPyrLK(
        turned.grey,
        front.grey,
        dst,
        src.copy(),
        winSize=window,
        maxLevel=3,
        flags=cv2.OPTFLOW_USE_INITIAL_FLOW,
    )
    # Keep tracks that come back to where they started: the others are noise, not depth.
    good = (ok.ravel() == 1) & (ok_back.ravel() == 1)
    good &= np.linalg.norm(back - src, axis=1) < max(1.0, 0.03 * iod)
    return src[good], dst[good]


def nose_parallax(
    step: str, front: FramePose, turned: FramePose, src: np.ndarray, dst: np.ndarray
) -> float | None:
    """How far the nose base stands off the plane of the face around it, in the direction the
    step turns it, in inter-ocular distances: the plane is one homography fitted (RANSAC) to
    the tracked points; a flat picture's nose lies on it (~0), a head's stands out. None when
    too few points were tracked to fit a plane."""
    if len(src) < MIN_TRACKS:
        return None
    iod = (front.iod + turned.iod) / 2
    homography, _ = cv2.findHomography(src, dst, cv2.RANSAC, max(0.03 * iod, 1.0), maxIters=1000)
    if homography is None:
        return None
    on_plane = cv2.perspectiveTransform(front.points[4].reshape(1, 1, 2), homography).reshape(2)
    off = turned.points[4] - on_plane
    axis = turned.points[0:2].mean(axis=0) - turned.points[2:4].mean(axis=0)
    along = axis / max(float(np.hypot(*axis)), 1e-6)
    down = np.array([-along[1], along[0]])
    direction = {"left": along, "right": -along, "up": -down}[step]
    return float(off @ direction) / iod


def find_faces(image: np.ndarray) -> list[recognition.FaceBox]:
    """Faces at upsample 0 (a phone frame's face is ~100 px), again upsampled once when none is
    found in a small frame (a face further away): half the cost of always upsampling."""
    boxes = recognition.locate_faces(image, upsample=0)
    if not boxes and max(image.shape[:2]) < UPSAMPLE_BELOW:
        boxes = recognition.locate_faces(image, upsample=1)
    return boxes


def analyse_frame(step: str, jpeg: bytes, *, max_pixels: int) -> Frame:
    """Decode one frame; find its face, landmarks and encoding. Raises recognition.BadImage."""
    image = recognition.decode_jpeg(jpeg, max_pixels=max_pixels, max_side=640)
    grey = cv2.equalizeHist(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))
    boxes = find_faces(image)
    if len(boxes) != 1:
        return Frame(step, grey, None, None, len(boxes))
    box = boxes[0]
    models = recognition._models()
    shape = models.landmarks(image, dlib.rectangle(box.left, box.top, box.right, box.bottom))
    points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
    encoding = recognition.encode_faces(image, boxes=boxes)[0]
    return Frame(step, grey, pose_of(points), encoding, 1)


def judge(
    challenge: Sequence[str],
    frames: Sequence[Frame],
    selfie: np.ndarray | None,
    thresholds: Thresholds,
) -> Result:
    """The verdict on analysed frames against the challenge and the selfie's encoding (None:
    the selfie has no single face; then the same-person check is left to the face check)."""
    if not frames:
        # Nothing to look at (a kiosk capture sent without its challenge frames): not done.
        return Result(False, "step_missing", challenge[0] if challenge else None)
    for frame in frames:
        if frame.pose is None:
            return Result(False, "several_faces" if frame.faces > 1 else "no_face", frame.step)
    fronts = [f for f in frames if f.step == "front"] or [frames[0]]
    front = fronts[0]
    assert front.pose is not None
    yaws = [f.pose.yaw - front.pose.yaw for f in frames if f.pose]
    pitches = [f.pose.pitch - front.pose.pitch for f in frames if f.pose]

    distance = None
    if selfie is not None:
        distances = [
            float(np.linalg.norm(f.encoding - selfie)) for f in frames if f.encoding is not None
        ]
        distance = max(distances)
        if distance > thresholds.tolerance:
            worst = frames[distances.index(distance)]
            return Result(False, "other_person", worst.step, yaws, pitches, distance)

    # The step a frame shows is judged from its pose, not its label: a frame labelled `left`
    # that shows `up` counts as `up`, so doing the steps in the other order is caught.
    reached = [
        (i, step)
        for i, (yaw, pitch) in enumerate(zip(yaws, pitches, strict=True))
        for step in STEPS
        if step in challenge and step_reached(step, yaw, pitch, thresholds)
    ]
    failure = order_of(challenge, reached)
    if failure:
        seen = {step for _, step in reached}
        missing = next((s for s in challenge if s not in seen), challenge[0])
        return Result(
            False, failure, missing if failure == "step_missing" else None, yaws, pitches, distance
        )

    parallaxes = []
    for step in challenge:
        # The frame furthest into each step: the most parallax a head can show.
        candidates = [
            (abs(yaws[i]) if step != "up" else -pitches[i], i) for i, s in reached if s == step
        ]
        turned = frames[max(candidates)[1]]
        assert turned.pose is not None
        src, dst = track(front, turned)
        parallaxes.append(nose_parallax(step, front.pose, turned.pose, src, dst))
    if None in parallaxes:
        step = challenge[parallaxes.index(None)]
        return Result(False, "unclear", step, yaws, pitches, distance)
    parallax = min(p for p in parallaxes if p is not None)
    if parallax < thresholds.parallax:
        weakest = challenge[parallaxes.index(parallax)]
        return Result(False, "flat", weakest, yaws, pitches, distance, parallax)
    return Result(True, None, None, yaws, pitches, distance, parallax)


def check(
    challenge: Sequence[str],
    frames: Sequence[tuple[str, bytes]],
    selfie_jpeg: bytes,
    *,
    thresholds: Thresholds,
    max_pixels: int,
) -> Result:
    """The whole check on JPEGs (the face pool's entry point). Raises recognition.BadImage."""
    analysed = [analyse_frame(step, jpeg, max_pixels=max_pixels) for step, jpeg in frames]
    selfie_image = recognition.decode_jpeg(
        selfie_jpeg, max_pixels=max_pixels, max_side=recognition.DETECTION_MAX_SIDE
    )
    encodings = recognition.encode_faces(selfie_image, boxes=find_faces(selfie_image))
    selfie = encodings[0] if len(encodings) == 1 else None
    return judge(challenge, analysed, selfie, thresholds)
