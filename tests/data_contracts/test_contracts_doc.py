"""docs/contracts.md is what the generator makes from the models, so it is never edited by hand."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from data_contracts.county_docs import render_county_page
from data_contracts.docs import render_contracts
from data_contracts.feeds import FEEDS
from shouhu.cli import app

PAGE = Path(__file__).resolve().parents[2] / "docs" / "contracts.md"


def test_the_committed_contract_page_is_exactly_what_the_generator_produces() -> None:
    assert PAGE.read_text(encoding="utf-8") == render_contracts(), "run `shouhu contracts-doc` and commit"


def test_the_page_documents_every_feed_column_vocabulary_and_privacy_rule() -> None:
    page = render_contracts()
    for feed in FEEDS.values():
        assert f"## `{feed.name}` — {feed.title} (v{feed.version})" in page
        for name, column in feed.schema.columns.items():
            assert f"| `{name}` | {column.title} |" in page
    assert "`both_away` 父母双方外出" in page
    assert "PII (phone): → `phone_hash` (HMAC), original in identity table" in page
    assert "pseudonymized → `child_key`" in page


def test_contracts_doc_command_writes_the_page_where_asked(tmp_path: Path) -> None:
    out = tmp_path / "contracts.md"
    county = tmp_path / "county-data.md"
    result = CliRunner().invoke(app, ["contracts-doc", "--out", str(out), "--county-out", str(county)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == render_contracts()
    assert county.read_text(encoding="utf-8") == render_county_page()
