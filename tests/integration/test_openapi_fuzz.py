"""Schemathesis against the production server (granian, PostgreSQL, S3): every operation in
`/schema/openapi.json`, called with generated valid and invalid input as a logged-in BKD officer,
answers no 5xx, only statuses it documents, and bodies that match what it documents."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.factories import PASSWORD, by_role
from tests.support.services import live_server

# Small on purpose: the suite runs on two busy cores. Each operation still gets its documented
# examples, boundary values of every parameter and some random and invalid input.
MAX_EXAMPLES = 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ACCOUNT = by_role("bkd")


@pytest.fixture(scope="module")
def server(server_env: dict[str, str]) -> Iterator[str]:
    with live_server(server_env) as base:
        yield base


@pytest.fixture(scope="module")
def api_schema(server: str) -> Any:
    schema = schemathesis.openapi.from_url(f"{server}/schema/openapi.json")

    @schema.auth(refresh_interval=None)
    class DemoToken:
        """A bearer token for a demo account, so calls reach past 401."""

        def get(self, case: Any, context: Any) -> str:
            response = httpx.post(
                f"{server}/api/v1/auth/login",
                json={"nip": ACCOUNT.nip, "password": PASSWORD},
                timeout=30,
            )
            response.raise_for_status()
            return response.json()["access_token"]

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return schema


MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


# Schemathesis's pytest integration (`from_fixture`) reads an attribute pytest 9.2 renamed, so
# each operation's strategy is driven by Hypothesis directly: the same cases and checks.
@pytest.mark.timeout(300)
def test_the_api_keeps_its_documented_contract(api_schema: Any, server: str, clean: Any) -> None:
    failures: list[str] = []
    seen: Counter[int] = Counter()
    answered: set[str] = set()  # operations that answered 2xx at least once

    def tally(ctx: Any, response: Any, case: Any) -> None:
        seen[response.status_code] += 1
        if response.status_code < 300:
            answered.add(case.operation.label)

    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15
    # The board's event stream never ends by design: tests/integration/board/test_stream.py
    # reads it with a real SSE client.
    operations = [op for op in operations if op.path != "/api/v1/board/stream"]
    started = time.perf_counter()
    for operation in operations:
        for mode in MODES:
            strategy = operation.as_strategy(generation_mode=mode, auth_storage=api_schema.auth)

            @given(case=strategy)
            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate],
            )
            def call(case: Any) -> None:
                case.call_and_validate(base_url=server, checks=[*CHECKS, tally], timeout=30)

            try:
                call()
            except (Exception, BaseExceptionGroup) as exc:  # report every operation's failure
                # A flaky failure (Hypothesis could not repeat it) says what failed only inside.
                inner = "; ".join(repr(e)[:1000] for e in getattr(exc, "exceptions", ()))
                failures.append(f"{operation.label} [{mode}]: {exc} {inner}"[:3000])
    print(
        f"\n{len(operations)} operations, {seen.total()} calls in "
        f"{time.perf_counter() - started:.1f} s: {dict(sorted(seen.items()))}"
    )
    assert not failures, "\n\n".join(failures)
    # The token reached past 401: operations that need one answered with data.
    protected = answered - {"POST /api/v1/auth/login", "GET /health"}
    assert len(protected) >= 8, answered
