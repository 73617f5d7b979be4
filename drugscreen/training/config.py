"""Training configuration: one dataclass, loadable from TOML, overridable from the CLI.

Keys of the TOML file are the field names of :class:`TrainConfig` (``dataset``, ``model``,
``split``, ``seeds``, ``ensemble``, ``epochs``, ...), plus an optional ``[model_params]``
table passed to the model constructor and ``[epoch_fraction]`` / ``[dataset_weights]``
tables keyed by dataset name. :func:`resolve_config` merges a file with explicit overrides
(CLI flags win) and the resolved config is written next to every output.
"""

from __future__ import annotations

import inspect
import math
import os
import re
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from drugscreen.exceptions import ConfigError
from drugscreen.messages import closest_names, did_you_mean
from drugscreen.training.calibration import CALIBRATION_METHODS

__all__ = ["TrainConfig", "resolve_config"]

#: The ``extra_features`` values that are not a featurizer's name.
EXTRA_FEATURES = ("none", "ecfp", "descriptors", "ecfp+descriptors")

# The trainable models' registered names: ``model`` is stored as one of these (the registry reads
# "FP-MLP" or "RF" too, but the trainer and the bundle compare the name with "fp_mlp" and "rf").
_TRAINABLE_MODELS = ("gine", "dmpnn", "attentivefp", "fp_mlp", "rf")


@dataclass
class TrainConfig:
    """Everything that defines a training run.

    Attributes
    ----------
    dataset
        One registered dataset name, or several (a joint panel, one head group per dataset). An
        entry that is a file (``.csv``, ``.tsv``, ``.txt``, optionally gzipped, or any path with
        a ``/``) is the user's own table, read by :func:`drugscreen.data.load_table` (its
        dataset name is the file name without suffixes). An entry may also be a table of the
        file's own options, ``{"path": "herg.csv", "targets": ["active"]}`` (in TOML an inline
        table, as in a benchmark config): it is stored as its path here and its options in
        ``tables``.
    smiles_column, targets, task_type
        How a file dataset is read: its SMILES column (default: the one named ``smiles``,
        ``canonical_smiles`` or ``smi``), its label columns (default: all others but an id/name
        column) and ``"classification"`` / ``"regression"`` (default: inferred from the values).
        Only for file datasets; they apply to every file that ``tables`` gives no value of its own.
    tables
        Per-file options, ``{path: {"targets": [...], "smiles_column": ..., "task_type": ...}}``,
        keyed by the path as in ``dataset``; a value given here wins over the run-wide one.
    model
        Registered model name (``gine``, ``dmpnn``, ``attentivefp``, ``fp_mlp``, ``rf``).
    split
        ``scaffold`` (deterministic 80/10/10, per dataset), ``random``, ``balanced_scaffold`` or
        ``stratified`` (see :func:`drugscreen.data.splits.make_split`).
    seeds
        One training run per seed; with ``ensemble > 1`` a run trains members ``seed*1000+i``.
    ensemble
        Ensemble members per seed (a bundle holds them all).
    epochs, patience, min_epochs
        Maximum epochs; stop after ``patience`` epochs without validation improvement, but
        never before ``min_epochs`` epochs (joint validation scores are noisy early on).
    batch_size, lr, weight_decay, warmup_epochs, grad_clip
        Optimisation (AdamW, linear warm-up then cosine decay).
    ema_decay
        0 (off) or the decay of an exponential moving average of the weights, updated after
        every step (the decay ramps up as ``min(ema_decay, (1 + t) / (10 + t))``); validation,
        early stopping and the saved member then use the averaged weights.
    model_params
        Constructor arguments of the model (``hidden``, ``depth``, ``dropout``, ...).
    extra_features
        ``None`` (not given: ``"ecfp"`` for ``fp_mlp``, else ``"none"``), ``"none"``, ``"ecfp"`` (ECFP4 bits concatenated to the graph embedding: a hybrid),
        ``"descriptors"`` (the 21 ``fast_descriptors``, standardized with a scaler fitted on the
        training part, clipped to +-5) or ``"ecfp+descriptors"`` (both), or the name of a
        registered featurizer that turns a molecule into a vector (``"maccs"``, ``"morgan"``,
        one of a plugin's; default parameters), its values scaled as the descriptors are; the
        bundle records its config and a screen rebuilds it.
    head
        ``"shared"`` (one MLP for all tasks) or ``"per_dataset"`` (one MLP per dataset).
    head_descriptors
        Descriptors that only some datasets' heads take, past the trunk, e.g.
        ``{"lipophilicity": ["MolLogP"]}``: names from
        :data:`~drugscreen.training.data.HEAD_DESCRIPTORS` (Crippen logP and MR, which the
        trunk's ``fast_descriptors`` lack), scaled like the others. Needs ``extra_features``
        with descriptors and ``head = "per_dataset"``; the bundle's descriptor input is then
        ``fast_descriptors`` version 2 (the trunk still sees version 1's columns only).
    dataset_weighting
        How much each dataset's labels count in the loss: ``"equal"`` (every dataset the same
        total weight), ``"sqrt"`` (proportional to the square root of its label count) or
        ``"none"`` (every label the same).
    dataset_weights
        Extra multipliers per dataset name.
    epoch_fraction
        Per dataset, the fraction of its training molecules drawn afresh each epoch (molecules
        with a positive label are always kept); e.g. ``{"hiv": 0.3}``.
    pos_weight
        Class-imbalance handling for classification: ``"sqrt"`` (sqrt(neg/pos), capped),
        ``"balanced"`` (neg/pos, capped) or ``"none"``.
    calibration
        ``"platt"``, ``"intercept"``, ``"isotonic"``, ``"temperature"``, ``"auto"`` (per dataset,
        ``platt`` or ``intercept`` by cross-validated log loss on validation) or ``"none"``; fitted
        on validation (:mod:`drugscreen.training.calibration`).
    device
        ``"cpu"`` (default) or ``"cuda"``.
    num_threads
        torch intra-op threads (default 1: on a shared, loaded machine 2 threads spin and ran
        20x slower per step than 1 in our measurements).
    head_finetune_epochs
        After training, re-fit each dataset's head on the frozen trunk for up to this many
        epochs, early-stopped on that dataset's own validation score; a head is replaced only
        if its validation score improves (0 = off). Needs ``head = "per_dataset"`` to act per
        dataset; with a shared head the whole head is re-fitted.
    workers
        Ensemble members trained at the same time in separate (forked) processes, each with
        ``num_threads`` threads; members are independent, so results do not change.
    weights_dtype
        ``"float32"`` or ``"float16"`` for the stored weights.
    forest
        Blend an ECFP4 random forest into some datasets' predictions, e.g.
        ``{"datasets": ["hiv", "tox21"], "n_estimators": 50, "min_samples_leaf": 1}``: per
        seed, a forest per listed dataset is fitted on that dataset's training molecules (the
        same leak-free training set) with the seed; each member's probability (or value) becomes
        ``w * member + (1 - w) * forest``, with ``w`` per dataset chosen on validation from
        ``0, 0.1, ..., 1`` (ties go to the larger ``w``); calibration is fitted after the blend.
        ``weight_rule = "one_se"`` takes instead the largest ``w`` whose validation score is
        within one standard error of the best ``w``'s (paired bootstrap of the validation
        molecules, 200 draws, seed 0): the forest's share grows only as far as validation can
        tell it helps; the default ``"best"`` takes the best score however small its lead.
        ``n_estimators``, ``min_samples_leaf`` and ``max_features`` may also be given per dataset
        (``{"hiv": 20, "tox21": 5}``). ``molecules = "dataset"`` fits each forest on its
        dataset's whole training split instead, keeping the molecules the joint training set
        leaves out because another dataset validates or tests on them (a forest predicts only its
        own dataset's tasks, so nothing leaks; duplicates of the dataset's own validation or test
        molecules stay out); the default ``"joint"`` uses the joint set. The
        bundle stores the forests as arrays
        (``forest.safetensors``), except those of datasets whose chosen weight is 1 (unused).
        ``None`` = no forest.
    data_dir, cache_dir
        Dataset directory (default ``$DRUGSCREEN_DATA_DIR``) and feature cache
        (default ``~/.cache/drugscreen/features``).
    name, description
        Bundle name and one-line description.
    """

    dataset: list[str] = field(default_factory=lambda: ["bbbp"])
    smiles_column: str | None = None
    targets: list[str] = field(default_factory=list)
    task_type: str | None = None
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    model: str = "dmpnn"
    split: str = "scaffold"
    seeds: list[int] = field(default_factory=lambda: [0])
    ensemble: int = 1
    epochs: int = 50
    patience: int = 10
    min_epochs: int = 0
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0
    warmup_epochs: int = 2
    grad_clip: float = 10.0
    ema_decay: float = 0.0
    model_params: dict[str, Any] = field(default_factory=dict)
    extra_features: str | None = None
    head: str = "shared"
    head_descriptors: dict[str, list[str]] = field(default_factory=dict)
    dataset_weighting: str = "sqrt"
    dataset_weights: dict[str, float] = field(default_factory=dict)
    epoch_fraction: dict[str, float] = field(default_factory=dict)
    pos_weight: str = "sqrt"
    calibration: str = "platt"
    device: str = "cpu"
    num_threads: int = 1
    workers: int = 1
    head_finetune_epochs: int = 0
    weights_dtype: str = "float32"
    forest: dict[str, Any] | None = None
    data_dir: str | None = None
    cache_dir: str | None = None
    name: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.dataset, str):
            self.dataset = [d.strip() for d in self.dataset.split(",") if d.strip()]
        if isinstance(self.dataset, list) and isinstance(self.tables, dict):
            self.dataset, self.tables = _table_entries(self.dataset, self.tables)
        if isinstance(self.targets, str):
            self.targets = [t.strip() for t in self.targets.split(",") if t.strip()]
        self.seeds = _parse_seeds(self.seeds)
        if isinstance(self.model, str):  # "FP-MLP", "fpmlp" -> "fp_mlp"; an unknown name is refused below
            self.model = _canonical_model_name(self.model)
        if self.extra_features is None:
            # fp_mlp reads only the extra features: ECFP4 by default, as MoleculeEstimator does
            self.extra_features = "ecfp" if self.model == "fp_mlp" else "none"
        self._check_types()
        checks = {
            "split": ("scaffold", "random", "balanced_scaffold", "stratified"),
            "head": ("shared", "per_dataset"),
            "dataset_weighting": ("equal", "sqrt", "none"),
            "pos_weight": ("sqrt", "balanced", "none"),
            "calibration": CALIBRATION_METHODS,
            "weights_dtype": ("float32", "float16"),
        }
        self._check_extra_features()
        for key, allowed in checks.items():
            if getattr(self, key) not in allowed:
                value = getattr(self, key)
                hint = did_you_mean(value, allowed) if isinstance(value, str) else ""
                raise ConfigError(f"{key} must be one of {', '.join(allowed)}, not {value!r}{hint}", key=key)
        if not self.dataset:
            raise ConfigError("no dataset given")
        self._check_files()
        if not self.seeds:
            raise ConfigError("no seeds given", key="seeds")
        if any(s < 0 for s in self.seeds):
            raise ConfigError(f"seeds must be integers >= 0, not {self.seeds}", key="seeds")
        if len(set(self.seeds)) != len(self.seeds):
            raise ConfigError(f"seeds {self.seeds} repeat a seed: each seed trains the same model again, so the "
                              "spread over seeds and the ensemble would be overstated; give each seed once", key="seeds")
        if self.model == "fp_mlp" and self.extra_features == "none":
            raise ConfigError("fp_mlp reads only the extra features: extra_features must be ecfp (the default), descriptors or ecfp+descriptors, not 'none'")
        if not re.fullmatch(r"cpu|cuda(:\d+)?", self.device):
            raise ConfigError(f"device must be cpu, cuda or cuda:N, not {self.device!r}", key="device")
        minimum = {"ensemble": 1, "epochs": 1, "batch_size": 1, "patience": 1, "num_threads": 1, "workers": 1,
                   "min_epochs": 0, "warmup_epochs": 0, "head_finetune_epochs": 0}
        for key, low in minimum.items():
            if getattr(self, key) < low:
                raise ConfigError(f"{key} must be >= {low}, not {getattr(self, key)!r}", key=key)
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ConfigError(f"lr must be a positive number, not {self.lr!r}", key="lr")
        for key in ("weight_decay", "grad_clip"):
            if not (getattr(self, key) >= 0 and math.isfinite(getattr(self, key))):
                raise ConfigError(f"{key} must be >= 0, not {getattr(self, key)!r}")
        if not 0.0 <= float(self.ema_decay) < 1.0:
            raise ConfigError(f"ema_decay must be in [0, 1), not {self.ema_decay!r}")
        for table in ("dataset_weights", "epoch_fraction"):
            for name, value in getattr(self, table).items():
                if name not in self.dataset:
                    hint = did_you_mean(name, self.dataset, n=1)
                    raise ConfigError(f"[{table}] names {name!r}, which is not a training dataset{hint}; training datasets: {', '.join(self.dataset)}")
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ConfigError(f"[{table}] {name} must be a number, not {value!r}")
        for name, value in self.dataset_weights.items():
            if not (value >= 0 and math.isfinite(value)):
                raise ConfigError(f"[dataset_weights] {name} must be >= 0, not {value!r}")
        for name, value in self.epoch_fraction.items():
            if not 0.0 < value <= 1.0:
                raise ConfigError(f"[epoch_fraction] {name} must be in (0, 1], not {value!r}")
        self._check_model_params()
        self._check_trainer_arguments()
        self._check_head_descriptors()
        if self.forest is not None:
            allowed = {"datasets", "n_estimators", "min_samples_leaf", "max_features", "molecules", "weight_rule"}
            unknown = sorted(set(self.forest) - allowed)
            if unknown:
                hints = "".join(f"; {u!r}{did_you_mean(u, allowed)}" for u in unknown if did_you_mean(u, allowed))
                raise ConfigError(f"[forest] takes only {', '.join(sorted(allowed))}, not {', '.join(map(repr, unknown))}{hints}", key="forest")
            if not self.forest.get("datasets"):
                raise ConfigError(f"forest needs 'datasets' and takes only {', '.join(sorted(allowed))} (got {sorted(self.forest)})")
            if self.forest.get("molecules", "joint") not in ("joint", "dataset"):
                raise ConfigError(f"forest molecules must be 'joint' or 'dataset', not {self.forest['molecules']!r}")
            if self.forest.get("weight_rule", "best") not in ("best", "one_se"):
                raise ConfigError(f"forest weight_rule must be 'best' or 'one_se', not {self.forest['weight_rule']!r}")
            missing = sorted(set(self.forest["datasets"]) - set(self.dataset))
            if missing:
                raise ConfigError(f"forest datasets {missing} are not among the training datasets {self.dataset}")

    def _check_files(self) -> None:
        """File datasets must exist; the table options need one and a valid task type."""
        from drugscreen.data.loaders import is_table_path, table_name, unreadable_table_format

        files = [d for d in self.dataset if is_table_path(d)]
        for d in files:
            if unreadable_table_format(d):
                raise ConfigError(unreadable_table_format(d))
            if not Path(d).is_file():
                raise ConfigError(f"dataset file {d} not found (a dataset is a registered name or a .csv/.tsv file)")
        if self.task_type not in (None, "classification", "regression"):
            hint = did_you_mean(self.task_type, ("classification", "regression")) if isinstance(self.task_type, str) else ""
            raise ConfigError(f"task_type must be classification or regression, not {self.task_type!r}{hint}", key="task_type")
        given = [k for k in ("smiles_column", "targets", "task_type") if getattr(self, k)]
        if given and not files:
            raise ConfigError(f"{', '.join(given)} only apply to a dataset given as a file (.csv/.tsv), not to {', '.join(self.dataset)}")
        for path, options in self.tables.items():
            if path not in files:
                hint = did_you_mean(path, files, n=1) if files else ""
                raise ConfigError(f"[tables] names {path!r}, which is not a table of dataset{hint}; tables: "
                                  f"{', '.join(files) or 'none'}", key="tables")
            kind = options.get("task_type")
            if kind not in (None, "classification", "regression"):
                hint = did_you_mean(kind, ("classification", "regression")) if isinstance(kind, str) else ""
                raise ConfigError(f"{path}: task_type must be classification or regression, not {kind!r}{hint}", key="tables")
        names = [table_name(d) if is_table_path(d) else d for d in self.dataset]
        if len(set(names)) != len(names):
            raise ConfigError(f"datasets {self.dataset} have the same name twice ({names}); rename a file")

    def _check_types(self) -> None:
        """Refuse values of the wrong type (e.g. ``epochs = "three"`` in a TOML file)."""
        for key in ("data_dir", "cache_dir"):
            if isinstance(getattr(self, key), os.PathLike):
                setattr(self, key, os.fspath(getattr(self, key)))
        for f in fields(self):
            value = getattr(self, f.name)
            kind = _FIELD_TYPES.get(f.name)
            if kind is None or (value is None and f.name in _OPTIONAL):
                continue
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
                setattr(self, f.name, value)
            ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
            if not ok:
                what = {int: "an integer", float: "a number", str: "a string", dict: "a table", list: "a list"}[kind]
                raise ConfigError(f"{f.name} must be {what}, not {value!r}")
        if not all(isinstance(d, str) for d in self.dataset):
            raise ConfigError(f"dataset must be names (strings), not {self.dataset!r}")

    def _check_head_descriptors(self) -> None:
        from drugscreen.training.data import HEAD_DESCRIPTORS

        if not self.head_descriptors:
            return
        if self.extra_features not in ("descriptors", "ecfp+descriptors"):
            raise ConfigError(f"head_descriptors needs extra_features = 'descriptors' or 'ecfp+descriptors', not {self.extra_features!r}")
        if self.head != "per_dataset":
            raise ConfigError("head_descriptors needs head = 'per_dataset' (one head per dataset)")
        if self.model not in ("gine", "dmpnn", "attentivefp"):
            raise ConfigError(f"head_descriptors needs a graph model (gine, dmpnn or attentivefp), not {self.model!r}")
        for name, names in self.head_descriptors.items():
            if name not in self.dataset:
                hint = did_you_mean(name, self.dataset, n=1)
                raise ConfigError(f"[head_descriptors] names {name!r}, which is not a training dataset{hint}; training datasets: {', '.join(self.dataset)}")
            if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
                raise ConfigError(f"[head_descriptors] {name} must be a non-empty list of descriptor names, not {names!r}")
            unknown = [n for n in names if n not in HEAD_DESCRIPTORS]
            if unknown or len(set(names)) != len(names):
                raise ConfigError(f"[head_descriptors] {name}: {unknown or names} — give each of {', '.join(HEAD_DESCRIPTORS)} at most once")

    def _check_model_params(self) -> None:
        """Refuse ``[model_params]`` the model's constructor does not take, naming those it does."""
        from drugscreen.models import MODELS

        cls = MODELS.get(self.model)
        try:
            sig = inspect.signature(cls.__init__)
        except (TypeError, ValueError):  # pragma: no cover - builtin constructor
            return
        params = [p for p in sig.parameters.values() if p.name != "self"]
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
            return
        accepted = sorted(p.name for p in params if p.name not in _SET_BY_TRAINER)
        unknown = sorted(set(self.model_params) - set(accepted))
        if unknown:
            close = [m for u in unknown for m in closest_names(u, accepted, n=1)]
            hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
            raise ConfigError(
                f"[model_params] {', '.join(repr(u) for u in unknown)} not accepted by model {self.model!r}{hint}; "
                f"it accepts: {', '.join(accepted)}"
            )

    def _check_extra_features(self) -> None:
        """``extra_features`` is one of :data:`EXTRA_FEATURES`, or the name of a registered
        featurizer that turns a molecule into a vector (``maccs``, ``morgan``, one of a plugin's),
        stored as registered (``"MACCS"`` -> ``"maccs"``)."""
        from drugscreen.exceptions import UnknownNameError
        from drugscreen.featurizers.base import molecule_vector_config

        value = self.extra_features
        if value in EXTRA_FEATURES:
            return
        choices = f"one of {', '.join(EXTRA_FEATURES)}, or the name of a registered fingerprint or descriptor featurizer"
        if not isinstance(value, str):
            raise ConfigError(f"extra_features must be {choices}, not {value!r}", key="extra_features")
        import drugscreen.featurizers  # noqa: F401  (registers the built-in featurizers)

        try:
            config = molecule_vector_config(value)
        except UnknownNameError as exc:
            hint = did_you_mean(value, EXTRA_FEATURES)
            raise ConfigError(f"extra_features must be {choices}, not {value!r}{hint or f' ({exc})'}", key="extra_features") from None
        except ValueError as exc:
            raise ConfigError(f"extra_features {value!r}: {exc}; give a fingerprint or descriptor featurizer",
                              key="extra_features") from None
        self.extra_features = config["name"]

    @property
    def extra_featurizer(self) -> dict[str, Any] | None:
        """The featurizer config of ``extra_features`` given as a featurizer name (default
        parameters), else ``None`` (``descriptors`` is the data's own descriptor set)."""
        if self.extra_features in EXTRA_FEATURES:
            return None
        from drugscreen.featurizers.base import molecule_vector_config

        return molecule_vector_config(str(self.extra_features))

    @property
    def extra_vector(self) -> bool:
        """Whether the models take a scaled feature vector besides any ECFP4 bits (``descriptors``,
        ``ecfp+descriptors`` or a featurizer's name)."""
        return self.extra_features not in ("none", "ecfp")

    def _check_trainer_arguments(self) -> None:
        """Refuse options whose argument the model's constructor does not take: the trainer
        passes ``extra_dim`` with ``extra_features`` and ``head_groups`` with ``head =
        "per_dataset"``, besides what every model takes (``TRAINER_ARGUMENTS``, checked when a
        model is registered). A model of one's own without them would fail only after the data
        were loaded and featurized.

        Raises
        ------
        ConfigError
            One line naming the option, the model (and its class) and the missing argument.
        """
        from drugscreen.models import MODELS

        if self.model == "rf":
            return
        cls = MODELS.get(self.model)
        try:
            params = inspect.signature(cls.__init__).parameters
        except (TypeError, ValueError):  # pragma: no cover - builtin constructor
            return
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            return
        what = f"{getattr(cls, '__module__', '?')}.{getattr(cls, '__qualname__', cls)}"
        needs = [
            ("extra_features", f"extra_features = {self.extra_features!r}", "extra_dim",
             "the width of the extra input", "extra_features = 'none'", self.extra_features != "none"),
            ("head", "head = 'per_dataset'", "head_groups", "each dataset's number of tasks, passed on to "
             "GraphModel.__init__", "head = 'shared'", self.head == "per_dataset"),
        ]
        for key, option, arg, meaning, instead, asked in needs:
            if asked and arg not in params:
                raise ConfigError(
                    f"{option} needs model {self.model!r} ({what}) to take {arg} ({meaning}) in its constructor; "
                    f"give {instead} or add {arg} to {getattr(cls, '__name__', cls)}.__init__", key=key
                )

    def to_dict(self) -> dict[str, Any]:
        """The config as JSON/TOML values."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Build from a dict, refusing unknown keys with the list of known ones."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            hints = "".join(f"; {u!r}{did_you_mean(u, known)}" for u in unknown if did_you_mean(u, known))
            raise ConfigError(f"unknown training option(s) {unknown}{hints}; known: {', '.join(sorted(known))}")
        return cls(**data)


#: Expected type of each scalar/table field (ints are accepted where floats are expected).
_FIELD_TYPES: dict[str, type] = {
    "tables": dict, "model": str, "split": str, "ensemble": int, "epochs": int, "patience": int, "min_epochs": int,
    "batch_size": int, "lr": float, "weight_decay": float, "warmup_epochs": int, "grad_clip": float,
    "ema_decay": float, "model_params": dict, "extra_features": str, "head": str, "head_descriptors": dict, "dataset_weighting": str,
    "dataset_weights": dict, "epoch_fraction": dict, "pos_weight": str, "calibration": str, "device": str,
    "num_threads": int, "workers": int, "head_finetune_epochs": int, "weights_dtype": str, "forest": dict,
    "data_dir": str, "cache_dir": str, "name": str, "description": str, "dataset": list, "seeds": list,
    "smiles_column": str, "targets": list, "task_type": str,
}
_OPTIONAL = {"forest", "data_dir", "cache_dir", "smiles_column", "task_type"}

#: Model constructor arguments the trainer fills in itself (not user ``model_params``).
_SET_BY_TRAINER = {"atom_dim", "bond_dim", "n_tasks", "extra_dim", "head_groups", "head_extra_columns", "task_types", "random_state"}


def _parse_seeds(seeds: Any) -> list[int]:
    """Seeds from ``"0,1,2"``, an int or a list; a clear ConfigError for anything else."""
    items = str(seeds).split(",") if isinstance(seeds, (int, str)) else seeds
    if not isinstance(items, (list, tuple)):
        raise ConfigError(f"seeds must be a list of integers such as 0,1,2, not {seeds!r}")
    out = []
    for s in items:
        if isinstance(s, str) and not s.strip():
            continue
        if isinstance(s, bool) or isinstance(s, float):
            raise ConfigError(f"seeds must be integers such as 0,1,2, not {seeds!r}", key="seeds")
        try:
            out.append(int(str(s).strip()) if isinstance(s, str) else int(s))
        except (TypeError, ValueError):
            raise ConfigError(f"seeds must be integers such as 0,1,2, not {seeds!r}", key="seeds") from None
    return out


#: What an inline ``dataset`` entry (a table of one file's options) may hold besides its path.
TABLE_ENTRY_OPTIONS = ("smiles_column", "targets", "task_type")


def _table_entries(dataset: list[Any], tables: dict[str, Any]) -> tuple[list[Any], dict[str, dict[str, Any]]]:
    """``dataset`` with its inline entries (``{"path": ..., "targets": [...]}``) replaced by their
    paths, and ``tables`` with their options added (targets given as ``"a,b"`` become a list).

    Raises
    ------
    ConfigError
        An entry without a string ``path``, with other keys than ``path`` and
        :data:`TABLE_ENTRY_OPTIONS`, naming a registered dataset, or options of the wrong type.
    """
    from drugscreen.data.loaders import is_table_path

    names: list[Any] = []
    merged: dict[str, dict[str, Any]] = {str(k): dict(v) if isinstance(v, dict) else v for k, v in tables.items()}
    for entry in dataset:
        if not isinstance(entry, dict):
            names.append(entry)
            continue
        allowed = ("path", *TABLE_ENTRY_OPTIONS)
        unknown = sorted(set(entry) - set(allowed))
        if unknown:
            hints = "".join(f"; {u!r}{did_you_mean(u, allowed)}" for u in unknown if did_you_mean(u, allowed))
            raise ConfigError(f"a table entry of dataset takes only {', '.join(allowed)}, not "
                              f"{', '.join(map(repr, unknown))}{hints}", key="dataset")
        path = entry.get("path")
        if not isinstance(path, str) or not path.strip():
            raise ConfigError(f"a table entry of dataset needs a 'path' (the file), got {entry!r}", key="dataset")
        if not is_table_path(path):
            raise ConfigError(f"{path!r} is a registered dataset, not a file: only a file's entry takes "
                              f"{', '.join(TABLE_ENTRY_OPTIONS)}; give the name alone", key="dataset")
        names.append(path)
        options = {k: entry[k] for k in TABLE_ENTRY_OPTIONS if entry.get(k) is not None}
        if options:
            merged[path] = {**merged.get(path, {}), **options}
    for path, options in merged.items():
        if not isinstance(options, dict):
            raise ConfigError(f"[tables] {path} must be a table of {', '.join(TABLE_ENTRY_OPTIONS)}, not {options!r}", key="tables")
        unknown = sorted(set(options) - set(TABLE_ENTRY_OPTIONS))
        if unknown:
            raise ConfigError(f"[tables] {path} takes only {', '.join(TABLE_ENTRY_OPTIONS)}, not {', '.join(map(repr, unknown))}",
                              key="tables")
        targets = options.get("targets")
        if isinstance(targets, str):
            options["targets"] = [t.strip() for t in targets.split(",") if t.strip()]
        elif targets is not None and not (isinstance(targets, list) and all(isinstance(t, str) for t in targets)):
            raise ConfigError(f"{path}: targets must be a list of column names, not {targets!r}", key="tables")
        for key in ("smiles_column", "task_type"):
            if options.get(key) is not None and not isinstance(options[key], str):
                raise ConfigError(f"{path}: {key} must be a string, not {options[key]!r}", key="tables")
    return names, merged


def _tables_beside(dataset: Any, base: Path) -> Any:
    """A config file's relative table paths (also an inline entry's ``path``), read beside the
    config file (as a benchmark config's are) when the file is there; registered names and
    other entries unchanged."""
    from drugscreen.data.loaders import is_table_path

    def beside(d: Any) -> Any:
        if isinstance(d, str) and is_table_path(d) and not Path(d).is_absolute() and (base / d).is_file():
            return str(base / d)
        return d

    entries = [d.strip() for d in dataset.split(",")] if isinstance(dataset, str) else dataset
    if not isinstance(entries, list):
        return dataset  # TrainConfig's own checks report it
    return [{**d, "path": beside(d["path"])} if isinstance(d, dict) and "path" in d else beside(d) for d in entries]


def _canonical_model_name(name: str) -> str:
    """The registered spelling of a trainable model's ``name`` (case, ``-`` and ``_`` ignored, as
    the model registry reads it); ``name`` itself when it is none of them."""
    from drugscreen.registry import normalize_name

    return {normalize_name(m): m for m in _TRAINABLE_MODELS}.get(normalize_name(name), name)


def resolve_config(path: str | Path | None = None, **overrides: Any) -> TrainConfig:
    """Read a TOML config (if any) and apply overrides (``None`` values are ignored).

    Parameters
    ----------
    path
        TOML file whose keys are :class:`TrainConfig` fields. A relative table path in its
        ``dataset``, and a relative ``data_dir`` or ``cache_dir`` folder, is read beside the file
        when it is there (else from the current directory).
    **overrides
        Values that take precedence (CLI flags).
    """
    data: dict[str, Any] = {}
    if path is not None:
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except OSError as exc:
            raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML ({exc})") from None
        data.pop("command", None)  # documentation-only key
        if "dataset" in data:
            data["dataset"] = _tables_beside(data["dataset"], Path(path).parent)
        if isinstance(data.get("tables"), dict):  # [tables."herg.csv"]: the same file as the dataset entry
            data["tables"] = dict(zip(_tables_beside(list(data["tables"]), Path(path).parent), data["tables"].values(),
                                      strict=True))
        for key in ("data_dir", "cache_dir"):  # beside the file when that folder is there, as a benchmark config reads it
            value = data.get(key)
            if isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
                beside = Path(path).parent / Path(value).expanduser()
                if beside.is_dir():
                    data[key] = str(beside)
    for k, v in overrides.items():
        if v is not None:
            data[k] = v
    return TrainConfig.from_dict(data)
