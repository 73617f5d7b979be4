"""Opening a molecule table of any input format for streamed reading (:func:`open_input`):
``.smi``, delimited text, Parquet and standard input; SDF in :mod:`drugscreen.io.sdf`."""

from __future__ import annotations

import csv
import gzip
import io
import logging
import re
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from drugscreen.exceptions import InputFormatError
from drugscreen.io.formats import (
    _DELIMITERS,
    _HEADER_WORDS,
    ID_COLUMN_NAMES,
    SMILES_COLUMN_NAMES,
    detect_format,
    display_name,
    read_once,
)
from drugscreen.io.sdf import _is_sdf_separator, _open_sdf
from drugscreen.io.streams import (
    _PARQUET_MAGIC,
    _not_utf8,
    _open_bytes,
    _peek_lines,
    _Peeked,
    damaged_gzip,
    text_encoding,
)
from drugscreen.io.tables import TableReader, _check_unique, _frame, _name_unnamed, find_column

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)


#: Lines of standard input looked at to guess its format (a molfile's counts line is the 4th).
_SNIFF_LINES = 5
#: A molfile counts line: atom and bond counts, ..., the format version.
_COUNTS_LINE = re.compile(r"^\s*\d+\s*\d+.*V[23]000\s*$")
#: Excel's first line naming a CSV's delimiter (``sep=;``; written by Excel in locales whose
#: list separator is ';', and read by it): not the header, and not a row.
_EXCEL_SEP_LINE = re.compile(r"^\ufeff?sep=([^\r\n])[ ]*\r?\n?$", re.IGNORECASE)


def _looks_like_header(first_token: str) -> bool:
    """A ``.smi`` first line is a header when its first token is a column-like word, not SMILES."""
    from drugscreen.featurizers.molecule import parse_smiles

    word = first_token.strip().lower()
    if word in _HEADER_WORDS:
        mol, _ = parse_smiles(first_token)
        # 'smi', 'id', 'mol' etc. never parse; 'C' would, but is no header word.
        return mol is None or word in SMILES_COLUMN_NAMES
    return False


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
        encoding = text_encoding(head, spath, windows_1252=True)
        fh: IO[str] = io.TextIOWrapper(binary, encoding=encoding, errors="replace", newline="")
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
            reader = _open_sdf(spath, fh, smiles_column, id_column, chunksize)
        else:
            first_lines = _peek_lines(fh)
            if fmt == "smi":
                reader = _open_smi(spath, fh, first_lines, smiles_column, id_column, chunksize, header)
            else:
                reader = _open_delimited(spath, fmt, gz, fh, first_lines, smiles_column, id_column, chunksize)
    except BaseException:
        fh.close()
        raise
    # bytes that do not decode read as U+FFFD: the sniffed start said so already when it held
    # some (text_encoding's warning); further on, the first cell holding one is named
    if not (encoding.startswith("utf-8") and _not_utf8(head) is not None):
        reader.watch_encoding = encoding
    return reader


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
    nonblank = [ln for ln in lines if ln.strip()]
    sep = _EXCEL_SEP_LINE.match(nonblank[0]) if nonblank else None
    if sep is not None:  # Excel's "sep=;": the header follows, with that delimiter
        return "tsv" if sep.group(1) == "\t" else "csv"
    first = _first_nonblank(lines).rstrip("\r\n")
    names = {smiles_column.strip().lower()} if smiles_column else set(SMILES_COLUMN_NAMES)
    if any(d in first for d in _DELIMITERS):
        delim = _sniff_delimiter(first, ",")
        cells = [c.strip().strip('"').lower() for c in first.split(delim)]
        if any(c in names for c in cells):
            return "csv" if delim != "\t" else "tsv"
    return "smi"


#: A CXSMILES at the start of a ``.smi`` line: the SMILES, white space, then its extension
#: ``|...|`` (enhanced stereo ``|&1:1|``, atom labels ``|$;;$|``), which belongs to the SMILES,
#: not to the name after it.
_CX_SMILES = re.compile(r"\s*(\S+[ \t]+\|[^|\r\n]*\|)(?=\s|$)")


def _smi_skipped(line: str) -> bool:
    """A ``.smi`` line that is no record: blank, or a ``#`` comment (no SMILES starts with ``#``)."""
    text = line.strip()
    return not text or text.startswith("#")


#: Field separators of a delimited table that no SMILES holds: a ``.smi`` record whose first
#: word holds one (``CCO,ethanol``) was written as a CSV row, not as ``SMILES name``.
_TABLE_SEPARATORS = (",", ";", "|")
#: Lines of standard input (or a pipe) read ahead, when the first have no name, to decide
#: whether the names are the ids (a file given by name is scanned to its first name instead).
_SMI_NAME_LOOKAHEAD = 10_000
#: A CXSMILES extension written onto its SMILES without the white space (``C|&1:1|``).
_CX_TAIL = re.compile(r"\|[^|]*\|$")


def _delimited_record(line: str) -> str | None:
    """The separator (``,``, ``;`` or ``|``) a ``.smi`` record was written with when it is a row
    of a delimited table, else ``None``.

    Such a record's first white-space-separated word holds the separator (no SMILES does; a
    CXSMILES extension ``|...|`` is a word of its own, after white space, and one written onto
    its SMILES is not taken for a separator), the text before the first separator parses as a
    SMILES and the whole word does not: ``CCO,ethanol``. Read as ``SMILES name``, every such
    record would be an invalid molecule.
    """
    from drugscreen.featurizers.molecule import parse_smiles

    words = line.split()
    if not words:
        return None
    word = words[0]
    found = [(word.find(d), d) for d in _TABLE_SEPARATORS if d in word]
    if not found:
        return None
    pos, delim = min(found)
    if pos == 0 or (delim == "|" and _CX_TAIL.match(word[pos:])):
        return None
    if parse_smiles(word[:pos])[0] is None or parse_smiles(word)[0] is not None:
        return None
    return delim


def _delimited_refusal(path: str, line: str, delim: str) -> InputFormatError:
    """The error refusing a ``.smi`` input (or standard input read as SMILES lines) whose first
    record is a delimited-table row (:func:`_delimited_record`)."""
    word = line.split()[0]
    kind = {",": "comma", ";": "semicolon"}.get(delim, repr(delim)) + "-separated"
    header = f"smiles{delim}name"
    if path == "-":
        fix = (f"start it with a header line such as `{header}` (standard input is read as a delimited "
               "table when its first line names the SMILES column)")
    else:
        suffix = ".csv.gz" if path.lower().endswith(".gz") else ".csv"
        fix = f"name it {suffix} and start it with a header line such as `{header}`"
    return InputFormatError(
        f"{display_name(path)}: the first record {line.strip()[:80]!r} looks {kind} "
        f"({word[: word.find(delim)]!r} is a SMILES, {word[:80]!r} is not), but SMILES lines are split "
        f"at white space, so every row would be an invalid SMILES; {fix}"
    )


def _smi_has_name(line: str) -> bool:
    """Whether a header-less ``.smi`` record (``SMILES [name]``) has a name, split as the reader
    splits it (a CXSMILES extension belongs to the SMILES, not to the name)."""
    cx = _CX_SMILES.match(line)
    rest = line[cx.end() :] if cx is not None else "".join(line.split(None, 1)[1:])
    return bool(rest.strip())


def _smi_names_given(path: str, fh: IO[str], pending: list[str]) -> bool:
    """Whether any record of a header-less ``.smi`` input has a name (then the names are the ids,
    and a record without one gets ``row N``; else the bare row numbers are).

    The lines read so far (``pending``) are looked at first. A file given by name is then read
    in a quick text pass up to its first named record (a bare SMILES list: to its end). Standard
    input or a pipe, which cannot be read twice, is read ahead by up to
    :data:`_SMI_NAME_LOOKAHEAD` lines, appended to ``pending`` (still to be read as rows); a
    name further on is warned about by the reader.
    """
    if any(not _smi_skipped(ln) and _smi_has_name(ln.rstrip("\r\n")) for ln in pending):
        return True
    if read_once(path):
        for _ in range(_SMI_NAME_LOOKAHEAD):
            line = fh.readline()
            if not line:
                break
            pending.append(line)
            if not _smi_skipped(line) and _smi_has_name(line.rstrip("\r\n")):
                return True
        return False
    encoding = getattr(fh, "encoding", None) or "utf-8-sig"
    try:
        binary, _ = _open_bytes(path)
        with io.TextIOWrapper(binary, encoding=encoding, errors="replace", newline="") as text:
            return any(not _smi_skipped(ln) and _smi_has_name(ln.rstrip("\r\n")) for ln in text)
    except (InputFormatError, OSError, EOFError, zlib.error):
        # a file damaged further on: its rows are read (and the damage reported) as before
        return False


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
    with tabs they are split at tabs, so a name with spaces stays one field. A line without a
    name has an empty name, as an empty id cell of any other input: its id in a screen is
    :func:`~drugscreen.io.tables.fallback_id` (``row 3``), which no other row's name can be
    mistaken for (the row number itself, ``3``, was filled in, the name of another row). The
    names are the ids when any record has one, whichever records lack one (the first
    included); a file whose records have none keeps the bare row numbers as ids
    (:func:`_smi_names_given`).

    A CSV file saved as ``.smi``: when the first record line's first token holds a comma
    (which no SMILES does) and a comma-separated cell of it names a SMILES column (``smiles``,
    ``canonical_smiles``, ``smi``, the ``smiles_column`` asked for, or any name containing
    "smiles"), the file is read as CSV, with a warning to name it ``.csv``. Read as ``.smi``,
    every row of such a file, the header included, would be an invalid SMILES, so nothing a
    ``.smi`` reading could give is lost. ``header=False`` turns this off. A first record that is
    a delimited-table row without such a header (``CCO,ethanol``: :func:`_delimited_record`)
    is refused, naming the fix, before any row is read: as ``.smi`` every row of it would be
    an invalid SMILES.

    Raises
    ------
    InputFormatError
        A delimited-table row as the first record, or a header naming a column twice.
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
                display_name(path), first.strip()[:80],
            )  # fmt: skip
            return _open_delimited(path, "csv", False, fh, lead, smiles_column, id_column, chunksize, header_at=len(lead) - 1)
    named = bool(tokens) and smiles_column is not None and tokens[0].lower() == smiles_column.strip().lower()
    is_header = header if header is not None else bool(tokens) and (named or _looks_like_header(tokens[0]))
    # a tab-separated header: the rows are split at tabs too, so a name with spaces stays whole
    sep = "\t" if is_header and "\t" in first.strip() else None
    if is_header:
        columns = _name_unnamed([c.strip() for c in first.strip().split("\t")] if sep else list(tokens)) or ["smiles"]
        pending: list[str] = []  # lines up to the header (blank, comments, the header) are not rows
        comments_before = sum(1 for ln in lead if ln.strip().startswith("#"))
    else:
        columns = ["smiles", "name"]
        pending = list(lead)
        comments_before = 0
    _check_unique(columns, path)
    scol = find_column(columns, smiles_column, SMILES_COLUMN_NAMES, "smiles", required=is_header)
    if scol is None:
        scol = "smiles"
    # a CSV row saved as .smi ("CCO,ethanol"): every row would be invalid; refused before any is read
    record = first
    if is_header:  # the first record after the header line
        while True:
            line = fh.readline()
            if not line:
                record = ""
                break
            pending.append(line)
            if not _smi_skipped(line):
                record = line
                break
    delim = _delimited_record(record) if record else None
    if delim is not None:
        raise _delimited_refusal(path, record, delim)
    icol = find_column(columns, id_column, ID_COLUMN_NAMES, "id", required=False)
    # names past the records read ahead of standard input: warned about (they cannot be ids)
    late_names = False
    if not is_header and id_column is None and not _smi_names_given(path, fh, pending):
        icol = None  # a bare list of SMILES: the row number is the id
        late_names = read_once(path)
    ncols = len(columns)

    def rows() -> Iterator[pd.DataFrame]:
        nonlocal late_names
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
            if late_names and parts[-1]:
                late_names = False
                logger.warning(
                    "%s, row %d: a name (%r), where the first %d lines had none; the ids stay the row "
                    "numbers (give the file by name to take the ids from the names)",
                    display_name(path), start + len(buf), parts[-1][:80], _SMI_NAME_LOOKAHEAD,
                )  # fmt: skip
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
                display_name(path), skipped_comment, skipped_blank,
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


def _blank_record(lines: list[str], delim: str) -> bool:
    """Whether a CSV/TSV record (its raw ``lines``) is a wholly blank line: nothing but white
    space, and no delimiter (a tab is the delimiter of a TSV, not white space). Such a line is
    no row, wherever it is in the file, as pandas ``read_csv`` and the ``.smi`` reader treat
    it; a line of delimiters only (``,,``) is a row whose cells are all empty."""
    return not "".join(lines).replace(delim, "x").strip()


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
    name = display_name(path)
    if header_at is None:
        header_at = next((i for i, ln in enumerate(first_lines) if ln.strip()), len(first_lines))
    sep = _EXCEL_SEP_LINE.match(first_lines[header_at]) if header_at < len(first_lines) else None
    if sep is not None:  # Excel's "sep=;" line: the delimiter, then the header on the next line
        logger.debug("%s: line %d names the delimiter (%r)", name, header_at + 1, sep.group(1))
        first_lines = [*first_lines[: header_at + 1], *_peek_lines(fh)]
        header_at = next((i for i in range(header_at + 1, len(first_lines)) if first_lines[i].strip()), len(first_lines))
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
    delim = sep.group(1) if sep is not None else _sniff_delimiter(header_line.rstrip("\r\n"), "\t" if fmt == "tsv" else ",")
    columns = next(csv.reader([header_line.rstrip("\r\n")], delimiter=delim))
    header_cells = [c.strip().lower() for c in columns]
    columns = _name_unnamed([c.strip() for c in columns])
    _check_unique(columns, path)
    scol = find_column(
        columns, smiles_column, SMILES_COLUMN_NAMES, "smiles", required=True, delimiter=delim
    )
    icol = find_column(columns, id_column, ID_COLUMN_NAMES, "id", required=False)
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
        blank_lines = 0
        repeats: list[int] = []  # lines repeating the header
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
            if _blank_record(record, delim):
                blank_lines += 1
                continue
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
            if [c.strip().lstrip("\ufeff").lower() for c in row] == header_cells:  # a BOM: an Excel CSV
                # files joined with cat: the row is an invalid molecule, whose error says only
                # "syntax error while parsing: smiles"; the chunks keep their columns (no read
                # error column here: the Ray engine stages them under one schema)
                if not repeats:
                    logger.warning(
                        "%s, line %d repeats the header line (files joined with cat?); that row (%d) "
                        "is flagged as an invalid SMILES", name, line_no, start + len(buf) - 1,
                    )  # fmt: skip
                repeats.append(line_no)
            if len(buf) >= chunksize:
                yield _frame(buf, columns, start)
                start += len(buf)
                buf = []
        if buf:
            yield _frame(buf, columns, start)
        if len(repeats) > 1:
            logger.warning("%s: %d lines repeat the header line (%s)", name, len(repeats), ", ".join(map(str, repeats[:10])))
        if blank_lines:
            logger.info("%s: %d blank line(s) skipped (not rows; rows are numbered by record)", name, blank_lines)

    reader = TableReader(path, fmt, gz, columns, scol, icol, chunksize)
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
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:  # was a traceback (EOFError, zlib.error)
        raise InputFormatError(damaged_gzip(display_name(path), exc)) from exc
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputFormatError(f"cannot read {path} as Parquet: {exc}") from exc
    columns = list(pf.schema_arrow.names)
    scol = find_column(columns, smiles_column, SMILES_COLUMN_NAMES, "smiles", required=True)
    icol = find_column(columns, id_column, ID_COLUMN_NAMES, "id", required=False)

    def chunks() -> Iterator[pd.DataFrame]:
        import pandas as pd

        start = 0
        batches = pf.iter_batches(batch_size=chunksize)
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                break
            except (pa.ArrowException, OSError) as exc:  # a damaged row group: was "cannot write OUTPUT"
                raise InputFormatError(f"cannot read {path}: {' '.join(str(exc).split())} (after row {start:,})") from exc
            df = batch.to_pandas()
            df.index = pd.RangeIndex(start, start + len(df))
            start += len(df)
            yield df

    reader = TableReader(path, "parquet", gz, columns, scol or "smiles", icol, chunksize)
    reader._chunks = chunks()
    reader._close = pf.close if hasattr(pf, "close") else None
    return reader


def read_table(path: str | Path, **kwargs: Any) -> pd.DataFrame:
    """Read a whole table into one DataFrame (small files; the CLI streams instead)."""
    import pandas as pd

    reader = open_input(path, **kwargs)
    parts = list(reader)
    if not parts:
        return pd.DataFrame({c: [] for c in reader.columns})
    return pd.concat(parts)
