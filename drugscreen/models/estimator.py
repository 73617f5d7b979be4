"""A scikit-learn style estimator over SMILES, so GNNs and fingerprint baselines are interchangeable.

>>> est = MoleculeEstimator(model="dmpnn", epochs=30).fit(smiles, y)      # doctest: +SKIP
>>> est.predict_proba(new_smiles)[:, 1]                                   # doctest: +SKIP

``fit(X, y)`` takes SMILES and labels (``(n,)`` or ``(n, n_tasks)``, NaN = missing), holds out
``valid_fraction`` of the molecules (random, seeded) for early stopping, and trains one
model (``model`` is any name of :data:`~drugscreen.models.MODELS`, including ``rf``).
Learned attributes end in ``_``; ``get_params``/``set_params``/``clone`` come from
``BaseEstimator``; a fitted estimator predicts as it was fitted (``task_type_``, ``config_``),
whatever ``set_params`` changed since, until the next ``fit``. Invalid SMILES raise :class:`~drugscreen.exceptions.InvalidMoleculeError`.
``X`` is a sequence of SMILES: a list, a 1-D array (or an ``(n, 1)`` one), a pandas Series or a
one-column DataFrame. As in scikit-learn, ``fit`` refuses ``X`` and ``y`` of different lengths
(``ValueError``), as it refuses an empty ``X`` and a ``y`` (or task column) without a label, and
``predict``/``predict_proba`` before ``fit`` raise :class:`~sklearn.exceptions.NotFittedError`.
One model argument is set (or searched by ``GridSearchCV``) as ``model_params__<name>``.
A model of one's own (a registered :class:`~drugscreen.models.base.GraphModel`) trains here too;
an unfitted estimator pickles with the module that registers it, so worker processes know it.

It is a classifier or a regressor as ``task_type`` says, for scikit-learn too
(``is_classifier``; stratified folds and the ``predict_proba`` column in
``cross_val_score(..., scoring="roc_auc")``): ``classes_`` after fitting a classifier, no
``predict_proba`` on a regressor (``hasattr`` is False), and ``score`` is sklearn's default
(accuracy, or R²):

>>> cross_val_score(MoleculeEstimator(epochs=30), smiles, y, cv=5, scoring="roc_auc")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.metaestimators import available_if

from drugscreen.exceptions import ConfigError, InvalidMoleculeError

__all__ = ["MoleculeEstimator"]

logger = logging.getLogger(__name__)


def _as_smiles(X: Any) -> list[str]:
    """The SMILES of ``X`` as a list: a sequence of strings, a 1-D or ``(n, 1)`` array, a pandas
    Series or a one-column DataFrame.

    Raises
    ------
    TypeError
        ``X`` is a single string, a DataFrame with several columns or an array of another shape.
    """
    import pandas as pd

    if isinstance(X, str | bytes):
        raise TypeError("X must be a sequence of SMILES, not a single string: wrap it in a list ([smiles])")
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            raise TypeError(
                f"X must be SMILES: a list, a Series or a one-column DataFrame; got a DataFrame with {X.shape[1]} "
                f"columns ({', '.join(map(str, list(X.columns)[:5]))}): select the SMILES column (X['smiles'])"
            )
        return X.iloc[:, 0].tolist()
    if isinstance(X, pd.Series):
        return X.tolist()
    if isinstance(X, np.ndarray):
        if X.ndim == 2 and X.shape[1] == 1:
            return X[:, 0].tolist()
        if X.ndim != 1:
            raise TypeError(f"X must be a 1-D array of SMILES (or of shape (n, 1)), got shape {X.shape}")
        return X.tolist()
    return list(X)


def _as_labels(y: Any) -> np.ndarray:
    """``y`` as a float64 array, NaN where missing (``None``, NaN, ``pd.NA``).

    Raises
    ------
    ValueError
        A label is not a number (``"yes"``, ``"active"``): it names the first such label.
    """
    import pandas as pd

    try:
        if isinstance(y, pd.Series | pd.DataFrame):
            return y.to_numpy(dtype=float, na_value=np.nan)
        return np.asarray(y, dtype=float)
    except (TypeError, ValueError):
        pass
    obj = np.asarray(y, dtype=object)
    flat = obj.ravel()
    for i, v in enumerate(flat):
        if v is None or v is pd.NA:
            continue
        try:
            float(v)
        except (TypeError, ValueError):
            raise ValueError(
                f"y must hold numbers (0/1 for classification; NaN, None or pd.NA = missing), but label {i} is {v!r}: "
                "write classes as 0 and 1 (1 = the active class)"
            ) from None
    return np.array([np.nan if v is None or v is pd.NA else float(v) for v in flat]).reshape(obj.shape)


def _registering_module(name: Any) -> str | None:
    """The module of the class registered as model ``name`` when it lies outside drugscreen (a
    model of one's own) and can be imported by name (not ``__main__``); else ``None``."""
    from drugscreen.exceptions import UnknownNameError
    from drugscreen.models.registry import MODELS

    if not isinstance(name, str):
        return None
    try:
        cls = MODELS.get(name)
    except (UnknownNameError, ConfigError):
        return None
    module = str(getattr(cls, "__module__", "") or "")
    return None if not module or module == "__main__" or module.split(".")[0] == "drugscreen" else module


def _check_labelled(y: np.ndarray) -> None:
    """Refuse a training set with no molecule, no label, or a task column with no label (it
    would "fit" and then predict from the initial weights, or a class for everything).

    Raises
    ------
    ValueError
        As scikit-learn does for an empty ``X`` (``Found array with 0 sample(s)``), and naming the
        first task column without a label.
    """
    if y.shape[0] == 0:
        raise ValueError(f"Found array with 0 sample(s) (shape={y.shape}) while a minimum of 1 is required by MoleculeEstimator.")
    labelled = ~np.isnan(y)
    if not labelled.any():
        raise ValueError("y holds no label (every value is NaN, None or pd.NA): give measured values to learn from")
    empty = np.flatnonzero(~labelled.any(axis=0))
    if len(empty):
        raise ValueError(f"y column {int(empty[0])} holds no label (every value is missing); leave that task out")


def _featurize(
    smiles: Sequence[str], descriptors: dict[str, Any] | None = None, training: bool = False
) -> tuple[list[Any], np.ndarray, list[str], np.ndarray | None]:
    """Graphs, packed ECFP4, standardized SMILES and (with ``descriptors``, a featurizer config)
    the raw values of that featurizer (the descriptors, or a fingerprint named by ``extra_features``).

    Training molecules are standardized with the datasets' policy (a dataset's few radicals are
    kept, as ``drugscreen train`` keeps them), except that an inorganic salt or mixture is
    refused as screening refuses it: the policy would keep its largest fragment's parent, so
    ``[Na+].[Cl-]`` would be learnt as hydrogen chloride. Molecules to predict use the screening
    default.
    """
    from dataclasses import replace

    from drugscreen.domain import ecfp4_packed
    from drugscreen.featurizers.base import build_featurizer, featurize_rows
    from drugscreen.featurizers.graph import GraphFeaturizer
    from drugscreen.featurizers.molecule import (
        DATASET_STANDARDIZER,
        DEFAULT_STANDARDIZER,
        prepare_molecule,
    )

    feat = GraphFeaturizer()
    policy = replace(DATASET_STANDARDIZER, allow_inorganic_mixtures=False) if training else DEFAULT_STANDARDIZER
    parsed = [prepare_molecule(s, policy) for s in smiles]
    for i, p in enumerate(parsed):
        if not p.valid:
            raise InvalidMoleculeError(i, p.smiles, p.error)
    mols = [p.mol for p in parsed]
    desc = None if descriptors is None else featurize_rows(build_featurizer(descriptors), mols).astype(np.float64)
    return [feat(m) for m in mols], ecfp4_packed(mols), [p.smiles_std for p in parsed], desc


def _holdout(smiles_std: Sequence[str], valid_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(train_idx, valid_idx)``, sorted: the early-stopping holdout, drawn so that no
    standardized parent is on both sides.

    Molecules are visited in a seeded random order (``np.random.default_rng(seed).permutation``)
    and each one not held out yet brings all its copies (same standardized SMILES: a duplicate
    row, another salt form of its parent) into the holdout, until it holds
    ``round(valid_fraction * n)`` molecules (at least one; none for ``n <= 4``). Distinct
    molecules are thus held out exactly as a plain permutation's first rows; a parent whose copies
    would leave nothing to train on is skipped.
    """
    n = len(smiles_std)
    order = np.random.default_rng(seed).permutation(n)
    n_valid = max(1, int(round(valid_fraction * n))) if n > 4 else 0
    groups: dict[str, list[int]] = {}
    for i, s in enumerate(smiles_std):
        groups.setdefault(s, []).append(i)
    held = np.zeros(n, dtype=bool)
    count = 0
    for i in order:
        if count >= n_valid:
            break
        if held[i]:
            continue
        rows = groups[smiles_std[i]]
        if count + len(rows) >= n:  # would leave no molecule to train on
            continue
        held[rows] = True
        count += len(rows)
    return np.flatnonzero(~held), np.flatnonzero(held)


class MoleculeEstimator(BaseEstimator):
    """Train any registered model on SMILES with the sklearn ``fit/predict/predict_proba`` contract.

    Parameters
    ----------
    model
        Registered model name (``gine``, ``dmpnn``, ``attentivefp``, ``fp_mlp``, ``rf``).
    task_type
        ``"classification"`` or ``"regression"`` (all tasks).
    epochs, batch_size, lr, patience
        Optimisation settings (ignored by ``rf``).
    model_params
        Model constructor arguments.
    extra_features
        ``"none"``, ``"ecfp"``, ``"descriptors"``, ``"ecfp+descriptors"`` or the name of a
        registered fingerprint or descriptor featurizer (hybrids, as in
        :class:`~drugscreen.training.config.TrainConfig`; the scaler is fitted on the molecules
        that train); ``fp_mlp`` always uses ``"ecfp"``.
    valid_fraction
        Share of the training molecules held out for early stopping (drawn by standardized
        parent: copies of one molecule, or salt forms of one parent, are all held out or all
        trained on).
    random_state
        Seed for the hold-out split and the model: an integer, or (as in scikit-learn) ``None``
        or a ``numpy.random.RandomState``, from which each ``fit`` draws its seed
        (``seed_`` after fitting).
    num_threads, device
        torch settings.
    """

    def __init__(
        self,
        model: str = "dmpnn",
        task_type: str = "classification",
        epochs: int = 30,
        batch_size: int = 64,
        lr: float = 1e-3,
        patience: int = 10,
        model_params: dict[str, Any] | None = None,
        extra_features: str = "none",
        valid_fraction: float = 0.1,
        random_state: int | np.random.RandomState | None = 0,
        num_threads: int = 1,
        device: str = "cpu",
    ) -> None:
        self.model = model
        self.task_type = task_type
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.patience = patience
        self.model_params = model_params
        self.extra_features = extra_features
        self.valid_fraction = valid_fraction
        self.random_state = random_state
        self.num_threads = num_threads
        self.device = device

    def __getstate__(self) -> dict[str, Any]:
        """scikit-learn's state, plus the module that registers a model of one's own: a process
        that unpickles the estimator (``cross_val_score(..., n_jobs=2)``'s workers) imports it, so
        the model name is known there too."""
        state = super().__getstate__()
        module = _registering_module(self._model_name)
        if module is not None:
            state["_model_module"] = module
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        module = state.pop("_model_module", None)
        if module is not None and module not in sys.modules:
            import importlib

            try:
                importlib.import_module(module)
            except ImportError as exc:  # fit then says the model is unknown, and how plugins are found
                logger.warning("could not import %s, which registers model %r: %s", module, state.get("model"), exc)
        super().__setstate__(state)

    def set_params(self, **params: Any) -> MoleculeEstimator:
        """Set parameters, as scikit-learn's ``set_params``; ``model_params__<name>=value`` sets one
        model constructor argument (``GridSearchCV(est, {"model_params__hidden": [64, 128]})``, or
        ``"moleculeestimator__model_params__hidden"`` in a pipeline), on a copy of ``model_params``.
        """
        nested = {k.split("__", 1)[1]: params.pop(k) for k in list(params) if k.startswith("model_params__")}
        super().set_params(**params)
        if nested:
            self.model_params = {**(self.model_params or {}), **nested}
        return self

    # -- what scikit-learn reads: classifier or regressor, from task_type ----------------------
    @property
    def _estimator_type(self) -> str:
        """``"classifier"`` or ``"regressor"`` (how scikit-learn < 1.6 tells them apart)."""
        return "classifier" if self.task_type == "classification" else "regressor"

    def __sklearn_tags__(self) -> Any:
        """scikit-learn >= 1.6 tags: a classifier or a regressor as ``task_type`` says, over SMILES strings."""
        from sklearn.utils import ClassifierTags, RegressorTags

        tags = super().__sklearn_tags__()
        tags.estimator_type = self._estimator_type
        if tags.estimator_type == "classifier":
            tags.classifier_tags = ClassifierTags(multi_class=False, multi_label=True)
            tags.regressor_tags = None
        else:
            tags.classifier_tags = None
            tags.regressor_tags = RegressorTags()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        tags.non_deterministic = self._model_name != "rf"
        return tags

    def _check_task_type(self) -> None:
        if self.task_type not in ("classification", "regression"):
            raise ConfigError(f"task_type must be 'classification' or 'regression', got {self.task_type!r}")

    def _check_trainable(self) -> None:
        """Refuse a registered model this estimator cannot train (before any featurizing): it trains
        :class:`~drugscreen.models.base.GraphModel` subclasses, and ``rf``.

        Raises
        ------
        UnknownNameError
            ``model`` is not registered.
        ConfigError
            ``model`` is registered but is not a ``GraphModel`` (e.g. a scikit-learn style class),
            or ``extra_features`` are asked of a model whose constructor takes no ``extra_dim``.
        """
        import inspect

        from drugscreen.models import MODELS, GraphModel

        cls = MODELS.get(self._model_name)
        if self._model_name == "rf":
            return
        if not (isinstance(cls, type) and issubclass(cls, GraphModel)):
            what = f"{getattr(cls, '__module__', '?')}.{getattr(cls, '__qualname__', cls)}"
            raise ConfigError(
                f"model {self.model!r} ({what}) is not a GraphModel, which is what MoleculeEstimator (and drugscreen "
                "train) can train besides the built-in rf: subclass drugscreen.models.GraphModel (a model of a "
                "fingerprint reads it as `extra`, as fp_mlp does)"
            )
        params = inspect.signature(cls.__init__).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        if self.extra_features != "none" and "extra_dim" not in params and not takes_any:
            raise ConfigError(
                f"extra_features={self.extra_features!r} needs model {self.model!r} to take extra_dim (the width of the "
                f"extra input) in its constructor; give extra_features='none' or add extra_dim to {cls.__name__}"
            )

    @property
    def _model_name(self) -> str:
        """``model`` as registered (``"FP-MLP"`` and ``"fpmlp"`` are ``"fp_mlp"``, ``"RF"`` is
        ``"rf"``); the parameter itself is left as given, as scikit-learn requires."""
        from drugscreen.training.config import _canonical_model_name

        return _canonical_model_name(self.model) if isinstance(self.model, str) else self.model

    def _seed(self) -> int:
        """The seed of one fit: ``random_state`` itself, or one drawn from it when it is ``None``
        or a ``RandomState`` (``seeds=[None]`` was refused as "seeds must be integers")."""
        rs = self.random_state
        if rs is None or isinstance(rs, np.random.RandomState):
            from sklearn.utils import check_random_state

            return int(check_random_state(rs).randint(np.iinfo(np.int32).max))
        if isinstance(rs, bool) or not isinstance(rs, int | np.integer):
            raise ConfigError(f"random_state must be an integer, None or a numpy RandomState, not {rs!r}")
        return int(rs)

    def _config(self, seed: int = 0) -> Any:
        from drugscreen.training.config import TrainConfig

        extra = "ecfp" if self._model_name == "fp_mlp" else self.extra_features
        return TrainConfig(
            dataset=["estimator"], model=self._model_name, split="random", seeds=[seed], epochs=self.epochs,
            batch_size=self.batch_size, lr=self.lr, patience=self.patience, model_params=dict(self.model_params or {}),
            extra_features=extra, num_threads=self.num_threads, device=self.device, calibration="none",
        )

    @staticmethod
    def _uses_descriptors(config: Any) -> dict[str, Any] | None:
        """The featurizer config of the scaled extra vector the model takes, or ``None``."""
        from drugscreen.training.data import DESCRIPTOR_FEATURIZER

        if config.model == "rf" or not config.extra_vector:
            return None
        return config.extra_featurizer or DESCRIPTOR_FEATURIZER

    def fit(self, X: Sequence[str], y: np.ndarray) -> MoleculeEstimator:
        """Train on SMILES ``X`` and labels ``y`` (``(n,)`` or ``(n, n_tasks)``, NaN = missing).

        Raises
        ------
        ValueError
            ``X`` and ``y`` hold different numbers of samples, ``X`` is empty, ``y`` (or one of
            its columns) holds no label, or classification labels are other than 0/1.
        TypeError
            ``X`` is not a sequence of SMILES (see :func:`_as_smiles`).
        """
        import torch

        from drugscreen.training.data import DatasetPart, Part, TrainingData
        from drugscreen.training.trainer import _scaler, fit_member

        self._check_task_type()
        self._check_trainable()
        X = _as_smiles(X)
        y = _as_labels(y)
        if y.ndim not in (1, 2):
            raise ValueError(f"y must have shape (n,) or (n, n_tasks), got {y.shape}")
        if len(X) != len(y):
            raise ValueError(f"Found input variables with inconsistent numbers of samples: [{len(X)}, {len(y)}]")
        y2 = y[:, None] if y.ndim == 1 else y
        _check_labelled(y2)
        self.single_output_ = y.ndim == 1
        if self.task_type == "classification":
            labels = y2[~np.isnan(y2)]
            if not np.isin(labels, (0.0, 1.0)).all():
                odd = sorted(set(labels[~np.isin(labels, (0.0, 1.0))].tolist()))[:5]
                raise ValueError(f"classification labels must be 0 or 1 (NaN = missing), got {odd}")
            # predict() gives 0/1 and predict_proba() column 1 is the positive class
            self.classes_ = np.array([0, 1]) if self.single_output_ else [np.array([0, 1])] * y2.shape[1]
        elif hasattr(self, "classes_"):  # refitted as a regressor
            del self.classes_
        self.seed_ = seed = self._seed()
        config = self._config(seed)
        graphs, fps, smiles_std, raw_desc = _featurize(X, self._uses_descriptors(config), training=True)
        n, n_tasks = y2.shape
        train_idx, valid_idx = _holdout(smiles_std, self.valid_fraction, seed)

        desc = None
        self.descriptor_scaler_ = None
        if raw_desc is not None:
            from drugscreen.featurizers.descriptors import DescriptorScaler
            from drugscreen.training.data import DESCRIPTOR_CLIP

            self.descriptor_scaler_ = DescriptorScaler(clip=DESCRIPTOR_CLIP).fit(raw_desc[train_idx])
            desc = self.descriptor_scaler_.transform(raw_desc)

        def part(idx: np.ndarray) -> Part:
            return Part([graphs[i] for i in idx], y2[idx], fps[idx], [smiles_std[i] for i in idx], np.zeros(len(idx), dtype=np.int64),
                        desc=None if desc is None else desc[idx])

        tasks = [{"name": f"task_{t}", "column": f"task_{t}", "type": self.task_type, "units": "", "direction": "neutral", "dataset": "estimator"} for t in range(n_tasks)]
        data = TrainingData(
            tasks=tasks,
            datasets=[DatasetPart("estimator", "", "", n, len(train_idx), len(valid_idx), 0, 0, (0, n_tasks), self.task_type)],
            train=part(train_idx), valid=part(valid_idx), test=part(np.zeros(0, dtype=np.int64)),
            featurizer_config={}, standardizer_config={}, split_kind="random",
        )
        is_cls = data.is_classification
        self.y_mean_, self.y_std_ = _scaler(data.train.y, is_cls)
        # training sets torch's thread count and seeds its generator; both are process-wide, so
        # the caller's are put back afterwards (a fit left torch on one thread and reseeded)
        threads = torch.get_num_threads()
        try:
            with torch.random.fork_rng(devices=[]):
                torch.set_num_threads(max(1, self.num_threads))
                if self._model_name == "rf":
                    from drugscreen.domain import unpack_bits
                    from drugscreen.models import ECFPRandomForest

                    self.model_ = ECFPRandomForest(
                        task_types=self.task_type, random_state=seed, **(self.model_params or {})
                    )
                    self.model_.fit(unpack_bits(fps), y2)
                else:
                    self.model_, self.history_, self.best_epoch_ = fit_member(data, config, seed)
        finally:
            torch.set_num_threads(threads)
        self.n_tasks_ = n_tasks
        # what predict reads: set_params after fit must not change what the fitted model means
        self.task_type_ = self.task_type
        self.config_ = config
        return self

    def _predict(self, X: Sequence[str]) -> np.ndarray:
        from sklearn.utils.validation import check_is_fitted

        from drugscreen.domain import unpack_bits
        from drugscreen.training.metrics import to_units
        from drugscreen.training.trainer import _predict_raw

        check_is_fitted(self, "model_")
        config = self._fitted_config()
        graphs, fps, _, raw_desc = _featurize(_as_smiles(X), self._uses_descriptors(config))
        if config.model == "rf":
            return self.model_.predict(unpack_bits(fps))
        import torch

        desc = None if raw_desc is None else self.descriptor_scaler_.transform(raw_desc)
        raw = _predict_raw(self.model_, graphs, fps, config, torch.device(self.device), desc=desc)
        is_cls = np.full(self.n_tasks_, self._fitted_task_type() == "classification")
        return to_units(raw, is_cls, self.y_mean_, self.y_std_)

    def predict(self, X: Sequence[str]) -> np.ndarray:
        """Values (regression) or 0/1 labels (classification, threshold 0.5), as the model was
        fitted (``set_params`` takes effect at the next ``fit``)."""
        out = self._predict(X)
        if self._fitted_task_type() == "classification":
            out = (out >= 0.5).astype(int)
        return out[:, 0] if self.single_output_ else out

    def _fitted_task_type(self) -> str:
        """The ``task_type`` the model was fitted as (``task_type`` itself before fitting, or for an
        estimator fitted by an older drugscreen): ``set_params`` after ``fit`` does not change
        what the fitted model predicts."""
        return str(getattr(self, "task_type_", self.task_type))

    def _fitted_config(self) -> Any:
        """The :class:`~drugscreen.training.config.TrainConfig` the model was fitted with (model
        name, ``extra_features``); built from the current parameters for an estimator fitted by an
        older drugscreen."""
        config = getattr(self, "config_", None)
        return config if config is not None else self._config()

    def _is_classification(self) -> bool:
        """``available_if`` check of :meth:`predict_proba` (the reason becomes the error's cause):
        the fitted task type once fitted."""
        task_type = self._fitted_task_type()
        if task_type != "classification":
            raise AttributeError(f"predict_proba is only available for classification, not task_type={task_type!r}")
        return True

    @available_if(_is_classification)
    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """Classification: ``(n, 2)`` for one task (sklearn convention), else ``(n, n_tasks)`` positive-class
        probabilities. A regressor has no ``predict_proba`` (``hasattr`` is False, as in scikit-learn)."""
        p = self._predict(X)
        return np.stack([1 - p[:, 0], p[:, 0]], axis=1) if self.single_output_ else p

    def score(self, X: Sequence[str], y: np.ndarray, sample_weight: np.ndarray | None = None) -> float:
        """scikit-learn's default score: accuracy (classification; subset accuracy for several
        tasks) or R² (regression; averaged over tasks) of :meth:`predict` on ``X`` against ``y``."""
        from sklearn.metrics import accuracy_score, r2_score

        if self._fitted_task_type() == "classification":
            return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))
        return float(r2_score(y, self.predict(X), sample_weight=sample_weight))
