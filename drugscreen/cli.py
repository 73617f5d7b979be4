"""The ``drugscreen`` command line: a thin layer over the library.

Each command parses its options, calls one library function and writes the result. Nothing
heavy (torch, PyG, deepchem, pandas) is imported at module level, so ``drugscreen --help``
starts fast; commands import what they need when they run.

Exit codes: 0 success (even when some molecules were flagged invalid), 1 a runtime or data
error (one ``Error: ...`` line on stderr; the traceback only with ``-v``), including a file that
cannot be read or written (missing, unknown suffix, a folder; ``--report`` too), 2 a usage
error: an unknown option,
a missing argument, or a misspelt name or choice typed on the command line (``--split scafold``,
``--profile defualt``, ``datasets info bbbpp``; with the closest names), 130 interrupted with Ctrl-C.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from typer.core import TyperGroup

from drugscreen._version import __version__

if TYPE_CHECKING:
    from drugscreen.screening.run import ScreenSummary

logger = logging.getLogger("drugscreen")


def _hide_flag_types() -> None:
    """Show no value type after a flag in ``--help``.

    Typer 0.29's help panels print ``<bool>`` after every flag (``--resume <bool>``,
    ``--help <bool>``), which reads as if the flag took a value: ``--resume true`` then fails
    with "unexpected extra argument". Typer 0.20-0.28 printed nothing there, and typer's own
    plain-text help skips flags too, so flags and counters get no type again. A typer without
    the method is left alone.
    """
    option_class = getattr(typer.core, "TyperOption", None)
    display_type = getattr(option_class, "display_type_rich", None)
    if display_type is None or getattr(display_type, "_drugscreen_flags_hidden", False):
        return

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        if getattr(self, "is_flag", False) or getattr(self, "count", False):
            return None
        return display_type(self, ctx)

    display_type_rich._drugscreen_flags_hidden = True  # type: ignore[attr-defined]
    option_class.display_type_rich = display_type_rich  # type: ignore[union-attr]


_hide_flag_types()


class _InterruptibleGroup(TyperGroup):
    """The top-level command group: Ctrl-C in any command says so on stderr and exits 130.

    Typer turns a ``KeyboardInterrupt`` escaping a command into exit 130 without a word, so an
    interrupted ``train``, ``repurpose`` or ``datasets fetch`` ended with a blank line; ``screen``
    catches it itself to say whether ``--resume`` can continue.
    """

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            typer.echo("Interrupted.", err=True)
            raise typer.Exit(130) from None


app = typer.Typer(
    cls=_InterruptibleGroup,
    name="drugscreen",
    context_settings={"help_option_names": ["-h", "--help"]},  # `-h` was "No such option"
    help="Screen molecules for efficacy and toxicity with pretrained GNNs, repurpose approved "
    "drugs against new targets, and run reproducible benchmarks.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode="rich",
)

_state: dict[str, Any] = {"verbose": 0}


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"drugscreen {__version__}")
        raise typer.Exit()


def configure_logging(verbose: int = 0, quiet: bool = False, log_file: Path | None = None) -> None:
    """Configure the ``drugscreen`` logger: stderr, level from ``-v``/``-q``; the only place."""
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file is not None:
        handlers.append(logging.FileHandler(log_file))
    fmt = logging.Formatter("%(levelname)s %(name)s: %(message)s" if verbose else "%(message)s")
    root = logging.getLogger("drugscreen")
    for old in root.handlers:
        old.close()  # a --log-file handler opened by the group options before a command's -v/-q
    root.handlers.clear()
    for h in handlers:
        h.setFormatter(fmt)
        root.addHandler(h)
    root.setLevel(level)
    root.propagate = False


@app.callback()
def _main_options(
    version: Annotated[
        Optional[bool],  # noqa: UP045 - typer needs Optional here
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Show the version and exit."),
    ] = None,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, metavar="", show_default=False, help="More log output (-vv: debug); tracebacks on errors.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors; no progress bars.")] = False,
    log_file: Annotated[Optional[Path], typer.Option("--log-file", help="Also write the log to this file.")] = None,  # noqa: UP045
) -> None:
    """drugscreen: efficacy/toxicity screening, repurposing and benchmarks."""
    _state["verbose"] = verbose
    _state["quiet"] = quiet
    _state["log_file"] = log_file
    try:
        configure_logging(verbose, quiet, log_file)
    except OSError as exc:  # a missing folder, a directory, no permission: was a traceback
        raise typer.BadParameter(f"cannot write {log_file}: {exc.strerror or exc}", param_hint="'--log-file'") from None


#: A command's own -v/-q: the group's options, also accepted after the command name
#: (``drugscreen train ... -q`` as ``drugscreen -q train ...``).
VerboseOption = Annotated[int, typer.Option("--verbose", "-v", count=True, metavar="", show_default=False, help="More log output (-vv: debug); tracebacks on errors.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors; no progress bars.")]


def command_verbosity(verbose: int, quiet: bool) -> None:
    """Apply a command's own ``-v``/``-q`` on top of the group's (the log file is kept)."""
    if verbose or quiet:
        _state["verbose"] = max(int(_state.get("verbose", 0)), verbose)
        _state["quiet"] = quiet or bool(_state.get("quiet"))
        configure_logging(int(_state["verbose"]), bool(_state["quiet"]), _state.get("log_file"))


def progress_enabled(quiet: bool = False) -> bool:
    """Progress bars only on an interactive stderr and without ``-q``."""
    return not (quiet or _state.get("quiet")) and sys.stderr.isatty()


# ---------------------------------------------------------------------------------------
# Command groups. Each section below belongs to one area; keep edits inside your section.
# ---------------------------------------------------------------------------------------

# === datasets (drugscreen.data) ===
datasets_app = typer.Typer(
    help="List, describe and download the registered datasets (MoleculeNet, DAVIS, KIBA, "
    "approved drugs).",
    no_args_is_help=True,
)
app.add_typer(datasets_app, name="datasets", rich_help_panel="Data")

_DataDirOption = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs Optional here
    typer.Option(
        "--data-dir",
        help="Data directory (default: $DRUGSCREEN_DATA_DIR, else ~/.cache/drugscreen).",
        show_default=False,
    ),
]


@datasets_app.command("list", epilog="Example: drugscreen datasets list --data-dir ../shared/datasets")
def datasets_list(
    data_dir: _DataDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the registered datasets: rows (drug-target pairs, drugs and targets for DAVIS and KIBA:
    counted from the files when on disk), tasks, task type, and whether they are on disk."""
    from drugscreen import jsonio
    from drugscreen.data.overview import list_datasets

    rows = list_datasets(data_dir)
    if as_json:
        typer.echo(jsonio.dumps(rows, indent=2))
        return

    from drugscreen.data.overview import COUNTS_REGISTRY

    def count(n: int | None, unit: str = "") -> str:
        return "-" if n is None else f"{n:,}{unit}"

    header = ("name", "kind", "rows", "drugs", "targets", "tasks", "type", "on disk", "description")
    table = [
        (r["name"], r["kind"],
         count(r["rows"], " pairs" if r["kind"] == "affinity" else "") + ("*" if r["counts"] == COUNTS_REGISTRY else ""),
         count(r["drugs"]), count(r["targets"]), str(r["tasks"] or "-"),
         r["task_type"], "yes" if r["available"] else "no", r["description"])
        for r in rows
    ]  # fmt: skip
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(header[:-1])]
    for line in [header, *table]:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(line[:-1], widths, strict=True)) + "  " + line[-1])
    if any(r["counts"] == COUNTS_REGISTRY for r in rows):
        typer.echo("* not on disk: pairs, drugs and targets of the registry's reference copy (a download may differ)")


@datasets_app.command("info", epilog="Example: drugscreen datasets info tox21")
def datasets_info(
    name: Annotated[str, typer.Argument(help="Dataset name, e.g. tox21 (see `datasets list`).")],
    data_dir: _DataDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    invalid: Annotated[bool, typer.Option(
        "--invalid", help="Instead, list the molecules the dataset's loader leaves out (row, SMILES, reason) as "
        "tab-separated text; rows count from 0 after the header.")] = False,
) -> None:
    """Show what the registry records about one dataset: files, URLs, checksums, tasks, licence."""
    from drugscreen import jsonio
    from drugscreen.data.overview import dataset_info

    with _unknown_name_is_usage({"dataset": ("'NAME'", name)}):  # a misspelt NAME is a usage error (exit 2)
        info = dataset_info(name, data_dir)
    if invalid:
        from drugscreen.data.loaders import invalid_rows_text, load_dataset

        if info["kind"] == "affinity":
            raise typer.BadParameter(f"lists the rows of a molecule dataset; {info['name']} is drug-target affinity data "
                                     "(the drugs it cannot parse are named in the log when it is loaded)", param_hint="'--invalid'")
        typer.echo(invalid_rows_text(load_dataset(name, data_dir).invalid), nl=False)
        return
    if as_json:
        typer.echo(jsonio.dumps(info, indent=2))
        return
    for key in ("name", "description", "kind", "category", "task_type", "n_tasks", "rows",
                "transform", "license", "citation", "notes", "data_dir", "available"):  # fmt: skip
        if info.get(key) not in (None, ""):
            typer.echo(f"{key + ':':<13}{info[key]}")
    for f in info["files"]:
        typer.echo(f"file:        {f['path']} ({f['rows']:,} rows) -> {f['local_path']}")
        typer.echo(f"  url:       {f['url'] or '-'}")
        for source, digest in f["sha256"].items():
            typer.echo(f"  sha256:    {digest} ({source} copy)")
    for url in info["sources"]:
        typer.echo(f"source:      {url}")
    if info["tasks"]:
        typer.echo("tasks:")
        for t in info["tasks"]:
            typer.echo(f"  {t['name']}  [{t['type']}; {t['units']}; desirable: {t['direction']}]")


@datasets_app.command("fetch", epilog="Example: drugscreen datasets fetch tox21 bbbp (or: all)")
def datasets_fetch(
    names: Annotated[list[str], typer.Argument(help="Dataset names, or `all`.")],
    data_dir: _DataDirOption = None,
    force: Annotated[bool, typer.Option("--force", help="Download again even if present.")] = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = 0,
) -> None:
    """Download datasets into the data directory (checked, written atomically). A dataset that
    cannot be fetched is reported and the others are still fetched; the exit code is then 1."""
    command_verbosity(verbose, quiet)
    from drugscreen.data.catalog import get_spec
    from drugscreen.data.files import fetch_each
    from drugscreen.exceptions import DatasetError

    for name in names:  # a misspelt NAME is a usage error (exit 2), before anything is downloaded
        with _unknown_name_is_usage({"dataset": ("'NAMES...'", name)}):
            if name.lower() != "all":
                get_spec(name)
    outcomes = fetch_each(names, data_dir, force=force)
    failed: list[str] = []
    done = 0
    for outcome in outcomes:
        if outcome.error is None:
            done += 1
            typer.echo(f"{outcome.name}: " + ", ".join(str(p) for p in outcome.paths))
        elif not failed and not done and len(names) == 1 and names[0].lower() != "all":
            raise outcome.error  # one dataset asked for: its error is the one line
        else:
            failed.append(outcome.name)
            typer.echo(f"{outcome.name}: not fetched: {outcome.error}", err=True)
    if failed:
        raise DatasetError(f"{len(failed)} of {len(failed) + done} datasets not fetched ({', '.join(failed)}; "
                           "the reasons are above); the others are in place")


# === end datasets ===

# === models & train (drugscreen.models, drugscreen.training, drugscreen.bundle) ===
models_app = typer.Typer(help="List installed model bundles and show their model cards.", no_args_is_help=True)
app.add_typer(models_app, name="models", rich_help_panel="Models")


@models_app.command("list")
def models_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the installed model bundles (the shipped panel) with their tasks and test metrics."""
    from drugscreen import jsonio
    from drugscreen.bundle import installed_models
    from drugscreen.exceptions import BundleError
    from drugscreen.repurposing.affinity_bundle import affinity_summary
    from drugscreen.training.card import mean_sd_text

    infos = installed_models()
    try:
        affinity: dict | None = affinity_summary()
    except BundleError:
        affinity = None
    if as_json:
        typer.echo(jsonio.dumps([
            {"name": m.name, "path": str(m.path), "description": m.description, "tasks": m.n_tasks,
             "members": m.n_members, "datasets": list(m.datasets), "test": m.summary} for m in infos
        ] + ([affinity] if affinity else []), indent=2))  # fmt: skip
        return
    if not infos and not affinity:
        typer.echo("No model bundles installed.")
        return
    for m in infos:
        typer.echo(f"{m.name}  ({m.n_tasks} task{'s' * (m.n_tasks != 1)}, {m.n_members} member{'s' * (m.n_members != 1)})  "
                   f"{m.description}")
        for ds, s in m.summary.items():
            metric = "roc_auc" if "roc_auc" in s else "rmse"
            ms = s.get(metric, {})
            typer.echo(f"    {ds:<22} test {metric.upper().replace('_', '-')} {mean_sd_text(ms, len(s.get('seeds') or []) or None)}")
    if affinity:
        typer.echo(f"affinity  ({len(affinity['tasks'])} tasks, {affinity['members']} members, {affinity['split']} split)  "
                   f"{affinity['description']}")
        for task, m in affinity["test"].items():
            typer.echo(f"    {task:<22} test CI {jsonio.number(m.get('ci')):.3f}, Spearman (all pairs) {jsonio.number(m.get('spearman')):.3f}")


@models_app.command("info")
def models_info(
    name: Annotated[str, typer.Argument(help="Installed bundle name (see `models list`) or a bundle directory.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the bundle's config.json instead of its card.")] = False,
) -> None:
    """Show a model bundle's card: tasks, test metrics, data checksums, calibration, domain."""
    from drugscreen import jsonio
    from drugscreen.bundle import installed_models, load_bundle
    from drugscreen.repurposing.affinity_bundle import affinity_card, affinity_config

    if name == "affinity" and "affinity" not in {m.name for m in installed_models()}:
        typer.echo(jsonio.dumps(affinity_config(), indent=1) if as_json else affinity_card())
        return
    if _is_affinity_bundle(Path(name)):  # a directory saved by save_affinity_bundle (repurpose --model DIR)
        typer.echo(jsonio.dumps(affinity_config(Path(name)), indent=1) if as_json else affinity_card(Path(name)))
        return
    from drugscreen.exceptions import UnknownNameError

    with _unknown_name_is_usage({"model bundle": ("'NAME'", name)}):  # a misspelt NAME is a usage error (exit 2)
        try:
            bundle = load_bundle(name)
        except UnknownNameError as exc:  # `affinity` is a NAME here too: suggest it as well
            if exc.kind != "model bundle" or "affinity" in exc.choices:
                raise
            raise UnknownNameError(exc.kind, exc.name, [*exc.choices, "affinity"]) from None
    typer.echo(jsonio.dumps(bundle.config, indent=1) if as_json else bundle.card())


def _is_affinity_bundle(path: Path) -> bool:
    """Whether ``path`` is a directory holding an affinity bundle (``"kind": "affinity"``)."""
    import json

    try:
        return json.loads((path / "config.json").read_text()).get("kind") == "affinity"
    except (OSError, ValueError, AttributeError):
        return False


@app.command("train", rich_help_panel="Models", epilog="Examples: drugscreen train --dataset bbbp --model dmpnn --split scaffold --seeds 0,1,2 -o runs/bbbp ; "
             "drugscreen train --dataset my_assay.csv --targets pIC50 --model gine -o runs/my_assay")
def train_cmd(
    output: Annotated[Path, typer.Option("--output", "-o", help="Output directory: the bundle, metrics, run records.")],
    config_file: Annotated[Optional[Path], typer.Option("--config", help="TOML file whose keys are these options' names with _ for - (threads: num_threads), plus more (benchmarks/configs/panel.toml shows them); flags given here take precedence.")] = None,  # noqa: UP045
    dataset: Annotated[Optional[str], typer.Option("--dataset", help="Dataset name, or your own table (a .csv/.tsv file: SMILES and label columns, an empty cell = not measured), or several joined by commas (a joint panel); default bbbp.")] = None,  # noqa: UP045
    smiles_column: Annotated[Optional[str], typer.Option("--smiles-column", help="Your table's SMILES column (default: the one named smiles, canonical_smiles or smi, any case).")] = None,  # noqa: UP045
    targets: Annotated[Optional[str], typer.Option("--targets", help="Your table's label columns, joined by commas (default: every other column but identifier columns, whose names hold id, name, code, title, CAS, ChEMBL or InChIKey: Compound ID, Activity code; a warning names one that holds only numbers).")] = None,  # noqa: UP045
    task_type: Annotated[Optional[str], typer.Option("--task-type", help="classification (labels 0/1) or regression for your table (default: classification when every label is 0 or 1, regression otherwise; a column of just two other values, e.g. -1/1, is refused until you choose).")] = None,  # noqa: UP045
    model: Annotated[Optional[str], typer.Option("--model", help="dmpnn (default), gine, attentivefp, fp_mlp or rf.")] = None,  # noqa: UP045
    split: Annotated[Optional[str], typer.Option("--split", help="scaffold (default), random, balanced_scaffold, stratified.")] = None,  # noqa: UP045
    seeds: Annotated[Optional[str], typer.Option("--seeds", help="Comma-separated seeds, e.g. 0,1,2 (default 0).")] = None,  # noqa: UP045
    ensemble: Annotated[Optional[int], typer.Option("--ensemble", help="Ensemble members per seed (default 1).")] = None,  # noqa: UP045
    epochs: Annotated[Optional[int], typer.Option("--epochs", help="Maximum epochs (default 50).")] = None,  # noqa: UP045
    batch_size: Annotated[Optional[int], typer.Option("--batch-size", help="Batch size (default 64).")] = None,  # noqa: UP045
    lr: Annotated[Optional[float], typer.Option("--lr", help="Peak learning rate (default 1e-3).")] = None,  # noqa: UP045
    extra_features: Annotated[Optional[str], typer.Option("--extra-features", help="none, ecfp (hybrid: ECFP4 bits next to the graph), descriptors (the 21 fast RDKit descriptors, scaled on the training part), ecfp+descriptors (both), or the name of a registered fingerprint or descriptor featurizer (maccs, morgan, a plugin's; scaled likewise); default none (ecfp for fp_mlp, which reads only these).")] = None,  # noqa: UP045
    device: Annotated[Optional[str], typer.Option("--device", help="cpu (default) or cuda.")] = None,  # noqa: UP045
    threads: Annotated[Optional[int], typer.Option("--threads", help="torch threads (default 1).")] = None,  # noqa: UP045
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace a finished run (bundle, metrics, runs/) already in --output; without it such a directory is refused. An interrupted run there is resumed either way.")] = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = 0,
) -> None:
    """Train a model (or a joint panel) with early stopping and calibration on validation; write a bundle.

    With [bold]--model rf[/bold] only metrics and run records are written (no screening bundle); with a
    random-type split and several seeds, one bundle per seed in OUTPUT/seed<N>.
    """
    command_verbosity(verbose, quiet)
    from drugscreen.exceptions import ConfigError
    from drugscreen.training import resolve_config, train
    from drugscreen.training.card import mean_sd_text

    flags = {"dataset": dataset, "model": model, "split": split, "seeds": seeds, "ensemble": ensemble, "epochs": epochs,
             "batch_size": batch_size, "lr": lr, "extra_features": extra_features, "device": device, "num_threads": threads,
             "smiles_column": smiles_column, "targets": targets, "task_type": task_type}  # config key -> value typed
    with _unknown_name_is_usage({"model": ("'--model'", model), "dataset": ("'--dataset'", dataset)}):
        try:
            config = resolve_config(config_file, **flags)
        except ConfigError as exc:
            _bad_train_flag(exc, flags)  # a misspelt --split is a usage error (exit 2), as a misspelt --model is
            raise
        if dataset is not None:  # a misspelt --dataset name, before the output folder is made
            from drugscreen.data.catalog import get_spec
            from drugscreen.data.loaders import is_table_path

            for name in config.dataset:
                if not is_table_path(name):
                    get_spec(name)
    import shlex

    given = [(f"--{k.replace('_', '-')}" if k != "num_threads" else "--threads", v) for k, v in flags.items() if v is not None]
    argv = ["drugscreen", "train", *(["--config", str(config_file)] if config_file is not None else []),
            *[str(a) for flag, v in given for a in (flag, v)], "-o", str(output), *(["--overwrite"] if overwrite else [])]
    result = train(config, output, progress=progress_enabled(), overwrite=overwrite, command=shlex.join(argv))
    for name, s in result.metrics["summary"].items():
        for metric in ("roc_auc", "rmse"):
            if metric in s:
                if not s[metric].get("n"):
                    typer.echo(f"{name}: test {metric} n/a (no test task could be scored; see the warnings above) (seeds {s['seeds']})")
                    continue
                typer.echo(f"{name}: test {metric} {mean_sd_text(s[metric], len(s['seeds']))} (seeds {s['seeds']})")
    if not _state.get("quiet"):  # -q: only warnings and errors, as screen -q drops its summary line
        typer.echo(_train_outputs_message(output, config.model, result.bundle_paths), err=True)


def _bad_train_flag(exc: Exception, flags: dict[str, object]) -> None:
    """Raise :class:`typer.BadParameter` (exit 2) when ``exc`` is about one of the ``train``
    flags given on the command line (:attr:`ConfigError.key`; ``flags`` maps config keys to
    the values typed, None for a flag not given).

    A bad value typed on the command line (``--split scafold``, ``--epochs 0``, ``--seeds a``,
    ``--device gpu``) is a usage error, as a misspelt ``--model`` or ``--epochs x`` is; the same
    value from the TOML file, or an error of several values together, stays a data error (exit 1).
    """
    key = getattr(exc, "key", None)
    if key in flags and flags[key] is not None:
        flag = _TRAIN_FLAG_NAMES.get(key, "--" + key.replace("_", "-"))
        raise typer.BadParameter(str(exc), param_hint=repr(flag)) from None


#: ``train`` flags not named after their config key with ``-`` for ``_``.
_TRAIN_FLAG_NAMES = {"num_threads": "--threads"}


def _train_outputs_message(output: Path, model: str, bundles: list[Path]) -> str:
    """What ``train`` wrote, and whether OUTPUT itself can be given to ``screen --panel``."""
    if model == "rf" or not bundles:
        return (f"Wrote {output}: no screening bundle ({model} runs are benchmark runs); "
                f"metrics in {output / 'metrics.json'}, run records in {output / 'runs'}")
    if len(bundles) == 1 and Path(bundles[0]) == Path(output):
        return f"Wrote screening bundle {output} (use with `drugscreen screen --panel {output}`); metrics in {output / 'metrics.json'}"
    listed = ", ".join(str(b) for b in bundles)
    return (f"Wrote one screening bundle per seed: {listed} (use one with `drugscreen screen --panel`); "
            f"{output} itself is not a bundle; metrics in each bundle's metrics.json, over seeds in {output / 'metrics.json'}")
# === end models & train ===

# === screen & profiles (drugscreen.screening, drugscreen.io) ===
_SCREEN_EPILOG = (
    "Example: [bold]drugscreen screen hits.smi -o scored.csv --report report.html[/bold]\n\n"
    "Inputs: .smi/.smiles, .csv/.tsv/.txt, .sdf, .parquet (any gzipped), '-' for stdin. "
    "Outputs: .csv (default <stem>_scored.csv beside the input; stdout when the input is "
    "stdin), .tsv, .parquet, .sdf, '-' for stdout. Output columns are listed in the README "
    "(Output columns)."
)

@contextmanager
def _unknown_name_is_usage(given: dict[str, tuple[str, object]]) -> Iterator[None]:
    """Turn an unknown name that the user typed on the command line into a usage error (exit 2).

    ``given`` maps the kind of name (:attr:`UnknownNameError.kind`: ``"endpoint"``,
    ``"profile"``, ``"model bundle"``) to the option or argument that took it and its value
    (``None`` when not given). The library raises
    :class:`~drugscreen.exceptions.UnknownNameError` (a data error, exit 1) with the closest
    names; when the name came from the command line it is a usage error, so it is re-raised
    as :class:`typer.BadParameter` (exit 2) with the same message.
    """
    from drugscreen.exceptions import UnknownNameError

    try:
        yield
    except UnknownNameError as exc:
        hint, value = given.get(exc.kind, ("", None))
        if value is None:
            raise
        raise typer.BadParameter(str(exc), param_hint=hint) from None


@app.command("screen", epilog=_SCREEN_EPILOG, rich_help_panel="Screening")
def screen_cmd(
    input_path: Annotated[str, typer.Argument(metavar="INPUT", help="Molecules to score (file, or '-' for stdin).", show_default=False)],
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Output file ('-' = stdout); default <stem>_scored.csv beside the input, stdout when INPUT is '-'.", show_default=False)] = None,  # noqa: UP045
    endpoints: Annotated[Optional[str], typer.Option("--endpoints", help="Endpoints to output, comma-separated: names, datasets (tox21) or globs (sider_*); default all.", show_default=False)] = None,  # noqa: UP045
    profile: Annotated[str, typer.Option("--profile", help="Ranking profile: a shipped name (see `drugscreen profiles list`) or a TOML file.")] = "default",
    report: Annotated[Optional[Path], typer.Option("--report", help="Also write a self-contained HTML report here.", show_default=False)] = None,  # noqa: UP045
    top: Annotated[Optional[int], typer.Option("--top", min=0, help="Molecules shown in the report's grid (with --report; the output keeps every row). \\[default: 50]", show_default=False)] = None,  # noqa: UP045
    smiles_column: Annotated[Optional[str], typer.Option("--smiles-column", help="Column holding SMILES (default: smiles/canonical_smiles/smi, any case).", show_default=False)] = None,  # noqa: UP045
    id_column: Annotated[Optional[str], typer.Option("--id-column", help="Column holding ids (default: id/name/_Name, else the row number; an empty cell gets 'row N').", show_default=False)] = None,  # noqa: UP045
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Rows read, scored and written at a time.")] = 4096,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=0, help="Worker processes; 0 = auto (one per core for inputs over ~4000 molecules).")] = 0,
    device: Annotated[str, typer.Option("--device", help="Where the models run: cpu (auto = cpu in this version).")] = "cpu",
    panel: Annotated[Optional[str], typer.Option("--panel", help="Model bundle name or directory (default: the shipped panel).", show_default=False)] = None,  # noqa: UP045
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted run of the same input and options.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when any molecule is invalid (the output is still written).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary line.")] = False,
    verbose: VerboseOption = 0,
    engine: Annotated[str, typer.Option("--engine", help="local: this machine (--jobs processes); ray: Ray Data actors, writing -o DIRECTORY of Parquet parts + _manifest.json (pip install 'drugscreen\\[ray]').", rich_help_panel="Scale-out")] = "local",
    address: Annotated[Optional[str], typer.Option("--address", help="--engine ray: the Ray cluster, 'auto' (started with `ray start`) or ray://host:10001; default: start a local Ray.", show_default=False, rich_help_panel="Scale-out")] = None,  # noqa: UP045
    num_workers: Annotated[int, typer.Option("--num-workers", min=0, help="--engine ray: scoring actors (one CPU each); 0 = every CPU of the Ray cluster.", rich_help_panel="Scale-out")] = 0,
) -> None:
    """Score molecules for efficacy, toxicity and ADME with the shipped panel, and rank them.

    Every input row appears once in the output, in input order, with its input columns,
    predictions (probabilities 0-1; regression values with units in the column name), their
    uncertainty, the applicability domain, structural alerts, drug-likeness, the profile's
    score and rank. Invalid molecules stay in place, flagged, with the reason in `error`.
    """
    import signal

    from drugscreen.screening.run import run_screen

    command_verbosity(verbose, quiet)
    show_progress = progress_enabled(quiet)
    if input_path == "-" and _stdin_is_terminal():  # `screen -` typed at a prompt waited without a word
        logger.warning("reading molecules from standard input: type or paste them, then Ctrl-D (Ctrl-Z Enter on Windows)")
    endpoint_list = [e for e in (endpoints or "").split(",") if e.strip()] or None
    if top is not None and report is None:  # `repurpose --top N` keeps N rows; this --top only sizes the report
        logger.warning("--top sets how many molecules the report shows; without --report it changes nothing "
                       "(the output keeps every row, ordered by input, with its rank)")
    top = 50 if top is None else top
    if report is not None:  # before the run: a report that cannot be written failed only at its end
        from drugscreen.screening.report import check_report_path

        # a file that cannot be written is a data error (exit 1), as for -o and repurpose --report
        check_report_path(report)
    if input_path != "-" and not Path(input_path).exists():
        _refuse_smiles_as_input(input_path)
    if engine == "local" and output not in (None, "-"):
        _refuse_directory_output(output, _default_output_name(input_path, "_scored.csv"))
    if engine not in ("local", "ray"):
        raise typer.BadParameter(f"{engine!r}: choose local or ray", param_hint="'--engine'")
    device = device.strip().lower()  # --device CPU was refused as "not supported yet"
    if device not in ("cpu", "auto"):
        raise typer.BadParameter(f"{device!r}: screening runs on cpu in this version (auto = cpu); "
                                 "`drugscreen train --device cuda` trains on a GPU", param_hint="'--device'")
    typed_names = {"endpoint": ("'--endpoints'", endpoints), "profile": ("'--profile'", profile), "model bundle": ("'--panel'", panel)}
    if engine == "ray":
        with _unknown_name_is_usage(typed_names):
            _screen_ray(
                input_path, output, panel=panel, endpoints=endpoint_list, profile=profile, report=report,
                smiles_column=smiles_column, id_column=id_column, chunk_size=batch_size, device=device,
                resume=resume, strict=strict, quiet=quiet, address=address, num_workers=num_workers,
                show_progress=show_progress,
            )  # fmt: skip
        return
    if address is not None or num_workers:
        raise typer.BadParameter("--address and --num-workers need --engine ray", param_hint="'--engine'")

    def _sigterm(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    old_term = signal.signal(signal.SIGTERM, _sigterm)
    progress_bar = None
    # the summary line ends "; report R": on the terminal the run's "report written to R" would
    # say it twice; a --log-file, which never gets the summary line, keeps it
    console = [h for h in logging.getLogger("drugscreen").handlers if not isinstance(h, logging.FileHandler)]
    for h in console:
        h.addFilter(_report_in_summary)
    try:
        on_progress = None
        if show_progress:
            from rich.console import Console
            from rich.progress import (
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            progress_bar = Progress(
                SpinnerColumn(), TextColumn("scoring"), MofNCompleteColumn(), TextColumn("molecules"),
                TimeElapsedColumn(), console=Console(stderr=True), transient=True,
            )  # fmt: skip
            progress_bar.start()
            task = progress_bar.add_task("scoring", total=None)

            def on_progress(done: int) -> None:
                progress_bar.update(task, completed=done)

        with _unknown_name_is_usage(typed_names):
            summary = run_screen(
                input_path, output, panel=panel, endpoints=endpoint_list, profile=profile,
                report=report, top=top, smiles_column=smiles_column, id_column=id_column,
                chunk_size=batch_size, jobs=jobs or None, device=device, resume=resume,
                on_progress=on_progress,
            )  # fmt: skip
    except KeyboardInterrupt:
        if progress_bar is not None:
            progress_bar.stop()
        if "-" in (input_path, output):
            # a run reading stdin or writing stdout keeps no work folder to continue from
            typer.echo("Interrupted: standard input or output cannot be resumed; rerun from the start.", err=True)
        else:
            typer.echo("Interrupted: no output written; rerun with --resume to continue.", err=True)
        raise typer.Exit(130) from None
    finally:
        if progress_bar is not None:
            progress_bar.stop()
        signal.signal(signal.SIGTERM, old_term)
        for h in console:
            h.removeFilter(_report_in_summary)
    if not (quiet or _state.get("quiet")):
        where = "stdout" if summary.output == "-" else summary.output
        line = _counts_line(summary, where) + _speed(summary)
        if summary.report:  # after the time: "...; report r.html in 2.3 s" read as the report's time
            line += f"; report {summary.report}"
        typer.echo(line, err=True)
    if strict and summary.invalid:
        typer.echo(f"Error: {summary.invalid:,} invalid molecule(s) and --strict was given.", err=True)
        raise typer.Exit(1)


def _report_in_summary(record: logging.LogRecord) -> bool:
    """Leave out the log line "report written to R" of `screen`, whose summary line names R."""
    return not (record.name == "drugscreen.screening.report" and record.msg == "report written to %s")


def _stdin_is_terminal() -> bool:
    """Whether standard input is an interactive terminal (nothing piped or redirected in)."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):  # closed or replaced stdin
        return False


def _refuse_smiles_as_input(input_path: str) -> None:
    """A data error (exit 1) saying how to score a SMILES typed where the input file goes.

    ``drugscreen screen CCO`` was refused as "unknown file type (no suffix)", which does not tell
    a new user that INPUT is a file, nor how to score one molecule. Only text that is no file,
    has no known suffix and parses as a SMILES gets this message.
    """
    from drugscreen.exceptions import InputFormatError

    if Path(input_path).suffix.lower() in (".smi", ".smiles", ".csv", ".tsv", ".txt", ".sdf", ".parquet", ".gz"):
        return
    from rdkit import Chem, rdBase

    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(input_path)
    if mol is not None and mol.GetNumAtoms():
        raise InputFormatError(
            f"{input_path!r} is not a file but reads as a SMILES; INPUT is a file of molecules. To score molecules "
            f"typed on the command line, pipe them in: echo '{input_path}' | drugscreen screen - -o -"
        )


def _default_output_name(input_path: str | Path | None, suffix: str) -> str:
    """``hits_scored.csv`` for ``hits.sdf.gz``: the input's name without its suffixes, plus ``suffix``."""
    name = Path(str(input_path or "-")).name
    if name in ("-", ""):
        return suffix.lstrip("_")
    stem = name[:-3] if name.lower().endswith(".gz") else name
    return Path(stem).stem + suffix


def _refuse_directory_output(output: str | Path, example: str) -> None:
    """A data error (exit 1, as an unknown suffix is) naming the folder, for ``-o`` naming a folder.

    ``-o results`` with ``results/`` a folder was refused as "unknown file type (no suffix)",
    which sent users hunting for a suffix rule rather than a file name.
    """
    from drugscreen.exceptions import InputFormatError

    if Path(output).is_dir():
        raise InputFormatError(f"cannot write {str(output)!r}: it is a folder; give a file name such as "
                               f"{Path(output) / example}")


def _counts_line(summary: ScreenSummary, where: str) -> str:
    """``N scored (K outside the applicability domain), M invalid (see column error in OUT)``."""
    line = f"{summary.valid:,} scored"
    if summary.out_of_domain:
        line += f" ({summary.out_of_domain:,} outside the applicability domain)"
    line += f", {summary.invalid:,} invalid"
    return line + (f" (see column error in {where})" if summary.invalid else f"; wrote {where}")


def _speed(summary: ScreenSummary) -> str:
    """`` in 5.2 s (1,234/s)``; the rate with one decimal under 10/s, left out when nothing was scored."""
    rate = summary.molecules_per_second
    if not rate > 0:  # NaN (no time) or nothing scored in this run
        return f" in {summary.seconds:.1f} s"
    return f" in {summary.seconds:.1f} s ({rate:,.{1 if rate < 10 else 0}f}/s)"


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread as Ctrl-C is, so the run cleans up the same way."""


class _RowsProgress:
    """The progress bar of a ``--engine ray`` run, as the local engine's: rows done of the total.

    Started (``start(total)``) when the run knows its rows, so that the set-up lines come
    before it; ``update(done)`` as parts complete; ``stop()`` removes it (idempotent).
    """

    def __init__(self) -> None:
        self._bar: Any = None
        self._task: Any = None

    def start(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import (
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bar = Progress(
            SpinnerColumn(), TextColumn("scoring"), MofNCompleteColumn(), TextColumn("molecules"),
            TimeElapsedColumn(), console=Console(stderr=True), transient=True,
        )  # fmt: skip
        self._task = self._bar.add_task("scoring", total=total)
        self._bar.start()

    def update(self, done: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=done)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def _screen_ray(
    input_path: str,
    output: str | None,
    *,
    panel: str | None,
    endpoints: list[str] | None,
    profile: str,
    report: Path | None,
    smiles_column: str | None,
    id_column: str | None,
    chunk_size: int,
    device: str,
    resume: bool,
    strict: bool,
    quiet: bool,
    address: str | None,
    num_workers: int,
    show_progress: bool = False,
) -> None:
    """`drugscreen screen --engine ray`: run_screen_ray, its progress bar and the summary line.

    Ctrl-C, or SIGTERM (a scheduler's cancel), ends the run with one line saying what the
    output directory holds (the last finished output, or nothing) and exit 130 (143 for SIGTERM).
    """
    import signal

    from drugscreen.exceptions import MissingDependencyError
    from drugscreen.screening.ray_engine import (
        MANIFEST_FILE,
        RAY_INSTALL_HINT,
        partial_dir,
        ray_available,
        run_screen_ray,
    )

    if not ray_available():
        raise MissingDependencyError(RAY_INSTALL_HINT)
    if output is None or output == "-":
        raise typer.BadParameter("--engine ray writes a directory: give -o DIRECTORY", param_hint="'--output'")
    if report is not None:
        raise typer.BadParameter("--report works with --engine local only (for now)", param_hint="'--engine'")
    if not _state.get("verbose"):
        # Ray and Ray Data log at INFO to stderr by default; keep the screen output to one line
        import os

        os.environ.setdefault("RAY_DATA_LOG_LEVEL", "WARNING")
        logging.getLogger("ray").setLevel(logging.WARNING)

    def _sigterm(signum: int, frame: object) -> None:
        raise _Terminated

    old_term = signal.signal(signal.SIGTERM, _sigterm)
    bar = _RowsProgress() if show_progress else None
    try:
        summary = run_screen_ray(
            input_path, output, panel=panel, endpoints=endpoints, profile=profile,
            smiles_column=smiles_column, id_column=id_column, chunk_size=chunk_size,
            num_workers=num_workers or None, address=address, device=device, resume=resume,
            on_progress=bar.update if bar else None, on_total=bar.start if bar else None,
        )  # fmt: skip
    except KeyboardInterrupt as exc:
        if bar is not None:
            bar.stop()
        last = (Path(output) / MANIFEST_FILE).is_file()
        if (partial_dir(output) / "plan.json").is_file():
            kept = f"the parts scored so far are kept in {partial_dir(output)}; rerun with --resume to continue"
            if last:
                kept += f" (the last finished output in {output} is as it was)"
        elif last:
            kept = f"the last finished output in {output} was kept as it was; rerun the command to score again"
        else:
            kept = "no output written; rerun the command to start again"
        typer.echo(f"Interrupted: {kept}.", err=True)
        raise typer.Exit(143 if isinstance(exc, _Terminated) else 130) from None
    finally:
        if bar is not None:
            bar.stop()
        signal.signal(signal.SIGTERM, old_term)
    if not (quiet or _state.get("quiet")):
        line = _counts_line(summary, summary.output)
        if summary.parts:
            parts, workers = summary.parts, summary.workers
            resumed = f", {summary.resumed_rows:,} rows resumed" if summary.resumed_rows else ""
            line += f" ({parts} part{'s' * (parts != 1)}, {workers} Ray worker{'s' * (workers != 1)}{resumed})"
        typer.echo(line + _speed(summary), err=True)
    if strict and summary.invalid:
        typer.echo(f"Error: {summary.invalid:,} invalid molecule(s) and --strict was given.", err=True)
        raise typer.Exit(1)


profiles_app = typer.Typer(help="List and show the ranking profiles used by `drugscreen screen`.", no_args_is_help=True)
app.add_typer(profiles_app, name="profiles", rich_help_panel="Screening")


@profiles_app.command("list")
def profiles_list() -> None:
    """List the shipped ranking profiles."""
    from drugscreen.screening.profiles import available_profiles

    profiles = available_profiles()
    width = max((len(n) for n in profiles), default=4)
    for name, description in profiles.items():
        typer.echo(f"{name.ljust(width)}  {description}")


@profiles_app.command("show")
def profiles_show(
    name: Annotated[str, typer.Argument(help="Profile name (see `drugscreen profiles list`) or TOML file.")],
) -> None:
    """Print a profile's TOML (copy it, edit it, pass it with --profile FILE)."""
    from drugscreen.screening.profiles import load_profile, profile_text

    with _unknown_name_is_usage({"profile": ("'NAME'", name)}):  # a misspelt NAME is a usage error (exit 2)
        load_profile(name)  # validates; raises a one-line error for bad files
    typer.echo(profile_text(name).rstrip("\n"))


# === end screen & profiles ===

# === benchmark (drugscreen.benchmarking) ===
benchmark_app = typer.Typer(
    help="Reproducible benchmarks: a TOML grid of datasets x models x splits x seeds, one run record "
    "per cell in benchmarks/results/runs/, and `report` to regenerate benchmarks/RESULTS.md + plots.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(benchmark_app, name="benchmark", rich_help_panel="Benchmarks")


@benchmark_app.callback(
    epilog="Examples: drugscreen benchmark --config benchmarks/configs/property_suite.toml ; "
    "drugscreen benchmark --config benchmarks/configs/property_suite.toml --only bbbp/rf/0 --force ; "
    "drugscreen benchmark --config my_assay_bench.toml (datasets = [\"my_assay.csv\"]) ; "
    "drugscreen benchmark report"
)
def benchmark_cmd(
    ctx: typer.Context,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="Benchmark TOML (benchmarks/configs/NAME.toml). Its datasets may be registered names or your own tables (datasets = [\"my_assay.csv\"], read beside the config file, with optional targets, smiles_column, task_type as for train).")] = None,  # noqa: UP045
    force: Annotated[bool, typer.Option("--force", help="Re-run cells whose run record already exists.")] = False,
    only: Annotated[Optional[str], typer.Option("--only", help="Only cells matching DATASET/MODEL/SEED/SPLIT (or DATASET/MODEL/SPLIT/SEED, as the log prints cells); trailing parts optional, * = any (e.g. bbbp/rf/0).")] = None,  # noqa: UP045
    in_process: Annotated[bool, typer.Option("--in-process", help="Run cells in this process (faster start; peak memory is then the whole run's).")] = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = 0,
) -> None:
    """Run the missing cells of a benchmark grid (cells with a record are skipped unless --force)."""
    command_verbosity(verbose, quiet)
    if ctx.invoked_subcommand is not None:
        return
    if config is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)
    from drugscreen.benchmarking.runner import run_from_config
    from drugscreen.exceptions import ConfigError

    try:
        outcomes = run_from_config(config, force=force, only=only, isolate=not in_process)
    except ConfigError as exc:
        if getattr(exc, "key", None) == "only":  # a pattern typed on the command line: a usage error
            raise typer.BadParameter(str(exc), param_hint="'--only'") from None
        raise
    failed = [o for o in outcomes if o.status == "failed"]
    for o in outcomes:
        typer.echo(f"{o.status:<8} {o.cell.key:<45} {o.seconds:7.1f}s  {o.path}" + (f"  {o.error}" if o.error else ""))
    if failed:
        typer.echo(f"Error: {len(failed)} of {len(outcomes)} cell(s) failed", err=True)
        raise typer.Exit(1)


@benchmark_app.command("report")
def benchmark_report(
    results_dir: Annotated[Optional[Path], typer.Option("--results-dir", help="Folder of run records (default benchmarks/results/runs).")] = None,  # noqa: UP045
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Markdown file to write (default benchmarks/RESULTS.md; with another --results-dir, RESULTS.md beside that folder).")] = None,  # noqa: UP045
    plots_dir: Annotated[Optional[Path], typer.Option("--plots-dir", help="Folder for the PNG plots (default benchmarks/plots; with another --results-dir, plots/ beside that folder).")] = None,  # noqa: UP045
    no_plots: Annotated[bool, typer.Option("--no-plots", help="Do not draw plots.")] = False,
    suite: Annotated[Path, typer.Option("--suite", help="Config whose total run time RESULTS.md states.")] = Path("benchmarks/configs/property_suite.toml"),
    quiet: QuietOption = False,
    verbose: VerboseOption = 0,
) -> None:
    """Aggregate run records (mean +/- sd over seeds) beside published anchors into RESULTS.md + plots."""
    command_verbosity(verbose, quiet)
    from drugscreen.benchmarking.config import RESULTS_DIR
    from drugscreen.benchmarking.records import load_records
    from drugscreen.benchmarking.report import build_report

    # the committed report and plots are rewritten only from the committed records: a report of
    # one's own records goes beside them unless -o / --plots-dir say otherwise
    results_dir = results_dir or RESULTS_DIR
    own = results_dir.resolve() != RESULTS_DIR.resolve()
    output = output or (results_dir.parent / "RESULTS.md" if own else Path("benchmarks/RESULTS.md"))
    plots_dir = plots_dir or (results_dir.parent / "plots" if own else Path("benchmarks/plots"))
    # a misspelt or relative --results-dir (another working folder) gave 0 records and replaced
    # RESULTS.md with an empty report, exit 0
    if not results_dir.is_dir():
        raise typer.BadParameter(f"folder {results_dir} does not exist (run from the repository root, or give the "
                                 "folder of run records)", param_hint="'--results-dir'")
    if not load_records(results_dir):
        raise typer.BadParameter(f"{results_dir} holds no run records (*.json); {output} is left as it is",
                                 param_hint="'--results-dir'")
    path = build_report(results_dir, output, plots_dir=None if no_plots else plots_dir, suite_config=suite)
    typer.echo(str(path))
# === end benchmark ===

# === repurpose (drugscreen.repurposing) ===
@app.command(
    "repurpose",
    rich_help_panel="Repurposing",
    epilog="Examples (from the repository root): drugscreen repurpose --fasta examples/abl1.fasta --top 20 -o ranked.csv "
    "--report ranked.html; drugscreen repurpose --fasta examples/abl1.fasta --ligands examples/abl1_ligands.smi --top 20",
)
def repurpose_cmd(
    sequence: Annotated[Optional[str], typer.Option("--sequence", help="Target protein sequence (one-letter codes).")] = None,  # noqa: UP045
    fasta: Annotated[Optional[Path], typer.Option("--fasta", help="FASTA file with the target sequence (one record).")] = None,  # noqa: UP045
    ligands: Annotated[Optional[Path], typer.Option("--ligands", help="Known ligands of the target (any file `screen` reads, or '-' for stdin).")] = None,  # noqa: UP045
    activity_column: Annotated[Optional[str], typer.Option("--activity-column", help="Ligand column with 1/0, active/inactive (ChEMBL's Active/Not Active too), or a -log10 molar potency (pIC50, pKi, pchembl_value). A column named as a concentration (IC50, Ki, Kd, EC50 without the p; nM, uM) is refused: convert with pX = 9 - log10(nM).")] = None,  # noqa: UP045
    active_threshold: Annotated[float, typer.Option("--active-threshold", help="Potency at or above which a ligand is active.")] = 6.0,
    library: Annotated[str, typer.Option("--library", help="`approved` (shipped ChEMBL approved drugs), a molecule file, or '-' for stdin (not with --ligands -).")] = "approved",
    top: Annotated[Optional[int], typer.Option("--top", min=1, help="Keep the best N drugs.")] = None,  # noqa: UP045
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the ranking (csv/tsv, optionally .gz, or parquet); default: the best 25 (or --top N) as a table on stdout.")] = None,  # noqa: UP045
    report: Annotated[Optional[Path], typer.Option("--report", help="Write a self-contained HTML report.")] = None,  # noqa: UP045
    model: Annotated[Optional[Path], typer.Option("--model", help="Affinity model bundle (default: the shipped one).")] = None,  # noqa: UP045
    no_panel: Annotated[bool, typer.Option("--no-panel", help="Leave out the toxicity panel columns.")] = False,
    all_forms: Annotated[bool, typer.Option("--all-forms", help="One row per library entry; by default salt forms, hydrates and tautomers of one drug are listed once (column other_forms names the rest).")] = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = 0,
) -> None:
    """Rank approved drugs (or a library) against a new target, by its sequence and/or known ligands."""
    command_verbosity(verbose, quiet)
    if sequence is None and fasta is None and ligands is None:
        raise typer.BadParameter("give --sequence, --fasta or --ligands (or a sequence with ligands)")
    if sequence is not None and fasta is not None:
        raise typer.BadParameter("give either --sequence or --fasta, not both")
    stdin_input = "ligands" if ligands is not None and str(ligands) == "-" else "library" if library == "-" else None
    if stdin_input is not None and _stdin_is_terminal():  # as `screen -` does: it waited without a word
        logger.warning("reading the %s from standard input: type or paste them, then Ctrl-D (Ctrl-Z Enter on Windows)", stdin_input)
    from drugscreen.repurposing.report import check_output_paths
    from drugscreen.repurposing.repurposer import repurpose

    check_output_paths(output, report, inputs=(library, ligands, fasta))  # before the model loads, not after the run
    ranked = repurpose(
        sequence=sequence, fasta=fasta, ligands=ligands, activity_column=activity_column,
        active_threshold=active_threshold, library=library, top=top, model=model, panel=not no_panel,
        forms="all" if all_forms else "parent",
    )  # fmt: skip
    if report is not None:
        from drugscreen.repurposing.report import write_report

        write_report(ranked, report)
        logger.info("report written to %s", report)
    if output is None:
        id_column = ranked.attrs.get("id_column", "chembl_id")  # "id" for a user library without ChEMBL ids
        cols = [c for c in ("rank", id_column, "name", "first_approval", "score", "uncertainty", "evidence") if c in ranked.columns]
        shown = ranked[cols].head(top or 25).copy()
        if "error" in ranked.columns and "evidence" in shown.columns:  # an unparsed entry shows why, not NaN
            errors = ranked["error"].head(len(shown)).fillna("").astype(str)
            shown["evidence"] = [f"not ranked: {e}" if e else v for v, e in zip(shown["evidence"], errors, strict=True)]
        if "other_forms" in ranked.columns and not all_forms:  # "IMATINIB (+1 form)": the rest is in the CSV
            from drugscreen.repurposing.repurposer import count_other_forms

            n_other = ranked["other_forms"].head(len(shown)).map(count_other_forms)
            shown["name"] = [f"{n} (+{k} form{'s' if k > 1 else ''})" if k else n for n, k in zip(shown["name"], n_other, strict=True)]
        typer.echo(shown.to_string(index=False))
        if top is None and len(ranked) > len(shown):  # the table stops at 25 rows; the ranking does not
            logger.info("showing the best %d of %s rows; --top N for more, or -o FILE for all", len(shown), f"{len(ranked):,}")
        return
    from drugscreen.repurposing.report import write_table

    write_table(ranked, output)
    n_ranked = int(ranked["rank"].notna().sum()) if "rank" in ranked.columns else len(ranked)
    n_bad = len(ranked) - n_ranked
    invalid = f", {n_bad} invalid row{'s' if n_bad > 1 else ''}" if n_bad else ""
    logger.info("%d drugs ranked%s; written to %s", n_ranked, invalid, output)


# === end repurpose ===


def _help_from_docstrings(typer_app: typer.Typer) -> None:
    """Give each command its docstring as help with the line breaks inside a paragraph joined.

    Rich keeps the source line breaks of every paragraph after the first, so on an 80-column
    terminal each source line was wrapped on its own and sentences broke mid-line
    (``drugscreen screen --help``). Paragraphs (blank-line separated) stay paragraphs.
    """
    import inspect

    for command in typer_app.registered_commands:
        if command.help is None and command.callback is not None and command.callback.__doc__:
            paragraphs = inspect.cleandoc(command.callback.__doc__).split("\n\n")
            command.help = "\n\n".join(" ".join(p.split()) for p in paragraphs)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _help_from_docstrings(group.typer_instance)


_help_from_docstrings(app)


def main() -> None:
    """Console-script entry point: run the app, mapping library errors to one line, exit 1.

    Click (standalone mode) already turns usage errors into one line and exit 2. Commands that
    can be interrupted mid-write catch ``KeyboardInterrupt`` themselves and exit 130 after
    cleaning up; for the others the top-level group (:class:`_InterruptibleGroup`) says
    "Interrupted." and exits 130, and anything that escapes even that still exits 130 here.
    """
    from drugscreen.exceptions import DrugscreenError

    try:
        app()
    except KeyboardInterrupt:
        typer.echo("Interrupted.", err=True)
        sys.exit(130)
    except DrugscreenError as exc:
        if _state.get("verbose"):
            logger.exception("error")
        typer.echo(f"Error: {exc}", err=True)
        sys.exit(1)
