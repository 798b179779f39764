"""The demo's counts line explains its three numbers (registered at the start, registered later, in the
cohort on the lists' date) with the totals the lists themselves show."""

from __future__ import annotations

from typing import Any


def test_the_demo_counts_line_gives_the_totals_the_county_and_village_lists_show(
    sessions: Any, web_world: Any
) -> None:
    from shouhu.demo_counts import demo_counts

    world = web_world.world
    counts = demo_counts(  # as `shouhu demo` counts: for the date its lists are served at
        web_world.settings.warehouse, web_world.county.children, world.children, world.village, world.as_of
    )
    import httpx

    def opened_list(role: str) -> httpx.Response:
        bearer = {"Authorization": f"Bearer {sessions.token(role)}"}  # the session token is the API's too
        return httpx.get(
            f"{web_world.url}/api/v1/visit-list", params={"limit": 1}, headers=bearer, timeout=120
        )

    county_list, village_list = opened_list("county"), opened_list("children_director")
    assert county_list.status_code == 200 == village_list.status_code, county_list.text
    assert counts.as_of is not None and county_list.json()["as_of"] == counts.as_of.isoformat()
    assert (counts.in_cohort, counts.in_village) == (
        county_list.json()["total"],
        village_list.json()["total"],
    )
    assert counts.registered_at_start == web_world.county.children and counts.entrants > 0
    assert counts.in_registry == counts.registered_at_start + counts.entrants > counts.in_cohort > 0

    line = counts.line("桥柏村")
    assert "\n" not in line
    for number in (counts.registered_at_start, counts.entrants, counts.in_registry, counts.in_cohort):
        assert f"{number} " in line
    assert f"{counts.in_village} of them on 桥柏村's list" in line and counts.as_of.isoformat() in line
