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


# -- bundles of a model nobody registered ---------------------------------------------------


@pytest.fixture
def fresh_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """No plugin imported yet in this test, no entry point installed, no $DRUGSCREEN_PLUGINS."""
    from drugscreen import registry as registry_module

    monkeypatch.setattr(registry_module, "_loaded", set(), raising=False)
    monkeypatch.setattr(registry_module, "_entry_points", lambda: (), raising=False)
    monkeypatch.delenv("DRUGSCREEN_PLUGINS", raising=False)


def _bundle_of_model(tmp_path, model: str):  # type: ignore[no-untyped-def]
    """A copy of tests/data/tiny_bundle whose config names ``model`` (config.json carries no
    checksum of its own, so the copy verifies)."""
    import json
    import shutil
    from pathlib import Path

    root = tmp_path / "lab_bundle"
    shutil.copytree(Path(__file__).parent / "data" / "tiny_bundle", root)
    config = json.loads((root / "config.json").read_text())
    config["model"]["name"] = model
    (root / "config.json").write_text(json.dumps(config))
    return root


@pytest.mark.usefixtures("fresh_plugins")
def test_a_bundle_of_an_unregistered_model_is_refused_at_load(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A bundle trained with a model of one's own loaded without its plugin: load_bundle accepted
    it, and the first use of ``.models`` (the first molecule scored) raised UnknownNameError
    ("unknown model ...", not a BundleError, and naming no bundle). It is now refused at load,
    naming the folder, the model and how plugins are made known."""
    from drugscreen.bundle import load_bundle
    from drugscreen.exceptions import BundleError

    root = _bundle_of_model(tmp_path, "s14_lab_only_gcn")
    with pytest.raises(BundleError) as info:
        load_bundle(root)
    message = str(info.value)
    assert str(root) in message and "'s14_lab_only_gcn'" in message and "$DRUGSCREEN_PLUGINS" in message
    assert "drugscreen.plugins" in message and "\n" not in message
    with pytest.raises(BundleError, match=r"model 'my_gine'.*\$DRUGSCREEN_PLUGINS") as close:  # no "did you mean 'gine'"
        load_bundle(_bundle_of_model(tmp_path / "close", "my_gine"))
    assert "did you mean" not in str(close.value)
    assert load_bundle(_bundle_of_model(tmp_path / "ok", "gine")).models  # a registered model loads as before


@pytest.mark.usefixtures("fresh_plugins")
def test_screening_a_bundle_of_an_unregistered_model_is_one_error_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``drugscreen screen --panel <bundle>`` of such a bundle: one ``Error:`` line naming the
    bundle (exit 1), not a message that names no bundle."""
    import os
    import subprocess
    import sys

    root = _bundle_of_model(tmp_path, "s14_lab_only_gcn")
    (tmp_path / "in.csv").write_text("smiles\nCCO\n")
    env = {k: v for k, v in os.environ.items() if k != "DRUGSCREEN_PLUGINS"}
    run = subprocess.run([sys.executable, "-m", "drugscreen", "screen", str(tmp_path / "in.csv"), "--panel", str(root),
                          "-o", str(tmp_path / "out.csv")], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stderr[-2000:]
    errors = [ln for ln in run.stderr.splitlines() if ln.startswith("Error")]
    assert len(errors) == 1 and errors[0].startswith(f"Error: model bundle {root}") and "s14_lab_only_gcn" in errors[0], run.stderr


# -- registry errors across processes -------------------------------------------------------


@pytest.mark.usefixtures("fresh_plugins")
def test_unknown_name_error_keeps_its_whole_message_across_processes() -> None:
    """``UnknownNameError`` pickled as ``(kind, name, choices)`` and so was rebuilt without what the
    registry had added to its message (how a model of one's own is made known): a worker
    process's "unknown model" reached the caller without the hint. Its whole message (and its
    other attributes) now survive, and it still unpickles as before."""
    import pickle
    from concurrent.futures import ProcessPoolExecutor

    from drugscreen.exceptions import UnknownNameError
    from drugscreen.models.registry import MODELS

    with pytest.raises(UnknownNameError) as info:
        MODELS.get("s14_worker_gcn")
    assert "$DRUGSCREEN_PLUGINS" in str(info.value)
    back = pickle.loads(pickle.dumps(info.value))
    assert type(back) is UnknownNameError and str(back) == str(info.value)
    assert (back.kind, back.name, back.choices, back.suggestions) == (
        info.value.kind, info.value.name, info.value.choices, info.value.suggestions)
    with ProcessPoolExecutor(1) as pool:  # raised in a worker process, as joblib's loky meets it
        with pytest.raises(UnknownNameError, match=r"unknown model 's14_worker_gcn'.*\$DRUGSCREEN_PLUGINS"):
            pool.submit(MODELS.get, "s14_worker_gcn").result()


# -- registered featurizers as training's extra features ------------------------------------


def test_extra_features_takes_a_registered_vector_featurizer() -> None:
    """``extra_features`` was one of four fixed values; it now also takes the name of a registered
    fingerprint or descriptor featurizer (stored as registered), and refuses one that makes no
    vector (the graph or a protein featurizer) in one line."""
    from drugscreen.exceptions import ConfigError
    from drugscreen.training.config import TrainConfig

    cfg = TrainConfig(dataset=["bbbp"], model="gine", extra_features="MACCS")
    assert cfg.extra_features == "maccs" and cfg.extra_vector
    assert cfg.extra_featurizer == {"name": "maccs", "params": {}}
    for value in ("none", "ecfp", "descriptors", "ecfp+descriptors"):  # as before
        assert TrainConfig(dataset=["bbbp"], model="gine", extra_features=value).extra_featurizer is None
    for bad, why in (("graph", "does not turn a molecule into a numeric vector"), ("protein_kmer", "does not turn a molecule"),
                     ("s14_no_such_fp", "the name of a registered fingerprint or descriptor featurizer")):
        with pytest.raises(ConfigError, match=why) as info:
            TrainConfig(dataset=["bbbp"], model="gine", extra_features=bad)
        assert "\n" not in str(info.value)


def test_a_maccs_hybrid_trains_saves_its_featurizer_and_screens(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``extra_features = "maccs"``: the GNN takes the scaled MACCS keys next to its graph
    embedding, the bundle records the featurizer's config, and a screen rebuilds it with
    ``build_featurizer`` (same predictions as the trained model's own MACCS input)."""
    from tiny_data import tiny_dataset

    from drugscreen.bundle import load_bundle
    from drugscreen.featurizers.fingerprints import MACCSFingerprint
    from drugscreen.featurizers.molecule import prepare_molecule
    from drugscreen.screening import Screener
    from drugscreen.training.config import TrainConfig
    from drugscreen.training.data import build_training_data
    from drugscreen.training.trainer import train_on_data

    cfg = TrainConfig(dataset=["tiny"], model="gine", split="random", seeds=[0], epochs=2, batch_size=16,
                      extra_features="maccs", model_params={"hidden": 8, "depth": 1, "head_hidden": 8}, name="maccs_hybrid")
    data = build_training_data([tiny_dataset(64)], split="random", seed=0, cache_dir=str(tmp_path / "cache"),
                               descriptors=cfg.extra_vector, extra_featurizer=cfg.extra_featurizer)
    assert data.train.desc.shape == (len(data.train), len(MACCSFingerprint()))
    assert data.train.desc_raw.shape[1] == 21  # the descriptor ranges keep their own values
    train_on_data(data, cfg, tmp_path / "bundle")
    bundle = load_bundle(tmp_path / "bundle")
    assert bundle.config["extra_features"]["kind"] == "descriptors"
    assert bundle.extra_featurizer_config == {"name": "maccs", "params": {}}
    assert bundle.config["model"]["params"]["extra_dim"] == len(MACCSFingerprint())
    smiles = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1"]
    mols = [prepare_molecule(s).mol for s in smiles]
    np.testing.assert_array_equal(bundle.extra_inputs(mols), MACCSFingerprint().featurize_many(mols))
    scored = Screener.load(panel=str(tmp_path / "bundle"), profile=None).score(smiles)
    direct = bundle.predict_smiles(smiles)
    np.testing.assert_allclose(scored["has_N"].to_numpy(dtype=float), direct.mean[:, 0], atol=1e-6)


def test_estimator_takes_a_registered_featurizer_as_extra_features() -> None:
    """MoleculeEstimator(extra_features="maccs") trains the GNN with the scaled MACCS keys."""
    from drugscreen.featurizers.fingerprints import MACCSFingerprint
    from drugscreen.models.estimator import MoleculeEstimator

    X = tiny_smiles(24)
    est = MoleculeEstimator(model="gine", epochs=1, extra_features="maccs", model_params={"hidden": 8, "depth": 1})
    est.fit(X, [int("N" in s) for s in X])
    assert est.model_.params()["extra_dim"] == len(MACCSFingerprint())
    assert est.predict_proba(X[:3]).shape == (3, 2)


PLUGIN_FP = '''
from typing import Any

import numpy as np

from drugscreen.featurizers.base import FEATURIZERS


@FEATURIZERS.register("s14_path_fp")
class PathFingerprint:
    name = "s14_path_fp"

    def __init__(self, n_bits: int = 128) -> None:
        self.n_bits = n_bits

    def params(self) -> dict[str, Any]:
        return {"n_bits": self.n_bits}

    def to_config(self) -> dict[str, Any]:
        return {"name": self.name, "params": self.params()}

    def __call__(self, mol) -> np.ndarray:  # no featurize_many: one molecule at a time
        from rdkit.Chem import rdFingerprintGenerator

        return rdFingerprintGenerator.GetRDKitFPGenerator(fpSize=self.n_bits).GetFingerprintAsNumPy(mol)
'''


def test_cli_trains_and_screens_a_hybrid_of_a_plugin_featurizer(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``drugscreen train --extra-features <a plugin's fingerprint>`` then ``drugscreen screen
    --panel`` of the bundle (the featurizer rebuilt from the bundle's config); without the plugin
    the bundle is refused at load, naming the featurizer."""
    import json
    import os
    import subprocess
    import sys

    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "s14_fp_plugin.py").write_text(PLUGIN_FP)
    table = tmp_path / "assay.csv"
    table.write_text("smiles,active\n" + "".join(f"{s},{int('N' in s)}\n" for s in tiny_smiles(60)))
    (tmp_path / "hits.csv").write_text("smiles\nCCN\nc1ccccc1\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "plugins"), "DRUGSCREEN_PLUGINS": "s14_fp_plugin",
           "DRUGSCREEN_CACHE_DIR": str(tmp_path / "cache")}
    cli = [sys.executable, "-m", "drugscreen"]
    train = subprocess.run([*cli, "train", "--dataset", str(table), "--model", "gine", "--extra-features", "s14_path_fp",
                            "--epochs", "1", "--split", "random", "-o", str(tmp_path / "run")],
                           env=env, capture_output=True, text=True, timeout=600)
    assert train.returncode == 0, train.stderr[-2000:]
    extra = json.loads((tmp_path / "run" / "config.json").read_text())["extra_features"]
    assert extra["featurizer"] == {"name": "s14_path_fp", "params": {"n_bits": 128}}
    screen = subprocess.run([*cli, "screen", str(tmp_path / "hits.csv"), "--panel", str(tmp_path / "run"),
                             "-o", str(tmp_path / "scored.csv")], env=env, capture_output=True, text=True, timeout=600)
    assert screen.returncode == 0, screen.stderr[-2000:]
    import pandas as pd

    scored = pd.read_csv(tmp_path / "scored.csv")
    assert list(scored["smiles"]) == ["CCN", "c1ccccc1"] and scored["active"].between(0, 1).all()
    del env["DRUGSCREEN_PLUGINS"]
    refused = subprocess.run([*cli, "screen", str(tmp_path / "hits.csv"), "--panel", str(tmp_path / "run"),
                              "-o", str(tmp_path / "again.csv")], env=env, capture_output=True, text=True, timeout=600)
    assert refused.returncode == 1 and "featurizer 's14_path_fp'" in refused.stderr and "$DRUGSCREEN_PLUGINS" in refused.stderr


def test_builtin_model_list_of_bundles_is_the_registrys() -> None:
    """load_bundle skips the registry (and torch's import) for drugscreen's own models: the list
    it uses must stay the registry's own models."""
    import drugscreen.models.affinity  # noqa: F401 (registers 'affinity')
    from drugscreen.bundle import BUILTIN_MODELS
    from drugscreen.models import MODELS

    own = sorted(n for n in MODELS.names() if MODELS.get(n).__module__.startswith("drugscreen."))
    assert sorted(BUILTIN_MODELS) == own
