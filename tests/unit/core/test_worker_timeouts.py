"""Every job fits the outbox's lease. arq marks a running job for the longest timeout of any of
its functions plus 10 s, and no worker takes that job id while the mark stands: one function
given 300 s (the recap export) made a worker killed mid-job hold *every* job it ran for five
minutes, and the chaos test's morning never settled."""

from __future__ import annotations

from arq.worker import Function

from backend.core.settings import Settings
from backend.worker import worker_settings


def test_no_job_may_run_longer_than_the_outbox_lease() -> None:
    settings = Settings(outbox_retry_s=45)
    options = worker_settings(settings)
    assert options["job_timeout"] == 45
    for function in options["functions"]:
        if isinstance(function, Function):
            assert function.timeout_s in (None, 45), function.name
