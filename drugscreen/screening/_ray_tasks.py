"""The Ray side of :mod:`drugscreen.screening.ray_engine`: the datasource, the scoring actor, the finishing task.

Imported only by the engine after Ray has been found (this module imports ``ray.data`` at the
top). Everything here runs on Ray workers, so it keeps to plain data in and out.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from ray.data.block import BlockMetadata
from ray.data.datasource import Datasource, ReadTask

__all__ = [
    "BLOCK_COLUMN",
    "InputBlock",
    "MoleculeSource",
    "ScoreActor",
    "finish_part",
    "large_text",
    "part_name",
    "write_part",
]

logger = logging.getLogger(__name__)


def part_name(first_row: int) -> str:
    """The file name of the part that starts at input row ``first_row`` (sorts in input order)."""
    return f"part-{first_row:012d}.parquet"


def write_part(path: Path, table: pa.Table) -> None:
    """Write ``table`` to ``path`` atomically (temporary file, then rename).

    A retried batch writes the same name again, so a part is replaced, never duplicated.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def large_text(table: pa.Table) -> pa.Table:
    """``table`` with its ``string`` columns as ``large_string``, the local engine's Parquet type for text.

    pandas hands text columns to Arrow as ``string`` (object columns) or ``large_string`` (its
    ``str`` dtype) depending on how each block's frame was built; one type for all parts lets
    the output directory be read as one dataset. Null-typed columns (no value in this block)
    are left to the run-wide schema (:func:`drugscreen.screening.ray_engine._unified_schema`).
    """
    fields = [f.with_type(pa.large_string()) if pa.types.is_string(f.type) else f for f in table.schema]
    if all(a.type == b.type for a, b in zip(fields, table.schema, strict=True)):
        return table
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


@dataclass(frozen=True)
class InputBlock:
    """Input rows ``first_row .. first_row + rows - 1``: a run of one row group of one Parquet file."""

    path: str
    row_group: int
    group_first_row: int  # input row of the row group's first row
    first_row: int
    rows: int
    bytes: int


#: The column that carries each row's block (the block's first input row) from the read to the actor.
BLOCK_COLUMN = "__block__"


def _read_block(block: InputBlock, row_column: str, schema: pa.Schema | None = None) -> Iterator[pa.Table]:
    """The block's rows (as ``schema``, the input files' common one, when given) with their input row numbers and block id appended."""
    table = pq.ParquetFile(block.path).read_row_group(block.row_group)
    table = table.slice(block.first_row - block.group_first_row, block.rows)
    if schema is not None and not table.schema.equals(schema, check_metadata=False):
        table = table.cast(schema)  # only promotions (int64 -> double, string -> large_string): safe
    if table.num_rows != block.rows:
        raise OSError(f"{block.path} row group {block.row_group}: {table.num_rows} rows, planned {block.rows}")
    rows = np.arange(block.first_row, block.first_row + block.rows, dtype=np.int64)
    table = table.append_column(row_column, pa.array(rows))
    table = table.append_column(BLOCK_COLUMN, pa.array(np.full(block.rows, block.first_row, dtype=np.int64)))
    yield table


class MoleculeSource(Datasource):
    """Blocks of Parquet rows that carry their input row numbers, one read task per block.

    ``ray.data.read_parquet`` has no row numbers; this datasource is planned from the files'
    footers, so every row's input position is known on the worker, and a block (and the part
    file it becomes) is the same whichever worker reads it and however often.
    """

    def __init__(self, blocks: list[InputBlock], row_column: str, schema: pa.Schema | None = None) -> None:
        super().__init__()
        self._blocks = list(blocks)
        self._row_column = row_column
        self._schema = schema

    def get_name(self) -> str:
        return "Molecules"

    def estimate_inmemory_data_size(self) -> int | None:
        return int(sum(b.bytes for b in self._blocks)) or None

    def get_read_tasks(self, parallelism: int, *args: Any, **kwargs: Any) -> list[ReadTask]:
        tasks = []
        for b in self._blocks:
            meta = BlockMetadata(num_rows=b.rows, size_bytes=int(b.bytes), input_files=[b.path], exec_stats=None)
            tasks.append(ReadTask(functools.partial(_read_block, b, self._row_column, self._schema), meta))
        return tasks


class ScoreActor:
    """Scores blocks and writes each as a Parquet part; one Screener (models loaded once) per actor.

    Returns one summary row per block (``part``, ``first_row``, ``rows``, ``valid``,
    ``out_of_domain``, ``error``: empty, or an ``OSError``'s reason and file, tab-separated,
    when the part could not be written). With
    ``fault`` (tests only: ``{"marker": path, "after": k}``) the actor kills its own process
    with SIGKILL after writing its ``k``-th part, once per run (the marker file says it
    happened), which is what a preempted node looks like to Ray. With ``{"errno": n}`` every
    part fails to write with ``OSError(n)`` (28: no space left on device).
    """

    def __init__(
        self,
        screener: Any,
        out_dir: str,
        smiles_column: str,
        id_column: str | None,
        row_column: str,
        fault: dict[str, Any] | None = None,
    ) -> None:
        import torch

        # one thread per actor: each actor holds one CPU (the GNN's scatter-adds are slower
        # with two threads on two cores, see drugscreen.screening.run)
        torch.set_num_threads(1)
        self.screener = screener  # unpickled as Screener.load(...): the panel is loaded here, once
        _ = self.screener.bundle.models
        self.out_dir = Path(out_dir)
        self.smiles_column = smiles_column
        self.id_column = id_column
        self.row_column = row_column
        self.fault = fault
        self.parts_written = 0
        if fault and fault.get("pids_dir"):
            Path(fault["pids_dir"], f"{os.getpid()}-{id(self)}").touch()

    def __call__(self, batch: pa.Table) -> pa.Table:
        # Ray may hand over several blocks in one batch: each block becomes its own part
        ids = batch.column(BLOCK_COLUMN).to_numpy()
        out: dict[str, list[Any]] = {"part": [], "first_row": [], "rows": [], "valid": [], "out_of_domain": [], "error": []}
        cuts = np.flatnonzero(np.diff(ids)) + 1
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(ids)], strict=True):
            try:
                summary = (*self._score_block(batch.slice(int(lo), int(hi - lo)).drop_columns([BLOCK_COLUMN])), "")
            except OSError as exc:
                # A full or read-only disk: said to the driver in the summary, which raises it in
                # one line (raised here, Ray would bring back only its text, inside a page of traceback)
                first = int(ids[lo])
                summary = (part_name(first), first, int(hi - lo), 0, 0, f"{exc.strerror or exc}\t{exc.filename or ''}")
            for key, value in zip(out, summary, strict=True):
                out[key].append(value)
        return pa.table(out)

    def _score_block(self, block: pa.Table) -> tuple[str, int, int, int, int]:
        import pandas as pd

        from drugscreen.screening.screener import count_out_of_domain

        rows = block.column(self.row_column).to_numpy()
        n = len(rows)
        first = int(rows[0])
        if not np.array_equal(rows, np.arange(first, first + n)):
            raise RuntimeError(f"block starting at row {first} is not a contiguous run of input rows")
        frame = block.drop_columns([self.row_column]).to_pandas()
        frame.index = pd.RangeIndex(first, first + n)
        scored = self.screener.score_chunk(frame, self.smiles_column, self.id_column)
        scored.index = pd.Index(rows, dtype="int64", name=self.row_column)
        table = large_text(pa.Table.from_pandas(scored, preserve_index=True))
        name = part_name(first)
        if self.fault and self.fault.get("errno"):  # tests: a full or read-only disk under the workers
            code = int(self.fault["errno"])
            raise OSError(code, os.strerror(code), str(self.out_dir / name))
        write_part(self.out_dir / name, table)
        self.parts_written += 1
        self._maybe_crash()
        valid = scored["valid"].to_numpy(dtype=bool)
        return name, first, n, int(valid.sum()), count_out_of_domain(valid, scored["in_domain"])

    def _maybe_crash(self) -> None:
        fault = self.fault
        if not fault or self.parts_written < int(fault.get("after", 1)):
            return
        try:
            fd = os.open(fault["marker"], os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        os.kill(os.getpid(), signal.SIGKILL)


def finish_part(path: str, ranks: np.ndarray, schema_bytes: bytes, column_types: dict[str, str] | None = None) -> int:
    """Write the run-wide ``rank`` into one part and cast it to the run's schema; return its rows.

    ``column_types``: pass-through text columns stored as numbers
    (:func:`drugscreen.io.type_text_columns`). Idempotent (the rank, types and schema are the
    same whenever it runs), so Ray may retry it.
    """
    from drugscreen.io import type_text_columns

    schema = pa.ipc.read_schema(pa.py_buffer(schema_bytes))
    table = pq.read_table(path)
    if column_types:
        table = type_text_columns(table, column_types)
    if table.num_rows != len(ranks):
        raise RuntimeError(f"{path}: {table.num_rows} rows, {len(ranks)} ranks")
    rank = pa.array(np.asarray(ranks, dtype=np.int64), mask=np.asarray(ranks) == 0, type=pa.int64())
    table = table.set_column(table.schema.get_field_index("rank"), "rank", rank)
    table = table.select(schema.names).replace_schema_metadata(None)
    if not table.schema.equals(schema, check_metadata=False):
        table = table.cast(schema, safe=False)
    write_part(Path(path), table)
    return int(table.num_rows)
