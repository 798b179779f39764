"""Scores for everyone, explanations for the listed (training.listed): the children on a township list get
the very reasons that explaining everyone gives them, the rest are scored alike and left unexplained."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shouhu_core.list_order import list_ranks
from training.listed import Listing
from training.workflow import score


def _cohort(county: pd.DataFrame) -> pd.DataFrame:
    return county[county["as_of"] == county["as_of"].max()].reset_index(drop=True)


def test_listed_children_get_the_explanations_of_explaining_everyone(county, champion) -> None:
    frame = _cohort(county)
    everyone = score(frame, champion, "7")
    listed = score(frame, champion, "7", listing=Listing("township", 10))

    assert list(listed["child_key"]) == list(everyone["child_key"])
    for c in ("probability", "percentile", "margin"):
        np.testing.assert_allclose(listed[c].to_numpy(), everyone[c].to_numpy(), rtol=1e-9, atol=1e-12)
    assert (listed["band"].astype(str) == everyone["band"].astype(str)).all()
    # the listed are the lists' tops in the one list order (on everyone's margins), plus the rule-flagged
    ranked = everyone.assign(rule_flags=everyone["rule_flags"].fillna(""))
    on_list = list_ranks(ranked, "township", 10)["selected"].to_numpy()
    flagged = (ranked["rule_flags"] != "").to_numpy()
    mask = listed["listed"].to_numpy()
    assert (mask == (on_list | flagged)).all()
    assert 0 < mask.sum() < len(frame) / 2
    for c in ("reasons", "protective_reasons"):
        assert (listed.loc[mask, c] == everyone.loc[mask, c]).all()
        assert listed.loc[~mask, c].isna().all()
    assert (listed["rank_in_village"] == everyone["rank_in_village"]).all()


def test_rule_flagged_children_are_explained_beyond_the_list_capacity(county, champion) -> None:
    frame = _cohort(county)
    listed = score(frame, champion, "7", listing=Listing("township", 1))
    flagged = listed["rule_flags"].fillna("") != ""
    lists = listed["township_code"].nunique()
    assert flagged.sum() > lists  # more flagged children than places on the lists
    assert listed.loc[flagged, "listed"].all() and listed.loc[flagged, "reasons"].notna().all()
    # each township's one place goes to a flagged child where it has one, else to its highest score
    without_flags = lists - listed.loc[flagged, "township_code"].nunique()
    assert listed["listed"].sum() == flagged.sum() + without_flags
