"""Liveness challenge sequences made from real face photos, for tests and bench/liveness.py.

GENUINE sequences are synthesised from still photos (no video of real people turning is in any
package we can install): each photo's 68 dlib landmarks (used here, for test data only) get a
depth from a generic face shape (nose forward, eyes and cheeks back, jaw and forehead further
back), forehead points and a ring of static background points are added, the 3-D points are
turned by the asked yaw or pitch about an axis behind the face and projected, and the Delaunay
triangles are warped piecewise-affinely, far ones first. It is a mesh, not a head: hair, ears
and the hidden side of the face are not modelled, so it is a fair but not a perfect stand-in.

REPLAY sequences are one flat picture (the person's photo) moved around in front of the camera:
in-plane rotation, scale, shift and perspective tilts of up to 35 degrees about any axis in the
photo's plane, each step's tilt chosen as an attacker would (towards the asked pose).

Both get the same noise: JPEG quality, blur, brightness, small scale and shift. Frames are
240x320, the selfie 360x480 like the PWA's.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass
from functools import cache

import cv2
import dlib
import face_recognition_models
import numpy as np
from PIL import Image

from tests.support import photos

FRAME_SIZE = (240, 320)  # width, height: what the PWA sends
SCENE_SIZE = (360, 480)  # the selfie's size; frames are the scene shrunk
STEPS = ("left", "right", "up")

# Depth (towards the camera) of each of dlib's 68 landmarks, in inter-ocular distances, from a
# generic adult face: the nose tip ~0.45 ahead of the eye corners' plane, the jaw's ends ~0.8
# behind it.
_DEPTH = np.zeros(68)
_DEPTH[0:17] = [-0.8 + 0.65 * math.sin(math.pi * i / 16) for i in range(17)]
_DEPTH[17:27] = [-0.35, -0.22, -0.12, -0.05, -0.02, -0.02, -0.05, -0.12, -0.22, -0.35]
_DEPTH[27:31] = [-0.02, 0.12, 0.28, 0.45]
_DEPTH[31:36] = [0.05, 0.17, 0.25, 0.17, 0.05]
_DEPTH[36:48] = [-0.3, -0.18, -0.15, -0.12, -0.15, -0.18, -0.12, -0.15, -0.18, -0.3, -0.18, -0.15]
_DEPTH[48:60] = [-0.18, -0.05, 0.05, 0.08, 0.05, -0.05, -0.18, -0.05, 0.03, 0.06, 0.03, -0.05]
_DEPTH[60:68] = [-0.15, 0.02, 0.04, 0.02, -0.15, 0.02, 0.04, 0.02]


@dataclass(frozen=True)
class Face:
    name: str
    scene: np.ndarray  # RGB, SCENE_SIZE, the person framed as a phone's front camera shows them
    landmarks: np.ndarray  # (68, 2) in scene pixels


@dataclass(frozen=True)
class Sequence:
    """One check-in's liveness data as the PWA sends it."""

    kind: str  # genuine | replay | wrong_order | other_person
    identity: str
    challenge: list[str]
    frames: list[tuple[str, bytes]]  # (step, JPEG): "front" first
    selfie: bytes


# The people: each photo (obama's three are three occasions of one person) and the three faces
# of faces.jpg. Identity is the person, so a different-person case never pairs obama with obama.
SOURCES = {
    "obama.jpg": "obama",
    "obama2.jpg": "obama",
    "obama3.jpg": "obama",
    "biden.jpg": "biden",
    "grace_hopper.jpg": "hopper",
    "faces.jpg#0": "faces0",
    "faces.jpg#1": "faces1",
    "faces.jpg#2": "faces2",
}


@cache
def _models() -> tuple[dlib.fhog_object_detector, dlib.shape_predictor]:
    return (
        dlib.get_frontal_face_detector(),
        dlib.shape_predictor(face_recognition_models.pose_predictor_model_location()),
    )


def _rgb(jpeg: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))


@cache
def face(source: str) -> Face:
    """One photo framed like a selfie (face about 40 % of the width), with its landmarks."""
    name, _, index = source.partition("#")
    image = _rgb(photos.photo(name))
    detector, predictor = _models()
    scale = min(1.0, 1200 / max(image.shape[:2]))
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    boxes = sorted(detector(small, 1), key=lambda r: r.left())
    box = boxes[int(index or 0)]
    points = predictor(small, box)
    marks = np.array([(p.x, p.y) for p in points.parts()], dtype=np.float64) / scale
    centre = marks.mean(axis=0)
    width = (marks[:, 0].max() - marks[:, 0].min()) / 0.4
    height = width * SCENE_SIZE[1] / SCENE_SIZE[0]
    left, top = centre[0] - width / 2, centre[1] - height * 0.45
    crop = np.float32([[left, top], [left + width, top], [left, top + height]])
    target = np.float32([[0, 0], [SCENE_SIZE[0], 0], [0, SCENE_SIZE[1]]])
    affine = cv2.getAffineTransform(crop, target)
    scene = cv2.warpAffine(
        image, affine, SCENE_SIZE, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REFLECT
    )
    landmarks = marks @ affine[:, :2].T + affine[:, 2]
    return Face(name=source, scene=scene, landmarks=landmarks)


def _jpeg(image: np.ndarray, quality: int) -> bytes:
    out = io.BytesIO()
    Image.fromarray(image).save(out, format="JPEG", quality=quality)
    return out.getvalue()


def _noisy(image: np.ndarray, rng: random.Random) -> bytes:
    """A phone frame: small hand shake (scale, shift), blur, exposure, JPEG at 240x320."""
    s = rng.uniform(0.96, 1.04)
    angle = rng.uniform(-2, 2)
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, s)
    m[:, 2] += (rng.uniform(-5, 5), rng.uniform(-5, 5))
    image = cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REFLECT)
    image = cv2.resize(image, FRAME_SIZE, interpolation=cv2.INTER_AREA)
    sigma = rng.uniform(0, 0.9)
    if sigma > 0.2:
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    gain = rng.uniform(0.85, 1.15)
    image = np.clip(image.astype(np.float32) * gain + rng.uniform(-8, 8), 0, 255).astype(np.uint8)
    return _jpeg(image, rng.randint(50, 75))


# --- genuine turns --------------------------------------------------------------------------


def _mesh(face: Face) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """3-D points (x, y, z in pixels, z towards the camera), which of them move with the head,
    and the Delaunay triangles over their 2-D positions."""
    marks = face.landmarks
    eyes = marks[36:42].mean(axis=0), marks[42:48].mean(axis=0)
    iod = float(np.linalg.norm(eyes[1] - eyes[0]))
    depth = _DEPTH * iod
    # Forehead: the brows raised by ~0.7 inter-ocular distances, further back than the brows.
    brows = marks[17:27]
    forehead = brows + np.array([0, -0.7 * iod])
    forehead_z = depth[17:27] - 0.25 * iod
    # Just outside the jaw and forehead: still the head (hair, neck), far back.
    hull = np.vstack([marks[0:17], forehead[::-1]])
    centre = hull.mean(axis=0)
    outer = centre + (hull - centre) * 1.18
    outer_z = np.full(len(outer), -1.0 * iod)
    # The static background: a ring further out and the frame's border.
    ring = centre + (hull - centre) * 1.8
    w, h = SCENE_SIZE
    border = np.array(
        [[x, y] for x in (0, w / 2, w - 1) for y in (0, h / 2, h - 1) if (x, y) != (w / 2, h / 2)]
        + [[0, h / 4], [w - 1, h / 4], [0, 3 * h / 4], [w - 1, 3 * h / 4]]
    )
    ring = np.clip(ring, 1, [w - 2, h - 2])
    xy = np.vstack([marks, forehead, outer, ring, border])
    z = np.concatenate([depth, forehead_z, outer_z, np.zeros(len(ring) + len(border))])
    moving = np.concatenate(
        [np.ones(68 + len(forehead) + len(outer), bool), np.zeros(len(ring) + len(border), bool)]
    )
    xy = np.clip(xy, 0, [w - 1, h - 1])
    subdiv = cv2.Subdiv2D((-1, -1, w + 2, h + 2))
    for x, y in xy:
        subdiv.insert((float(x), float(y)))
    triangles = []
    for t in subdiv.getTriangleList():
        corners = t.reshape(3, 2)
        # Subdiv2D adds three far-away vertices of its own; their triangles are left out.
        nearest = np.linalg.norm(xy[None, :, :] - corners[:, None, :], axis=2)
        ids = nearest.argmin(axis=1)
        if nearest[np.arange(3), ids].max() < 0.5 and len(set(ids)) == 3:
            triangles.append(ids)
    return np.column_stack([xy, z]), moving, np.array(triangles, dtype=np.int64)


def _turned(face: Face, yaw_deg: float, pitch_deg: float) -> np.ndarray:
    """The scene with the head turned: yaw > 0 is the person's own left (their nose moves to
    the right of a picture that is not mirrored), pitch > 0 is looking up."""
    points, moving, triangles = _mesh(face)
    marks = face.landmarks
    iod = float(np.linalg.norm(marks[36:42].mean(axis=0) - marks[42:48].mean(axis=0)))
    pivot = np.array([marks[27:36, 0].mean(), marks[27:36, 1].mean(), -1.3 * iod])
    a, b = math.radians(yaw_deg), math.radians(pitch_deg)
    yaw = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    pitch = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
    turned = points.copy()
    turned[moving] = (points[moving] - pivot) @ (pitch @ yaw).T + pivot
    source = points[:, :2].astype(np.float32)
    target = turned[:, :2].astype(np.float32)
    out = np.zeros_like(face.scene)
    # Painter's order: far triangles first, so the nose covers the cheek behind it.
    order = np.argsort(turned[triangles, 2].mean(axis=1))
    h, w = face.scene.shape[:2]
    for tri in triangles[order]:
        src, dst = source[tri], target[tri]
        x, y, bw, bh = cv2.boundingRect(dst)
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + bw, w), min(y + bh, h)
        if x1 <= x0 or y1 <= y0:
            continue
        affine = cv2.getAffineTransform(src, dst - np.float32([x0, y0]))
        patch = cv2.warpAffine(
            face.scene,
            affine,
            (x1 - x0, y1 - y0),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT,
        )
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillConvexPoly(mask, np.int32(np.round(dst - [x0, y0])), 1)
        region = out[y0:y1, x0:x1]
        region[mask > 0] = patch[mask > 0]
    return out


def _pose_of(step: str, rng: random.Random, fraction: float) -> tuple[float, float]:
    angle = rng.uniform(15, 30) * fraction
    jitter = rng.uniform(-3, 3)
    if step == "left":
        return angle, jitter
    if step == "right":
        return -angle, jitter
    return jitter, angle  # up


def genuine(source: str, challenge: list[str], rng: random.Random) -> Sequence:
    """The person turning as asked: one frontal frame, then two frames per step (part way,
    then fully turned), and the frontal selfie."""
    f = face(source)
    frames = [("front", _noisy(_turned(f, rng.uniform(-3, 3), rng.uniform(-3, 3)), rng))]
    for step in challenge:
        for fraction in (rng.uniform(0.5, 0.7), 1.0):
            frames.append((step, _noisy(_turned(f, *_pose_of(step, rng, fraction)), rng)))
    return Sequence("genuine", SOURCES[source], list(challenge), frames, _selfie(f, rng))


def _selfie(f: Face, rng: random.Random) -> bytes:
    return _jpeg(_turned(f, rng.uniform(-2, 2), rng.uniform(-2, 2)), 80)


def wrong_order(source: str, challenge: list[str], rng: random.Random) -> Sequence:
    """The person does both steps, in the other order."""
    done = genuine(source, list(reversed(challenge)), rng)
    frames = [done.frames[0]] + [
        (challenge[0 if i < 2 else 1], jpeg) for i, (_, jpeg) in enumerate(done.frames[1:])
    ]
    return Sequence("wrong_order", done.identity, list(challenge), frames, done.selfie)


def other_person(source: str, other: str, challenge: list[str], rng: random.Random) -> Sequence:
    """Someone else turning as asked in front of the claimed person's selfie."""
    done = genuine(other, challenge, rng)
    return Sequence(
        "other_person", SOURCES[source], list(challenge), done.frames, _selfie(face(source), rng)
    )


# --- flat replays ---------------------------------------------------------------------------


def _tilted(
    picture: np.ndarray,
    background: np.ndarray,
    *,
    tilt_x: float,
    tilt_y: float,
    spin_before: float,
    spin_after: float,
    scale: float,
    shift: tuple[float, float],
) -> np.ndarray:
    """The flat picture held at an angle: turned in its own plane by `spin_before`, tilted
    about the camera's vertical (tilt_y) and horizontal (tilt_x) axes, seen through a phone's
    front camera (about 70 degrees across), then turned by `spin_after` and moved."""
    h, w = picture.shape[:2]
    focal = w / (2 * math.tan(math.radians(35)))
    corners = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    c, s = math.cos(math.radians(spin_before)), math.sin(math.radians(spin_before))
    pts = corners @ np.array([[c, -s], [s, c]]).T
    pts3 = np.column_stack([pts, np.zeros(4)])
    a, b = math.radians(tilt_y), math.radians(tilt_x)
    ry = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    rx = np.array([[1, 0, 0], [0, math.cos(b), math.sin(b)], [0, -math.sin(b), math.cos(b)]])
    pts3 = pts3 @ (rx @ ry).T
    distance = focal  # the picture fills the frame when square on
    projected = focal * pts3[:, :2] / (distance - pts3[:, 2:3])
    c, s = math.cos(math.radians(spin_after)), math.sin(math.radians(spin_after))
    projected = projected @ np.array([[c, -s], [s, c]]).T * scale
    projected += np.array([w / 2 + shift[0], h / 2 + shift[1]])
    source = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    homography = cv2.getPerspectiveTransform(source, np.float32(projected))
    out = background.copy()
    warped = cv2.warpPerspective(picture, homography, (w, h))
    mask = cv2.warpPerspective(np.ones((h, w), np.uint8), homography, (w, h))
    out[mask > 0] = warped[mask > 0]
    return out


@cache
def _background() -> np.ndarray:
    image = _rgb(photos.photo("landscape.jpg"))
    return cv2.resize(image, SCENE_SIZE, interpolation=cv2.INTER_AREA)


def replay(source: str, challenge: list[str], rng: random.Random) -> Sequence:
    """One flat picture of the person (the selfie itself) moved as an attacker would to act out
    each step: tilted towards the asked pose, by up to 35 degrees, about an axis in any
    direction of its plane."""
    picture = face(source).scene
    background = _background()

    def held(step: str | None, fraction: float) -> bytes:
        tilt_x = tilt_y = 0.0
        angle = rng.uniform(15, 35) * fraction
        if step in ("left", "right"):
            # Which way makes the nose look turned depends on the perspective; try both.
            tilt_y = angle * rng.choice((-1, 1))
            tilt_x = rng.uniform(-10, 10)
        elif step == "up":
            tilt_x = angle * rng.choice((-1, 1))
            tilt_y = rng.uniform(-10, 10)
        else:
            tilt_x, tilt_y = rng.uniform(-5, 5), rng.uniform(-5, 5)
        return _noisy(
            _tilted(
                picture,
                background,
                tilt_x=tilt_x,
                tilt_y=tilt_y,
                spin_before=rng.uniform(-30, 30) if step else 0.0,
                spin_after=rng.uniform(-10, 10),
                scale=rng.uniform(0.85, 1.1),
                shift=(rng.uniform(-15, 15), rng.uniform(-15, 15)),
            ),
            rng,
        )

    frames = [("front", held(None, 0))]
    for step in challenge:
        for fraction in (rng.uniform(0.5, 0.7), 1.0):
            frames.append((step, held(step, fraction)))
    return Sequence("replay", SOURCES[source], list(challenge), frames, _jpeg(picture, 80))


def random_challenge(rng: random.Random) -> list[str]:
    return rng.sample(STEPS, 2)
