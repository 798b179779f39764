"""The visit list: rule-flagged children first (rule named) whatever their score, then by score with a
documented tie-break; persisted and reused; names only for roles that may see them; clear 4xx on bad input."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from serving.visit_lists import rank
from tests.serving import factories as f

pytestmark = pytest.mark.db


def test_ranking_puts_a_flagged_child_first_even_with_the_lowest_score_and_breaks_ties_by_key() -> None:
    scored = pd.DataFrame(
        {
            "child_key": ["c_b", "c_a", "c_c", "c_d"],
            "village_code": f.VILLAGE_A1,
            "margin": [0.5, 0.5, 2.0, -4.0],
            "rule_flags": ["", "", "", "living_alone_or_unsupervised"],
        }
    )
    assert rank(scored, "village")["child_key"].tolist() == ["c_d", "c_c", "c_a", "c_b"]
    assert rank(scored, "village")["rank"].tolist() == [1, 2, 3, 4]


def test_equal_calibrated_probabilities_are_ordered_by_the_models_margin_before_the_key() -> None:
    # Isotonic calibration maps many margins to one probability; the margin keeps the ranking.
    scored = pd.DataFrame(
        {
            "child_key": ["c_a", "c_b", "c_c"],
            "village_code": f.VILLAGE_A1,
            "probability": [0.2, 0.2, 0.2],
            "margin": [-1.2, -0.4, -0.9],
            "rule_flags": ["", "", ""],
        }
    )
    assert rank(scored, "village")["child_key"].tolist() == ["c_b", "c_c", "c_a"]


def _lowest_scoring_child(app, county: f.County, village: str, as_of: dt.date) -> str:
    model = app.state.services.champion.require().model
    matrix = f.matrix_for(county, as_of)
    probs = model.predict(matrix)["probability"].to_numpy()
    in_village = [i for i, c in enumerate(county.children) if c.village == village]
    return county.children[min(in_village, key=lambda i: probs[i])].key


def test_a_rule_flagged_child_tops_the_list_with_the_rule_named_even_with_the_lowest_score(
    client, app, accounts, county, flags
) -> None:
    as_of = dt.date(2024, 3, 1)
    lowest = _lowest_scoring_child(app, county, f.VILLAGE_A1, as_of)
    flags.by_date[as_of] = {lowest: "living_alone_or_unsupervised"}
    r = client.get(
        "/api/v1/visit-list", params={"as_of": as_of.isoformat()}, headers=accounts["director_a1"].headers
    )
    assert r.status_code == 200, r.text
    rows = r.json()["rows"]
    assert rows[0]["child_key"] == lowest and [fl["rule"] for fl in rows[0]["rule_flags"]] == [
        "living_alone_or_unsupervised"
    ]
    assert rows[0]["rule_flags"][0]["label_zh"]
    assert rows[0]["probability"] == min(row["probability"] for row in rows)
    # shown as a mandatory-report child (red, 强制报告), never in its score's colour; the score's band kept
    assert (rows[0]["band"], rows[0]["band_zh"]) == ("red", "强制报告")
    assert rows[0]["model_band"] in ("green", "yellow", "orange")  # the lowest score of the village
    rest = [row["probability"] for row in rows[1:]]
    assert rest == sorted(rest, reverse=True)


@pytest.mark.parametrize(
    ("scope", "area", "account", "k"),
    [
        ("township", f.TOWNSHIP_A, "supervisor_a", 3),
        ("village", f.VILLAGE_A1, "director_a1", 2),
    ],
)
def test_the_gates_selected_children_are_the_top_of_the_list_a_caseworker_sees(
    client, app, accounts, county, flags, scope, area, account, k
) -> None:
    """precision@k, recall@k and the fairness gate count the first k children of each list as visited; those
    must be exactly the first k rows the persisted list shows for the same date and scope."""
    from training.metrics import top_k_mask

    as_of = dt.date(2024, 2, 1)
    model = app.state.services.champion.require().model
    matrix = f.matrix_for(county, as_of)
    lowest = _lowest_scoring_child(app, county, f.VILLAGE_A1, as_of)
    flags.by_date[as_of] = {lowest: "missing"}  # a rule-flagged child with the lowest score takes a place
    matrix = f.matrix_for(county, as_of, flags.by_date[as_of])
    margin = model.predict(matrix)["margin"].to_numpy()
    selected = top_k_mask(matrix, margin, k, scope=scope)
    in_area = matrix["village_code"].str.startswith(area[: 9 if scope == "township" else 12]).to_numpy()
    gate = set(matrix.loc[selected & in_area, "child_key"])

    r = client.get(
        "/api/v1/visit-list",
        params={"as_of": as_of.isoformat(), scope: area},
        headers=accounts[account].headers,
    )
    assert r.status_code == 200, r.text
    shown = [row["child_key"] for row in r.json()["rows"][:k]]
    assert lowest in shown
    assert set(shown) == gate and len(gate) == k


def test_a_row_carries_what_a_caseworker_needs(client, accounts, county) -> None:
    r = client.get(
        "/api/v1/visit-list", params={"as_of": "2024-05-01"}, headers=accounts["director_a1"].headers
    )
    body = r.json()
    assert body["total"] == len(county.in_village(f.VILLAGE_A1)) == len(body["rows"])
    assert body["tie_break"] and body["model_version"] and body["scope"] == f"village:{f.VILLAGE_A1}"
    row = body["rows"][0]
    assert row["name"] == county.by_key(row["child_key"]).name
    assert row["band"] in {"red", "orange", "yellow", "green"} and 0 <= row["percentile"] <= 100
    assert row["age_years"] is not None and row["days_since_last_visit"] > 0
    assert set(row["data_freshness"]) >= {"children_registry", "visit_logs", "school_attendance"}
    reason = row["reasons"][0]
    assert {"label_zh", "value", "reference", "contribution", "text_zh"} <= set(reason)
    assert reason["text_zh"] and "中位数" not in reason["text_zh"] and "无记录" not in reason["text_zh"]


def test_asking_again_returns_the_same_persisted_list(client, accounts) -> None:
    params = {"as_of": "2024-04-01", "township": f.TOWNSHIP_A}
    first = client.get("/api/v1/visit-list", params=params, headers=accounts["supervisor_a"].headers).json()
    again = client.get("/api/v1/visit-list", params=params, headers=accounts["county_staff"].headers).json()
    assert first["list_id"] == again["list_id"] and first["rows"] == again["rows"]
    assert (
        client.get(
            "/api/v1/visit-list", params={**params, "limit": 2}, headers=accounts["supervisor_a"].headers
        ).json()["rows"]
        == first["rows"][:2]
    )


def test_the_data_team_gets_keys_and_scores_but_never_names(client, accounts, county) -> None:
    r = client.get(
        "/api/v1/visit-list",
        params={"as_of": "2024-05-01", "township": f.TOWNSHIP_A},
        headers=accounts["analyst"].headers,
    )
    assert r.status_code == 200
    assert all(row["name"] is None for row in r.json()["rows"])
    text = json.dumps(r.json(), ensure_ascii=False)
    assert not any(c.name in text or c.guardian_name in text for c in county.children)


@pytest.mark.parametrize(
    "params",
    [
        {"village": "abc"},
        {"village": f.VILLAGE_A1, "township": f.TOWNSHIP_A},
        {"township": "360321101201"},  # a village code is not a township
        {"as_of": "1999-12-31", "township": f.TOWNSHIP_A},
        {"as_of": "2024-13-01", "township": f.TOWNSHIP_A},
        {"as_of": "9999-01-01", "township": f.TOWNSHIP_A},
        {"limit": "0", "township": f.TOWNSHIP_A},
        {"limit": "many", "township": f.TOWNSHIP_A},
        {"township": "36032110\x00000"},
        {"village": "\x00"},
    ],
)
def test_malformed_or_out_of_range_list_requests_get_a_clear_422(client, accounts, params) -> None:
    r = client.get("/api/v1/visit-list", params=params, headers=accounts["county_staff"].headers)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]
