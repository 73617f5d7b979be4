"""Extending drugscreen from outside the package (review s14): a featurizer and a model
registered from a user's own module, used by the Python API and the command line (through
``$DRUGSCREEN_PLUGINS`` / the ``drugscreen.plugins`` entry points), and ``MoleculeEstimator``
inside scikit-learn tooling (nested parameters, empty training sets, ``predict_proba`` on a
regressor, a registered model the estimator cannot train)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tiny_data import tiny_smiles

from drugscreen import registry as registry_module
from drugscreen.exceptions import ConfigError, UnknownNameError
from drugscreen.registry import Registry

pytestmark = pytest.mark.usefixtures("own_cache")

# a user's plugin module: a GCN registered as a model and a fingerprint registered as a featurizer
PLUGIN = textwrap.dedent(
    '''
    from typing import Any

    import numpy as np
    import torch
    from torch import Tensor, nn

    from drugscreen.featurizers.base import FEATURIZERS
    from drugscreen.models import GraphModel
    from drugscreen.models.base import scatter_mean, scatter_sum
    from drugscreen.models.registry import MODELS


    @FEATURIZERS.register("{fp}")
    class PathFingerprint:
        name = "{fp}"

        def __init__(self, n_bits: int = 256) -> None:
            self.n_bits = n_bits

        def params(self) -> dict[str, Any]:
            return {{"n_bits": self.n_bits}}

        def to_config(self) -> dict[str, Any]:
            return {{"name": self.name, "params": self.params()}}

        def __call__(self, mol) -> np.ndarray:
            from rdkit.Chem import rdFingerprintGenerator

            return rdFingerprintGenerator.GetRDKitFPGenerator(fpSize=self.n_bits).GetFingerprintAsNumPy(mol)


    @MODELS.register("{model}")
    class UserGCN(GraphModel):
        name = "{model}"

        def __init__(self, atom_dim: int, bond_dim: int, n_tasks: int, hidden: int = 16, extra_dim: int = 0,
                     head_groups=None) -> None:
            super().__init__(n_tasks, hidden, extra_dim, head_hidden=16, head_groups=head_groups)
            self._store_params(atom_dim=atom_dim, bond_dim=bond_dim, n_tasks=n_tasks, hidden=hidden,
                               extra_dim=extra_dim, head_groups=list(head_groups) if head_groups else None)
            self.inp = nn.Linear(atom_dim, hidden)
            self.lin = nn.Linear(hidden, hidden)

        def encode(self, batch: Any) -> Tensor:
            h = torch.relu(self.inp(batch.x))
            src, dst = batch.edge_index
            h = torch.relu(self.lin(h + scatter_sum(h[src], dst, h.shape[0])))
            return scatter_mean(h, batch.batch, int(batch.num_graphs))
    '''
)


@pytest.fixture
def fresh_plugins(monkeypatch: pytest.MonkeyPatch):
    """No plugin imported yet in this test, no entry point installed, no $DRUGSCREEN_PLUGINS."""
    monkeypatch.setattr(registry_module, "_loaded", set(), raising=False)
    monkeypatch.setattr(registry_module, "_entry_points", lambda: (), raising=False)
    monkeypatch.delenv("DRUGSCREEN_PLUGINS", raising=False)


def _write_plugin(folder: Path, module: str, model: str, fp: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{module}.py").write_text(PLUGIN.format(model=model, fp=fp))


def _forget(module: str, names: list[tuple[Registry, str]]) -> None:
    """Undo a test plugin's import and registrations (the registries are process-wide)."""
    sys.modules.pop(module, None)
    for reg, name in names:
        key = registry_module.normalize_name(name)
        reg._items.pop(key, None)
        reg._names.pop(key, None)


# -- registering ----------------------------------------------------------------------------


def test_register_used_without_a_name_is_refused_at_once() -> None:
    """``@MODELS.register`` without ``("name")`` replaced the class by the inner decorator
    function and registered nothing, without a word; the model then was 'unknown'."""
    reg: Registry = Registry("model")
    with pytest.raises(TypeError, match=r'register\("my_name"\)'):

        @reg.register  # type: ignore[arg-type]
        class Forgot:
            name = "forgot"

    assert len(reg) == 0


def test_the_same_definition_registered_again_replaces_it() -> None:
    """Running a notebook cell (or reloading a module) that defines a registered class again
    raised 'already registered', so a user could not fix their model without restarting."""
    reg: Registry = Registry("model")
    source = "class UserModel:\n    name = 'user_model'\n"
    first: dict = {"__name__": "user_notebook"}
    exec(source, first)
    reg.register("user_model")(first["UserModel"])
    second: dict = {"__name__": "user_notebook"}
    exec(source, second)
    reg.register("user_model")(second["UserModel"])  # the cell run again
    assert reg.get("user_model") is second["UserModel"]
    other: dict = {"__name__": "someone_else"}
    exec(source, other)
    with pytest.raises(ValueError, match="already registered.*user_notebook.UserModel"):
        reg.register("user_model")(other["UserModel"])


def test_a_class_whose_name_attribute_differs_is_refused() -> None:
    """A GraphModel subclass that did not set ``name`` inherited "graph": ``model_config(model)``
    (what a bundle records) then named a model that is not registered, or another one."""
    from drugscreen.models import GraphModel, model_config

    reg: Registry = Registry("model")

    class NoName(GraphModel):
        def __init__(self, n_tasks: int = 1) -> None:
            super().__init__(n_tasks, 4)
            self._store_params(n_tasks=n_tasks)

    assert model_config(NoName())["name"] == "graph"  # what would have been recorded
    with pytest.raises(ValueError, match=r"NoName.name is 'graph' \(inherited from GraphModel\).*name = 'no_name'"):
        reg.register("no_name")(NoName)


# -- plugins ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("fresh_plugins")
def test_plugin_named_in_the_environment_is_found_by_the_registries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A model or featurizer registered in the user's own module could be used only by code
    that imported that module first: ``drugscreen train --model``, ``screen --panel`` of its
    bundle and ``benchmark`` said 'unknown model'. ``$DRUGSCREEN_PLUGINS`` names the module."""
    from drugscreen.featurizers.base import FEATURIZERS, build_featurizer
    from drugscreen.models.registry import MODELS

    module, model, fp = "s14_env_plugin", "s14_env_gcn", "s14_env_fp"
    _write_plugin(tmp_path, module, model, fp)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("DRUGSCREEN_PLUGINS", f" {module} ")
    try:
        assert module not in sys.modules
        assert MODELS.get(model).__name__ == "UserGCN"
        assert model in MODELS.names() and fp in FEATURIZERS
        from rdkit import Chem

        assert build_featurizer({"name": fp, "params": {"n_bits": 64}})(Chem.MolFromSmiles("CCO")).shape == (64,)
    finally:
        _forget(module, [(MODELS, model), (FEATURIZERS, fp)])


@pytest.mark.usefixtures("fresh_plugins")
def test_plugin_entry_point_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed package declares ``[project.entry-points."drugscreen.plugins"]``."""
    from importlib.metadata import EntryPoint

    from drugscreen.featurizers.base import FEATURIZERS
    from drugscreen.models.registry import MODELS

    module, model, fp = "s14_ep_plugin", "s14_ep_gcn", "s14_ep_fp"
    _write_plugin(tmp_path, module, model, fp)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry_module, "_entry_points", lambda: (EntryPoint("mine", module, "drugscreen.plugins"),))
    try:
        assert MODELS.get(model.upper()).name == model
    finally:
        _forget(module, [(MODELS, model), (FEATURIZERS, fp)])


@pytest.mark.usefixtures("fresh_plugins")
def test_built_in_names_never_import_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Screening the shipped panel looks up only built-in names: no plugin code runs for it."""
    from drugscreen.models.registry import MODELS

    monkeypatch.setenv("DRUGSCREEN_PLUGINS", "s14_no_such_module")
    assert MODELS.get("gine").name == "gine"
    assert "dmpnn" in MODELS


@pytest.mark.usefixtures("fresh_plugins")
def test_a_plugin_that_cannot_be_imported_is_one_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from drugscreen.models.registry import MODELS

    monkeypatch.setenv("DRUGSCREEN_PLUGINS", "s14_no_such_module")
    with pytest.raises(ConfigError, match=r"DRUGSCREEN_PLUGINS module 's14_no_such_module' could not be imported \(is its "
                                          r"folder on PYTHONPATH.*python -c 'import s14_no_such_module'") as info:
        MODELS.get("s14_unknown")
    assert "\n" not in str(info.value)
    with pytest.raises(UnknownNameError):  # tried once, then the name is just unknown
        MODELS.get("s14_unknown")


@pytest.mark.usefixtures("fresh_plugins")
def test_unknown_model_says_how_a_model_of_ones_own_is_found() -> None:
    """'unknown model 'my_gcn'; choose one of: ...' did not say that a bundle trained with a
    model of one's own needs the module that registers it."""
    from drugscreen.models.registry import MODELS

    with pytest.raises(UnknownNameError, match=r"unknown model 's14_my_gcn'; choose one of: .*gine.*; a model of your "
                                               r"own is found once its module is imported: name the module that registers it in \$DRUGSCREEN_PLUGINS"):
        MODELS.get("s14_my_gcn")
    with pytest.raises(UnknownNameError) as typo:  # a typo gets the close match only
        MODELS.get("gien")
    assert "did you mean 'gine'" in str(typo.value) and "DRUGSCREEN_PLUGINS" not in str(typo.value)


@pytest.mark.usefixtures("fresh_plugins")
def test_cli_trains_and_screens_with_a_plugin_model(tmp_path: Path) -> None:
    """The user story end to end: ``drugscreen train --model <own model>`` on their CSV, then
    ``drugscreen screen --panel <that bundle>``, with the module named in $DRUGSCREEN_PLUGINS."""
    module, model = "s14_cli_plugin", "s14_cli_gcn"
    _write_plugin(tmp_path / "plugins", module, model, "s14_cli_fp")
    smiles = tiny_smiles(60)
    table = tmp_path / "assay.csv"
    table.write_text("smiles,active\n" + "".join(f"{s},{int('N' in s)}\n" for s in smiles))
    (tmp_path / "hits.csv").write_text("smiles\nCCN\nc1ccccc1\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "plugins"), "DRUGSCREEN_PLUGINS": module,
           "DRUGSCREEN_CACHE_DIR": str(tmp_path / "cache")}
    cli = [sys.executable, "-m", "drugscreen"]
    train = subprocess.run([*cli, "train", "--dataset", str(table), "--model", model, "--epochs", "1", "--split", "random",
                            "-o", str(tmp_path / "run")], env=env, capture_output=True, text=True, timeout=600)
    assert train.returncode == 0, train.stderr[-2000:]
    screen = subprocess.run([*cli, "screen", str(tmp_path / "hits.csv"), "--panel", str(tmp_path / "run"),
                             "-o", str(tmp_path / "scored.csv")], env=env, capture_output=True, text=True, timeout=600)
    assert screen.returncode == 0, screen.stderr[-2000:]
    import pandas as pd

    scored = pd.read_csv(tmp_path / "scored.csv")
    assert list(scored["smiles"]) == ["CCN", "c1ccccc1"]
    assert scored["active"].between(0, 1).all()


# -- MoleculeEstimator in scikit-learn tooling --------------------------------------------------


@pytest.mark.parametrize("model", ["rf", "gine"])
def test_estimator_refuses_to_fit_on_nothing(model: str) -> None:
    """``fit([], [])`` and ``fit(X, all NaN)`` 'fitted' (a forest of no trees' worth of data, a
    GNN at its random weights) and then predicted class 1 / 0.5 for everything, where
    scikit-learn raises 'Found array with 0 sample(s)'."""
    from drugscreen.models.estimator import MoleculeEstimator

    est = MoleculeEstimator(model=model, epochs=1, model_params={"hidden": 8, "depth": 1} if model == "gine" else None)
    with pytest.raises(ValueError, match=r"0 sample\(s\)"):
        est.fit([], [])
    smiles = tiny_smiles(12)
    with pytest.raises(ValueError, match="no label"):
        est.fit(smiles, [float("nan")] * 12)
    y = [[float(i % 2), float("nan")] for i in range(12)]
    with pytest.raises(ValueError, match=r"y column 1 holds no label"):
        est.fit(smiles, y)
    assert not hasattr(est, "model_")


def test_estimator_model_params_are_tunable_one_by_one() -> None:
    """``GridSearchCV(pipe, {"moleculeestimator__model_params__n_estimators": [...]})`` failed
    with "'dict' object has no attribute 'set_params'": the model's parameters could only be
    searched as whole dicts. ``set_params(model_params__<name>=...)`` now sets one of them (on a
    copy: the dict the user passed, and a clone's, are left as they were)."""
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline

    from drugscreen.models.estimator import MoleculeEstimator

    given = {"n_estimators": 5}
    est = MoleculeEstimator(model="rf", model_params=given)
    twin = clone(est)
    assert est.set_params(model_params__min_samples_leaf=2, epochs=3) is est
    assert est.model_params == {"n_estimators": 5, "min_samples_leaf": 2} and est.epochs == 3
    assert given == {"n_estimators": 5} and twin.model_params == {"n_estimators": 5}
    assert MoleculeEstimator(model="rf").set_params(model_params__n_estimators=7).model_params == {"n_estimators": 7}
    smiles = tiny_smiles(40)
    y = [int("N" in s) for s in smiles]
    search = GridSearchCV(make_pipeline(MoleculeEstimator(model="rf", model_params={"n_estimators": 3})),
                          {"moleculeestimator__model_params__n_estimators": [3, 6]}, cv=2)
    search.fit(smiles, y)
    assert search.best_params_["moleculeestimator__model_params__n_estimators"] in (3, 6)
    assert search.best_estimator_[-1].model_params["n_estimators"] == search.best_params_[
        "moleculeestimator__model_params__n_estimators"]


def test_a_regressor_has_no_predict_proba() -> None:
    """``hasattr(regressor, "predict_proba")`` was True (the method raised only when called), where
    scikit-learn's estimators (``available_if``) and tools that ask hasattr expect False."""
    from drugscreen.models.estimator import MoleculeEstimator

    assert not hasattr(MoleculeEstimator(task_type="regression"), "predict_proba")
    assert hasattr(MoleculeEstimator(task_type="classification"), "predict_proba")
    reg = MoleculeEstimator(model="rf", task_type="regression", model_params={"n_estimators": 3})
    reg.fit(tiny_smiles(20), [float(len(s)) for s in tiny_smiles(20)])
    with pytest.raises(AttributeError, match="has no attribute 'predict_proba'") as info:
        reg.predict_proba(["CCO"])
    assert "only available for classification" in str(info.value.__cause__)  # as SVC(probability=False) says why


def test_a_registered_model_the_estimator_cannot_train_is_refused_before_featurizing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scikit-learn style model registered from outside (a logistic regression on fingerprints)
    failed deep in training with "__init__() got an unexpected keyword argument 'atom_dim'"."""
    from drugscreen.models.estimator import MoleculeEstimator
    from drugscreen.models.registry import MODELS

    class FPLogReg:
        name = "s14_logreg"

        def __init__(self, C: float = 1.0) -> None:
            self.C = C

    monkeypatch.setitem(MODELS._items, "s14logreg", FPLogReg)
    monkeypatch.setitem(MODELS._names, "s14logreg", "s14_logreg")
    import drugscreen.models.estimator as estimator_module

    def no_featurizing(*args: object, **kwargs: object) -> None:
        raise AssertionError("featurized before refusing the model")

    monkeypatch.setattr(estimator_module, "_featurize", no_featurizing)
    with pytest.raises(ConfigError, match=r"model 's14_logreg' .*not a GraphModel.*subclass drugscreen.models.GraphModel"):
        MoleculeEstimator(model="s14_logreg").fit(tiny_smiles(10), [0, 1] * 5)


# -- a model of one's own records its constructor arguments ------------------------------------


def _lazy_model_classes():
    """A user's GraphModel that never calls the private ``_store_params``, and a user's subclass of
    GINE with a constructor argument of its own."""
    import torch
    from torch import nn

    from drugscreen.models import GINE, GraphModel
    from drugscreen.models.base import scatter_mean

    class LazyGCN(GraphModel):
        name = "s14_lazy_gcn"

        def __init__(self, atom_dim: int, bond_dim: int, n_tasks: int, hidden: int = 8, head_groups=None) -> None:
            super().__init__(n_tasks, hidden, head_hidden=8, head_groups=head_groups)
            self.inp = nn.Linear(atom_dim, hidden)

        def encode(self, batch):
            return scatter_mean(torch.relu(self.inp(batch.x)), batch.batch, int(batch.num_graphs))

    class WideGINE(GINE):
        name = "s14_wide_gine"

        def __init__(self, atom_dim: int, bond_dim: int, n_tasks: int, width: int = 4, head_groups=None) -> None:
            super().__init__(atom_dim, bond_dim, n_tasks, hidden=2 * width, depth=1, head_hidden=8, head_groups=head_groups)

    return LazyGCN, WideGINE


def test_a_model_of_ones_own_records_its_arguments_without_store_params(monkeypatch: pytest.MonkeyPatch) -> None:
    """A GraphModel subclass that did not call the private, undocumented ``_store_params`` trained
    for every epoch and then failed writing its bundle with "'LazyGCN' object has no attribute
    '_p_atom_dim'"; a subclass of GINE with an argument of its own failed the same way."""
    from drugscreen.featurizers.graph import GraphFeaturizer
    from drugscreen.models import GINE, build_model
    from drugscreen.models.registry import MODELS

    lazy_cls, wide_cls = _lazy_model_classes()
    for cls in (lazy_cls, wide_cls):
        monkeypatch.setitem(MODELS._items, registry_module.normalize_name(cls.name), cls)
    a, b = GraphFeaturizer.atom_dim, GraphFeaturizer.bond_dim
    lazy = lazy_cls(a, b, 2, hidden=6)
    assert lazy.params() == {"atom_dim": a, "bond_dim": b, "n_tasks": 2, "hidden": 6, "head_groups": None}
    wide = wide_cls(a, b, n_tasks=1, width=3)
    assert wide.params() == {"atom_dim": a, "bond_dim": b, "n_tasks": 1, "width": 3, "head_groups": None}
    for model in (lazy, wide):
        again = build_model({"name": model.name, "params": model.params()})
        again.load_state_dict(model.state_dict())  # same shapes: the bundle loads
    # the built-in models record what they recorded before
    assert GINE(a, b, 2, hidden=32, depth=2, head_groups=(1, 1)).params() == {
        "atom_dim": a, "bond_dim": b, "n_tasks": 2, "hidden": 32, "depth": 2, "dropout": 0.1, "virtual_node": True,
        "use_edges": True, "pooling": "meanmax", "extra_dim": 0, "extra_hidden": 128, "head_hidden": 256,
        "head_layers": 2, "head_groups": [1, 1], "extra_dropout": None, "head_extra_columns": None}


def test_train_writes_a_bundle_of_a_model_without_store_params(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from drugscreen.bundle import load_bundle
    from drugscreen.models.registry import MODELS
    from drugscreen.training import TrainConfig, train

    lazy_cls, _ = _lazy_model_classes()
    monkeypatch.setitem(MODELS._items, "s14lazygcn", lazy_cls)
    monkeypatch.setitem(MODELS._names, "s14lazygcn", "s14_lazy_gcn")
    smiles = tiny_smiles(60)
    table = tmp_path / "assay.csv"
    table.write_text("smiles,active\n" + "".join(f"{s},{int('N' in s)}\n" for s in smiles))
    config = TrainConfig(dataset=[str(table)], model="s14_lazy_gcn", split="random", epochs=1, model_params={"hidden": 4},
                         calibration="none")
    result = train(config, tmp_path / "run")
    bundle = load_bundle(result.bundle_path)
    assert bundle.config["model"]["params"]["hidden"] == 4
    assert bundle.predict_smiles(["CCN", "CCO"]).mean.shape == (2, 1)


def test_a_model_whose_constructor_the_trainer_cannot_call_is_refused_when_registered() -> None:
    """The trainer builds every model as ``cls(atom_dim=, bond_dim=, n_tasks=, ...)``; a model of
    one's own taking other names was registered, then failed after featurizing with
    "__init__() got an unexpected keyword argument 'atom_dim'"."""
    from torch import nn

    from drugscreen.models import GraphModel
    from drugscreen.models.registry import MODELS

    class InDim(GraphModel):
        name = "s14_in_dim"

        def __init__(self, in_dim: int, n_out: int = 1) -> None:
            super().__init__(n_out, 4)
            self.lin = nn.Linear(in_dim, 4)

    with pytest.raises(ValueError, match=r"InDim.__init__ must take atom_dim, bond_dim, n_tasks \(the trainer passes them"):
        MODELS.register("s14_in_dim")(InDim)
    assert "s14_in_dim" not in MODELS._names.values()


def test_estimator_refuses_extra_features_a_model_cannot_take(monkeypatch: pytest.MonkeyPatch) -> None:
    """``extra_features="ecfp"`` with a model whose constructor has no ``extra_dim`` failed after
    featurizing with "unexpected keyword argument 'extra_dim'"."""
    import drugscreen.models.estimator as estimator_module
    from drugscreen.models.estimator import MoleculeEstimator
    from drugscreen.models.registry import MODELS

    lazy_cls, _ = _lazy_model_classes()
    monkeypatch.setitem(MODELS._items, "s14lazygcn", lazy_cls)
    monkeypatch.setitem(MODELS._names, "s14lazygcn", "s14_lazy_gcn")

    def no_featurizing(*args: object, **kwargs: object) -> None:
        raise AssertionError("featurized before refusing the option")

    monkeypatch.setattr(estimator_module, "_featurize", no_featurizing)
    with pytest.raises(ConfigError, match=r"extra_features='ecfp' needs model 's14_lazy_gcn' to take extra_dim"):
        MoleculeEstimator(model="s14_lazy_gcn", extra_features="ecfp").fit(tiny_smiles(10), [0, 1] * 5)


def test_registering_a_model_the_trainer_cannot_build_is_refused() -> None:
    """A scikit-learn style class registered as a model from a user's module was accepted, then
    ``drugscreen train --model logreg`` (and benchmark) crashed with a traceback ending in
    "FPLogReg.__init__() got an unexpected keyword argument 'atom_dim'": the trainer builds every
    registered name but the built-in rf as a GraphModel."""
    from drugscreen.models.registry import MODELS

    class FPLogReg:
        name = "s14_logreg"

        def __init__(self, C: float = 1.0) -> None:
            self.C = C

        def fit(self, X, y):
            return self

    with pytest.raises(ValueError, match=r"model 's14_logreg': FPLogReg is not a drugscreen.models.GraphModel subclass"):
        MODELS.register("s14_logreg")(FPLogReg)
    assert "s14_logreg" not in MODELS._names.values()


def test_a_model_taking_kwargs_is_refused_when_registered() -> None:
    """A model of one's own whose constructor took ``**kwargs`` (passing them on to GINE) was
    registered and trained, then writing its bundle failed with "no attribute '_p_kwargs'": a
    bundle rebuilds the model from named arguments only."""
    from drugscreen.models import GINE
    from drugscreen.models.registry import MODELS

    class KwGINE(GINE):
        name = "s14_kw_gine"

        def __init__(self, atom_dim: int, bond_dim: int, n_tasks: int, **kwargs) -> None:
            super().__init__(atom_dim, bond_dim, n_tasks, **kwargs)

    with pytest.raises(ValueError, match=r"KwGINE.__init__ takes \*\*kwargs.*name each argument"):
        MODELS.register("s14_kw_gine")(KwGINE)


@pytest.mark.usefixtures("fresh_plugins")
def test_an_estimator_of_a_plugin_model_unpickles_with_its_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``cross_val_score(MoleculeEstimator(model="my_gcn"), ..., n_jobs=2)`` failed in every fold
    with "unknown model 'my_gcn'": the worker processes unpickle the estimator without ever
    importing the module that registers the model (the parent had). The pickle now carries that
    module, imported when the estimator is unpickled."""
    import pickle

    from drugscreen.featurizers.base import FEATURIZERS
    from drugscreen.models.estimator import MoleculeEstimator
    from drugscreen.models.registry import MODELS

    module, model, fp = "s14_pickle_plugin", "s14_pickle_gcn", "s14_pickle_fp"
    _write_plugin(tmp_path, module, model, fp)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        __import__(module)
        blob = pickle.dumps(MoleculeEstimator(model=model, epochs=1))
        _forget(module, [(MODELS, model), (FEATURIZERS, fp)])  # what a fresh worker process knows
        est = pickle.loads(blob)
        assert model in MODELS and est.model == model
        smiles = tiny_smiles(20)
        assert est.fit(smiles, [int("N" in s) for s in smiles]).predict_proba(smiles[:2]).shape == (2, 2)
    finally:
        _forget(module, [(MODELS, model), (FEATURIZERS, fp)])
