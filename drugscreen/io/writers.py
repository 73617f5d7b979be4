"""Writing scored tables (:class:`TableWriter`): CSV, TSV, Parquet and SDF, chunk by chunk to a
temporary file renamed into place on commit; column types for Parquet output."""

from __future__ import annotations

import contextlib
import gzip
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drugscreen.exceptions import InputFormatError
from drugscreen.io.cells import CSV_SEPARATORS, escape_csv_injection
from drugscreen.io.formats import detect_format, same_file

if TYPE_CHECKING:
    import pandas as pd



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


#: The longest file name most file systems allow (bytes): a hidden file beside the output
#: (``.<name>.partial``, ``.<name>.<random>.tmp``) must fit in it too.
_NAME_MAX = 255
#: Linux ``FS_IOC_GETFLAGS`` and its immutable / append-only flags (``chattr +i`` / ``+a``).
_FS_IOC_GETFLAGS = 0x80086601
_FS_IMMUTABLE_FL = 0x10
_FS_APPEND_FL = 0x20


def written_path(path: str | Path) -> str:
    """The file that writing ``path`` replaces: ``path`` itself, or, when it is a symbolic link
    (``latest.csv -> runs/12/scored.csv``), the file it points to, followed to the end (it may
    not exist yet), so that the link stays a link, as the shell's ``>`` keeps it. The finished
    output is renamed over that file, beside which its temporary file is made."""
    raw = os.fspath(path)
    return os.path.realpath(raw) if os.path.islink(raw) else raw


def hidden_sibling_name(name: str, tag: str, room: int = 0) -> str:
    """``.<name><tag>``: the name of a hidden file or folder kept beside the file ``name`` (a
    work folder, a temporary file), shortened when it would not fit the file system's name
    limit with ``room`` more characters (``mkstemp``'s random part): the name's start, then
    ``~`` and 8 hex digits of its hash, so one name always gets the same sibling."""
    import hashlib

    full = f".{name}{tag}"
    limit = _NAME_MAX - room
    if len(full.encode("utf-8")) <= limit:
        return full
    digest = "~" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    keep = name
    while len(f".{keep}{digest}{tag}".encode()) > limit and keep:
        keep = keep[:-1]
    return f".{keep}{digest}{tag}"


def unwritable_reason(path: str | Path) -> str | None:
    """Why the existing file ``path`` cannot be replaced although its folder can be written in:
    it is marked immutable or append-only (``chattr +i`` / ``+a`` on Linux, ``chflags uchg`` on
    BSD and macOS), which not even root may rename over. ``None`` when it is not (or cannot
    be told cheaply)."""
    flags = 0
    with contextlib.suppress(OSError, AttributeError, ValueError):
        st_flags = getattr(os.stat(path), "st_flags", None)
        if st_flags is not None:  # BSD, macOS
            import stat

            if st_flags & (stat.UF_IMMUTABLE | stat.SF_IMMUTABLE):
                flags |= _FS_IMMUTABLE_FL
            if st_flags & (stat.UF_APPEND | stat.SF_APPEND):
                flags |= _FS_APPEND_FL
        elif sys.platform.startswith("linux"):
            import fcntl
            import struct

            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
            try:
                flags = struct.unpack("i", fcntl.ioctl(fd, _FS_IOC_GETFLAGS, b"\0" * 8)[:4])[0]
            finally:
                os.close(fd)
    if flags & _FS_IMMUTABLE_FL:
        return "it is marked immutable (chattr +i), so it cannot be replaced"
    if flags & _FS_APPEND_FL:
        return "it is marked append-only (chattr +a), so it cannot be replaced"
    return None


def check_writable(path: str | Path, what: str = "") -> Path:
    """Check, before any work, that a file can be written at ``path`` the way
    :class:`TableWriter` writes it (a temporary file in its folder, renamed over it).

    Parameters
    ----------
    path
        The file, or ``"-"``: standard output, which must be open.
    what
        How the messages name it after "cannot write" (``"the report "``); default nothing.

    Raises
    ------
    InputFormatError
        One line ``cannot write PATH: REASON``: ``path`` is a folder (or ends with a slash), its
        folder is a file, a file cannot be created there or, for folders not made yet (the run
        makes them), in the nearest existing one (no permission,
        a read-only file system: the system's reason), the file is immutable, or it is a named
        pipe or a device (the renamed output would replace it; ``-o -`` streams instead).
    """
    raw = str(path)
    if raw == "-":
        if sys.stdout is None or getattr(sys.stdout, "closed", False):  # started with >&-
            raise InputFormatError("cannot write to standard output: it is closed; give a file with -o")
        return Path(raw)
    target = Path(raw)
    head = f"cannot write {what}{raw}"
    if target.is_dir():
        example = target / ("report.html" if what else "scored.csv")
        raise InputFormatError(f"{head}: it is a folder; give a file name such as {example}")
    if raw.endswith(("/", os.sep)):  # pathlib drops the slash: 'o.csv/' would be written as o.csv
        raise InputFormatError(f"{head}: a name ending in {raw[-1]!r} names a folder; did you mean {target}?")
    written = Path(written_path(raw))  # through a symbolic link: its target's folder
    folder = written.parent
    while not folder.exists() and not folder.is_symlink() and folder != folder.parent:
        folder = folder.parent  # folders not made yet: the run makes them, in the nearest existing one
    if not folder.is_dir():
        raise InputFormatError(f"{head}: {folder} is not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=hidden_sibling_name(written.name, ".", room=16), suffix=".tmp", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputFormatError(f"{head}: no file can be created in its folder {folder} ({exc.strerror or exc})") from exc
    if target.exists() and not target.is_file():
        import stat

        mode = target.stat().st_mode
        kind = "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file"
        raise InputFormatError(
            f"{head}: it is {kind}, which the finished output, written to a temporary file and "
            "renamed into place, would replace; write to standard output with -o - and redirect it there"
        )
    if target.exists():
        reason = unwritable_reason(target)
        if reason is not None:
            raise InputFormatError(f"{head}: {reason}")
    return target


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
        #: the file written: the output, or the file it links to (see :func:`written_path`)
        self._dest = written_path(self.path) if self.path != "-" else self.path
        if self.path != "-":
            target = Path(self.path)
            if input_path is not None and same_file(input_path, target):
                raise InputFormatError(f"refusing to write the output over the input file {target}")
            if target.is_dir():
                raise InputFormatError(f"output {target} is a directory")
            if not Path(self._dest).parent.exists():
                raise InputFormatError(f"output folder {Path(self._dest).parent} does not exist")
            if target.exists() and not overwrite:
                raise InputFormatError(f"output {target} exists (use --force to replace it)")

    # -- lifecycle ---------------------------------------------------------------------------
    def _open(self) -> None:
        if self.path == "-":
            self._fh = sys.stdout
            return
        target = Path(self._dest)
        fd, tmp = tempfile.mkstemp(prefix=hidden_sibling_name(target.name, ".", room=16), suffix=".tmp", dir=target.parent)
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
        # mkstemp makes 0600 files: give a new output the usual permissions, and one that is
        # replaced its own (a group-writable shared file stays so, as sed -i keeps it)
        with contextlib.suppress(OSError):
            try:
                mode = os.stat(self._dest).st_mode & 0o777
            except OSError:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            os.chmod(self._tmp, mode)
        os.replace(self._tmp, self._dest)
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
