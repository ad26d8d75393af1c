"""The integration tests own the test database: nothing started by an earlier package still
works it (the browser tests' live server, left running, dispatched and ran the outbox rows these
tests read, and one of them failed in CI now and then)."""

from __future__ import annotations

from tests.support.services import RUNNING_SERVERS


def test_no_live_server_of_an_earlier_package_is_still_running() -> None:
    assert RUNNING_SERVERS == set()
