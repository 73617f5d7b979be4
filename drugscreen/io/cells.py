"""Cells of text output: spreadsheet formula escaping (OWASP "CSV injection") and rows of
CSV text with slots filled in later."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd



_INJECTION_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: A signed decimal number (``-0.77``, ``+1.5e-3``): text that starts like a formula but is
#: read by spreadsheets as a number, so it is never escaped. Python's ``float`` is not used:
#: it also takes ``-inf``, ``-nan`` and ``-1_000``, which a spreadsheet would not.
_PLAIN_NUMBER = r"[+-](?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"


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
