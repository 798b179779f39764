"""`shouhu audit` on a file small enough to check by hand."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from shouhu.cli import app

# group, outcome, score. The top 4 scores are 0.9 (A, 1), 0.85 (B, 1), 0.8 (A, 0), 0.7 (B, 0).
ROWS = [
    ("A", 1, 0.9),
    ("A", 0, 0.8),
    ("A", 1, 0.3),
    ("A", 0, 0.2),
    ("A", 0, 0.1),
    ("A", 1, 0.05),
    ("B", 1, 0.85),
    ("B", 0, 0.7),
    ("B", 0, 0.6),
    ("B", 1, 0.15),
]
# By hand: A has 6 rows, 3 outcomes, 2 selected (1 right); B has 4 rows, 2 outcomes, 2 selected (1 right).
EXPECTED = {
    "A": {
        "n": 6,
        "base_rate": 1 / 2,
        "selection_rate": 2 / 6,
        "precision": 1 / 2,
        "tpr": 1 / 3,
        "fpr": 1 / 3,
        "fnr": 2 / 3,
    },
    "B": {
        "n": 4,
        "base_rate": 1 / 2,
        "selection_rate": 2 / 4,
        "precision": 1 / 2,
        "tpr": 1 / 2,
        "fpr": 1 / 2,
        "fnr": 1 / 2,
    },
}


@pytest.fixture
def scored(tmp_path: Path) -> Path:
    frame = pd.DataFrame(ROWS, columns=["township", "outcome", "risk"])
    frame["visited"] = (frame["risk"] >= 0.7).map({True: "是", False: "否"})
    path = tmp_path / "scores.csv"
    frame.to_csv(path, index=False, encoding="gb18030")  # a county's own export, in GBK
    return path


def _run(*args: str) -> object:
    return CliRunner().invoke(app, ["audit", *args])


@pytest.mark.parametrize(
    "selection",
    [
        ["--score", "risk", "--top-k", "4"],
        ["--score", "risk", "--top-pct", "40"],
        ["--score", "risk", "--threshold", "0.7"],
        ["--predicted", "visited"],
    ],
)
def test_audit_gives_the_hand_computed_rates(scored: Path, tmp_path: Path, selection: list[str]) -> None:
    out = tmp_path / "audit.csv"
    result = _run(
        "--scores", str(scored), "--label", "outcome", "--group", "township", *selection, "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    assert "| group | reference | n |" in result.output
    table = pd.read_csv(out, encoding="utf-8-sig").set_index("group")
    for group, expected in EXPECTED.items():
        for metric, value in expected.items():
            assert table.loc[group, metric] == pytest.approx(value), (group, metric)
    # ratios against the largest group, A
    assert table.loc["A", "reference"]
    assert table.loc["B", "selection_rate_ratio"] == pytest.approx(1.5)
    assert table.loc["B", "tpr_ratio"] == pytest.approx(1.5)
    assert table.loc["B", "precision_ratio"] == pytest.approx(1.0)
    assert table.loc["B", "fnr_ratio"] == pytest.approx(0.75)
    assert set(table.loc["B", "flagged"].split(";")) == {"selection_rate", "tpr", "fpr", "fnr"}
    assert pd.isna(table.loc["A", "flagged"])


def test_audit_uses_the_reference_group_the_user_names(scored: Path, tmp_path: Path) -> None:
    out = tmp_path / "audit.csv"
    result = _run(
        "--scores",
        str(scored),
        "--label",
        "outcome",
        "--group",
        "township",
        "--score",
        "risk",
        "--top-k",
        "4",
        "--reference",
        "B",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out).set_index("group")
    assert table.loc["A", "tpr_ratio"] == pytest.approx((1 / 3) / (1 / 2))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--label", "nope", "--group", "township", "--score", "risk", "--top-k", "4"], "no column 'nope'"),
        (["--label", "outcome", "--group", "township", "--score", "risk"], "exactly one of"),
        (["--label", "township", "--group", "outcome", "--score", "risk", "--top-k", "2"], "must be 0/1"),
        (
            [
                "--label",
                "outcome",
                "--group",
                "township",
                "--score",
                "risk",
                "--top-k",
                "2",
                "--reference",
                "Z",
            ],
            "reference 'Z'",
        ),
    ],
)
def test_audit_explains_a_bad_request(scored: Path, args: list[str], message: str) -> None:
    result = _run("--scores", str(scored), *args)
    assert result.exit_code == 2
    assert message in result.output


def test_a_shouhu_scores_file_is_audited_on_the_list_as_shipped(tmp_path: Path) -> None:
    """Rule-flagged children come first whatever their score, ties go by child key, one list per as-of
    date: the audit selects what `shouhu_core.list_order` selects, not the raw top scores."""
    from shouhu_core.list_order import list_ranks
    from training.audit import selection

    frame = pd.DataFrame(
        {
            "child_key": ["k5", "k4", "k3", "k2", "k1", "k6"],
            "as_of": ["2024-01-01"] * 3 + ["2024-02-01"] * 3,
            "township_code": ["360321100000"] * 6,
            "rule_flags": ["", "", "living_alone", "", "", ""],
            "probability": [0.9, 0.5, 0.1, 0.4, 0.4, 0.5],
            "outcome": [1, 0, 1, 0, 1, 0],
        }
    )
    picked = selection(frame, "probability", top_k=2)
    # Jan: the flagged k3 then k5 (0.9), not k4 (0.5); Feb: k6 (0.5), the 0.4 tie by child key: k1, not k2
    assert picked.tolist() == [True, False, True, False, True, True]
    shipped = list_ranks(frame, "county", 2, score=frame["probability"].to_numpy())["selected"]
    assert picked.tolist() == shipped.tolist()
