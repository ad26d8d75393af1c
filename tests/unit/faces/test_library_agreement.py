"""Our direct dlib calls give the encodings face_recognition itself gives.

face_recognition is imported in a child process: importing it sets Pillow's process-wide
LOAD_TRUNCATED_IMAGES, which must not leak into the other tests."""

import subprocess
import sys

import numpy as np

from backend.faces import recognition
from tests.support.photos import photo_dir, selfie

CHILD = """
import sys, numpy as np, face_recognition
image = face_recognition.load_image_file(sys.argv[1])
[encoding] = face_recognition.face_encodings(image, model="small")
sys.stdout.write(",".join(repr(float(v)) for v in encoding))
"""


def test_encodings_match_the_face_recognition_library(tmp_path) -> None:
    path = tmp_path / "selfie.jpg"
    path.write_bytes(selfie("obama2.jpg"))
    photo_dir()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    theirs = np.array([float(v) for v in done.stdout.split(",")])
    image = recognition.decode_jpeg(path.read_bytes(), max_pixels=10_000_000)
    # face_encodings() finds faces with one upsampling step by default.
    [ours] = recognition.encode_faces(image, upsample=1)
    assert float(np.linalg.norm(ours - theirs)) < 1e-6
