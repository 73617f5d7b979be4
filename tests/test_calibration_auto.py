"""Intercept-only calibration and the ``auto`` choice between it and Platt scaling."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tiny_data import tiny_dataset, tiny_train_config

from drugscreen.exceptions import ConfigError
from drugscreen.training.calibration import apply_calibration, fit_calibration
from drugscreen.training.metrics import expected_calibration_error


def _shifted(n: int, seed: int, shift: float = 0.0, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Labels drawn from sigmoid(z) and a model's probability sigmoid(scale * z + shift)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 2.0, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(float)
    return y, 1 / (1 + np.exp(-(scale * z + shift)))


def test_intercept_removes_a_constant_logit_shift_and_keeps_the_slope() -> None:
    y, p = _shifted(4000, 0, shift=1.5)  # what weighting positives by e^1.5 would do
    cal = fit_calibration(y[:, None], p[:, None], np.array([True]), "intercept")
    prm = cal["params"][0]
    assert prm["a"] == 1.0 and prm["b"] == pytest.approx(-1.5, abs=0.15)
    after = apply_calibration(p[:, None], cal)[:, 0]
    assert expected_calibration_error(y, after) < 0.3 * expected_calibration_error(y, p)
    assert np.array_equal(np.argsort(after, kind="stable"), np.argsort(p, kind="stable"))  # ranking kept
    json.dumps(cal, allow_nan=False)


def test_auto_picks_intercept_for_a_shift_and_platt_for_a_wrong_slope() -> None:
    y1, p1 = _shifted(600, 1, shift=1.0)  # only shifted
    y2, p2 = _shifted(600, 2, scale=0.3)  # far too timid: needs its slope
    y = np.stack([y1, y2], axis=1)
    p = np.stack([p1, p2], axis=1)
    cal = fit_calibration(y, p, np.array([True, True]), "auto", groups={"shifted": (0, 1), "timid": (1, 2)})
    assert cal["method"] == "auto" and cal["chosen"] == ["intercept", "platt"]
    assert cal["params"][0]["a"] == 1.0 and cal["params"][1]["a"] > 2.0
    loss = {g: v["cv_log_loss"] for g, v in cal["by_group"].items()}
    assert loss["shifted"]["intercept"] <= loss["shifted"]["platt"] and loss["timid"]["platt"] < loss["timid"]["intercept"]
    assert {g: v["method"] for g, v in cal["by_group"].items()} == {"shifted": "intercept", "timid": "platt"}
    # applied as the fitted maps, task by task
    np.testing.assert_allclose(apply_calibration(p, cal)[:, 0],
                               apply_calibration(p[:, :1], fit_calibration(y[:, :1], p[:, :1], np.array([True]), "intercept"))[:, 0])
    json.dumps(cal, allow_nan=False)


def test_auto_shares_one_choice_per_group_and_skips_rare_tasks_and_regressions() -> None:
    y1, p1 = _shifted(400, 3, shift=-1.0)
    y2, p2 = _shifted(400, 4, shift=-1.0)
    rare = np.zeros(400)
    rare[:2] = 1.0  # two positives: below min_positive, keeps the identity
    reg = np.linspace(0.0, 5.0, 400)
    y = np.stack([y1, y2, rare, reg], axis=1)
    p = np.stack([p1, p2, np.full(400, 0.3), reg], axis=1)
    cal = fit_calibration(y, p, np.array([True, True, True, False]), "auto", groups={"ds": (0, 3), "reg": (3, 4)})
    assert cal["chosen"] == ["intercept", "intercept", None, None]
    assert cal["params"][2] is None and cal["params"][3] is None
    assert set(cal["by_group"]) == {"ds"}
    np.testing.assert_array_equal(apply_calibration(p, cal)[:, 2:], p[:, 2:])


def test_auto_is_deterministic() -> None:
    y, p = _shifted(300, 5, shift=0.5, scale=1.3)
    a = fit_calibration(y[:, None], p[:, None], np.array([True]), "auto")
    b = fit_calibration(y[:, None], p[:, None], np.array([True]), "auto")
    assert a == b


def test_unknown_method_is_refused_with_the_known_ones() -> None:
    from drugscreen.training.config import TrainConfig

    with pytest.raises(ValueError, match="known: platt, intercept"):
        fit_calibration(np.zeros((4, 1)), np.zeros((4, 1)), np.array([True]), "beta")
    with pytest.raises(ConfigError, match="intercept"):
        TrainConfig(dataset=["tox21"], calibration="beta")


def test_training_with_auto_calibration_records_the_choice_on_the_card(tmp_path: Path) -> None:
    from drugscreen.bundle import load_bundle
    from drugscreen.training.data import build_training_data
    from drugscreen.training.trainer import train_on_data

    data = build_training_data([tiny_dataset(96, with_regression=False)], split="random", seed=0,
                               cache_dir=str(tmp_path / "cache"))
    train_on_data(data, tiny_train_config(epochs=3, calibration="auto", name="t"), tmp_path / "out")
    bundle = load_bundle(tmp_path / "out")
    cal = bundle.config["calibration"]
    assert cal["method"] == "auto" and cal["chosen"][0] in ("platt", "intercept")
    # the tiny validation part has too few molecules of a class to compare: intercept, untested
    assert cal["by_group"] == {"tiny": {"method": "intercept", "cv_log_loss": None}}
    assert "tiny intercept only (too few validation molecules of a class to compare)" in bundle.card()
