"""How each model name of a benchmark config is fitted and made to predict.

``rf`` is the ECFP4 random forest of :mod:`drugscreen.benchmarking.baselines`; every other
name is looked up in drugscreen's model registry and trained with the library trainer
(:mod:`drugscreen.training`), selecting on the valid split only. Peers (chemprop) are not run
here but by ``benchmarks/peers/chemprop_run.py`` in their own environment.
"""

from __future__ import annotations

import logging
from typing import Any

from drugscreen.benchmarking.baselines import FitResult, fit_predict_rf
from drugscreen.benchmarking.config import ModelSpec

logger = logging.getLogger(__name__)

__all__ = ["FitResult", "fit_predict"]


def fit_predict(model: ModelSpec, dataset: Any, split: Any, *, seed: int, threads: int = 1) -> FitResult:
    """Fit ``model`` on ``split.train`` of ``dataset``; predict ``split.valid`` and ``split.test``.

    Returns
    -------
    FitResult
        ``(n_valid, n_tasks)`` and ``(n_test, n_tasks)`` predictions (probabilities for
        classification, values in the task's units for regression) and timings.
    """
    if model.name == "rf":
        return fit_predict_rf(
            dataset.smiles_std, dataset.y, dataset.task_type, split.train, split.valid, split.test,
            seed=seed, params=model.params, n_jobs=threads,
        )
    return _fit_predict_trained(model, dataset, split, seed=seed, threads=threads)


def _fit_predict_trained(model: ModelSpec, dataset: Any, split: Any, *, seed: int, threads: int) -> FitResult:
    from drugscreen.exceptions import ConfigError

    raise ConfigError(
        f"model {model.name!r} is not available to the benchmark runner yet (only 'rf')"
    )
