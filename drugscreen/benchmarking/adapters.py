"""How each model name of a benchmark config is fitted and made to predict.

``rf`` is the ECFP4 random forest of :mod:`drugscreen.benchmarking.baselines`, ``train_mean``
the no-skill reference (predict the training mean); every other
name is looked up in drugscreen's model registry and trained with the library trainer
(:mod:`drugscreen.training`), selecting on the valid split only. Peers (chemprop) are not run
here but by ``benchmarks/peers/chemprop_run.py`` in their own environment.
"""

from __future__ import annotations

import logging
from typing import Any

from drugscreen.benchmarking.baselines import FitResult, fit_predict_rf, fit_predict_train_mean
from drugscreen.benchmarking.config import ModelSpec, TableSpec

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
            seed=seed, params=model_params_for(model, dataset.name), n_jobs=threads,
        )
    if model.name == "train_mean":
        return fit_predict_train_mean(dataset.y, split.train, split.valid, split.test)
    return _fit_predict_trained(model, dataset, split, seed=seed, threads=threads)


def model_params_for(model: ModelSpec, dataset: str) -> dict[str, Any]:
    """The entry's parameters with its ``per_dataset.<dataset>`` overrides applied.

    E.g. ``per_dataset = { toxcast = { n_estimators = 100 } }`` in a ``[[models]]`` entry.
    """
    params = dict(model.params)
    overrides = params.pop("per_dataset", {}) or {}
    return {**params, **overrides.get(dataset, {})}


def recorded_entry_params(rec: dict[str, Any], dataset: str) -> dict[str, Any] | None:
    """The parameters a trained model's run record was made with on ``dataset``: its config's
    ``[[models]]`` entry (``config.model_entry``) with the ``per_dataset`` overrides applied;
    ``None`` when the record does not keep the entry (records made before it was kept)."""
    from drugscreen.benchmarking.config import ModelSpec

    cfg = rec.get("config") if isinstance(rec.get("config"), dict) else {}
    entry = cfg.get("model_entry")
    if not isinstance(entry, dict):
        return None
    spec = ModelSpec(str(entry.get("name")), {k: v for k, v in entry.items() if k not in ("name", "datasets")})
    return model_params_for(spec, dataset)


def _fit_predict_trained(model: ModelSpec, dataset: Any, split: Any, *, seed: int, threads: int) -> FitResult:
    from drugscreen.exceptions import ConfigError

    raise ConfigError(f"model {model.name!r} is trained through train_record(), not fit_predict()")


def is_trained_model(model: ModelSpec) -> bool:
    """Whether ``model`` goes through the library trainer (everything but ``rf`` and ``train_mean``)."""
    return model.name not in ("rf", "train_mean")


def train_record(
    model: ModelSpec, dataset: str, split_kind: str, seed: int, *, threads: int = 1, data_dir: str | None = None,
    table: TableSpec | None = None, loaded: Any = None,
) -> dict[str, Any]:
    """Train one cell with :func:`drugscreen.training.trainer.train` and return its run record.

    The config entry's keys are :class:`~drugscreen.training.config.TrainConfig` fields
    (``epochs``, ``patience``, ``model_params`` ...); ``model`` names the registered
    architecture when the entry's ``name`` is a label (default: the name itself). The trainer
    makes the split with the same :func:`drugscreen.data.splits.make_split` call as the
    runner, selects on the valid part only and scores valid and test with
    :mod:`drugscreen.training.metrics` (same convention as :mod:`drugscreen.benchmarking.metrics`).
    With ``table`` (a user's own table) the trainer reads that file with its options, as
    ``drugscreen train --dataset my.csv`` does; with ``loaded`` (the runner's copy of it, named
    as the config names it) it trains on that copy, so its split is the runner's split file's
    to the byte (a split records its dataset's name) and the table is not read a second time
    (which repeated its warnings about rows left out, the second time without the file
    listing them).
    """
    from drugscreen.training.config import TrainConfig
    from drugscreen.training.trainer import train

    params = model_params_for(model, dataset)
    arch = params.pop("model", model.name)
    reading: dict[str, Any] = {}
    if table is not None:
        reading = {k: v for k, v in table.load_options().items() if k != "name"}
    config = TrainConfig.from_dict(
        {
            "dataset": [str(table.path) if table is not None else dataset],
            **reading,
            "model": arch,
            "split": split_kind,
            "seeds": [seed],
            "num_threads": threads,
            "data_dir": data_dir,
            **params,
        }
    )
    if loaded is None or table is None:
        result = train(config, None)
        return dict(result.run_records[0])
    import torch

    from drugscreen.exceptions import DatasetError
    from drugscreen.training.data import build_training_data
    from drugscreen.training.trainer import train_on_data

    torch.set_num_threads(max(1, int(config.num_threads)))
    data = build_training_data(
        [loaded], config.split, seed, None, config.cache_dir,
        descriptors=config.extra_vector, extra_featurizer=config.extra_featurizer,
        head_descriptors=bool(config.head_descriptors),
    )
    if data.meta.get("unscorable_valid"):
        raise DatasetError("; ".join(data.meta["unscorable_valid"]))  # each says why no epoch could be chosen
    return dict(train_on_data(data, config, None).run_records[0])
