"""Jurisdiction: each role sees its own area and nothing else; a request outside gets 403 and an audit row."""

from __future__ import annotations

import pytest

from serving.access import Principal, Role, normalize_area, resolve_scope
from tests.serving import factories as f

pytestmark = pytest.mark.db


def test_a_village_code_names_its_township_by_its_first_nine_digits() -> None:
    assert normalize_area(Role.supervisor, f.VILLAGE_A1, None, None) == f.TOWNSHIP_A
    assert normalize_area(Role.county, None, f.TOWNSHIP_B, None) == f.COUNTY


@pytest.mark.parametrize(
    ("role", "village", "township", "message"),
    [
        ("children_director", None, None, "needs --village"),
        ("children_director", "3603211012", None, "12-digit"),
        ("supervisor", None, None, "needs --township"),
        ("data_team", f.VILLAGE_A1, None, "not bound to an area"),
        ("supervisor", f.VILLAGE_A1, f.TOWNSHIP_A, "at most one"),
    ],
)
def test_an_account_must_name_the_area_its_role_needs(role, village, township, message) -> None:
    with pytest.raises(ValueError, match=message):
        normalize_area(Role(role), village, township, None)


def test_a_director_list_defaults_to_their_own_village() -> None:
    who = Principal("d", Role.children_director, f.VILLAGE_A1)
    assert str(resolve_scope(who, None, None)) == f"village:{f.VILLAGE_A1}"


def _child(county: f.County, village: str) -> str:
    return county.in_village(village)[0].key


# (account, village of the child) -> expected status
PANEL_CASES = [
    ("director_a1", f.VILLAGE_A1, 200),
    ("director_a1", f.VILLAGE_A2, 403),
    ("director_b1", f.VILLAGE_A1, 403),
    ("supervisor_a", f.VILLAGE_A2, 200),
    ("supervisor_a", f.VILLAGE_B1, 403),
    ("county_staff", f.VILLAGE_B1, 200),
    ("other_county", f.VILLAGE_A1, 403),
    # the data team and admins never open one child's record (aggregates and pseudonymous keys only)
    ("analyst", f.VILLAGE_B1, 403),
    ("root", f.VILLAGE_A1, 403),
]


@pytest.mark.parametrize(("account", "village", "status"), PANEL_CASES)
def test_each_role_opens_children_of_its_own_area_only(
    client, accounts, county, audit_rows, account, village, status
) -> None:
    key = _child(county, village)
    r = client.get(f"/api/v1/children/{key}", headers=accounts[account].headers)
    assert r.status_code == status, r.text
    last = audit_rows()[-1]
    assert (last["username"], last["child_key"], last["action"]) == (account, key, "read_child")
    assert last["outcome"] == ("ok" if status == 200 else "denied")


LIST_CASES = [
    ("director_a1", {"village": f.VILLAGE_A1}, 200),
    ("director_a1", {"village": f.VILLAGE_A2}, 403),
    ("director_a1", {"township": f.TOWNSHIP_A}, 403),
    ("supervisor_a", {}, 200),
    ("supervisor_a", {"village": f.VILLAGE_A2}, 200),
    ("supervisor_a", {"township": f.TOWNSHIP_B}, 403),
    ("county_staff", {"township": f.TOWNSHIP_B}, 200),
    ("other_county", {"township": f.TOWNSHIP_B}, 403),
    ("analyst", {"township": f.TOWNSHIP_B}, 200),
    ("analyst", {"village": f.VILLAGE_B1}, 403),  # one village's list is too small a cell for them
    ("root", {"village": f.VILLAGE_A1}, 403),
]


@pytest.mark.parametrize(("account", "params", "status"), LIST_CASES)
def test_each_role_gets_visit_lists_of_its_own_area_only(
    client, accounts, audit_rows, account, params, status
) -> None:
    r = client.get(
        "/api/v1/visit-list", params={"as_of": "2024-05-01", **params}, headers=accounts[account].headers
    )
    assert r.status_code == status, r.text
    last = audit_rows()[-1]
    assert last["action"] == "read_visit_list" and last["outcome"] == ("ok" if status == 200 else "denied")


@pytest.mark.parametrize(
    ("account", "status"),
    [("county_staff", 200), ("root", 200), ("director_a1", 403), ("supervisor_a", 403), ("analyst", 403)],
)
def test_only_county_staff_and_admins_read_the_audit_log(client, accounts, account, status) -> None:
    assert client.get("/api/v1/audit-log", headers=accounts[account].headers).status_code == status


def test_a_request_without_a_valid_token_is_refused(client) -> None:
    assert client.get("/api/v1/visit-list").status_code == 401
    bad = {"Authorization": "Bearer not.a.token"}
    assert client.get("/api/v1/visit-list", headers=bad).status_code == 401


@pytest.mark.parametrize("account", ["county_staff", "analyst", "root"])
def test_without_village_or_township_county_data_team_and_admin_get_the_whole_county(
    client, accounts, county, audit_rows, account
) -> None:
    r = client.get("/api/v1/visit-list", params={"as_of": "2024-05-01"}, headers=accounts[account].headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["scope"] == f"county:{f.COUNTY}" and body["total"] == len(county.children)
    areas = {row["village_code"] for row in body["rows"]}
    if account == "county_staff":
        assert areas == {f.VILLAGE_A1, f.VILLAGE_A2, f.VILLAGE_B1}
    else:  # the data team and admins see no area finer than the township, nor age or visit dates
        assert areas == {f.TOWNSHIP_A, f.TOWNSHIP_B}
        assert all(row["age_years"] is None and row["days_since_last_visit"] is None for row in body["rows"])
        assert all(row["data_freshness"] == {} for row in body["rows"])
    assert [row["rank"] for row in body["rows"]] == list(range(1, len(county.children) + 1))
    assert audit_rows()[-1]["scope"] == f"county:{f.COUNTY}"
    limited = client.get(
        "/api/v1/visit-list", params={"as_of": "2024-05-01", "limit": 3}, headers=accounts[account].headers
    ).json()
    assert limited["list_id"] == body["list_id"] and limited["rows"] == body["rows"][:3]


def test_county_staff_of_another_county_get_their_own_county_which_holds_none_of_these_children(
    client, accounts
) -> None:
    r = client.get(
        "/api/v1/visit-list", params={"as_of": "2024-05-01"}, headers=accounts["other_county"].headers
    )
    assert r.status_code == 200 and r.json()["scope"] == "county:360322000000"
    assert r.json()["rows"] == [] and r.json()["total"] == 0


@pytest.mark.parametrize(
    ("account", "scope", "villages"),
    [
        ("director_a1", f"village:{f.VILLAGE_A1}", {f.VILLAGE_A1}),
        ("supervisor_a", f"township:{f.TOWNSHIP_A}", {f.VILLAGE_A1, f.VILLAGE_A2}),
    ],
)
def test_directors_and_supervisors_whole_area_is_their_village_or_township(
    client, accounts, county, account, scope, villages
) -> None:
    r = client.get("/api/v1/visit-list", params={"as_of": "2024-05-01"}, headers=accounts[account].headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["scope"] == scope
    # every child of the area and no other
    expected = {c.key for v in villages for c in county.in_village(v)}
    assert {row["child_key"] for row in body["rows"]} == expected and body["total"] == len(expected)
