"""The caseworker pages as people meet them: real server, real browser, the real model of a tiny county."""

from __future__ import annotations

import colorsys
import io
import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from serving.tables import ConcernLevel
from tests.web.conftest import DESKTOP, PHONE

NOTE = "评分仅供参考，由工作人员决定"
ROWS = "#visit-list > li.row"


def _dom_rows(page) -> list[dict]:
    return page.locator(ROWS).evaluate_all(
        "els => els.map(e => ({child: e.dataset.child, rank: +e.dataset.rank, village: e.dataset.village,"
        " band: e.dataset.band, row: +e.dataset.row, flagged: e.classList.contains('flagged')}))"
    )


@pytest.mark.browser
def test_children_director_opens_the_top_child_sees_why_and_records_a_decision(
    signed_in, web_world, audit_since, screenshots
):
    page = signed_in("children_director", PHONE, login_shot="login.png")
    expect(page.locator(".note").first).to_have_text(NOTE)
    cookie = next(c for c in page.context.cookies() if c["name"] == "shouhu_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    rows = _dom_rows(page)
    assert rows and {r["village"] for r in rows} == {web_world.world.village}
    page.screenshot(path=str(screenshots / "visit_list_phone.png"))
    top = rows[0]
    assert top["flagged"]  # the village has a child living alone (conftest): flagged children come first
    page.locator(ROWS).first.locator("a.rowlink").click()

    # not yet assessed this cycle: the caseworker's own concern first, the score stays hidden
    expect(page.locator("#concern")).to_be_visible()
    assert page.locator("#score").count() == 0 and page.locator("#reasons").count() == 0
    page.screenshot(path=str(screenshots / "concern_before_score.png"))
    page.check("input[name=level][value=medium]")
    page.locator("#concern button[type=submit]").click()

    expect(page.locator("#score")).to_contain_text("百分位")
    expect(page.locator("#score")).to_contain_text("有些担心")
    bars = page.locator("#reasons ul.bars li")
    assert bars.count() >= 1
    for text in bars.locator(".label").all_inner_texts():  # plain sentences, never from missing data
        assert "无记录" not in text and "百分点/100" not in text and "中位数" not in text, text
    freshness = page.locator("#freshness tbody tr")
    expect(freshness.filter(has_text="走访记录")).to_have_count(1)
    expect(freshness.filter(has_text="学校出勤")).to_have_count(1)
    expect(page.locator("#rules")).to_contain_text("与评分无关")
    page.screenshot(path=str(screenshots / "child_panel.png"), full_page=True)

    page.get_by_role("link", name="记录决定").click()
    expect(page.locator("#decide")).to_be_visible()
    page.screenshot(path=str(screenshots / "decision_form.png"), full_page=True)
    page.check("input[name=action][value=schedule_visit]")
    page.fill("textarea[name=notes]", "周五下午入户")
    page.locator("#decide button[type=submit]").click()

    expect(page.locator(".ok")).to_contain_text("决定已记录")
    expect(page.locator("#decisions li.decision").first).to_contain_text("安排走访")
    expect(page.locator("#decisions")).to_contain_text("周五下午入户")

    from serving.decisions import decisions_for

    with web_world.app.state.services.session() as session:
        decision = decisions_for(session, top["child"])[-1]
    assert (
        decision.list_row_id == top["row"]
        and decision.action == "schedule_visit"
        and not decision.out_of_order
    )
    mine = [
        (e.action, e.outcome) for e in audit_since() if e.username == "zhuren" and e.child_key == top["child"]
    ]
    assert ("read_child", "ok") in mine
    assert ("record_concern", "ok") in mine
    assert ("record_decision", "ok") in mine
    with web_world.app.state.services.session() as session:
        given = session.scalars(select(ConcernLevel).where(ConcernLevel.child_key == top["child"])).all()
    assert [c.level for c in given if c.given_by == "zhuren"] == ["medium"]  # other tests' accounts aside


@pytest.mark.browser
def test_visit_list_puts_rule_flagged_children_first_and_shows_what_the_api_ranks(
    sessions, signed_in, web_world, screenshots
):
    page = signed_in("children_director", DESKTOP)
    page.screenshot(path=str(screenshots / "visit_list_desktop.png"))
    rows = _dom_rows(page)
    api = sessions.api_list("children_director")
    assert [r["child"] for r in rows] == [r["child_key"] for r in api["rows"]]
    flags = [r["flagged"] for r in rows]
    assert flags == sorted(flags, reverse=True)  # every rule-flagged child above every other
    first = page.locator(ROWS).first
    expected = api["rows"][0]
    expect(first.locator(".pill")).to_have_text("强制报告")  # a rule-flagged child: never a colour band
    expect(first).to_contain_text(f"{expected['percentile']:.0f}")
    for reason in expected["reasons"][:3]:
        expect(first.locator("ol.reasons")).to_contain_text(reason["text_zh"])
    assert expected["rule_flags"] and any(r["child_key"] == web_world.flagged for r in api["rows"])
    expect(first.locator(".rule")).to_contain_text(expected["rule_flags"][0]["label_zh"])
    days = expected["days_since_last_visit"]
    expect(first.locator(".meta")).to_contain_text("无走访记录" if days is None else f"距上次走访 {days} 天")

    page.select_option("select[name=band]", "green")
    page.wait_for_url("**band=green**")
    assert {r["band"] for r in _dom_rows(page)} <= {"green"}


@pytest.mark.browser
def test_supervisor_sees_every_village_of_the_township_and_can_filter_one(sessions, signed_in, web_world):
    page = signed_in("supervisor", DESKTOP)
    township = web_world.world.township
    county_view = sessions.api_list("county", township=township)
    first = _dom_rows(page)
    # a township's list is longer than a page: its top rows come first, the rest one tap away
    assert len(county_view["rows"]) > len(first)
    assert [r["child"] for r in first] == [r["child_key"] for r in county_view["rows"][: len(first)]]
    page.get_by_role("link", name="显示全部").click()
    page.wait_for_url("**all=1**")
    rows = _dom_rows(page)
    assert {r["child"] for r in rows} == {r["child_key"] for r in county_view["rows"]}
    assert len({r["village"] for r in rows}) >= 2
    assert all(r["village"][:9] == township[:9] for r in rows)

    page.select_option("select[name=village]", web_world.world.village)
    page.wait_for_url(f"**village={web_world.world.village}**")
    assert {r["village"] for r in _dom_rows(page)} == {web_world.world.village}


@pytest.mark.browser
def test_children_director_cannot_open_a_child_of_another_village(
    sessions, signed_in, web_world, audit_since
):
    others = [
        r for r in sessions.api_list("supervisor")["rows"] if r["village_code"] != web_world.world.village
    ]
    other = others[0]
    page = signed_in("children_director", PHONE)
    for path in (f"/children/{other['child_key']}", f"/children/{other['child_key']}/decide"):
        response = page.goto(path)
        assert response is not None and response.status == 403
        expect(page.locator("h1")).to_have_text("无权查看")
        assert other["name"] not in page.content()
    denied = [e for e in audit_since() if e.username == "zhuren" and e.outcome == "denied"]
    assert {e.child_key for e in denied} == {other["child_key"]}

    # nor record a decision on that child's list row by posting the form directly (with a valid CSRF token)
    r = sessions.post_form(
        "children_director",
        f"/children/{other['child_key']}/decide",
        {"list_row_id": other["list_row_id"], "action": "visited"},
    )
    assert r.status_code == 403 and "无权" in r.text


def test_exported_xlsx_opens_with_openpyxl_and_matches_the_list(sessions, web_world):
    from openpyxl import load_workbook

    village = web_world.world.village
    client = sessions.client("supervisor")
    r = client.get("/list.xlsx", params={"village": village})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(r.content))["走访清单"]
    assert NOTE in sheet["A2"].value
    exported = [row for row in sheet.iter_rows(min_row=4, values_only=True)]
    expected = [r for r in sessions.api_list("supervisor")["rows"] if r["village_code"] == village]
    # names for a supervisor (no developer keys), the band as the page shows it, the percentile as there
    assert [(x[0], x[1], x[4], x[5]) for x in exported] == [
        (e["rank"], e["name"], "强制报告" if e["rule_flags"] else e["band_zh"], round(e["percentile"]))
        for e in expected
    ]
    assert not any(e["child_key"] in str(x) for x in exported for e in expected)
    reasons = [e["reasons"][0]["text_zh"] if e["reasons"] else "" for e in expected]
    assert [x[7] or "" for x in exported] == reasons  # an empty cell reads back as None
    village_zh = web_world.app.state.services.warehouse.area_names()[village]
    assert sheet["A1"].value.startswith(f"走访清单 {village_zh}，数据截至 ")
    assert quote(f"走访清单_{village_zh}_") in r.headers["content-disposition"]

    printed = client.get("/list/print", params={"village": village})
    assert printed.status_code == 200 and NOTE in printed.text
    positions = [printed.text.index(e["child_key"]) for e in expected]
    assert positions == sorted(positions)


@pytest.mark.parametrize("role", ["data_team", "admin"])
def test_data_team_and_admin_pages_show_pseudonymous_keys_and_never_one_childs_record(
    sessions, web_world, role
):
    township = web_world.world.township
    named = sessions.api_list("supervisor")["rows"]
    client = sessions.client(role)
    page = client.get("/list", params={"township": township})
    assert page.status_code == 200
    child = named[0]
    assert child["child_key"] in page.text
    assert not [r["name"] for r in named if r["name"] and r["name"] in page.text]
    # no way into one child's record: no link, and the page itself refuses (in Chinese)
    assert f'href="/children/{child["child_key"]}' not in page.text
    panel = client.get(f"/children/{child['child_key']}")
    assert panel.status_code == 403 and "无权查看" in panel.text and "单个儿童" in panel.text
    # their rows name the township, never the village, and carry no age
    rows = sessions.api_list(role, township=township)["rows"]
    assert {r["village_code"] for r in rows} == {township} and all(r["age_years"] is None for r in rows)
    # a band holding 1–4 children is shown as "<5"
    counts = re.findall(r"（([^）]*)）</option>", page.text)
    assert counts and all(c == "&lt;5" or c == "0" or int(c) >= 5 for c in counts)
    assert client.get("/list.xlsx", params={"township": township}).status_code == 200


def test_visiting_out_of_list_order_asks_for_a_reason_before_it_is_saved(sessions, web_world):
    rows = sessions.api_list("children_director")["rows"]
    last = rows[-1]
    client = sessions.client("children_director")
    data = {"list_row_id": last["list_row_id"], "action": "visited"}
    path = f"/children/{last['child_key']}/decide"
    refused = sessions.post_form("children_director", path, data)
    assert refused.status_code == 422 and "未按名单顺序" in refused.text
    saved = sessions.post_form("children_director", path, {**data, "reason": "监护人来电求助"})
    assert saved.status_code == 303
    sessions.post_form(
        "children_director",
        f"/children/{last['child_key']}/concern",
        {"level": "high", "cycle": sessions.api_list("children_director")["as_of"]},
    )
    history = client.get(saved.headers["location"])
    assert "监护人来电求助" in history.text and "未按名单顺序" in history.text


def test_login_page_refuses_a_wrong_password_and_pages_send_strangers_to_it(web_world):
    import httpx

    with httpx.Client(base_url=web_world.url, timeout=60) as client:
        away = client.get("/children/c_0000000000000000")
        assert away.status_code == 303 and away.headers["location"].startswith("/login?next=")
        wrong = client.post("/login", data={"username": "zhuren", "password": "not-the-password"})
        assert wrong.status_code == 401 and "账号或密码错误" in wrong.text and NOTE in wrong.text
        assert "shouhu_session" not in client.cookies


def test_county_staff_open_the_whole_county_and_can_narrow_it_to_a_township(sessions, web_world):
    county = sessions.api_list("county")
    assert county["scope"] == f"county:{web_world.world.county}"
    townships = {r["village_code"][:9] for r in county["rows"]}
    assert len(townships) == 2  # the whole county, not the first township
    with sessions.client("county") as client:
        whole = client.get("/list", params={"all": 1})
        assert whole.status_code == 200 and '<option value="" selected>全县</option>' in whole.text
        shown = [r for r in county["rows"] if f'data-child="{r["child_key"]}"' in whole.text]
        assert len(shown) == min(county["total"], 500) and county["total"] <= 500
        one = client.get("/list", params={"township": web_world.world.township, "all": 1})
        assert one.status_code == 200
        inside = sessions.api_list("county", township=web_world.world.township)["rows"]
        assert all(f'data-child="{r["child_key"]}"' in one.text for r in inside)
        outside = [r for r in county["rows"] if r["village_code"][:9] != web_world.world.township[:9]]
        assert outside and not [r for r in outside if f'data-child="{r["child_key"]}"' in one.text]


def _hue_and_saturation(css_colour: str) -> tuple[float, float]:
    """`rgb(r, g, b)` as the browser computes it → (hue in degrees, HLS saturation)."""
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", css_colour)[:3])
    hue, _, saturation = colorsys.rgb_to_hls(r, g, b)
    return hue * 360, saturation


def _looks_red(css_colour: str) -> bool:
    hue, saturation = _hue_and_saturation(css_colour)
    return saturation > 0.3 and (hue <= 20 or hue >= 340)


def _looks_green(css_colour: str) -> bool:
    hue, saturation = _hue_and_saturation(css_colour)
    return saturation > 0.3 and 90 <= hue <= 160


BARS_AS_DRAWN = """els => els.map(li => {
    const bar = li.querySelector('.bar'), dir = li.querySelector('.dir');
    return {label: li.querySelector('.label').innerText, direction: dir.innerText,
            bar: getComputedStyle(bar).backgroundColor, word: getComputedStyle(dir).color,
            width: bar.getBoundingClientRect().width};
})"""


@pytest.mark.browser
def test_the_child_page_draws_raising_reasons_red_and_protective_ones_green(sessions, signed_in, web_world):
    import httpx

    token = sessions.token("county")
    panels = []
    for row in sessions.api_list("county", township=web_world.world.township)["rows"][:40]:
        r = httpx.get(
            f"{web_world.url}/api/v1/children/{row['child_key']}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        panels.append(r.json())
    both = [p for p in panels if p["reasons"] and p["protective_reasons"]]
    assert both, "the real model gives some children both kinds of reason"
    panel = both[0]
    # county staff give their own concern level first; then the page shows the score and its reasons
    cycle = panel["score"]["as_of"] if panel["score"] else panel["as_of"]
    given = sessions.post_form(
        "county", f"/children/{panel['child_key']}/concern", {"level": "low", "cycle": cycle}
    )
    assert given.status_code == 303, given.text[:300]
    page = signed_in("county", DESKTOP)
    page.goto(f"/children/{panel['child_key']}")
    drawn = page.locator("#reasons ul.bars li").evaluate_all(BARS_AS_DRAWN)
    raising = [r["text_zh"] for r in panel["reasons"]]
    protective = [r["text_zh"] for r in panel["protective_reasons"]]
    # the bars in the API's order, raising ones first, each with its own words
    assert len(drawn) == len(raising) + len(protective)
    for bar, text in zip(drawn, raising + protective, strict=True):
        assert bar["label"].startswith(text), (bar["label"], text)
        assert bar["width"] > 0, f"{text}: no bar to see"
    # what a person sees: the colours the browser paints, red for raising, green for protective
    for bar in drawn[: len(raising)]:
        assert _looks_red(bar["bar"]) and _looks_red(bar["word"]), bar
        assert bar["direction"] == "提高"
    for bar in drawn[len(raising) :]:
        assert _looks_green(bar["bar"]) and _looks_green(bar["word"]), bar
        assert bar["direction"] == "降低"
    # and the legend above the bars names the same colours in the same paint
    legend = page.locator("#reasons p.muted")
    assert _looks_red(legend.locator(".up-text").evaluate("e => getComputedStyle(e).color"))
    assert _looks_green(legend.locator(".down-text").evaluate("e => getComputedStyle(e).color"))
