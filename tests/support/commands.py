"""The `hadir` command started as a real process, exactly as the README says: `uv run hadir ...`.

`uv run --no-sync` runs the project's own `hadir` entry point; the test command has already
synced the environment, so the tests never change it while other processes use it. Without
`uv` on PATH (pytest started from the virtual environment directly) the same entry point is run
from that environment.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx

from tests.support.services import REPO


def hadir(*args: str) -> list[str]:
    uv = shutil.which("uv")
    if uv is not None:
        return [uv, "run", "--no-sync", "hadir", *args]
    return [str(Path(sys.executable).parent / "hadir"), *args]


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without any HADIR_* of the developer's, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HADIR_")}
    env.update(extra)
    return env


def run_hadir(
    env: Mapping[str, str], *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run one `hadir` command to its end, its output kept for the assertions."""
    return subprocess.run(
        hadir(*args),
        cwd=REPO,
        env=clean_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_no_traceback(output: str, what: str) -> None:
    assert "Traceback (most recent call last)" not in output, f"{what} crashed:\n{output[-4000:]}"


class Running:
    """A long-running `hadir` process (server, worker) writing to a log file."""

    def __init__(self, name: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.name = name
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> None:
        if self.process.poll() is not None:
            raise AssertionError(
                f"{self.name} exited with {self.process.returncode}:\n{self.output()[-4000:]}"
            )

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 30) -> int:
        """Send `sig` and wait; the exit status (negative: killed by a signal it did not handle)."""
        if self.process.poll() is None:
            if sig == signal.SIGINT:
                # Ctrl-C: the terminal signals the whole foreground process group (uv, hadir and
                # any pool processes), and uv leaves it to its child rather than forwarding it.
                os.killpg(self.process.pid, sig)
            else:
                # A service manager or `docker stop`: the main process only (uv forwards it).
                self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(
                    f"{self.name} did not stop within {timeout} s of {sig.name}:\n"
                    f"{self.output()[-4000:]}"
                ) from None
        return self.process.returncode


@contextlib.contextmanager
def started(name: str, env: Mapping[str, str], *args: str, log_dir: Path) -> Iterator[Running]:
    """Start `hadir ARGS`; on leaving, kill it if a test left it running."""
    log = log_dir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            hadir(*args),
            cwd=REPO,
            env=clean_env(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            process_group=0,  # its own group, as a command started from a shell
        )
    running = Running(name, process, log)
    try:
        yield running
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # whatever it left behind, too
        process.wait()


def wait_healthy(server: Running, base: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        server.alive()
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{server.name} not healthy in {timeout} s:\n{server.output()}")
        time.sleep(0.25)


def stop_cleanly(process: Running, sig: signal.Signals) -> None:
    """Stop with `sig` as a service manager (SIGTERM) or a terminal (SIGINT) would: it must exit
    by itself, with status 0, and without a traceback."""
    code = process.stop(sig)
    output = process.output()
    assert_no_traceback(output, process.name)
    # uv itself answers a Ctrl-C it received with 130 (128 + SIGINT) once its child has exited;
    # the command run directly exits 0.
    expected = {0, 128 + signal.SIGINT} if sig == signal.SIGINT else {0}
    assert code in expected, f"{process.name} exited with {code} on {sig.name}:\n{output[-4000:]}"
