"""Selfie verification throughput: how many check-in selfies one core can verify per second.

    uv run python bench/faces.py [--seconds 3]

Inputs are what the PWA sends: head-and-shoulders selfies of 480 px at JPEG quality 80 (five
photos of three people, from tests/support/photos.py, fetched on first use), checked against one
or three reference encodings. Prints machine facts, single-process rates, the time split per
stage, upsample 0 against 1, and a process pool's throughput with one worker per CPU.
"""

import argparse
import concurrent.futures
import io
import itertools
import multiprocessing
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import dlib
import numpy as np
import PIL
from PIL import Image

# Run as a script, Python puts bench/ first on the path; tests.support lives at the repo root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.faces.recognition import (
    DEFAULT_MAX_PIXELS,
    DEFAULT_TOLERANCE,
    DETECTION_MAX_SIDE,
    decode_jpeg,
    encode_faces,
    load_models,
    locate_faces,
    reference_encoding,
    verify_selfie,
)
from tests.support.photos import photo, selfie

SELFIES = ("obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg", "grace_hopper.jpg")
REFERENCES = ("obama.jpg", "biden.jpg", "grace_hopper.jpg")


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next(line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line)
    except (OSError, StopIteration):
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{platform.platform()}; {cpu}; os.cpu_count()={os.cpu_count()}, usable={usable}\n"
        f"Python {platform.python_version()}, dlib {dlib.__version__} "
        f"(AVX {dlib.USE_AVX_INSTRUCTIONS}, BLAS {dlib.DLIB_USE_BLAS}), "
        f"numpy {np.__version__}, Pillow {PIL.__version__}"
    )


def rate(work: Callable[[int], object], seconds: float) -> float:
    """Calls per second of work(i), i = 0, 1, ..., over at least `seconds` (after one warm-up)."""
    work(0)
    calls = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        work(calls)
        calls += 1
    return calls / elapsed


def median_ms(work: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def verify_one(jpeg: bytes, references: list[np.ndarray], upsample: int) -> str:
    verdict = verify_selfie(
        jpeg,
        references,
        tolerance=DEFAULT_TOLERANCE,
        max_pixels=DEFAULT_MAX_PIXELS,
        upsample=upsample,
    )
    return verdict.code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    args = parser.parse_args()

    print(machine())
    selfies = [selfie(name) for name in SELFIES]
    sizes = [Image.open(io.BytesIO(jpeg)).size for jpeg in selfies]
    print(
        f"selfies: {len(selfies)}, {sizes[0][0]}x{sizes[0][1]} px, JPEG q80, "
        f"{min(map(len, selfies)) // 1000}-{max(map(len, selfies)) // 1000} KB"
    )

    start = time.perf_counter()
    load_models()
    print(f"model load: {time.perf_counter() - start:.2f} s (once per process)")
    references = [
        reference_encoding(photo(name), max_pixels=DEFAULT_MAX_PIXELS) for name in REFERENCES
    ]

    print("\nsingle process, verify_selfie (decode + locate + encode + compare):")
    for upsample in (0, 1):
        for count in (1, 3):
            refs = references[:count]
            per_s = rate(
                lambda i, refs=refs, upsample=upsample: verify_one(
                    selfies[i % len(selfies)], refs, upsample
                ),
                args.seconds,
            )
            print(f"  upsample {upsample}, {count} reference(s): {per_s:5.1f} selfies/s per core")

    print("\nsplit, median ms per selfie (upsample 0 unless said):")
    repeats = 5
    known = np.stack(references)
    for name, jpeg in zip(SELFIES, selfies, strict=True):
        image = decode_jpeg(jpeg, max_pixels=DEFAULT_MAX_PIXELS, max_side=DETECTION_MAX_SIDE)
        boxes = locate_faces(image)
        encoding = encode_faces(image, boxes=boxes)[0]
        decode = median_ms(
            lambda jpeg=jpeg: decode_jpeg(
                jpeg, max_pixels=DEFAULT_MAX_PIXELS, max_side=DETECTION_MAX_SIDE
            ),
            repeats,
        )
        locate0 = median_ms(lambda image=image: locate_faces(image, upsample=0), repeats)
        locate1 = median_ms(lambda image=image: locate_faces(image, upsample=1), repeats)
        encode = median_ms(lambda image=image, boxes=boxes: encode_faces(image, boxes=boxes), 5)
        compare = median_ms(
            lambda encoding=encoding: np.linalg.norm(known - encoding, axis=1).min(), 50
        )
        print(
            f"  {name:17} decode {decode:5.1f}  locate {locate0:5.1f} (upsample 1: {locate1:5.1f})"
            f"  encode {encode:5.1f}  compare {compare:6.3f}"
        )

    # A phone-camera reference photo (12 MP), to show what shrinking before detection saves.
    big = io.BytesIO()
    original = Image.open(io.BytesIO(photo("obama.jpg")))
    original.resize((3024, 3780), Image.Resampling.BICUBIC).save(big, format="JPEG", quality=90)
    big_jpeg = big.getvalue()
    full = median_ms(lambda: decode_jpeg(big_jpeg, max_pixels=DEFAULT_MAX_PIXELS), 3)
    shrunk = median_ms(
        lambda: decode_jpeg(big_jpeg, max_pixels=DEFAULT_MAX_PIXELS, max_side=DETECTION_MAX_SIDE),
        3,
    )
    full_image = decode_jpeg(big_jpeg, max_pixels=DEFAULT_MAX_PIXELS)
    locate_full = median_ms(lambda: locate_faces(full_image), 1)
    enrol = median_ms(lambda: reference_encoding(big_jpeg, max_pixels=DEFAULT_MAX_PIXELS), 3)
    print(
        f"\n12 MP reference photo ({len(big_jpeg) // 1000} KB): decode full {full:.0f} ms, "
        f"decode shrunk to {DETECTION_MAX_SIDE} px {shrunk:.0f} ms; locate at full size "
        f"{locate_full:.0f} ms; reference_encoding (shrunk, upsample 1) {enrol:.0f} ms"
    )

    workers = os.cpu_count() or 1
    jobs = [selfies[i % len(selfies)] for i in range(max(40, 20 * workers))]
    print(f"\npools of {workers} workers, {len(jobs)} selfies, 3 references, upsample 0:")
    pools: dict[str, Callable[[], concurrent.futures.Executor]] = {
        # forkserver, as the service does: forking a process with threads is unsafe.
        "process pool": lambda: concurrent.futures.ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("forkserver"), initializer=load_models
        ),
        # For comparison: dlib releases the GIL only in places, so threads barely scale.
        "thread pool": lambda: concurrent.futures.ThreadPoolExecutor(
            workers, initializer=load_models
        ),
    }
    for label, make in pools.items():
        with make() as pool:
            # Start every worker and load its models before the clock starts.
            list(pool.map(verify_one, selfies[:1] * workers, [references] * workers, [0] * workers))
            start = time.perf_counter()
            codes = list(
                pool.map(verify_one, jobs, itertools.repeat(references), itertools.repeat(0))
            )
            elapsed = time.perf_counter() - start
        assert set(codes) == {"match"}, codes
        total = len(jobs) / elapsed
        print(f"  {label:12}: {total:5.1f} selfies/s total, {total / workers:5.1f} per core")


if __name__ == "__main__":
    main()
