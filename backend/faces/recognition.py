"""Face detection, encoding and selfie verification: pure CPU work, no I/O, no asyncio.

Every function here blocks for tens to hundreds of milliseconds, never to be called on the event
loop. Run them in a process pool: dlib releases the GIL only in places, so a thread pool of two
verified no more selfies per second than one thread (bench/faces.py).

dlib is called directly, with the model files from `face_recognition_models`, rather than through
`face_recognition.api`: importing that module sets Pillow's global `LOAD_TRUNCATED_IMAGES = True`
for the whole process (truncated uploads would then decode as grey-padded pictures anywhere in
hadir), and loads the 100 MB 68-point landmark model and the CNN detector that we never use
(4.3 s and 145 MB per worker process, interpreter included, against 0.9 s and 56 MB). The calls
below are the ones `face_recognition.face_locations` / `face_encodings` make with their defaults
(HOG detector, 5-point landmarks, one jitter), so encodings are identical to that library's.
"""

import io
import math
import threading
from collections.abc import Mapping, Sequence
from typing import Literal, NamedTuple

import dlib
import face_recognition_models
import msgspec
import numpy as np
from PIL import Image, ImageOps

from backend.core.errors import DomainError, Invalid, TooLarge

ENCODING_SIZE = 128

# Euclidean distance between encodings at or below which two faces are the same person.
# face_recognition's own default is 0.6; on our photos the same person measured 0.25-0.43 and
# different people 0.63-0.91, so 0.5 sits in the gap with room on both sides.
DEFAULT_TOLERANCE = 0.5

# The PWA sends ~480 px selfies. Larger images are shrunk to this long side before detection:
# HOG cost grows with the pixel count (1.3 s to search a 12 MP phone photo), while a face that
# fills a selfie or an ID-style photo is still well over the 80 px the detector needs at
# upsample 0 and near the 150 px chip the encoder works on.
DETECTION_MAX_SIDE = 640

# A suggestion for the `max_pixels` settings: a 50 MP phone photo passes. The check is on the
# header, before any pixel is decoded, and large JPEGs are decoded at 1/2-1/8 scale (see
# decode_jpeg), so this bounds work without refusing ordinary phone pictures.
DEFAULT_MAX_PIXELS = 50_000_000

VerdictCode = Literal["match", "no_face", "multiple_faces", "face_mismatch", "not_enrolled"]

# Frame headers that carry the image size; C4 (DHT), C8 (JPG) and CC (DAC) share the range.
_SOF_MARKERS = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, *range(0xC9, 0xCC), *range(0xCD, 0xD0)}
)
_STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD8)})
_SOS = 0xDA
_EOI = 0xD9


class BadImage(ValueError):
    """The bytes are not a complete JPEG that we are willing to decode."""


def check_upload(
    data: bytes,
    *,
    what: str,
    max_bytes: int,
    max_pixels: int,
    not_jpeg: type[DomainError] = Invalid,
    too_many_pixels: type[DomainError] = Invalid,
) -> None:
    """The cheap header checks of an uploaded JPEG in the request path (a selfie, a camera's
    snapshot), before anything is stored or decoded; `what` names it in the words of the answer.
    """
    if not data:
        raise Invalid(f"{what} kosong")
    if len(data) > max_bytes:
        raise TooLarge(
            f"{what} terlalu besar ({len(data) // 1024} KB); batasnya {max_bytes // 1024} KB"
        )
    if not data.startswith(b"\xff\xd8"):
        raise not_jpeg(f"{what} harus berformat JPEG")
    try:
        width, height = jpeg_size(data)
    except BadImage as exc:
        if "truncated" in str(exc):
            raise Invalid(f"{what} tidak utuh (terpotong saat dikirim)") from exc
        raise not_jpeg(f"{what} tidak dapat dibaca sebagai JPEG") from exc
    if width * height > max_pixels:
        raise too_many_pixels(f"Ukuran gambar {what.lower()} tidak wajar ({width}×{height} piksel)")


class FaceCountError(ValueError):
    """A reference photo must show exactly one face."""

    def __init__(self, faces: int) -> None:
        self.faces = faces
        found = "no face" if faces == 0 else f"{faces} faces"
        super().__init__(f"a reference photo must show exactly one face; found {found}")

    def __reduce__(self) -> tuple[type["FaceCountError"], tuple[int]]:
        # A process pool pickles exceptions back to the caller; the default would call
        # FaceCountError(message) and lose the count.
        return (type(self), (self.faces,))


class FaceBox(NamedTuple):
    """A detected face in pixel coordinates of the (decoded, possibly shrunk) image."""

    left: int
    top: int
    right: int
    bottom: int


class Verdict(msgspec.Struct, frozen=True):
    """Outcome of checking one selfie against an employee's reference encodings.

    `distance` is the smallest distance between any face in the selfie and any reference;
    it is kept for `multiple_faces` too, so a reviewer can see whether the employee is among
    the faces. None when there is no face or no reference to compare.
    """

    code: VerdictCode
    faces: int
    distance: float | None


class _Models(NamedTuple):
    detector: dlib.fhog_object_detector
    landmarks: dlib.shape_predictor
    encoder: dlib.face_recognition_model_v1


_per_thread = threading.local()


def _models() -> _Models:
    # One set per thread: dlib's detector and network keep scratch state in the object and
    # release the GIL, so two threads sharing them return wrong distances or segfault (both seen).
    # Loaded on first use, not at import: the web process imports this module for its types and
    # constants and should not pay 0.6 s and ~50 MB for models it never runs.
    models: _Models | None = getattr(_per_thread, "models", None)
    if models is None:
        models = _Models(
            detector=dlib.get_frontal_face_detector(),
            landmarks=dlib.shape_predictor(
                face_recognition_models.pose_predictor_five_point_model_location()
            ),
            encoder=dlib.face_recognition_model_v1(
                face_recognition_models.face_recognition_model_location()
            ),
        )
        _per_thread.models = models
    return models


def load_models() -> None:
    """Load the calling thread's models now: for a pool's initializer, so no job pays for it."""
    _models()


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the frame header; refuses what is not a whole JPEG file.

    Pillow's own checks cannot be relied on here: its decompression-bomb limit is a process-wide
    global (and only a warning below 2x), and any library that sets LOAD_TRUNCATED_IMAGES (as
    face_recognition does on import) makes it accept truncated files silently.
    """
    if not data.startswith(b"\xff\xd8"):
        raise BadImage("not a JPEG image (no start-of-image marker)")
    size: tuple[int, int] | None = None
    end = len(data)
    pos = 2
    while True:
        if pos >= end:
            raise BadImage("truncated JPEG: the data ends inside its headers")
        if data[pos] != 0xFF:
            raise BadImage(f"corrupt JPEG: expected a marker at byte {pos}")
        while pos < end and data[pos] == 0xFF:  # fill bytes may pad any marker
            pos += 1
        if pos >= end:
            raise BadImage("truncated JPEG: the data ends inside its headers")
        marker = data[pos]
        pos += 1
        if marker in _STANDALONE_MARKERS:
            continue
        if marker == _EOI:
            raise BadImage("corrupt JPEG: it ends before any image data")
        if pos + 2 > end:
            raise BadImage("truncated JPEG: the data ends inside its headers")
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2:
            raise BadImage(f"corrupt JPEG: segment at byte {pos} has length {length}")
        if marker in _SOF_MARKERS:
            if pos + 7 > end:
                raise BadImage("truncated JPEG: the data ends inside its frame header")
            height = int.from_bytes(data[pos + 3 : pos + 5], "big")
            width = int.from_bytes(data[pos + 5 : pos + 7], "big")
            if width == 0 or height == 0:
                raise BadImage(f"unsupported JPEG: frame header gives {width}x{height} pixels")
            size = (width, height)
        elif marker == _SOS:
            if size is None:
                raise BadImage("corrupt JPEG: image data comes before any frame header")
            # Entropy-coded data never contains FF D9 (an FF there is stuffed as FF 00), and
            # thumbnails with their own EOI sit in APP segments that we have already skipped, so
            # a missing EOI after the first scan means the upload was cut short.
            if data.find(b"\xff\xd9", pos) < 0:
                raise BadImage("truncated JPEG: no end-of-image marker after the image data")
            return size
        pos += length


def decode_jpeg(data: bytes, *, max_pixels: int, max_side: int | None = None) -> np.ndarray:
    """Decode a JPEG to an upright RGB array of shape (height, width, 3), dtype uint8.

    Refuses anything that is not a complete JPEG, and any image whose header claims more than
    `max_pixels` pixels, before decoding a single pixel. With `max_side`, the result is shrunk
    so its long side is at most that many pixels.
    """
    width, height = jpeg_size(data)
    if width * height > max_pixels:
        raise BadImage(
            f"image is {width}x{height} = {width * height:,} pixels, "
            f"over the limit of {max_pixels:,}"
        )
    try:
        image = Image.open(io.BytesIO(data), formats=["JPEG"])
        if max_side is not None and max(width, height) > max_side:
            # libjpeg can decode at 1/2, 1/4 or 1/8 scale for a fraction of the full cost;
            # draft picks the smallest of those that is still at least the requested size.
            scale = max_side / max(width, height)
            image.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))
        image.load()
        # Phones store pixels as the sensor saw them and say in EXIF how to turn them upright;
        # the HOG detector only finds upright faces.
        image = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise BadImage(f"cannot decode JPEG: {exc}") from exc
    if image.mode != "RGB":  # greyscale and CMYK JPEGs exist
        image = image.convert("RGB")
    if max_side is not None and max(image.size) > max_side:
        scale = max_side / max(image.size)
        new_size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(new_size, Image.Resampling.LANCZOS)
    return np.asarray(image)


def locate_faces(image: np.ndarray, *, upsample: int = 0) -> list[FaceBox]:
    """Boxes of the frontal faces the HOG detector finds, clipped to the image.

    Each upsample doubles the image before detection: it finds faces down to ~40 px instead of
    ~80 px, at about twice the cost.
    """
    height, width = image.shape[:2]
    return [
        FaceBox(
            left=max(rect.left(), 0),
            top=max(rect.top(), 0),
            right=min(rect.right(), width),
            bottom=min(rect.bottom(), height),
        )
        for rect in _models().detector(image, upsample)
    ]


def encode_faces(
    image: np.ndarray, *, upsample: int = 0, boxes: Sequence[FaceBox] | None = None
) -> list[np.ndarray]:
    """128-d encodings (float64) of every face in the image, in the order of `boxes`.

    Pass `boxes` from `locate_faces` to avoid detecting twice; `upsample` is used only when
    they are not given.
    """
    if boxes is None:
        boxes = locate_faces(image, upsample=upsample)
    if not boxes:
        return []
    models = _models()
    shapes = dlib.full_object_detections()
    for box in boxes:
        rect = dlib.rectangle(box.left, box.top, box.right, box.bottom)
        shapes.append(models.landmarks(image, rect))
    descriptors = models.encoder.compute_face_descriptor(image, shapes, 1)
    return [np.array(descriptor, dtype=np.float64) for descriptor in descriptors]


def reference_encoding(
    photo_jpeg: bytes, *, max_pixels: int, upsample: int = 1, max_side: int = DETECTION_MAX_SIDE
) -> np.ndarray:
    """The encoding of the one face in an enrolment photo; FaceCountError if not exactly one.

    Upsample defaults to 1 here: enrolment is rare, and a photo taken from further away than a
    selfie should not be refused for a face the detector could have found.
    """
    image = decode_jpeg(photo_jpeg, max_pixels=max_pixels, max_side=max_side)
    boxes = locate_faces(image, upsample=upsample)
    if len(boxes) != 1:
        raise FaceCountError(len(boxes))
    return encode_faces(image, boxes=boxes)[0]


class PhotoQuality(msgspec.Struct, frozen=True):
    """What an enrolment photo shows, measured for the desk's feedback (faces.service.quality
    turns it into words against the thresholds in the settings).

    `face_px` is the width of the largest face in pixels of the photo as uploaded; `sharpness`
    is the variance of the Laplacian of that face in grey, scaled to SHARPNESS_WIDTH pixels wide
    first so the figure does not depend on the photo's size (a blurred or shaken face has few
    sharp edges, so a low variance).
    """

    width: int
    height: int
    faces: int
    face_px: int | None
    sharpness: float | None


SHARPNESS_WIDTH = 128


def laplacian_variance(grey: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian of a 2-d float array (edges excluded)."""
    g = grey.astype(np.float64)
    lap = g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:] - 4 * g[1:-1, 1:-1]
    return float(lap.var())


def face_sharpness(image: np.ndarray, box: FaceBox) -> float:
    crop = Image.fromarray(image[box.top : box.bottom, box.left : box.right]).convert("L")
    height = max(1, round(crop.height * SHARPNESS_WIDTH / max(crop.width, 1)))
    crop = crop.resize((SHARPNESS_WIDTH, height), Image.Resampling.BILINEAR)
    return laplacian_variance(np.asarray(crop))


def assess_photo(
    photo_jpeg: bytes, *, max_pixels: int, upsample: int = 1, max_side: int = DETECTION_MAX_SIDE
) -> PhotoQuality:
    """Faces found (as reference_encoding searches for them), the largest one's size and
    sharpness. Raises BadImage."""
    width, height = jpeg_size(photo_jpeg)
    image = decode_jpeg(photo_jpeg, max_pixels=max_pixels, max_side=max_side)
    boxes = locate_faces(image, upsample=upsample)
    if not boxes:
        return PhotoQuality(width=width, height=height, faces=0, face_px=None, sharpness=None)
    largest = max(boxes, key=lambda b: (b.right - b.left) * (b.bottom - b.top))
    # The decoded image may be shrunk (and EXIF-rotated): scale by the long sides.
    scale = max(width, height) / max(image.shape[:2])
    return PhotoQuality(
        width=width,
        height=height,
        faces=len(boxes),
        face_px=round((largest.right - largest.left) * scale),
        sharpness=round(face_sharpness(image, largest), 1),
    )


def verify_selfie(
    selfie_jpeg: bytes,
    references: Sequence[np.ndarray],
    *,
    tolerance: float,
    max_pixels: int,
    upsample: int = 0,
    max_side: int = DETECTION_MAX_SIDE,
) -> Verdict:
    """Check that a selfie shows exactly one face and that it is the enrolled employee's.

    Raises BadImage when the selfie cannot be decoded. Faces are counted even when there are no
    references, so a `not_enrolled` verdict still says whether anyone was in the picture.
    """
    known = _stack(references) if len(references) > 0 else None
    image = decode_jpeg(selfie_jpeg, max_pixels=max_pixels, max_side=max_side)
    boxes = locate_faces(image, upsample=upsample)
    if known is None:
        return Verdict(code="not_enrolled", faces=len(boxes), distance=None)
    if not boxes:
        return Verdict(code="no_face", faces=0, distance=None)
    encodings = np.stack(encode_faces(image, boxes=boxes))
    distances = np.linalg.norm(encodings[:, np.newaxis, :] - known[np.newaxis, :, :], axis=2)
    distance = float(distances.min())
    if len(boxes) > 1:
        code: VerdictCode = "multiple_faces"
    elif distance <= tolerance:
        code = "match"
    else:
        code = "face_mismatch"
    return Verdict(code=code, faces=len(boxes), distance=distance)


def picture_encodings(
    jpeg: bytes, *, max_pixels: int, upsample: int = 0, max_side: int = 1920
) -> list[np.ndarray]:
    """Encodings of every face in a picture that is not a selfie (a CCTV snapshot): searched at
    up to `max_side` pixels, where a face across a room is still some 80 px. Raises BadImage."""
    image = decode_jpeg(jpeg, max_pixels=max_pixels, max_side=max_side)
    return encode_faces(image, upsample=upsample)


def nearest_distance(
    references: Sequence[np.ndarray], encodings: Sequence[np.ndarray]
) -> float | None:
    """The smallest distance between any reference and any face; None when either is empty."""
    if len(references) == 0 or len(encodings) == 0:
        return None
    known = _stack(references)
    found = np.stack([np.asarray(e, dtype=np.float64) for e in encodings])
    return float(np.linalg.norm(found[:, np.newaxis, :] - known[np.newaxis, :, :], axis=2).min())


class Identification(msgspec.Struct, frozen=True):
    """Who a face is among many enrolled people (1:N), or why nobody is named.

    `code`: `match` (one person within the tolerance and clear of the runner-up by the
    margin), `ambiguous` (within the tolerance, but someone else comes too close), `unknown`
    (nobody within the tolerance, or nobody enrolled)."""

    code: Literal["match", "ambiguous", "unknown"]
    employee_id: int | None  # the best match (also when ambiguous or unknown: for the record)
    distance: float | None  # to the best match's nearest reference
    margin: float | None  # runner-up's distance minus the best's; None with one candidate


class Gallery(NamedTuple):
    """Candidates stacked once for 1:N identification: every reference in one matrix, each
    row's owner by index into `people`, rows of one person together. Built once and kept (the
    face kiosk caches one per location), it spares each identification the stacking of
    thousands of small arrays, and travels to a pool worker as three buffers."""

    people: np.ndarray  # employee ids, int64, one per person with at least one reference
    known: np.ndarray  # (references, 128) float64
    starts: np.ndarray  # index of each person's first row in `known`


def gallery_of(candidates: Mapping[int, Sequence[np.ndarray]]) -> Gallery:
    people = [(pid, refs) for pid, refs in candidates.items() if len(refs) > 0]
    if not people:
        return Gallery(
            np.empty(0, dtype=np.int64), np.empty((0, ENCODING_SIZE)), np.empty(0, dtype=np.int64)
        )
    counts = np.array([len(refs) for _, refs in people], dtype=np.int64)
    return Gallery(
        people=np.array([pid for pid, _ in people], dtype=np.int64),
        known=_stack([ref for _, refs in people for ref in refs]),
        starts=np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64),
    )


def identify(
    face: np.ndarray,
    candidates: Mapping[int, Sequence[np.ndarray]] | Gallery,
    *,
    tolerance: float,
    margin: float,
) -> Identification:
    """Identify one face among candidates (employee id -> their reference encodings, or a
    `Gallery` of them stacked beforehand).

    Each candidate's distance is that of their nearest reference; the runner-up is the second
    nearest *person* (two references of one person never compete). Named only when the best is
    within `tolerance` and the runner-up is at least `margin` further: a face between two
    look-alikes names nobody."""
    gallery = candidates if isinstance(candidates, Gallery) else gallery_of(candidates)
    if len(gallery.people) == 0:
        return Identification("unknown", None, None, None)
    found = np.asarray(face, dtype=np.float64)
    # One vectorised distance for the whole gallery (a loop per person cost ~9 ms for 500
    # staff), then each person's nearest reference over their contiguous rows.
    distances = np.linalg.norm(gallery.known - found[np.newaxis, :], axis=1)
    per_person = np.minimum.reduceat(distances, gallery.starts)
    order = np.argsort(per_person, kind="stable")
    best, best_id = float(per_person[order[0]]), int(gallery.people[order[0]])
    gap = float(per_person[order[1]]) - best if len(gallery.people) > 1 else None
    if best > tolerance:
        return Identification("unknown", best_id, best, gap)
    if gap is not None and gap < margin:
        return Identification("ambiguous", best_id, best, gap)
    return Identification("match", best_id, best, gap)


def identify_photo(
    photo_jpeg: bytes,
    candidates: Mapping[int, Sequence[np.ndarray]] | Gallery,
    *,
    tolerance: float,
    margin: float,
    max_pixels: int,
    upsample: int = 0,
    max_side: int = DETECTION_MAX_SIDE,
) -> tuple[int, Identification]:
    """(faces found, who the face is among `candidates`): a kiosk's frontal frame. People
    queueing behind the one at the kiosk may be in the picture too: the largest face is the
    one identified. No face is `unknown` with 0 faces. Raises BadImage."""
    image = decode_jpeg(photo_jpeg, max_pixels=max_pixels, max_side=max_side)
    boxes = locate_faces(image, upsample=upsample)
    if not boxes:
        return 0, Identification("unknown", None, None, None)
    nearest = max(boxes, key=lambda b: (b.right - b.left) * (b.bottom - b.top))
    [encoding] = encode_faces(image, boxes=[nearest])
    return len(boxes), identify(encoding, candidates, tolerance=tolerance, margin=margin)


def _stack(references: Sequence[np.ndarray]) -> np.ndarray:
    known = np.stack([np.asarray(reference, dtype=np.float64) for reference in references])
    if known.shape[1:] != (ENCODING_SIZE,):
        raise ValueError(f"reference encodings must have {ENCODING_SIZE} values each")
    return known


def encoding_to_bytes(encoding: np.ndarray) -> bytes:
    """Storable form: 128 little-endian float64 values (1,024 bytes), exact round trip."""
    values = np.asarray(encoding, dtype="<f8")
    if values.shape != (ENCODING_SIZE,):
        raise ValueError(f"an encoding has {ENCODING_SIZE} values, got shape {values.shape}")
    return values.tobytes()


def encoding_from_bytes(data: bytes) -> np.ndarray:
    """Inverse of encoding_to_bytes."""
    if len(data) != ENCODING_SIZE * 8:
        raise ValueError(f"a stored encoding is {ENCODING_SIZE * 8} bytes, got {len(data)}")
    values = np.frombuffer(data, dtype="<f8").astype(np.float64)
    if not np.isfinite(values).all():
        raise ValueError("a stored encoding contains NaN or infinity")
    return values
