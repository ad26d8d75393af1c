"""Active liveness on real photos: false rejects of genuine turns, false accepts of replays.

    uv run python bench/liveness.py [--count 60] [--seed 13]

The sequences come from tests/support/liveness.py: GENUINE turns synthesised from still photos
of five people (a 3-D mesh warp of each photo's landmarks: not a video of a real head), REPLAYS
of one flat picture of the person tilted by up to 35 degrees about any axis towards each asked
pose, plus the other-person and wrong-order cases. Challenges are random pairs in random order.
Prints the error rates with counts, the time of one check, and, measured in the same run, the
time of the plain selfie check (`recognition.verify_selfie`) as the reference.
"""

import argparse
import collections
import os
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.faces import liveness, recognition
from tests.support import liveness as sequences

MAX_PIXELS = 4_000_000


def run(seq: sequences.Sequence, thresholds: liveness.Thresholds) -> tuple[liveness.Result, float]:
    start = time.perf_counter()
    result = liveness.check(
        seq.challenge, seq.frames, seq.selfie, thresholds=thresholds, max_pixels=MAX_PIXELS
    )
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=60, help="genuine and replay sequences each")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    thresholds = liveness.Thresholds()
    sources = list(sequences.SOURCES)
    recognition.load_models()
    print(f"{platform.platform()}; usable cores {len(os.sched_getaffinity(0))}")
    print(f"thresholds {thresholds}")

    made = collections.defaultdict(list)
    for i in range(args.count):
        source = sources[i % len(sources)]
        made["genuine"].append(sequences.genuine(source, sequences.random_challenge(rng), rng))
        made["replay"].append(sequences.replay(source, sequences.random_challenge(rng), rng))
    for i in range(args.count // 3):
        source = sources[i % len(sources)]
        others = [s for s in sources if sequences.SOURCES[s] != sequences.SOURCES[source]]
        challenge = sequences.random_challenge(rng)
        made["other_person"].append(
            sequences.other_person(source, rng.choice(others), challenge, rng)
        )
        made["wrong_order"].append(sequences.wrong_order(source, challenge, rng))

    times = []
    for kind, items in made.items():
        passed, failures, parallax = 0, collections.Counter(), []
        for seq in items:
            result, took = run(seq, thresholds)
            times.append(took)
            passed += result.passed
            failures[result.failure or "passed"] += 1
            if result.parallax is not None:
                parallax.append(result.parallax)
        wrong = len(items) - passed if kind == "genuine" else passed
        label = "false rejects" if kind == "genuine" else "false accepts"
        rate = 100 * wrong / len(items)
        spread = (
            f"; nose parallax min {min(parallax):.2f} median {sorted(parallax)[len(parallax) // 2]:.2f} max {max(parallax):.2f}"
            if parallax
            else ""
        )
        print(
            f"{kind:13s} {label}: {wrong} of {len(items)} ({rate:.1f} %)  {dict(failures)}{spread}"
        )

    times.sort()
    frames = sum(len(s.frames) for items in made.values() for s in items) / sum(
        len(v) for v in made.values()
    )
    print(
        f"one check ({frames:.1f} frames + selfie), one core: median {1000 * times[len(times) // 2]:.0f} ms, p90 {1000 * times[int(len(times) * 0.9)]:.0f} ms"
    )
    selfie = made["genuine"][0].selfie
    refs = [recognition.reference_encoding(selfie, max_pixels=MAX_PIXELS)]
    spent = []
    for _ in range(10):
        start = time.perf_counter()
        recognition.verify_selfie(selfie, refs, tolerance=0.5, max_pixels=MAX_PIXELS)
        spent.append(time.perf_counter() - start)
    spent.sort()
    print(
        f"reference, same run: the plain selfie check (verify_selfie, 480 px) median {1000 * spent[5]:.0f} ms"
    )


if __name__ == "__main__":
    main()
