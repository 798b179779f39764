"""Probabilities a person can read: no flat top, and what they mean said in Chinese."""

from __future__ import annotations

import numpy as np

from training.model import choose_calibration, fit_calibration, top_decile_resolution
from training.pyfunc import calibrate


def test_calibrated_probabilities_strictly_increase_with_the_margin_in_the_top_decile(trained) -> None:
    margin = trained.test_scores["model"]
    top = np.unique(margin[margin >= np.quantile(margin, 0.9)])
    prob = calibrate(top, trained.parts)
    assert len(top) > 50
    assert np.all(np.diff(prob) > 0), "two children at the top with different margins share a probability"
    assert trained.parts.extra["calibration_method"] in ("platt", "isotonic")


def test_the_isotonic_map_has_a_flat_top_and_is_not_chosen_for_it() -> None:
    rng = np.random.default_rng(0)
    margin = rng.normal(-3, 1, 20_000)
    y = (rng.random(20_000) < 1 / (1 + np.exp(-margin))).astype(float)
    dates = np.repeat(np.arange(4), 5_000)
    assert top_decile_resolution(margin, fit_calibration(margin, y)) < 0.5
    method, table, scores = choose_calibration(margin, y, dates)
    assert method == "platt" and top_decile_resolution(margin, table) == 1.0
    assert scores["calibration_platt_heldout_ece"] < 0.01
