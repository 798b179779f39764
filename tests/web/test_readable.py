"""What a 儿童主任 reads, as the browser shows it: reasons in plain words, flagged children never green, times
in Beijing time, a print view with a 打印 button that fits a phone, API docs that work offline, and API
errors in Chinese."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.conftest import DESKTOP, PHONE

BEIJING = ZoneInfo("Asia/Shanghai")
LONG_DECIMAL = re.compile(r"\d+\.\d{2,}")
CJK = re.compile(r"[\u4e00-\u9fff]")
ROWS = "#visit-list > li.row"
COOKIE = "shouhu_session"


@pytest.fixture(scope="module")
def own_director(web_world) -> str:
    """A second 儿童主任 of the demo village, so the concern levels and decisions these tests record leave
    the demo accounts' first visits (tests/web/test_pages.py) as they were; its session cookie."""
    from serving.users import add_user

    username, password = "zhuren_readable", "qiao-bai-village-lantern-7"
    with web_world.app.state.services.session() as session:
        add_user(session, username, "children_director", password, village=web_world.world.village)
    r = httpx.post(f"{web_world.url}/login", data={"username": username, "password": password}, timeout=60)
    assert r.status_code == 303, r.text[:300]
    return r.cookies[COOKIE]


@pytest.fixture
def as_own_director(browser, web_world, own_director):
    contexts = []

    def open_page(viewport=DESKTOP):
        context = browser.new_context(viewport=viewport, locale="zh-CN", base_url=web_world.url)
        contexts.append(context)
        context.add_cookies([{"name": COOKIE, "value": own_director, "url": web_world.url}])
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto("/list")
        return page

    yield open_page
    for context in contexts:
        context.close()


def _past_the_concern(page, level: str = "low") -> None:
    """The caseworker's own concern comes before the score (asked once per child and cycle)."""
    if page.locator("#concern").count():
        page.check(f"input[name=level][value={level}]")
        page.locator("#concern button[type=submit]").click()


def _unreadable(text: str) -> list[str]:
    found = [bad for bad in ("无记录", "百分点/100", "中位数", "nan") if bad in text]
    return found + LONG_DECIMAL.findall(text)


@pytest.mark.browser
@pytest.mark.parametrize("role", ["children_director", "supervisor"])
def test_every_reason_on_the_list_reads_without_missing_data_jargon_or_long_decimals(signed_in, role):
    page = signed_in(role, PHONE)
    page.goto("/list?all=1")
    reasons = page.locator(f"{ROWS} ol.reasons li").all_inner_texts()
    assert reasons, "the list shows no reasons"
    assert not {text: _unreadable(text) for text in reasons if _unreadable(text)}
    # missing or stale data is said once per row, as a freshness note with the year
    meta = page.locator(f"{ROWS} .meta").first.inner_text()
    assert re.search(r"(走访|出勤)数据截至\d{4}年\d{1,2}月\d{1,2}日|无(走访|出勤)数据", meta), meta


def _hue(rgb: str) -> float:
    import colorsys

    r, g, b = (int(x) / 255 for x in re.findall(r"\d+", rgb)[:3])
    return colorsys.rgb_to_hls(r, g, b)[0] * 360


@pytest.mark.browser
def test_a_rule_flagged_child_never_shows_green_on_the_list_the_panel_or_the_print(
    as_own_director, web_world
):
    page = as_own_director()
    flagged = page.locator(f"{ROWS}.flagged")
    assert flagged.count() >= 1
    for i in range(flagged.count()):
        pill = flagged.nth(i).locator(".pill")
        expect(pill).to_have_text("强制报告")
        colour = pill.evaluate("e => getComputedStyle(e).backgroundColor")
        assert not 80 <= _hue(colour) <= 160, colour  # not green: painted red
    page.locator(".legend summary").click()
    expect(page.locator(".legend")).to_contain_text("强制报告")

    page.goto("/list?band=green")
    shown = page.locator(ROWS).evaluate_all("els => els.map(e => e.dataset.child)")
    assert web_world.flagged not in shown

    page.goto(f"/children/{web_world.flagged}")
    _past_the_concern(page, "high")
    expect(page.locator("#score p.big .pill")).to_have_text("强制报告")
    family = page.locator("#family").inner_text() if page.locator("#family").count() else ""
    assert not re.search(r"监护能力(有|无)?监护能力", family), family  # the label said once
    expect(page.locator("#score")).not_to_contain_text("绿色")

    page.goto("/list/print")
    row = page.locator(f"tr[data-child='{web_world.flagged}']")
    expect(row.locator("td.band")).to_have_text("强制报告")


@pytest.mark.browser
def test_a_decision_recorded_now_shows_the_current_beijing_time(as_own_director):
    page = as_own_director(PHONE)
    last = page.locator(ROWS).last
    child, row = last.get_attribute("data-child"), last.get_attribute("data-row")
    page.goto(f"/children/{child}/decide?row={row}")
    _past_the_concern(page)
    page.goto(f"/children/{child}/decide?row={row}")
    page.check("input[name=action][value=schedule_visit]")
    page.fill("textarea[name=reason]", "顺路先去这家")  # not in list order: a reason is asked
    before = dt.datetime.now(BEIJING)
    page.locator("#decide button[type=submit]").click()
    expect(page.locator(".ok")).to_contain_text("决定已记录")
    shown = page.locator("#decisions li.decision time.decided-at").first.inner_text()
    after = dt.datetime.now(BEIJING)
    allowed = {f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}" for t in (before, after)}
    assert shown in allowed, (shown, allowed)


@pytest.mark.browser
def test_the_print_view_has_a_print_button_fits_a_phone_and_groups_a_township_by_village(
    signed_in, web_world, screenshots
):
    page = signed_in("supervisor", PHONE)
    page.goto("/list/print")
    expect(page.get_by_role("button", name="打印")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, width  # no table cut off at the phone's edge
    headings = page.locator("section.village h2")
    assert headings.count() >= 2  # a township's list: one group per village
    printed = page.locator("#printed-at").inner_text()
    now = dt.datetime.now(BEIJING)
    assert printed.startswith(f"{now.year}年{now.month}月{now.day}日 "), printed
    page.screenshot(path=str(screenshots / "print_phone.png"))
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="打印")).to_be_hidden()


@pytest.mark.browser
def test_the_api_docs_load_with_every_external_host_blocked(browser, web_world, screenshots):
    context = browser.new_context(viewport=DESKTOP, base_url=web_world.url)
    outside: list[str] = []

    def only_local(route) -> None:
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    try:
        page = context.new_page()
        page.goto("/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("Shouhu", timeout=30_000)
        expect(page.locator(".opblock").first).to_be_visible()
        page.screenshot(path=str(screenshots / "api_docs_offline.png"))
    finally:
        context.close()
    assert not outside, outside


def test_the_api_answers_401_and_404_in_chinese_with_a_stable_code(sessions, web_world):
    anonymous = httpx.get(f"{web_world.url}/api/v1/visit-list", timeout=60)
    assert anonymous.status_code == 401
    body = anonymous.json()
    assert body["code"] == "not_signed_in" and CJK.search(body["detail"]), body
    token = sessions.token("supervisor")
    missing = httpx.get(
        f"{web_world.url}/api/v1/children/c_0000000000000000",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert missing.status_code == 404
    body = missing.json()
    assert body["code"] == "child_not_found" and CJK.search(body["detail"]), body


def test_pages_are_sent_compressed(sessions):
    with sessions.client("supervisor") as client:
        r = client.get("/list", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers.get("content-encoding") == "gzip"


@pytest.mark.browser
def test_the_demo_lists_at_the_day_its_feeds_stop_so_freshness_marks_are_honest(as_own_director, web_world):
    from serving.localtime import date_zh

    as_of = web_world.world.as_of
    assert as_of is not None
    page = as_own_director()
    expect(page.locator("section.head")).to_contain_text(f"数据截至 {date_zh(as_of)}")
    notes = page.locator(f"{ROWS} .meta").all_inner_texts()
    stale = [n for n in notes if "过旧" in n]
    assert notes and len(stale) < len(notes) / 2, stale[:5]
    page.locator(f"{ROWS} a.rowlink").nth(1).click()
    _past_the_concern(page)
    feeds = page.locator("#freshness tbody tr")
    for title in ("走访记录", "学校出勤"):
        expect(feeds.filter(has_text=title)).not_to_contain_text("数据源已停更")
