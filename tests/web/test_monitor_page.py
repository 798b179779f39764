"""The 县民政 monitoring page in a real browser: a county officer sees the figures of the latest
`shouhu monitor` run, drawn as SVG on the server; a 儿童主任 is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.conftest import DESKTOP

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def monitored(web_world) -> None:
    from serving.monitoring.cli import compute

    result = compute(web_world.settings, None)
    assert result.figures


def test_a_county_officer_sees_feeds_drift_quality_and_selection(
    monitored, signed_in, screenshots: Path
) -> None:
    page = signed_in("county", DESKTOP)
    page.goto("/list")
    page.get_by_role("link", name="运行监测").click()  # the county officer finds the page from the header
    page.wait_for_url("**/county/monitor")
    response = page.goto("/county/monitor")
    assert response is not None and response.status == 200
    assert page.locator("h1").inner_text().startswith("县级监测")
    for section in ("#feeds", "#drift", "#precision", "#casework", "#selection", "#champion"):
        assert page.locator(section).count() == 1, section
    assert "走访记录" in page.locator("#feeds").inner_text()  # feeds by their Chinese names
    assert "北京时间" in page.locator("main").inner_text()
    assert page.locator("#drift svg.chart").count() == 2  # score over time, inputs now
    assert page.locator("#drift svg rect").count() > 0  # one bar per input
    assert page.locator("#precision svg.chart").count() == 1
    assert (
        "第" in page.locator("#champion").inner_text()
        and "上线门槛" in page.locator("#champion").inner_text()
    )
    page.screenshot(path=str(screenshots / "county-monitor.png"), full_page=True)


def test_a_children_director_is_refused_the_monitoring_page(monitored, signed_in) -> None:
    page = signed_in("children_director", DESKTOP)
    page.goto("/list")
    assert page.get_by_role("link", name="运行监测").count() == 0  # no link to a page they may not open
    response = page.goto("/county/monitor")
    assert response is not None and response.status == 403
    assert "仅限县民政" in page.locator("main").inner_text()
    assert page.locator("svg.chart").count() == 0
