"""Reading molecule tables and writing scored tables, dispatched on the file suffix.

Readers stream: :func:`open_input` returns a :class:`TableReader` whose iteration yields
``pandas.DataFrame`` chunks (at most ``chunksize`` rows each, indexed by the 0-based input
row), so a file of any length is read in bounded memory.

Inputs
------
``.smi`` / ``.smiles``
    Whitespace-separated ``SMILES [name]``. The first line is a header only when its first
    token does not parse as SMILES *and* looks like a column name (``smiles``, ``smi``,
    ``canonical_smiles`` ..., or the ``smiles_column`` asked for), so the first molecule of a
    headerless file is never swallowed (RDKit's ``SmilesMolSupplier`` defaults to
    ``titleLine=True`` and would eat it). Blank lines and ``#`` comment lines are not records
    and are skipped (counted in the log), as RDKit's supplier does; rows are numbered by
    record. A line without a name gets its 0-based row number as its name (so its id is what
    a row without an id gets from any other input). A CXSMILES extension after the SMILES
    (``C[C@H](N)C(=O)O |&1:1| alanine``) stays with the SMILES. A CSV file saved as ``.smi`` (a first
    line such as ``smiles,id``) is read as CSV, with a warning.
``.csv`` / ``.tsv`` / ``.txt``
    A header row is assumed. The delimiter is sniffed from the header line (``,``, tab, ``;``
    or ``|``; the suffix decides ties). A UTF-8 BOM and CRLF line ends are tolerated. Every
    cell is read as text, so identifiers such as ``007`` survive unchanged. A quoted field may
    span lines, but one whose quote is never closed (it would swallow the rest of the file),
    or that spans lines and is closed by a quote followed by more text (a stray quote that
    merged rows), is refused with the line where it opened. Fields have no size limit (an
    over-long SMILES is flagged per row, as in ``.smi`` input). An empty file (or only blank
    lines) is read as a table with a ``smiles`` column and no rows.
``.sdf`` / ``.sd``
    Streamed record by record. SD tags become columns, the title line becomes ``_Name``, the
    structure becomes a ``smiles`` column. A record RDKit cannot read becomes a row flagged
    with RDKit's reason instead of stopping the run. Records end at a ``$$$$`` line (trailing
    white space allowed); a record holding two molecule blocks (``M  END`` twice: a lost
    ``$$$$``) becomes a flagged row, not one merged molecule. The columns are every tag of the
    file, in order of first appearance: a file is read once beforehand for its tag names (text
    only, no RDKit: about 1 s per 40,000 records), so a tag first seen in record 50,000 is a
    column too. Standard input cannot be read twice: there the columns are the tags of the
    first records (``min(chunksize, 1000)``), and a tag first seen later is left out with a
    warning naming it.
``.parquet``
    Read in row-group batches with pyarrow; column types are kept.
``*.gz``
    Any of the above, gzipped (decompressed on the fly).
``-``
    Standard input: SDF when its first lines hold a molfile counts line (``V2000``/``V3000``),
    ``M  END`` or ``$$$$``; CSV/TSV when the first line holds a delimiter and a SMILES column
    name (the ``smiles_column`` asked for, else ``smiles``/``canonical_smiles``/``smi``);
    Parquet by its magic bytes; otherwise ``.smi``.

Any text input may be gzipped (recognised by its bytes, whatever its name) and UTF-8 (with or
without a BOM), UTF-16 or UTF-32 (by BOM, or UTF-16 by its NUL bytes). A ZIP archive (an
Excel workbook) or another binary file is refused with a one-line error.

Writers (:class:`TableWriter`) append chunk by chunk to a temporary file beside the target
and rename it into place on :meth:`TableWriter.commit`, so a failed or interrupted run never
leaves a half-written output, and refuse to write over the input file. Text read from CSV,
TSV, ``.smi`` or SDF input stays text in every output, except that Parquet output may be
given column types (:class:`TextColumnTypes` decides them over the whole table, so every
chunk gets the same type): a column whose every non-empty cell is a plain number is stored as
``int64`` or ``float64``, and one that holds a single other text (``007``, ``>10``, ``n/a``)
stays text. Text cells that begin with ``=``, ``+``, ``-`` or ``@`` and are not a plain number (``-0.77`` is left alone)
are prefixed with ``'`` in CSV/TSV output so that spreadsheets do not execute them (OWASP
"CSV injection"). In SDF output each value is one line (line breaks become spaces) and a
value starting with ``$$$$`` gets a leading space, so no value can end its record.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import io
import logging
import os
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from drugscreen.exceptions import InputFormatError
from drugscreen.messages import did_you_mean, name_listing

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ERROR_COLUMN",
    "INPUT_FORMATS",
    "MOLECULE_FILE_SUFFIXES",
    "OUTPUT_FORMATS",
    "SMILES_COLUMN_NAMES",
    "TableReader",
    "TableWriter",
    "TextColumnTypes",
    "default_output_path",
    "detect_format",
    "escape_csv_injection",
    "is_missing",
    "file_fingerprint",
    "fill_csv_slots",
    "open_input",
    "open_output",
    "render_csv_rows",
    "same_file",
    "type_text_columns",
]

logger = logging.getLogger(__name__)

#: Column names recognised (case-insensitively) as holding SMILES.
SMILES_COLUMN_NAMES = ("smiles", "canonical_smiles", "smi")
#: Column names recognised (case-insensitively) as holding identifiers, in order of preference.
ID_COLUMN_NAMES = ("id", "name", "_name", "compound_id", "mol_id", "title")
#: Internal column a reader may add: a reason the row could not be read (e.g. a bad SDF record).
ERROR_COLUMN = "__read_error__"

INPUT_FORMATS = ("smi", "csv", "tsv", "txt", "sdf", "parquet")
OUTPUT_FORMATS = ("csv", "tsv", "parquet", "sdf")
_SUFFIXES = {
    ".smi": "smi",
    ".smiles": "smi",
    ".ism": "smi",
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "txt",
    ".sdf": "sdf",
    ".sd": "sdf",
    ".parquet": "parquet",
    ".pq": "parquet",
}
#: Suffixes that name a molecule file unambiguously (``.txt`` may hold anything).
MOLECULE_FILE_SUFFIXES = tuple(s for s, fmt in _SUFFIXES.items() if fmt != "txt")
_DELIMITERS = (",", "\t", ";", "|")
_HEADER_WORDS = {
    *SMILES_COLUMN_NAMES,
    "smiles_std",
    "isosmiles",
    "isomeric_smiles",
    "structure",
    "molecule",
    "mol",
    "id",
    "name",
    "title",
    "compound",
    "compound_id",
}
_INJECTION_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: A signed decimal number (``-0.77``, ``+1.5e-3``): text that starts like a formula but is
#: read by spreadsheets as a number, so it is never escaped. Python's ``float`` is not used:
#: it also takes ``-inf``, ``-nan`` and ``-1_000``, which a spreadsheet would not.
_PLAIN_NUMBER = r"[+-](?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
#: Lines of standard input looked at to guess its format (a molfile's counts line is the 4th).
_SNIFF_LINES = 5
#: A molfile counts line: atom and bond counts, ..., the format version.
_COUNTS_LINE = re.compile(r"^\s*\d+\s*\d+.*V[23]000\s*$")
#: Columns named in full in error messages; the rest are counted.
_MAX_LISTED_COLUMNS = 10


def is_missing(value: Any) -> bool:
    """A missing table cell: None, a float NaN, or pandas' ``pd.NA`` (a ``"string"`` column's
    null), told apart without importing pandas. Such a SMILES cell gets
    :data:`~drugscreen.messages.EMPTY_SMILES`, as a blank text cell does."""
    if value is None or type(value).__name__ == "NAType":
        return True
    return isinstance(value, float) and value != value


def detect_format(path: str | Path, *, output: bool = False) -> tuple[str, bool]:
    """The table format of ``path`` from its suffix, and whether it is gzipped.

    Parameters
    ----------
    path
        A file name; ``"-"`` means standard input/output (format ``"stdin"``/``"csv"``).
    output
        Check against the formats that can be written instead of read.

    Returns
    -------
    tuple
        ``(format, gzipped)``.

    Raises
    ------
    InputFormatError
        The suffix is not one drugscreen reads (or writes).
    """
    if str(path) == "-":
        return ("csv" if output else "stdin"), False
    p = Path(path)
    suffixes = [s.lower() for s in p.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    if gz:
        suffixes = suffixes[:-1]
    fmt = _SUFFIXES.get(suffixes[-1]) if suffixes else None
    allowed = OUTPUT_FORMATS if output else INPUT_FORMATS
    if output and fmt == "txt":
        fmt = "tsv"
    if output and fmt == "smi":
        fmt = None
    if fmt is None or fmt not in allowed:
        kinds = ", ".join(f".{f}" for f in allowed)
        what = "write" if output else "read"
        raise InputFormatError(
            f"cannot {what} {p.name!r}: unknown file type {''.join(p.suffixes) or '(no suffix)'}; "
            f"use one of {kinds} (optionally .gz{'' if not output else ' for csv/tsv/sdf'}) or '-'"
        )
    if output and gz and fmt == "parquet":
        raise InputFormatError("parquet output is already compressed; drop the .gz suffix")
    return fmt, gz


def default_output_path(input_path: str | Path) -> Path:
    """``<stem>_scored.csv`` beside the input; ``-`` (standard output) for standard input.

    Input read from a pipe is written to a pipe, like any filter: a default file name would
    be written (or overwritten) in the working folder without the user naming it.
    """
    if str(input_path) == "-":
        return Path("-")
    p = Path(input_path)
    name = p.name
    for _ in p.suffixes:  # strip e.g. ".smi.gz" completely
        stem, dot, _ext = name.rpartition(".")
        if not dot or not stem:
            break
        name = stem
        if Path(name).suffix.lower() not in (*_SUFFIXES, ".gz"):
            break
    return p.with_name(f"{name}_scored.csv")


def same_file(a: str | Path, b: str | Path) -> bool:
    """True when ``a`` and ``b`` name the same existing file (or the same resolved path)."""
    if str(a) == "-" or str(b) == "-":
        return False
    pa, pb = Path(a), Path(b)
    with contextlib.suppress(OSError):
        if pa.exists() and pb.exists():
            return os.path.samefile(pa, pb)
    return pa.resolve() == pb.resolve()


def file_fingerprint(path: str | Path) -> str:
    """SHA-256 of a file's bytes (``""`` for standard input), used to check ``--resume``."""
    if str(path) == "-":
        return ""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def escape_csv_injection(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix ``'`` to text cells starting with ``= + - @`` (tab/CR too), per OWASP.

    Only text (object/string) columns are touched, and in them only cells that are not a
    plain number: numbers, including negative ones held as text (``-0.77``, ``+1e-3``; the
    readers keep every input cell as text), are left alone, since a spreadsheet reads them as
    numbers, not formulas. Returns a new frame when anything changed, else ``df`` itself.
    """
    import pandas as pd

    out = df
    for col in df.columns:
        s = df[col]
        if not (pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)):
            continue
        text = s.astype("string")
        risky = text.str.startswith(_INJECTION_PREFIXES).fillna(False)
        number = text.str.fullmatch(_PLAIN_NUMBER).fillna(False)
        mask = (risky & ~number).to_numpy(dtype=bool)
        if mask.any():
            if out is df:
                out = df.copy()
            fixed = s.astype(object).copy()
            fixed[mask] = "'" + text[mask].astype(object)
            out[col] = fixed
    return out


#: Field separator of each text table format that is written (CSV and TSV).
CSV_SEPARATORS = {"csv": ",", "tsv": "\t"}

#: Marks, in :func:`render_csv_rows` text, the cell of the last column left to fill in later
#: (ASCII record + group separators: never written by the CSV writer itself).
CSV_SLOT = "\x1e\x1d"


def render_csv_rows(df: pd.DataFrame, sep: str, open_column: str) -> str | None:
    """Render ``df``'s rows as CSV/TSV text (no header), leaving ``open_column``'s cells open.

    The text is what :class:`TableWriter` would write for these rows (CSV-injection escaping
    included), except that every cell of ``open_column`` (which must be the last column)
    holds :data:`CSV_SLOT`; :func:`fill_csv_slots` puts the values in later. This lets the
    expensive part of writing a CSV (formatting every number) run where the rows are made,
    e.g. in worker processes, while a column known only at the end (a rank over all rows)
    is added cheaply.

    Returns
    -------
    str or None
        The text, or ``None`` when it cannot be done safely (``open_column`` is not last, or
        a cell already contains the slot marker): write the frame the ordinary way then.
    """
    if not len(df.columns) or df.columns[-1] != open_column:
        return None
    frame = df.copy(deep=False)
    frame[open_column] = CSV_SLOT
    text = escape_csv_injection(frame).to_csv(sep=sep, index=False, header=False, lineterminator="\n")
    return text if text.count(CSV_SLOT) == len(df) else None


def fill_csv_slots(text: str, values: list[str]) -> str:
    """Put ``values`` (one per row, already formatted) into :func:`render_csv_rows` text."""
    pieces = text.split(CSV_SLOT)
    if len(pieces) != len(values) + 1:
        raise ValueError(f"{len(pieces) - 1} open cells for {len(values)} values")
    out = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=True):
        out.append(value)
        out.append(piece)
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Readers
# ---------------------------------------------------------------------------------------------


#: First bytes of a gzip stream, a ZIP archive (e.g. an .xlsx workbook) and a Parquet file.
_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_PARQUET_MAGIC = b"PAR1"
#: Bytes looked at to tell compression, encoding and binary files apart.
_SNIFF_BYTES = 64


class _Prefixed(io.RawIOBase):
    """A binary stream whose first bytes, already read to sniff them, are put back in front.

    ``closers`` are called on :meth:`close` (the underlying file, and for a gzip stream the
    compressed file beneath it, which :class:`gzip.GzipFile` does not close itself).
    """

    def __init__(self, head: bytes, rest: IO[bytes], closers: list[Any] | None = None) -> None:
        super().__init__()
        self._head = head
        self._rest = rest
        self._closers = closers or []

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            n = min(len(view), len(self._head))
            view[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        read1 = getattr(self._rest, "read1", None)
        data = read1(len(view)) if read1 is not None else self._rest.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            for close in self._closers:
                with contextlib.suppress(Exception):
                    close()
        super().close()


def _read_head(stream: IO[bytes], n: int) -> bytes:
    """Up to ``n`` bytes (fewer only at the end of the stream; a pipe may deliver them in parts)."""
    parts: list[bytes] = []
    got = 0
    while got < n:
        block = stream.read(n - got)
        if not block:
            break
        parts.append(block)
        got += len(block)
    return b"".join(parts)


def _open_bytes(path: str) -> tuple[IO[bytes], bytes]:
    """Open a file or stdin as bytes, gunzipped when it is gzip (by content, whatever its name).

    Returns the stream (its start not consumed) and its first :data:`_SNIFF_BYTES` bytes.
    """
    name = _display_name(path)
    if path == "-":
        raw: IO[bytes] = sys.stdin.buffer
        closers: list[Any] = []  # standard input is not ours to close
    else:
        try:
            raw = open(path, "rb")
        except FileNotFoundError as exc:
            raise InputFormatError(f"input file not found: {path}") from exc
        except IsADirectoryError as exc:
            raise InputFormatError(f"input is a directory, not a file: {path}") from exc
        closers = [raw.close]
    head = _read_head(raw, _SNIFF_BYTES)
    stream: IO[bytes] = io.BufferedReader(_Prefixed(head, raw, closers))
    if head.startswith(_GZIP_MAGIC):
        unzipped = gzip.GzipFile(fileobj=stream, mode="rb")
        try:
            head = _read_head(unzipped, _SNIFF_BYTES)  # type: ignore[arg-type]
        except (OSError, EOFError) as exc:
            stream.close()
            raise InputFormatError(f"{name} is not a readable gzip file: {exc}") from exc
        stream = io.BufferedReader(_Prefixed(head, unzipped, [unzipped.close, stream.close]))  # type: ignore[arg-type]
    elif path.lower().endswith(".gz"):
        logger.debug("%s is named .gz but is not gzip-compressed; read as it is", name)
    return stream, head


def _text_encoding(head: bytes, path: str) -> str:
    """The encoding of a text file from its first bytes: UTF-8 (BOM or not), UTF-16 or UTF-32.

    Raises
    ------
    InputFormatError
        The bytes are a ZIP archive (an Excel workbook) or hold NUL bytes that are not UTF-16.
    """
    name = _display_name(path)
    if head.startswith(_ZIP_MAGIC):
        raise InputFormatError(f"{name} is a ZIP archive (an Excel .xlsx workbook?), not a text table; save it as CSV (UTF-8)")
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        encoding = "utf-32"
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif b"\x00" in head:
        # UTF-16 without a byte-order mark: ASCII text has a NUL in every other byte
        even, odd = head[0::2], head[1::2]
        if b"\x00" not in even and odd.count(0) * 2 >= len(odd):
            encoding = "utf-16-le"
        elif b"\x00" not in odd and even.count(0) * 2 >= len(even):
            encoding = "utf-16-be"
        else:
            raise InputFormatError(f"{name} is not a text file (it holds NUL bytes); save it as CSV or SMILES text (UTF-8)")
    else:
        return "utf-8-sig"
    logger.info("%s is %s text; reading it as such (UTF-8 is the usual encoding)", name, encoding.upper())
    return encoding


def _check_unique(columns: list[str], path: str) -> None:
    """Refuse a header that names a column twice (naming the repeated ones)."""
    counts = Counter(columns)
    repeated = [c for c in counts if counts[c] > 1]
    if repeated:
        names = name_listing(repeated, _MAX_LISTED_COLUMNS, quote=True)
        raise InputFormatError(f"duplicate column names in the header of {_display_name(path)}: {names}")


def _display_name(path: str) -> str:
    return "standard input" if path == "-" else path


def _find_column(
    columns: list[str], wanted: str | None, candidates: tuple[str, ...], what: str, required: bool, arg: str | None = None
) -> str | None:
    """Find ``wanted`` (case-insensitively) or the single column among ``candidates``; ``arg`` is
    how the caller names the column in the messages (default the CLI's ``--smiles-column`` /
    ``--id-column``; the Python API passes its keyword, ``smiles_col=``)."""
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
    lowered = {c: c.strip().lower() for c in columns}
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
        from drugscreen.featurizers.molecule import parse_smiles

        hint = ""
        if columns and parse_smiles(columns[0])[0] is not None:  # the "header" is a molecule
            hint = (f"; the first line starts with a SMILES ({columns[0]!r}): a list without a header "
                    "line is read as such when the file is named .smi")
        raise InputFormatError(
            f"no SMILES column found (looked for {', '.join(candidates)}, any case); "
            f"name it with {arg or '--smiles-column'}; the columns are: {listing}{hint}"
        )
    return None


def _looks_like_header(first_token: str) -> bool:
    """A ``.smi`` first line is a header when its first token is a column-like word, not SMILES."""
    from drugscreen.featurizers.molecule import parse_smiles

    word = first_token.strip().lower()
    if word in _HEADER_WORDS:
        mol, _ = parse_smiles(first_token)
        # 'smi', 'id', 'mol' etc. never parse; 'C' would, but is no header word.
        return mol is None or word in SMILES_COLUMN_NAMES
    return False


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
                    yield chunk
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


def open_input(
    path: str | Path,
    *,
    smiles_column: str | None = None,
    id_column: str | None = None,
    chunksize: int = 4096,
    header: bool | None = None,
) -> TableReader:
    """Open a molecule table for streamed reading.

    Parameters
    ----------
    path
        The file (format from its suffix, see the module docstring), or ``"-"`` for stdin.
    smiles_column
        The column holding SMILES; default: the one column named ``smiles``,
        ``canonical_smiles`` or ``smi`` in any case.
    id_column
        The identifier column; default: ``id``, ``name`` or ``_Name`` when present.
    chunksize
        Rows per chunk.
    header
        For ``.smi`` input: force (``True``) or forbid (``False``) a header line; ``None``
        detects it.

    Raises
    ------
    InputFormatError
        Unknown suffix, missing file, or no (or an ambiguous) SMILES column.
    """
    if chunksize < 1:
        raise InputFormatError(f"chunk size must be at least 1, got {chunksize}")
    fmt, gz = detect_format(path)
    spath = str(path)
    if fmt == "parquet":
        return _open_parquet(spath, gz, smiles_column, id_column, chunksize)
    binary, head = _open_bytes(spath)
    try:
        if head.startswith(_PARQUET_MAGIC):
            if fmt != "stdin":
                raise InputFormatError(f"{spath} is a Parquet file; name it .parquet to read it")
            data = binary.read()
            binary.close()
            return _open_parquet(spath, False, smiles_column, id_column, chunksize, data=data)
        fh: IO[str] = io.TextIOWrapper(binary, encoding=_text_encoding(head, spath), errors="replace", newline="")
    except BaseException:
        binary.close()
        raise
    try:
        if fmt == "stdin":
            lead = [line for line in (fh.readline() for _ in range(_SNIFF_LINES)) if line]
            fh = _Peeked(lead, fh)
            fmt = _sniff_stdin_format(lead, smiles_column)
            logger.debug("standard input read as %s", fmt)
        if fmt == "sdf":
            return _open_sdf(spath, fh, smiles_column, id_column, chunksize)
        first_lines = _peek_lines(fh)
        if fmt == "smi":
            return _open_smi(spath, fh, first_lines, smiles_column, id_column, chunksize, header)
        return _open_delimited(spath, fmt, gz, fh, first_lines, smiles_column, id_column, chunksize)
    except BaseException:
        fh.close()
        raise


class _Peeked(io.TextIOBase):
    """A text stream with some already-read lines pushed back in front."""

    def __init__(self, lines: list[str], rest: IO[str]) -> None:
        self._lines = lines
        self._rest = rest

    def readline(self, size: int = -1) -> str:  # noqa: ARG002 - io signature
        if self._lines:
            return self._lines.pop(0)
        return self._rest.readline()

    def read(self, size: int | None = -1) -> str:
        head = "".join(self._lines)
        self._lines = []
        if size is None or size < 0:
            return head + self._rest.read()
        if len(head) >= size:
            self._lines = [head[size:]] if head[size:] else []
            return head[:size]
        return head + self._rest.read(size - len(head))

    def __iter__(self) -> Iterator[str]:
        while True:
            line = self.readline()
            if not line:
                return
            yield line

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._rest.close()
        super().close()


def _peek_lines(fh: IO[str]) -> list[str]:
    """Read up to the first non-blank line (plus blank lines before it)."""
    lines: list[str] = []
    while True:
        line = fh.readline()
        if not line:
            break
        lines.append(line)
        if line.strip():
            break
    return lines


def _first_nonblank(lines: list[str]) -> str:
    return next((ln for ln in lines if ln.strip()), "")


def _sniff_delimiter(line: str, default: str) -> str:
    counts = {d: line.count(d) for d in _DELIMITERS}
    best = max(counts.values())
    if best == 0:
        return default
    if counts.get(default, 0) == best:
        return default
    return max(_DELIMITERS, key=lambda d: counts[d])


def _sniff_stdin_format(lines: list[str], smiles_column: str | None = None) -> str:
    """``"sdf"``, ``"csv"``, ``"tsv"`` or ``"smi"`` from the first lines of standard input.

    SDF: a molfile counts line (``... V2000``/``V3000``), ``M  END`` or ``$$$$``. CSV/TSV: the
    first non-blank line holds a delimiter and a SMILES column name (``smiles_column`` when
    given, else one of :data:`SMILES_COLUMN_NAMES`). Anything else: ``.smi``.
    """
    stripped = [ln.rstrip("\r\n") for ln in lines]
    if any(ln.rstrip() == "M  END" or _is_sdf_separator(ln) or _COUNTS_LINE.match(ln) for ln in stripped):
        return "sdf"
    first = _first_nonblank(lines).rstrip("\r\n")
    names = {smiles_column.strip().lower()} if smiles_column else set(SMILES_COLUMN_NAMES)
    if any(d in first for d in _DELIMITERS):
        delim = _sniff_delimiter(first, ",")
        cells = [c.strip().strip('"').lower() for c in first.split(delim)]
        if any(c in names for c in cells):
            return "csv" if delim != "\t" else "tsv"
    return "smi"


def _frame(rows: list[list[str]], columns: list[str], start: int) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(rows, columns=columns, index=pd.RangeIndex(start, start + len(rows)), dtype=object)


#: A CXSMILES at the start of a ``.smi`` line: the SMILES, white space, then its extension
#: ``|...|`` (enhanced stereo ``|&1:1|``, atom labels ``|$;;$|``), which belongs to the SMILES,
#: not to the name after it.
_CX_SMILES = re.compile(r"\s*(\S+[ \t]+\|[^|\r\n]*\|)(?=\s|$)")


def _smi_skipped(line: str) -> bool:
    """A ``.smi`` line that is no record: blank, or a ``#`` comment (no SMILES starts with ``#``)."""
    text = line.strip()
    return not text or text.startswith("#")


def _open_smi(
    path: str,
    fh: IO[str],
    first_lines: list[str],
    smiles_column: str | None,
    id_column: str | None,
    chunksize: int,
    header: bool | None,
) -> TableReader:
    """``.smi``: one record per line, ``SMILES [name]``; blank and ``#`` lines are skipped.

    This is the format's convention (RDKit's ``SmilesMolSupplier`` skips them too), so row
    numbers count records, not lines. Fields are split at white space; under a header written
    with tabs they are split at tabs, so a name with spaces stays one field. A line without a name gets its row number as its name,
    the id any other input gives a row without one.

    A CSV file saved as ``.smi``: when the first record line's first token holds a comma
    (which no SMILES does) and a comma-separated cell of it names a SMILES column (``smiles``,
    ``canonical_smiles``, ``smi``, the ``smiles_column`` asked for, or any name containing
    "smiles"), the file is read as CSV, with a warning to name it ``.csv``. Read as ``.smi``,
    every row of such a file, the header included, would be an invalid SMILES, so nothing a
    ``.smi`` reading could give is lost. ``header=False`` turns this off.
    """
    lead = list(first_lines)
    while all(_smi_skipped(ln) for ln in lead):  # comments before the first record
        line = fh.readline()
        if not line:
            break
        lead.append(line)
    first = next((ln for ln in lead if not _smi_skipped(ln)), "")
    tokens = first.split()
    if header is not False and tokens and "," in tokens[0]:
        names = {smiles_column.strip().lower()} if smiles_column else set(SMILES_COLUMN_NAMES)
        cells = [c.strip().strip('"').lower() for c in first.split(",")]
        if any(c in names or "smiles" in c for c in cells):
            logger.warning(
                "%s: the first line %r is a comma-separated header; reading the file as CSV (name it .csv)",
                _display_name(path), first.strip()[:80],
            )  # fmt: skip
            return _open_delimited(path, "csv", False, fh, lead, smiles_column, id_column, chunksize, header_at=len(lead) - 1)
    named = bool(tokens) and smiles_column is not None and tokens[0].lower() == smiles_column.strip().lower()
    is_header = header if header is not None else bool(tokens) and (named or _looks_like_header(tokens[0]))
    # a tab-separated header: the rows are split at tabs too, so a name with spaces stays whole
    sep = "\t" if is_header and "\t" in first.strip() else None
    if is_header:
        columns = ([c.strip() for c in first.strip().split("\t")] if sep else list(tokens)) or ["smiles"]
        pending: list[str] = []  # lines up to the header (blank, comments, the header) are not rows
        comments_before = sum(1 for ln in lead if ln.strip().startswith("#"))
    else:
        columns = ["smiles", "name"]
        pending = list(lead)
        comments_before = 0
    _check_unique(columns, path)
    scol = _find_column(columns, smiles_column, SMILES_COLUMN_NAMES, "smiles", required=is_header)
    if scol is None:
        scol = "smiles"
    icol = _find_column(columns, id_column, ID_COLUMN_NAMES, "id", required=False)
    if not is_header and id_column is None and len(tokens) < 2:
        icol = None  # a bare list of SMILES: the row number is the id
    fill_names = not is_header and icol == "name"
    ncols = len(columns)

    def rows() -> Iterator[pd.DataFrame]:
        buf: list[list[str]] = []
        start = 0
        blanks = 0  # blank lines count as skipped only when a record follows (not trailing ones)
        skipped_blank = 0
        skipped_comment = comments_before
        stream = _Peeked(pending, fh)
        for raw in stream:
            line = raw.rstrip("\r\n")
            if _smi_skipped(line):
                if line.strip():
                    skipped_comment += 1
                else:
                    blanks += 1
                continue
            skipped_blank += blanks
            blanks = 0
            if sep is not None and sep in line:
                # split before stripping: a leading tab is an empty first field (a row without
                # a SMILES), not white space to drop (that moved the name into the SMILES)
                parts = [p.strip() for p in line.strip(" ").split(sep, ncols - 1)]
            else:  # a row written with spaces under a tab header: white space, as before
                cx = _CX_SMILES.match(line)
                if cx is not None and ncols > 1:  # "CCO |$;;$| name": the extension is the SMILES'
                    parts = [cx.group(1), *line[cx.end() :].split(None, ncols - 2)]
                else:
                    parts = line.split(None, ncols - 1)
            parts += [""] * (ncols - len(parts))
            if fill_names and not parts[1]:
                parts[1] = str(start + len(buf))
            buf.append(parts)
            if len(buf) >= chunksize:
                yield _frame(buf, columns, start)
                start += len(buf)
                buf = []
        if buf:
            yield _frame(buf, columns, start)
        if skipped_blank or skipped_comment:
            logger.info(
                "%s: %d comment line(s) and %d blank line(s) skipped (not molecules; rows are numbered by molecule)",
                _display_name(path), skipped_comment, skipped_blank,
            )  # fmt: skip

    reader = TableReader(path, "smi", False, columns, scol, icol, chunksize)
    reader._chunks = rows()
    reader._close = fh.close
    return reader


#: The csv module's field size limit while reading (its default, 131,072 characters, would
#: stop the file at one long SMILES; the row reaches the per-row size check instead). The C
#: long of some platforms is 32 bits, hence not ``sys.maxsize``.
_CSV_FIELD_LIMIT = 2**31 - 1


def _quote_problem(lines: list[str], delim: str) -> tuple[int, str] | None:
    """A stray quote in one CSV record that spans several lines, or ``None``.

    ``lines`` are the record's raw lines. They are read as the csv module reads them (double
    quotes, not strict): a field starting with ``"`` runs to the next lone ``"``, line breaks
    included. The record is refused when such a field is still open at the end of the file
    (it swallowed the rest), or when it spans lines and its closing quote is followed by
    more text than white space (a legitimately quoted field ends at a delimiter or the line
    end; this one merged rows).

    Returns
    -------
    tuple or None
        ``(index of the line where the quoted field opened, what is wrong)``.
    """
    start, unquoted, quoted, quote_in_quoted, after_close = range(5)
    state = start
    opened = 0

    def merged(k: int, ch: str) -> tuple[int, str]:
        return opened, (
            f"a quoted field opened here runs over {k - opened + 1} lines and its closing quote "
            f"is followed by {ch!r}, so it merged rows; remove the stray quote, or close the "
            'quote where the field ends (a quote inside a quoted field is written twice: "")'
        )

    for k, line in enumerate(lines):
        for ch in line:
            if state == quoted:
                if ch == '"':
                    state = quote_in_quoted
            elif ch == delim:
                state = start
            elif ch in "\r\n":
                continue  # the record's end (its last line); inside quotes it was kept above
            elif state == start:
                if ch == '"':
                    state, opened = quoted, k
                else:
                    state = unquoted
            elif state == quote_in_quoted:
                if ch == '"':
                    state = quoted  # a doubled quote: a literal one
                elif k == opened:
                    state = unquoted
                elif ch.isspace():
                    state = after_close  # white space may follow; text may not (5" tube)
                else:
                    return merged(k, ch)
            elif state == after_close and not ch.isspace():
                return merged(k, ch)
    if state == quoted:
        n = len(lines) - opened
        return opened, (
            f"a quote opened here is never closed: its field runs to the end of the file ({n} line"
            f'{"s" if n != 1 else ""}); remove the stray quote, or close it (a quote inside a quoted '
            'field is written twice: "")'
        )
    return None


def _open_delimited(
    path: str,
    fmt: str,
    gz: bool,
    fh: IO[str],
    first_lines: list[str],
    smiles_column: str | None,
    id_column: str | None,
    chunksize: int,
    header_at: int | None = None,
) -> TableReader:
    """CSV/TSV (``fmt``): the header is ``first_lines[header_at]`` (default: the first non-blank
    line); the lines before it are not rows. See the module docstring."""
    name = _display_name(path)
    if header_at is None:
        header_at = next((i for i, ln in enumerate(first_lines) if ln.strip()), len(first_lines))
    if header_at >= len(first_lines):
        # an empty file: no rows, as for an empty .smi file (the run warns and writes a header)
        columns = [smiles_column or "smiles"]
        if id_column and id_column not in columns:
            columns.append(id_column)
        reader = TableReader(path, fmt, gz, columns, columns[0], id_column, chunksize)
        reader._chunks = iter(())
        reader._close = fh.close
        return reader
    header_line = first_lines[header_at]
    if csv.field_size_limit() < _CSV_FIELD_LIMIT:
        csv.field_size_limit(_CSV_FIELD_LIMIT)
    delim = _sniff_delimiter(header_line.rstrip("\r\n"), "\t" if fmt == "tsv" else ",")
    columns = next(csv.reader([header_line.rstrip("\r\n")], delimiter=delim))
    columns = [c.strip() for c in columns]
    _check_unique(columns, path)
    scol = _find_column(columns, smiles_column, SMILES_COLUMN_NAMES, "smiles", required=True)
    icol = _find_column(columns, id_column, ID_COLUMN_NAMES, "id", required=False)
    ncols = len(columns)
    stream = _Peeked([header_line], fh)

    def chunks() -> Iterator[pd.DataFrame]:
        record: list[str] = []  # the raw lines of the record being read

        def lines() -> Iterator[str]:
            for line in stream:
                record.append(line)
                yield line

        reader = csv.reader(lines(), delimiter=delim)
        next(reader)  # header
        buf: list[list[str]] = []
        blanks: list[list[str]] = []
        start = 0
        end = reader.line_num  # lines read so far (a record may span several)
        while True:
            record.clear()
            first_line = header_at + end + 1  # the record's first line (1-based, in the file)
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise InputFormatError(f"{name}, line {first_line}: {exc}") from exc
            if reader.line_num - end > 1 or record[-1].count('"') % 2:
                # a quoted field with line breaks, or one left open on the last line: check it
                problem = _quote_problem(record, delim)
                if problem is not None:
                    raise InputFormatError(f"{name}, line {first_line + problem[0]}: {problem[1]}")
            line_no, end = first_line, reader.line_num
            if not row or all(not c.strip() for c in row):
                blanks.append([""] * ncols)
                continue
            if blanks:
                buf.extend(blanks)
                blanks = []
            if len(row) != ncols:
                if len(row) > ncols and all(not c.strip() for c in row[ncols:]):
                    row = row[:ncols]
                elif len(row) < ncols:
                    row = row + [""] * (ncols - len(row))
                else:
                    raise InputFormatError(
                        f"{path}, line {line_no}: {len(row)} fields where the header has {ncols} "
                        f"(delimiter {delim!r}); quote fields holding the delimiter"
                    )
            buf.append([c.rstrip("\r") for c in row])
            if len(buf) >= chunksize:
                yield _frame(buf, columns, start)
                start += len(buf)
                buf = []
        if buf:
            yield _frame(buf, columns, start)

    reader = TableReader(path, fmt, gz, columns, scol, icol, chunksize)
    reader._chunks = chunks()
    reader._close = fh.close
    return reader


def _is_sdf_separator(line: str) -> bool:
    """``$$$$`` alone on its line; trailing white space is allowed (RDKit's supplier allows it)."""
    return line.startswith("$$$$") and not line[4:].strip()


def _sdf_records(fh: IO[str]) -> Iterator[str]:
    """The records of an SD file: the text between ``$$$$`` lines."""
    buf: list[str] = []
    for line in fh:
        if _is_sdf_separator(line):
            yield "".join(buf)
            buf = []
        else:
            buf.append(line)
    if "".join(buf).strip():
        yield "".join(buf)


def _mol_ends(lines: list[str]) -> list[int]:
    """Indices of the ``M  END`` lines of a record (one per molecule block): not the record's
    three header lines (a title may read anything) nor a data field's value lines (from a
    ``>`` line to the next blank line)."""
    ends: list[int] = []
    in_value = False
    for i, ln in enumerate(lines):
        if in_value:
            in_value = bool(ln.strip())
        elif ends and ln.startswith(">"):
            in_value = True
        elif i >= 3 and ln.startswith("M  END"):
            ends.append(i)
    return ends


def _sdf_tags(block: str) -> dict[str, str]:
    """SD data fields (``> <TAG>`` lines and their values) after ``M  END``.

    In a record that holds a second molecule block (a lost ``$$$$`` line), only the fields
    before that block are read: the first molecule's own.
    """
    tags: dict[str, str] = {}
    lines = block.splitlines()
    ends = _mol_ends(lines)
    end = ends[0] if ends else len(lines)
    if len(ends) > 1:
        lines = lines[: ends[1]]
    i = end + 1
    while i < len(lines):
        ln = lines[i]
        if ln.startswith(">"):
            name = _sdf_tag_name(ln)
            values: list[str] = []
            i += 1
            while i < len(lines) and lines[i].strip():
                values.append(lines[i])
                i += 1
            tags[name] = "\n".join(values)
        i += 1
    return tags


#: A line that may name an SD data field (``>  <TAG>``); :func:`_sdf_tags` decides which are.
_SDF_TAG_LINE = re.compile(r"^>(.*)$", re.MULTILINE)


def _sdf_tag_name(line: str) -> str:
    """The field name of a ``>`` data header line: from the first ``<`` to the last ``>``, as
    RDKit reads it (``>  <pIC50>6>`` names ``pIC50>6``), else the rest of the line."""
    lt = line.find("<")
    gt = line.rfind(">")
    return line[lt + 1 : gt] if 0 <= lt < gt else line[1:].strip()


def _sdf_file_tag_names(path: str) -> list[str]:
    """Every SD data field name of the file at ``path``, in order of first appearance.

    One pass over the text, without RDKit. A record whose ``>`` lines name only known fields
    (nearly every record of a file: the same tags over and over) is not parsed further; any
    other goes through :func:`_sdf_tags`, so the names are exactly those the reader will find.
    """
    binary, head = _open_bytes(path)
    names: dict[str, None] = {}
    with io.TextIOWrapper(binary, encoding=_text_encoding(head, path), errors="replace", newline="") as fh:
        for block in _sdf_records(fh):
            if all(_sdf_tag_name(">" + rest.rstrip("\r")) in names for rest in _SDF_TAG_LINE.findall(block)):
                continue
            for t in _sdf_tags(block):
                names.setdefault(t, None)
    return list(names)


def _open_sdf(path: str, fh: IO[str], smiles_column: str | None, id_column: str | None, chunksize: int) -> TableReader:
    """SDF: collect the tag names (a file: all of them, in a first pass; standard input: those
    of the first records), then stream."""
    from rdkit import Chem, rdBase

    from drugscreen.featurizers.molecule import _clean_log

    records = _sdf_records(fh)
    head: list[str] = []
    tag_names: list[str] = []
    if path == "-":  # read once: the tags of the first records
        for block in records:
            head.append(block)
            if len(head) >= min(chunksize, 1000):
                break
        for block in head:
            for t in _sdf_tags(block):
                if t not in tag_names:
                    tag_names.append(t)
    else:
        tag_names = _sdf_file_tag_names(path)
    smiles_name = "smiles" if not any(t.lower() == "smiles" for t in tag_names) else "structure_smiles"
    columns = ["_Name", smiles_name, *tag_names]
    scol = smiles_column if smiles_column else smiles_name
    if scol not in columns:
        scol = _find_column(columns, smiles_column, SMILES_COLUMN_NAMES, "smiles", required=True) or smiles_name
    icol = _find_column(columns, id_column, ID_COLUMN_NAMES, "id", required=False)
    if id_column is None:
        icol = "_Name"

    late_tags: set[str] = set()  # tags first seen after the scanned records, warned about once

    def parse(block: str, index: int) -> dict[str, str]:
        name = block.split("\n", 1)[0].rstrip("\r")
        row = {"_Name": name, smiles_name: "", ERROR_COLUMN: ""}
        tags = _sdf_tags(block)
        for t, v in tags.items():
            if t not in tag_names:
                if t not in late_tags:
                    late_tags.add(t)
                    logger.warning(
                        "SDF record %d: tag %r first seen after the first %d records; not in the output "
                        "(columns are fixed from the first records of standard input; give the file "
                        "by name to get every tag)", index + 1, t, len(head),
                    )  # fmt: skip
                continue
            row[t] = v
        if len(_mol_ends(block.splitlines())) > 1:
            row[ERROR_COLUMN] = f"SDF record {index + 1}: holds more than one molecule block (a missing $$$$ line?)"
            return row
        with rdBase.CaptureErrorLog() as log:
            try:
                mol = Chem.MolFromMolBlock(block, sanitize=True, removeHs=True)
            except Exception as exc:  # RDKit raises on some malformed blocks
                mol = None
                log_text = _clean_log(str(exc)) or type(exc).__name__
            else:
                log_text = ""
        if mol is None:
            reason = _clean_log(log.messages) or log_text or "RDKit could not read the record"
            row[ERROR_COLUMN] = f"SDF record {index + 1}: {reason}"
        elif mol.GetNumAtoms() == 0:
            row[ERROR_COLUMN] = f"SDF record {index + 1}: no atoms"
        else:
            smiles = Chem.MolToSmiles(mol)
            if "~" in smiles:  # bond types 5-8 ("single or double", "any", ...) are queries
                row[ERROR_COLUMN] = (f"SDF record {index + 1}: a query bond (molfile bond type 5-8, "
                                     f"written {smiles}) is not a defined structure")
            else:
                row[smiles_name] = smiles
        return row

    import pandas as pd

    def chunks() -> Iterator[pd.DataFrame]:
        index = 0
        buf: list[dict[str, str]] = []

        def flush() -> pd.DataFrame:
            df = pd.DataFrame(buf, columns=[*columns, ERROR_COLUMN], dtype=object)
            df = df.fillna("")
            df.index = pd.RangeIndex(index - len(buf), index)
            return df

        for stream in (iter(head), records):
            for block in stream:
                buf.append(parse(block, index))
                index += 1
                if len(buf) >= chunksize:
                    yield flush()
                    buf = []
        if buf:
            yield flush()

    reader = TableReader(path, "sdf", False, columns, scol, icol, chunksize)
    reader._chunks = chunks()
    reader._close = fh.close
    return reader


def _open_parquet(
    path: str, gz: bool, smiles_column: str | None, id_column: str | None, chunksize: int, data: bytes | None = None
) -> TableReader:
    """Parquet, streamed in row-group batches; ``data``: the file's bytes, already read (stdin)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if data is not None:
            source: Any = pa.BufferReader(data)
        elif path == "-":
            source = pa.BufferReader(sys.stdin.buffer.read())
        elif gz:
            with gzip.open(path, "rb") as g:
                source = pa.BufferReader(g.read())
        else:
            source = path
        pf = pq.ParquetFile(source)
    except FileNotFoundError as exc:
        raise InputFormatError(f"input file not found: {path}") from exc
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputFormatError(f"cannot read {path} as Parquet: {exc}") from exc
    columns = list(pf.schema_arrow.names)
    scol = _find_column(columns, smiles_column, SMILES_COLUMN_NAMES, "smiles", required=True)
    icol = _find_column(columns, id_column, ID_COLUMN_NAMES, "id", required=False)

    def chunks() -> Iterator[pd.DataFrame]:
        import pandas as pd

        start = 0
        for batch in pf.iter_batches(batch_size=chunksize):
            df = batch.to_pandas()
            df.index = pd.RangeIndex(start, start + len(df))
            start += len(df)
            yield df

    reader = TableReader(path, "parquet", gz, columns, scol or "smiles", icol, chunksize)
    reader._chunks = chunks()
    reader._close = pf.close if hasattr(pf, "close") else None
    return reader


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------


#: Text that Parquet output may store as a whole number (:class:`TextColumnTypes`): an optional
#: sign and at most 18 digits (int64 holds them all), without a leading zero (``007`` is an
#: identifier: stored as 7 it would lose its zeros).
_INT_TEXT = r"^[+-]?(?:0|[1-9][0-9]{0,17})$"
#: Text that may be stored as a float64: a decimal number without a leading zero before its
#: digits (``0.5``, ``.5``, ``-1.25e-3``; not ``00.5``), with an exponent of at most two digits
#: (no overflow or underflow), and at most :data:`_FLOAT_DIGITS` significant digits.
_NUMBER_TEXT = r"^[+-]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,2})?$"
#: float64 gives back any decimal of up to 15 significant digits exactly (``%.15g``), so no
#: digit of such a value is lost; longer ones stay text.
_FLOAT_DIGITS = 15
_ARROW_NUMBER_TYPES = ("int64", "float64")


def _text_number_flags(values: Any) -> tuple[bool, bool, bool]:
    """``(any non-empty, every non-empty cell an int, every non-empty cell a float)`` of one
    Arrow column of text (nulls, empty and white-space-only cells count as empty); a column of
    nulls only has no non-empty cell. ``TypeError`` for a column that is not text (numbers,
    booleans)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_null(values.type):
        return False, True, True
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        raise TypeError(f"not a text column: {values.type}")
    text = pc.fill_null(pc.utf8_trim_whitespace(values), "")
    cells = pc.filter(text, pc.not_equal(text, ""))
    if len(cells) == 0:
        return False, True, True
    is_int = bool(pc.all(pc.match_substring_regex(cells, _INT_TEXT)).as_py())
    if not pc.all(pc.match_substring_regex(cells, _NUMBER_TEXT)).as_py():
        return True, False, False
    digits = pc.replace_substring_regex(cells, r"[eE].*$", "")  # the mantissa's significant digits
    digits = pc.replace_substring_regex(digits, r"[+.-]", "")
    digits = pc.replace_substring_regex(digits, r"^0+|0+$", "")
    return True, is_int, int(pc.max(pc.utf8_length(digits)).as_py() or 0) <= _FLOAT_DIGITS


class TextColumnTypes:
    """Which text columns of a table, seen chunk by chunk, hold nothing but numbers.

    Feed every chunk of the table to :meth:`update`, then :meth:`types` gives the type each
    such column gets in Parquet output (:func:`type_text_columns`, ``TableWriter(...,
    column_types=...)``): ``"int64"`` when every non-empty cell is a whole number without a
    leading zero, ``"float64"`` when every one is a decimal number of at most 15 significant
    digits, else nothing (the column stays text). One ``"007"``, ``">10"`` or ``"n/a"`` anywhere,
    in any chunk, keeps its column text, so no cell loses a character that means something; a
    column without a non-empty cell stays text too. Columns of other types (a Parquet input's
    numbers) are left as they are.

    Parameters
    ----------
    columns
        The columns to consider (e.g. an input's pass-through columns, not its identifiers).

    Examples
    --------
    >>> import pandas as pd
    >>> t = TextColumnTypes(["mw", "id", "ic50"])
    >>> t.update(pd.DataFrame({"mw": ["46.07", ""], "id": ["007", "8"], "ic50": ["12", "3"]}))
    >>> t.update(pd.DataFrame({"mw": ["94.1", "60"], "id": ["9", "10"], "ic50": ["4", ">100"]}))
    >>> t.types()
    {'mw': 'float64'}
    """

    def __init__(self, columns: list[str] | tuple[str, ...]) -> None:
        # per column: [any non-empty, all int, all float, still text]
        self._flags: dict[str, list[bool]] = {str(c): [False, True, True, True] for c in columns}

    def update(self, chunk: Any) -> None:
        """Take one chunk (a pandas DataFrame or an Arrow table holding the columns)."""
        import pyarrow as pa

        table = chunk if isinstance(chunk, pa.Table) else pa.Table.from_pandas(chunk, preserve_index=False)
        for name, flags in self._flags.items():
            if not flags[3] or name not in table.column_names:
                continue
            try:
                seen, is_int, is_float = _text_number_flags(table.column(name))
            except TypeError:  # numbers or booleans already: not text, left alone
                flags[3] = False
                continue
            flags[0] |= seen
            flags[1] &= is_int
            flags[2] &= is_float

    def types(self) -> dict[str, str]:
        """``{column: "int64" | "float64"}`` for the columns that hold only numbers so far."""
        out: dict[str, str] = {}
        for name, (seen, is_int, is_float, text) in self._flags.items():
            if text and seen and (is_int or is_float):
                out[name] = "int64" if is_int else "float64"
        return out


def type_text_columns(table: Any, column_types: dict[str, str]) -> Any:
    """``table`` (an Arrow table) with its text columns named in ``column_types`` stored as those
    numbers (empty cells become nulls); other columns unchanged.

    Raises
    ------
    InputFormatError
        A cell of such a column is not a number of that type: the types were not decided
        over the whole table (:class:`TextColumnTypes`). Nothing is converted then, so no
        text is lost.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    for name, kind in column_types.items():
        if name not in table.column_names:
            continue
        if kind not in _ARROW_NUMBER_TYPES:
            raise InputFormatError(f"column {name!r}: type {kind!r} is not one of {', '.join(_ARROW_NUMBER_TYPES)}")
        target = pa.int64() if kind == "int64" else pa.float64()
        values = table.column(name)
        if values.type == target:
            continue
        try:
            _, is_int, is_float = _text_number_flags(values)
        except TypeError:
            raise InputFormatError(f"column {name!r} holds {values.type}, not text to store as {kind}") from None
        if not (is_int if kind == "int64" else is_float):
            raise InputFormatError(
                f"column {name!r} holds text that is not a plain {'whole ' if kind == 'int64' else ''}number, so it "
                f"cannot be stored as {kind}; its type must be decided over the whole table (TextColumnTypes)"
            )
        if pa.types.is_null(values.type):
            converted: Any = pa.nulls(len(values), target)
        else:
            text = pc.replace_substring_regex(pc.utf8_trim_whitespace(values), r"^\+", "")
            text = pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text)
            converted = pc.cast(text, target)
        table = table.set_column(table.column_names.index(name), pa.field(name, target), converted)
    return table


class TableWriter:
    """Write a table chunk by chunk to a temporary file, then move it into place.

    Parameters
    ----------
    path
        The output file (format from its suffix) or ``"-"`` for CSV on standard output.
    input_path
        The input file; writing over it is refused.
    smiles_column
        For SDF output: the column whose SMILES become the structures.
    overwrite
        Allow replacing an existing output file (the default; the input is always refused).
    column_types
        Parquet output only: text columns to store as numbers, ``{column: "int64" |
        "float64"}``, as :class:`TextColumnTypes` decided them over every chunk of the table
        (:func:`type_text_columns`). CSV, TSV and SDF output write text as it is.

    Use as a context manager: leaving the block normally commits (atomic rename), leaving it
    with an exception aborts (the temporary file is removed and the target left untouched).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        input_path: str | Path | None = None,
        smiles_column: str = "smiles_std",
        overwrite: bool = True,
        column_types: dict[str, str] | None = None,
    ) -> None:
        self.path = str(path)
        self.format, self.gz = detect_format(self.path, output=True)
        self.smiles_column = smiles_column
        self.column_types = dict(column_types or {})
        self.rows = 0
        self._tmp: str | None = None
        self._fh: Any = None
        self._pq: Any = None
        self._schema: Any = None
        self._columns: list[str] | None = None
        if self.path != "-":
            target = Path(self.path)
            if input_path is not None and same_file(input_path, target):
                raise InputFormatError(f"refusing to write the output over the input file {target}")
            if target.is_dir():
                raise InputFormatError(f"output {target} is a directory")
            if not target.parent.exists():
                raise InputFormatError(f"output folder {target.parent} does not exist")
            if target.exists() and not overwrite:
                raise InputFormatError(f"output {target} exists (use --force to replace it)")

    # -- lifecycle ---------------------------------------------------------------------------
    def _open(self) -> None:
        if self.path == "-":
            self._fh = sys.stdout
            return
        target = Path(self.path)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        self._tmp = tmp
        if self.format == "parquet":
            return  # opened lazily with the first chunk's schema
        raw: Any = gzip.open(tmp, "wt", encoding="utf-8", newline="") if self.gz else open(tmp, "w", encoding="utf-8", newline="")
        self._fh = raw

    def write(self, df: pd.DataFrame) -> None:
        """Append one chunk (columns must be the same for every chunk)."""
        if self._tmp is None and self._fh is None:
            self._open()
        if self._columns is None:
            self._columns = list(df.columns)
        elif list(df.columns) != self._columns:
            raise InputFormatError("internal error: chunks with different columns")
        if self.format in CSV_SEPARATORS:
            sep = CSV_SEPARATORS[self.format]
            safe = escape_csv_injection(df)
            safe.to_csv(self._fh, sep=sep, index=False, header=self.rows == 0, lineterminator="\n")
        elif self.format == "parquet":
            self._write_parquet(df)
        elif self.format == "sdf":
            self._write_sdf(df)
        self.rows += len(df)

    def write_rendered(self, columns: list[str], text: str, rows: int) -> None:
        """Append ``rows`` rows already rendered as CSV/TSV text for this writer's format
        (:func:`render_csv_rows` + :func:`fill_csv_slots`) under ``columns``."""
        import pandas as pd

        if self.format not in CSV_SEPARATORS:
            raise InputFormatError(f"internal error: rendered CSV text for a {self.format} output")
        if self._tmp is None and self._fh is None:
            self._open()
        if self._columns is None:
            self._columns = list(columns)
        elif list(columns) != self._columns:
            raise InputFormatError("internal error: chunks with different columns")
        if self.rows == 0:
            header = pd.DataFrame(columns=columns).to_csv(sep=CSV_SEPARATORS[self.format], index=False, lineterminator="\n")
            self._fh.write(header)
        self._fh.write(text)
        self.rows += rows

    @property
    def csv_separator(self) -> str | None:
        """The field separator when this writer writes CSV/TSV text, else ``None``."""
        return CSV_SEPARATORS.get(self.format)

    def _write_parquet(self, df: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(df, preserve_index=False)
        if self.column_types:
            table = type_text_columns(table, self.column_types)
        if self._pq is None:
            # all-null columns in the first chunk would fix a null type; use string/float instead
            fields = []
            for f in table.schema:
                if pa.types.is_null(f.type):
                    f = f.with_type(pa.string())
                fields.append(f)
            self._schema = pa.schema(fields)
            self._pq = pq.ParquetWriter(self._tmp, self._schema)
        table = table.cast(self._schema, safe=False) if table.schema != self._schema else table
        self._pq.write_table(table)

    def _write_sdf(self, df: pd.DataFrame) -> None:
        import math

        from rdkit import Chem, rdBase

        fh = self._fh
        with rdBase.BlockLogs():
            for row in df.itertuples(index=False, name=None):
                rec = dict(zip(df.columns, row, strict=True))
                smi = rec.get(self.smiles_column) or ""
                mol = Chem.MolFromSmiles(smi) if isinstance(smi, str) and smi else None
                if mol is None:
                    mol = Chem.RWMol()
                name = "" if rec.get("id") is None else str(rec.get("id"))
                name = name.replace("\r", " ").replace("\n", " ")  # the title is one line
                if name.startswith("$$$$"):
                    name = " " + name  # a title line starting with $$$$ would end the record
                mol.SetProp("_Name", name)
                block = Chem.MolToMolBlock(mol)
                fh.write(block)
                for key, value in rec.items():
                    if key in ("_Name",):
                        continue
                    if value is None or (isinstance(value, float) and math.isnan(value)):
                        text = ""
                    else:
                        text = str(value).replace("\r", " ").replace("\n", " ")
                    if text.startswith("$$$$"):
                        text = " " + text  # a line starting with $$$$ would end the record
                    fh.write(f">  <{key}>\n{text}\n\n")
                fh.write("$$$$\n")

    def commit(self) -> None:
        """Finish the file and move it into place (atomic on one file system)."""
        if self._tmp is None and self._fh is None:
            self._open()
            if self.format == "parquet" and self._columns is None:
                raise InputFormatError("nothing to write: the input held no rows")
        if self.path == "-":
            sys.stdout.flush()
            return
        if self._pq is not None:
            self._pq.close()
        if self._fh is not None:
            self._fh.flush()
            with contextlib.suppress(OSError, AttributeError, ValueError):
                os.fsync(self._fh.fileno())
            self._fh.close()
        assert self._tmp is not None
        # mkstemp makes 0600 files; give the output the usual permissions
        with contextlib.suppress(OSError):
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self._tmp, 0o666 & ~umask)
        os.replace(self._tmp, self.path)
        self._tmp = None

    def abort(self) -> None:
        """Drop the temporary file; the target is left as it was."""
        with contextlib.suppress(Exception):
            if self._pq is not None:
                self._pq.close()
        with contextlib.suppress(Exception):
            if self._fh is not None and self._fh is not sys.stdout:
                self._fh.close()
        if self._tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._tmp)
            self._tmp = None

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


def open_output(
    path: str | Path,
    *,
    input_path: str | Path | None = None,
    smiles_column: str = "smiles_std",
    column_types: dict[str, str] | None = None,
) -> TableWriter:
    """A :class:`TableWriter` for ``path`` (see its docstring)."""
    return TableWriter(path, input_path=input_path, smiles_column=smiles_column, column_types=column_types)


def read_table(path: str | Path, **kwargs: Any) -> pd.DataFrame:
    """Read a whole table into one DataFrame (small files; the CLI streams instead)."""
    import pandas as pd

    reader = open_input(path, **kwargs)
    parts = list(reader)
    if not parts:
        return pd.DataFrame({c: [] for c in reader.columns})
    return pd.concat(parts)
