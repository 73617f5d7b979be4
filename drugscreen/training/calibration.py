"""Probability calibration fitted on validation predictions, stored as JSON parameters.

One calibrator per classification task, mapping the ensemble's raw probability to a
calibrated one:

- ``platt``: ``sigmoid(a * logit(p) + b)`` (logistic regression on the logit);
- ``temperature``: ``sigmoid(logit(p) / T)`` (``a = 1/T``, ``b = 0``);
- ``isotonic``: a monotone step function (scikit-learn's ``IsotonicRegression``), stored as
  its breakpoints and applied with linear interpolation.

A task whose validation labels lack a class (or have fewer than ``min_positive``
positives) keeps the identity map. Fitting on the validation split only keeps the test
split untouched for reporting.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["apply_calibration", "fit_calibration"]

_EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _fit_one(y: np.ndarray, p: np.ndarray, method: str) -> dict[str, Any] | None:
    if method == "platt":
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression(C=1e4, max_iter=1000)
        lr.fit(_logit(p)[:, None], y.astype(int))
        a, b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        if a <= 0:  # a non-increasing map would destroy the ranking; keep the identity
            return None
        return {"a": a, "b": b}
    if method == "temperature":
        from scipy.optimize import minimize_scalar

        z = _logit(p)

        def nll(log_a: float) -> float:
            q = np.clip(_sigmoid(np.exp(log_a) * z), _EPS, 1 - _EPS)
            return float(-(y * np.log(q) + (1 - y) * np.log(1 - q)).mean())

        res = minimize_scalar(nll, bounds=(-4.0, 4.0), method="bounded")
        return {"a": float(np.exp(res.x)), "b": 0.0}
    if method == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        iso.fit(p, y)
        return {"x": [float(v) for v in iso.X_thresholds_], "y": [float(v) for v in iso.y_thresholds_]}
    raise ValueError(f"unknown calibration method {method!r}")


def fit_calibration(
    y: np.ndarray, p: np.ndarray, is_classification: np.ndarray, method: str = "platt", min_positive: int = 3
) -> dict[str, Any]:
    """Fit one calibrator per classification task on validation labels and probabilities.

    Returns
    -------
    dict
        ``{"method": method, "params": [per-task dict or None]}`` (JSON values).
    """
    params: list[dict[str, Any] | None] = []
    for t in range(y.shape[1]):
        if method == "none" or not is_classification[t]:
            params.append(None)
            continue
        ok = ~np.isnan(y[:, t])
        yt, pt = y[ok, t], p[ok, t]
        n_pos = int((yt > 0.5).sum())
        if n_pos < min_positive or len(yt) - n_pos < min_positive:
            params.append(None)
            continue
        params.append(_fit_one(yt, pt, method))
    return {"method": method, "params": params}


def apply_calibration(p: np.ndarray, calibration: dict[str, Any] | None) -> np.ndarray:
    """Apply :func:`fit_calibration`'s result to probabilities ``(n, n_tasks)`` (a new array)."""
    out = np.array(p, dtype=np.float64, copy=True)
    if not calibration or calibration.get("method") in (None, "none"):
        return out
    method = calibration["method"]
    for t, prm in enumerate(calibration["params"]):
        if prm is None:
            continue
        if method in ("platt", "temperature"):
            out[:, t] = _sigmoid(prm["a"] * _logit(out[:, t]) + prm["b"])
        elif method == "isotonic":
            out[:, t] = np.interp(out[:, t], prm["x"], prm["y"])
    return out
