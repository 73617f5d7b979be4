"""File formats and names: which format a path holds, the column names recognised as SMILES
and identifiers, default output paths, and whether two paths are one file."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drugscreen.exceptions import InputFormatError

if TYPE_CHECKING:
    pass



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


def is_missing(value: Any) -> bool:
    """A missing table cell: None, a float NaN, or pandas' ``pd.NA`` (a ``"string"`` column's
    null), told apart without importing pandas. Such a SMILES cell gets
    :data:`~drugscreen.messages.EMPTY_SMILES`, as a blank text cell does."""
    if value is None or type(value).__name__ == "NAType":
        return True
    return isinstance(value, float) and value != value


def display_name(path: str) -> str:
    """How messages name an input: its path, or "standard input" for ``-``."""
    return "standard input" if path == "-" else path


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


def read_once(path: str | Path) -> bool:
    """Whether the input ``path`` can be read only once: standard input (``"-"``), or a named
    pipe or device given by name (``mkfifo in.smi``). Such an input is read as standard input
    is: no second pass (an SDF's tag names, the ``--resume`` checksum), which would consume
    rows the reader never sees."""
    if str(path) == "-":
        return True
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False  # missing: the reader says so


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
