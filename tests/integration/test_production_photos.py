"""A fresh machine without the registries: the test photos' fetch fails in one clear line (what it
was fetching, from which registry, how to pre-seed the cache), not a traceback wall."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import photos
from tests.support.services import REPO, free_port


@pytest.fixture
def unreachable_index(monkeypatch: pytest.MonkeyPatch) -> str:
    """pip pointed at a loopback port where nothing listens, without retries."""
    index = f"http://127.0.0.1:{free_port()}/simple"
    monkeypatch.setenv("PIP_INDEX_URL", index)
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "")
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "3")
    return index


def assert_one_clear_line(text: str, index: str) -> None:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    (line,) = lines
    assert photos.FACE_RECOGNITION in line, line  # what was being fetched
    assert f"PyPI ({index})" in line, line  # from which registry
    assert f"pre-seed {photos.PHOTO_DIR}" in line, line  # and how to do without it


@pytest.mark.timeout(120)
def test_the_fetch_command_says_in_one_line_what_failed(unreachable_index: str, tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "tests.support.photos", "--into", str(tmp_path / "photos")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert result.returncode == 1, result
    assert result.stdout == ""
    assert_one_clear_line(result.stderr, unreachable_index)
    assert not (tmp_path / "photos").exists()  # nothing half-filled left behind


@pytest.mark.timeout(120)
def test_under_pytest_the_run_stops_with_that_line(
    unreachable_index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(photos, "PHOTO_DIR", tmp_path / "photos")
    with pytest.raises(pytest.exit.Exception) as stopped:
        photos.photo_dir()
    assert stopped.value.returncode == 1
    assert str(stopped.value.msg).startswith("hadir tests: could not fetch")
    assert_one_clear_line(str(stopped.value.msg), unreachable_index)
