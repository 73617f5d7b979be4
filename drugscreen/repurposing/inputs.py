"""Inputs of the repurposer: the drug library, the known ligands and the target sequence.

* :func:`load_library`: ``"approved"`` (the shipped ChEMBL approved-drug list), a file that
  ``drugscreen screen`` accepts (read with :mod:`drugscreen.io`; ``"-"`` is standard input), or
  a DataFrame. Every entry is parsed and standardized; entries that fail keep their row with the
  reason (``error``), so they are reported rather than dropped.
* :func:`load_ligands`: SMILES list, DataFrame or file (``"-"``: standard input), with an
  optional activity column (0/1 labels, ``active``/``inactive`` words, ChEMBL's
  ``activity_comment`` "Active"/"Not Active", or potencies on a -log10 molar scale such as pIC50
  where values at or above ``active_threshold`` are actives; values outside 0..14, e.g. IC50 in
  nM, are refused, and so is a column named as a concentration, such as ``IC50_nM`` or ``Ki``,
  whatever its values; in a ``.smi`` file, ``SMILES name 7.5``, the number ending each line is
  that column when one is named that the file has not). Rows that fail (bad SMILES, unreadable activity) are
  listed in ``LigandSet.errors`` with their row number and reason and logged as a warning.
* :func:`read_sequence_input`: a raw sequence or a FASTA file/text, validated (a sequence
  made mostly of unknown residues such as ``X`` is refused).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from drugscreen.exceptions import InputFormatError, InvalidSequenceError

if TYPE_CHECKING:
    import pandas as pd
    from rdkit import Chem

__all__ = [
    "LigandSet",
    "Library",
    "concentration_column_reason",
    "load_ligands",
    "load_library",
    "nonstandard_fraction",
    "nucleotide_fraction",
    "parse_fasta",
    "parse_library",
    "read_sequence_input",
    "validate_sequence",
]

logger = logging.getLogger(__name__)

#: Activity words read as active / inactive (compared in lower case, with runs of spaces,
#: underscores and hyphens between words read as one space: ChEMBL's ``activity_comment``
#: "Not Active", "not_active" and "Inactive" are inactives, "Active" an active). Wordings that do
#: not say (ChEMBL's "Inconclusive", "Not Determined", "Partially active") are refused per row.
_ACTIVE_WORDS = {"1", "active", "actives", "yes", "true", "binder", "a", "+"}
_INACTIVE_WORDS = {
    "0", "inactive", "inactives", "not active", "non active", "nonactive", "no", "false", "nonbinder", "non binder",
    "not binder", "i", "-",
}  # fmt: skip
#: The words listed in the message refusing an activity cell.
_ACCEPTED_WORDS = "active/inactive, 'not active', yes/no, true/false, 1/0, or a -log10 molar potency"


# ----------------------------------------------------------------------------- sequences

MIN_SEQUENCE_LENGTH = 30
#: Letters of a nucleotide sequence (DNA, RNA and the "any base" code N).
NUCLEOTIDE_LETTERS = frozenset("ACGTUN")
#: A sequence with at least this fraction of :data:`NUCLEOTIDE_LETTERS` is read as nucleotides.
#: Every DAVIS and KIBA target holds at most 31 % of these letters (A, C, G, T and N are also
#: amino acids), so real proteins are far from the bar; ``tests/test_repurpose_inputs.py``
#: checks this on the real targets.
NUCLEOTIDE_FRACTION = 0.9
#: Shorter sequences are not tested for nucleotides (too few letters to tell).
NUCLEOTIDE_MIN_LENGTH = 20
#: A sequence with more than this fraction of non-standard letters (``X``, ``B``, ``Z``, ``J``,
#: ``O``, ``U``: unknown or ambiguous residues) is refused: the affinity model reads them all as
#: one "unknown" code, so its prediction would say nothing about the target. The most seen on a
#: DAVIS or KIBA target is 0.8 % (DAVIS TESK1; every KIBA target has none);
#: ``tests/test_review_api.py`` checks this on the real targets.
NONSTANDARD_MAX_FRACTION = 0.5
#: Above this fraction of non-standard letters a warning is logged (the prediction is weakened).
NONSTANDARD_WARN_FRACTION = 0.1


def nucleotide_fraction(sequence: str) -> float:
    """Fraction of the letters of a cleaned sequence that are A, C, G, T, U or N."""
    if not sequence:
        return 0.0
    return sum(ch in NUCLEOTIDE_LETTERS for ch in sequence) / len(sequence)


def nonstandard_fraction(sequence: str) -> float:
    """Fraction of the letters of a cleaned sequence outside the 20 standard amino acids."""
    from drugscreen.featurizers.protein import nonstandard_residues

    if not sequence:
        return 0.0
    return sum(nonstandard_residues(sequence).values()) / len(sequence)


def validate_sequence(sequence: str, name: str = "sequence", min_length: int = MIN_SEQUENCE_LENGTH) -> str:
    """Clean and check a target sequence (:func:`drugscreen.featurizers.protein.validate_sequence`
    plus a minimum length: a peptide of a few residues is not a protein target; a sequence
    of nucleotides, a gene rather than its protein, is refused; and so is a sequence made mostly
    of unknown or ambiguous residues).

    A warning is logged when more than :data:`NONSTANDARD_WARN_FRACTION` of the letters are
    non-standard (``X``, ``B``, ``Z``, ``J``, ``O``, ``U``).

    Raises
    ------
    InvalidSequenceError
        Naming the first invalid character and its 1-based position, when too short, when
        at least :data:`NUCLEOTIDE_FRACTION` of its letters (and at least
        :data:`NUCLEOTIDE_MIN_LENGTH` letters) are A/C/G/T/U/N, or when more than
        :data:`NONSTANDARD_MAX_FRACTION` of its letters are non-standard residues.
    """
    from drugscreen.featurizers.protein import nonstandard_residues
    from drugscreen.featurizers.protein import validate_sequence as _validate

    try:
        seq = _validate(sequence)
    except InvalidSequenceError as exc:
        raise InvalidSequenceError(f"{name}: {exc}") from None
    frac = nucleotide_fraction(seq)
    if len(seq) >= NUCLEOTIDE_MIN_LENGTH and frac >= NUCLEOTIDE_FRACTION:
        raise InvalidSequenceError(
            f"{name}: sequence looks like nucleotides (DNA/RNA; {100 * frac:.0f}% of its {len(seq)} letters are "
            "A/C/G/T/U/N), not a protein: give the protein (amino-acid) sequence"
        )
    if len(seq) < min_length:
        raise InvalidSequenceError(f"{name}: {len(seq)} residues is too short for a protein target (minimum {min_length})")
    odd = nonstandard_residues(seq)
    n_odd = sum(odd.values())
    if n_odd:
        letters = ", ".join(f"{k} x{v}" for k, v in sorted(odd.items(), key=lambda kv: -kv[1]))
        frac = n_odd / len(seq)
        if frac > NONSTANDARD_MAX_FRACTION:
            raise InvalidSequenceError(
                f"{name}: {100 * frac:.0f}% of its {len(seq)} residues are unknown or ambiguous ({letters}); "
                f"at most {100 * NONSTANDARD_MAX_FRACTION:.0f}% may be: give the target's resolved amino-acid sequence"
            )
        if frac > NONSTANDARD_WARN_FRACTION:
            logger.warning(
                "%s: %.0f%% of its %d residues are unknown or ambiguous (%s): the sequence model reads them as one "
                "'unknown' code, so its predictions for this target are weaker", name, 100 * frac, len(seq), letters,
            )  # fmt: skip
    return seq


def parse_fasta(text: str, source: str = "FASTA") -> list[tuple[str, str]]:
    """``(header, sequence)`` records of FASTA text, validated (see :func:`validate_sequence`)."""
    from drugscreen.featurizers.protein import parse_fasta as _parse

    return [(r.description, validate_sequence(r.sequence, name=f"{source}: record {r.id!r}")) for r in _parse(text, source=source)]


def read_sequence_input(sequence: str | None = None, fasta: str | Path | None = None) -> tuple[str, str]:
    """``(name, sequence)`` from a raw sequence (or FASTA text) or a FASTA file with one record.

    A ``.seq`` file without a ``>`` header holds the bare sequence (its name is the file's).
    """
    if (sequence is None) == (fasta is None):
        raise InvalidSequenceError("give exactly one of a sequence and a FASTA file")
    if sequence is not None:
        text = sequence.lstrip("\ufeff").strip()  # text pasted from a file may keep its byte-order mark
        if text.startswith(">"):
            from drugscreen.featurizers.protein import parse_fasta as _parse

            _check_one_record(_parse(text, validate=False, source="sequence"), "sequence")
            return _single_record(_parse(text, source="sequence"), "sequence")
        try:
            return "query", validate_sequence(text)
        except InvalidSequenceError as exc:
            hint = _not_a_sequence_hint(text)
            if hint:
                raise InvalidSequenceError(f"{exc}; {hint}") from None
            raise
    path = Path(fasta)  # type: ignore[arg-type]
    if not path.is_file():
        raise InputFormatError(f"FASTA file not found: {path}")
    from drugscreen.featurizers.protein import read_fasta

    if _is_plain_sequence_file(path):
        return path.name.split(".")[0], validate_sequence(_read_text(path), name=str(path))
    _check_one_record(read_fasta(path, validate=False), str(path))
    return _single_record(read_fasta(path), str(path))


#: A UniProt accession (P00519, Q9Y6R4, A0A024R161), as UniProt documents its format.
_UNIPROT_ACCESSION = re.compile(r"[OPQ][0-9][A-Z0-9]{3}[0-9]|[A-NR-Z][0-9](?:[A-Z][A-Z0-9]{2}[0-9]){1,2}")
#: Suffixes of files that hold a sequence or a table (a file name given as the sequence).
_FILE_SUFFIXES = (".fasta", ".fa", ".faa", ".fas", ".fsa", ".seq", ".txt", ".gz", ".csv", ".tsv")


def _not_a_sequence_hint(text: str) -> str:
    """What a refused raw sequence looks like instead (a file name, an accession, a gene name),
    or ``""``."""
    word = text.strip()
    if any(sep in word for sep in "/\\") or word.lower().endswith(_FILE_SUFFIXES):
        return f"{word!r} looks like a file name, but there is no such file: a FASTA file goes in fasta= (CLI --fasta)"
    if _UNIPROT_ACCESSION.fullmatch(word.split("-")[0].upper()):
        return f"{word!r} looks like a UniProt accession: give the protein's amino-acid sequence (nothing is downloaded)"
    if len(word) < MIN_SEQUENCE_LENGTH and re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", word) and not (
        len(word) >= NUCLEOTIDE_MIN_LENGTH and nucleotide_fraction(word.upper()) >= NUCLEOTIDE_FRACTION
    ):  # a short DNA string is refused as nucleotides, not taken for a gene name
        return f"{word!r} looks like a gene or protein name: give its amino-acid sequence (one-letter codes)"
    return ""


#: Suffixes of plain sequence files: FASTA, or the bare sequence with no ``>`` header.
PLAIN_SEQUENCE_SUFFIXES = (".seq",)


def _read_text(path: Path) -> str:
    from drugscreen.featurizers.protein import read_sequence_text

    return read_sequence_text(path, "sequence file")


def _is_plain_sequence_file(path: Path) -> bool:
    """A ``.seq`` file (``.seq.gz``) without any ``>`` header line: the bare sequence."""
    suffixes = [x.lower() for x in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    if not suffixes or suffixes[-1] not in PLAIN_SEQUENCE_SUFFIXES:
        return False
    return not any(line.lstrip().startswith(">") for line in _read_text(path).splitlines())


def _check_one_record(records: list[Any], where: str) -> None:
    """Refuse a FASTA text or file of more than one record (as
    :func:`drugscreen.featurizers.protein.parse_fasta` reads them, unvalidated) before any record
    is validated: a short peptide or a DNA record next to the target is not what is wrong."""
    if len(records) > 1:
        names = ", ".join(repr(r.id) for r in records[:5]) + (", ..." if len(records) > 5 else "")
        raise InvalidSequenceError(
            f"{where}: {len(records)} FASTA records ({names}); give one target at a time (a file with only that record)"
        )


def _single_record(records: list[Any], where: str) -> tuple[str, str]:
    """``(header, validated sequence)`` of the one record of a FASTA text or file."""
    _check_one_record(records, where)
    (rec,) = records
    return rec.description, validate_sequence(rec.sequence, name=f"{where}: record {rec.id!r}")


# ----------------------------------------------------------------------------- library


@dataclass
class Library:
    """Drugs to rank, in input order. ``mols[i]`` is None when entry ``i`` failed (``errors[i]``).

    Attributes
    ----------
    id_column
        Name of the identifier column in the ranking: ``chembl_id`` when the library's
        identifiers are ChEMBL ids (the shipped library, or a user library whose every
        filled-in identifier is one, such as ``CHEMBL941``, whatever its column's name), else
        ``id``.
    extra
        The input's other columns (a user library's own annotations), one row per entry, carried
        through to the ranking; None for the shipped library.
    """

    ids: list[str]
    names: list[str]
    first_approval: list[float]
    smiles: list[str]
    smiles_std: list[str]
    mols: list[Chem.Mol | None]
    errors: list[str]
    source: str = ""
    parsed: bool = False
    id_column: str = "chembl_id"
    extra: pd.DataFrame | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def valid(self) -> np.ndarray:
        """Entries that parsed (from ``errors``, so also right when restored from a cache)."""
        return np.array([not e for e in self.errors], dtype=bool)


def _column_key(column: str) -> str:
    """A column name compared in any case, with spaces and hyphens as underscores (ChEMBL's
    exports name theirs 'Molecule ChEMBL ID', 'Molecule Name', 'Smiles')."""
    return re.sub(r"[\s\-]+", "_", column.strip().lower())


def _find(columns: list[str], candidates: tuple[str, ...]) -> str | None:
    low: dict[str, str] = {}
    for c in columns:
        low.setdefault(_column_key(c), c)
    for cand in candidates:
        if cand in low:
            return low[cand]
    return None


def parse_library(lib: Library) -> None:
    """Parse and standardize every entry of ``lib`` in place (``mols``, ``smiles_std``, ``errors``)."""
    from drugscreen.featurizers.molecule import prepare_molecule

    for i, s in enumerate(lib.smiles):
        if lib.errors[i]:  # a reader error (e.g. a bad SDF record) stays
            continue
        p = prepare_molecule(s)
        lib.mols[i], lib.smiles_std[i], lib.errors[i] = p.mol, p.smiles_std, p.error
    lib.parsed = True
    report_library_errors(lib)


def report_library_errors(lib: Library) -> None:
    """Log (warning) how many library entries could not be parsed, with the first one."""
    n_bad = sum(1 for e in lib.errors if e)
    if n_bad:
        first = next(i for i, e in enumerate(lib.errors) if e)
        where = f"row {first + 1}"
        if lib.ids[first] != where:  # a nameless entry's id is "row N" itself: "row 1 row 1" said it twice
            where = f"{where} {lib.ids[first]}"
        logger.warning(
            "%s: %d of %d library entries could not be parsed and are reported without a score "
            "(first: %s: %s)", lib.source, n_bad, len(lib), where, lib.errors[first]
        )


#: Identifier columns of a library, most specific first (any case).
ID_COLUMNS = ("molecule_chembl_id", "chembl_id", "id", "compound_id", "mol_id", "molecule_id", "drug_id", "_name", "name", "title")
#: Name columns of a library, most specific first (any case).
NAME_COLUMNS = ("pref_name", "name", "drug_name", "drug", "compound_name", "molecule_name", "_name", "title")
#: Name columns of a ligand table, most specific first (any case; spaces read as underscores).
LIGAND_NAME_COLUMNS = ("name", "pref_name", "molecule_name", "compound_name", "drug_name", "drug", "_name", "title")
#: Identifier columns of a ligand table: a row's name when it has no name (ChEMBL exports leave
#: most compounds' 'Molecule Name' blank).
LIGAND_ID_COLUMNS = ("id", "molecule_chembl_id", "chembl_id", "compound_id", "mol_id", "molecule_id", "drug_id")
#: First-approval (year) columns of a library.
YEAR_COLUMNS = ("first_approval", "approval_year", "year")


def _texts(values: list[Any]) -> list[str]:
    """Cells as text, a missing one (None, NaN, ``pd.NA``) as ``""`` (parsed as an empty SMILES)."""
    from drugscreen.io import is_missing

    return ["" if is_missing(v) else str(v) for v in values]


#: What a ChEMBL identifier starts with (``CHEMBL941``; any case).
CHEMBL_ID_PREFIX = "CHEMBL"


def _all_chembl_ids(values: list[str]) -> bool:
    """Whether every filled-in identifier is a ChEMBL id, one starting with
    :data:`CHEMBL_ID_PREFIX` (and at least one is filled in): then the ranking names its column
    ``chembl_id``, whatever the input column's name (``id``, ``Molecule ChEMBL ID``); a column
    named ``chembl_id`` holding other identifiers (``CMP1``), or ChEMBL ids mixed with in-house
    ones, gives ``id``."""
    filled = [v.strip() for v in values if v.strip()]
    return bool(filled) and all(v.upper().startswith(CHEMBL_ID_PREFIX) for v in filled)


def _library_from_frame(df: pd.DataFrame, source: str, smiles_column: str | None = None, keep_extra: bool = True) -> Library:
    """A :class:`Library` of a table: its SMILES, identifier, name and year columns are found by
    name (:data:`ID_COLUMNS`, :data:`NAME_COLUMNS`, :data:`YEAR_COLUMNS`); with ``keep_extra``
    every other column is kept in :attr:`Library.extra`."""
    import pandas as pd

    from drugscreen.io import ERROR_COLUMN

    cols = [str(c) for c in df.columns]
    smi_col = smiles_column or _find(cols, ("smiles", "canonical_smiles", "smi", "smiles_std"))
    if smi_col is None or smi_col not in df.columns:
        raise InputFormatError(f"{source}: no SMILES column (looked for smiles, canonical_smiles, smi); columns: {cols}")
    others = [c for c in cols if c != smi_col]
    id_col = _find(others, ID_COLUMNS)
    name_col = _find(others, NAME_COLUMNS)
    year_col = _find(others, YEAR_COLUMNS)
    n = len(df)
    smiles = _texts(df[smi_col].tolist())
    if id_col:  # an empty id cell (a nameless .smi line) gets "row N", which no other id "N" can be
        ids = [v if v.strip() else f"row {i + 1}" for i, v in enumerate(_texts(df[id_col].tolist()))]
    else:  # 1-based, as the library's rows are numbered in messages
        ids = [str(i + 1) for i in range(n)]
    names = _texts(df[name_col].tolist()) if name_col else [""] * n
    years = list(pd.to_numeric(df[year_col], errors="coerce").to_numpy(dtype=np.float64)) if year_col else [float("nan")] * n
    id_column = "chembl_id" if id_col is not None and _all_chembl_ids(_texts(df[id_col].tolist())) else "id"
    extra = None
    if keep_extra:
        used = {smi_col, id_col, name_col, year_col, ERROR_COLUMN}
        extra = df[[c for c in df.columns if str(c) not in used]].reset_index(drop=True)
        extra.columns = [str(c) for c in extra.columns]
    return Library(ids, names, years, smiles, [""] * n, [None] * n, [""] * n, source, id_column=id_column, extra=extra)


def load_library(library: str | Path | pd.DataFrame = "approved", smiles_column: str | None = None, parse: bool = True) -> Library:
    """Load the library to rank (see the module docstring); ``parse=False`` only reads it.

    Raises
    ------
    InputFormatError
        A missing or unreadable file, no SMILES column, or a library without any entry.
    """
    lib = _read_library(library, smiles_column)
    if len(lib) == 0:
        raise InputFormatError(f"{lib.source}: the library is empty (no entries to rank)")
    if parse:
        parse_library(lib)
    return lib


def _read_library(library: str | Path | pd.DataFrame, smiles_column: str | None) -> Library:
    import pandas as pd

    if isinstance(library, pd.DataFrame):
        return _library_from_frame(library.reset_index(drop=True), "library", smiles_column)
    if isinstance(library, str) and library.lower() == "approved":
        from drugscreen.data import approved_drugs

        return _library_from_frame(approved_drugs(), "approved drugs (ChEMBL)", keep_extra=False)
    from drugscreen.io import ERROR_COLUMN

    if str(library) == STDIN:
        df, _ = _read_molecule_table(STDIN, smiles_column)
        source = "library (standard input)"
    else:
        path = Path(library)
        if not path.is_file():
            raise InputFormatError(f"library file not found: {path} (or use library='approved'; '-' reads standard input)")
        df, _ = _read_molecule_table(str(path), smiles_column)
        source = str(path)
    lib = _library_from_frame(df, source, smiles_column)
    if ERROR_COLUMN in df.columns:
        for i, err in enumerate(df[ERROR_COLUMN].tolist()):
            if isinstance(err, str) and err:
                lib.errors[i] = err
                lib.mols[i] = None
    return lib


# ----------------------------------------------------------------------------- ligands


@dataclass
class LigandSet:
    """Known ligands of the target.

    Attributes
    ----------
    smiles, smiles_std, mols
        The valid ligands, in input order.
    labels
        1 for actives, 0 for inactives.
    values
        The activity values when a numeric potency column was given (NaN otherwise).
    names
        Identifier of each ligand: its input name, or ``ligand <n>`` (its 1-based row) when the
        input has no name column or leaves the name blank.
    errors
        ``(row, text, reason)`` of each input row that was not used.
    """

    smiles: list[str]
    smiles_std: list[str]
    mols: list[Any]
    labels: np.ndarray
    values: np.ndarray
    names: list[str]
    errors: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def actives(self) -> np.ndarray:
        return np.nonzero(self.labels == 1)[0]

    @property
    def inactives(self) -> np.ndarray:
        return np.nonzero(self.labels == 0)[0]

    @property
    def active_parents(self) -> list[str]:
        """The distinct parent molecules (standardized SMILES, which the library's salt forms
        and hydrates also share) given as actives, sorted: a ligand repeated, or given as
        several salts, counts once."""
        return sorted({self.smiles_std[i] for i in self.actives})

    @property
    def inactive_parents(self) -> list[str]:
        """The distinct parent molecules given only as inactives, sorted. A parent given both
        as an active and as an inactive (replicates either side of the threshold) counts as an
        active, as it is listed first as a known active in the ranking."""
        active = set(self.active_parents)
        return sorted({self.smiles_std[i] for i in self.inactives} - active)

    @property
    def conflicting_parents(self) -> list[str]:
        """The parent molecules given both as an active and as an inactive, sorted."""
        return sorted(set(self.active_parents) & {self.smiles_std[i] for i in self.inactives})

    def parent_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """One ligand row per distinct parent molecule, and its label: ``(rows, labels)``.

        The row is the parent's first row of its label (a parent given both ways: its first
        active row, label 1), in the order of :attr:`active_parents` then
        :attr:`inactive_parents`. What the on-the-fly model is trained on: a repeated ligand
        would otherwise be a repeated training row.
        """
        first: dict[tuple[str, int], int] = {}
        for i, (parent, label) in enumerate(zip(self.smiles_std, self.labels.tolist(), strict=True)):
            first.setdefault((parent, int(label)), i)
        rows = [first[(p, 1)] for p in self.active_parents] + [first[(p, 0)] for p in self.inactive_parents]
        labels = [1] * len(self.active_parents) + [0] * len(self.inactive_parents)
        return np.asarray(rows, dtype=np.int64), np.asarray(labels, dtype=np.int64)


def _activity_word(text: str) -> str:
    """An activity cell compared with the activity words: lower case, and the spaces, underscores
    or hyphens between two words as one space (``"Not_Active"``: ``"not active"``); a lone
    ``"-"`` stays as it is."""
    return re.sub(r"(?<=\w)[\s_-]+(?=\w)", " ", text.strip().lower())


def _activity(value: Any, threshold: float) -> tuple[int | None, float, str]:
    """(label, numeric value, error) of one activity cell."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or not str(value).strip():
        return None, float("nan"), "missing activity value"  # a blank cell of a file read as text too
    text = _activity_word(str(value))
    if text in _ACTIVE_WORDS:
        return 1, float("nan"), ""
    if text in _INACTIVE_WORDS:
        return 0, float("nan"), ""
    try:
        x = float(text)
    except ValueError:
        return None, float("nan"), f"activity {value!r} is neither a number nor a word read as active or inactive ({_ACCEPTED_WORDS})"
    if not np.isfinite(x):
        return None, float("nan"), f"activity {value!r} is not finite"
    return int(x >= threshold), x, ""


#: Potencies on a -log10 molar scale (pIC50, pKi, pKd, pEC50) lie in this range; a column with
#: values outside it is in other units (IC50 in nM, percent inhibition ...).
POTENCY_RANGE = (0.0, 14.0)


def _check_potency_scale(values: np.ndarray, column: str, source: str) -> None:
    """Refuse potencies that cannot be on a -log10 molar scale (see :data:`POTENCY_RANGE`)."""
    lo, hi = POTENCY_RANGE
    bad = values[(values < lo) | (values > hi)]
    if len(bad):
        raise InputFormatError(
            f"{source}: activity column {column!r} has {len(bad)} of {len(values)} values outside {lo:g}..{hi:g} (e.g. {bad[0]:g}, "
            f"range {values.min():g}..{values.max():g}): it must be a pIC50/pKi-like potency (-log10 molar, higher = more "
            "potent) or 0/1 labels; convert IC50/Ki in nM with 9 - log10(value)"
        )


#: Potency measures that are concentrations unless written with a "p" (-log10 molar).
_MEASURE_NAMES = ("ic50", "ec50", "ac50", "xc50", "gi50", "cc50", "ki", "kd", "kb")
_MEASURES = "(?:" + "|".join(_MEASURE_NAMES) + ")"
#: A potency column named after a -log10 molar scale: pIC50, pKi, p_Kd, p.IC50, p(IC50), pEC50,
#: Ki_p, pchembl_value, "-log10(IC50)", "neg_log_ki" ...
_LOG_SCALE_NAME = re.compile(
    r"(?<![a-z])p[\s_.(-]*(?:" + "|".join((*_MEASURE_NAMES, "a2", "act")) + r")(?![a-z0-9])"
    r"|(?<![a-z])" + _MEASURES + r"[\s_.-]*p(?![a-z0-9])"
    r"|pchembl|(?:-|−|neg(?:ative)?[\s_]*|minus[\s_]*)log",
    re.IGNORECASE,
)
#: A column named after a concentration: IC50, Ki, Kd, EC50 ... without a "p" (a "log" in front,
#: log10(IC50 in nM), is still a concentration's scale), or a unit (nM, uM, µM, mM, pM).
_CONCENTRATION_MEASURE = re.compile(rf"(?:(?<![a-z])|(?<=log)|(?<=log10)){_MEASURES}(?![a-z0-9])", re.IGNORECASE)
_CONCENTRATION_UNIT = re.compile(r"(?<![a-z])(?:[pnuµμm]m|[pnuµμm]mol(?:/l)?|[pnuµμm]?molar)(?![a-z])", re.IGNORECASE)


def concentration_column_reason(column: str) -> str | None:
    """Why the name ``column`` says it holds concentrations rather than -log10 molar potencies,
    or None.

    A name with a -log10 marker (``pIC50``, ``pKi``, ``p(IC50)``, ``Ki_p``, ``pchembl_value``,
    ``-log10(Kd)``; a unit after it, ``pKi_uM``, ``pIC50 (nM-derived)``, says where it came from)
    is a potency; a name with a concentration unit (``nM``, ``uM``, ``µM``, ``mM``, ``pM``) or a
    measure without the ``p`` (``IC50``, ``Ki``, ``Kd``, ``EC50``, ``log10_IC50``) is a
    concentration; anything else (``potency``, ``activity``, ``value``) is not decided by its name.
    """
    name = str(column)
    if _LOG_SCALE_NAME.search(name):
        return None
    unit = _CONCENTRATION_UNIT.search(name)
    if unit:
        return f"its name gives a concentration unit ({unit.group(0)})"
    measure = _CONCENTRATION_MEASURE.search(name)
    if measure:
        return f"its name is a concentration ({measure.group(0)}, not p{measure.group(0)})"
    return None


def _check_potency_name(column: str, values: np.ndarray, source: str) -> None:
    """Refuse a potency column whose name says it holds concentrations (see
    :func:`concentration_column_reason`): values such as 0.5..12 nM fit the -log10 molar range
    and would be read as weak potencies, inverting the activity order."""
    reason = concentration_column_reason(column)
    if reason is None:
        return
    raise InputFormatError(
        f"{source}: activity column {column!r} looks like a concentration, not a pIC50/pKi-like potency: {reason} "
        f"(values {values.min():g}..{values.max():g}). Higher concentrations are weaker ligands, so read as -log10 molar "
        "potencies they would invert the activity order. Convert to pX = 9 - log10(value in nM) (uM: 6 - log10(value)) "
        "in a column named e.g. pIC50, or give 0/1 or active/inactive labels"
    )


#: Column names that hold activities (labels or potencies): a ligand table with one of them and no
#: activity column given would have its inactive rows used as actives.
_ACTIVITY_NAME = re.compile(r"(?<![a-z])(?:active|activity|activities|label|labels|class|outcome|potency|is_active)(?![a-z])",
                            re.IGNORECASE)


def _warn_unused_activity_columns(columns: list[str], source: str) -> None:
    """Warn about columns of a ligand table that look like activities (``pIC50``, ``active``,
    ``label``, ``IC50_nM`` ...) when no activity column was given: every ligand then counts as
    an active, inactive rows included."""
    found = [c for c in columns if _ACTIVITY_NAME.search(c.replace("_", " ")) or _LOG_SCALE_NAME.search(c)
             or concentration_column_reason(c)]
    if not found:
        return
    usable = [c for c in found if concentration_column_reason(c) is None]
    if usable:  # a concentration column would be refused as the activity column: offer a usable one
        hint = f"to use one, give --activity-column {usable[0]} (activity_column= in Python)"
    else:
        hint = (f"{found[0]!r} is named as a concentration, which is refused as the activity column: convert it to "
                "pX = 9 - log10(value in nM) in a column named e.g. pIC50 and give --activity-column pIC50 "
                "(activity_column= in Python)")
    logger.warning(
        "%s: column(s) %s not used: without an activity column every ligand counts as an active; %s",
        source, ", ".join(repr(c) for c in found), hint,
    )  # fmt: skip


def _ligand_name(df: pd.DataFrame, row: int, name_col: str | None, id_col: str | None) -> str:
    """The ligand's name: its name cell, else its identifier, else ``ligand <row>`` (a blank
    name would leave ``known_ligand`` empty)."""
    from drugscreen.io import is_missing

    for col in (name_col, id_col):
        value = df[col].iloc[row] if col else None
        text = "" if is_missing(value) else str(value).strip()
        if text:
            return text
    return f"ligand {row + 1}"


def _given_column(columns: list[str], wanted: str, what: str, source: str, missing_ok: bool = False) -> str | None:
    """The column ``wanted`` names: itself, else the one column equal to it in another case
    (``pic50`` for ``pIC50``), else ``None`` with ``missing_ok``.

    Raises
    ------
    InputFormatError
        No such column (or several in other cases), listing the columns.
    """
    if wanted in columns:
        return wanted
    hits = [c for c in columns if c.lower() == wanted.lower()]
    if len(hits) == 1:
        return hits[0]
    if missing_ok and not hits:
        return None
    from drugscreen.messages import did_you_mean, name_listing

    listing = name_listing(columns, 10, quote=True)
    raise InputFormatError(f"{source}: {what} column {wanted!r} not found{did_you_mean(wanted, columns)}; the columns are: {listing}")


#: The file name that reads standard input, as ``drugscreen screen`` reads it.
STDIN = "-"


def _read_molecule_table(path: str, smiles_column: str | None) -> tuple[pd.DataFrame, str]:
    """A molecule file (or ``"-"``, standard input) as ``drugscreen screen`` reads it
    (:func:`drugscreen.io.open_input`), whole, and the format it was read as (``"smi"``,
    ``"csv"``, ``"sdf"`` ...; standard input's is sniffed from its first lines)."""
    import pandas as pd

    from drugscreen.io import open_input

    reader = open_input(path, smiles_column=smiles_column)
    parts = list(reader)
    df = pd.concat(parts) if parts else pd.DataFrame({c: [] for c in reader.columns})
    return df.reset_index(drop=True), reader.format


def _trailing_number(text: str) -> tuple[str, str] | None:
    """``(name, value)`` of a ``.smi`` name field ending in a finite number (``"imatinib 7.5"``:
    ``("imatinib", "7.5")``; ``"7.5"``: ``("", "7.5")``), else None."""
    parts = text.strip().rsplit(None, 1)
    if not parts:
        return None
    try:
        value = float(parts[-1])
    except ValueError:
        return None
    if not np.isfinite(value):
        return None
    return (parts[0] if len(parts) == 2 else ""), parts[-1]


def _warn_trailing_numbers(cells: list[Any], source: str) -> None:
    """Warn when every name of a ``.smi`` ligand file ends in a number after a name (``imatinib
    7.5``): most likely an activity, which is read as part of the name, every ligand an active.
    Nothing is guessed (``cmpd 12`` is a name): the warning says how to read the value."""
    from drugscreen.io import is_missing

    texts = [str(c).strip() for c in cells if not is_missing(c) and str(c).strip()]
    split = [_trailing_number(t) for t in texts]
    if not texts or not all(p is not None and (p[0] or "." in p[1]) for p in split):
        return
    logger.warning(
        "%s: every name ends in a number (first: %r), read as part of the name: every ligand counts as an active. "
        "If the number is the activity (pIC50, pKi or 0/1), name it with --activity-column (e.g. --activity-column "
        "pIC50; activity_column= in Python) to read the last field of each line as that column, or start the file "
        "with a header line such as 'smiles name pIC50'", source, texts[0],
    )  # fmt: skip


def _split_trailing_values(df: pd.DataFrame, column: str, activity_column: str, source: str) -> pd.DataFrame:
    """``df`` with the number ending each cell of the ``.smi`` name field ``column`` moved to a new
    column ``activity_column`` (a cell without one gets an empty value: that row is listed as
    missing its activity).

    Raises
    ------
    InputFormatError
        No cell ends in a number: there is no value to read (the column list is given).
    """
    from drugscreen.io import is_missing

    names, values = [], []
    for cell in df[column].tolist():
        text = "" if is_missing(cell) else str(cell)
        split = _trailing_number(text)
        names.append(split[0] if split else text)
        values.append(split[1] if split else "")
    if not any(values):
        cols = [str(c) for c in df.columns]
        raise InputFormatError(
            f"{source}: activity column {activity_column!r} not found, and no line ends in a value after its name "
            f"('SMILES name 7.5'); the columns are: {', '.join(map(repr, cols))}"
        )
    logger.info("%s: the number ending each line is read as %r (the rest is the name)", source, activity_column)
    out = df.copy()
    out[column] = names
    out[activity_column] = values
    return out


def _warn_repeated_parents(lig: LigandSet, source: str) -> None:
    """Warn once when several ligand rows are one parent molecule (the same SMILES repeated, or
    salts and hydrates of one drug): each parent counts once (for the on-the-fly model's
    minimum of actives and inactives, and in the counts logged), and a parent given both as an
    active and as an inactive counts as an active."""
    n_parents = len(set(lig.smiles_std))
    if n_parents == len(lig.smiles_std):
        return
    rows: dict[str, list[int]] = {}
    for i, parent in enumerate(lig.smiles_std):
        rows.setdefault(parent, []).append(i)
    repeated = [r for r in rows.values() if len(r) > 1]
    shown = ", ".join(f"{lig.names[r[0]]!r} x{len(r)}" for r in repeated[:3]) + (", ..." if len(repeated) > 3 else "")
    both = lig.conflicting_parents
    conflict = ""
    if both:
        names = ", ".join(repr(lig.names[rows[p][0]]) for p in both[:3]) + (", ..." if len(both) > 3 else "")
        one = len(both) == 1
        conflict = (f"; {len(both)} {'parent' if one else 'parents'} labelled active in one row and inactive in another "
                    f"({names}) {'counts as an active' if one else 'count as actives'} ({'its' if one else 'their'} "
                    "inactive rows are not used to train the on-the-fly model)")
    logger.warning(
        "%s: %d ligand rows are %d distinct parent molecules after standardization (repeated rows, or salts and "
        "hydrates of one parent: %s); each parent counts once: %d %s and %d %s%s",
        source, len(lig.smiles_std), n_parents, shown,
        len(lig.active_parents), "active" if len(lig.active_parents) == 1 else "actives",
        len(lig.inactive_parents), "inactive" if len(lig.inactive_parents) == 1 else "inactives", conflict,
    )  # fmt: skip


def load_ligands(
    ligands: str | Path | list[str] | pd.DataFrame,
    activity_column: str | None = None,
    smiles_column: str | None = None,
    active_threshold: float = 6.0,
) -> LigandSet:
    """Read and parse the known ligands of a target.

    Parameters
    ----------
    ligands
        A list of SMILES (all actives), a DataFrame, or a file that ``screen`` accepts (``"-"``:
        standard input, its format sniffed as ``screen`` does). Rows of one parent molecule
        (repeats, salts, hydrates) count once, with a warning; one given both as an active and
        as an inactive counts as an active (see :attr:`LigandSet.active_parents`).
    activity_column
        Column with labels (1/0, active/inactive, ChEMBL's activity comments "Active" and
        "Not Active"/"Inactive" in any case) or potencies (e.g. pIC50, pKi; higher =
        more potent). Without it every ligand is an active. Potencies must be on a -log10 molar
        scale: a column whose name says concentration (``IC50``, ``Ki``, ``Kd``, ``EC50``
        without a leading ``p``, or a unit such as ``nM``/``uM``/``µM``) is refused even when
        its values lie in 0..14; ``pIC50``, ``pKi``, ``pchembl_value`` pass, and names that do
        not say (``potency``, ``activity``) are judged on their values alone. Found in any case
        (an exact match first, then the one column equal to it in another case). In a ``.smi``
        file without such a column (``SMILES name 7.5``: the name takes the rest of the line),
        the number ending each line becomes this column and the rest stays the name; a line
        without one is listed as missing its value. Without ``activity_column``, a ``.smi``
        file whose every name ends in a number is read as before (the number is part of the
        name) with a warning saying how to read it as the activity.
    smiles_column
        The SMILES column (default: detected).
    active_threshold
        Potency at or above which a ligand counts as active (6.0 = 1 uM on a -log10 M scale).
        Columns holding only 0 and 1 are read as labels.

    Raises
    ------
    InputFormatError
        Unreadable file, missing columns, potencies outside :data:`POTENCY_RANGE` (e.g. IC50
        in nM rather than pIC50) or in a column named as a concentration (see
        :func:`concentration_column_reason`), or no valid active ligand left.
    """
    import pandas as pd

    from drugscreen.featurizers.molecule import prepare_molecule
    from drugscreen.io import is_missing

    smi_file = False  # a .smi file: its last field (the name) takes the rest of each line
    if isinstance(ligands, (list, tuple)):
        df = pd.DataFrame({"smiles": list(ligands)})
        source = "ligands"
    elif isinstance(ligands, pd.DataFrame):
        df = ligands.reset_index(drop=True)
        source = "ligands"
    elif str(ligands) == STDIN:
        df, fmt = _read_molecule_table(STDIN, smiles_column)
        source = "ligands (standard input)"
        smi_file = fmt == "smi"
    else:
        path = Path(ligands)
        if not path.is_file():
            raise InputFormatError(f"ligands file not found: {path} ('-' reads standard input)")
        df, fmt = _read_molecule_table(str(path), smiles_column)
        source = str(path)
        smi_file = fmt == "smi"
    cols = [str(c) for c in df.columns]
    smi_col = _given_column(cols, smiles_column, "SMILES", source) if smiles_column else None
    smi_col = smi_col or _find(cols, ("smiles", "canonical_smiles", "smi"))
    if smi_col is None or smi_col not in df.columns:
        raise InputFormatError(f"{source}: no SMILES column (looked for smiles, canonical_smiles, smi); columns: {cols}")
    last_field = cols[-1] if smi_file and cols[-1] != smi_col else None
    if activity_column is not None:
        found = _given_column(cols, activity_column, "activity", source, missing_ok=last_field is not None)
        if found is None:  # a .smi file "SMILES name 7.5": the value is the last field of its name
            assert last_field is not None
            df = _split_trailing_values(df, last_field, activity_column, source)
            cols = [str(c) for c in df.columns]
            found = activity_column
        activity_column = found
    elif last_field is not None:
        _warn_trailing_numbers(df[last_field].tolist(), source)
    name_col = _find(cols, LIGAND_NAME_COLUMNS)
    id_col = _find([c for c in cols if c not in (name_col, smi_col, activity_column)], LIGAND_ID_COLUMNS)
    if activity_column is None:
        _warn_unused_activity_columns(cols, source)
    raw_act = df[activity_column].tolist() if activity_column else [1] * len(df)
    # a numeric column holding only 0/1 is read as labels, not potencies
    threshold = active_threshold
    if activity_column:
        nums = pd.to_numeric(df[activity_column], errors="coerce").to_numpy(dtype=float)
        nums = nums[np.isfinite(nums)]
        if len(nums) and set(np.unique(nums)) <= {0.0, 1.0}:
            threshold = 0.5
        elif len(nums):
            _check_potency_scale(nums, activity_column, source)
            _check_potency_name(activity_column, nums, source)
    smiles_out, std, mols, labels, values, names = [], [], [], [], [], []
    errors: list[tuple[int, str, str]] = []
    for row, (smi, act) in enumerate(zip(df[smi_col].tolist(), raw_act, strict=True)):
        text = "" if is_missing(smi) else str(smi)
        p = prepare_molecule(text)
        if not p.valid:
            errors.append((row, text, p.error))
            continue
        label, value, err = _activity(act, threshold)
        if err:
            errors.append((row, text, err))
            continue
        smiles_out.append(text)
        std.append(p.smiles_std)
        mols.append(p.mol)
        labels.append(label)
        values.append(value)
        names.append(_ligand_name(df, row, name_col, id_col))
    if errors:
        shown = "; ".join(f"row {r + 1} {t!r}: {e}" for r, t, e in errors[:5])
        logger.warning("%s: %d of %d ligand rows not used: %s%s", source, len(errors), len(df), shown, " ..." if len(errors) > 5 else "")
    out = LigandSet(smiles_out, std, mols, np.asarray(labels, dtype=np.int64), np.asarray(values, dtype=np.float64), names, errors)
    _warn_repeated_parents(out, source)
    if len(out.actives) == 0:
        raise InputFormatError(
            f"{source}: no valid active ligand ({len(df)} rows, {len(errors)} unusable, {len(out.inactives)} inactive)"
        )
    return out
