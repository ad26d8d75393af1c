"""Exit-camera frames composed from the real face photos (tests/support/photos.py): people
walking out through a door, as a camera above an office exit sees them."""

from __future__ import annotations

import io

from PIL import Image

from tests.support.photos import SELFIE_FRAMES, photo

FRAME = (1280, 720)  # a common CCTV substream


def exit_frame(*names: str, size: tuple[int, int] = FRAME) -> bytes:
    """A JPEG of the size of a CCTV frame: the landscape photo as the street outside, and each
    named photo's head and shoulders (about 300 px tall, so a face is well over the 80 px the
    HOG detector needs at 1,920 px) side by side in the doorway."""
    frame = Image.open(io.BytesIO(photo("landscape.jpg"))).convert("RGB").resize(size)
    slot = size[0] // max(1, len(names))
    for n, name in enumerate(names):
        person = Image.open(io.BytesIO(photo(name))).convert("RGB")
        if name in SELFIE_FRAMES:
            person = person.crop(SELFIE_FRAMES[name])
        height = min(size[1] - 40, 420)
        width = round(person.width * height / person.height)
        if width > slot - 20:
            width = slot - 20
            height = round(person.height * width / person.width)
        person = person.resize((width, height), Image.Resampling.LANCZOS)
        frame.paste(person, (n * slot + (slot - width) // 2, size[1] - height))
    buffer = io.BytesIO()
    frame.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
