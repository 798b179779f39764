"""Bad input never reaches the database: a NUL byte in any query or path string is refused at the edge (422),
which PostgreSQL would otherwise answer with an error (and the service with a 500)."""

from __future__ import annotations

import pytest

from tests.serving import factories as f

pytestmark = pytest.mark.db


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/audit-log", {"username": "\x00"}),
        ("/api/v1/audit-log", {"username": "root\x00"}),
        ("/api/v1/audit-log", {"child_key": "c_0123456789abcde\x00"}),
        ("/api/v1/audit-log", {"outcome": "ok\x00"}),
        ("/api/v1/visit-list", {"village": "\x00"}),
        ("/api/v1/visit-list", {"township": f"{f.TOWNSHIP_A[:6]}\x00{f.TOWNSHIP_A[7:]}"}),
        ("/api/v1/children/c_0123456789abcde%00", {}),
        ("/api/v1/children/c_0123456789abcde%00/decisions", {}),
    ],
)
def test_a_nul_byte_in_a_query_or_path_string_gets_422_with_a_message(client, accounts, path, params) -> None:
    r = client.get(path, params=params, headers=accounts["county_staff"].headers)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]


@pytest.mark.parametrize("before_id", [2**31, 2**40, 0, -1])
def test_an_audit_log_page_marker_beyond_the_id_column_gets_422(client, accounts, before_id) -> None:
    # audit_log.id is a 32-bit integer on PostgreSQL: a larger bound would fail in the database (found by
    # the schemathesis run as county staff)
    r = client.get(
        "/api/v1/audit-log", params={"before_id": before_id}, headers=accounts["county_staff"].headers
    )
    assert r.status_code == 422, r.text


def test_the_audit_log_still_filters_by_username(client, accounts) -> None:
    client.get("/api/v1/visit-list", params={"as_of": "2024-05-01"}, headers=accounts["director_a1"].headers)
    r = client.get(
        "/api/v1/audit-log", params={"username": "director_a1"}, headers=accounts["county_staff"].headers
    )
    assert r.status_code == 200 and r.json()
    assert {row["username"] for row in r.json()} == {"director_a1"}
