"""ECFP4 random forests blended into a panel's tasks (``TrainConfig.forest``): one forest per
seed and dataset, the members' weight chosen on validation (the largest within one standard
error of the best), and the forests bundled for screening."""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from drugscreen.training.config import TrainConfig
from drugscreen.training.data import TrainingData
from drugscreen.training.metrics import task_metrics, to_units

logger = logging.getLogger(__name__)


@dataclass
class ForestBlend:
    """Forests blended into the members' outputs (see ``TrainConfig.forest``)."""

    weights: np.ndarray  # (n_tasks,) the members' share; 1.0 for tasks without a forest
    member_preds: list[dict[str, np.ndarray]]  # per member: its seed's forest on valid/test, (n, n_tasks), NaN off-forest
    by_dataset: dict[str, float]  # chosen weight per forest dataset
    parts: list[tuple[Any, list[int]]]  # (ForestArrays, task columns) of every seed and dataset


def _fit_forests(data: TrainingData, config: TrainConfig, seed: int) -> tuple[list[tuple[Any, list[int]]], dict[str, np.ndarray]]:
    """Fit one ECFP4 forest per ``config.forest`` dataset on its training molecules: the joint
    (leak-free) training set's, or with ``molecules = "dataset"`` the dataset's whole training
    split (:attr:`TrainingData.left_out` added back).

    Returns the forests as arrays with their task columns, and their predictions on the
    valid and test parts, ``(n, n_tasks)`` with NaN in the other tasks' columns.
    """
    from drugscreen.domain import unpack_bits
    from drugscreen.models import ECFPRandomForest
    from drugscreen.models.forest import ForestArrays

    spec = config.forest or {}
    names = [d.name for d in data.datasets]
    parts: list[tuple[Any, list[int]]] = []
    preds = {p: np.full((len(getattr(data, p)), data.n_tasks), np.nan) for p in ("valid", "test")}
    for name in spec.get("datasets", []):
        k = names.index(name)
        a, b = data.datasets[k].task_slice
        rows = data.train.dataset_index == k
        fps, y = data.train.fps[rows], data.train.y[rows, a:b]
        if spec.get("molecules", "joint") == "dataset" and data.left_out is not None:
            extra = data.left_out.dataset_index == k
            fps = np.concatenate([fps, data.left_out.fps[extra]])
            y = np.concatenate([y, data.left_out.y[extra, a:b]])
        types = ["classification" if c else "regression" for c in data.is_classification[a:b]]
        # a value may be one number or {dataset: number}
        params = {
            key: (spec[key][name] if isinstance(spec[key], dict) else spec[key])
            for key in ("n_estimators", "min_samples_leaf", "max_features")
            if key in spec and (not isinstance(spec[key], dict) or name in spec[key])
        }
        t0 = time.perf_counter()
        rf = ECFPRandomForest(task_types=types, random_state=seed, **params)
        rf.fit(unpack_bits(fps), y)
        arrays = ForestArrays.from_estimator(rf)
        parts.append((arrays, list(range(a, b))))
        for p in preds:
            preds[p][:, a:b] = arrays.predict(np.unpackbits(getattr(data, p).fps, axis=1))
        logger.info("forest %s seed %d: %d molecules, %d trees, %d nodes, %.0f s", name, seed, len(y), len(arrays.roots), len(arrays.feature), time.perf_counter() - t0)
    return parts, preds


#: Bootstrap draws and seed of ``weight_rule = "one_se"``.
_ONE_SE_DRAWS, _ONE_SE_SEED = 200, 0


def _choose_forest_weights(data: TrainingData, config: TrainConfig, member_units: list[np.ndarray], member_forest: list[np.ndarray]) -> dict[str, float]:
    """Per forest dataset, the members' weight ``w`` in ``0, 0.1, ..., 1`` chosen on validation
    (ensemble mean of blended members): the best score, ties to the larger ``w``
    (``weight_rule = "best"``), or the largest ``w`` within one standard error of the best
    (``"one_se"``, :func:`_one_se_weight`)."""
    gnn = np.mean(member_units, axis=0)
    forest = np.mean(member_forest, axis=0)
    names = [d.name for d in data.datasets]
    rule = (config.forest or {}).get("weight_rule", "best")
    chosen: dict[str, float] = {}
    for name in (config.forest or {}).get("datasets", []):
        k = names.index(name)
        a, b = data.datasets[k].task_slice
        rows = data.valid.dataset_index == k
        # classification tasks (ROC-AUC) decide when the dataset has any, else regression (-RMSE)
        cls = data.is_classification[a:b]
        sel = np.arange(a, b)[cls] if cls.any() else np.arange(a, b)
        kind = "classification" if cls.any() else "regression"
        y = data.valid.y[rows][:, sel]
        cols = [data.tasks[t]["column"] for t in sel]
        grid = [float(w) for w in np.round(np.linspace(1.0, 0.0, 11), 1)]
        score = functools.partial(_blend_score, y, gnn[rows][:, sel], forest[rows][:, sel], cols, kind)
        scores = [score(w) for w in grid]
        best_w, best = 1.0, -np.inf
        for w, sc in zip(grid, scores, strict=True):
            if sc > best + 1e-12:
                best_w, best = w, sc
        if rule == "one_se" and best_w < 1.0:
            best_w = _one_se_weight(grid, scores, best_w, score, len(y))
        chosen[name] = best_w
    return chosen


def _blend_score(y: np.ndarray, gnn: np.ndarray, forest: np.ndarray, cols: list[str], kind: str, w: float,
                 idx: np.ndarray | slice = slice(None)) -> float:
    """Validation score (ROC-AUC, or -RMSE) of ``w * gnn + (1 - w) * forest`` on rows ``idx``;
    ``-inf`` when undefined."""
    m = task_metrics(y[idx], w * gnn[idx] + (1 - w) * forest[idx], cols, kind)
    value = m["roc_auc"] if kind == "classification" else -m["rmse"]
    return float(value) if value is not None and np.isfinite(value) else -np.inf


def _one_se_weight(grid: list[float], scores: list[float], best_w: float, score: Any, n: int) -> float:
    """The largest ``w`` of ``grid`` (which runs from 1 down) whose validation score is below
    the best one (at ``best_w``) by at most one standard error of that difference: the standard
    deviation of the paired difference over bootstrap resamples of the ``n`` validation molecules
    (:data:`_ONE_SE_DRAWS` draws, seed :data:`_ONE_SE_SEED`; draws where a score is undefined, e.g.
    a task with one class, are skipped)."""
    rng = np.random.default_rng(_ONE_SE_SEED)
    draws = [rng.integers(0, n, n) for _ in range(_ONE_SE_DRAWS)]
    best_idx = grid.index(best_w)
    best_draws = [score(best_w, idx) for idx in draws]
    for w, sc in zip(grid, scores, strict=True):
        if w <= best_w:
            break
        if not np.isfinite(sc):
            continue
        diffs = [b - score(w, idx) for b, idx in zip(best_draws, draws, strict=True)]
        diffs = [d for d in diffs if np.isfinite(d)]
        if len(diffs) >= 2 and scores[best_idx] - sc <= float(np.std(diffs, ddof=1)):
            return w
    return best_w


def _forest_blend(
    data: TrainingData, config: TrainConfig, raws_by_seed: dict[int, dict[str, list[np.ndarray]]], mean: np.ndarray, std: np.ndarray,
) -> ForestBlend:
    """Fit every seed's forests, choose the blend weights on validation (all members)."""
    is_cls = data.is_classification
    parts: list[tuple[Any, list[int]]] = []
    member_preds: list[dict[str, np.ndarray]] = []
    units_valid: list[np.ndarray] = []
    for seed in config.seeds:
        seed_parts, preds = _fit_forests(data, config, seed)
        parts += seed_parts
        for r in raws_by_seed[seed]["valid"]:
            member_preds.append(preds)
            units_valid.append(to_units(r, is_cls, mean, std))
    by_dataset = _choose_forest_weights(data, config, units_valid, [m["valid"] for m in member_preds])
    weights = np.ones(data.n_tasks)
    names = [d.name for d in data.datasets]
    for name, w in by_dataset.items():
        a, b = data.datasets[names.index(name)].task_slice
        weights[a:b] = w
    logger.info("forest blend weights (members' share): %s", by_dataset)
    return ForestBlend(weights, member_preds, by_dataset, parts)


def _bundle_forest(data: TrainingData, config: TrainConfig, blend: ForestBlend) -> tuple[Any, dict[str, Any]]:
    """All seeds' forests as one :class:`~drugscreen.models.forest.ForestArrays` over the forest
    tasks (a task's trees pooled over seeds = the mean of the seeds' forests) and its config."""
    from drugscreen.models.forest import ForestArrays

    # a dataset whose chosen weight is 1.0 does not use its forest: it is not stored
    parts = [(f, cols) for f, cols in blend.parts if blend.weights[cols[0]] < 1.0]
    covered = sorted({c for _, cols in parts for c in cols})
    where = {c: i for i, c in enumerate(covered)}
    forest = ForestArrays.combine([(f, [where[c] for c in cols]) for f, cols in parts], n_tasks=len(covered))
    spec = {
        "tasks": covered,
        "weights": [float(blend.weights[c]) for c in covered],
        "weights_by_dataset": blend.by_dataset,
        "params": dict(config.forest or {}),
        "seeds": list(config.seeds),
        "selection": "members' weight w per dataset from 0, 0.1, ..., 1 by the validation metric of the "
                     "ensemble mean" + (", the largest w within one standard error (paired bootstrap) of the best"
                                        if (config.forest or {}).get("weight_rule", "best") == "one_se" else "")
                     + "; value = w * member + (1 - w) * forest, then calibration",
    }
    return forest, spec
