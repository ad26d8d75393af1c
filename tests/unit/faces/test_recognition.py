import io
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import msgspec
import numpy as np
import pytest
from PIL import Image, ImageFile

from backend.faces.recognition import (
    DEFAULT_MAX_PIXELS,
    DEFAULT_TOLERANCE,
    DETECTION_MAX_SIDE,
    BadImage,
    FaceCountError,
    Verdict,
    decode_jpeg,
    encode_faces,
    encoding_from_bytes,
    encoding_to_bytes,
    load_models,
    locate_faces,
    reference_encoding,
    verify_selfie,
)
from tests.support.photos import (
    brighten,
    flip_horizontal,
    photo,
    reencode,
    resize_long_side,
    selfie,
    with_claimed_size,
    with_exif_orientation,
)

# Measured bands (PLATFORM.md), with a margin so a libjpeg or Pillow upgrade does not flake:
# the same picture altered 0.05-0.27, other photos of the same person 0.33-0.36, different
# people 0.78-0.88.
SAME_PICTURE_MAX = 0.3
SAME_PERSON = (0.2, 0.45)
DIFFERENT_PEOPLE_MIN = 0.6


@pytest.fixture(scope="module")
def references() -> dict[str, np.ndarray]:
    return {
        name: reference_encoding(photo(f"{name}.jpg"), max_pixels=DEFAULT_MAX_PIXELS)
        for name in ("obama", "biden", "grace_hopper")
    }


def verify(jpeg: bytes, *refs: np.ndarray, tolerance: float = DEFAULT_TOLERANCE) -> Verdict:
    return verify_selfie(jpeg, refs, tolerance=tolerance, max_pixels=DEFAULT_MAX_PIXELS)


@pytest.mark.parametrize("name", ["obama2.jpg", "obama3.jpg"])
def test_another_photo_of_the_same_person_matches(
    references: dict[str, np.ndarray], name: str
) -> None:
    verdict = verify(selfie(name), references["obama"])

    assert verdict.code == "match"
    assert verdict.faces == 1
    assert verdict.distance is not None
    assert SAME_PERSON[0] < verdict.distance < SAME_PERSON[1]


@pytest.mark.parametrize(
    "alter",
    [
        lambda jpeg: jpeg,
        reencode,
        flip_horizontal,
        brighten,
        lambda jpeg: brighten(jpeg, 0.6),
        lambda jpeg: resize_long_side(jpeg, 320),
    ],
    ids=["as-sent", "jpeg-q40", "mirrored", "brighter", "darker", "320px"],
)
def test_altered_copies_of_the_reference_picture_match(
    references: dict[str, np.ndarray], alter: Callable[[bytes], bytes]
) -> None:
    verdict = verify(alter(selfie("obama.jpg")), references["obama"])

    assert verdict.code == "match"
    assert verdict.distance is not None
    assert verdict.distance < SAME_PICTURE_MAX


@pytest.mark.parametrize(
    ("name", "reference"),
    [("biden.jpg", "obama"), ("grace_hopper.jpg", "obama"), ("obama2.jpg", "biden")],
)
def test_someone_else_is_a_mismatch_with_the_distance(
    references: dict[str, np.ndarray], name: str, reference: str
) -> None:
    verdict = verify(selfie(name), references[reference])

    assert verdict.code == "face_mismatch"
    assert verdict.faces == 1
    assert verdict.distance is not None
    assert verdict.distance > DIFFERENT_PEOPLE_MIN


def test_the_closest_of_several_references_decides(references: dict[str, np.ndarray]) -> None:
    jpeg = selfie("obama2.jpg")
    alone = verify(jpeg, references["obama"])

    verdict = verify(jpeg, references["biden"], references["grace_hopper"], references["obama"])

    assert verdict.code == "match"
    assert verdict.distance == pytest.approx(alone.distance)


def test_tolerance_is_the_callers(references: dict[str, np.ndarray]) -> None:
    jpeg = selfie("obama2.jpg")
    distance = verify(jpeg, references["obama"]).distance
    assert distance is not None

    strict = verify(jpeg, references["obama"], tolerance=distance - 0.01)
    lenient = verify(jpeg, references["obama"], tolerance=distance)

    assert (strict.code, strict.distance) == ("face_mismatch", distance)
    assert lenient.code == "match"


def test_group_photo_is_multiple_faces_even_with_a_match_among_them(
    references: dict[str, np.ndarray],
) -> None:
    verdict = verify(photo("faces.jpg"), references["obama"])

    assert verdict.code == "multiple_faces"
    assert verdict.faces == 3
    assert verdict.distance is not None
    assert verdict.distance > DIFFERENT_PEOPLE_MIN


def test_landscape_is_no_face(references: dict[str, np.ndarray]) -> None:
    assert verify(photo("landscape.jpg"), references["obama"]) == Verdict(
        code="no_face", faces=0, distance=None
    )


def test_no_references_is_not_enrolled_but_faces_are_counted() -> None:
    assert verify(selfie("obama.jpg")) == Verdict(code="not_enrolled", faces=1, distance=None)
    assert verify(photo("faces.jpg")).faces == 3


def test_references_of_the_wrong_shape_are_refused() -> None:
    with pytest.raises(ValueError, match="128 values"):
        verify(selfie("obama.jpg"), np.zeros(64))


@pytest.mark.parametrize(
    ("name", "faces", "message"), [("landscape.jpg", 0, "no face"), ("faces.jpg", 3, "3 faces")]
)
def test_reference_photo_needs_exactly_one_face(name: str, faces: int, message: str) -> None:
    with pytest.raises(FaceCountError, match=message) as caught:
        reference_encoding(photo(name), max_pixels=DEFAULT_MAX_PIXELS)

    assert caught.value.faces == faces


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_is_honoured(references: dict[str, np.ndarray], orientation: int) -> None:
    tagged = with_exif_orientation(selfie("obama.jpg"), orientation)
    untagged = io.BytesIO()
    Image.open(io.BytesIO(tagged)).save(untagged, format="JPEG", quality=90)

    upright = verify(tagged, references["obama"])
    sideways = verify(untagged.getvalue(), references["obama"])

    assert upright.code == "match"
    # Without the tag the same pixels show a face on its side, which HOG cannot see: proof that
    # the match above came from reading the tag.
    assert sideways.code == "no_face"


def test_exif_orientation_is_honoured_when_decoding_at_reduced_scale() -> None:
    tagged = with_exif_orientation(photo("obama3.jpg"), 6)

    image = decode_jpeg(tagged, max_pixels=DEFAULT_MAX_PIXELS, max_side=DETECTION_MAX_SIDE)

    assert image.shape == (640, 393, 3)  # portrait, as the tag says; stored as landscape
    assert len(locate_faces(image)) == 1


def test_large_photos_are_shrunk_for_detection() -> None:
    full = decode_jpeg(photo("obama3.jpg"), max_pixels=DEFAULT_MAX_PIXELS)
    shrunk = decode_jpeg(
        photo("obama3.jpg"), max_pixels=DEFAULT_MAX_PIXELS, max_side=DETECTION_MAX_SIDE
    )

    assert full.shape == (2333, 1434, 3)
    assert shrunk.shape == (640, 393, 3)
    assert shrunk.dtype == np.uint8


def test_greyscale_jpeg_decodes_to_rgb() -> None:
    grey = io.BytesIO()
    Image.open(io.BytesIO(selfie("obama.jpg"))).convert("L").save(grey, format="JPEG")

    image = decode_jpeg(grey.getvalue(), max_pixels=DEFAULT_MAX_PIXELS)

    assert image.shape == (480, 360, 3)
    assert len(encode_faces(image)) == 1


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: b"", "not a JPEG"),
        (png, "not a JPEG"),
        (lambda: b"this is not an image" * 50, "not a JPEG"),
        (lambda: b"\xff\xd8" + bytes(range(256)) * 4, "corrupt JPEG"),
        (lambda: selfie("obama.jpg")[:300], "truncated JPEG"),
        (lambda: selfie("obama.jpg")[:-4000], "truncated JPEG"),
        (lambda: with_claimed_size(selfie("obama.jpg"), 60000, 60000), "over the limit"),
        # Under Pillow's own bomb threshold (89 M pixels), so only our limit can catch it.
        (lambda: with_claimed_size(selfie("obama.jpg"), 9000, 9000), "over the limit"),
    ],
    ids=["empty", "png", "text", "garbage", "headers-only", "cut-short", "60000px", "81mp"],
)
def test_decode_refuses_what_is_not_a_sane_jpeg(make: Callable[[], bytes], message: str) -> None:
    with pytest.raises(BadImage, match=message):
        decode_jpeg(make(), max_pixels=DEFAULT_MAX_PIXELS)


def test_truncation_is_caught_even_if_pillow_is_told_to_accept_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # face_recognition sets this global on import; nothing else in the process must undo our check.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)

    with pytest.raises(BadImage, match="truncated JPEG"):
        decode_jpeg(selfie("obama.jpg")[:-4000], max_pixels=DEFAULT_MAX_PIXELS)


def test_selfie_that_cannot_be_decoded_raises(references: dict[str, np.ndarray]) -> None:
    with pytest.raises(BadImage):
        verify(png(), references["obama"])


def test_encoding_bytes_round_trip(references: dict[str, np.ndarray]) -> None:
    stored = encoding_to_bytes(references["obama"])

    assert len(stored) == 1024
    assert np.array_equal(encoding_from_bytes(stored), references["obama"])
    with pytest.raises(ValueError, match="1024 bytes"):
        encoding_from_bytes(stored[:-8])
    with pytest.raises(ValueError, match="NaN"):
        encoding_from_bytes(encoding_to_bytes(np.full(128, np.nan)))


def test_verdict_survives_msgpack(references: dict[str, np.ndarray]) -> None:
    verdict = verify(selfie("biden.jpg"), references["obama"])

    assert msgspec.msgpack.decode(msgspec.msgpack.encode(verdict), type=Verdict) == verdict


def test_threads_can_verify_at_the_same_time(references: dict[str, np.ndarray]) -> None:
    # dlib models shared between threads give wrong distances or crash the process (both seen).
    jpegs = [selfie(name) for name in ("obama.jpg", "obama2.jpg", "biden.jpg", "obama3.jpg")]
    alone = [verify(jpeg, references["obama"]) for jpeg in jpegs]

    with ThreadPoolExecutor(max_workers=2) as pool:
        together = list(pool.map(lambda jpeg: verify(jpeg, references["obama"]), jpegs))

    assert together == alone


def test_results_and_errors_cross_a_process_pool(references: dict[str, np.ndarray]) -> None:
    # The service runs these in a forkserver process pool: arguments, the Verdict and the
    # exceptions must all survive pickling.
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(1, mp_context=context, initializer=load_models) as pool:
        verdict = pool.submit(
            verify_selfie,
            selfie("obama2.jpg"),
            [references["obama"]],
            tolerance=DEFAULT_TOLERANCE,
            max_pixels=DEFAULT_MAX_PIXELS,
        ).result()
        refused = pool.submit(reference_encoding, photo("faces.jpg"), max_pixels=DEFAULT_MAX_PIXELS)
        with pytest.raises(FaceCountError, match="3 faces") as caught:
            refused.result()

    assert verdict == verify(selfie("obama2.jpg"), references["obama"])
    assert caught.value.faces == 3
