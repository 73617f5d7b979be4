"""The ``drugscreen`` command line: a thin layer over the library.

Each command parses its options, calls one library function and writes the result. Nothing
heavy (torch, PyG, deepchem, pandas) is imported at module level, so ``drugscreen --help``
starts fast; commands import what they need when they run.

Exit codes: 0 success (even when some molecules were flagged invalid), 1 a runtime or data
error (one ``Error: ...`` line on stderr; the traceback only with ``-v``), 2 a usage error,
130 interrupted with Ctrl-C.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from drugscreen._version import __version__

logger = logging.getLogger("drugscreen")

app = typer.Typer(
    name="drugscreen",
    help="Screen molecules for efficacy and toxicity with pretrained GNNs, repurpose approved "
    "drugs against new targets, and run reproducible benchmarks.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode="rich",
)

_state = {"verbose": 0}


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
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv: debug); tracebacks on errors.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors; no progress bars.")] = False,
    log_file: Annotated[Optional[Path], typer.Option("--log-file", help="Also write the log to this file.")] = None,  # noqa: UP045
) -> None:
    """drugscreen: efficacy/toxicity screening, repurposing and benchmarks."""
    _state["verbose"] = verbose
    _state["quiet"] = quiet
    configure_logging(verbose, quiet, log_file)


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


@datasets_app.command("list")
def datasets_list(
    data_dir: _DataDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the registered datasets: rows, tasks, task type, and whether they are on disk."""
    import json

    from drugscreen.data.overview import list_datasets

    rows = list_datasets(data_dir)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    header = ("name", "kind", "rows", "tasks", "type", "on disk", "description")
    table = [
        (r["name"], r["kind"], f"{r['rows']:,}" if r["rows"] else "-", str(r["tasks"] or "-"),
         r["task_type"], "yes" if r["available"] else "no", r["description"])
        for r in rows
    ]  # fmt: skip
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(header[:-1])]
    for line in [header, *table]:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(line[:-1], widths, strict=True)) + "  " + line[-1])


@datasets_app.command("info")
def datasets_info(
    name: Annotated[str, typer.Argument(help="Dataset name, e.g. tox21 (see `datasets list`).")],
    data_dir: _DataDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show what the registry records about one dataset: files, URLs, checksums, tasks, licence."""
    import json

    from drugscreen.data.overview import dataset_info

    info = dataset_info(name, data_dir)
    if as_json:
        typer.echo(json.dumps(info, indent=2))
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


@datasets_app.command("fetch")
def datasets_fetch(
    names: Annotated[list[str], typer.Argument(help="Dataset names, or `all`.")],
    data_dir: _DataDirOption = None,
    force: Annotated[bool, typer.Option("--force", help="Download again even if present.")] = False,
) -> None:
    """Download datasets into the data directory (checked, written atomically)."""
    from drugscreen.data.files import fetch_many

    for name, paths in fetch_many(names, data_dir, force=force):
        typer.echo(f"{name}: " + ", ".join(str(p) for p in paths))


# === end datasets ===

# === models & train (drugscreen.models, drugscreen.training, drugscreen.bundle) ===
# === end models & train ===

# === screen & profiles (drugscreen.screening, drugscreen.io) ===
# === end screen & profiles ===

# === benchmark (drugscreen.benchmarking) ===
# === end benchmark ===

# === repurpose (drugscreen.repurposing) ===
# === end repurpose ===


def main() -> None:
    """Console-script entry point: run the app, mapping library errors to one line, exit 1.

    Click (standalone mode) already turns usage errors into one line and exit 2. Commands that
    can be interrupted mid-write catch ``KeyboardInterrupt`` themselves and exit 130 after
    cleaning up; anything that escapes still exits 130 here.
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
