"""Real face photos for tests, taken from installable packages and cached outside git.

Sources (PLATFORM.md, "Real face photos inside installable packages"):
- face-recognition 1.3.0 source archive on PyPI: obama.jpg, obama2.jpg, obama3.jpg (one person,
  three occasions) and biden.jpg, from its tests/test_images/;
- a matplotlib wheel on PyPI: grace_hopper.jpg, one face;
- tracking 1.1.3 on npm: faces.jpg, three people side by side;
- landscape.jpg, rendered here with Pillow: no face at all.

The photos are third-party pictures of real people, so they are never committed: the first test
that needs them downloads the packages with pip and npm (about 20 s, mostly pip preparing the
sdist's metadata) into `<repo>/.cache/test-photos/`, and later runs reuse that folder.
`python -m tests.support.photos` fills the cache ahead of the tests (the test command does); when
a registry cannot be reached it says in one line what it was fetching, from where, and how to
pre-seed the folder, and exits 1. Under pytest the same line stops the run (`pytest.exit`).
"""

import contextlib
import fcntl
import hashlib
import importlib.util
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = REPO_ROOT / ".cache"
PHOTO_DIR = CACHE_DIR / "test-photos"

FACE_RECOGNITION = "face-recognition==1.3.0"
# Any matplotlib wheel holds the same grace_hopper.jpg; pinning version and platform makes pip
# fetch one known file whatever the host's Python or CPU.
MATPLOTLIB = "matplotlib==3.10.7"
MATPLOTLIB_PLATFORM = ["--platform", "manylinux2014_x86_64", "--python-version", "3.11"]
TRACKING = "tracking@1.1.3"

# SHA-256 of each fetched photo: a changed file would silently move every distance in the tests.
FETCHED = {
    "obama.jpg": "0930e3aa8cae5920329c0c8cbc6a2ab70f47b0e67b432875beaa95cbf7e741f6",
    "obama2.jpg": "a7efcc907375274796f39646510704aa86672d59f6d5469d69af3c85590976a6",
    "obama3.jpg": "76ac6bf97c36dc2da0ad16a537d6a5ac1b10f48d49aac29a0cca9a17cdbc3ca3",
    "biden.jpg": "3c17508bb91554c637a2eabddfae790e5bb1caba93130814fc2ac50be9760c4c",
    "grace_hopper.jpg": "a8ca6d734765703b09728ab47fe59f473d93ae3967fc24c7c0288c3c7adb7130",
    "faces.jpg": "889272392977114f72146e88b6775cdea9a2a421c84472972c862d7435281b7e",
}
RENDERED = ("landscape.jpg",)
NAMES = (*FETCHED, *RENDERED)

# Head-and-shoulders frames (left, top, right, bottom) in the original pixels, 3:4 where the
# photo allows: what a phone's front camera shows at arm's length. The originals are half- or
# full-length portraits whose faces would be too small after the PWA's shrink to 480 px.
SELFIE_FRAMES = {
    "obama.jpg": (162, 0, 803, 855),
    "obama2.jpg": (0, 129, 626, 964),
    "obama3.jpg": (408, 84, 1178, 1111),
    "biden.jpg": (194, 48, 964, 1075),
}

# What the PWA sends: the camera frame drawn onto a canvas of at most 480 px, then
# canvas.toBlob("image/jpeg", 0.8).
PWA_LONG_SIDE = 480
PWA_QUALITY = 80

FETCH_TIMEOUT_S = 300


class PhotoFetchError(RuntimeError):
    """A registry or client needed to fetch the test photos is not available (one line)."""


def photo_dir() -> Path:
    """The folder holding every photo in NAMES, fetching them first if needed."""
    try:
        return fill(PHOTO_DIR)
    except PhotoFetchError as exc:
        if "pytest" in sys.modules:  # one line for the whole run, not a traceback per test
            import pytest

            pytest.exit(f"hadir tests: {exc}", returncode=1)
        raise


def fill(folder: Path) -> Path:
    """Make `folder` hold every photo in NAMES, fetching what is missing from the registries."""
    if _complete(folder):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with _lock(folder.parent / f"{folder.name}.lock"):
        # Another process may have filled the cache while this one waited for the lock.
        if not _complete(folder):
            staging = Path(tempfile.mkdtemp(prefix=f"{folder.name}.", dir=folder.parent))
            staging.chmod(0o755)  # mkdtemp's 0700 would hide the photos from other users
            try:
                _fetch_into(staging)
                if folder.exists():  # left incomplete by an older NAMES or a manual delete
                    shutil.rmtree(folder)
                # A rename is atomic, so readers never see a half-filled folder.
                staging.rename(folder)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    return folder


@cache
def photo(name: str) -> bytes:
    """The bytes of one cached photo, e.g. photo("obama.jpg")."""
    if name not in NAMES:
        raise KeyError(f"no test photo {name!r}; there are {', '.join(NAMES)}")
    return (photo_dir() / name).read_bytes()


def selfie(name: str) -> bytes:
    """A photo framed and sized as the PWA would send it: head and shoulders, 480 px, q80."""
    image = _open(photo(name))
    if name in SELFIE_FRAMES:
        image = image.crop(SELFIE_FRAMES[name])
    return _jpeg(_shrink(image, PWA_LONG_SIDE), quality=PWA_QUALITY)


def resize_long_side(jpeg: bytes, long_side: int = PWA_LONG_SIDE, *, quality: int = 80) -> bytes:
    """Shrink (never enlarge) so the long side is at most `long_side`, as the PWA's canvas does."""
    return _jpeg(_shrink(_open(jpeg), long_side), quality=quality)


def reencode(jpeg: bytes, *, quality: int = 40) -> bytes:
    """Recompress, as a phone on a slow link or a messaging app might."""
    return _jpeg(_open(jpeg), quality=quality)


def flip_horizontal(jpeg: bytes) -> bytes:
    """Mirror left to right, as many front cameras show and save the picture."""
    return _jpeg(ImageOps.mirror(_open(jpeg)))


def brighten(jpeg: bytes, factor: float = 1.4) -> bytes:
    """Scale brightness (1.4 = 40 % brighter), like a selfie under harsher light."""
    return _jpeg(ImageEnhance.Brightness(_open(jpeg)).enhance(factor))


def blur(jpeg: bytes, radius: float = 3) -> bytes:
    """Gaussian blur, like a shaken or out-of-focus photo (radius in pixels)."""
    return _jpeg(_open(jpeg).filter(ImageFilter.GaussianBlur(radius)))


def far_away(jpeg: bytes, face_width: int = 100) -> bytes:
    """The picture shrunk to `face_width` pixels wide in a grey 640x480 frame: a face taken
    from across the room, still found by the detector but too small to be a reference."""
    image = _open(jpeg)
    image = image.resize(
        (face_width, round(image.height * face_width / image.width)), Image.Resampling.LANCZOS
    )
    frame = Image.new("RGB", (640, 480), (128, 128, 128))
    frame.paste(image, ((640 - image.width) // 2, 100))
    return _jpeg(frame)


def with_exif_orientation(jpeg: bytes, orientation: int = 6) -> bytes:
    """Store the pixels turned as a phone's sensor would, tagged so a viewer shows them upright.

    Orientation 6 means "rotate 90° clockwise to display": the stored pixels are the upright
    picture turned 90° counter-clockwise.
    """
    undo = {
        3: Image.Transpose.ROTATE_180,
        6: Image.Transpose.ROTATE_90,
        8: Image.Transpose.ROTATE_270,
    }
    if orientation not in undo:
        raise ValueError(f"orientation {orientation} is not one of {sorted(undo)}")
    stored = _open(jpeg).transpose(undo[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation tag
    out = io.BytesIO()
    stored.save(out, format="JPEG", quality=90, exif=exif)
    return out.getvalue()


def with_claimed_size(jpeg: bytes, width: int, height: int) -> bytes:
    """The same JPEG with its frame header claiming another size: a decompression bomb's header.

    A real 60000x60000 JPEG would take gigabytes to build; the decoder under test must refuse
    on the header alone, so a small file whose header lies is the honest test input.
    """
    data = bytearray(jpeg)
    pos = 2
    while pos < len(data):
        marker = data[pos + 1]
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            data[pos + 5 : pos + 7] = height.to_bytes(2, "big")
            data[pos + 7 : pos + 9] = width.to_bytes(2, "big")
            return bytes(data)
        pos += 2 + length
    raise ValueError("no frame header found")


def _open(jpeg: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(jpeg))
    return ImageOps.exif_transpose(image).convert("RGB")


def _shrink(image: Image.Image, long_side: int) -> Image.Image:
    scale = long_side / max(image.size)
    if scale >= 1:
        return image
    size = (round(image.width * scale), round(image.height * scale))
    return image.resize(size, Image.Resampling.LANCZOS)


def _jpeg(image: Image.Image, *, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def _complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in NAMES)


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fetch_into(folder: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="test-photos-download.") as tmp:
        downloads = Path(tmp)
        pypi = f"PyPI ({os.environ.get('PIP_INDEX_URL') or 'the index pip is configured with'})"
        _run([*_pip(), "download", "--no-deps", "--no-binary", ":all:", FACE_RECOGNITION,
              "--dest", str(downloads / "face-recognition")],
             what=f"{FACE_RECOGNITION} (obama*.jpg, biden.jpg)", registry=pypi)  # fmt: skip
        (sdist,) = (downloads / "face-recognition").glob("face_recognition-*.tar.gz")
        with tarfile.open(sdist) as archive:
            for name in ("obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg"):
                member = archive.extractfile(f"{sdist.name[:-7]}/tests/test_images/{name}")
                assert member is not None
                _save(folder, name, member.read())

        _run([*_pip(), "download", "--no-deps", "--only-binary", ":all:", *MATPLOTLIB_PLATFORM,
              MATPLOTLIB, "--dest", str(downloads / "matplotlib")],
             what=f"{MATPLOTLIB} (grace_hopper.jpg)", registry=pypi)  # fmt: skip
        (wheel,) = (downloads / "matplotlib").glob("matplotlib-*.whl")
        with zipfile.ZipFile(wheel) as archive:
            grace = archive.read("matplotlib/mpl-data/sample_data/grace_hopper.jpg")
        _save(folder, "grace_hopper.jpg", grace)

        npm = shutil.which("npm")
        what = f"{TRACKING} (faces.jpg)"
        if npm is None:
            raise PhotoFetchError(f"could not fetch {what}: npm is not installed; {_preseed()}")
        registry = os.environ.get("npm_config_registry") or os.environ.get("NPM_CONFIG_REGISTRY")
        _run([npm, "pack", "--silent", TRACKING, "--pack-destination", str(downloads)],
             what=what, registry=f"npm ({registry or 'the registry npm is configured with'})")  # fmt: skip
        (tgz,) = downloads.glob("tracking-*.tgz")
        with tarfile.open(tgz) as archive:
            member = archive.extractfile("package/examples/assets/faces.jpg")
            assert member is not None
            _save(folder, "faces.jpg", member.read())

    (folder / "landscape.jpg").write_bytes(_jpeg(_landscape()))


def _pip() -> list[str]:
    # uv-made virtual environments have no pip; uv can run one from its own cache instead.
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    uv = shutil.which("uv")
    if uv is not None:
        return [uv, "tool", "run", "--from", "pip", "pip"]
    raise PhotoFetchError(f"fetching the test photos needs pip or uv on PATH; {_preseed()}")


def _preseed() -> str:
    fetched = ", ".join(FETCHED)
    return (
        f"reach the registry, or pre-seed {PHOTO_DIR} with {fetched} "
        "(copied from a machine that has them; SHA-256 in tests/support/photos.py)"
    )


def _run(command: list[str], *, what: str, registry: str) -> None:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    try:
        subprocess.run(
            command, check=True, capture_output=True, text=True, timeout=FETCH_TIMEOUT_S, env=env
        )
    except subprocess.CalledProcessError as exc:
        lines = [line.strip() for line in (exc.stderr or exc.stdout or "").splitlines()]
        errors = [line for line in lines if line.startswith(("ERROR", "npm ERR", "npm error"))]
        why = (errors or [line for line in lines if line] or [f"exit status {exc.returncode}"])[-1]
        raise PhotoFetchError(
            f"could not fetch {what} from {registry}: {why}; {_preseed()}"
        ) from None
    except subprocess.TimeoutExpired:
        raise PhotoFetchError(
            f"could not fetch {what} from {registry}: no answer within {FETCH_TIMEOUT_S} s; "
            f"{_preseed()}"
        ) from None


def _save(folder: Path, name: str, data: bytes) -> None:
    digest = hashlib.sha256(data).hexdigest()
    if digest != FETCHED[name]:
        raise PhotoFetchError(f"{name} has SHA-256 {digest}, expected {FETCHED[name]}")
    (folder / name).write_bytes(data)


def _landscape() -> Image.Image:
    """Sky, sun, hills, rice fields and a hut: edges and textures, but no face."""
    width, height = 640, 480
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    horizon = 300
    for y in range(horizon):
        t = y / horizon
        draw.line([(0, y), (width, y)], fill=(int(70 + 120 * t), int(130 + 90 * t), 235))
    for y in range(horizon, height):
        t = (y - horizon) / (height - horizon)
        draw.line([(0, y), (width, y)], fill=(int(60 + 40 * t), int(140 - 50 * t), 40))
    draw.ellipse([480, 40, 560, 120], fill=(255, 230, 120))
    draw.polygon([(0, 300), (140, 170), (300, 300)], fill=(60, 100, 70))
    draw.polygon([(200, 300), (390, 140), (640, 300)], fill=(45, 85, 60))
    for row in range(6):  # terraces, drawn as receding stripes
        y = horizon + 12 + row * row * 5
        draw.line([(0, y), (width, y + 8)], fill=(120, 170, 60), width=2 + row)
    draw.rectangle([90, 330, 170, 390], fill=(150, 100, 60))
    draw.polygon([(80, 330), (130, 290), (180, 330)], fill=(110, 60, 40))
    draw.rectangle([120, 355, 140, 390], fill=(70, 40, 25))
    for x in range(330, 620, 45):  # palms
        draw.line([(x, 395), (x + 6, 320)], fill=(90, 60, 30), width=5)
        for dx, dy in ((-30, 10), (30, 10), (-20, -12), (22, -14)):
            draw.line([(x + 6, 320), (x + 6 + dx, 320 + dy)], fill=(30, 110, 40), width=4)
    return image


def main(argv: list[str] | None = None) -> None:
    """`python -m tests.support.photos [--into FOLDER]`: fill the cache; one line on failure."""
    import argparse

    parser = argparse.ArgumentParser(description="fetch the test photos into their cache")
    parser.add_argument("--into", type=Path, default=PHOTO_DIR, help=f"default {PHOTO_DIR}")
    args = parser.parse_args(argv)
    try:
        folder = fill(args.into)
    except PhotoFetchError as exc:
        sys.exit(f"hadir tests: {exc}")
    print(f"test photos in {folder}")


if __name__ == "__main__":
    main()
