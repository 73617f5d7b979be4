"""Evaluation metrics (from :mod:`sklearn.metrics`) for sparse multitask predictions.

Classification: ROC-AUC and PRC-AUC (average precision) per task, averaged over the tasks
that have both classes among their labelled molecules. Regression: RMSE, MAE and R² in the
task's units, averaged over tasks. ECE: expected calibration error with equal-width bins.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["classification_metrics", "expected_calibration_error", "regression_metrics", "task_metrics", "to_units"]


def _nanmean(values: list[float]) -> float:
    vals = [v for v in values if v is not None and not math.isnan(v)]
    return float(np.mean(vals)) if vals else float("nan")


def expected_calibration_error(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> float:
    """ECE: mean |accuracy - confidence| over equal-width probability bins, weighted by count.

    Here "confidence" is the predicted probability of the positive class and "accuracy" the
    observed positive rate in the bin (the reliability-diagram definition for binary tasks).
    """
    ok = ~np.isnan(y)
    y, p = y[ok], p[ok]
    if len(y) == 0:
        return float("nan")
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        sel = bins == b
        if sel.any():
            ece += sel.mean() * abs(y[sel].mean() - p[sel].mean())
    return float(ece)


def classification_metrics(y: np.ndarray, p: np.ndarray, names: Sequence[str]) -> dict[str, Any]:
    """ROC-AUC / PRC-AUC / ECE per task and averaged (tasks lacking a class are skipped)."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    per_task: dict[str, dict[str, float]] = {}
    for t, name in enumerate(names):
        ok = ~np.isnan(y[:, t])
        yt, pt = y[ok, t], p[ok, t]
        entry: dict[str, float] = {"n": int(ok.sum()), "n_pos": int((yt > 0.5).sum())}
        if len(np.unique(yt)) == 2 and not np.isnan(pt).any():
            entry["roc_auc"] = float(roc_auc_score(yt, pt))
            entry["prc_auc"] = float(average_precision_score(yt, pt))
            entry["ece"] = expected_calibration_error(yt, pt)
        per_task[name] = entry
    return {
        "roc_auc": _nanmean([e.get("roc_auc", float("nan")) for e in per_task.values()]),
        "prc_auc": _nanmean([e.get("prc_auc", float("nan")) for e in per_task.values()]),
        "ece": _nanmean([e.get("ece", float("nan")) for e in per_task.values()]),
        "per_task": per_task,
    }


def regression_metrics(y: np.ndarray, p: np.ndarray, names: Sequence[str]) -> dict[str, Any]:
    """RMSE / MAE / R² per task (in the task's units) and averaged."""
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    per_task: dict[str, dict[str, float]] = {}
    for t, name in enumerate(names):
        ok = ~np.isnan(y[:, t])
        entry: dict[str, float] = {"n": int(ok.sum())}
        if ok.sum() >= 2:
            entry["rmse"] = float(math.sqrt(mean_squared_error(y[ok, t], p[ok, t])))
            entry["mae"] = float(mean_absolute_error(y[ok, t], p[ok, t]))
            entry["r2"] = float(r2_score(y[ok, t], p[ok, t]))
        per_task[name] = entry
    return {
        "rmse": _nanmean([e.get("rmse", float("nan")) for e in per_task.values()]),
        "mae": _nanmean([e.get("mae", float("nan")) for e in per_task.values()]),
        "r2": _nanmean([e.get("r2", float("nan")) for e in per_task.values()]),
        "per_task": per_task,
    }


def task_metrics(y: np.ndarray, p: np.ndarray, names: Sequence[str], task_type: str) -> dict[str, Any]:
    """:func:`classification_metrics` or :func:`regression_metrics` by ``task_type``."""
    if task_type == "classification":
        return classification_metrics(y, p, names)
    return regression_metrics(y, p, names)


def to_units(raw: np.ndarray, is_cls: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """A network's raw outputs in the tasks' units: probabilities (sigmoid of the logit) for the
    classification columns ``is_cls``, regression outputs scaled back with the training ``mean``
    and ``std``. Works on any leading shape (the last axis is the task)."""
    out = raw.copy()
    out[..., is_cls] = 1.0 / (1.0 + np.exp(-raw[..., is_cls]))
    out[..., ~is_cls] = raw[..., ~is_cls] * std[~is_cls] + mean[~is_cls]
    return out
