"""Decisions: append-only, each naming the list row the caseworker saw; reasons where the rules ask for them;
a correction is a new decision pointing at the one it corrects."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.serving import factories as f

pytestmark = pytest.mark.db


def _list(client, accounts, as_of: dt.date, account: str = "director_a1") -> list[dict]:
    r = client.get(
        "/api/v1/visit-list", params={"as_of": as_of.isoformat()}, headers=accounts[account].headers
    )
    assert r.status_code == 200, r.text
    return r.json()["rows"]


def _decide(client, accounts, account: str = "director_a1", **body):
    return client.post("/api/v1/decisions", json=body, headers=accounts[account].headers)


def test_following_the_list_order_needs_no_reason_but_skipping_ahead_does(client, accounts) -> None:
    rows = _list(client, accounts, dt.date(2024, 2, 1))
    first = _decide(client, accounts, list_row_id=rows[0]["list_row_id"], action="schedule_visit")
    assert first.status_code == 201 and first.json()["out_of_order"] is False
    skip = _decide(client, accounts, list_row_id=rows[3]["list_row_id"], action="visited")
    assert skip.status_code == 422 and "原因" in skip.json()["detail"]
    with_reason = _decide(
        client,
        accounts,
        list_row_id=rows[3]["list_row_id"],
        action="visited",
        reason="顺路",
        findings={"child_seen": True, "notes": "一切正常"},
    )
    assert with_reason.status_code == 201
    assert (
        with_reason.json()["out_of_order"] is True and with_reason.json()["findings"]["notes"] == "一切正常"
    )
    # escalation never waits for the list order
    escalate = _decide(
        client, accounts, list_row_id=rows[4]["list_row_id"], action="escalate_mandatory_report"
    )
    assert escalate.status_code == 201


def test_no_action_for_a_rule_flagged_child_needs_a_reason(client, accounts, county, flags) -> None:
    as_of = dt.date(2024, 1, 15)
    flagged = county.in_village(f.VILLAGE_A1)[2].key
    flags.by_date[as_of] = {flagged: "missing"}
    row = _list(client, accounts, as_of)[0]
    assert row["child_key"] == flagged
    assert _decide(client, accounts, list_row_id=row["list_row_id"], action="no_action").status_code == 422
    ok = _decide(client, accounts, list_row_id=row["list_row_id"], action="no_action", reason="已由民警处置")
    assert ok.status_code == 201


def test_a_correction_is_a_new_decision_linked_to_the_one_it_corrects(client, accounts) -> None:
    row = _list(client, accounts, dt.date(2024, 1, 1))[0]
    original = _decide(client, accounts, list_row_id=row["list_row_id"], action="visited").json()
    assert (
        _decide(
            client, accounts, list_row_id=row["list_row_id"], action="no_action", corrects_id=original["id"]
        ).status_code
        == 422
    )  # a correction says why
    fix = _decide(
        client,
        accounts,
        list_row_id=row["list_row_id"],
        action="schedule_visit",
        corrects_id=original["id"],
        reason="误点为已走访",
    )
    assert fix.status_code == 201 and fix.json()["corrects_id"] == original["id"]
    history = client.get(
        f"/api/v1/children/{row['child_key']}/decisions", headers=accounts["director_a1"].headers
    ).json()
    by_id = {d["id"]: d for d in history}
    assert by_id[original["id"]]["action"] == "visited"  # unchanged
    assert by_id[original["id"]]["corrected_by"] == fix.json()["id"]


def test_a_correction_must_concern_the_same_child(client, accounts) -> None:
    rows = _list(client, accounts, dt.date(2023, 12, 1))
    a = _decide(client, accounts, list_row_id=rows[0]["list_row_id"], action="schedule_visit").json()
    r = _decide(
        client,
        accounts,
        list_row_id=rows[1]["list_row_id"],
        action="schedule_visit",
        corrects_id=a["id"],
        reason="x",
    )
    assert r.status_code == 422


def test_there_is_no_way_to_change_or_delete_a_decision_over_http(client, accounts) -> None:
    row = _list(client, accounts, dt.date(2023, 11, 1))[0]
    decision = _decide(client, accounts, list_row_id=row["list_row_id"], action="schedule_visit").json()
    h = accounts["county_staff"].headers
    for method in ("PUT", "PATCH", "DELETE"):
        assert client.request(method, f"/api/v1/decisions/{decision['id']}", headers=h).status_code in (
            404,
            405,
        )
        assert client.request(method, "/api/v1/decisions", headers=h).status_code == 405


@pytest.mark.parametrize(
    ("account", "status"),
    [("director_b1", 403), ("analyst", 403), ("root", 403), ("supervisor_a", 201), ("county_staff", 201)],
)
def test_only_caseworkers_of_the_childs_area_record_decisions(client, accounts, account, status) -> None:
    row = _list(client, accounts, dt.date(2023, 10, 1))[0]
    r = _decide(client, accounts, account, list_row_id=row["list_row_id"], action="refer_assessment")
    assert r.status_code == status, r.text


@pytest.mark.parametrize("account", ["analyst", "root"])
def test_the_data_team_and_admins_read_no_childs_decisions_caseworkers_read_all(
    client, accounts, account
) -> None:
    row = _list(client, accounts, dt.date(2023, 9, 1))[0]
    free_text = ("祖父赵某酗酒", "赵某说孩子很好", "邻居王某反映")
    _decide(
        client,
        accounts,
        list_row_id=row["list_row_id"],
        action="visited",
        reason=free_text[2],
        findings={"child_seen": True, "concerns": [free_text[0]], "notes": free_text[1]},
    )
    seen = client.get(f"/api/v1/children/{row['child_key']}/decisions", headers=accounts[account].headers)
    panel = client.get(f"/api/v1/children/{row['child_key']}", headers=accounts[account].headers)
    assert seen.status_code == panel.status_code == 403
    for text in (seen.text, panel.text):
        assert not [t for t in free_text if t in text]
    # the caseworkers themselves read all of it
    theirs = client.get(
        f"/api/v1/children/{row['child_key']}/decisions", headers=accounts["director_a1"].headers
    ).json()[-1]
    assert theirs["reason"] == free_text[2] and theirs["findings"]["concerns"] == [free_text[0]]
    assert theirs["findings"]["notes"] == free_text[1] and theirs["free_text_hidden"] is False


def test_a_refused_decision_is_audited_with_the_child_of_the_list_row_tried(
    client, accounts, audit_rows
) -> None:
    row = _list(client, accounts, dt.date(2023, 7, 1))[0]
    for account in ("director_b1", "analyst", "root"):
        r = _decide(client, accounts, account, list_row_id=row["list_row_id"], action="visited")
        assert r.status_code == 403, r.text
    assert _decide(client, accounts, "director_b1", list_row_id=999_998, action="visited").status_code == 404
    tried = [
        (r["username"], r["child_key"], r["outcome"])
        for r in audit_rows()
        if r["action"] == "record_decision"
    ]
    assert tried == [
        ("director_b1", row["child_key"], "denied"),
        ("analyst", row["child_key"], "denied"),
        ("root", row["child_key"], "denied"),
        ("director_b1", None, "not_found"),
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"list_row_id": 1, "action": "burn_it"},
        {"list_row_id": 0, "action": "visited"},
        {"list_row_id": 1, "action": "visited", "reason": "x" * 2001},
        {"list_row_id": 1, "action": "visited", "findings": {"unknown": 1}},
        {"action": "visited"},
        {"list_row_id": 1, "action": "visited", "reason": "nul\x00byte"},
        {"list_row_id": 1, "action": "visited", "findings": {"notes": "nul\x00byte"}},
        {"list_row_id": 1, "action": "visited", "findings": {"concerns": ["nul\x00byte"]}},
        {"list_row_id": 1, "action": "visited", "findings": {"concerns": ["x" * 201]}},
    ],
)
def test_malformed_decisions_get_422(client, accounts, body) -> None:
    assert _decide(client, accounts, **body).status_code == 422


def test_a_decision_on_a_missing_list_row_is_404(client, accounts) -> None:
    assert _decide(client, accounts, list_row_id=999_999, action="visited").status_code == 404
