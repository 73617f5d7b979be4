"""A whole screening run: stream an input file through the Screener into an output file.

:func:`run_screen` is what ``drugscreen screen`` calls. It reads the input in chunks, scores
each chunk (in worker processes with ``jobs > 1``, progress counted in input order), and
stores every scored chunk as a small Parquet file in a work folder beside the output
(``.<output name>.partial/``) together with ``progress.json`` (input checksum, options, rows
done); the worker that scored a chunk writes its file, and for CSV/TSV output also the
chunk's rows already rendered as text with the ``rank`` cells left open
(:func:`drugscreen.io.render_csv_rows`). When all chunks are scored, the ``rank`` over the
whole run is computed from the stored scores and the chunks are streamed into the output
format (for CSV/TSV: the rendered rows with their ranks filled in), to a temporary file that
is renamed into place at the end. For Parquet output of a text input (CSV, TSV, ``.smi``,
SDF) the stored chunks are first read once more, their pass-through columns only, to decide
which of those hold nothing but numbers in every chunk
(:class:`drugscreen.io.TextColumnTypes`); those are written as numbers, the others (and the
id and SMILES columns) as text. Memory stays bounded by the chunk size whatever the input
length, an interrupted run leaves no half-written output, and ``resume=True`` continues from
the last stored chunk (no row lost or repeated) when the input and options are unchanged.

Before any work (before the panel is loaded) the output and the report are checked to be
writable (:func:`drugscreen.io.check_writable`: a file can be created in the folder, the target
is no folder, pipe, device or immutable file), and the run takes an exclusive lock on its work
folder, so a second run given the same output is refused instead of deleting the first's
chunks. Write failures say in words which file cannot be written and why, and keep the
scored chunks for ``resume=True`` when that can continue the run.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import multiprocessing as mp
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from drugscreen.exceptions import ConfigError, InputFormatError, WorkerProcessError
from drugscreen.jsonio import write_json

if TYPE_CHECKING:
    import pandas as pd

    from drugscreen.screening.screener import Screener

__all__ = ["RunSummary", "ScreenSummary", "run_screen", "auto_jobs"]

logger = logging.getLogger(__name__)

PROGRESS_FILE = "progress.json"
#: /2: a wholly blank line of a CSV/TSV input is no row (it was one in the middle of a file under
#: /1), so a CSV/TSV run of /1 counted its rows differently and cannot be resumed by /2.
_PROGRESS_SCHEMA = "drugscreen.screen-progress/2"
#: Input formats whose rows are counted as under the schema before (a run of it resumes).
_ROWS_AS_BEFORE = {"drugscreen.screen-progress/1": ("smi", "sdf", "parquet")}
_MAX_INVALID_LISTED = 1000
_HIST_BINS = 20


@dataclass
class ScreenSummary:
    """What a screening run did: the fields every engine reports (printed by the CLI)."""

    input: str
    output: str
    rows: int = 0
    valid: int = 0
    invalid: int = 0
    seconds: float = 0.0
    panel: str = ""
    profile: str | None = None
    endpoints: list[str] = field(default_factory=list)
    #: valid molecules outside the applicability domain (``in_domain`` false)
    out_of_domain: int = 0

    @property
    def molecules_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def screener_fields(screener: Screener) -> dict[str, Any]:
        """The ``panel``, ``profile`` and ``endpoints`` fields of a run with ``screener``."""
        return {
            "panel": screener.bundle.name,
            "profile": screener.profile.name if screener.profile is not None else None,
            "endpoints": [e.column for e in screener.endpoints],
        }


@dataclass
class RunSummary(ScreenSummary):
    """What a local run did (returned by :func:`run_screen`)."""

    resumed_rows: int = 0
    jobs: int = 1
    report: str | None = None

    @property
    def molecules_per_second(self) -> float:
        done = self.rows - self.resumed_rows
        return done / self.seconds if self.seconds > 0 else float("nan")


def auto_jobs(input_path: str) -> int:
    """Worker processes for ``jobs=None``: 1 for small inputs, else up to 4 (one per core)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if cores < 2 or input_path == "-":
        return 1
    try:
        size = os.path.getsize(input_path)
    except OSError:
        return 1
    gz = input_path.lower().endswith(".gz")
    # ~50 bytes per SMILES line; below ~4000 molecules starting workers is not worth it
    return min(cores, 4) if size * (4 if gz else 1) > 200_000 else 1


# ------------------------------------------------------------------------------ workers

_WORKER: dict[str, Any] = {}


def _worker_init(screener: Screener, threads: int) -> None:
    import signal

    import torch

    # the parent handles Ctrl-C / SIGTERM and then terminates the pool
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    torch.set_num_threads(threads)
    _WORKER["screener"] = screener


def _score_and_store(
    screener: Screener, work: Path, index: int, frame: pd.DataFrame, scol: str, icol: str | None, sep: str | None
) -> int:
    """Score one chunk and store it as chunk ``index`` of ``work``; return its row count.

    For CSV/TSV output the rows are also rendered as text with ``rank`` left open: formatting
    the numbers is most of what writing a CSV costs, and this runs in the workers.
    """
    from drugscreen.io import render_csv_rows

    scored = screener.score_chunk(frame, scol, icol)
    _store_chunk(work, index, scored, render_csv_rows(scored, sep, "rank") if sep is not None else None)
    return len(scored)


def _worker_score(args: tuple[Path, int, pd.DataFrame, str, str | None, str | None]) -> int:
    return _score_and_store(_WORKER["screener"], *args)


def _scored_chunks(
    screener: Screener,
    chunks: Iterator[pd.DataFrame],
    scol: str,
    icol: str | None,
    jobs: int,
    sep: str | None,
    work: Path,
    first_index: int,
) -> Iterator[int]:
    """Score and store (:func:`_score_and_store`) chunks ``first_index``, ``first_index + 1``, ...
    in ``jobs`` worker processes at most ``2 * jobs`` ahead; yield each one's row count, in
    order. The workers write the chunk files themselves, so no scored table travels back."""
    if jobs <= 1:
        for index, chunk in enumerate(chunks, start=first_index):
            yield _score_and_store(screener, work, index, chunk, scol, icol, sep)
        return
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    if method == "fork":
        # load the weights, the domain reference, the alert catalogs and the modules scoring
        # imports once, before forking, so the workers share them instead of each redoing it
        screener.warm_up()
    # concurrent.futures, not multiprocessing.Pool: when a worker dies (the kernel's
    # out-of-memory killer, a kill -9) a Pool silently replaces it and waits forever for the
    # chunk it held; the executor fails every pending chunk with BrokenProcessPool instead
    pool = ProcessPoolExecutor(jobs, mp_context=mp.get_context(method), initializer=_worker_init, initargs=(screener, 1))
    pending: collections.deque[Any] = collections.deque()
    finished = False
    try:
        for index, chunk in enumerate(chunks, start=first_index):
            # submit() raises BrokenProcessPool too, once the pool has noticed a dead worker
            pending.append(pool.submit(_worker_score, (work, index, chunk, scol, icol, sep)))
            while len(pending) >= 2 * jobs:
                yield int(pending.popleft().result())
        while pending:
            yield int(pending.popleft().result())
        finished = True
    except BrokenProcessPool as exc:
        raise WorkerProcessError(
            "a worker process died (killed, or out of memory?); fewer --jobs or a smaller --batch-size need less memory"
        ) from exc
    finally:
        if finished:
            pool.shutdown(wait=True)
        else:  # interrupted or failed: stop the workers now, not after their current chunk
            processes = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in processes:
                proc.terminate()
            for proc in processes:
                proc.join()


# ------------------------------------------------------------------------------ work folder


def _work_dir(output: str) -> Path:
    if output == "-":
        return Path(tempfile.mkdtemp(prefix="drugscreen-screen-"))
    from drugscreen.io import hidden_sibling_name

    p = Path(output)
    return p.with_name(hidden_sibling_name(p.name, ".partial"))


def _chunk_files(work: Path) -> list[Path]:
    return sorted(work.glob("chunk_*.parquet"))


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    write_json(path, data, sort_keys=True, fallback=str)


def _rendered_path(chunk_file: Path) -> Path:
    """Where a chunk's pre-rendered CSV/TSV rows (:func:`_score_and_store`) are kept."""
    return chunk_file.with_suffix(".rendered")


def _store_chunk(work: Path, index: int, df: pd.DataFrame, rendered: str | None = None) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    final = work / f"chunk_{index:08d}.parquet"
    if rendered is not None:  # before the parquet file, whose presence marks the chunk done
        text_tmp = work / f".chunk_{index:08d}.rendered.tmp"
        text_tmp.write_bytes(rendered.encode("utf-8"))
        os.replace(text_tmp, _rendered_path(final))
    else:
        _rendered_path(final).unlink(missing_ok=True)
    tmp = work / f".chunk_{index:08d}.tmp"
    pq.write_table(table, tmp, compression="lz4")
    os.replace(tmp, final)


#: The run options kept in ``progress.json``, as the command line names them.
_OPTION_NAMES = {
    "panel": "--panel",
    "panel_name": "--panel",
    "panel_files": "--panel",
    "endpoints": "--endpoints",
    "profile": "--profile",
    "smiles_column": "--smiles-column",
    "id_column": "--id-column",
    "chunk_size": "--batch-size",
    "columns": "the input's columns",
}


def _options_changed(old: dict[str, Any], new: dict[str, Any]) -> str:
    """Which options differ from the interrupted run's, with both values: a refused
    ``--resume`` must say what to change back (``--profile default, now cns``)."""

    def shown(key: str, value: Any) -> str:
        if key == "profile" and isinstance(value, dict):
            return str(value.get("name", "a profile file"))
        if key == "columns" and isinstance(value, list):
            return ", ".join(map(str, value))
        if isinstance(value, list):
            return ",".join(map(str, value))
        return "none" if value is None else str(value)

    changed: dict[str, str] = {}
    for key in [*new, *(k for k in old if k not in new)]:
        if old.get(key) == new.get(key) or key == "output_columns":
            continue
        name = _OPTION_NAMES.get(key, key)
        if name in changed:
            continue
        if key == "panel_files":
            changed[name] = f"{name}: the bundle's weights changed (retrained in place?)"
            continue
        a, b = shown(key, old.get(key)), shown(key, new.get(key))
        # a profile file edited in between keeps its name
        changed[name] = f"{name} {a}, now {b}" if a != b else f"{name} {a} (its contents changed)"
    if not changed and old.get("output_columns") != new.get("output_columns"):
        changed["columns"] = "the output columns (another drugscreen version?)"
    what = "; ".join(changed.values()) or "the options"
    return (
        f"the options differ from the interrupted run's ({what}); rerun with the same options, "
        "or without --resume to start again"
    )


def _refuse_file_in_the_way(work: Path, head: str) -> None:
    """A file (not a folder) where the work folder goes: one line asking to move it (was a
    NotADirectoryError traceback)."""
    if (work.exists() or work.is_symlink()) and not work.is_dir():
        raise InputFormatError(
            f"{head}: {work} is not a folder, but a run keeps its work in a folder of that name; "
            "move or delete that file"
        )


def _lock_work(work: Path, output: str) -> int | None:
    """Create the work folder if needed and hold an exclusive lock on it for the run; return
    the descriptor to close at the end (``None`` where ``fcntl`` is missing, or standard output).

    Two runs given one ``-o`` (a retried job, a second terminal) shared the folder: the second
    deleted the first's chunks as "an interrupted run's" and its output held rows of the first's
    input. The lock is on the folder itself (held by a descriptor, gone when the process dies),
    so a killed run never leaves a stale lock behind.

    Raises
    ------
    InputFormatError
        Another run holds the folder, or it cannot be created.
    """
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here
        return None
    head = f"cannot write {output}"
    _refuse_file_in_the_way(work, head)
    for _ in range(5):  # the folder may be removed by a run finishing between the calls
        try:
            work.mkdir(parents=True, exist_ok=True)
            fd = os.open(work, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise InputFormatError(f"{head}: cannot create its work folder {work} ({exc.strerror or exc})") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            raise InputFormatError(
                f"{head}: another drugscreen run is writing it (its work folder {work} is in use); wait for "
                "that run to finish, or give another output file"
            ) from exc
        except OSError as exc:  # a file system without locks (some NFS, FUSE): run unlocked, as before
            logger.debug("cannot lock %s (%s); running without the lock", work, exc)
            return fd
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(work))
        except OSError:
            same = False
        if same:
            return fd
        os.close(fd)  # locked a folder that a finishing run removed meanwhile: lock the new one
    raise InputFormatError(f"{head}: its work folder {work} keeps being replaced by another run")


def _clear_folder(folder: Path) -> None:
    """Remove what ``folder`` holds, keeping the folder (and the lock held on it)."""
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def _prepare_work(
    work: Path, state: dict[str, Any], resume: bool, output: str | None = None
) -> int:
    """Create/validate the work folder; return the number of rows already scored.

    Raises
    ------
    InputFormatError
        The work folder cannot be made (``output``'s folder cannot be written in), or a file
        that is not a folder stands in its place: one line naming it, nothing written.
    """
    import pyarrow.parquet as pq

    progress = work / PROGRESS_FILE
    head = f"cannot write {output}" if output not in (None, "-") else "cannot screen"
    _refuse_file_in_the_way(work, head)
    if work.exists() and resume and progress.is_file():
        try:
            old = json.loads(progress.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot resume: {progress} is unreadable ({exc}); rerun without --resume") from exc
        if old.get("schema") != state["schema"] and state.get("input_format") not in _ROWS_AS_BEFORE.get(str(old.get("schema")), ()):
            raise ConfigError(
                "cannot resume: the interrupted run was made by an earlier drugscreen version, which counted "
                f"this {str(state.get('input_format', '')).upper()} input's rows differently (a blank line was a row); "
                "rerun without --resume"
            )
        if old.get("input_sha256") != state["input_sha256"]:
            raise ConfigError("cannot resume: the input file changed since the interrupted run; rerun without --resume")
        if old.get("options") != state["options"]:
            raise ConfigError(f"cannot resume: {_options_changed(old.get('options') or {}, state['options'])}")
        files = _chunk_files(work)
        # keep only a gap-free run of chunks 0..k-1
        rows = 0
        for i, f in enumerate(files):
            if f.name != f"chunk_{i:08d}.parquet":
                for g in files[i:]:
                    g.unlink()
                break
            rows += pq.ParquetFile(f).metadata.num_rows
        for stray in work.glob(".chunk_*.tmp"):
            stray.unlink()
        for text in work.glob("chunk_*.rendered"):  # rendered rows of a chunk that never finished
            if not text.with_suffix(".parquet").is_file():
                text.unlink()
        logger.info("resuming: %d rows already scored in %d chunks", rows, len(_chunk_files(work)))
        return rows
    if resume:
        logger.info("nothing to resume (no %s); starting from the beginning", work)
    if work.exists():
        left = _chunk_files(work)
        if left:  # hours of scoring, maybe: never thrown away without a word
            rows = 0
            for f in left:
                with contextlib.suppress(Exception):  # a damaged chunk is discarded all the same
                    rows += pq.ParquetFile(f).metadata.num_rows
            logger.warning(
                "discarding the %s rows an interrupted run scored in %s and starting again (--resume continues such a run)",
                f"{rows:,}", work,
            )  # fmt: skip
        _clear_folder(work)  # not the folder itself: this run holds its lock
    try:
        work.mkdir(parents=True, exist_ok=True)
        _write_json_atomic(progress, {**state, "rows_done": 0, "chunks_done": 0})
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise InputFormatError(f"{head}: cannot create its work folder {work} ({exc.strerror or exc})") from exc
    return 0


# ------------------------------------------------------------------------------ finishing


@dataclass
class _Collected:
    """What the report needs, gathered while writing the output."""

    top: pd.DataFrame | None = None
    invalid: list[dict[str, Any]] = field(default_factory=list)
    histograms: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    n_invalid: int = 0
    #: valid molecules outside the fingerprint domain, outside any descriptor range, and per dataset;
    #: far from at least one dataset's own training molecules, and per dataset (out_of_domain_for)
    domain: dict[str, Any] = field(default_factory=lambda: {"out_of_domain": 0, "out_of_range": 0, "by_dataset": {},
                                                             "far": 0, "far_by_dataset": {}})

    def count_ranges(self, df: pd.DataFrame, datasets: list[str]) -> None:
        """Add a scored chunk's descriptor-range counts (valid rows only)."""
        from drugscreen.descriptor_ranges import mentions

        ok = df["valid"].to_numpy(dtype=bool)
        text = df["out_of_range"].fillna("").astype(str)[ok]
        self.domain["out_of_range"] += int((text != "").sum())
        by = self.domain["by_dataset"]
        for d in datasets:
            by[d] = by.get(d, 0) + int(mentions(text.to_numpy(), d).sum())

    def count_far(self, df: pd.DataFrame) -> None:
        """Add a scored chunk's ``out_of_domain_for`` counts (valid rows only)."""
        from drugscreen.domain import far_datasets

        ok = df["valid"].to_numpy(dtype=bool)
        texts = df["out_of_domain_for"].fillna("").astype(str)[ok].tolist()
        self.domain["far"] += sum(1 for t in texts if t)
        by = self.domain["far_by_dataset"]
        for t in texts:
            for d in far_datasets(t):
                by[d] = by.get(d, 0) + 1


def _rank_cells(ranks: np.ndarray) -> list[str]:
    """CSV cells of a rank column: the rank, or empty where there is none (0: invalid/unscored)."""
    return [str(int(x)) if x > 0 else "" for x in ranks]


def _value_columns(screener: Screener) -> list[str]:
    return [e.column for e in screener.endpoints] + ["qed", "score"]


def _passthrough_types(
    files: list[Path], screener: Screener, smiles_column: str, id_column: str | None
) -> dict[str, str]:
    """The Parquet types of the input's pass-through text columns, decided over every stored
    chunk (:class:`drugscreen.io.TextColumnTypes`): numbers where every non-empty cell of the
    column is one, else nothing (text). The SMILES and id columns always stay text."""
    import pyarrow.parquet as pq

    from drugscreen.io import TextColumnTypes

    if not files:
        return {}
    scored = {*screener.output_columns, smiles_column, *([id_column] if id_column else [])}
    candidates = [c for c in pq.ParquetFile(files[0]).schema_arrow.names if c not in scored]
    if not candidates:
        return {}
    sniffer = TextColumnTypes(candidates)
    for f in files:
        sniffer.update(pq.read_table(f, columns=candidates))
    types = sniffer.types()
    if types:
        logger.debug("pass-through columns stored as numbers: %s", types)
    return types


def _finish(
    work: Path,
    output: str,
    input_path: str,
    screener: Screener,
    top_n: int,
    want_report: bool,
    smiles_column: str = "smiles",
    input_columns: list[str] | None = None,
    id_column: str | None = None,
    text_input: bool = False,
) -> tuple[int, int, _Collected]:
    """Rank over all chunks and write the output; return (rows, valid, collected).

    With no chunk (an input without rows) the output still gets its header: the input's
    columns (``input_columns``) then the scored ones, as for any other input. With
    ``text_input`` (the input was read as text) a Parquet output stores its pass-through
    columns that hold only numbers as numbers (:func:`_passthrough_types`).
    """
    import pandas as pd
    import pyarrow.parquet as pq

    from drugscreen.io import TableWriter, detect_format, fill_csv_slots
    from drugscreen.io.formats import display_name
    from drugscreen.screening.profiles import rank_positions
    from drugscreen.screening.screener import count_out_of_domain

    files = _chunk_files(work)
    value_cols = _value_columns(screener) if want_report else []
    scores: list[np.ndarray] = []
    lo = {c: np.inf for c in value_cols}
    hi = {c: -np.inf for c in value_cols}
    for f in files:
        table = pq.read_table(f, columns=["score", *[c for c in value_cols if c != "score"]])
        scores.append(table.column("score").to_numpy(zero_copy_only=False).astype(float))
        for c in value_cols:
            v = table.column(c).to_numpy(zero_copy_only=False).astype(float)
            v = v[np.isfinite(v)]
            if v.size:
                lo[c] = min(lo[c], float(v.min()))
                hi[c] = max(hi[c], float(v.max()))
    all_scores = np.concatenate(scores) if scores else np.zeros(0)
    ranks = rank_positions(all_scores)
    collected = _Collected()
    edges: dict[str, np.ndarray] = {}
    probs = {e.column for e in screener.endpoints if e.type == "classification"} | {"qed", "score"}
    for c in value_cols:
        if c in probs:
            edges[c] = np.linspace(0.0, 1.0, _HIST_BINS + 1)
        elif np.isfinite(lo[c]):
            a, b = lo[c], hi[c] if hi[c] > lo[c] else lo[c] + 1.0
            edges[c] = np.linspace(a, b, _HIST_BINS + 1)
    counts = {c: np.zeros(_HIST_BINS, dtype=np.int64) for c in edges}
    tops: list[pd.DataFrame] = []
    rows = valid = out_of_domain = 0
    column_types: dict[str, str] = {}
    if text_input and output != "-" and detect_format(output, output=True)[0] == "parquet":
        column_types = _passthrough_types(files, screener, smiles_column, id_column)
    writer = TableWriter(output, input_path=input_path, column_types=column_types)
    try:
        if not files and input_columns is not None:
            logger.warning("%s holds no molecules: the output has its header only", display_name(str(input_path)))
            writer.write(screener.empty_output(input_columns, smiles_column, id_column))
        start = 0
        for f in files:
            text_file = _rendered_path(f)
            text = text_file.read_bytes().decode("utf-8") if writer.csv_separator and text_file.is_file() else None
            if text is not None and not want_report:
                # the rows were rendered where they were scored: only the rank is added here
                chunk = pq.ParquetFile(f)
                part = chunk.read(columns=["valid", "in_domain"]).to_pandas()
                ok = part["valid"].to_numpy(dtype=bool)
                out_of_domain += count_out_of_domain(ok, part["in_domain"])
                n = len(ok)
                r = ranks[start : start + n]
                start += n
                rows += n
                valid += int(np.count_nonzero(ok))
                writer.write_rendered(chunk.schema_arrow.names, fill_csv_slots(text, _rank_cells(r)), n)
                continue
            df = pq.read_table(f).to_pandas()
            r = ranks[start : start + len(df)]
            start += len(df)
            df["rank"] = pd.array(np.where(r > 0, r, 0), dtype="Int64")
            df.loc[r == 0, "rank"] = pd.NA
            rows += len(df)
            ok = df["valid"].to_numpy(dtype=bool)
            valid += int(ok.sum())
            out_of_domain += count_out_of_domain(ok, df["in_domain"])
            if text is not None:
                writer.write_rendered(list(df.columns), fill_csv_slots(text, _rank_cells(r)), len(df))
            else:
                writer.write(df)
            if want_report:
                for c, e in edges.items():
                    v = df[c].to_numpy(dtype=float, na_value=np.nan)
                    v = v[np.isfinite(v)]
                    counts[c] += np.histogram(np.clip(v, e[0], e[-1]), bins=e)[0]
                collected.count_ranges(df, screener.range_datasets)
                collected.count_far(df)
                sel = (r > 0) & (r <= top_n)
                if sel.any():
                    tops.append(df.loc[sel])
                bad = np.flatnonzero(~ok)
                collected.n_invalid += len(bad)
                room = _MAX_INVALID_LISTED - len(collected.invalid)
                for i in bad[: max(room, 0)]:
                    row = {
                        "row": int(start - len(df) + i),
                        "id": df["id"].iloc[i],
                        "smiles": df[smiles_column].iloc[i] if smiles_column in df.columns else "",
                        "error": df["error"].iloc[i],
                    }
                    collected.invalid.append(row)
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    collected.domain["out_of_domain"] = out_of_domain
    if want_report:
        collected.top = pd.concat(tops).sort_values("rank") if tops else None
        collected.histograms = {c: (edges[c], counts[c]) for c in edges}
    return rows, valid, collected


# ------------------------------------------------------------------------------ the run


def _write_failure(exc: OSError, output: str, work: Path) -> str:
    """``cannot write OUTPUT: REASON`` for an OSError met while storing chunks or writing the
    output, in words: not Python's ``[Errno 1] ...: '/tmp/d/.ro.csv.2vqh0cdu.tmp' -> 'ro.csv'``,
    whose temporary names mean nothing to the user. A file other than the output, its
    temporary file or the work folder is named in brackets."""
    reason = exc.strerror or " ".join(str(exc).split())  # one line (Arrow's messages hold line breaks)
    if output == "-":
        name = exc.filename
        if name is not None and (Path(os.fsdecode(name)) == work or Path(os.fsdecode(name)).parent == work):
            return f"cannot store the scored rows in {work}: {reason}"
        return f"cannot write to standard output: {reason}"
    out = Path(output)
    ours = {str(out), os.path.abspath(output)}
    for name in (exc.filename, exc.filename2):
        if name is None:
            continue
        p = Path(os.fsdecode(name))
        if str(p) in ours or os.path.abspath(p) in ours:
            continue
        if p.parent == work or p == work or (os.path.abspath(p.parent) == os.path.abspath(out.parent) and p.name.startswith(".")):
            continue  # the work folder or a temporary file beside the output: the output's own
        return f"cannot write {output}: {reason} ({p})"
    return f"cannot write {output}: {reason}"


def run_screen(
    input_path: str | Path,
    output: str | Path | None = None,
    *,
    panel: str | Path | None = None,
    endpoints: list[str] | str | None = None,
    profile: str | Path | None = "default",
    report: str | Path | None = None,
    top: int = 50,
    smiles_column: str | None = None,
    id_column: str | None = None,
    chunk_size: int = 4096,
    jobs: int | None = None,
    device: str = "cpu",
    resume: bool = False,
    on_progress: Callable[[int], None] | None = None,
    screener: Screener | None = None,
) -> RunSummary:
    """Screen a file; see the module docstring.

    Parameters
    ----------
    input_path
        Molecule table (see :mod:`drugscreen.io`), or ``"-"`` for stdin.
    output
        Output table; default ``<stem>_scored.csv`` beside the input; ``"-"`` for stdout.
    panel, endpoints, profile, device
        Passed to :meth:`Screener.load` (ignored when ``screener`` is given).
    report
        Also write a self-contained HTML report there.
    top
        Molecules shown in the report's grid.
    smiles_column, id_column
        Input columns (default: detected).
    chunk_size
        Rows read, scored and stored at a time.
    jobs
        Worker processes (``None``: :func:`auto_jobs`).
    resume
        Continue an interrupted run of the same input and options.
    on_progress
        Called with the number of rows done after each chunk.
    """
    from drugscreen.io import (
        CSV_SEPARATORS,
        check_writable,
        default_output_path,
        detect_format,
        file_fingerprint,
        open_input,
        read_once,
        same_file,
    )
    from drugscreen.screening.screener import Screener

    t0 = time.perf_counter()
    in_str = str(input_path)
    out_str = str(output) if output is not None else str(default_output_path(in_str))
    detect_format(out_str, output=True)
    if out_str != "-" and same_file(in_str, out_str):
        raise InputFormatError(f"refusing to write the output over the input file {out_str}")
    if report is not None and (same_file(in_str, report) or (out_str != "-" and same_file(out_str, report))):
        raise InputFormatError("the report must not be the input or the output file")
    # before any scoring, not after the whole run: a folder, a missing or read-only folder,
    # an immutable file
    check_writable(out_str)
    if report is not None:
        from drugscreen.screening.report import check_report_path

        check_report_path(report)
    once = read_once(in_str)  # standard input or a named pipe: no second pass, no resume
    if resume and once:
        what = "standard input" if in_str == "-" else f"{in_str}, a pipe that can be read only once"
        raise ConfigError(f"--resume needs an input file, not {what}")
    if resume and out_str == "-":
        raise ConfigError("--resume needs an output file: a run writing to standard output keeps nothing to continue")
    if top < 0:
        raise ConfigError(f"--top must be >= 0, got {top}")
    n_jobs = auto_jobs(in_str) if jobs is None or jobs <= 0 else int(jobs)
    # with several workers, smaller chunks keep them all busy (and the output order is kept)
    read_size = min(chunk_size, 1024) if n_jobs > 1 else chunk_size
    reader = open_input(in_str, smiles_column=smiles_column, id_column=id_column, chunksize=read_size)
    lock: int | None = None
    try:
        if screener is None:
            screener = Screener.load(panel=panel, endpoints=endpoints, profile=profile, device=device)
        work = _work_dir(out_str)
        state = {
            "schema": _PROGRESS_SCHEMA,
            "input": os.path.abspath(in_str) if in_str != "-" else "-",
            # not of a pipe: reading it here would take the rows from the reader
            "input_sha256": file_fingerprint(in_str) if not once else "",
            "input_format": reader.format,
            "options": {
                **screener.config(),
                "smiles_column": reader.smiles_column,
                "id_column": reader.id_column,
                "columns": reader.columns,
                "chunk_size": chunk_size,
            },
        }
        lock = _lock_work(work, out_str) if out_str != "-" else None
        try:
            done = _prepare_work(work, state, resume, out_str)
        except OSError as exc:  # an old work folder that cannot be cleared: was a traceback
            what = f"cannot write {out_str}" if out_str != "-" else "cannot screen"
            raise InputFormatError(f"{what}: cannot clear the work folder {work} ({exc.strerror or exc}); remove it by hand") from exc
        summary = RunSummary(
            input=in_str,
            output=out_str,
            resumed_rows=done,
            jobs=n_jobs,
            **ScreenSummary.screener_fields(screener),
        )
        reader.skip(done)
        # One torch thread per process: the GNN's scatter-adds run several times slower with
        # two threads on two cores, and with jobs > 1 each core already has its own worker.
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        chunk_index = len(_chunk_files(work))
        rows_done = done
        if on_progress is not None and done:
            on_progress(done)
        try:
            sep = CSV_SEPARATORS.get(detect_format(out_str, output=True)[0])
            scored = _scored_chunks(
                screener, iter(reader), reader.smiles_column, reader.id_column, n_jobs, sep, work, chunk_index
            )
            # closing(): the workers stop (pool terminated) before anything below cleans up
            with contextlib.closing(scored) as chunks:
                for n_rows in chunks:
                    chunk_index += 1
                    rows_done += n_rows
                    _write_json_atomic(work / PROGRESS_FILE, {**state, "rows_done": rows_done, "chunks_done": chunk_index})
                    if on_progress is not None:
                        on_progress(rows_done)
            rows, valid, collected = _finish(
                work, out_str, in_str, screener, top, report is not None, reader.smiles_column,
                reader.columns, reader.id_column, text_input=reader.format != "parquet",
            )
        except KeyboardInterrupt:
            if once or out_str == "-":  # standard input or output: nothing can be resumed
                shutil.rmtree(work, ignore_errors=True)
            else:
                logger.warning("interrupted after %s rows; rerun with --resume to continue (work kept in %s)", f"{rows_done:,}", work)
            raise
        except (OSError, WorkerProcessError) as exc:
            # a full disk, an unwritable output, a killed worker: the chunks already scored
            # are intact (each is stored atomically), so keep them for --resume
            if once or out_str == "-":  # nothing can be resumed
                shutil.rmtree(work, ignore_errors=True)
                # /dev/full: was a traceback; a reader gone (`| head`) is left to click, which
                # exits 1 without a word, as before
                if isinstance(exc, OSError) and not (out_str == "-" and isinstance(exc, BrokenPipeError)):
                    raise InputFormatError(_write_failure(exc, out_str, work)) from exc
                raise
            kept = f"the {rows_done:,} rows scored so far are kept in {work}: rerun with --resume to continue"
            if isinstance(exc, OSError):
                raise InputFormatError(f"{_write_failure(exc, out_str, work)}; {kept} once that is fixed") from exc
            raise WorkerProcessError(f"{exc}; {kept}") from exc
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        finally:
            torch.set_num_threads(threads)
        summary.rows, summary.valid, summary.invalid = rows, valid, rows - valid
        summary.out_of_domain = int(collected.domain["out_of_domain"])
        summary.seconds = time.perf_counter() - t0
        if report is not None:
            from drugscreen.screening.report import write_report

            try:
                write_report(report, summary, screener, collected.top, collected.histograms, collected.invalid,
                             collected.n_invalid, domain=collected.domain)  # fmt: skip
            except InputFormatError as exc:  # a full disk at the very end: the output is there
                if once or out_str == "-":
                    shutil.rmtree(work, ignore_errors=True)
                    where = "standard output" if out_str == "-" else out_str
                    raise InputFormatError(f"{exc}; the output {where} is written") from exc
                raise InputFormatError(
                    f"{exc}; the output {out_str} is written, and its scored rows are kept in {work}: "
                    "rerun with --resume to write the report without scoring again"
                ) from exc
            summary.report = str(report)
        shutil.rmtree(work, ignore_errors=True)
        summary.seconds = time.perf_counter() - t0
        return summary
    finally:
        if lock is not None:
            os.close(lock)
        reader.close()


def remove_partial(output: str | Path) -> None:
    """Delete the work folder an interrupted run left beside ``output`` (if any)."""
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(_work_dir(str(output)))
