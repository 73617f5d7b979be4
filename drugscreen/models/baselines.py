"""Fingerprint baselines: an ECFP4 random forest and an ECFP4 multilayer perceptron.

:class:`FingerprintMLP` is a :class:`~drugscreen.models.base.GraphModel` whose only input is
the extra-feature vector (the ECFP4 bits), so the same trainer, bundles and ensembles serve
it. :class:`ECFPRandomForest` is a scikit-learn estimator (one forest per task, each fitted
on the molecules labelled for that task); it is used by benchmarks, not shipped in bundles
(forests cannot be stored without pickles).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from drugscreen.models.base import GraphModel
from drugscreen.models.registry import MODELS

__all__ = ["ECFPRandomForest", "FingerprintMLP"]


@MODELS.register("fp_mlp")
class FingerprintMLP(GraphModel):
    """MLP on a fingerprint (passed as ``extra``); the graph is ignored.

    Parameters
    ----------
    n_tasks
        Number of outputs.
    extra_dim
        Fingerprint length (2048 for the default ECFP4).
    hidden
        Width of the fingerprint projection.
    dropout
        Input and head dropout.
    head_hidden, head_layers, head_groups
        See :class:`~drugscreen.models.base.GraphModel`.
    atom_dim, bond_dim
        Accepted (and ignored) so every model is built the same way.
    """

    name = "fp_mlp"
    uses_graph = False

    def __init__(
        self,
        atom_dim: int = 0,
        bond_dim: int = 0,
        n_tasks: int = 1,
        extra_dim: int = 2048,
        hidden: int = 512,
        dropout: float = 0.2,
        head_hidden: int = 256,
        head_layers: int = 2,
        head_groups: Sequence[int] | None = None,
    ) -> None:
        if extra_dim <= 0:
            raise ValueError("fp_mlp needs extra_dim > 0 (the fingerprint length)")
        super().__init__(n_tasks, 0, extra_dim, hidden, head_hidden, head_layers, head_groups, dropout)
        self._store_params(
            atom_dim=atom_dim, bond_dim=bond_dim, n_tasks=n_tasks, extra_dim=extra_dim, hidden=hidden,
            dropout=dropout, head_hidden=head_hidden, head_layers=head_layers,
            head_groups=list(head_groups) if head_groups else None,
        )

    def encode(self, batch: Any) -> Tensor:
        n = int(batch.num_graphs) if hasattr(batch, "num_graphs") else int(batch)
        return torch.zeros((n, 0))


@MODELS.register("rf")
class ECFPRandomForest:
    """Random forest on ECFP4 bits, one forest per task, NaN labels skipped.

    Follows the scikit-learn estimator contract: ``fit(X, y) -> self``; ``predict_proba``
    gives the positive-class probability per task ``(n, n_tasks)`` for classification;
    ``predict`` gives values (regression) or probabilities (classification).

    Parameters
    ----------
    task_types
        ``"classification"`` or ``"regression"`` per task (one string = all tasks).
    n_estimators, max_features, min_samples_leaf, class_weight
        Passed to scikit-learn's forests.
    n_jobs
        Parallel jobs (default 1: the machines are shared).
    random_state
        Seed.
    """

    name = "rf"
    uses_graph = False

    def __init__(
        self,
        task_types: str | Sequence[str] = "classification",
        n_estimators: int = 500,
        max_features: str | float = "sqrt",
        min_samples_leaf: int = 1,
        class_weight: str | None = "balanced_subsample",
        n_jobs: int = 1,
        random_state: int = 0,
    ) -> None:
        self.task_types = task_types
        self.n_estimators = n_estimators
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.random_state = random_state

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {
            k: getattr(self, k)
            for k in ("task_types", "n_estimators", "max_features", "min_samples_leaf", "class_weight", "n_jobs", "random_state")
        }

    def set_params(self, **params: Any) -> ECFPRandomForest:
        for k, v in params.items():
            setattr(self, k, v)
        return self

    def _types(self, n_tasks: int) -> list[str]:
        if isinstance(self.task_types, str):
            return [self.task_types] * n_tasks
        return list(self.task_types)

    def fit(self, X: np.ndarray, y: np.ndarray) -> ECFPRandomForest:
        from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

        y = np.asarray(y, dtype=float)
        if y.ndim == 1:
            y = y[:, None]
        self.n_tasks_ = y.shape[1]
        self.forests_: list[Any] = []
        self.constant_: list[float | None] = []
        for t, kind in enumerate(self._types(self.n_tasks_)):
            ok = ~np.isnan(y[:, t])
            yt = y[ok, t]
            if kind == "classification":
                if len(np.unique(yt)) < 2:
                    self.forests_.append(None)
                    self.constant_.append(float(yt.mean()) if len(yt) else 0.5)
                    continue
                model: Any = RandomForestClassifier(
                    n_estimators=self.n_estimators, max_features=self.max_features,
                    min_samples_leaf=self.min_samples_leaf, class_weight=self.class_weight,
                    n_jobs=self.n_jobs, random_state=self.random_state,
                )
            else:
                model = RandomForestRegressor(
                    n_estimators=self.n_estimators, max_features=1.0 / 3.0 if self.max_features == "sqrt" else self.max_features,
                    min_samples_leaf=self.min_samples_leaf, n_jobs=self.n_jobs, random_state=self.random_state,
                )
            model.fit(X[ok], yt.astype(int) if kind == "classification" else yt)
            self.forests_.append(model)
            self.constant_.append(None)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        out = np.empty((X.shape[0], self.n_tasks_))
        for t, (model, const) in enumerate(zip(self.forests_, self.constant_, strict=True)):
            if model is None:
                out[:, t] = const
            elif hasattr(model, "predict_proba"):
                proba = model.predict_proba(X)
                out[:, t] = proba[:, list(model.classes_).index(1)] if 1 in model.classes_ else 0.0
            else:
                out[:, t] = model.predict(X)
        return out

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.predict(X)
