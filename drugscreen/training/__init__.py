"""Training: configs, masked losses, metrics, calibration, the trainer and run records.

>>> from drugscreen.training import TrainConfig, train        # doctest: +SKIP
>>> result = train(TrainConfig(dataset=["bbbp"], model="dmpnn"), "runs/bbbp")  # doctest: +SKIP
>>> record = train_single_run("bbbp", "dmpnn", "scaffold", seed=0)             # doctest: +SKIP
"""

from __future__ import annotations

from drugscreen._lazy import lazy_getattr

_LAZY = {
    "TrainConfig": "drugscreen.training.config",
    "resolve_config": "drugscreen.training.config",
    "TrainResult": "drugscreen.training.trainer",
    "train": "drugscreen.training.trainer",
    "train_on_data": "drugscreen.training.trainer",
    "train_single_run": "drugscreen.training.trainer",
    "fit_member": "drugscreen.training.trainer",
    "build_training_data": "drugscreen.training.data",
    "predict_part": "drugscreen.training.data",
}

__all__ = sorted(_LAZY)


__getattr__ = lazy_getattr(__name__, _LAZY, namespace=globals())
