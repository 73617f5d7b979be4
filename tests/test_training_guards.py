"""Guards of training on small or odd data (review of the own-table change): a validation part
nothing can be scored on, identifier-named label columns, two-valued "regression" columns."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from drugscreen.exceptions import DatasetError

SMILES = ["C" * i + "O" for i in range(1, 41)]


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def test_estimator_without_validation_molecules_trains_every_epoch(caplog: pytest.LogCaptureFixture) -> None:
    """Four molecules: MoleculeEstimator holds none out, so no epoch can be scored. The guard
    against untrained weights raised DatasetError from fit() (before it, the untrained weights
    were kept silently); now every epoch is trained and the last one kept, with a warning."""
    from drugscreen.models.estimator import MoleculeEstimator

    est = MoleculeEstimator(model="fp_mlp", task_type="regression", epochs=3, patience=1)
    with caplog.at_level(logging.WARNING, logger="drugscreen.training.trainer"):
        est.fit(["CCO", "CCN", "c1ccccc1", "CCCl"], np.array([1.0, 2.0, 3.0, 4.0]))
    assert est.best_epoch_ == 2 and len(est.history_) == 3  # patience=1 does not stop it
    assert "no early stopping" in caplog.text


def test_estimator_one_class_holdout_trains_every_epoch() -> None:
    """3 actives in 40: the 4-molecule holdout holds only inactives (random_state 0), so its
    ROC-AUC is NaN every epoch; fit() raised DatasetError (cross_val_score failed on such folds)."""
    from drugscreen.models.estimator import MoleculeEstimator

    y = np.array([1.0] * 3 + [0.0] * 37)
    est = MoleculeEstimator(model="fp_mlp", task_type="classification", epochs=2, random_state=0)
    est.fit(SMILES, y)
    assert est.best_epoch_ == 1
    assert np.isfinite(est.predict_proba(SMILES[:3])).all()


def test_diverged_predictions_still_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scorable validation part whose score is NaN every epoch (diverged predictions) keeps
    no untrained weights: it is refused."""
    from drugscreen.models.estimator import MoleculeEstimator
    from drugscreen.training import trainer

    real = trainer._predict_raw

    def nan_predictions(*args: object, **kwargs: object) -> np.ndarray:
        return np.full_like(real(*args, **kwargs), np.nan)

    monkeypatch.setattr(trainer, "_predict_raw", nan_predictions)
    est = MoleculeEstimator(model="fp_mlp", task_type="regression", epochs=2)
    with pytest.raises(DatasetError, match="diverged"):
        est.fit(SMILES, np.linspace(0.0, 3.0, len(SMILES)))
