"""The ECFP4 + random-forest baseline of the benchmark (MoleculeNet's strongest classical one).

Features: 2048-bit Morgan fingerprints of radius 2 (ECFP4) from RDKit's
``rdFingerprintGenerator``, computed once per dataset on the standardized SMILES. Model:
scikit-learn's ``RandomForestClassifier`` (``class_weight="balanced"``, as in MoleculeNet) or
``RandomForestRegressor``; ``max_features`` "sqrt" for classification (scikit-learn's default)
and 0.33 for regression (Breiman's p/3; scikit-learn's all-features default is several times
slower on 2048 bits).

Multitask sets get one forest per task (as MoleculeNet's ``SingletaskToMultitask`` random
forest), each fitted on the molecules that task labels — never on imputed labels. A task whose
training labels hold a single class predicts that class's frequency.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

__all__ = ["RF_DEFAULTS", "ecfp4", "fit_predict_rf", "fit_predict_train_mean"]

#: Parameters of the baseline unless the config overrides them.
RF_DEFAULTS: dict[str, Any] = {
    "n_estimators": 500,
    "max_features": None,  # None: "sqrt" (classifier, scikit-learn's default) / 0.33 (regressor, p/3)
    "min_samples_leaf": 1,
    "radius": 2,
    "n_bits": 2048,
}


def ecfp4(smiles: list[str], radius: int = 2, n_bits: int = 2048) -> np.ndarray:
    """Morgan bit fingerprints as a ``(n, n_bits)`` uint8 matrix (all-zero row if unparsable)."""
    from rdkit import Chem, rdBase
    from rdkit.Chem import rdFingerprintGenerator

    gen = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    out = np.zeros((len(smiles), n_bits), dtype=np.uint8)
    with rdBase.BlockLogs():
        for i, smi in enumerate(smiles):
            mol = Chem.MolFromSmiles(smi)
            if mol is not None:
                out[i] = gen.GetFingerprintAsNumPy(mol)
    return out


@dataclass
class FitResult:
    """Predictions of one fitted model on the valid and test molecules, with timings."""

    valid: np.ndarray
    test: np.ndarray
    train_s: float
    predict_s: float
    featurize_s: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _forest(task_type: str, params: dict[str, Any], seed: int, n_jobs: int) -> Any:
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    kw = {
        "n_estimators": int(params["n_estimators"]),
        "max_features": params["max_features"],
        "min_samples_leaf": int(params["min_samples_leaf"]),
        "n_jobs": n_jobs,
        "random_state": seed,
    }
    if task_type == "classification":
        return RandomForestClassifier(class_weight="balanced", **kw)
    return RandomForestRegressor(**kw)


def _positive_proba(model: Any, X: np.ndarray) -> np.ndarray:
    """P(class 1) from a fitted single-output classifier."""
    proba = model.predict_proba(X)
    classes = list(model.classes_)
    return proba[:, classes.index(1.0)] if 1.0 in classes else np.zeros(len(X))


def fit_predict_rf(
    smiles: list[str],
    y: np.ndarray,
    task_type: str,
    train: np.ndarray,
    valid: np.ndarray,
    test: np.ndarray,
    *,
    seed: int = 0,
    params: dict[str, Any] | None = None,
    n_jobs: int = 1,
) -> FitResult:
    """Fit the ECFP4 random forest on ``train`` and predict ``valid`` and ``test``.

    Parameters
    ----------
    smiles
        SMILES of all molecules of the dataset (standardized).
    y
        ``(n, n_tasks)`` labels with NaN for missing.
    task_type
        ``"classification"`` (predictions are P(active)) or ``"regression"``.
    train, valid, test
        Index arrays into ``smiles``/``y``.
    seed
        ``random_state`` of the forest(s).
    params
        Overrides of :data:`RF_DEFAULTS`.
    n_jobs
        Threads of scikit-learn.

    Returns
    -------
    FitResult
    """
    p = {**RF_DEFAULTS, **(params or {})}
    unknown = sorted(set(p) - set(RF_DEFAULTS))
    if unknown:
        from drugscreen.exceptions import ConfigError

        raise ConfigError(f"unknown rf parameter(s) {unknown}; allowed: {sorted(RF_DEFAULTS)}")
    if p["max_features"] is None:
        p["max_features"] = "sqrt" if task_type == "classification" else 0.33
    t0 = time.perf_counter()
    X = ecfp4(smiles, radius=int(p["radius"]), n_bits=int(p["n_bits"]))
    featurize_s = time.perf_counter() - t0
    y = np.asarray(y, dtype=float).reshape(len(y), -1)
    n_tasks = y.shape[1]
    Xtr, ytr = X[train], y[train]
    notes: list[str] = []
    complete = n_tasks == 1 and not np.isnan(ytr).any()

    t0 = time.perf_counter()
    models: list[Any] = []
    if complete:
        model = _forest(task_type, p, seed, n_jobs)
        model.fit(Xtr, ytr[:, 0])
        models.append(model)
        mode = "single forest"
    else:
        mode = "one forest per task on its labelled molecules"
        for j in range(n_tasks):
            mask = ~np.isnan(ytr[:, j])
            yj = ytr[mask, j]
            if task_type == "classification" and len(np.unique(yj)) < 2:
                models.append(float(yj.mean()) if len(yj) else 0.0)
                continue
            if mask.sum() == 0:
                models.append(0.0)
                continue
            model = _forest(task_type, p, seed, n_jobs)
            model.fit(Xtr[mask], yj)
            models.append(model)
        n_const = sum(isinstance(m, float) for m in models)
        if n_const:
            notes.append(f"{n_const} task(s) had one class (or none) in training; predicted their base rate")
    train_s = time.perf_counter() - t0

    def predict(idx: np.ndarray) -> np.ndarray:
        Xs = X[idx]
        if complete:
            model = models[0]
            if task_type == "regression":
                return model.predict(Xs).reshape(len(idx), 1)
            return _positive_proba(model, Xs).reshape(-1, 1)
        out = np.zeros((len(idx), n_tasks))
        for j, model in enumerate(models):
            if isinstance(model, float):
                out[:, j] = model
            elif task_type == "regression":
                out[:, j] = model.predict(Xs)
            else:
                out[:, j] = _positive_proba(model, Xs)
        return out

    t0 = time.perf_counter()
    pred_valid = predict(valid)
    pred_test = predict(test)
    predict_s = time.perf_counter() - t0
    logger.debug("rf: %s, train %.1fs, predict %.1fs", mode, train_s, predict_s)
    return FitResult(
        valid=pred_valid,
        test=pred_test,
        train_s=train_s,
        predict_s=predict_s,
        featurize_s=featurize_s,
        params={**p, "mode": mode, "class_weight": "balanced" if task_type == "classification" else None},
        notes=notes,
    )


def fit_predict_train_mean(y: np.ndarray, train: np.ndarray, valid: np.ndarray, test: np.ndarray) -> FitResult:
    """The no-skill reference: predict each task's training mean (regression: RMSE of "knowing
    nothing"; classification: the positive rate, ROC-AUC 0.5). Puts a split's shift in context."""
    y = np.asarray(y, dtype=float).reshape(len(y), -1)
    t0 = time.perf_counter()
    mean = np.nan_to_num(np.nanmean(y[train], axis=0))
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pv = np.tile(mean, (len(valid), 1))
    pt = np.tile(mean, (len(test), 1))
    return FitResult(valid=pv, test=pt, train_s=train_s, predict_s=time.perf_counter() - t0,
                     params={"predictor": "per-task mean of the training labels"})
