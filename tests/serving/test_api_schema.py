"""The OpenAPI schema, fuzzed by schemathesis against the real server: no generated request gets a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

pytestmark = pytest.mark.db


# Every role: what one role is refused (403 before any query runs) another gets through to, so between them
# every operation's parameters are fuzzed past the access checks (the audit log's filters by county staff and
# admins, village lists by directors, township lists by the data team). Bounded: 6 examples per operation.
ROLE_ACCOUNTS = ["director_a1", "supervisor_a", "county_staff", "analyst", "root"]


@pytest.fixture
def limiter_reset(app):
    """Fuzzed sign-ins are failures from 127.0.0.1; the limit they build up is not the next test's."""
    yield
    app.state.services.token_limiter.reset()


@pytest.mark.parametrize("account", ROLE_ACCOUNTS)
def test_no_generated_request_gets_a_server_error(live_server, accounts, account, limiter_reset) -> None:
    schema = schemathesis.openapi.from_url(f"{live_server}/openapi.json")
    headers = accounts[account].headers
    failures: list[str] = []
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=6,
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
