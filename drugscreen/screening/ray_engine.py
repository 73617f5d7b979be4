"""Screening beyond one machine: the :class:`~drugscreen.screening.screener.Screener` on Ray Data.

:func:`run_screen_ray` is what ``drugscreen screen INPUT -o OUTDIR --engine ray`` calls. It
runs the same :meth:`Screener.score_chunk <drugscreen.screening.screener.Screener.score_chunk>`
as the local engine inside ``ray.data.read_datasource(...).map_batches(ScoreActor, ...)`` with
a pool of actors (each loads the panel once), and writes a **directory**:

``part-<first input row, 12 digits>.parquet``
    One part per block of input rows. File names sort in input order. Columns: exactly the
    local engine's, with the same Arrow types (input columns, then ``id``, ``smiles_std``,
    ``valid``, ``error``, endpoints, ..., ``score``, ``rank``), plus a last column
    ``input_row``, the 0-based input row.
``_manifest.json``
    Written last (a directory without it is an unfinished run): input (path, checksum,
    columns), rows, valid, invalid, out_of_domain (valid rows with ``in_domain`` false), output
    columns and Arrow types, the Screener config, versions, engine options and the list of
    parts (file, first row, rows, out_of_domain).

How rows are kept exactly once. Parquet inputs (a file, a directory or a glob of files) are
read on the workers, one read task per row group, planned from the files' footers, so each
row's input position is known where it is read. Other inputs (``.smi``, ``.csv``, ``.sdf``,
gzipped, stdin) are read by the driver with the local engine's own readers (same columns,
ids, and invalid-record handling) and staged as Parquet in the output directory first.
Blocks are cut at multiples of the block size in input-row numbering, so a block, and its
part file name, is the same whichever worker scores it and however often. Ray restarts a
killed or preempted actor and retries its blocks (``max_restarts=-1``,
``max_task_retries=-1``); a retried block rewrites its own part atomically, never a second
copy. At the end the driver checks every part's ``input_row`` column against the plan (each
input row exactly once, nothing else in the directory) and raises
:class:`~drugscreen.exceptions.DistributedRunError` otherwise, then ranks all scores (as the
local engine does) and writes ``rank`` into the parts with Ray tasks.

A run that fails or is interrupted (Ctrl-C, SIGTERM) leaves the previous output as it was and
keeps the parts it wrote in :func:`partial_dir` (``.<OUT>.partial/``, beside the output
directory) with its plan (input checksum or Parquet files' sizes and times, Screener config,
block size); ``resume=True`` (``--resume``) checks them against this run and scores only the
blocks without a kept part. A run without it discards them, with a warning.

:func:`read_scored` / :func:`iter_scored` read the directory back in input order;
:func:`verify_output` re-checks it. ``ray.data.read_parquet(outdir)`` or any Parquet reader
(DuckDB, Spark, ``pyarrow.dataset``) reads it too.

Requirements for a multi-node cluster: drugscreen (same version) installed on every node, the
panel reachable at the same path on every node (the shipped one is inside the package), and
the output directory (and a Parquet input) on a file system every node mounts.
"""

from __future__ import annotations

import contextlib
import glob
import json
import logging
import math
import os
import platform
import re
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from drugscreen.exceptions import (
    ConfigError,
    DistributedRunError,
    InputFormatError,
    MissingDependencyError,
)
from drugscreen.jsonio import write_json
from drugscreen.screening.run import ScreenSummary

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from drugscreen.screening.screener import Screener

__all__ = [
    "MANIFEST_FILE",
    "RAY_INSTALL_HINT",
    "ROW_COLUMN",
    "RaySummary",
    "iter_scored",
    "partial_dir",
    "ray_available",
    "read_manifest",
    "read_scored",
    "require_ray",
    "run_screen_ray",
    "verify_output",
]

logger = logging.getLogger(__name__)

MANIFEST_FILE = "_manifest.json"  # leading _: Parquet dataset readers skip it
MANIFEST_SCHEMA = "drugscreen.ray-screen/1"
#: The column (and pandas index) holding each output row's 0-based input row.
ROW_COLUMN = "input_row"
RAY_INSTALL_HINT = "the ray engine needs Ray, which is not installed: pip install 'drugscreen[ray]'"
_STAGING = ".staging"
_PREVIOUS = ".previous"  # a previous run's output, set aside until this run finishes
_PLAN_FILE = "plan.json"  # in the partial folder: what the parts kept there were scored from
PLAN_SCHEMA = "drugscreen.ray-partial/1"
_PART_GLOB = "part-*.parquet"
_STAGE_FILE_ROWS = 1 << 20  # staged text input: up to ~1M rows (256 row groups) per file


# ------------------------------------------------------------------------------ ray


def ray_available() -> bool:
    """Whether Ray Data can be imported."""
    import importlib.util

    try:
        return importlib.util.find_spec("ray") is not None and importlib.util.find_spec("ray.data") is not None
    except (ImportError, ValueError):
        return False


def require_ray() -> Any:
    """Import and return ``ray`` (with ``ray.data``); raise :class:`MissingDependencyError` if absent."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(RAY_INSTALL_HINT) from exc
    return ray


def _check_address(ray: Any, address: str | None, option: str = "--address") -> None:
    """Refuse, in one line and at once, an ``--address`` Ray could only wait on or fail on with a traceback.

    ``ray.init(address="HOST:PORT")`` with nothing listening there waits minutes, printing GCS
    retries; ``ray://`` without Ray Client installed raises Ray's ``ValueError``. ``auto`` (and
    ``local``) are left to Ray, which fails fast when no cluster runs here.
    """
    if not address or address in ("auto", "local") or ray.is_initialized():
        return
    client = address.startswith("ray://")
    if client:
        try:  # a private helper of Ray's: another Ray may lack it, then ray.init says it itself
            from ray._private.utils import get_ray_client_dependency_error
        except ImportError:
            get_ray_client_dependency_error = lambda: None  # noqa: E731
        if get_ray_client_dependency_error() is not None:
            raise MissingDependencyError(
                f"{option} {address} connects through Ray Client, which is not installed: pip install 'ray[client]'"
            )
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit():
        raise ConfigError(f"{option} {address!r}: give auto, HOST:PORT (the head's GCS, 6379) or ray://HOST:10001")
    try:
        with socket.create_connection((host, int(port)), timeout=10):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise ConfigError(
            f"cannot connect to the Ray cluster at {address!r}: nothing answers at {host}:{port} ({reason}); "
            f"start it with `ray start --head` there, or check {option}"
        ) from exc


@contextlib.contextmanager
def _ray_session(ray: Any, address: str | None, num_workers: int | None) -> Iterator[bool]:
    """Use the connected Ray, or connect to ``address``, or start a local one; yield 'started here'."""
    if ray.is_initialized():
        if address:
            logger.warning("Ray is already initialized in this process; --address %s is ignored", address)
        yield False
        return
    kwargs: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": False}
    if address:
        kwargs["address"] = address
    else:
        kwargs["include_dashboard"] = False
        if num_workers:
            kwargs["num_cpus"] = int(num_workers)
        # Ray starts its workers 15 nice levels below the driver; here the workers do all the
        # scoring (as the local engine's processes do), so they keep the driver's priority.
        os.environ.setdefault("RAY_worker_niceness", "0")
    # Starting a local Ray, ray.init warns on every run that token authentication is on by
    # default (its default since 2.5x; nothing for a screening user to act on): shown with -v only.
    auth_logger = logging.getLogger("ray._private.authentication.authentication_token_setup")
    saved_level = auth_logger.level
    if not address and not logger.isEnabledFor(logging.DEBUG):
        auth_logger.setLevel(logging.ERROR)
    sigterm = _sigterm_handler()
    try:
        ray.init(**kwargs)
    except ConnectionError as exc:
        raise ConfigError(f"cannot connect to the Ray cluster at {address!r}: {exc}") from exc
    finally:
        auth_logger.setLevel(saved_level)
    _set_sigterm_handler(sigterm, ray_default=True)
    try:
        yield True
    finally:
        ray.shutdown()
        _set_sigterm_handler(sigterm)


def _sigterm_handler() -> Any:
    """This process's Python SIGTERM handler (``None`` outside the main thread, where none can be set)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.getsignal(signal.SIGTERM)


def _set_sigterm_handler(handler: Any, ray_default: bool = False) -> None:
    """Put back the SIGTERM handler that ``ray.init`` replaced (see :func:`_ray_session`).

    ``ray.init`` sets a Python handler calling ``sys.exit(15)``, and its C++ core then installs a
    failure-signal handler in front of it that prints a stack dump (``*** SIGTERM received at
    time=... PC: @ ...``) before passing the signal on. A scheduler's cancel is no crash: setting
    a Python handler again takes the C++ one out of the way. The handler in place before
    ``ray.init`` comes back; when that was the default (the process just ends), Ray's own Python
    handler is kept while Ray runs (``ray_default``), so that a library caller's ``finally``
    blocks still run on SIGTERM.
    """
    import signal

    if handler is None:  # not the main thread
        return
    if ray_default and not callable(handler):
        handler = signal.getsignal(signal.SIGTERM)
    with contextlib.suppress(ValueError, TypeError):  # a handler Python cannot set again (set from C)
        signal.signal(signal.SIGTERM, handler)


# ------------------------------------------------------------------------------ input


def _parquet_inputs(path: str) -> list[str] | None:
    """The Parquet files of a Parquet input (file, directory of ``*.parquet``, or glob); else None."""
    if path == "-":
        return None
    p = Path(path)
    if p.is_dir():
        files = sorted(str(f) for f in p.glob("*.parquet") if not f.name.startswith((".", "_")))
        if not files:
            raise InputFormatError(f"input directory {path} holds no *.parquet files")
        return files
    if any(ch in path for ch in "*?["):
        files = sorted(glob.glob(path))
        if not files:
            raise InputFormatError(f"no input file matches {path}")
        if not all(f.endswith(".parquet") for f in files):
            raise InputFormatError(f"a glob input must match .parquet files only: {path}")
        return files
    if path.lower().endswith(".parquet"):
        if not p.is_file():
            raise InputFormatError(f"input file not found: {path}")
        return [path]
    return None


@dataclass
class _Input:
    files: list[str]
    columns: list[str]
    smiles_column: str
    id_column: str | None
    staged: bool


def _detect_columns(first_file: str, smiles_column: str | None, id_column: str | None) -> tuple[list[str], str, str | None]:
    from drugscreen.io import open_input

    reader = open_input(first_file, smiles_column=smiles_column, id_column=id_column, chunksize=1)
    try:
        return list(reader.columns), reader.smiles_column, reader.id_column
    finally:
        reader.close()


def _stage_text_input(
    path: str, stage: Path, smiles_column: str | None, id_column: str | None, chunk_size: int
) -> _Input:
    """Read a non-Parquet input with the local engine's reader and stage it as Parquet files."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from drugscreen.io import open_input

    reader = open_input(path, smiles_column=smiles_column, id_column=id_column, chunksize=chunk_size)
    writer: Any = None
    schema: pa.Schema | None = None
    files: list[str] = []
    in_file = 0
    try:
        with _writing(stage.parent):
            stage.mkdir(parents=True, exist_ok=True)
        for chunk in reader:
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            if schema is None:
                schema = pa.schema([f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in table.schema])
            table = table.cast(schema, safe=False) if table.schema != schema else table
            with _writing(stage.parent):  # a full disk while staging: one line, not pyarrow's traceback
                if writer is None or in_file >= _STAGE_FILE_ROWS:
                    if writer is not None:
                        writer.close()
                    files.append(str(stage / f"input-{len(files):06d}.parquet"))
                    writer = pq.ParquetWriter(files[-1], schema)
                    in_file = 0
                writer.write_table(table, row_group_size=chunk_size)
            in_file += table.num_rows
        if writer is not None:
            with _writing(stage.parent):
                writer.close()
            writer = None
    finally:
        if writer is not None:
            with contextlib.suppress(OSError):
                writer.close()
        reader.close()
    return _Input(files, list(reader.columns), reader.smiles_column, reader.id_column, staged=True)


@contextlib.contextmanager
def _writing(out: Path) -> Iterator[None]:
    """Writes into the output directory ``out``: an ``OSError`` (full disk, read-only) becomes one line."""
    try:
        yield
    except OSError as exc:
        raise InputFormatError(f"cannot write the output directory {out}: {exc.strerror or exc}") from exc


def _row_groups(files: list[str]) -> tuple[list[tuple[str, int, int, int, int]], int, pa.Schema | None]:
    """(file, row group, first input row, rows, bytes) of every non-empty row group, numbered
    across files; total rows; the input schema (see :func:`_input_schema`)."""
    import pyarrow.parquet as pq

    groups: list[tuple[str, int, int, int, int]] = []
    start = 0
    names: list[str] | None = None
    schemas: list[pa.Schema] = []
    for f in files:
        try:
            pf = pq.ParquetFile(f)
        except Exception as exc:  # pyarrow raises ArrowInvalid/OSError for non-Parquet files
            raise InputFormatError(f"cannot read {f} as Parquet: {exc}") from exc
        cols = list(pf.schema_arrow.names)
        if names is None:
            names = cols
        elif cols != names:
            raise InputFormatError(f"{f} has columns {cols}, the first input file {names}")
        schemas.append(pf.schema_arrow)
        md = pf.metadata
        for g in range(md.num_row_groups):
            rg = md.row_group(g)
            if rg.num_rows:
                groups.append((f, g, start, rg.num_rows, int(rg.total_byte_size)))
                start += rg.num_rows
    return groups, start, _input_schema(files, schemas)


def _input_schema(files: list[str], schemas: list[pa.Schema]) -> pa.Schema | None:
    """The one schema every input file is read as; ``None`` when they all have the first file's.

    Files of one library written at different times may store a column with different types:
    ``string`` and ``large_string``, ``int64`` and ``double``, ``null`` (no value in that file)
    and anything. Each is read as the type that holds both (Arrow's permissive promotion), so
    that no part is cast to another part's narrower type (1.5 became 1). Types that hold
    different kinds of values (a number in one file, text in another) are refused here, before
    anything runs.
    """
    import pyarrow as pa

    if all(s.equals(schemas[0], check_metadata=False) for s in schemas[1:]):
        return None
    try:
        merged = pa.unify_schemas(schemas, promote_options="permissive")
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        for i, f in enumerate(schemas[0]):
            for path, s in zip(files[1:], schemas[1:], strict=True):
                try:
                    pa.unify_schemas([pa.schema([f]), pa.schema([s.field(i)])], promote_options="permissive")
                except (pa.ArrowTypeError, pa.ArrowInvalid):
                    raise InputFormatError(
                        f"{path} stores column {f.name!r} as {s.field(i).type}, the first input file {files[0]} as "
                        f"{f.type}; convert one of them so the files agree"
                    ) from None
        raise
    return pa.schema(list(merged), metadata=schemas[0].metadata)


def _plan_blocks(groups: list[tuple[str, int, int, int, int]], block_rows: int) -> list[Any]:
    """Blocks cut at multiples of ``block_rows`` in input-row numbering (and at row-group ends)."""
    from drugscreen.screening._ray_tasks import InputBlock

    blocks = []
    for path, g, first, rows, nbytes in groups:
        start, end = first, first + rows
        while start < end:
            stop = min(end, (start // block_rows + 1) * block_rows)
            blocks.append(InputBlock(path, g, first, start, stop - start, max(1, nbytes * (stop - start) // rows)))
            start = stop
    return blocks


def _block_rows(n_rows: int, workers: int, chunk_size: int, model_batch: int) -> int:
    """Rows per block: up to ``chunk_size``, small enough for ~4 blocks per worker, a multiple of the model batch."""
    per = math.ceil(n_rows / max(1, 4 * workers))
    per = max(model_batch, math.ceil(per / model_batch) * model_batch)
    return max(1, min(chunk_size, per))


# ------------------------------------------------------------------------------ output dir


#: Suffixes of the local engine's single-file outputs (and of text molecule files): a new output
#: directory named so would read as a file of that kind (``-o scored.csv``). ``.parquet`` is not
#: among them: a directory of Parquet parts named ``scored.parquet`` is a common layout.
_FILE_OUTPUT_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".sdf", ".sd", ".smi", ".smiles", ".ism", ".gz", ".html", ".htm")


def _refuse_file_name(out: Path) -> None:
    """Refuse a new output directory whose name ends like a file the local engine writes."""
    if out.suffix.lower() in _FILE_OUTPUT_SUFFIXES and not out.is_dir():
        stem = out
        while stem.suffix.lower() in _FILE_OUTPUT_SUFFIXES:
            stem = stem.with_suffix("")
        kind = out.name[len(stem.name):]  # .csv, .tsv.gz
        raise InputFormatError(
            f"--engine ray writes a directory of Parquet parts, not a {kind} file: give -o a directory name such as "
            f"{stem}/ (read it back with drugscreen.screening.ray_engine.read_scored, or pandas.read_parquet), or use "
            "--engine local for a single file"
        )


def _prepare_output(out: Path, input_files: list[str]) -> Path | None:
    """Create ``out``, or set a previous ray-engine output in it aside; refuse anything else.

    The previous output's files are moved into ``out/.previous/`` (returned; ``None`` when there
    was none): :func:`_settle_output` deletes them once the new run has finished, or puts them
    back when it fails or is interrupted, so a run that does not finish never costs the user
    the results of the last one.
    """
    if out.exists() and not out.is_dir():
        raise InputFormatError(f"--engine ray writes a directory of Parquet parts; {out} is a file")
    for f in input_files:
        if Path(f).resolve().parent == out.resolve():
            raise InputFormatError(f"the output directory {out} holds the input {f}; choose another directory")
    previous = None
    if out.is_dir():
        ours = {MANIFEST_FILE, _STAGING, _PREVIOUS}
        foreign = [p.name for p in out.iterdir() if not (p.name in ours or p.match(_PART_GLOB) or p.name.endswith(".tmp"))]
        if foreign:
            raise InputFormatError(
                f"output directory {out} holds files this engine did not write ({', '.join(sorted(foreign)[:3])}); "
                "choose a new or empty directory"
            )
        _recover_previous(out)
        entries = [p for p in out.iterdir() if p.name != _STAGING and not p.name.endswith(".tmp")]
        for p in out.iterdir():
            if p not in entries:
                _remove(p)
        if entries:
            previous = out / _PREVIOUS
            previous.mkdir()
            for p in entries:
                os.replace(p, previous / p.name)
    out.mkdir(parents=True, exist_ok=True)
    probe = out / f".write-probe.{os.getpid()}.tmp"  # a read-only folder fails here, not in the staging or a worker
    probe.touch()
    probe.unlink()
    return previous


def _recover_previous(out: Path) -> None:
    """Deal with a ``.previous/`` left in ``out`` by a run killed outright (kill -9, a lost node).

    Without a manifest beside it, that run never finished: its parts are dropped and the output
    it set aside, the last finished one, is put back (so the next run sets that one aside in
    turn). With a manifest, the run finished and was killed while deleting it: it is outdated.
    """
    stale = out / _PREVIOUS
    if not stale.is_dir():
        return
    if (out / MANIFEST_FILE).is_file():
        shutil.rmtree(stale, ignore_errors=True)
        return
    for p in out.iterdir():
        if p.name != _PREVIOUS:
            _remove(p)
    for p in stale.iterdir():
        os.replace(p, out / p.name)
    stale.rmdir()
    logger.warning("%s held the parts of a run that was killed before it finished: they were removed, "
                   "and the output of the run before it was put back", out)


def _settle_output(out: Path, previous: Path | None, finished: bool, quiet: bool = False) -> None:
    """Delete the set-aside previous output after a finished run; otherwise remove what the
    unfinished run wrote and put the previous output back (see :func:`_prepare_output`).

    ``quiet``: the run was interrupted, and whoever interrupted it says so (the CLI's one
    line); that the previous output was kept is logged at debug level only.
    """
    if finished:
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)
        return
    for p in out.iterdir():
        if p.name != _PREVIOUS:
            _remove(p)
    if previous is None:
        return
    try:
        for p in previous.iterdir():
            os.replace(p, out / p.name)
        previous.rmdir()
    except OSError as exc:  # the run's own error is the one raised; this only says where the files are
        logger.warning("the run did not finish, and the previous output could not be put back (%s): it is in %s", exc, previous)
    else:
        logger.log(logging.DEBUG if quiet else logging.WARNING,
                   "the run did not finish: the previous output in %s was kept as it was", out)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while the output directory is put in order; deliver them after.

    (Replacing the Python handlers for that time: blocking the signals in the main thread would
    not do, since another of Ray's threads would take them.)
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    saved = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError, TypeError):
            saved[sig] = signal.signal(sig, lambda signum, frame: arrived.append(signum))
    try:
        yield
    finally:
        for sig, handler in saved.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        for sig in dict.fromkeys(arrived):
            signal.raise_signal(sig)


def partial_dir(output_dir: str | Path) -> Path:
    """Where the parts of a run that did not finish are kept for ``--resume``: ``.<OUT>.partial``
    beside the output directory (hidden, outside it, as the local engine's work folder)."""
    from drugscreen.io import hidden_sibling_name

    out = Path(os.path.abspath(output_dir))
    return out.with_name(hidden_sibling_name(out.name, ".partial"))


def _run_identity(
    in_str: str,
    parquet_files: list[str] | None,
    text_sha256: str | None,
    screener: Screener,
    smiles_column: str | None,
    id_column: str | None,
    chunk_size: int,
) -> dict[str, Any]:
    """What a kept part depends on: the input (checksum of a text input; paths, sizes and times
    of Parquet files), the Screener's config, the column options and the block size limit."""
    files = None
    if parquet_files is not None:
        files = []
        for f in parquet_files:
            st = os.stat(f)
            files.append([os.path.abspath(f), st.st_size, st.st_mtime_ns])
    identity = {
        "input": os.path.abspath(in_str) if in_str != "-" else "-",
        "input_sha256": text_sha256,
        "input_files": files,
        "screener": screener.config(),
        "smiles_column": smiles_column,
        "id_column": id_column,
        "batch_size": chunk_size,
    }
    return json.loads(json.dumps(identity, default=str))  # as read back from plan.json


_IDENTITY_NAMES = {
    "input": "the input path",
    "input_sha256": "the input file's contents",
    "input_files": "the input's Parquet files",
    "screener": "the panel, --profile or --endpoints",
    "smiles_column": "--smiles-column",
    "id_column": "--id-column",
    "batch_size": "--batch-size",
}


def _kept_parts(partial: Path, identity: dict[str, Any], resume: bool) -> dict[str, Any] | None:
    """The plan of the parts kept in ``partial`` when this run resumes them; ``None`` otherwise.

    Raises
    ------
    ConfigError
        ``resume`` and the kept parts were scored from another input or with other options.
    """
    if not resume:
        return None
    path = partial / _PLAN_FILE
    if not path.is_file():
        logger.info("nothing to resume (no %s); starting from the beginning", partial)
        return None
    try:
        plan = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot resume: {path} is unreadable ({exc}); rerun without --resume") from exc
    if plan.get("schema") != PLAN_SCHEMA:
        raise ConfigError(f"cannot resume: {path} was written by another drugscreen version; rerun without --resume")
    old = plan.get("identity") or {}
    changed = [name for key, name in _IDENTITY_NAMES.items() if old.get(key) != identity.get(key)]
    if changed:
        raise ConfigError(
            f"cannot resume: {', '.join(changed)} differ from the interrupted run's; rerun with the same input and "
            "options, or without --resume to start again"
        )
    return plan


def _discard_partial(partial: Path) -> None:
    """Delete the kept parts of an interrupted run (a run without --resume starts again), with a warning."""
    parts = list(partial.glob(_PART_GLOB))
    if parts:  # hours of scoring, maybe: never thrown away without a word
        logger.warning(
            "discarding the %d part(s) an interrupted run scored in %s and starting again (--resume continues such a run)",
            len(parts), partial,
        )  # fmt: skip
    shutil.rmtree(partial, ignore_errors=True)


def _reuse_parts(partial: Path, out: Path, blocks: list[Any]) -> tuple[list[dict[str, Any]], list[Any]]:
    """Link the kept parts of planned blocks into ``out``; (their summaries, the blocks left to score).

    A kept part is reused when it holds the block's rows (its ``input_row`` column is checked);
    it is hard-linked (copied where links are not possible), so the kept copy stays until
    this run finishes.
    """
    import pyarrow.parquet as pq

    from drugscreen.screening._ray_tasks import part_name
    from drugscreen.screening.screener import count_out_of_domain

    reused: list[dict[str, Any]] = []
    todo = []
    for b in blocks:
        name = part_name(b.first_row)
        kept = partial / name
        try:
            table = pq.read_table(kept, columns=[ROW_COLUMN, "valid", "in_domain"])
            rows = table.column(ROW_COLUMN).to_numpy()
            if not np.array_equal(rows, np.arange(b.first_row, b.first_row + b.rows)):
                raise ValueError("other rows")
        except Exception:  # missing, unreadable, other rows: scored again
            todo.append(b)
            continue
        target = out / name
        target.unlink(missing_ok=True)
        try:
            os.link(kept, target)
        except OSError:
            shutil.copy2(kept, target)
        valid = table.column("valid").to_numpy(zero_copy_only=False).astype(bool)
        in_domain = table.column("in_domain").to_pandas()
        reused.append({"part": name, "first_row": b.first_row, "rows": b.rows, "valid": int(valid.sum()),
                       "out_of_domain": count_out_of_domain(valid, in_domain)})  # fmt: skip
    return reused, todo


def _keep_partial(out: Path, partial: Path, plan: dict[str, Any], quiet: bool = False) -> None:
    """Move the parts an unfinished run wrote into ``partial`` with its plan, for ``--resume``."""
    parts = sorted(out.glob(_PART_GLOB))
    if not parts and not (partial / _PLAN_FILE).is_file():
        return
    try:
        partial.mkdir(exist_ok=True)
        for p in parts:
            os.replace(p, partial / p.name)
        write_json(partial / _PLAN_FILE, plan, fallback=str)
    except OSError as exc:
        logger.warning("the parts scored so far could not be kept for --resume (%s)", exc.strerror or exc)
        return
    n = len(list(partial.glob(_PART_GLOB)))
    logger.log(logging.DEBUG if quiet else logging.WARNING,
               "the %d part(s) scored so far are kept in %s: rerun with --resume to continue", n, partial)


def _remove(path: Path) -> None:
    """Delete a file or a folder; one already gone is fine."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _empty_output_schema(screener: Screener, source: _Input) -> pa.Schema:
    """The output columns and types of an input without rows: the input's, then the scored ones."""
    import pyarrow as pa

    scored = screener.empty_output(source.columns, source.smiles_column, source.id_column)
    schema = pa.Table.from_pandas(scored, preserve_index=False).schema.remove_metadata()
    return pa.schema([_text_type(f) for f in schema])


def _text_type(field: pa.Field) -> pa.Field:
    """Text (``string``, or ``null``: no value anywhere) as ``large_string``, as the local engine's Parquet has it."""
    import pyarrow as pa

    if pa.types.is_string(field.type) or pa.types.is_null(field.type):
        return field.with_type(pa.large_string())
    return field


def _unified_schema(part_paths: list[Path]) -> pa.Schema:
    """Each column's first non-null type over the parts in order; text as ``large_string``
    (null-only columns too), the local engine's Parquet type for text.

    Without pandas metadata, like the local engine's Parquet output, so that both read back
    with the same dtypes. Every part is cast to it (:func:`_finish_parts`), so all parts of a
    run have one schema and the directory reads as one dataset.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    schemas = [pq.read_schema(p) for p in part_paths]
    first = schemas[0]
    fields = []
    for i, f in enumerate(first):
        typ = f.type
        if pa.types.is_null(typ):
            typ = next((s.field(i).type for s in schemas[1:] if not pa.types.is_null(s.field(i).type)), pa.null())
        fields.append(_text_type(pa.field(f.name, typ)))
    for s in schemas[1:]:
        if s.names != first.names:
            raise DistributedRunError(f"parts with different columns: {first.names} and {s.names}")
    return pa.schema(fields)


# ------------------------------------------------------------------------------ the run


@dataclass
class RaySummary(ScreenSummary):
    """What a Ray run did (returned by :func:`run_screen_ray`, printed by the CLI)."""

    parts: int = 0
    workers: int = 0
    block_rows: int = 0
    stage_seconds: float = 0.0
    score_seconds: float = 0.0
    finish_seconds: float = 0.0
    manifest: str = ""
    #: rows of an interrupted run's parts reused by ``resume=True`` (not scored by this run)
    resumed_rows: int = 0

    @property
    def molecules_per_second(self) -> float:
        done = self.rows - self.resumed_rows
        return done / self.seconds if self.seconds > 0 else float("nan")


def _versions(ray: Any) -> dict[str, str]:
    import pyarrow
    import rdkit
    import torch

    from drugscreen._version import __version__

    return {
        "drugscreen": __version__,
        "ray": ray.__version__,
        "rdkit": rdkit.__version__,
        "torch": torch.__version__,
        "pyarrow": pyarrow.__version__,
        "python": platform.python_version(),
    }


def run_screen_ray(
    input_path: str | Path,
    output_dir: str | Path,
    *,
    panel: str | Path | None = None,
    endpoints: list[str] | str | None = None,
    profile: str | Path | None = "default",
    smiles_column: str | None = None,
    id_column: str | None = None,
    chunk_size: int = 4096,
    num_workers: int | None = None,
    address: str | None = None,
    device: str = "cpu",
    screener: Screener | None = None,
    on_progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    resume: bool = False,
    _fault_injection: dict[str, Any] | None = None,
) -> RaySummary:
    """Screen ``input_path`` on Ray Data into the directory ``output_dir``; see the module docstring.

    Parameters
    ----------
    input_path
        A molecule table the local engine reads (``.smi``, ``.csv``, ``.sdf``, gzipped,
        ``"-"``), or Parquet: a file, a directory of ``*.parquet`` files or a glob of them
        (read in sorted file order, on the workers).
    output_dir
        Directory for the part files and ``_manifest.json``; created if missing. A previous
        ray-engine output there is replaced when this run finishes (a run that fails or is
        interrupted leaves it as it was); a directory holding other files is refused.
    panel, endpoints, profile, device
        Passed to :meth:`Screener.load` (ignored when ``screener`` is given).
    smiles_column, id_column
        Input columns (default: detected as by the local engine).
    chunk_size
        Most rows per block (one block = one part file = the unit Ray retries). Smaller
        inputs get smaller blocks (about four per worker, at least one model batch).
    num_workers
        Scoring actors (one CPU each). Default: every CPU of the Ray cluster. Without
        ``address`` and with no Ray running in this process, a local Ray with that many
        CPUs is started (and stopped at the end).
    address
        Ray cluster to connect to: ``"auto"`` (a cluster started with ``ray start`` on this
        machine or the one the job was submitted to) or ``"ray://host:10001"``.
    screener
        Use this Screener (it is pickled to the workers as its configuration).
    on_progress
        Called with the number of rows scored so far (valid or not) each time a part is written.
    on_total
        Called once with the number of input rows, when it is known (after a text input is
        staged and Ray has started) and before scoring starts; not called for an input without
        rows. With ``on_progress`` it drives a progress bar of rows done of the total.
    resume
        Continue a run of the same input and options that was interrupted or failed: its parts,
        kept in :func:`partial_dir` (``.<OUT>.partial`` beside the output directory), are reused
        and only the other blocks are scored. Without it, such parts are discarded (with a
        warning) and the run starts from the beginning.
    _fault_injection
        Tests only: ``{"marker": path, "after": k}`` makes one actor SIGKILL itself after
        writing its ``k``-th part (see :class:`~drugscreen.screening._ray_tasks.ScoreActor`).

    Returns
    -------
    RaySummary

    Raises
    ------
    MissingDependencyError
        Ray is not installed.
    DistributedRunError
        The parts do not hold every input row exactly once (never expected; the run fails
        loudly rather than write a wrong manifest).
    InputFormatError, ConfigError, BundleError
        As the local engine.
    """
    ray = require_ray()
    t0 = time.perf_counter()
    in_str = str(input_path)
    out = Path(output_dir)
    if str(output_dir) == "-":
        raise InputFormatError("--engine ray writes a directory of Parquet parts; give -o DIRECTORY, not '-'")
    _refuse_file_name(out)
    if chunk_size < 1:
        raise ConfigError(f"chunk size must be at least 1, got {chunk_size}")
    if num_workers is not None and num_workers < 1:
        raise ConfigError(f"--num-workers must be at least 1, got {num_workers}")

    option = "--address"
    if not address and os.environ.get("RAY_ADDRESS") and not ray.is_initialized():
        # ray.init() would connect there anyway (and refuse the num_cpus of a local Ray)
        address, option = os.environ["RAY_ADDRESS"], "$RAY_ADDRESS"
        logger.info("ray engine: the Ray cluster at %s ($RAY_ADDRESS)", address)
    _check_address(ray, address, option)

    from drugscreen.io import file_fingerprint, read_once
    from drugscreen.screening.screener import Screener

    parquet_files = _parquet_inputs(in_str)
    if screener is None:
        # before a previous output in ``out`` is cleared: a misspelt --profile, --panel or
        # --endpoints must not cost the user the results of their last run
        screener = Screener.load(panel=panel, endpoints=endpoints, profile=profile, device=device)
    planned = None
    if parquet_files is not None:  # checked before the output directory is touched, as the names above
        columns, scol, icol = _detect_columns(parquet_files[0], smiles_column, id_column)
        planned = _Input(parquet_files, columns, scol, icol, staged=False), _row_groups(parquet_files)
    # standard input, a named pipe or a device: read once, by the staging (no checksum, no --resume)
    once = parquet_files is None and read_once(in_str)
    if resume and once:
        raise ConfigError("--resume needs an input file, not standard input or a pipe")
    # (a missing or unreadable file: None here, and the reader says why in one line)
    text_sha256 = file_fingerprint(in_str) if parquet_files is None and not once and os.path.isfile(in_str) else None
    identity = _run_identity(in_str, parquet_files, text_sha256, screener, smiles_column, id_column, chunk_size)
    partial = partial_dir(out)
    kept = _kept_parts(partial, identity, resume)  # refuses a --resume with other input or options
    created = not out.exists()
    with _writing(out):  # a read-only or full file system, a parent that is a file, no permission
        previous = _prepare_output(out, parquet_files or ([in_str] if in_str != "-" else []))
    if kept is None and partial.exists():
        _discard_partial(partial)
    plan: dict[str, Any] | None = None
    resumed_rows = 0
    stage = out / _STAGING
    stage_s = 0.0
    finished = False
    interrupted = False
    try:
        if planned is not None:
            source, (groups, n_rows, input_schema) = planned
        else:
            t_stage = time.perf_counter()
            source = _stage_text_input(in_str, stage, smiles_column, id_column, chunk_size)
            stage_s = time.perf_counter() - t_stage
            groups, n_rows, input_schema = _row_groups(source.files)
        if ROW_COLUMN in source.columns:
            raise InputFormatError(f"the input has a column named {ROW_COLUMN!r}, which the ray engine's output uses; rename it")
        input_record = {
            "path": os.path.abspath(in_str) if in_str != "-" else "-",
            "files": [os.path.abspath(f) for f in parquet_files] if parquet_files else None,
            "sha256": text_sha256,
            "columns": source.columns,
            "smiles_column": source.smiles_column,
            "id_column": source.id_column,
        }

        if n_rows == 0:
            # as the local engine: no rows out, but the columns are known (here: in the manifest)
            logger.warning("%s holds no molecules: the output has no parts; the manifest lists its columns", in_str)
            workers = block = 0
            parts: list[dict[str, Any]] = []
            score_s = 0.0
            t_finish = time.perf_counter()
            schema = _empty_output_schema(screener, source)
        else:
            with _ray_session(ray, address, num_workers) as started:
                workers = int(num_workers) if num_workers else max(1, int(ray.cluster_resources().get("CPU", 1)))
                block = _block_rows(n_rows, workers, chunk_size, screener.batch_size)
                if kept is not None:  # the interrupted run's blocks, so that its parts are this run's
                    if int(kept["rows"]) != n_rows:
                        raise ConfigError(
                            f"cannot resume: the input has {n_rows:,} rows, the interrupted run's {int(kept['rows']):,}; "
                            "rerun without --resume"
                        )
                    block = int(kept["block_rows"])
                blocks = _plan_blocks(groups, block)
                plan = {"schema": PLAN_SCHEMA, "identity": identity, "rows": n_rows, "block_rows": block}
                reused, todo = _reuse_parts(partial, out, blocks) if kept is not None else ([], blocks)
                resumed_rows = sum(int(r["rows"]) for r in reused)
                workers = min(workers, len(todo))  # an actor with no block to score would only load the panel
                logger.info(
                    "ray engine: %s rows, blocks of %s, %d worker%s%s",
                    f"{n_rows:,}", f"{block:,}", workers, "s" * (workers != 1), " (local Ray started)" if started else "",
                )  # fmt: skip
                if reused:
                    logger.info("resuming: %s rows already scored in %d parts", f"{resumed_rows:,}", len(reused))
                if on_total is not None:
                    on_total(n_rows)
                if on_progress is not None and resumed_rows:
                    on_progress(resumed_rows)
                summaries, score_s = list(reused), 0.0
                if todo:
                    progress = on_progress if on_progress is None or not resumed_rows else (
                        lambda done: on_progress(resumed_rows + done)  # type: ignore[misc]
                    )
                    scored, score_s = _score_on_ray(
                        ray, screener, source, todo, workers, out, progress, _fault_injection, input_schema
                    )
                    summaries += scored
                t_finish = time.perf_counter()
                parts = _check_parts(out, summaries, n_rows, blocks)
                ranks_done = _finish_parts(ray, out, parts, screener, source)
            if ranks_done != n_rows:
                raise DistributedRunError(f"{ranks_done} rows ranked, {n_rows} in the input")
            schema = _unified_schema([out / p["file"] for p in parts[:1]])
        rows, valid = verify_output(out, parts=parts)
        finish_s = time.perf_counter() - t_finish
        if rows != n_rows:
            raise DistributedRunError(f"{rows} rows written, {n_rows} in the input")
        manifest = {
            "schema": MANIFEST_SCHEMA,
            "input": input_record,
            "rows": rows,
            "valid": valid,
            "invalid": rows - valid,
            "out_of_domain": sum(p["out_of_domain"] for p in parts),
            "row_column": ROW_COLUMN,
            "columns": [n for n in schema.names if n != ROW_COLUMN],
            "types": {f.name: str(f.type) for f in schema if f.name != ROW_COLUMN},
            "screener": screener.config(),
            "engine": {"name": "ray", "workers": workers, "block_rows": block, "address": address, "resumed_rows": resumed_rows},
            "versions": _versions(ray),
            "seconds": round(time.perf_counter() - t0, 3),
            "parts": parts,
        }
        with _writing(out):
            write_json(out / MANIFEST_FILE, manifest, fallback=str)
        finished = True
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM where the caller turns it into one (the CLI)
        interrupted = True
        raise
    finally:
        with _signals_held():  # a second Ctrl-C must not stop the clean-up halfway
            shutil.rmtree(stage, ignore_errors=True)
            if finished:
                shutil.rmtree(partial, ignore_errors=True)
            elif plan is not None and not once:
                _keep_partial(out, partial, plan, quiet=interrupted)
            _settle_output(out, previous, finished, quiet=interrupted)
            if interrupted and created:
                with contextlib.suppress(OSError):  # only when empty: nothing of this run is left
                    out.rmdir()
    return RaySummary(
        input=in_str,
        output=str(out),
        rows=rows,
        valid=valid,
        invalid=rows - valid,
        out_of_domain=sum(p["out_of_domain"] for p in parts),
        parts=len(parts),
        workers=workers,
        block_rows=block,
        seconds=time.perf_counter() - t0,
        stage_seconds=stage_s,
        score_seconds=score_s,
        finish_seconds=finish_s,
        manifest=str(out / MANIFEST_FILE),
        resumed_rows=resumed_rows,
        **ScreenSummary.screener_fields(screener),
    )


@contextlib.contextmanager
def _no_execution_banner() -> Iterator[None]:
    """Keep Ray Data from printing its per-execution banner, restoring the setting after."""
    import ray.data

    ctx = ray.data.DataContext.get_current()
    saved = ctx.print_on_execution_start
    ctx.print_on_execution_start = False
    try:
        yield
    finally:
        ctx.print_on_execution_start = saved


def _score_on_ray(
    ray: Any,
    screener: Screener,
    source: _Input,
    blocks: list[Any],
    workers: int,
    out: Path,
    on_progress: Callable[[int], None] | None,
    fault: dict[str, Any] | None,
    input_schema: pa.Schema | None = None,
) -> tuple[list[dict[str, Any]], float]:
    """Run the read -> score -> write pipeline; return one summary per block written, and its seconds."""
    import ray.data  # noqa: F401 - makes ray.data available on the module passed in

    from drugscreen.screening._ray_tasks import MoleculeSource, ScoreActor

    t0 = time.perf_counter()
    # One read task per planned block: Ray has no reason to re-split them, and the blocks are
    # spread over all actors even for small inputs. Reading takes no CPU of its own, so it never
    # waits for the actors, which may hold every CPU of a small cluster.
    source_ds = ray.data.read_datasource(MoleculeSource(blocks, ROW_COLUMN, input_schema), override_num_blocks=len(blocks), num_cpus=0)
    ds = source_ds.map_batches(
        ScoreActor,
        fn_constructor_kwargs={
            "screener": screener,
            "out_dir": str(out.resolve()),
            "smiles_column": source.smiles_column,
            "id_column": source.id_column,
            "row_column": ROW_COLUMN,
            "fault": fault,
        },
        batch_size=None,  # whole blocks per batch; the actor writes one part per block
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_cpus=1,
        # Ray Data's actor pools restart a killed actor and retry its blocks by default
        # (max_restarts=-1, max_task_retries=-1); passing them here is deprecated in Ray 2.60.
    )
    summaries: list[dict[str, Any]] = []
    done = 0
    with _no_execution_banner(), _ray_errors(out):
        for row in ds.iter_rows():
            if row.get("error"):
                reason, _, filename = str(row["error"]).partition("\t")
                raise _os_error(out, reason, filename)
            summaries.append({k: (v.item() if hasattr(v, "item") else v) for k, v in row.items() if k != "error"})
            done += int(row["rows"])
            if on_progress is not None:
                on_progress(done)
    return summaries, time.perf_counter() - t0


def _os_error(out: Path, reason: str, filename: str) -> InputFormatError:
    """One line for an ``OSError`` on a worker: writing a part of ``out``, or reading the input."""
    if not filename or filename.startswith((str(out), str(out.resolve()))):
        return InputFormatError(f"cannot write the output directory {out}: {reason}")
    return InputFormatError(f"a Ray worker cannot read {filename}: {reason}")


def _worker_error_line(exc: BaseException) -> str:
    """``Type: message`` of the error a worker raised, from Ray's text of it (its object is not sent back)."""
    cause = getattr(exc, "cause", None)
    lines = [ln.strip() for ln in str(exc).splitlines()]
    wrappers = ("UserCodeException", "RayTaskError", "ray.exceptions")
    found = [ln for ln in lines if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt)\b[^:]*:", ln) and not ln.startswith(wrappers)]
    if found:
        return found[-1]
    return f"{type(cause or exc).__name__}: {lines[0] if lines else ''}"


@contextlib.contextmanager
def _ray_errors(out: Path) -> Iterator[None]:
    """Turn a worker's failure, which Ray raises wrapped in a page of traceback, into one line.

    An ``OSError`` writing a part (a full or read-only disk) comes back in the block's summary
    and is raised by :func:`_score_on_ray` as an :class:`InputFormatError`; any other error of
    a worker becomes a :class:`DistributedRunError` with the worker's ``Type: message`` (Ray's
    whole text of it is logged with ``-v``). Ray Data's own error log lines are kept
    to ``-v`` too, since the error raised here says it.
    """
    import ray.exceptions

    from drugscreen.exceptions import DrugscreenError

    data_logger = logging.getLogger("ray.data")
    saved = data_logger.level
    if not logger.isEnabledFor(logging.DEBUG):
        data_logger.setLevel(logging.CRITICAL)
    try:
        yield
    except DrugscreenError:
        raise
    except ray.exceptions.RayError as exc:
        logger.debug("the Ray pipeline failed", exc_info=True)
        raise DistributedRunError(f"a Ray worker failed: {_worker_error_line(exc)} (run with -v for its traceback)") from exc
    finally:
        data_logger.setLevel(saved)


def _check_parts(out: Path, summaries: list[dict[str, Any]], n_rows: int, blocks: list[Any]) -> list[dict[str, Any]]:
    """The parts, in input order, checked against the plan; raise DistributedRunError on any gap or repeat."""
    from drugscreen.screening._ray_tasks import part_name

    expected = [(b.first_row, b.rows) for b in blocks]
    by_first: dict[int, dict[str, Any]] = {}
    for s in summaries:
        first = int(s["first_row"])
        seen = by_first.get(first)
        if seen is not None and (seen["rows"] != s["rows"] or seen["part"] != s["part"]):
            raise DistributedRunError(f"two different blocks start at input row {first}: {seen} and {s}")
        by_first[first] = s
    missing = [f for f, _ in expected if f not in by_first]
    extra = sorted(set(by_first) - {f for f, _ in expected})
    if missing or extra:
        raise DistributedRunError(
            f"the workers' blocks do not match the plan: {len(missing)} missing (first at row "
            f"{missing[:1]}), {len(extra)} unexpected (rows {extra[:3]})"
        )
    parts = []
    for first, rows in expected:
        s = by_first[first]
        if int(s["rows"]) != rows or s["part"] != part_name(first):
            raise DistributedRunError(f"block at input row {first}: {s['rows']} rows in {s['part']}, planned {rows}")
        parts.append({"file": s["part"], "first_row": first, "rows": rows, "out_of_domain": int(s.get("out_of_domain", 0))})
    for stray in out.glob(".*.tmp"):
        stray.unlink()
    on_disk = sorted(p.name for p in out.glob(_PART_GLOB))
    unexpected = sorted(set(on_disk) - {p["file"] for p in parts})
    if unexpected:
        raise DistributedRunError(f"{len(unexpected)} part file(s) not in the plan, e.g. {unexpected[0]}")
    if sum(p["rows"] for p in parts) != n_rows:
        raise DistributedRunError(f"parts hold {sum(p['rows'] for p in parts)} rows, the input {n_rows}")
    return parts


def _finish_parts(ray: Any, out: Path, parts: list[dict[str, Any]], screener: Screener, source: _Input) -> int:
    """Rank over the whole run (as the local engine) and write ``rank`` into every part.

    A staged (text) input's pass-through columns that hold only numbers in every part are
    stored as numbers, as the local engine's Parquet output stores them
    (:func:`drugscreen.screening.run._passthrough_types`).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from drugscreen.screening._ray_tasks import finish_part
    from drugscreen.screening.profiles import rank_positions
    from drugscreen.screening.run import _passthrough_types

    scores = []
    for p in parts:
        col = pq.read_table(out / p["file"], columns=["score"]).column("score")
        scores.append(col.to_numpy(zero_copy_only=False).astype(float))
    ranks = rank_positions(np.concatenate(scores))
    paths = [out / p["file"] for p in parts]
    schema = _unified_schema(paths)
    column_types = _passthrough_types(paths, screener, source.smiles_column, source.id_column) if source.staged else {}
    if column_types:
        typed = {"int64": pa.int64(), "float64": pa.float64()}
        schema = pa.schema([pa.field(f.name, typed[column_types[f.name]]) if f.name in column_types else f for f in schema])
    schema_ref = ray.put(schema.serialize().to_pybytes())
    task = ray.remote(num_cpus=1, max_retries=3, retry_exceptions=[OSError])(finish_part)
    refs = []
    for p in parts:
        r = ranks[p["first_row"] : p["first_row"] + p["rows"]]
        refs.append(task.remote(str((out / p["file"]).resolve()), r, schema_ref, column_types))
    return int(sum(ray.get(refs)))


# ------------------------------------------------------------------------------ reading back


def read_manifest(output_dir: str | Path) -> dict[str, Any]:
    """The run's ``_manifest.json``; :class:`InputFormatError` when missing (an unfinished run)."""
    path = Path(output_dir) / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise InputFormatError(f"{output_dir} has no {MANIFEST_FILE}: not a finished --engine ray output") from exc
    except ValueError as exc:
        raise InputFormatError(f"{path} is not valid JSON: {exc}") from exc
    if manifest.get("schema") != MANIFEST_SCHEMA:
        raise InputFormatError(f"{path}: unknown manifest schema {manifest.get('schema')!r}")
    return manifest


def verify_output(output_dir: str | Path, parts: list[dict[str, Any]] | None = None) -> tuple[int, int]:
    """Check that the parts hold input rows 0..n-1 exactly once, in order; return (rows, valid).

    Reads only the ``input_row`` and ``valid`` columns. ``parts`` defaults to the manifest's.

    Raises
    ------
    DistributedRunError
        A part is missing, holds other rows than listed, or a file not listed is present.
    """
    import pyarrow.parquet as pq

    out = Path(output_dir)
    if parts is None:
        parts = read_manifest(out)["parts"]
    listed = {p["file"] for p in parts}
    extra = sorted(p.name for p in out.glob(_PART_GLOB) if p.name not in listed)
    if extra:
        raise DistributedRunError(f"{out}: part file(s) not in the manifest: {', '.join(extra[:3])}")
    expect = 0
    valid = 0
    for p in parts:
        path = out / p["file"]
        if not path.is_file():
            raise DistributedRunError(f"{out}: part {p['file']} is missing")
        table = pq.read_table(path, columns=[ROW_COLUMN, "valid"])
        rows = table.column(ROW_COLUMN).to_numpy()
        if p["first_row"] != expect or len(rows) != p["rows"] or not np.array_equal(rows, np.arange(expect, expect + len(rows))):
            raise DistributedRunError(
                f"{out}: part {p['file']} holds input rows {rows[:1].tolist()}..{rows[-1:].tolist()} "
                f"({len(rows)}), expected {p['rows']} rows from {expect}"
            )
        valid += int(table.column("valid").to_numpy(zero_copy_only=False).sum())
        expect += len(rows)
    return expect, valid


def iter_scored(output_dir: str | Path, columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
    """Yield the parts as DataFrames in input order, each indexed by ``input_row``."""
    import pandas as pd
    import pyarrow.parquet as pq

    out = Path(output_dir)
    manifest = read_manifest(out)
    cols = None if columns is None else [c for c in columns if c != ROW_COLUMN] + [ROW_COLUMN]
    expect = 0
    for p in manifest["parts"]:
        if not (out / p["file"]).is_file():
            raise DistributedRunError(f"{out}: part {p['file']} is missing")
        df = pq.read_table(out / p["file"], columns=cols).to_pandas()
        if ROW_COLUMN in df.columns:
            df = df.set_index(pd.Index(df.pop(ROW_COLUMN).to_numpy(dtype="int64"), name=ROW_COLUMN))
        if df.index.name != ROW_COLUMN or len(df) != p["rows"] or (len(df) and int(df.index[0]) != expect):
            raise DistributedRunError(f"{out}: part {p['file']} does not continue at input row {expect}")
        expect += len(df)
        yield df
    if expect != manifest["rows"]:
        raise DistributedRunError(f"{out}: {expect} rows in the parts, {manifest['rows']} in the manifest")


def read_scored(output_dir: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """The whole output in input order, indexed by ``input_row`` (0..n-1); for outputs that fit in memory."""
    import pandas as pd

    frames = list(iter_scored(output_dir, columns))
    if not frames:  # an input without rows: no parts; the manifest holds the columns
        names = read_manifest(output_dir)["columns"] if columns is None else [c for c in columns if c != ROW_COLUMN]
        return pd.DataFrame({c: [] for c in names}, index=pd.Index([], dtype="int64", name=ROW_COLUMN))
    return pd.concat(frames) if len(frames) > 1 else frames[0]
