"""The explanation panel of one child, and the audit trail of every read."""

from __future__ import annotations

import json

import pytest

from tests.serving import factories as f

pytestmark = pytest.mark.db


def _open(client, accounts, account: str, key: str):
    return client.get(f"/api/v1/children/{key}", headers=accounts[account].headers)


def test_the_panel_explains_the_score_with_records_guardian_and_freshness(client, accounts, county) -> None:
    listed = client.get(
        "/api/v1/visit-list", params={"as_of": "2024-05-01"}, headers=accounts["director_a1"].headers
    ).json()
    top = listed["rows"][0]
    panel = _open(client, accounts, "director_a1", top["child_key"]).json()
    child = county.by_key(top["child_key"])
    assert panel["name"] == child.name and panel["village_code"] == f.VILLAGE_A1
    assert panel["score"]["list_row_id"] == top["list_row_id"] and panel["score_history"]
    assert [r["indicator"] for r in panel["reasons"]] == [r["indicator"] for r in top["reasons"]]
    assert panel["profile"]["age_years"] == top["age_years"]
    assert panel["recent_visits"][0]["visit_date"].startswith("2024-02")
    assert panel["attendance"]["days_90"] and panel["attendance"]["latest_day"] == "2024-04-15"
    assert panel["guardian"]["name"] == child.guardian_name and panel["guardian"]["relation_zh"] == "祖父"
    assert panel["data_freshness"]["visit_logs"]["child"] is not None
    assert panel["model_version"] and panel["note_zh"]


def test_every_read_of_a_child_writes_an_audit_row(client, accounts, county, audit_rows) -> None:
    key = county.in_village(f.VILLAGE_A1)[1].key
    for account in ("director_a1", "supervisor_a", "county_staff", "director_b1"):
        _open(client, accounts, account, key)
    client.get(f"/api/v1/children/{key}/decisions", headers=accounts["director_a1"].headers)
    rows = [r for r in audit_rows() if r["child_key"] == key]
    assert [(r["username"], r["action"], r["outcome"]) for r in rows] == [
        ("director_a1", "read_child", "ok"),
        ("supervisor_a", "read_child", "ok"),
        ("county_staff", "read_child", "ok"),
        ("director_b1", "read_child", "denied"),
        ("director_a1", "read_child_decisions", "ok"),
    ]
    assert all(r["at"] is not None for r in rows)


def test_an_unknown_child_is_404_and_a_malformed_key_422(client, accounts, audit_rows) -> None:
    assert _open(client, accounts, "county_staff", "c_0123456789abcdef").status_code == 404
    assert audit_rows()[-1]["outcome"] == "not_found"
    assert _open(client, accounts, "county_staff", "王小明").status_code == 422
    assert _open(client, accounts, "county_staff", "c_0123").status_code == 422


@pytest.mark.parametrize("account", ["analyst", "root"])
def test_roles_without_names_see_no_name_id_number_or_phone_in_the_panel(
    client, accounts, county, account
) -> None:
    for child in county.children:
        r = _open(client, accounts, account, child.key)
        assert r.status_code == 200
        text = json.dumps(r.json(), ensure_ascii=False)
        for secret in (child.name, child.guardian_name, child.guardian_phone, child.id_number):
            assert secret not in text
