"""Every page answers bad input with a 4xx and a Chinese message — the decision form again, with what to fix,
or a short error page — never a 500; and the pages show each role only what it may do."""

from __future__ import annotations

import pytest

NOTE = "评分仅供参考，由工作人员决定"


def _decisions(web_world, child_key: str) -> int:
    from serving.decisions import decisions_for

    with web_world.app.state.services.session() as session:
        return len(decisions_for(session, child_key))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"action": "visited", "reason": "顺路", "notes": "门口有\x00水塘"},
            "情况记录含有无法保存的控制字符",
        ),
        ({"action": "visited", "reason": "顺路\x00"}, "原因含有无法保存的控制字符"),
        ({"action": "visited", "reason": "长" * 2001}, "原因最多 2000 字"),
        ({"action": "visited", "reason": "顺路", "notes": "长" * 2001}, "情况记录最多 2000 字"),
        ({"action": "burn_it"}, "请从选项中选择决定"),
        ({}, "请填写决定"),
        ({"action": "visited", "reason": "顺路", "list_row_id": "abc"}, "名单行格式不正确"),
        ({"action": "visited", "reason": "顺路", "list_row_id": ""}, "请填写名单行"),
        ({"action": "visited", "reason": "顺路", "corrects_id": "0"}, "更正的决定超出范围"),
    ],
)
def test_an_invalid_decision_form_comes_back_with_a_chinese_message_and_nothing_saved(
    sessions, web_world, fields, message
):
    row = sessions.api_list("children_director")["rows"][-1]
    before = _decisions(web_world, row["child_key"])
    r = sessions.post_form(
        "children_director",
        f"/children/{row['child_key']}/decide",
        {"list_row_id": row["list_row_id"], **fields},
    )
    assert r.status_code == 422, r.text[:500]
    assert message in r.text and NOTE in r.text
    assert f'action="/children/{row["child_key"]}/decide"' in r.text  # the form again, to correct
    assert "\x00" not in r.text
    assert _decisions(web_world, row["child_key"]) == before


@pytest.mark.parametrize(
    ("method", "path", "data", "message"),
    [
        ("post", "/children/{child}/concern", {"level": "high", "cycle": "not-a-date"}, "周期格式不正确"),
        ("post", "/children/{child}/concern", {"cycle": "2024-09-01"}, "请填写担忧程度"),
        ("post", "/children/{child}/concern", {"level": "furious", "cycle": "2024-09-01"}, "请选择担忧程度"),
        ("post", "/children/{child}/concern", {"level": "high", "cycle": "1900-01-01"}, "日期须在"),
        ("get", "/children/{child}?row=abc", None, "名单行格式不正确"),
        ("get", "/children/{child}/decide?corrects=0", None, "更正的决定超出范围"),
        ("get", "/list?band=" + "x" * 9, None, "等级最多 8 字"),
        ("post", "/login", {"username": "u" * 65, "password": "p"}, "账号最多 64 字"),
        ("post", "/login", {"password": "p"}, "请填写账号"),
    ],
)
def test_other_invalid_page_input_gets_a_chinese_error_page(sessions, web_world, method, path, data, message):
    child = sessions.api_list("children_director")["rows"][-1]["child_key"]
    if method == "post" and path != "/login":
        r = sessions.post_form("children_director", path.format(child=child), data)
    else:
        with sessions.client("children_director") as client:
            r = client.request(method.upper(), path.format(child=child), data=data)
    assert 400 <= r.status_code < 500, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    assert message in r.text and NOTE in r.text


def test_a_nul_byte_in_the_login_form_is_a_wrong_password_not_an_error(web_world):
    import httpx

    with httpx.Client(base_url=web_world.url, timeout=60) as client:
        r = client.post("/login", data={"username": "zhu\x00ren", "password": "x\x00"})
    assert r.status_code == 401 and "账号或密码错误" in r.text and "\x00" not in r.text


@pytest.mark.parametrize("role", ["data_team", "admin"])
def test_roles_that_only_read_aggregates_cannot_open_a_child_or_record_a_decision(sessions, web_world, role):
    row = sessions.api_list("county")["rows"][0]
    before = _decisions(web_world, row["child_key"])
    with sessions.client(role) as client:
        page = client.get(f"/children/{row['child_key']}/decide", params={"row": row["list_row_id"]})
        assert page.status_code == 403 and "无权查看" in page.text
        assert 'name="action"' not in page.text and "保存决定" not in page.text
    # and the endpoint itself refuses, should anyone post anyway (with the session's own CSRF token)
    posted = sessions.post_form(
        role,
        f"/children/{row['child_key']}/decide",
        {"list_row_id": row["list_row_id"], "action": "escalate_mandatory_report"},
    )
    assert posted.status_code == 403 and "无权查看" in posted.text
    assert _decisions(web_world, row["child_key"]) == before
