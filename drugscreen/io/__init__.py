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
    record. A line without a name has an empty name, as an empty id cell of any other input
    (:func:`fallback_id` gives such a row its id, ``row 3``). A CXSMILES extension after the SMILES
    (``C[C@H](N)C(=O)O |&1:1| alanine``) stays with the SMILES. A CSV file saved as ``.smi`` (a first
    line such as ``smiles,id``) is read as CSV, with a warning.
``.csv`` / ``.tsv`` / ``.txt``
    A header row is assumed. The delimiter is sniffed from the header line (``,``, tab, ``;``
    or ``|``; the suffix decides ties). A UTF-8 BOM and CRLF line ends are tolerated. Every
    cell is read as text, so identifiers such as ``007`` survive unchanged. A quoted field may
    span lines, but one whose quote is never closed (it would swallow the rest of the file),
    or that spans lines and is closed by a quote followed by more text (a stray quote that
    merged rows), is refused with the line where it opened. Fields have no size limit (an
    over-long SMILES is flagged per row, as in ``.smi`` input). A wholly blank line (nothing
    or only white space; in a TSV a tab is a delimiter, not white space) is no row, anywhere in
    the file, as in ``.smi`` input and pandas ``read_csv`` (counted in the log; rows are
    numbered by record); a line of delimiters only (``,,``) is a row with an empty SMILES.
    An empty file (or only blank lines) is read as a table with a ``smiles`` column and no rows.
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
without a BOM), UTF-16 or UTF-32 (by BOM, or UTF-16 by its NUL bytes). A file whose first
64 KiB are not UTF-8 and hold no UTF-8 character is read as Windows-1252 (Latin-1; Excel's
"CSV" on Western Windows), with a warning; a UTF-8 file with stray bytes stays UTF-8, they read
as U+FFFD, with a warning. A ZIP archive (an Excel workbook) or another binary file (a NUL byte
in the first 64 KiB) is refused with a one-line error, as is a file that cannot be read.

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

from drugscreen.io.cells import (
    CSV_SEPARATORS,
    CSV_SLOT,
    escape_csv_injection,
    fill_csv_slots,
    render_csv_rows,
)
from drugscreen.io.formats import (
    ERROR_COLUMN,
    ID_COLUMN_NAMES,
    INPUT_FORMATS,
    MOLECULE_FILE_SUFFIXES,
    OUTPUT_FORMATS,
    SMILES_COLUMN_NAMES,
    default_output_path,
    detect_format,
    file_fingerprint,
    is_missing,
    read_once,
    same_file,
)
from drugscreen.io.readers import open_input, read_table
from drugscreen.io.tables import TableReader, column_key, fallback_id, find_column
from drugscreen.io.writers import (
    TableWriter,
    TextColumnTypes,
    check_writable,
    hidden_sibling_name,
    open_output,
    type_text_columns,
    unwritable_reason,
    written_path,
)

__all__ = [
    "CSV_SEPARATORS",
    "CSV_SLOT",
    "ERROR_COLUMN",
    "ID_COLUMN_NAMES",
    "INPUT_FORMATS",
    "MOLECULE_FILE_SUFFIXES",
    "OUTPUT_FORMATS",
    "SMILES_COLUMN_NAMES",
    "TableReader",
    "TableWriter",
    "TextColumnTypes",
    "check_writable",
    "column_key",
    "default_output_path",
    "detect_format",
    "escape_csv_injection",
    "fallback_id",
    "file_fingerprint",
    "fill_csv_slots",
    "find_column",
    "hidden_sibling_name",
    "is_missing",
    "open_input",
    "open_output",
    "read_once",
    "read_table",
    "render_csv_rows",
    "same_file",
    "type_text_columns",
    "unwritable_reason",
    "written_path",
]
