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
