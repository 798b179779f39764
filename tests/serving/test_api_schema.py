"""The OpenAPI schema, fuzzed by schemathesis against the real server: no generated request gets a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

pytestmark = pytest.mark.db


# A supervisor is refused the audit log (403) before any query runs; county staff get through to it, so
# the audit log's filters are fuzzed too.
@pytest.mark.parametrize("account", ["supervisor_a", "county_staff"])
def test_no_generated_request_gets_a_server_error(live_server, accounts, account) -> None:
    schema = schemathesis.openapi.from_url(f"{live_server}/openapi.json")
    headers = accounts[account].headers
    failures: list[str] = []
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=8,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:
            nonlocal checked
            response = case.call(headers=headers)
            checked += 1
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.path} -> {response.status_code}: {response.text[:120]}")

        check()
    assert checked > 30 and not failures, failures
