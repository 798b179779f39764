"""docs/county-data.md is generated from the contracts and the declared headers, never edited by hand."""

from __future__ import annotations

from pathlib import Path

from data_contracts.county_docs import render_county_page
from data_contracts.feeds import FEEDS
from data_contracts.headers import builtin_declarations, declared_headers

PAGE = Path(__file__).resolve().parents[2] / "docs" / "county-data.md"


def test_the_committed_county_page_is_exactly_what_the_generator_produces() -> None:
    assert PAGE.read_text(encoding="utf-8") == render_county_page(), "run `shouhu contracts-doc` and commit"


def test_the_page_lists_every_feed_where_it_comes_from_and_every_declared_header() -> None:
    page = render_county_page()
    _, per_feed = builtin_declarations()
    sections = page.split("\n### ")
    for name, feed in FEEDS.items():
        assert per_feed[name].exported_from and per_feed[name].exported_from in page
        (section,) = [s for s in sections if s.startswith(f"`{name}` {feed.title}\n")]
        rows = {
            line.split(" | ")[0].strip("| `"): line for line in section.splitlines() if line.startswith("| `")
        }
        columns, left_out = declared_headers(feed)
        for column, spelled in columns.items():
            assert all(h in rows[column] for h in spelled), (name, column)
        assert all(h in section for h in left_out)
    assert "表头对照.yaml" in page and "--allow-mixed" in page and "--headers" in page
