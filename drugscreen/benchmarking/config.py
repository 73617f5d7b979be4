"""Benchmark configurations: which datasets × models × splits × seeds to run.

A configuration is a TOML file (``benchmarks/configs/*.toml``)::

    name = "property_suite"
    datasets = ["bbbp", "esol"]
    splits = ["scaffold"]                  # scaffold | balanced_scaffold | random
    seeds = [0, 1, 2]
    sizes = [0.8, 0.1, 0.1]

    [[models]]
    name = "rf"                            # the cell's model name in run records
    n_estimators = 500                     # everything else: the model's parameters

    [[models]]
    name = "dmpnn"
    epochs = 60
    datasets = ["esol"]                    # optional: this model runs on these datasets only

A dataset may also be a user's own table (a ``.csv``/``.tsv`` file, gzipped too, read by
:func:`drugscreen.data.load_table`), with the options ``drugscreen train --dataset my.csv``
takes, given once for every table or per table::

    datasets = ["my_assay.csv", "bbbp"]    # a path: relative to this config file's folder
    targets = ["pIC50"]                    # optional: label columns (default: all but ids)
    smiles_column = "SMILES"               # optional
    task_type = "regression"               # optional: classification | regression

    datasets = [{ path = "data/herg.tsv", targets = ["active"], name = "herg" }, "bbbp"]

A table's dataset name (in ``--only``, a model's ``datasets``, record and split file names) is
its file name without suffixes (``my_assay``), or ``name``; it may not be a registered name.

Relative paths (``results_dir``, ``splits_dir``) are resolved against the directory holding
the ``benchmarks/`` folder when the file lies inside one, else against the config's folder.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drugscreen.exceptions import ConfigError

__all__ = ["RESULTS_DIR", "BenchmarkConfig", "Cell", "ModelSpec", "TableSpec", "load_config", "parse_only"]

#: Where the repository's run records live (relative to its root); ``benchmark report`` rewrites
#: the committed RESULTS.md only from these.
RESULTS_DIR = Path("benchmarks/results/runs")

SPLIT_KINDS = ("scaffold", "balanced_scaffold", "random")
#: Keys that say how a user's table is read (top level: every table; inline: that table).
TABLE_OPTIONS = ("smiles_column", "targets", "task_type")


@dataclass(frozen=True)
class TableSpec:
    """A user's own table in a benchmark grid: where it is and how it is read.

    Attributes
    ----------
    name
        The dataset name of its cells (file name without suffixes unless given).
    path
        The file (absolute).
    smiles_column, targets, task_type
        As for :func:`drugscreen.data.load_table` (``None``/empty: inferred).
    """

    name: str
    path: Path
    smiles_column: str | None = None
    targets: tuple[str, ...] = ()
    task_type: str | None = None

    def load_options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`drugscreen.data.load_table` (unset ones left out)."""
        out: dict[str, Any] = {"name": self.name}
        if self.smiles_column:
            out["smiles_column"] = self.smiles_column
        if self.targets:
            out["targets"] = list(self.targets)
        if self.task_type:
            out["task_type"] = self.task_type
        return out

    def sha256(self) -> str:
        """The file's content sha256 (what run records and split files are tied to)."""
        from drugscreen.data.files import sha256_file

        return sha256_file(self.path)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able view (recorded in run records)."""
        return {"name": self.name, "path": str(self.path), "smiles_column": self.smiles_column,
                "targets": list(self.targets), "task_type": self.task_type}


@dataclass(frozen=True)
class ModelSpec:
    """A model of the grid: its name and its parameters (passed through to the model)."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    datasets: tuple[str, ...] | None = None

    def runs_on(self, dataset: str) -> bool:
        """Whether the grid has a cell for this model on ``dataset`` (``datasets`` unset: all)."""
        return self.datasets is None or dataset in self.datasets

    def to_dict(self) -> dict[str, Any]:
        """``{"name": ..., **params}`` (plus ``datasets`` when restricted), as in the TOML file."""
        out = {"name": self.name, **self.params}
        if self.datasets is not None:
            out["datasets"] = list(self.datasets)
        return out


@dataclass(frozen=True)
class Cell:
    """One run: a dataset, a model, a split kind and a seed."""

    dataset: str
    model: ModelSpec
    split: str
    seed: int

    @property
    def key(self) -> str:
        """``dataset/model/split/seed``, as printed in logs."""
        return f"{self.dataset}/{self.model.name}/{self.split}/{self.seed}"

    @property
    def filename(self) -> str:
        """The run record's file name."""
        return f"{self.dataset}__{self.model.name}__{self.split}__{self.seed}.json"


@dataclass(frozen=True)
class BenchmarkConfig:
    """A parsed benchmark configuration.

    Attributes
    ----------
    name
        The configuration's name (recorded in each run record).
    datasets, models, splits, seeds
        The grid.
    sizes
        Train/valid/test fractions.
    results_dir
        Where run records go (one JSON per cell).
    splits_dir
        Where split index files go (``<dataset>_<split>_<seed>.json``).
    data_dir
        Dataset directory (``None``: ``$DRUGSCREEN_DATA_DIR`` or the cache).
    threads
        ``torch.set_num_threads`` for GNN cells and ``n_jobs`` for baselines.
    path
        The file the configuration was read from (``None`` when built in code).
    tables
        The user's own tables among ``datasets``, keyed by their dataset name.
    """

    name: str
    datasets: tuple[str, ...]
    models: tuple[ModelSpec, ...]
    splits: tuple[str, ...] = ("scaffold",)
    seeds: tuple[int, ...] = (0, 1, 2)
    sizes: tuple[float, float, float] = (0.8, 0.1, 0.1)
    results_dir: Path = RESULTS_DIR
    splits_dir: Path = Path("benchmarks/splits")
    data_dir: Path | None = None
    threads: int = 1
    path: Path | None = None
    tables: dict[str, TableSpec] = field(default_factory=dict)

    def cells(self) -> Iterator[Cell]:
        """The grid, dataset-major (so each dataset is loaded once)."""
        for dataset in self.datasets:
            for split in self.splits:
                for model in self.models:
                    if not model.runs_on(dataset):
                        continue
                    for seed in self.seeds:
                        yield Cell(dataset, model, split, seed)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able view (recorded in run records)."""
        return {
            "name": self.name,
            "datasets": list(self.datasets),
            "models": [m.to_dict() for m in self.models],
            "splits": list(self.splits),
            "seeds": list(self.seeds),
            "sizes": list(self.sizes),
            "threads": self.threads,
            "path": str(self.path) if self.path else None,
            **({"tables": {k: t.to_dict() for k, t in self.tables.items()}} if self.tables else {}),
        }


def _base_dir(path: Path) -> Path:
    for parent in path.resolve().parents:
        if parent.name == "benchmarks":
            return parent.parent
    return path.resolve().parent


def config_from_dict(raw: dict[str, Any], *, path: Path | None = None, base: Path | None = None) -> BenchmarkConfig:
    """Validate a configuration dict (as read from TOML) and build a :class:`BenchmarkConfig`.

    Raises
    ------
    ConfigError
        On a missing key, an unknown split kind or malformed values.
    """
    known = {"name", "datasets", "models", "splits", "seeds", "sizes", "results_dir", "splits_dir", "data_dir", "threads",
             *TABLE_OPTIONS}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"unknown key(s) in benchmark config: {', '.join(unknown)}; allowed: {', '.join(sorted(known))}")
    for key in ("datasets", "models"):
        if not raw.get(key):
            raise ConfigError(f"benchmark config needs a non-empty {key!r}")
    if not isinstance(raw["datasets"], list):
        raise ConfigError(f"datasets must be a list of dataset names or table paths, not {raw['datasets']!r}")
    names, tables = _read_datasets(raw, path.parent if path else Path.cwd())
    # a registered dataset by its own name ("BBBP", "tox-21" -> "bbbp", "tox21"): records, split files,
    # --only and the report's tables all key on it (a "BBBP" cell was left out of every results table)
    names = [n if n in tables else canonical_name(n) for n in names]
    if len(set(names)) != len(names):
        raise ConfigError(f"benchmark config: datasets {raw['datasets']} name one dataset twice")
    raw = {**raw, "datasets": names}
    models = []
    for entry in raw["models"]:
        if not isinstance(entry, dict) or "name" not in entry:
            raise ConfigError("each [[models]] entry needs a 'name'")
        params = {k: v for k, v in entry.items() if k not in ("name", "datasets")}
        if isinstance(params.get("per_dataset"), dict):
            params["per_dataset"] = {canonical_name(str(k)) if k not in tables else k: v
                                     for k, v in params["per_dataset"].items()}
        only_on = entry.get("datasets")
        if only_on is not None:
            if not isinstance(only_on, list) or not only_on:
                raise ConfigError(f"model {entry['name']!r}: 'datasets' must be a non-empty list of dataset names")
            only_on = [d if d in tables else canonical_name(str(d)) for d in only_on]
            outside = sorted(set(map(str, only_on)) - set(map(str, raw["datasets"])))
            if outside:
                raise ConfigError(f"model {entry['name']!r}: datasets {outside} are not in the config's datasets")
        models.append(ModelSpec(str(entry["name"]), params, tuple(map(str, only_on)) if only_on is not None else None))
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise ConfigError(f"model names must be unique in one config, got {names}")
    _check_names([str(d) for d in raw["datasets"] if d not in tables], models)
    splits = tuple(raw.get("splits", ["scaffold"]))
    bad = [s for s in splits if s not in SPLIT_KINDS]
    if bad:
        raise ConfigError(f"unknown split kind(s) {bad}; choose from {', '.join(SPLIT_KINDS)}")
    sizes = tuple(float(x) for x in raw.get("sizes", (0.8, 0.1, 0.1)))
    if len(sizes) != 3 or abs(sum(sizes) - 1.0) > 1e-6 or min(sizes) <= 0:
        raise ConfigError(f"sizes must be three positive fractions summing to 1, got {list(sizes)}")
    trained = [m.name for m in models if m.name not in RUNNER_MODELS]  # as adapters.is_trained_model
    if trained and any(abs(a - b) > 1e-9 for a, b in zip(sizes, TRAINER_SIZES, strict=True)):
        # the trainer makes its own 80/10/10 split: its cells would be scored on other test molecules
        raise ConfigError(
            f"sizes {list(sizes)}: models {trained} are trained by drugscreen train, which splits "
            f"{'/'.join(f'{x:g}' for x in TRAINER_SIZES)}, so they would be tested on other molecules than rf and "
            "train_mean; leave sizes out, or run only rf / train_mean with these sizes"
        )
    _check_params(models, [str(d) for d in raw["datasets"]], tables, splits)
    base = base or (path.parent if path else Path.cwd())

    def _dir(key: str, default: str) -> Path:
        value = Path(raw.get(key, default))
        return value if value.is_absolute() else base / value

    raw_seeds = raw.get("seeds", (0, 1, 2))
    if not isinstance(raw_seeds, (list, tuple)) or not all(isinstance(x, int) and not isinstance(x, bool) for x in raw_seeds):
        # int(1.5) would be 1 and int(True) 1: a typo must not become another seed
        raise ConfigError(f"seeds must be a list of integers, got {raw_seeds!r}")
    seeds = tuple(int(x) for x in raw_seeds)
    if not seeds or min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise ConfigError(f"seeds must be distinct integers >= 0, got {list(seeds)} (a repeated seed re-runs the same cell)")
    threads = raw.get("threads", 1)
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ConfigError(f"threads must be an integer >= 1, not {threads!r}")
    data_dir = raw.get("data_dir")
    return BenchmarkConfig(
        name=str(raw.get("name", path.stem if path else "benchmark")),
        datasets=tuple(str(d) for d in raw["datasets"]),
        models=tuple(models),
        splits=splits,
        seeds=seeds,
        sizes=sizes,  # type: ignore[arg-type]
        results_dir=_dir("results_dir", str(RESULTS_DIR)),
        splits_dir=_dir("splits_dir", "benchmarks/splits"),
        data_dir=(Path(data_dir) if Path(data_dir).is_absolute() else base / data_dir) if data_dir else None,
        threads=threads,
        path=path,
        tables=tables,
    )


def _read_datasets(raw: dict[str, Any], folder: Path) -> tuple[list[str], dict[str, TableSpec]]:
    """The config's dataset names, and its user tables by name (a path entry or an inline table).

    A relative table path is read beside the config file when it is there, else from the
    current directory (as a training config's is).
    """
    from drugscreen.data.loaders import is_table_path, table_name, unreadable_table_format

    shared = {k: raw[k] for k in TABLE_OPTIONS if raw.get(k) is not None}
    names: list[str] = []
    tables: dict[str, TableSpec] = {}
    for entry in raw["datasets"]:
        if isinstance(entry, dict):
            bad = sorted(set(entry) - {"path", "name", *TABLE_OPTIONS})
            if bad or not isinstance(entry.get("path"), str):
                raise ConfigError(f"a table entry of datasets needs a 'path' and takes only path, name, "
                                  f"{', '.join(TABLE_OPTIONS)} (got {entry!r})")
            where, opts = entry["path"], {**shared, **{k: entry[k] for k in TABLE_OPTIONS if k in entry}}
            given_name = entry.get("name")
        elif isinstance(entry, str) and is_table_path(entry):
            where, opts, given_name = entry, shared, None
        elif isinstance(entry, str):
            names.append(entry)
            continue
        else:
            raise ConfigError(f"datasets entries are names, table paths or {{ path = ... }} tables, not {entry!r}")
        if unreadable_table_format(where):
            raise ConfigError(f"benchmark config: {unreadable_table_format(where)}")
        file = Path(where).expanduser()
        if not file.is_absolute():
            file = folder / file if (folder / file).is_file() or not file.is_file() else file
        if not file.is_file():
            raise ConfigError(f"benchmark config: dataset file {where} not found (looked in {folder} and the current directory)")
        name = str(given_name) if given_name else table_name(file)
        _check_table_options(opts, where)
        targets = opts.get("targets") or ()
        tables[name] = TableSpec(name, file.resolve(), opts.get("smiles_column"),
                                 tuple(targets.split(",")) if isinstance(targets, str) else tuple(targets), opts.get("task_type"))
        names.append(name)
    if len(set(names)) != len(names):
        raise ConfigError(f"benchmark config: datasets {names} name one dataset twice; give a table its own name = \"...\"")
    if shared and not tables:
        raise ConfigError(f"{', '.join(shared)} only apply to a dataset given as a file (.csv/.tsv), not to {', '.join(names)}")
    _refuse_registered_names(tables)
    return names, tables


def canonical_name(name: str) -> str:
    """A registered dataset's own name (``"BBBP"`` -> ``"bbbp"``); any other name as it is."""
    from drugscreen.data import get_spec
    from drugscreen.exceptions import UnknownNameError

    try:
        return get_spec(name).name
    except UnknownNameError:
        return name


def _check_table_options(opts: dict[str, Any], where: str) -> None:
    task_type = opts.get("task_type")
    if task_type not in (None, "classification", "regression"):
        raise ConfigError(f"{where}: task_type must be classification or regression, not {task_type!r}")
    if opts.get("smiles_column") is not None and not isinstance(opts["smiles_column"], str):
        raise ConfigError(f"{where}: smiles_column must be a column name, not {opts['smiles_column']!r}")
    targets = opts.get("targets")
    if targets is not None and not (isinstance(targets, str) or (isinstance(targets, list) and all(isinstance(t, str) for t in targets))):
        raise ConfigError(f"{where}: targets must be a list of column names, not {targets!r}")


def _refuse_registered_names(tables: dict[str, TableSpec]) -> None:
    """A table may not take a registered dataset's name: its records and split files would be
    taken for (and overwrite) that dataset's."""
    from drugscreen.data import get_spec
    from drugscreen.exceptions import UnknownNameError

    for name, table in tables.items():
        try:
            spec = get_spec(name)
        except UnknownNameError:
            continue
        raise ConfigError(
            f"benchmark config: table {table.path.name} would be named {name!r}, the registered dataset {spec.name}'s "
            f"name (its run records and split files would be mixed up); give it another name = \"...\""
        )


#: Benchmark model names handled by the runner itself (every other name is a trained model).
RUNNER_MODELS = ("rf", "train_mean")
#: The train/valid/test fractions of :func:`drugscreen.training.train`'s split.
TRAINER_SIZES = (0.8, 0.1, 0.1)


def _check_names(datasets: list[str], models: list[ModelSpec]) -> None:
    """Refuse unknown dataset and model names before any cell runs (each would fail on its own,
    in its own process, after loading; an unknown model name failed with an unrelated message)."""
    from drugscreen.data import get_spec
    from drugscreen.exceptions import UnknownNameError
    from drugscreen.messages import did_you_mean
    from drugscreen.models import MODELS
    from drugscreen.registry import plugin_hint

    for name in datasets:
        try:
            spec = get_spec(name)
        except UnknownNameError as exc:
            raise ConfigError(f"benchmark config: {exc}") from None
        if spec.kind != "molecule":
            raise ConfigError(f"benchmark config: {spec.name} is {spec.kind} data, not a labelled molecule dataset")
    known = list(dict.fromkeys([*RUNNER_MODELS, *MODELS.names()]))
    for m in models:
        arch = str(m.params.get("model", m.name))
        if arch not in known:
            where = f"model {m.name!r}" + (f" (model = {arch!r})" if arch != m.name else "")
            close = did_you_mean(arch, known, n=1)
            # no close name: most likely a model of one's own whose plugin was not imported
            own = "" if close else f"; a model of your own is found once its module is imported: {plugin_hint('model')}"
            raise ConfigError(
                f"benchmark config: {where} is not a known model{close}; known: {', '.join(known)} "
                f"(a label of your own needs model = \"<one of these>\" in its [[models]] entry){own}"
            )


#: Keys the runner sets for each cell: in a [[models]] entry they would override the cell's own
#: dataset, split or seed (the record would then be filed under a cell it was not trained as).
CELL_KEYS = {"dataset": "datasets", "split": "splits", "seeds": "seeds", "num_threads": "threads",
             "data_dir": "data_dir"}


def _check_params(models: list[ModelSpec], datasets: list[str], tables: dict[str, TableSpec],
                  splits: tuple[str, ...]) -> None:
    """Refuse a [[models]] entry's misspelt or misplaced parameters when the config is read, not
    in every cell after its data are loaded (each cell failed alone, and a ``per_dataset`` key
    naming no dataset of the config was ignored without a word)."""
    from drugscreen.benchmarking.baselines import RF_DEFAULTS
    from drugscreen.messages import did_you_mean

    for m in models:
        where = f"benchmark config: model {m.name!r}"
        misplaced = sorted(set(m.params) & set(CELL_KEYS))
        if misplaced:
            raise ConfigError(f"{where}: {', '.join(misplaced)} cannot be set per model (the runner sets it for each "
                              f"cell); use the config's {', '.join(CELL_KEYS[k] for k in misplaced)}, or a model's "
                              "datasets = [...] to restrict it")
        per = m.params.get("per_dataset", {})
        if not isinstance(per, dict) or not all(isinstance(v, dict) for v in per.values()):
            raise ConfigError(f"{where}: per_dataset must be a table of tables, e.g. per_dataset = {{ bbbp = {{ epochs = 5 }} }}")
        for ds in per:
            if ds not in datasets:
                raise ConfigError(f"{where}: per_dataset names {ds!r}, not a dataset of this config"
                                  f"{did_you_mean(ds, datasets, n=1)}; datasets: {', '.join(datasets)}")
        arch = str(m.params.get("model", m.name))
        for ds in datasets:
            if not m.runs_on(ds):
                continue
            params = {k: v for k, v in m.params.items() if k != "per_dataset"}
            params.update(per.get(ds, {}))
            if m.name == "train_mean":
                if params:
                    raise ConfigError(f"{where} takes no parameters (it predicts the training mean), got {sorted(params)}")
            elif m.name == "rf":
                unknown = sorted(set(params) - set(RF_DEFAULTS))
                if unknown:
                    hints = "".join(f"; {u!r}{did_you_mean(u, list(RF_DEFAULTS), n=1)}" for u in unknown
                                    if did_you_mean(u, list(RF_DEFAULTS), n=1))
                    raise ConfigError(f"{where}: unknown rf parameter(s) {unknown}{hints}; allowed: "
                                      f"{', '.join(sorted(RF_DEFAULTS))}")
            else:
                from drugscreen.training.config import TrainConfig

                table = tables.get(ds)
                try:
                    TrainConfig.from_dict({"dataset": [str(table.path) if table else ds], "split": splits[0],
                                           "seeds": [0], **params, "model": arch})
                except ConfigError as exc:
                    raise ConfigError(f"{where} on {ds}: {exc}") from None
                except (TypeError, ValueError) as exc:
                    raise ConfigError(f"{where} on {ds}: {exc}") from None


def load_config(path: str | Path) -> BenchmarkConfig:
    """Read a benchmark configuration from a TOML file.

    Raises
    ------
    ConfigError
        When the file is missing, is not valid TOML, or fails validation.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"benchmark config not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return config_from_dict(raw, path=path, base=_base_dir(path))


def parse_only(only: str | None) -> tuple[str | None, str | None, int | None, str | None]:
    """Parse ``--only dataset[/model[/seed[/split]]]``; ``*`` or empty means any. A cell's key as the
    logs print it (``dataset/model/split/seed``) is read too."""
    if not only:
        return None, None, None, None
    parts = [p if p not in ("", "*") else None for p in only.split("/")]
    if len(parts) > 4:
        raise ConfigError(f"--only takes dataset[/model[/seed[/split]]], got {only!r}", key="only")
    parts += [None] * (4 - len(parts))
    dataset, model, seed, split = parts
    if seed in SPLIT_KINDS and (split is None or split.lstrip("-").isdigit()):
        seed, split = split, seed  # the order the logs print keys in: dataset/model/split/seed
    try:
        seed_int = int(seed) if seed is not None else None
    except ValueError:
        raise ConfigError(f"--only: seed must be an integer, got {seed!r}", key="only") from None
    return dataset, model, seed_int, split
