"""The face kiosk: what identifying one capture costs against a location of 2,000 staff.

    uv run python bench/kiosk.py [--rounds 8] [--staff 2000] [--references 3]

The probe is what the kiosk sends: a 480 px head-and-shoulders frame of obama (the test photos,
tests/support/photos.py). The gallery is `--staff` people with `--references` encodings each:
obama (his obama2/obama3 references) and biden are real, the rest random 128-d encodings at the
distances real strangers have (0.8-1.0 from obama), as bench/exits.py does. Prints, in one run:

- the reference figure: the real encode of the probe (`recognition.identify_photo` against
  2 people: decoding, detecting and encoding the face is the cost);
- the 1:N decision alone (`recognition.identify`) over the whole gallery, from a dict of lists
  (stacked on every call) and from a `recognition.Gallery` stacked once (what the kiosk caches);
- `identify_photo` against the whole gallery in this process;
- the same through a one-worker face pool (`face_pool`, as `Faces._run` calls it): the gallery
  travels to the worker by pickle on every capture, so this is the price of keeping the pool
  stateless.
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

from backend.faces import recognition
from backend.faces.service import face_pool
from tests.support.photos import photo, selfie

MAX_PIXELS = 50_000_000
TOLERANCE, MARGIN = 0.42, 0.1


def timed(function, rounds: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def gallery(size: int, per_person: int, rng: np.random.Generator) -> dict[int, list[np.ndarray]]:
    obama = [
        recognition.reference_encoding(photo(n), max_pixels=MAX_PIXELS)
        for n in ("obama2.jpg", "obama3.jpg")
    ]
    biden = recognition.reference_encoding(photo("biden.jpg"), max_pixels=MAX_PIXELS)
    people = {1: obama, 2: [biden]}
    for n in range(3, size + 1):
        refs = []
        for _ in range(per_person):
            direction = rng.normal(size=128)
            direction /= np.linalg.norm(direction)
            refs.append(obama[0] + direction * rng.uniform(0.8, 1.0))
        people[n] = refs
    return people


def run(probe: bytes, candidates) -> tuple[int, recognition.Identification]:
    return recognition.identify_photo(
        probe, candidates, tolerance=TOLERANCE, margin=MARGIN, max_pixels=MAX_PIXELS
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--staff", type=int, default=2000)
    parser.add_argument("--references", type=int, default=3)
    args = parser.parse_args()
    recognition.load_models()
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    probe = selfie("obama.jpg")
    rng = np.random.default_rng(7)
    people = gallery(args.staff, args.references, rng)
    size = sum(len(r) for r in people.values())
    two = {k: people[k] for k in (1, 2)}
    face = recognition.encode_faces(recognition.decode_jpeg(probe, max_pixels=MAX_PIXELS))[0]

    encode_s, (_, found) = timed(lambda: run(probe, two), args.rounds)
    print(
        f"reference: encode the probe, 1:2 (identify_photo)      {encode_s * 1e3:8.1f} ms  {found.code}"
    )
    loose_s, _ = timed(
        lambda: recognition.identify(face, people, tolerance=TOLERANCE, margin=MARGIN),
        args.rounds,
    )
    print(
        f"1:{args.staff} ({size} encodings) from a dict (stacked per call) {loose_s * 1e3:8.2f} ms"
    )
    stack_s, stacked = timed(lambda: recognition.gallery_of(people), args.rounds)
    print(f"stacking the gallery once (a cache miss)                {stack_s * 1e3:8.2f} ms")
    match_s, found = timed(
        lambda: recognition.identify(face, stacked, tolerance=TOLERANCE, margin=MARGIN),
        args.rounds,
    )
    print(
        f"1:{args.staff} decision over the stacked gallery             {match_s * 1e3:8.2f} ms  "
        f"{found.code} id={found.employee_id} d={found.distance:.3f} margin={found.margin:.3f}"
    )
    whole_s, (_, found) = timed(lambda: run(probe, stacked), args.rounds)
    print(
        f"identify_photo, 1:{args.staff}, in process                  {whole_s * 1e3:8.1f} ms  {found.code}"
    )
    pool = face_pool(1)
    try:
        pool.submit(recognition.load_models).result()  # started and models loaded
        pool_two_s, _ = timed(lambda: pool.submit(run, probe, two).result(), args.rounds)
        pool_s, (_, found) = timed(lambda: pool.submit(run, probe, stacked).result(), args.rounds)
    finally:
        pool.shutdown()
    print(f"through the face pool, 1:2                              {pool_two_s * 1e3:8.1f} ms")
    print(
        f"through the face pool, 1:{args.staff} (gallery pickled)      {pool_s * 1e3:8.1f} ms  {found.code}"
    )


if __name__ == "__main__":
    main()
