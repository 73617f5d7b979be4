"""Extending drugscreen, second pass (review s14): MoleculeEstimator's early-stopping holdout
and what its predictions read after ``set_params``, a model of one's own checked against the
trainer's options, bundles of a model nobody registered, registry errors across processes, and
registered featurizers as training's extra features."""

from __future__ import annotations

import re

import numpy as np
import pytest
from tiny_data import tiny_smiles

pytestmark = pytest.mark.usefixtures("own_cache")


# -- MoleculeEstimator ----------------------------------------------------------------------


def _capture_training_data(monkeypatch: pytest.MonkeyPatch) -> list:
    """Make the estimator's GNN training record the TrainingData it is given (then train as usual)."""
    import drugscreen.training.trainer as trainer

    seen: list = []
    real = trainer.fit_member

    def recording(data, config, seed):  # type: ignore[no-untyped-def]
        seen.append(data)
        return real(data, config, seed)

    monkeypatch.setattr(trainer, "fit_member", recording)
    return seen


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_estimator_holdout_never_holds_a_training_molecule(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """Early stopping was judged on a random holdout of the rows, so a molecule given twice in X
    (or as two salt forms of one parent) could sit on both sides: the holdout scored molecules the
    model trained on. The holdout is now drawn by standardized parent."""
    from drugscreen.models.estimator import MoleculeEstimator

    base = tiny_smiles(20)
    acids = ["OC(=O)c1ccccc1", "OC(=O)CCc1ccccc1", "OC(=O)c1ccncc1"]
    salts = ["[Na+].[O-]C(=O)c1ccccc1", "[K+].[O-]C(=O)CCc1ccccc1", "[Na+].[O-]C(=O)c1ccncc1"]
    X = base + base + acids + salts
    y = [int("N" in s) for s in base] * 2 + [0, 0, 1] * 2  # a salt has its parent's label
    seen = _capture_training_data(monkeypatch)
    est = MoleculeEstimator(model="gine", epochs=1, patience=1, valid_fraction=0.3, random_state=seed,
                            model_params={"hidden": 8, "depth": 1})
    est.fit(X, y)
    (data,) = seen
    train, valid = set(data.train.smiles_std), set(data.valid.smiles_std)
    assert valid and train
    assert not train & valid, f"in both parts: {sorted(train & valid)}"
    assert len(data.train) + len(data.valid) == len(X)  # every row still trains or validates


def test_estimator_holdout_of_distinct_molecules_is_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    """Distinct molecules are held out as before: the first ``round(valid_fraction * n)`` of a
    seeded permutation (so earlier fits are reproduced)."""
    from drugscreen.models.estimator import MoleculeEstimator

    X = tiny_smiles(30)
    seen = _capture_training_data(monkeypatch)
    MoleculeEstimator(model="gine", epochs=1, valid_fraction=0.2, random_state=3,
                      model_params={"hidden": 8, "depth": 1}).fit(X, [int("N" in s) for s in X])
    order = np.random.default_rng(3).permutation(30)
    from drugscreen.featurizers.molecule import DATASET_STANDARDIZER, prepare_molecule

    std = [prepare_molecule(s, DATASET_STANDARDIZER).smiles_std for s in X]
    assert seen[0].valid.smiles_std == [std[i] for i in np.sort(order[:6])]


@pytest.mark.parametrize("model", ["rf", "gine"])
def test_estimator_predicts_with_what_was_fitted_after_set_params(model: str) -> None:
    """``set_params(task_type="regression")`` on a fitted classifier made ``predict`` return the
    probabilities as values (and ``predict_proba`` vanish); ``set_params(model=...)`` or
    ``extra_features=...`` read the new settings against the old model. Predictions use what was
    fitted until the next ``fit``."""
    from drugscreen.models.estimator import MoleculeEstimator

    X = tiny_smiles(24)
    y = [int("N" in s) for s in X]
    params = {"n_estimators": 3} if model == "rf" else {"hidden": 8, "depth": 1}
    est = MoleculeEstimator(model=model, epochs=1, model_params=params, random_state=0).fit(X, y)
    labels, proba = est.predict(X[:5]), est.predict_proba(X[:5])
    assert set(np.unique(labels)) <= {0, 1}
    est.set_params(task_type="regression")
    np.testing.assert_array_equal(est.predict(X[:5]), labels)  # was the probabilities
    np.testing.assert_allclose(est.predict_proba(X[:5]), proba)
    other, other_params = ("gine", {"hidden": 8, "depth": 1}) if model == "rf" else ("rf", {"n_estimators": 3})
    est.set_params(model=other, model_params=other_params, extra_features="ecfp")
    np.testing.assert_array_equal(est.predict(X[:5]), labels)
    np.testing.assert_allclose(est.predict_proba(X[:5]), proba)
    assert est.score(X, y) == pytest.approx(float(np.mean(est.predict(X) == np.asarray(y))))


# -- TrainConfig: a model of one's own and the trainer's options ----------------------------


@pytest.fixture
def plain_model():
    """A model of one's own registered as ``s14_plain_gcn`` whose constructor takes only what the
    trainer always passes (no ``extra_dim``, no ``head_groups``); unregistered afterwards."""
    import torch
    from torch import nn

    from drugscreen.models import GraphModel
    from drugscreen.models.base import scatter_mean
    from drugscreen.models.registry import MODELS
    from drugscreen.registry import normalize_name

    class PlainGCN(GraphModel):
        name = "s14_plain_gcn"

        def __init__(self, atom_dim: int, bond_dim: int, n_tasks: int, hidden: int = 8) -> None:
            super().__init__(n_tasks, hidden, 0, head_hidden=8)
            self.inp = nn.Linear(atom_dim, hidden)

        def encode(self, batch):  # type: ignore[no-untyped-def]
            return scatter_mean(torch.relu(self.inp(batch.x)), batch.batch, int(batch.num_graphs))

    MODELS.register("s14_plain_gcn")(PlainGCN)
    try:
        yield PlainGCN
    finally:
        MODELS._items.pop(normalize_name("s14_plain_gcn"), None)
        MODELS._names.pop(normalize_name("s14_plain_gcn"), None)


def test_train_config_refuses_per_dataset_heads_for_a_model_without_head_groups(plain_model: type) -> None:
    """``head = "per_dataset"`` with a model of one's own whose constructor has no ``head_groups``
    was accepted, then failed with "__init__() got an unexpected keyword argument 'head_groups'"
    once the data were loaded and featurized."""
    from drugscreen.exceptions import ConfigError
    from drugscreen.training.config import TrainConfig

    with pytest.raises(ConfigError, match=r"head = 'per_dataset' needs model 's14_plain_gcn' \(.*PlainGCN\) to take head_groups") as info:
        TrainConfig(dataset=["bbbp", "bace_classification"], model="s14_plain_gcn", head="per_dataset")
    assert "\n" not in str(info.value) and "head = 'shared'" in str(info.value)
    assert TrainConfig(dataset=["bbbp"], model="s14_plain_gcn").head == "shared"  # what it can do is accepted


@pytest.mark.parametrize("extra", ["ecfp", "descriptors", "ecfp+descriptors"])
def test_train_config_refuses_extra_features_for_a_model_without_extra_dim(plain_model: type, extra: str) -> None:
    """``extra_features = "ecfp"`` (or descriptors) with a model of one's own whose constructor has
    no ``extra_dim`` was accepted, then failed with "unexpected keyword argument 'extra_dim'"
    after loading the data."""
    from drugscreen.exceptions import ConfigError
    from drugscreen.training.config import TrainConfig

    with pytest.raises(ConfigError, match=rf"extra_features = '{re.escape(extra)}' needs model 's14_plain_gcn' \(.*PlainGCN\) to take extra_dim"):
        TrainConfig(dataset=["bbbp"], model="s14_plain_gcn", extra_features=extra)
