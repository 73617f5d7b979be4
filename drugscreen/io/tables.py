"""The streamed table every reader returns (:class:`TableReader`) and how its SMILES and
identifier columns are found."""

from __future__ import annotations

import contextlib
import logging
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from drugscreen.exceptions import InputFormatError
from drugscreen.io.formats import display_name
from drugscreen.messages import did_you_mean, name_listing

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

#: Columns named in full in error messages; the rest are counted.
_MAX_LISTED_COLUMNS = 10


def _name_unnamed(columns: list[str]) -> list[str]:
    """Header cells left empty (``smiles,name,,``: a spreadsheet's empty columns) named as
    pandas names them, ``Unnamed: <0-based position>``; two of them were refused as the
    duplicate column name ``''``."""
    return [c or f"Unnamed: {i}" for i, c in enumerate(columns)]


def _check_unique(columns: list[str], path: str) -> None:
    """Refuse a header that names a column twice (naming the repeated ones)."""
    counts = Counter(columns)
    repeated = [c for c in counts if counts[c] > 1]
    if repeated:
        names = name_listing(repeated, _MAX_LISTED_COLUMNS, quote=True)
        raise InputFormatError(f"duplicate column names in the header of {display_name(path)}: {names}")


def column_key(column: str) -> str:
    """A column name as :func:`find_column` compares it with the names it looks for: in any case,
    outer white space dropped, and runs of spaces, hyphens and underscores read as one
    underscore (``"Compound ID"``, ``"compound-id"`` and ``"COMPOUND_ID"`` are all
    ``compound_id``), as training tables and repurposing libraries read them."""
    return re.sub(r"[\s_\-]+", "_", column.strip().lower())


def fallback_id(row: Any) -> Any:
    """The id of a row whose id cell is empty, from its row label: ``"row 3"`` for the 0-based row
    number 3, so it cannot be taken for the row whose id is ``3``; a label that is not a row
    number (a DataFrame indexed by name) is kept as it is.

    An input without an id column keeps the bare row numbers as its ids (every id is then a row
    number, so none can collide)."""
    import numpy as np

    if isinstance(row, int | np.integer) and not isinstance(row, bool):
        return f"row {int(row)}"
    return row


def find_column(
    columns: list[str],
    wanted: str | None,
    candidates: tuple[str, ...],
    what: str,
    required: bool,
    arg: str | None = None,
    delimiter: str | None = None,
) -> str | None:
    """Find ``wanted`` (case-insensitively) or the single column among ``candidates``; ``arg`` is
    how the caller names the column in the messages (default the CLI's ``--smiles-column`` /
    ``--id-column``; the Python API passes its keyword, ``smiles_col=``); ``delimiter``: the
    one a delimited-text header was split at, for the advice when no SMILES column is found
    (:func:`_no_smiles_column_hint`).

    A column matches a candidate when its :func:`column_key` equals it (``"Compound ID"`` is
    ``compound_id``). Two columns matching one candidate are ambiguous (an error); among
    several id-like columns the one of the most preferred candidate is taken, while several
    SMILES-like columns are an error."""
    listing = name_listing(columns, _MAX_LISTED_COLUMNS, quote=True)
    if wanted:
        if wanted in columns:
            return wanted
        hits = [c for c in columns if c.lower() == wanted.lower()]
        if len(hits) == 1:
            return hits[0]
        raise InputFormatError(
            f"{what} column {wanted!r} not found{did_you_mean(wanted, columns)}; the columns are: {listing}"
        )
    lowered = {c: column_key(c) for c in columns}
    for cand in candidates:
        hits = [c for c in columns if lowered[c] == cand]
        if len(hits) > 1:
            raise InputFormatError(
                f"several columns could hold the {what} ({', '.join(map(repr, hits))}); "
                f"choose one with {arg or f'--{what}-column'}; the columns are: {listing}"
            )
    hits = [c for c in columns if lowered[c] in candidates]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1 and what == "smiles":
        raise InputFormatError(
            f"several columns could hold the SMILES ({', '.join(map(repr, hits))}); "
            f"choose one with {arg or '--smiles-column'}; the columns are: {listing}"
        )
    if hits:  # several id-like columns: the most preferred one
        return next(c for cand in candidates for c in hits if lowered[c] == cand)
    if required:
        raise InputFormatError(
            f"no SMILES column found (looked for {', '.join(candidates)}, any case); "
            f"name it with {arg or '--smiles-column'}; the columns are: {listing}"
            f"{_no_smiles_column_hint(columns, delimiter)}"
        )
    return None


def _no_smiles_column_hint(columns: list[str], delimiter: str | None) -> str:
    """Advice for a header in which no SMILES column was found (``""`` when there is none).

    A delimited-text header (``delimiter`` given) that is one column holding white space was
    written with spaces, which ``.csv``/``.tsv``/``.txt`` are not split at: a ``.smi`` file
    is. A first line starting with a SMILES is a molecule, not a header: a header line is
    missing. Only a one-column list (or a tab-separated one) reads as such when named ``.smi``;
    a comma-separated one read as ``.smi`` would be all invalid rows.
    """
    from drugscreen.featurizers.molecule import parse_smiles

    if delimiter is not None and len(columns) == 1 and len(columns[0].split()) > 1:
        return (f"; the header line is one column, {columns[0][:80]!r}: .csv, .tsv and .txt files are split "
                "at ',', ';', '|' or tab, not at spaces; a file of `SMILES name` lines split at white space "
                "is read as such when named .smi (it may start with a header line `smiles name`)")
    if not columns or parse_smiles(columns[0])[0] is None:
        return ""
    start = f"; the first line starts with a SMILES ({columns[0]!r}), so it is a molecule, not a header line"
    if len(columns) == 1:
        return (f"{start}: add a header line `smiles` (a list of one SMILES a line without a header is also "
                "read as such when the file is named .smi)")
    if delimiter is None:
        return f"{start}: add a header line naming the columns"
    if delimiter == "\t":
        return (f"{start}: add a header line naming the columns, tab-separated (e.g. `smiles<TAB>name`), or "
                "name the file .smi (`SMILES name` lines, split at white space)")
    return f"{start}: add a header line naming the columns (e.g. `smiles{delimiter}name`)"


@dataclass
class TableReader:
    """A streamed table of molecules.

    Iterating yields DataFrames of at most ``chunksize`` rows, indexed by the 0-based input
    row number. ``columns`` are the input columns (in order), ``smiles_column`` the one with
    SMILES, ``id_column`` the identifier (or ``None``: the row number is used).

    Use :meth:`skip` before iterating to drop the first ``n`` rows (``--resume``).
    """

    path: str
    format: str
    gz: bool
    columns: list[str]
    smiles_column: str
    id_column: str | None
    chunksize: int = 4096
    _chunks: Iterator[pd.DataFrame] | None = field(default=None, repr=False)
    _close: Any = field(default=None, repr=False)
    _skip: int = 0
    #: the text encoding the file is read with; when set, the first cell holding U+FFFD (a byte
    #: that did not decode, past the part sniffed for the encoding) is named in a warning
    watch_encoding: str | None = field(default=None, repr=False)

    def skip(self, n: int) -> None:
        """Skip the first ``n`` rows (they are still read, but not yielded)."""
        self._skip = int(n)

    def __iter__(self) -> Iterator[pd.DataFrame]:
        assert self._chunks is not None, "reader already consumed"
        chunks, self._chunks = self._chunks, None
        to_skip = self._skip
        try:
            for chunk in chunks:
                if to_skip:
                    if len(chunk) <= to_skip:
                        to_skip -= len(chunk)
                        continue
                    chunk = chunk.iloc[to_skip:]
                    to_skip = 0
                if len(chunk):
                    if self.watch_encoding is not None and _warn_replacement(chunk, self.path, self.watch_encoding):
                        self.watch_encoding = None  # once per file
                    yield chunk
        except OSError as exc:  # a device error, a file gone unreadable mid-run: not a write error
            reason = exc.strerror or " ".join(str(exc).split())
            raise InputFormatError(f"cannot read {self.path}: {reason}") from exc
        finally:
            self.close()

    def close(self) -> None:
        """Close the underlying file."""
        if self._close is not None:
            with contextlib.suppress(Exception):
                self._close()
            self._close = None

    def __enter__(self) -> TableReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _warn_replacement(chunk: pd.DataFrame, path: str, encoding: str) -> bool:
    """Warn about the first cell of ``chunk`` holding U+FFFD, the character a byte that does not
    decode is read as; return whether one was found."""
    for col in chunk.columns:
        cells = chunk[col]
        if cells.dtype != object:
            continue
        hit = cells.str.contains("\ufffd", regex=False, na=False).to_numpy()
        if hit.any():
            logger.warning(
                "%s, row %s (%r): bytes there are not %s text and were read as U+FFFD; save the "
                "file as UTF-8 (further rows are not named)",
                display_name(path), chunk.index[hit.argmax()], col, encoding.upper().removesuffix("-SIG"),
            )  # fmt: skip
            return True
    return False


def _frame(rows: list[list[str]], columns: list[str], start: int) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(rows, columns=columns, index=pd.RangeIndex(start, start + len(rows)), dtype=object)


