"""Exit cameras: what identifying the faces of one exit snapshot costs in the worker.

    uv run python bench/exits.py [--rounds 8] [--staff 20 500]

One process, as one face-pool worker runs it: `recognition.picture_encodings` on 1280x720 exit
frames composed from the test photos (tests/support/exits.py; 0, 1 and 2 faces), then the 1:N
identification (`backend.cctv.exits.identified_staff`) of those faces among `--staff` enrolled
people (the real references plus random 128-d encodings at the distances real strangers have,
0.8-1.0). Reference measured in the same run: `verify_selfie` on one selfie (the check-in's
1:1 check, BENCHMARKS "Selfie verification").
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1]))

from backend.cctv.exits import identified_staff
from backend.faces import recognition
from tests.support.exits import exit_frame
from tests.support.photos import photo, selfie

MAX_PIXELS = 50_000_000


def timed(function, rounds: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def staff_of(size: int, rng: np.random.Generator) -> dict[int, list[np.ndarray]]:
    real = [
        recognition.reference_encoding(photo(n), max_pixels=MAX_PIXELS)
        for n in ("obama.jpg", "biden.jpg")
    ]
    staff = {1: [real[0]], 2: [real[1]]}
    for n in range(3, size + 1):
        direction = rng.normal(size=128)
        direction /= np.linalg.norm(direction)
        staff[n] = [real[0] + direction * rng.uniform(0.8, 1.0)]
    return staff


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--staff", type=int, nargs="+", default=[20, 500])
    args = parser.parse_args()
    recognition.load_models()
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    references = [recognition.reference_encoding(photo("obama.jpg"), max_pixels=MAX_PIXELS)]
    one_selfie = selfie("obama2.jpg")
    reference_s, _ = timed(
        lambda: recognition.verify_selfie(
            one_selfie, references, tolerance=0.5, max_pixels=MAX_PIXELS
        ),
        args.rounds,
    )
    print(f"reference: verify_selfie (1:1, 480 px selfie)  {reference_s * 1000:7.1f} ms")
    rng = np.random.default_rng(7)
    for names in [(), ("obama3.jpg",), ("obama3.jpg", "grace_hopper.jpg")]:
        frame = exit_frame(*names)
        seconds, faces = timed(
            lambda frame=frame: recognition.picture_encodings(frame, max_pixels=MAX_PIXELS),
            args.rounds,
        )
        line = f"exit frame 1280x720, {len(names)} face(s): faces {seconds * 1000:7.1f} ms"
        for size in args.staff:
            staff = staff_of(size, rng)
            match_s, named = timed(
                lambda staff=staff, faces=faces: identified_staff(
                    faces, staff, tolerance=0.42, margin=0.1
                ),
                args.rounds,
            )
            line += f" | 1:{size} {match_s * 1000:6.2f} ms named {sorted(named)}"
        print(line)


if __name__ == "__main__":
    main()
