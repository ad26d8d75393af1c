"""Counting people in a camera's queue zone: pure CPU work, no I/O, no asyncio.

OpenCV's HOG people detector (Dalal-Triggs, trained on upright pedestrians, its weights inside
the opencv-python-headless wheel) finds whole standing bodies of about 64x128 px and more. A
person counts as in the zone by the bottom-centre of their box, where their feet are: Frigate's
rule, so a head that overlaps the zone from a person standing behind it does not count.

Each call blocks for about half a second to a second: never call it on the event loop.
"""

from __future__ import annotations

import cv2
import msgspec
import numpy as np
from shapely import Point, Polygon, prepared

from backend.faces import recognition

# Frames are searched at this long side, enlarged or shrunk to it. The detector's window is
# 64x128 px: at 1536 px a person of about a twelfth of the frame's height is found (a 768x576
# CCTV frame's walkers of 60-110 px were missed at its own size: 0 of 8 frames exactly right
# and 1 within one, against 2 of 8 exact and 6 of 8 within one at 1536; BENCHMARKS.md "CCTV").
DETECTION_SIDE = 1536
# No score floor beyond the detector's own: on those frames every floor only lost people.
MIN_SCORE = 0.0
# Boxes overlapping by more than this (intersection over the smaller box) are one person.
OVERLAP = 0.45
WIN_STRIDE = (8, 8)
PADDING = (8, 8)
# Between pyramid levels: 1.05 found no more people on those frames at 1.7x the time of 1.1;
# 1.2 lost some.
SCALE = 1.1

_hog: cv2.HOGDescriptor | None = None


class Box(msgspec.Struct, frozen=True, array_like=True):
    left: int
    top: int
    right: int
    bottom: int
    score: float


class Count(msgspec.Struct, frozen=True):
    people: int  # in the zone
    boxes: list[Box]  # every person found, in the original image's pixels
    width: int
    height: int


def _detector() -> cv2.HOGDescriptor:
    global _hog
    if _hog is None:
        hog = cv2.HOGDescriptor()
        hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        _hog = hog
    return _hog


def zone_polygon(points: list[list[float]] | None) -> Polygon | None:
    """The queue zone; None for the whole frame. Raises ValueError if it is not a simple area."""
    if not points:
        return None
    polygon = Polygon([(float(x), float(y)) for x, y in points])
    if not polygon.is_valid or polygon.area <= 0:
        raise ValueError("the zone's edges cross or enclose no area")
    return polygon


def suppress(boxes: list[Box], overlap: float = OVERLAP) -> list[Box]:
    """Non-maximum suppression: of boxes overlapping by more than `overlap` (intersection over
    the smaller box), keep the highest-scoring one. HOG reports a person at several scales."""
    kept: list[Box] = []
    for box in sorted(boxes, key=lambda b: b.score, reverse=True):
        area = (box.right - box.left) * (box.bottom - box.top)
        if all(_overlap(box, other, area) <= overlap for other in kept):
            kept.append(box)
    return kept


def _overlap(a: Box, b: Box, area_a: int) -> float:
    width = min(a.right, b.right) - max(a.left, b.left)
    height = min(a.bottom, b.bottom) - max(a.top, b.top)
    if width <= 0 or height <= 0:
        return 0.0
    area_b = (b.right - b.left) * (b.bottom - b.top)
    return width * height / max(1, min(area_a, area_b))


def in_zone(boxes: list[Box], zone: Polygon | None) -> int:
    """How many boxes have their bottom-centre inside the zone (all, with no zone)."""
    if zone is None:
        return len(boxes)
    inside = prepared.prep(zone)
    return sum(1 for box in boxes if inside.covers(Point((box.left + box.right) / 2, box.bottom)))


def detect(image: np.ndarray, *, min_score: float = MIN_SCORE) -> list[Box]:
    """People in an RGB image, as boxes in its own pixels, after suppression."""
    height, width = image.shape[:2]
    scale = DETECTION_SIDE / max(width, height)
    if scale != 1.0:
        image = cv2.resize(
            image,
            (round(width * scale), round(height * scale)),
            interpolation=cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR,
        )
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    rects, weights = _detector().detectMultiScale(
        gray, winStride=WIN_STRIDE, padding=PADDING, scale=SCALE
    )
    boxes = [
        Box(
            left=round(x / scale),
            top=round(y / scale),
            right=round((x + w) / scale),
            bottom=round((y + h) / scale),
            score=float(weight),
        )
        for (x, y, w, h), weight in zip(rects, np.ravel(weights), strict=True)
        if float(weight) >= min_score
    ]
    return suppress(boxes)


def count_people(
    jpeg: bytes, zone: list[list[float]] | None, *, max_pixels: int, min_score: float = MIN_SCORE
) -> Count:
    """People in the zone of a JPEG snapshot. Raises recognition.BadImage for a bad picture
    (the header is checked against `max_pixels` before any pixel is decoded)."""
    width, height = recognition.jpeg_size(jpeg)
    image = recognition.decode_jpeg(jpeg, max_pixels=max_pixels, max_side=DETECTION_SIDE)
    boxes = detect(image, min_score=min_score)
    factor = width / image.shape[1]
    if factor != 1.0:
        boxes = [
            Box(
                left=round(b.left * factor),
                top=round(b.top * factor),
                right=round(b.right * factor),
                bottom=round(b.bottom * factor),
                score=b.score,
            )
            for b in boxes
        ]
    return Count(people=in_zone(boxes, zone_polygon(zone)), boxes=boxes, width=width, height=height)
