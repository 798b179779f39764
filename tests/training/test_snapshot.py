"""The data-snapshot hash logged with every run: the same matrix gives the same hash, any change a new one."""

from __future__ import annotations

from training.data import snapshot_hash


def test_the_snapshot_ignores_row_and_column_order_but_not_a_changed_value(county) -> None:
    frame = county.head(500)
    same = snapshot_hash(frame)
    assert snapshot_hash(frame.sample(frac=1.0, random_state=1)[frame.columns[::-1]]) == same
    changed = frame.copy()
    changed.iloc[7, changed.columns.get_loc("visits_90d")] += 1
    assert snapshot_hash(changed) != same
    assert snapshot_hash(frame.drop(columns="visits_90d")) != same
    assert snapshot_hash(frame.astype({"label": "float64"})) != same
