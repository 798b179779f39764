"""The commands as the data team runs them: train from a matrix file, score a cohort, promote, roll back."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from shouhu.cli import app


def test_train_score_promote_and_rollback_from_the_command_line(shouhu_env: Path, county) -> None:
    runner = CliRunner()
    matrix = shouhu_env / "matrix.parquet"
    county.to_parquet(matrix)

    trained = runner.invoke(app, ["train", "--matrix", str(matrix)])
    assert trained.exit_code == 0, trained.output
    assert "precision_at_k" in trained.output and "checklist" in trained.output
    assert "models:/shouhu-risk/1" in trained.output and "champion" in trained.output

    out = shouhu_env / "scores.csv"
    scored = runner.invoke(
        app, ["score", "--as-of", "2023-08-01", "--matrix", str(matrix), "--out", str(out)]
    )
    assert scored.exit_code == 0, scored.output
    frame = pd.read_csv(out, encoding="utf-8-sig")
    cohort = county[county["as_of"] == "2023-08-01"]
    assert len(frame) == len(cohort) and frame["child_key"].is_unique
    assert set(frame["band"]) <= {"red", "orange", "yellow", "green"}
    assert frame["probability"].between(0, 1).all() and frame["percentile"].between(0, 100).all()
    assert all(isinstance(json.loads(r), list) for r in frame["reasons"])
    assert (frame["model_version"] == 1).all()
    # a child with a mandatory-report flag is first in the village, whatever the score
    flagged = frame[frame["rule_flags"].fillna("") != ""]
    assert len(flagged)
    first = frame.sort_values("rank_in_village").groupby("village_code").head(1)
    villages_with_flags = set(flagged["village_code"])
    assert (first[first["village_code"].isin(villages_with_flags)]["rule_flags"].fillna("") != "").all()

    # a province's run: everyone scored, only the children on a township list explained (10 a township here)
    short = shouhu_env / "listed.csv"
    listed = runner.invoke(
        app,
        ["score", "--as-of", "2023-08-01", "--matrix", str(matrix), "--out", str(short), "--explain-listed"],
    )
    assert listed.exit_code == 0, listed.output
    few = pd.read_csv(short, encoding="utf-8-sig")
    assert few["child_key"].tolist() == frame["child_key"].tolist()
    on_list = few["listed"].to_numpy()
    assert f"explained: {on_list.sum():,} children" in listed.output
    assert 3 * 10 <= on_list.sum() < len(few) / 2
    assert (few.loc[on_list, "reasons"] == frame.loc[on_list, "reasons"]).all()
    assert few.loc[~on_list, "reasons"].isna().all()

    again = runner.invoke(app, ["promote"])
    assert again.exit_code == 0 and "already champion" in again.output

    nothing = runner.invoke(app, ["rollback"])
    assert nothing.exit_code == 1 and "no previous champion" in nothing.output


def test_train_explains_a_matrix_too_short_to_split(shouhu_env: Path, factories) -> None:
    matrix = shouhu_env / "short.parquet"
    factories.make_matrix(n_children=50, months=6).to_parquet(matrix)
    result = CliRunner().invoke(app, ["train", "--matrix", str(matrix)])
    assert result.exit_code == 1
    assert "too few" in result.output
