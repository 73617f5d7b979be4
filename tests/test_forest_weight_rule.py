"""The forest blend weight: ``weight_rule = "one_se"`` lets the forest in only as far as
validation can tell it helps."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from drugscreen.exceptions import ConfigError
from drugscreen.training.config import TrainConfig
from drugscreen.training.forest_blend import _blend_score, _one_se_weight

GRID = [float(w) for w in np.round(np.linspace(1.0, 0.0, 11), 1)]


def _choose(y: np.ndarray, gnn: np.ndarray, forest: np.ndarray) -> tuple[float, float]:
    """(best w, one_se w) for one classification task."""
    score = functools.partial(_blend_score, y[:, None], gnn[:, None], forest[:, None], ["t"], "classification")
    scores = [score(w) for w in GRID]
    best_w = GRID[int(np.argmax(scores))]  # first maximum: ties to the larger w, as the trainer does
    return best_w, _one_se_weight(GRID, scores, best_w, score, len(y))


def test_a_lead_within_the_noise_keeps_the_members() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200).astype(float)
    gnn = y * 1.0 + rng.normal(0, 1.0, 200)
    forest = y * 1.05 + rng.normal(0, 1.0, 200)  # a hair better: the best score leans on it
    best_w, one_se_w = _choose(y, gnn, forest)
    assert best_w < 1.0
    assert one_se_w > best_w


def test_a_clearly_better_forest_is_still_taken() -> None:
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 400).astype(float)
    gnn = rng.normal(0, 1.0, 400)  # no signal
    forest = y * 2.0 + rng.normal(0, 1.0, 400)
    best_w, one_se_w = _choose(y, gnn, forest)
    assert best_w <= 0.2 and one_se_w <= 0.3


def test_weight_rule_is_checked() -> None:
    assert TrainConfig(dataset=["bbbp"], model="gine", forest={"datasets": ["bbbp"], "weight_rule": "one_se"}).forest
    with pytest.raises(ConfigError, match="weight_rule"):
        TrainConfig(dataset=["bbbp"], model="gine", forest={"datasets": ["bbbp"], "weight_rule": "1se"})
