"""The enrolment desk's image-quality rules on real photos: no face, several faces, a face too
small, blurred; sharp, well-framed portraits pass whatever their size."""

from __future__ import annotations

import numpy as np
import pytest

from backend.core.settings import Settings
from backend.faces.recognition import BadImage, PhotoQuality, assess_photo, laplacian_variance
from backend.faces.service import quality_problems
from tests.support.photos import blur, far_away, photo, reencode, resize_long_side, selfie

DEFAULTS = Settings()
LIMITS = {"min_face_px": DEFAULTS.face_min_px, "min_sharpness": DEFAULTS.face_min_sharpness}
MAX_PIXELS = 50_000_000


def problems(jpeg: bytes) -> list[str]:
    quality = assess_photo(jpeg, max_pixels=MAX_PIXELS)
    return [p.code for p in quality_problems(quality, **LIMITS)]


@pytest.mark.parametrize(
    "name", ["obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg", "grace_hopper.jpg"]
)
def test_real_portraits_pass_as_taken_and_as_the_pwa_sends_them(name: str) -> None:
    assert problems(photo(name)) == []
    if name != "grace_hopper.jpg":  # a half-length portrait: its selfie frame is below
        assert problems(resize_long_side(selfie(name))) == []
        assert problems(reencode(selfie(name), quality=40)) == []


def test_each_bad_photo_gets_its_reason() -> None:
    assert problems(photo("landscape.jpg")) == ["no_face"]
    assert problems(photo("faces.jpg")) == ["multiple_faces"]
    assert problems(far_away(selfie("obama.jpg"), 100)) == ["face_too_small"]
    assert problems(far_away(selfie("biden.jpg"), 120)) == ["face_too_small"]
    for name in ("obama.jpg", "obama2.jpg", "biden.jpg"):
        assert problems(blur(selfie(name), 2)) == ["blurred"], name
        assert problems(blur(selfie(name), 4)) == ["blurred"], name


def test_sizes_are_measured_in_the_photo_as_uploaded() -> None:
    """A 12 MP-like photo is searched shrunk, but its face is reported in its own pixels."""
    original = assess_photo(photo("obama3.jpg"), max_pixels=MAX_PIXELS)
    assert (original.width, original.height) == (1434, 2333)
    halved = assess_photo(resize_long_side(photo("obama3.jpg"), 1166), max_pixels=MAX_PIXELS)
    assert original.face_px == pytest.approx(2 * halved.face_px, rel=0.1)


def test_the_words_name_the_figures() -> None:
    quality = PhotoQuality(width=640, height=480, faces=2, face_px=50, sharpness=9.5)
    found = quality_problems(quality, min_face_px=80, min_sharpness=25)
    assert [p.code for p in found] == ["multiple_faces", "face_too_small", "blurred"]
    assert found[0].message.startswith("Terlihat 2 wajah")
    assert "50 piksel, minimal 80" in found[1].message
    assert "ketajaman 9,50, minimal 25,00" in found[2].message
    none = PhotoQuality(width=640, height=480, faces=0, face_px=None, sharpness=None)
    assert [p.code for p in quality_problems(none, min_face_px=80, min_sharpness=25)] == ["no_face"]


def test_laplacian_variance_is_zero_on_flat_and_high_on_edges() -> None:
    assert laplacian_variance(np.full((20, 20), 128.0)) == 0
    checker = (np.indices((20, 20)).sum(axis=0) % 2) * 255.0
    assert laplacian_variance(checker) > 10_000


def test_not_a_jpeg_is_refused() -> None:
    with pytest.raises(BadImage):
        assess_photo(b"\x89PNG\r\n", max_pixels=MAX_PIXELS)
