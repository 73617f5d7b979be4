"""The benchmark runner: a grid of datasets × models × splits × seeds, one run record per cell.

:func:`run_benchmark` walks the grid of a :class:`~drugscreen.benchmarking.config.BenchmarkConfig`,
skips cells whose record already exists (unless ``force``), and runs each remaining cell —
by default in a fresh process, so its peak memory (``resource.getrusage``) is its own. A cell:

1. loads the dataset (:func:`drugscreen.data.load_dataset`, or :func:`drugscreen.data.load_table`
   for a user's own table);
2. loads or writes its split file (:func:`~drugscreen.benchmarking.splitfiles.get_split`);
3. fits the model on train (early stopping / selection on valid only) and predicts valid and
   test, timing both;
4. scores the predictions (:mod:`drugscreen.benchmarking.metrics`) and writes the record.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drugscreen.benchmarking.config import BenchmarkConfig, Cell, TableSpec, parse_only
from drugscreen.exceptions import ConfigError, DrugscreenError

logger = logging.getLogger(__name__)

__all__ = ["CellOutcome", "rerun_command", "run_benchmark", "run_cell", "run_from_config", "select_cells"]


@dataclass(frozen=True)
class CellOutcome:
    """What happened to one cell: ``"done"``, ``"skipped"`` (record exists) or ``"failed"``."""

    cell: Cell
    status: str
    path: Path
    seconds: float = 0.0
    error: str = ""


def _display_path(path: Path | None) -> str:
    if path is None:
        return "CONFIG.toml"
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def rerun_command(config: BenchmarkConfig, cell: Cell) -> str:
    """The one command that re-runs ``cell`` (overwriting its record)."""
    return (
        f"drugscreen benchmark --config {_display_path(config.path)} "
        f"--only {cell.dataset}/{cell.model.name}/{cell.seed}/{cell.split} --force"
    )


def select_cells(config: BenchmarkConfig, only: str | None = None) -> list[Cell]:
    """The cells of the grid matching ``only`` (``dataset[/model[/seed[/split]]]``)."""
    dataset, model, seed, split = parse_only(only)
    if dataset is not None and dataset not in config.datasets:
        from drugscreen.benchmarking.config import canonical_name

        dataset = canonical_name(dataset)  # --only BBBP/rf: the cells of bbbp
    cells = [
        c
        for c in config.cells()
        if (dataset is None or c.dataset == dataset)
        and (model is None or c.model.name == model)
        and (seed is None or c.seed == seed)
        and (split is None or c.split == split)
    ]
    if only and not cells:
        raise ConfigError(
            f"--only {only!r} matches no cell of {config.name}: datasets {list(config.datasets)}, "
            f"models {[m.name for m in config.models]}, seeds {list(config.seeds)}, splits {list(config.splits)}",
            key="only",
        )
    return cells


_DATASETS: dict[tuple[str, str], Any] = {}


def _load(name: str, data_dir: Path | None, table: TableSpec | None = None, invalid_dir: Path | None = None) -> Any:
    # keyed by the file's content too: an edited table, or another copy of a registered dataset, is read again
    key = ((name, f"{data_dir}|{_registered_sha(name, data_dir)}") if table is None
           else (name, f"{table.to_dict()}|{table.sha256()}"))
    if key not in _DATASETS:
        from drugscreen.data import load_dataset, load_table

        _DATASETS.clear()  # one dataset in memory at a time
        _DATASETS[key] = (load_dataset(name, data_dir=data_dir) if table is None
                          else load_table(table.path, **table.load_options(), invalid_dir=invalid_dir))
    return _DATASETS[key]


def _stale_record(config: BenchmarkConfig, cell: Cell, path: Path, data_shas: dict[str, str | None] | None = None) -> str:
    """Why a cell's existing record does not count for the config as it is now ("" when it does):
    the model's parameters in the config changed since the record was written, the data file's
    content (sha256; a user's table: or how it is read), the split fractions, or the split file
    (remade, deleted, or another ``splits_dir``'s) did.

    ``data_shas`` memoizes the registered datasets' file checksums over one run.
    """
    import json

    from drugscreen.benchmarking.splitfiles import file_sha256, split_path

    try:
        rec = json.loads(path.read_text())
    except (OSError, ValueError):
        return "its record is unreadable"
    if not isinstance(rec, dict):
        return "its record is unreadable"
    changed = _changed_params(cell, rec)
    if changed:
        return f"the config's {cell.model.name} parameters changed since its record ({changed})"
    table = config.tables.get(cell.dataset)
    if table is not None:
        sha = table.sha256()
        if rec.get("data_sha256") != sha:
            return f"{table.path.name} changed since its record (sha256 {str(rec.get('data_sha256'))[:12]}... -> {sha[:12]}...)"
        if (rec.get("table") or {}).get("options") != _table_options(table):
            return f"{table.path.name} is read with other options than in its record"
    else:
        memo = {} if data_shas is None else data_shas
        if cell.dataset not in memo:
            memo[cell.dataset] = _registered_sha(cell.dataset, config.data_dir)
        sha = memo[cell.dataset]
        if sha and rec.get("data_sha256") and rec["data_sha256"] != sha:
            return (f"{cell.dataset}'s data file is another copy than its record's (sha256 "
                    f"{str(rec['data_sha256'])[:12]}... -> {sha[:12]}...)")
    made_with = (rec.get("config") or {}).get("split_sizes") if isinstance(rec.get("config"), dict) else None
    if made_with and any(abs(float(a) - float(b)) > 1e-9 for a, b in zip(made_with, config.sizes, strict=False)):
        return f"its record was made with sizes {list(made_with)}, the config asks for {list(config.sizes)}"
    if rec.get("split_sha256") and not any("trainer's split sha256" in str(n) for n in rec.get("notes") or []):
        split_file = split_path(config.splits_dir, cell.dataset, cell.split, cell.seed)
        if not split_file.exists():
            return f"its split file {_display_path(split_file)} does not exist (it will be made)"
        if file_sha256(split_file) != rec["split_sha256"]:
            return f"its record was made on another split file than {_display_path(split_file)} (sha256 differs)"
    return ""


def _registered_sha(name: str, data_dir: Path | None) -> str | None:
    """sha256 of a registered dataset's data file as a cell would read it (``None``: not present here;
    nothing is downloaded to check a record)."""
    from drugscreen.data import get_spec
    from drugscreen.data.files import ensure_files, is_available, sha256_file

    try:
        spec = get_spec(name)
        if not is_available(spec, data_dir):
            return None
        return sha256_file(ensure_files(spec, data_dir)[0])
    except (DrugscreenError, OSError):
        return None


def _changed_params(cell: Cell, rec: dict[str, Any]) -> str:
    """The model parameters (as they apply to the cell's dataset, ``per_dataset`` overrides
    included) whose value in the config differs from the record's, as ``key: old -> new``
    ("" when none does, or when the record does not say)."""
    from drugscreen.benchmarking.adapters import model_params_for, recorded_entry_params
    from drugscreen.benchmarking.baselines import RF_DEFAULTS

    cfg = rec.get("config") if isinstance(rec.get("config"), dict) else {}
    want = model_params_for(cell.model, cell.dataset)
    if cell.model.name == "rf":
        # rf records hold the resolved parameters (defaults filled in, max_features resolved)
        got = cfg.get("model") if isinstance(cfg.get("model"), dict) else None
        if got is None:
            return ""
        want = {**RF_DEFAULTS, **want}
        if want["max_features"] is None:
            want["max_features"] = "sqrt" if cfg.get("task_type") == "classification" else 0.33
        old = {k: got.get(k) for k in want}
    elif cell.model.name == "train_mean":
        return ""
    else:
        recorded = recorded_entry_params(rec, cell.dataset)
        if recorded is None:
            return ""
        old = recorded
    diff = [f"{k}: {old.get(k)!r} -> {want.get(k)!r}" for k in sorted(set(old) | set(want)) if old.get(k) != want.get(k)]
    return ", ".join(diff)


def _table_options(table: TableSpec) -> dict[str, Any]:
    return {k: v for k, v in table.to_dict().items() if k in ("smiles_column", "targets", "task_type")}


def run_cell(config: BenchmarkConfig, cell: Cell) -> Path:
    """Run one cell in this process and write its record; return the record's path."""
    from drugscreen.benchmarking.adapters import fit_predict, is_trained_model, train_record
    from drugscreen.benchmarking.metrics import evaluate
    from drugscreen.benchmarking.records import host_info, peak_rss_mb, versions, write_record
    from drugscreen.benchmarking.splitfiles import get_split

    t_start = time.perf_counter()
    cpu_start = time.process_time()
    table = config.tables.get(cell.dataset)
    dataset = _load(cell.dataset, config.data_dir, table, Path(config.results_dir))
    if dataset.task_type not in ("classification", "regression"):
        raise ConfigError(f"{cell.dataset} has no labels to benchmark on")
    split, split_file, split_sha = get_split(dataset, cell.split, cell.seed, config.splits_dir, config.sizes,
                                             remake_on_change=table is not None)
    for part, idx in (("train", split.train), ("valid", split.valid), ("test", split.test)):
        if not len(idx):  # a small table: no model can be fitted, selected or scored on an empty part
            from drugscreen.exceptions import DatasetError

            raise DatasetError(
                f"{cell.dataset}: the {cell.split} split of its {len(dataset)} molecules leaves the {part} part empty "
                f"({len(split.train)}/{len(split.valid)}/{len(split.test)}); give more molecules or another split "
                "(splits = [...] in the config)"
            )
    load_s = time.perf_counter() - t_start
    logger.info("%s: %d molecules, %d tasks, split %d/%d/%d", cell.key, len(dataset), dataset.n_tasks,
                len(split.train), len(split.valid), len(split.test))

    common = {
        "versions": versions(),
        "split_file": _display_path(split_file),
        "host": host_info(),
        "command": rerun_command(config, cell),
    }
    if table is not None:
        # what the record is tied to: the table's name, file, content and how it was read; rows =
        # the file's data lines (molecules + refused + rows without any label + duplicates merged
        # into their first row)
        from drugscreen.data.files import count_data_rows

        unlabelled = (dataset.load_stats or {}).get("n_unlabelled", 0)
        rows = max(count_data_rows(table.path), len(dataset) + len(dataset.invalid) + unlabelled)
        common["table"] = {"name": table.name, "path": str(table.path), "sha256": dataset.sha256,
                           "options": _table_options(table), "rows": rows,
                           "molecules": len(dataset), "invalid": len(dataset.invalid),
                           "unlabelled": unlabelled,
                           "duplicates_merged": rows - len(dataset) - len(dataset.invalid) - unlabelled,
                           "invalid_file": _display_path(Path(config.results_dir) / f"{table.name}.invalid.csv")
                           if dataset.invalid else None,
                           "task_type": dataset.task_type, "tasks": dataset.task_names}
    if is_trained_model(cell.model):
        record = train_record(cell.model, cell.dataset, cell.split, cell.seed, threads=config.threads,
                              data_dir=str(config.data_dir) if config.data_dir else None, table=table,
                              loaded=dataset)
        notes = list(record.get("notes", []))
        trained_on = record.get("split_sha256") or split_sha
        if trained_on != split_sha:
            notes.append(f"trainer's split sha256 {trained_on} differs from the split file's {split_sha}: "
                         "this cell was trained and tested on the trainer's own split, recorded as split_sha256")
            logger.warning("%s: %s", cell.key, notes[-1])
        trainer_host = record.pop("host", {})
        record["config"] = {"benchmark": config.name, "model_entry": cell.model.to_dict(), **record.get("config", {})}
        record["times"] = {"load_s": round(load_s, 3), **record.get("times", {}),
                           "total_s": round(time.perf_counter() - t_start, 3),
                           "cpu_s": round(time.process_time() - cpu_start, 3)}
        n_pred = len(split.valid) + len(split.test)
        pred_s = record["times"].get("predict_s") or 0.0
        record.update(common)
        record["host"] = {**common["host"], **{k: v for k, v in trainer_host.items() if k != "cpus"}}
        record["versions"] = {**common["versions"], **record.get("versions", {})} if isinstance(record.get("versions"), dict) else common["versions"]
        record["split_sha256"] = trained_on  # the split the metrics come from, not the file's when they differ
        record["sizes"] = record.pop("n", {"train": len(split.train), "valid": len(split.valid), "test": len(split.test)})
        record["throughput"] = {"predict_mol_per_s": round(n_pred / pred_s, 1) if pred_s > 0 else None}
        record["peak_rss_mb"] = max(float(record.get("peak_rss_mb") or 0.0), peak_rss_mb())
        record["notes"] = notes + ["metrics computed by drugscreen.training.metrics (calibrated probabilities)"]
        record.pop("schema", None)
        metrics = record["metrics"]
    else:
        result = fit_predict(cell.model, dataset, split, seed=cell.seed, threads=config.threads)
        tasks = dataset.task_names
        metrics = {
            "valid": evaluate(dataset.y[split.valid], result.valid, dataset.task_type, tasks),
            "test": evaluate(dataset.y[split.test], result.test, dataset.task_type, tasks),
        }
        n_pred = len(split.valid) + len(split.test)
        record = {
            "dataset": cell.dataset,
            "model": cell.model.name,
            "split": cell.split,
            "seed": cell.seed,
            "config": {
                "benchmark": config.name,
                "model": {"name": cell.model.name, **result.params},
                "model_entry": cell.model.to_dict(),
                "split_sizes": list(config.sizes),
                "threads": config.threads,
                "task_type": dataset.task_type,
                "tasks": tasks,
            },
            "versions": common["versions"],
            "data_sha256": dataset.sha256,
            "split_sha256": split_sha,
            "split_file": common["split_file"],
            "sizes": {"train": len(split.train), "valid": len(split.valid), "test": len(split.test)},
            "metrics": metrics,
            "times": {
                "load_s": round(load_s, 3),
                "featurize_s": round(result.featurize_s, 3),
                "train_s": round(result.train_s, 3),
                "predict_s": round(result.predict_s, 3),
                "total_s": round(time.perf_counter() - t_start, 3),
                "cpu_s": round(time.process_time() - cpu_start, 3),
            },
            "throughput": {"predict_mol_per_s": round(n_pred / result.predict_s, 1) if result.predict_s > 0 else None},
            "peak_rss_mb": peak_rss_mb(),
            "host": common["host"],
            "command": common["command"],
            "notes": result.notes,
        }
        if table is not None:
            record["table"] = common["table"]
    if config.path is not None and Path(config.path).is_file():
        # which copy of the config file made the record (the command names only its path)
        from drugscreen.benchmarking.splitfiles import file_sha256

        record["config_file"] = {"path": _display_path(config.path), "sha256": file_sha256(config.path)}
    record["model"] = cell.model.name
    record["dataset"] = cell.dataset  # a table's own name (the trainer names it after the file)
    path = write_record(record, Path(config.results_dir) / cell.filename)
    primary = "roc_auc" if dataset.task_type == "classification" else "rmse"
    logger.info("%s: test %s %s (train %.1fs) -> %s", cell.key, primary,
                _fmt(metrics["test"].get(primary)), record["times"].get("train_s") or 0.0, path)
    return path


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


@contextmanager
def _loader_quiet(quiet: bool) -> Iterator[None]:
    """With ``quiet``, the data loader says only errors: its warnings about a table's rows (left
    out, without a label, merged) and its summary were said by the first cell that read the table,
    and every later cell of the run (each in its own process) would repeat them word for word."""
    if not quiet:
        yield
        return
    loader_log = logging.getLogger("drugscreen.data.loaders")
    before = loader_log.level
    loader_log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        loader_log.setLevel(before)


def _child(config: BenchmarkConfig, cell: Cell, level: int, queue: Any, quiet_load: bool = False) -> None:
    """Entry point of the per-cell process: mirror the parent's log level, run, report."""
    root = logging.getLogger("drugscreen")
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        root.addHandler(handler)
        root.propagate = False
    root.setLevel(level)
    try:
        with _loader_quiet(quiet_load):
            run_cell(config, cell)
        queue.put("")
    except BaseException as exc:  # reported to the parent, which decides
        queue.put(f"{type(exc).__name__}: {exc}")
        raise SystemExit(1) from None


def _run_isolated(config: BenchmarkConfig, cell: Cell, quiet_load: bool = False) -> str:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    level = logging.getLogger("drugscreen").getEffectiveLevel()
    proc = ctx.Process(target=_child, args=(config, cell, level, queue, quiet_load))
    proc.start()
    proc.join()
    try:
        message = queue.get(timeout=1)
    except Exception:
        message = _exit_message(proc.exitcode)
    if proc.exitcode and not message:
        message = _exit_message(proc.exitcode)
    return message


def _exit_message(exitcode: int | None) -> str:
    """Why a cell process that reported nothing ended: a signal by name (SIGKILL: most often the
    kernel's out-of-memory killer), else its exit code. No record is written either way."""
    import signal

    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (out of memory? see dmesg)" if name == "SIGKILL" else ""
        return f"cell process killed by {name}{hint}; no record written"
    return f"cell process exited with code {exitcode}; no record written"


def run_benchmark(
    config: BenchmarkConfig,
    *,
    force: bool = False,
    only: str | None = None,
    isolate: bool = True,
    keep_going: bool = True,
) -> list[CellOutcome]:
    """Run every cell of ``config`` that has no record yet.

    Parameters
    ----------
    config
        The grid.
    force
        Re-run cells whose record exists (overwriting it).
    only
        Restrict to cells matching ``dataset[/model[/seed[/split]]]`` (``*`` = any).
    isolate
        Run each cell in a fresh process (peak memory then is the cell's own).
    keep_going
        Log a failed cell and go on (``False``: raise its error).

    Returns
    -------
    list[CellOutcome]
        One per selected cell, in grid order.
    """
    outcomes: list[CellOutcome] = []
    data_shas: dict[str, str | None] = {}
    read_before: set[str] = set()  # datasets a cell has read: later cells do not repeat the loader's warnings
    cells = select_cells(config, only)
    logger.info("benchmark %s: %d cell(s)", config.name, len(cells))
    # a table's header errors (a misnamed SMILES or target column, a missing file) would fail every
    # cell of it alike: said once, before any cell runs
    from drugscreen.data.loaders import check_table_columns

    for name in dict.fromkeys(c.dataset for c in cells):
        table = config.tables.get(name)
        if table is not None:
            options = table.load_options()
            check_table_columns(table.path, smiles_column=options.get("smiles_column"), targets=options.get("targets"))
    for i, cell in enumerate(cells, 1):
        path = Path(config.results_dir) / cell.filename
        stale = _stale_record(config, cell, path, data_shas) if path.exists() and not force else ""
        if path.exists() and not force and not stale:
            logger.info("[%d/%d] %s: record exists, skipped (--force to re-run)", i, len(cells), cell.key)
            outcomes.append(CellOutcome(cell, "skipped", path))
            continue
        if stale:
            logger.warning("[%d/%d] %s: %s: re-running it", i, len(cells), cell.key, stale)
        logger.info("[%d/%d] %s: running", i, len(cells), cell.key)
        t0 = time.perf_counter()
        quiet_load = cell.dataset in read_before
        read_before.add(cell.dataset)
        if isolate:
            error = _run_isolated(config, cell, quiet_load)
        else:
            try:
                with _loader_quiet(quiet_load):
                    run_cell(config, cell)
                error = ""
            except DrugscreenError as exc:
                error = f"{type(exc).__name__}: {exc}"
                if not keep_going:
                    raise
        seconds = time.perf_counter() - t0
        if error:
            logger.error("%s failed: %s", cell.key, error)
            outcomes.append(CellOutcome(cell, "failed", path, seconds, error))
            if not keep_going:
                raise DrugscreenError(f"{cell.key} failed: {error}")
        else:
            outcomes.append(CellOutcome(cell, "done", path, seconds))
    return outcomes


def run_from_config(
    path: str | Path, *, force: bool = False, only: str | None = None, isolate: bool = True
) -> list[CellOutcome]:
    """Load a TOML benchmark config and run it (see :func:`run_benchmark`)."""
    from drugscreen.benchmarking.config import load_config

    return run_benchmark(load_config(path), force=force, only=only, isolate=isolate)
