"""Reading SD files record by record: tags become columns, the structure a SMILES column, and a
record RDKit cannot read a flagged row."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

from drugscreen.io.formats import ERROR_COLUMN, ID_COLUMN_NAMES, SMILES_COLUMN_NAMES, read_once
from drugscreen.io.streams import _open_bytes, text_encoding
from drugscreen.io.tables import TableReader, find_column

logger = logging.getLogger(__name__)


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
    with io.TextIOWrapper(binary, encoding=text_encoding(head, path, windows_1252=True), errors="replace", newline="") as fh:
        for block in _sdf_records(fh):
            if all(_sdf_tag_name(">" + rest.rstrip("\r")) in names for rest in _SDF_TAG_LINE.findall(block)):
                continue
            for t in _sdf_tags(block):
                names.setdefault(t, None)
    return list(names)


def _open_sdf(path: str, fh: IO[str], smiles_column: str | None, id_column: str | None, chunksize: int) -> TableReader:
    """SDF: collect the tag names (a file: all of them, in a first pass; standard input: those
    of the first records), then stream.

    The columns are ``_Name`` (the title), the SMILES and the tags. The id column is
    ``id_column`` when given, else found among the tags as in a CSV header
    (:func:`~drugscreen.io.tables.find_column`: ``ID``, ``Name``, ``Compound ID`` ... in any
    case), else the title; an empty id cell gets ``row N`` as in any input.
    """
    from rdkit import Chem, rdBase

    from drugscreen.featurizers.molecule import _clean_log

    records = _sdf_records(fh)
    head: list[str] = []
    tag_names: list[str] = []
    if read_once(path):  # standard input or a pipe, read once: the tags of the first records
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
        scol = find_column(columns, smiles_column, SMILES_COLUMN_NAMES, "smiles", required=True) or smiles_name
    if id_column is None:
        # the ids as a CSV column's: a tag named like one (``ID``, ``Name``, ``Compound ID``; any
        # case, the most preferred of several), else the title
        icol = find_column(tag_names, None, ID_COLUMN_NAMES, "id", required=False) or "_Name"
    else:
        icol = find_column(columns, id_column, ID_COLUMN_NAMES, "id", required=False)

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
        # BlockLogs outside: RDKit's warnings ("EOF hit while reading atoms") went to stderr
        with rdBase.BlockLogs(), rdBase.CaptureErrorLog() as log:
            try:
                mol = Chem.MolFromMolBlock(block, sanitize=True, removeHs=True)
            except Exception as exc:  # RDKit raises on some malformed blocks
                mol = None
                log_text = _clean_log(str(exc)) or type(exc).__name__
            else:
                log_text = ""
        if mol is None:
            reason = _clean_log(log.messages) or log_text
            if not reason and not _mol_ends(block.splitlines()):  # the last record of a cut-off file
                reason = "truncated (no 'M  END' line: the file was cut off?)"
            reason = reason or "RDKit could not read the record"
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
