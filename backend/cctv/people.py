"""Counting people in a camera's queue zone (and its officer zone): pure CPU work, no I/O, no
asyncio.

OpenCV's HOG people detector with the Daimler pedestrian model (a 48x96 window, its weights
inside the opencv-python-headless wheel, `cv2.HOGDescriptor_getDaimlerPeopleDetector()`) finds
whole standing bodies of about 72 px and more. A person counts as in a zone by the bottom-centre
of their box, where their feet are: Frigate's rule, so a head that overlaps the zone from a
person standing behind it does not count.

Speed (BENCHMARKS.md "CCTV"): the Daimler window at 1024 px on the long side finds the people
the Dalal-Triggs 64x128 window found at 1536 px, as often exactly and within one on the labelled
frames, at about a third of the time. Where a zone is set only the part of the frame that can
hold a person standing in it is searched: from the top of the frame down to the zone's lowest
point, and across the zone's width plus a quarter of the frame's height on either side (half a
body's width for the tallest person the frame can show), at the scale the whole frame would be
searched at.

Each call blocks for tens of milliseconds: never call it on the event loop.
"""

from __future__ import annotations

import math

import cv2
import msgspec
import numpy as np
from shapely import Point, Polygon, prepared

from backend.faces import recognition

# Frames are searched at this long side, enlarged or shrunk to it. At 1024 px the 48x96 window
# finds a person of about a ninth of a 768x576 frame's height (walkers of 60-110 px there).
DETECTION_SIDE = 1024
# The SVM's margin a window must clear. 0.5 keeps the benches' best count on the labelled
# frames: 0.25 doubled boxes on the path's edges, 0.75 lost pairs walking together.
HIT_THRESHOLD = 0.5
# Boxes overlapping by more than this (intersection over the smaller box) are one person.
OVERLAP = 0.45
WIN_STRIDE = (8, 8)
# No border added around the image: with 8 px the count was no better and took 15% longer.
PADDING = (0, 0)
# Between pyramid levels: 1.05 doubled the time and added false boxes; 1.15 and 1.2 lost people.
SCALE = 1.1
# Below the zone's lowest point: a box's bottom may sit a little under the feet the zone holds.
BELOW_ZONE_PX = 8

_hog: cv2.HOGDescriptor | None = None


class Box(msgspec.Struct, frozen=True, array_like=True):
    left: int
    top: int
    right: int
    bottom: int
    score: float


class Count(msgspec.Struct, frozen=True):
    people: int  # in the (queue) zone
    boxes: list[Box]  # every person found in the part searched, in the original image's pixels
    width: int
    height: int
    officers: int | None = None  # in the officer zone; None where the camera has none


def _detector() -> cv2.HOGDescriptor:
    global _hog
    if _hog is None:
        hog = cv2.HOGDescriptor((48, 96), (16, 16), (8, 8), (8, 8), 9)
        hog.setSVMDetector(cv2.HOGDescriptor_getDaimlerPeopleDetector())
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


def search_area(zones: list[Polygon | None], width: int, height: int) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the part of a width x height frame where a person whose
    feet stand in any of the zones can be: the whole frame if one of them is unset."""
    if not zones or any(z is None for z in zones):
        return 0, 0, width, height
    left = min(z.bounds[0] for z in zones if z is not None)
    right = max(z.bounds[2] for z in zones if z is not None)
    lowest = max(z.bounds[3] for z in zones if z is not None)
    margin = height / 4  # half the width of a body as tall as the frame
    return (
        max(0, math.floor(left - margin)),
        0,
        min(width, math.ceil(right + margin)),
        min(height, math.ceil(lowest + BELOW_ZONE_PX)),
    )


def detect(
    gray: np.ndarray, *, area: tuple[int, int, int, int] | None = None, side: int = DETECTION_SIDE
) -> list[Box]:
    """People in a greyscale image (or the `area` of it), as boxes in the image's own pixels,
    after suppression. The search's scale is set by the whole image's long side."""
    height, width = gray.shape[:2]
    left, top, right, bottom = area or (0, 0, width, height)
    part = gray[top:bottom, left:right]
    scale = side / max(width, height)
    detector = _detector()
    window_w, window_h = detector.winSize
    scaled = (round(part.shape[1] * scale), round(part.shape[0] * scale))
    if scaled[0] < window_w or scaled[1] < window_h:
        return []  # smaller than one window: nobody can be found
    if scale != 1.0:
        part = cv2.resize(
            part, scaled, interpolation=cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
        )
    rects, weights = detector.detectMultiScale(
        part, hitThreshold=HIT_THRESHOLD, winStride=WIN_STRIDE, padding=PADDING, scale=SCALE
    )
    boxes = [
        Box(
            left=left + round(x / scale),
            top=top + round(y / scale),
            right=left + round((x + w) / scale),
            bottom=top + round((y + h) / scale),
            score=float(weight),
        )
        for (x, y, w, h), weight in zip(rects, np.ravel(weights), strict=True)
    ]
    return suppress(boxes)


def decode_gray(jpeg: bytes, *, max_pixels: int) -> np.ndarray:
    """A JPEG's luminance, after the header was checked against `max_pixels` (a decompression
    bomb is refused before a pixel is decoded). Raises recognition.BadImage."""
    width, height = recognition.jpeg_size(jpeg)
    if width * height > max_pixels:
        raise recognition.BadImage(
            f"image is {width}x{height} = {width * height:,} pixels, over the limit of "
            f"{max_pixels:,}"
        )
    # Frames far larger than the search are decoded at a half or a quarter (libjpeg's scaled
    # IDCT) for a fraction of the cost.
    flag = cv2.IMREAD_GRAYSCALE
    if max(width, height) >= 4 * DETECTION_SIDE:
        flag = cv2.IMREAD_REDUCED_GRAYSCALE_4
    elif max(width, height) >= 2 * DETECTION_SIDE:
        flag = cv2.IMREAD_REDUCED_GRAYSCALE_2
    gray = cv2.imdecode(np.frombuffer(jpeg, np.uint8), flag)
    if gray is None or gray.size == 0:
        raise recognition.BadImage("cannot decode JPEG")
    return gray


def count_people(
    jpeg: bytes,
    zone: list[list[float]] | None,
    *,
    max_pixels: int,
    officer_zone: list[list[float]] | None = None,
) -> Count:
    """People in the zone of a JPEG snapshot, and in its officer zone where one is given.
    Raises recognition.BadImage for a bad picture."""
    width, height = recognition.jpeg_size(jpeg)
    gray = decode_gray(jpeg, max_pixels=max_pixels)
    factor = width / gray.shape[1]  # 1, or 2 / 4 where decoded reduced
    queue = zone_polygon(zone)
    officer = zone_polygon(officer_zone)
    zones = [queue] if officer_zone is None else [queue, officer]
    area = search_area(zones, width, height)
    found = detect(gray, area=tuple(round(v / factor) for v in area))  # type: ignore[arg-type]
    if factor != 1.0:
        found = [
            Box(
                left=round(b.left * factor),
                top=round(b.top * factor),
                right=round(b.right * factor),
                bottom=round(b.bottom * factor),
                score=b.score,
            )
            for b in found
        ]
    return Count(
        people=in_zone(found, queue),
        boxes=found,
        width=width,
        height=height,
        officers=in_zone(found, officer) if officer_zone is not None else None,
    )
