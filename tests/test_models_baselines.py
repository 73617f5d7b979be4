"""Fingerprint baselines and the sklearn-style estimator."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from drugscreen.models import ECFPRandomForest, FingerprintMLP


def _xy(n: int = 60, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = (rng.random((n, 64)) < 0.2).astype(np.float32)
    y = np.stack([X[:, 0], X[:, 1] * 2.0 + X[:, 2]], axis=1).astype(float)
    y[::5, 0] = np.nan
    return X, y


def test_random_forest_skips_nan_labels_and_predicts() -> None:
    X, y = _xy()
    rf = ECFPRandomForest(task_types=["classification", "regression"], n_estimators=20).fit(X, y)
    p = rf.predict_proba(X)
    assert p.shape == (60, 2)
    assert ((p[:, 0] >= 0) & (p[:, 0] <= 1)).all()
    assert np.corrcoef(p[:, 1], y[:, 1])[0, 1] > 0.8
    assert rf.get_params()["n_estimators"] == 20


def test_random_forest_single_class_task() -> None:
    X, y = _xy()
    y[:, 0] = np.where(np.isnan(y[:, 0]), np.nan, 1.0)
    p = ECFPRandomForest(task_types=["classification", "regression"], n_estimators=5).fit(X, y).predict(X)
    assert np.allclose(p[:, 0], 1.0)


def test_fp_mlp_ignores_graph() -> None:
    m = FingerprintMLP(n_tasks=2, extra_dim=64, hidden=16, head_hidden=8).eval()
    x = torch.rand(5, 64)
    assert m(5, x).shape == (5, 2)
    with pytest.raises(ValueError):
        FingerprintMLP(n_tasks=1, extra_dim=0)


@pytest.mark.parametrize("model", ["gine", "rf", "fp_mlp"])
def test_estimator_interchangeable(model: str) -> None:
    from sklearn.base import clone
    from tiny_data import tiny_smiles

    from drugscreen.models import MoleculeEstimator

    smiles = tiny_smiles(48)
    y = np.array([float("N" in s or "n" in s) for s in smiles])
    est = MoleculeEstimator(model=model, epochs=2, batch_size=16, model_params={"hidden": 16} if model != "rf" else {"n_estimators": 10})
    est.fit(smiles, y)
    proba = est.predict_proba(smiles[:5])
    assert proba.shape == (5, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(est.predict(smiles[:5])) <= {0, 1}
    assert clone(est).get_params()["model"] == model


def test_estimator_invalid_smiles() -> None:
    from drugscreen.exceptions import InvalidMoleculeError
    from drugscreen.models import MoleculeEstimator

    with pytest.raises(InvalidMoleculeError):
        MoleculeEstimator(model="rf").fit(["CCO", "C1CC"], np.array([0.0, 1.0]))


def test_estimator_trains_on_a_datasets_radicals_but_refuses_one_to_predict() -> None:
    """Tox21 holds TEMPOL (a radical): fitting on the dataset works as `drugscreen train` does;
    a radical to predict is refused like a screened one."""
    from tiny_data import tiny_smiles

    from drugscreen.exceptions import InvalidMoleculeError
    from drugscreen.models import MoleculeEstimator

    smiles = [*tiny_smiles(20), "CC1(C)CC(O)CC(C)(C)N1[O]"]
    y = np.array([float(i % 2) for i in range(len(smiles))])
    est = MoleculeEstimator(model="rf", model_params={"n_estimators": 5}).fit(smiles, y)
    assert est.predict_proba(smiles[:3]).shape == (3, 2)
    with pytest.raises(InvalidMoleculeError, match="radical"):
        est.predict_proba(smiles[-1:])


@pytest.mark.parametrize("extra", ["descriptors", "ecfp+descriptors"])
def test_estimator_descriptor_hybrid(extra: str) -> None:
    from tiny_data import tiny_smiles

    from drugscreen.featurizers.descriptors import FastDescriptors
    from drugscreen.featurizers.molecule import prepare_molecule
    from drugscreen.models import MoleculeEstimator

    smiles = tiny_smiles(48)
    y = np.array([len(s) / 10.0 for s in smiles])
    est = MoleculeEstimator(model="gine", task_type="regression", epochs=2, batch_size=16, extra_features=extra,
                            model_params={"hidden": 16, "depth": 2, "head_hidden": 16}).fit(smiles, y)
    n_desc = len(FastDescriptors())
    assert est.model_.extra_dim == n_desc + (2048 if extra == "ecfp+descriptors" else 0)
    # the scaler is fitted on the molecules that trained (not the hold-out used for early stopping)
    order = np.random.default_rng(0).permutation(len(smiles))
    train_idx = np.sort(order[max(1, round(0.1 * len(smiles))):])
    raw = FastDescriptors().featurize_many([prepare_molecule(smiles[i]).mol for i in train_idx])
    np.testing.assert_allclose(est.descriptor_scaler_.mean_, np.nanmean(raw, axis=0))
    pred = est.predict(smiles[:6])
    assert pred.shape == (6,) and np.isfinite(pred).all()
    np.testing.assert_array_equal(pred, est.predict(smiles[:6]))
    # the descriptors reach the model: another scaler gives other predictions
    est.descriptor_scaler_.mean_ = est.descriptor_scaler_.mean_ + 1.0
    assert not np.allclose(est.predict(smiles[:6]), pred)


def test_estimator_is_a_sklearn_classifier_or_regressor() -> None:
    from sklearn.base import clone, is_classifier, is_regressor
    from sklearn.model_selection import cross_val_score
    from tiny_data import tiny_smiles

    from drugscreen.models import MoleculeEstimator

    smiles = tiny_smiles(120)
    y = np.array([float("N" in s or "n" in s) for s in smiles])
    est = MoleculeEstimator(model="gine", epochs=2, batch_size=32, model_params={"hidden": 16})
    assert is_classifier(est) and not is_regressor(est)
    reg = MoleculeEstimator(model="rf", task_type="regression", model_params={"n_estimators": 10})
    assert is_regressor(reg) and not is_classifier(reg) and is_regressor(clone(reg))
    # the roc_auc scorer needs to know it is a classifier to take predict_proba's column 1
    auc = cross_val_score(est, smiles, y, cv=2, scoring="roc_auc")
    assert auc.shape == (2,) and np.all((auc >= 0) & (auc <= 1))
    acc = cross_val_score(est, smiles, y, cv=2)  # default scoring: score() = accuracy
    assert acc.shape == (2,) and np.all((acc >= 0) & (acc <= 1))
    est.fit(smiles, y)
    np.testing.assert_array_equal(est.classes_, [0, 1])
    assert est.score(smiles, y) == np.mean(est.predict(smiles) == y)
    # regression: score() is R²
    yr = np.array([len(s) / 10.0 for s in smiles])
    assert cross_val_score(reg, smiles, yr, cv=2).shape == (2,)
    reg.fit(smiles, yr)
    assert not hasattr(reg, "classes_")
    pred = reg.predict(smiles)
    assert reg.score(smiles, yr) == pytest.approx(1 - ((yr - pred) ** 2).sum() / ((yr - yr.mean()) ** 2).sum())
    with pytest.raises(ValueError, match="0 or 1"):
        MoleculeEstimator(model="rf").fit(smiles[:10], np.arange(10.0))


def test_estimator_refuses_to_learn_an_inorganic_salt_as_another_compound() -> None:
    """The datasets' policy keeps [Na+].[Cl-] as hydrogen chloride; fit refuses it, naming the
    row, as predicting does."""
    from tiny_data import tiny_smiles

    from drugscreen.exceptions import InvalidMoleculeError
    from drugscreen.models import MoleculeEstimator

    smiles = [*tiny_smiles(20), "[Na+].[Cl-]"]
    y = np.array([float(i % 2) for i in range(len(smiles))])
    with pytest.raises(InvalidMoleculeError, match="inorganic") as err:
        MoleculeEstimator(model="rf", model_params={"n_estimators": 5}).fit(smiles, y)
    assert err.value.index == 20
