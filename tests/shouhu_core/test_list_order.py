"""The one list order: flags first, then score, then child_key; per area and date; capacity in 3 forms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shouhu_core.list_order import area_code, list_ranks, order_lists

V1, V2 = "529901100201", "529901100202"  # two villages of township 529901100000
V3 = "529901200201"  # a village of another township


def frame(rows: list[tuple[str, str, float, str]], as_of: str = "2024-06-01") -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["child_key", "village_code", "margin", "rule_flags"]).assign(
        as_of=pd.Timestamp(as_of)
    )


def test_a_rule_flagged_child_comes_first_whatever_the_score() -> None:
    scored = frame([("a", V1, 3.0, ""), ("b", V1, -5.0, "living_alone"), ("c", V1, 1.0, "")])
    shipped = order_lists(scored)
    assert shipped["child_key"].tolist() == ["b", "a", "c"]
    assert shipped["list_rank"].tolist() == [1, 2, 3]


def test_flagged_children_are_ordered_by_score_among_themselves() -> None:
    scored = frame([("a", V1, 0.5, "missing"), ("b", V1, 2.0, "living_alone"), ("c", V1, 9.0, "")])
    assert order_lists(scored)["child_key"].tolist() == ["b", "a", "c"]


def test_ties_are_broken_by_child_key_ascending_whatever_the_row_order() -> None:
    rows = [("k3", V1, 1.0, ""), ("k1", V1, 1.0, ""), ("k2", V1, 1.0, "")]
    assert order_lists(frame(rows))["child_key"].tolist() == ["k1", "k2", "k3"]
    assert order_lists(frame(rows[::-1]))["child_key"].tolist() == ["k1", "k2", "k3"]


def test_a_missing_score_goes_last() -> None:
    scored = frame([("a", V1, np.nan, ""), ("b", V1, -9.0, "")])
    assert order_lists(scored)["child_key"].tolist() == ["b", "a"]


def test_each_village_is_its_own_list_and_a_township_list_spans_its_villages() -> None:
    scored = frame([("a", V1, 1.0, ""), ("b", V2, 2.0, ""), ("c", V1, 3.0, ""), ("d", V3, 0.0, "")])
    village = list_ranks(scored, "village")
    assert dict(zip(scored["child_key"], village["list_rank"], strict=True)) == {
        "a": 2,
        "b": 1,
        "c": 1,
        "d": 1,
    }
    township = list_ranks(scored, "township")
    assert dict(zip(scored["child_key"], township["list_rank"], strict=True)) == {
        "a": 3,
        "b": 2,
        "c": 1,
        "d": 1,
    }
    assert set(township["list_code"]) == {"529901100000", "529901200000"}
    county = list_ranks(scored, "county")
    assert county["list_rank"].tolist() == [3, 2, 1, 4]
    assert set(county["list_code"]) == {"529901000000"}


def test_each_as_of_date_is_its_own_list() -> None:
    scored = pd.concat(
        [
            frame([("a", V1, 1.0, ""), ("b", V1, 2.0, "")], "2024-06-01"),
            frame([("a", V1, 5.0, "")], "2024-07-01"),
        ],
        ignore_index=True,
    )
    assert list_ranks(scored)["list_rank"].tolist() == [2, 1, 1]


def test_capacity_as_a_count_selects_that_many_per_list() -> None:
    scored = frame([(f"k{i}", V1 if i < 5 else V2, float(i), "") for i in range(8)])
    ranks = list_ranks(scored, "village", 2)
    assert sorted(scored.loc[ranks["selected"], "child_key"]) == ["k3", "k4", "k6", "k7"]


def test_capacity_as_a_share_grows_with_the_list_and_rounds_up() -> None:
    scored = frame([(f"k{i}", V1 if i < 10 else V2, float(i), "") for i in range(13)])
    ranks = list_ranks(scored, "village", 0.1)
    # 10 children → 1 visit; 3 children → ceil(0.3) = 1 visit
    assert sorted(scored.loc[ranks["selected"], "child_key"]) == ["k12", "k9"]
    township = list_ranks(scored, "township", 0.2)
    assert int(township["selected"].sum()) == 3  # ceil(0.2 × 13)


def test_capacity_per_area_code() -> None:
    scored = frame([("a", V1, 1.0, ""), ("b", V1, 2.0, ""), ("c", V2, 3.0, "")])
    ranks = list_ranks(scored, "village", {V1: 1})
    assert scored.loc[ranks["selected"], "child_key"].tolist() == ["b"]  # V2 has no capacity given: none


def test_a_flagged_child_takes_a_place_within_capacity() -> None:
    scored = frame([("a", V1, 5.0, ""), ("b", V1, 4.0, ""), ("c", V1, -1.0, "lost_contact_both")])
    ranks = list_ranks(scored, "village", 2)
    assert scored.loc[ranks["selected"], "child_key"].tolist() == ["a", "c"]


def test_scores_can_be_given_as_an_array_for_a_baseline() -> None:
    scored = frame([("a", V1, 5.0, ""), ("b", V1, 4.0, "")])
    ranks = list_ranks(scored, score=np.array([0.0, 1.0]))
    assert ranks["list_rank"].tolist() == [2, 1]


def test_bad_inputs_are_refused_with_a_clear_message() -> None:
    scored = frame([("a", V1, 5.0, "")])
    with pytest.raises(ValueError, match="rule_flags"):
        list_ranks(scored.drop(columns="rule_flags"))
    with pytest.raises(ValueError, match="scope"):
        list_ranks(scored, "province")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="capacity"):
        list_ranks(scored, capacity=-1)
    with pytest.raises(ValueError, match="share"):
        list_ranks(scored, capacity=2.5)


def test_an_empty_frame_gives_empty_ranks() -> None:
    ranks = list_ranks(frame([]))
    assert ranks.empty and list(ranks.columns) == ["list_code", "list_rank", "selected"]


def test_area_codes_follow_the_12_digit_prefixes() -> None:
    codes = pd.Series([V1])
    assert area_code(codes, "township").tolist() == ["529901100000"]
    assert area_code(codes, "county").tolist() == ["529901000000"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([V1, V2, V3]),
            st.one_of(st.floats(-5, 5, allow_nan=False), st.just(float("nan"))),
            st.sampled_from(["", "", "", "missing"]),
        ),
        min_size=1,
        max_size=40,
    ),
    st.integers(0, 5),
)
def test_the_order_is_a_pure_function_of_the_rows_not_their_order(rows: list, k: int) -> None:
    scored = frame([(f"c{i:03d}", v, m, f) for i, (v, m, f) in enumerate(rows)])
    shuffled = scored.sample(frac=1.0, random_state=1)
    a = order_lists(scored, "township", k)
    b = order_lists(shuffled, "township", k)
    pd.testing.assert_frame_equal(a, b)
    # within every list: flags never below an unflagged child, capacity respected, ranks 1..n
    for _, one in a.groupby("list_code"):
        flags = one["rule_flags"] != ""
        assert flags.is_monotonic_decreasing  # every flagged child before every other
        assert one["list_rank"].tolist() == list(range(1, len(one) + 1))
        assert int(one["selected"].sum()) == min(k, len(one))


def test_lists_of_several_dates_and_areas_are_numbered_as_a_multiindex_would_number_them() -> None:
    from shouhu_core.list_order import _group_ids

    rng = np.random.default_rng(3)
    days = pd.Series(pd.to_datetime(rng.choice(["2024-01-01", "2024-02-01", "2024-03-01"], 500)))
    areas = pd.Series(rng.choice(["A", "B", "C", None], 500), dtype="object")
    expected = pd.MultiIndex.from_arrays([days, areas]).factorize()[0]
    np.testing.assert_array_equal(_group_ids([days, areas]), expected)
