"""Test-set metrics for benchmark cells, per the MoleculeNet convention.

Classification: ROC-AUC and PRC-AUC (average precision) per task, computed on the molecules
that have a label for that task; the dataset figure is the mean over the tasks whose labels
in the evaluated split contain both classes (tasks with one class are listed, not scored).
Regression: RMSE and MAE per task in the task's units, averaged over tasks.

These are what :mod:`drugscreen.benchmarking` writes into run records; peers (chemprop) are
scored by the same functions on their saved predictions, so every number in
``benchmarks/RESULTS.md`` comes out of one code path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["PRIMARY_METRIC", "classification_metrics", "evaluate", "regression_metrics"]

#: The headline metric of each task type and whether higher is better.
PRIMARY_METRIC: dict[str, tuple[str, bool]] = {
    "classification": ("roc_auc", True),
    "regression": ("rmse", False),
}


def classification_metrics(y_true: np.ndarray, y_score: np.ndarray, tasks: Sequence[str]) -> dict[str, Any]:
    """ROC-AUC and PRC-AUC per task and averaged over tasks with both classes present.

    Parameters
    ----------
    y_true
        ``(n, n_tasks)`` labels 0/1 with NaN for missing.
    y_score
        ``(n, n_tasks)`` scores (probabilities) of the positive class.
    tasks
        Task names, in column order.

    Returns
    -------
    dict
        ``{"roc_auc", "prc_auc", "n_tasks_scored", "skipped_tasks", "per_task"}``; the means are
        ``None`` when no task could be scored.
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    y_true = np.asarray(y_true, dtype=float).reshape(len(y_true), -1)
    y_score = np.asarray(y_score, dtype=float).reshape(len(y_score), -1)
    per_task: dict[str, dict[str, Any]] = {}
    rocs: list[float] = []
    prcs: list[float] = []
    skipped: list[str] = []
    for j, name in enumerate(tasks):
        mask = ~np.isnan(y_true[:, j])
        yt = y_true[mask, j]
        ys = y_score[mask, j]
        n_pos = int((yt == 1).sum())
        if mask.sum() == 0 or n_pos == 0 or n_pos == len(yt):
            skipped.append(name)
            per_task[name] = {"n": int(mask.sum()), "n_pos": n_pos, "roc_auc": None, "prc_auc": None}
            continue
        roc = float(roc_auc_score(yt, ys))
        prc = float(average_precision_score(yt, ys))
        rocs.append(roc)
        prcs.append(prc)
        per_task[name] = {"n": int(mask.sum()), "n_pos": n_pos, "roc_auc": roc, "prc_auc": prc}
    return {
        "roc_auc": float(np.mean(rocs)) if rocs else None,
        "prc_auc": float(np.mean(prcs)) if prcs else None,
        "n_tasks_scored": len(rocs),
        "skipped_tasks": skipped,
        "per_task": per_task,
    }


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray, tasks: Sequence[str]) -> dict[str, Any]:
    """RMSE, MAE and R² per task (labelled molecules only) and averaged over tasks."""
    y_true = np.asarray(y_true, dtype=float).reshape(len(y_true), -1)
    y_pred = np.asarray(y_pred, dtype=float).reshape(len(y_pred), -1)
    per_task: dict[str, dict[str, Any]] = {}
    rmses: list[float] = []
    maes: list[float] = []
    r2s: list[float] = []
    for j, name in enumerate(tasks):
        mask = ~np.isnan(y_true[:, j])
        if mask.sum() == 0:
            per_task[name] = {"n": 0, "rmse": None, "mae": None, "r2": None}
            continue
        err = y_pred[mask, j] - y_true[mask, j]
        rmse = float(np.sqrt(np.mean(err**2)))
        mae = float(np.mean(np.abs(err)))
        var = float(np.var(y_true[mask, j]))
        r2 = float(1.0 - np.mean(err**2) / var) if var > 0 else None
        rmses.append(rmse)
        maes.append(mae)
        if r2 is not None:
            r2s.append(r2)
        per_task[name] = {"n": int(mask.sum()), "rmse": rmse, "mae": mae, "r2": r2}
    return {
        "rmse": float(np.mean(rmses)) if rmses else None,
        "mae": float(np.mean(maes)) if maes else None,
        "r2": float(np.mean(r2s)) if r2s else None,
        "per_task": per_task,
    }


def evaluate(y_true: np.ndarray, y_pred: np.ndarray, task_type: str, tasks: Sequence[str]) -> dict[str, Any]:
    """Dispatch to :func:`classification_metrics` or :func:`regression_metrics`."""
    if task_type == "classification":
        out = classification_metrics(y_true, y_pred, tasks)
    elif task_type == "regression":
        out = regression_metrics(y_true, y_pred, tasks)
    else:  # pragma: no cover - task types come from the dataset registry
        raise ValueError(f"unknown task type {task_type!r}")
    out["n"] = int(len(y_true))
    return out
