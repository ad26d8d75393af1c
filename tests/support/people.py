"""Real CCTV frames with known numbers of people, for the counter's tests and benchmark.

OpenCV's pedestrian video `vtest.avi` (768x576, a campus path seen from a first floor, the
video OpenCV's own people-detection sample runs on) ships in Debian's `opencv-doc` package. The
first use downloads that package with `apt-get download` (about 96 MB) into
`<repo>/.cache/cctv-photos/`, keeps only the video, and later runs reuse it. Nothing is committed.

`LABELS`: the people in frames 0, 60, ..., 420, counted by eye on the frames enlarged (every
person wholly or partly in the picture; frame 120 has one about 15 px tall far up the path, frame
420 one half out of the frame on the right).
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support.photos import CACHE_DIR

FOLDER = CACHE_DIR / "cctv-photos"
VIDEO = FOLDER / "vtest.avi"
LABELS = {0: 3, 60: 6, 120: 8, 180: 7, 240: 7, 300: 6, 360: 6, 420: 3}


class Unavailable(RuntimeError):
    pass


def video() -> Path:
    if VIDEO.exists():
        return VIDEO
    FOLDER.mkdir(parents=True, exist_ok=True)
    with open(FOLDER / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if VIDEO.exists():
            return VIDEO
        with tempfile.TemporaryDirectory() as tmp:
            try:
                subprocess.run(
                    ["apt-get", "download", "opencv-doc"],
                    cwd=tmp,
                    check=True,
                    capture_output=True,
                    timeout=600,
                )
                deb = next(Path(tmp).glob("opencv-doc_*.deb"))
                member = "./usr/share/doc/opencv-doc/examples/data/vtest.avi"
                # `with` closes the pipe: an unclosed one is a ResourceWarning (an error under
                # the tests' warning filter) in whichever test the garbage collector meets it.
                with subprocess.Popen(
                    ["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE
                ) as tar:
                    subprocess.run(["tar", "-x", "-C", tmp, member], stdin=tar.stdout, check=True)
            except (OSError, subprocess.SubprocessError, StopIteration) as exc:
                raise Unavailable(
                    "could not fetch Debian's opencv-doc (apt-get download opencv-doc) for "
                    f"vtest.avi: {exc}; put vtest.avi in {FOLDER} to run offline"
                ) from exc
            shutil.move(str(Path(tmp) / member), VIDEO)
    return VIDEO


def frame(index: int) -> bytes:
    """Frame `index` of the video as a JPEG (quality 90), as a camera would send it."""
    import cv2

    capture = cv2.VideoCapture(str(video()))
    try:
        capture.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, image = capture.read()
    finally:
        capture.release()
    if not ok:
        raise Unavailable(f"frame {index} of {VIDEO} cannot be read")
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return data.tobytes()


def video_frames(count: int = 40, step: int = 15) -> list[tuple[int, bytes]]:
    """`count` frames, every `step`th (for the speed figure; their counts are not labelled)."""
    return [(i, frame(i)) for i in range(0, count * step, step)][:count]


def labelled() -> list[tuple[int, int, bytes]]:
    """(frame, people by eye, JPEG) for every labelled frame."""
    return [(index, people, frame(index)) for index, people in LABELS.items()]
