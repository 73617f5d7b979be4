"""Probability calibration fitted on validation predictions, stored as JSON parameters.

One calibrator per classification task, mapping the ensemble's raw probability to a
calibrated one:

- ``platt``: ``sigmoid(a * logit(p) + b)`` (logistic regression on the logit);
- ``intercept``: ``sigmoid(logit(p) + b)``, the offset alone. Weighting the positive class by
  ``w`` in the loss (``pos_weight``) moves the best logit by about ``log w``, a constant: this
  undoes it without reshaping the model's confidence, which a small validation part can
  mislead (a part the model finds easy teaches Platt scaling to sharpen every probability);
- ``temperature``: ``sigmoid(logit(p) / T)`` (``a = 1/T``, ``b = 0``);
- ``isotonic``: a monotone step function (scikit-learn's ``IsotonicRegression``), stored as
  its breakpoints and applied with linear interpolation;
- ``auto``: per group of tasks (a dataset), ``platt`` or ``intercept``, whichever has the lower
  cross-validated log loss on the validation part (5 stratified folds, 3 repeats, fixed
  seeds; ties go to ``intercept``, the one with fewer parameters; a dataset with fewer than 5
  validation molecules of a class in every task gets ``intercept`` untested). The choice and
  both losses are stored with the parameters.

A task whose validation labels lack a class (or have fewer than ``min_positive``
positives) keeps the identity map. Fitting on the validation split only keeps the test
split untouched for reporting.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["CALIBRATION_METHODS", "apply_calibration", "fit_calibration"]

#: Methods :func:`fit_calibration` knows.
CALIBRATION_METHODS = ("platt", "intercept", "isotonic", "temperature", "auto", "none")
#: The candidates ``auto`` chooses between, fewer parameters first (ties go to the first).
_AUTO_CANDIDATES = ("intercept", "platt")
#: Folds, repeats and the fewest validation molecules of each class for ``auto``'s cross-validation.
_AUTO_FOLDS, _AUTO_REPEATS = 5, 3
#: Methods applied as ``sigmoid(a * logit(p) + b)``.
_AFFINE = ("platt", "intercept", "temperature", "auto")

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
    if method == "intercept":
        from scipy.optimize import minimize_scalar

        z = _logit(p)

        def nll_b(b: float) -> float:
            q = np.clip(_sigmoid(z + b), _EPS, 1 - _EPS)
            return float(-(y * np.log(q) + (1 - y) * np.log(1 - q)).mean())

        res = minimize_scalar(nll_b, bounds=(-20.0, 20.0), method="bounded", options={"xatol": 1e-8})
        return {"a": 1.0, "b": float(res.x)}
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


def _map(prm: dict[str, Any] | None, method: str, p: np.ndarray) -> np.ndarray:
    if prm is None:
        return p
    if method in _AFFINE:
        return _sigmoid(prm["a"] * _logit(p) + prm["b"])
    return np.interp(p, prm["x"], prm["y"])


def _task_data(y: np.ndarray, p: np.ndarray, t: int, min_positive: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Task ``t``'s labelled validation values, or None when a class has too few of them."""
    ok = ~np.isnan(y[:, t])
    yt, pt = y[ok, t], p[ok, t]
    n_pos = int((yt > 0.5).sum())
    if n_pos < min_positive or len(yt) - n_pos < min_positive:
        return None
    return yt, pt


def _cv_log_loss(yt: np.ndarray, pt: np.ndarray, method: str) -> float:
    """Summed held-out log loss of ``method`` over repeated stratified folds (mean over repeats)."""
    from sklearn.model_selection import StratifiedKFold

    total = 0.0
    for rep in range(_AUTO_REPEATS):
        folds = StratifiedKFold(_AUTO_FOLDS, shuffle=True, random_state=rep).split(pt, yt.astype(int))
        for tr, te in folds:
            q = np.clip(_map(_fit_one(yt[tr], pt[tr], method), method, pt[te]), _EPS, 1 - _EPS)
            total += float(-(yt[te] * np.log(q) + (1 - yt[te]) * np.log(1 - q)).sum())
    return total / _AUTO_REPEATS


def fit_calibration(
    y: np.ndarray, p: np.ndarray, is_classification: np.ndarray, method: str = "platt", min_positive: int = 3,
    groups: dict[str, tuple[int, int]] | None = None,
) -> dict[str, Any]:
    """Fit one calibrator per classification task on validation labels and probabilities.

    Parameters
    ----------
    y, p
        Validation labels (NaN = missing) and probabilities, ``(n, n_tasks)``.
    is_classification
        Per task: whether it is a classification task (the others keep the identity).
    method
        One of :data:`CALIBRATION_METHODS`.
    min_positive
        A task with fewer validation molecules of either class keeps the identity.
    groups
        For ``auto``: the task slices ``(start, stop)`` that share one choice, by name (the
        datasets); without it each task chooses alone.

    Returns
    -------
    dict
        ``{"method": method, "params": [per-task dict or None]}`` (JSON values); ``auto`` adds
        ``"chosen"`` (per task: the method fitted, or None) and ``"by_group"`` (per group with a
        calibrated task: ``{"method", "cv_log_loss"}``, the losses per candidate summed over the
        group's tasks with at least 5 validation molecules of each class, or None without one).
    """
    if method not in CALIBRATION_METHODS:
        raise ValueError(f"unknown calibration method {method!r}; known: {', '.join(CALIBRATION_METHODS)}")
    n_tasks = y.shape[1]
    if method == "auto":
        return _fit_auto(y, p, is_classification, min_positive, groups or {str(t): (t, t + 1) for t in range(n_tasks)})
    params: list[dict[str, Any] | None] = []
    for t in range(n_tasks):
        got = _task_data(y, p, t, min_positive) if method != "none" and is_classification[t] else None
        params.append(None if got is None else _fit_one(*got, method))
    return {"method": method, "params": params}


def _fit_auto(
    y: np.ndarray, p: np.ndarray, is_classification: np.ndarray, min_positive: int, groups: dict[str, tuple[int, int]]
) -> dict[str, Any]:
    params: list[dict[str, Any] | None] = [None] * y.shape[1]
    chosen: list[str | None] = [None] * y.shape[1]
    by_group: dict[str, dict[str, Any]] = {}
    for name, (a, b) in groups.items():
        tasks = [(t, got) for t in range(a, b) if is_classification[t] and (got := _task_data(y, p, t, min_positive))]
        if not tasks:
            continue
        scored = [got for _, got in tasks if min(int((got[0] > 0.5).sum()), int((got[0] <= 0.5).sum())) >= _AUTO_FOLDS]
        pick, losses = _AUTO_CANDIDATES[0], None
        if scored:
            losses = {m: sum(_cv_log_loss(yt, pt, m) for yt, pt in scored) for m in _AUTO_CANDIDATES}
            pick = min(_AUTO_CANDIDATES, key=lambda m: (losses[m], _AUTO_CANDIDATES.index(m)))
        by_group[name] = {"method": pick, "cv_log_loss": losses}
        for t, got in tasks:
            prm = _fit_one(*got, pick)
            params[t], chosen[t] = prm, (pick if prm is not None else None)
    return {"method": "auto", "params": params, "chosen": chosen, "by_group": by_group}


def apply_calibration(p: np.ndarray, calibration: dict[str, Any] | None) -> np.ndarray:
    """Apply :func:`fit_calibration`'s result to probabilities ``(n, n_tasks)`` (a new array)."""
    out = np.array(p, dtype=np.float64, copy=True)
    if not calibration or calibration.get("method") in (None, "none"):
        return out
    method = calibration["method"]
    for t, prm in enumerate(calibration["params"]):
        out[:, t] = _map(prm, method, out[:, t])
    return out
