"""The explanation panel of one child, and the audit trail of every read."""

from __future__ import annotations

import datetime as dt
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
def test_roles_without_names_cannot_open_a_childs_panel_at_all(client, accounts, county, account) -> None:
    # village, age, visit findings and attendance pick a child out of a small village even without a name
    for child in county.children:
        r = _open(client, accounts, account, child.key)
        assert r.status_code == 403 and "单个儿童" in r.json()["detail"]
        text = json.dumps(r.json(), ensure_ascii=False)
        for secret in (child.name, child.guardian_name, child.guardian_phone, child.id_number, child.village):
            assert secret not in text


def test_a_directors_panel_ranks_the_child_on_the_village_list_even_when_the_township_list_came_first(
    client, accounts, county, flags
) -> None:
    """A child is on its village's and its township's list of a date. The director works from the village
    list: the panel must show that rank, and following it needs no reason, even if a supervisor's township
    list of the same date was saved first."""
    as_of = dt.date(2023, 8, 1)
    params = {"as_of": as_of.isoformat()}
    elsewhere = county.in_village(f.VILLAGE_A2)[0].key
    flags.by_date[as_of] = {elsewhere: "missing"}  # tops the township's list; not on the director's
    supervisor, director = accounts["supervisor_a"].headers, accounts["director_a1"].headers
    township = client.get("/api/v1/visit-list", params=params, headers=supervisor).json()
    village = client.get("/api/v1/visit-list", params=params, headers=director).json()
    assert township["list_id"] < village["list_id"] and township["rows"][0]["child_key"] == elsewhere

    for row in village["rows"][:2]:
        panel = client.get(f"/api/v1/children/{row['child_key']}", params=params, headers=director).json()
        assert (panel["score"]["list_id"], panel["score"]["rank"]) == (village["list_id"], row["rank"])
        assert panel["score"]["scope"] == f"village:{f.VILLAGE_A1}"
        decided = client.post(
            "/api/v1/decisions",
            json={"list_row_id": panel["score"]["list_row_id"], "action": "schedule_visit"},
            headers=director,
        )
        assert decided.status_code == 201, decided.text
        assert decided.json()["out_of_order"] is False

    # the supervisor, for the same child, sees the township rank
    top = village["rows"][0]["child_key"]
    theirs = client.get(f"/api/v1/children/{top}", params=params, headers=supervisor).json()["score"]
    on_township = next(r for r in township["rows"] if r["child_key"] == top)
    assert (theirs["list_id"], theirs["rank"]) == (township["list_id"], on_township["rank"]) and theirs[
        "rank"
    ] > 1
    # and a caller who came from a particular row sees that row
    came_from = client.get(
        f"/api/v1/children/{top}",
        params={**params, "list_row_id": village["rows"][0]["list_row_id"]},
        headers=supervisor,
    ).json()["score"]
    assert came_from["list_id"] == village["list_id"]


def test_the_panel_splits_an_older_list_rows_reasons_into_raising_and_protective(
    app, client, accounts, county
) -> None:
    """List rows saved before models gave `protective_reasons` hold one list of both signs: the panel shows
    the positive ones as reasons and the negative ones as protective factors."""
    from serving.tables import VisitList, VisitListRow

    as_of = dt.date(2023, 6, 1)
    child = county.in_village(f.VILLAGE_A1)[3]
    reason = {"label_zh": "近30天无故缺勤天数", "family": "attendance", "family_zh": "出勤", "unit": "天"}
    mixed = [
        {**reason, "indicator": "absent_30", "value": 6.0, "reference": 0.0, "contribution": 0.8},
        {**reason, "indicator": "visits_90", "value": 3.0, "reference": 1.0, "contribution": -0.5},
        {**reason, "indicator": "absent_90", "value": 9.0, "reference": 1.0, "contribution": 0.3},
    ]
    with app.state.services.session() as session:
        old = VisitList(
            scope_kind="village",
            scope_code=f.VILLAGE_A1,
            as_of=as_of,
            model_name="shouhu-risk",
            model_version="0-before-protective",
            tie_break="t",
            row_count=1,
            created_by="test",
            created_at=dt.datetime.now(dt.UTC),
        )
        session.add(old)
        session.flush()
        session.add(
            VisitListRow(
                list_id=old.id,
                rank=1,
                child_key=child.key,
                village_code=f.VILLAGE_A1,
                probability=0.3,
                percentile=90.0,
                band="red",
                rule_flags="",
                reasons=mixed,
                protective_reasons=None,
                age_years=10,
                days_since_last_visit=5,
                data_freshness={},
            )
        )
        session.commit()
    panel = _open_as_of(client, accounts, "director_a1", child.key, as_of)
    assert panel["score"]["model_version"] == "0-before-protective"
    assert [(r["indicator"], r["contribution"]) for r in panel["reasons"]] == [
        ("absent_30", 0.8),
        ("absent_90", 0.3),
    ]
    assert [(r["indicator"], r["contribution"]) for r in panel["protective_reasons"]] == [("visits_90", -0.5)]
    # saved before indicators declared `display`: the number and its unit, nothing guessed
    assert panel["protective_reasons"][0]["text_zh"] == "近30天无故缺勤天数：3（天）"


def test_reasons_from_the_champion_raise_the_score_and_protective_reasons_lower_it(client, accounts) -> None:
    listed = client.get(
        "/api/v1/visit-list", params={"as_of": "2024-05-01"}, headers=accounts["director_a1"].headers
    ).json()
    assert all(r["contribution"] > 0 for row in listed["rows"] for r in row["reasons"])
    seen_protective = 0
    for row in listed["rows"]:
        panel = _open_as_of(client, accounts, "director_a1", row["child_key"], dt.date(2024, 5, 1))
        assert [r["indicator"] for r in panel["reasons"]] == [r["indicator"] for r in row["reasons"]]
        assert all(r["contribution"] < 0 and r["text_zh"] for r in panel["protective_reasons"])
        seen_protective += len(panel["protective_reasons"])
    assert seen_protective > 0


def _open_as_of(client, accounts, account: str, key: str, as_of: dt.date) -> dict:
    r = client.get(
        f"/api/v1/children/{key}", params={"as_of": as_of.isoformat()}, headers=accounts[account].headers
    )
    assert r.status_code == 200, r.text
    return r.json()


def _ref(prop: dict) -> str | None:
    for option in [prop, *prop.get("anyOf", []), *([prop["items"]] if "items" in prop else [])]:
        if "$ref" in option:
            return option["$ref"].rsplit("/", 1)[-1]
        if option.get("type") == "array" and "$ref" in option.get("items", {}):
            return option["items"]["$ref"].rsplit("/", 1)[-1]
    return None


def test_openapi_documents_the_panel_and_the_findings_field_by_field(client) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    panel = schemas["ChildPanel"]["properties"]
    assert _ref(panel["profile"]) == "Profile"
    assert _ref(panel["recent_visits"]) == "VisitRecord"
    assert _ref(panel["attendance"]) == "AttendanceSummary"
    assert _ref(panel["protective_reasons"]) == "Reason"
    assert _ref(schemas["DecisionOut"]["properties"]["findings"]) == "FindingsOut"
    for model, fields in {
        "Profile": ["age_years", "guardianship_type", "snapshot_date"],
        "VisitRecord": ["visit_date", "child_seen", "hazards", "next_visit_due"],
        "AttendanceSummary": ["days_30", "days_90", "latest_day"],
        "FindingsOut": ["child_seen", "guardian_present", "concerns", "notes"],
    }.items():
        properties = schemas[model]["properties"]
        assert all(properties[name].get("description") for name in fields), model
