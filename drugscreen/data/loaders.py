"""Loading registered datasets into typed objects.

:func:`load_dataset` reads a molecule dataset (MoleculeNet files), parses every SMILES with
:func:`drugscreen.featurizers.molecule.prepare_molecule` and keeps the valid rows; molecules
that fail are listed in ``invalid`` with their row number and reason (and summarised in one
logged warning), never dropped silently. :func:`load_affinity` reads DAVIS/KIBA pairs.

Parsing 41k HIV molecules takes a while, so the outcome (standardized SMILES or reason per
row) is cached under ``<cache_dir>/parsed/``, keyed by the file's sha256, the
standardizer's parameters and the parsing code (the source of
:mod:`drugscreen.featurizers.molecule`, the RDKit and drugscreen versions); a later load skips
RDKit entirely.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from drugscreen.data.catalog import get_spec
from drugscreen.data.files import atomic_write, cache_dir, ensure_files, sha256_file
from drugscreen.data.specs import DatasetSpec, TaskSpec
from drugscreen.exceptions import DatasetError
from drugscreen.messages import snake_name

if TYPE_CHECKING:
    import pandas as pd

    from drugscreen.featurizers.molecule import Standardizer

__all__ = [
    "AffinityDataset",
    "InvalidRow",
    "MoleculeDataset",
    "load_affinity",
    "is_table_path",
    "load_dataset",
    "load_table",
    "parse_column",
    "table_name",
    "unreadable_table_format",
    "invalid_rows_text",
    "write_invalid_rows",
]

logger = logging.getLogger(__name__)

PARSE_CACHE_VERSION = 1
_DEFAULT = object()


class InvalidRow(NamedTuple):
    """A row whose molecule could not be used: 0-based data row, input text, reason."""

    row: int
    smiles: str
    reason: str


@dataclass
class MoleculeDataset:
    """A loaded molecule dataset (valid molecules only; the others are in ``invalid``).

    Attributes
    ----------
    name
        Registry name.
    smiles
        Input SMILES of the valid molecules, as written in the file.
    smiles_std
        Canonical SMILES after standardization, aligned with ``smiles``.
    y
        Labels, float64, shape ``(n, n_tasks)``; NaN where not measured.
    tasks
        One :class:`TaskSpec` per column of ``y``.
    task_type
        ``"classification"`` or ``"regression"`` (``None`` for an unlabelled library).
    rows
        Original 0-based data-row index (header excluded) of each molecule.
    invalid
        ``(row, smiles, reason)`` of every molecule that failed to parse or standardize.
    sha256
        Checksum of the file read.
    path
        The file read.
    load_stats
        For a user's table (:func:`load_table`): how its rows became molecules, ``n_rows``,
        ``n_invalid`` (left out, listed in ``invalid``), ``n_duplicates_merged`` and
        ``n_labels_conflicting`` (class labels set missing because copies disagree), and
        ``n_unlabelled`` (rows of molecules without any label, left out) when there are such
        rows; ``None`` for registered datasets and subsets.
    """

    name: str
    smiles: list[str]
    smiles_std: list[str]
    y: np.ndarray
    tasks: list[TaskSpec]
    task_type: str | None
    rows: np.ndarray
    invalid: list[InvalidRow]
    sha256: str
    path: Path | None = None
    spec: DatasetSpec | None = field(default=None, repr=False)
    load_stats: dict[str, int] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.smiles)

    @property
    def task_names(self) -> list[str]:
        """Task column names, in the order of ``y``'s columns."""
        return [t.name for t in self.tasks]

    @property
    def n_tasks(self) -> int:
        """Number of tasks (columns of ``y``)."""
        return len(self.tasks)

    def subset(self, indices: np.ndarray | list[int]) -> MoleculeDataset:
        """A new dataset holding the molecules at ``indices`` (e.g. one side of a split)."""
        idx = np.asarray(indices, dtype=np.int64)
        return MoleculeDataset(
            name=self.name,
            smiles=[self.smiles[i] for i in idx],
            smiles_std=[self.smiles_std[i] for i in idx],
            y=self.y[idx],
            tasks=list(self.tasks),
            task_type=self.task_type,
            rows=self.rows[idx],
            invalid=[],
            sha256=self.sha256,
            path=self.path,
            spec=self.spec,
        )

    def to_frame(self) -> pd.DataFrame:
        """The dataset as a DataFrame: ``row, smiles, smiles_std`` then one column per task."""
        import pandas as pd

        df = pd.DataFrame({"row": self.rows, "smiles": self.smiles, "smiles_std": self.smiles_std})
        for j, name in enumerate(self.task_names):
            df[name] = self.y[:, j]
        return df

    def __repr__(self) -> str:
        return (
            f"MoleculeDataset(name={self.name!r}, n={len(self)}, tasks={self.n_tasks}, "
            f"task_type={self.task_type!r}, invalid={len(self.invalid)})"
        )


@dataclass
class AffinityDataset:
    """Drug-target affinity pairs (DAVIS, KIBA).

    Attributes
    ----------
    name
        Registry name.
    drug_ids, drug_smiles
        One entry per drug; ``drug_idx`` indexes these.
    target_ids, target_sequences
        One entry per target (amino-acid sequence); ``target_idx`` indexes these.
    drug_idx, target_idx, value
        The measured pairs: int64, int64, float64 arrays of equal length. ``value`` is pKd for
        DAVIS, the KIBA score for KIBA (higher = stronger binding for both).
    task
        What ``value`` is (name, units, direction).
    invalid_drugs
        Drugs whose SMILES failed to parse (they stay in ``drug_ids``; callers decide).
    sha256
        Checksums of the files read, keyed by file name.
    """

    name: str
    drug_ids: list[str]
    drug_smiles: list[str]
    target_ids: list[str]
    target_sequences: list[str]
    drug_idx: np.ndarray
    target_idx: np.ndarray
    value: np.ndarray
    task: TaskSpec
    invalid_drugs: list[InvalidRow] = field(default_factory=list)
    sha256: dict[str, str] = field(default_factory=dict)
    raw_value: np.ndarray | None = None

    @property
    def pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(drug_idx, target_idx, value)`` arrays."""
        return self.drug_idx, self.target_idx, self.value

    @property
    def n_drugs(self) -> int:
        return len(self.drug_ids)

    @property
    def n_targets(self) -> int:
        return len(self.target_ids)

    def __len__(self) -> int:
        return len(self.value)

    def __repr__(self) -> str:
        return (
            f"AffinityDataset(name={self.name!r}, drugs={self.n_drugs}, targets={self.n_targets}, "
            f"pairs={len(self)}, value={self.task.name!r})"
        )


# ----------------------------------------------------------------------------- parsing


@lru_cache(maxsize=16)
def _file_digest(path: str, mtime_ns: int, size: int) -> str:
    """sha256 of a source file (memoized on its path, mtime and size)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _parser_code_digest() -> str:
    """A digest of the code that parses and standardizes molecules (its source files).

    The package version alone did not change when that code did (it stayed 0.1.0 through every
    change of the standardizer), so a parse cache keyed on it returned the molecules of the old
    code. A file that cannot be read counts by its module name only.
    """
    import drugscreen.featurizers.counterions as counterions
    import drugscreen.featurizers.molecule as molecule

    parts = []
    for module in (molecule, counterions):
        try:
            stat = os.stat(module.__file__ or "")
            parts.append(_file_digest(os.fspath(module.__file__), stat.st_mtime_ns, stat.st_size))
        except (OSError, TypeError):
            parts.append(module.__name__)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _parse_cache_path(sha256: str, standardizer: Standardizer | None) -> Path:
    from rdkit import __version__ as rdkit_version

    from drugscreen._version import __version__

    config = json.dumps(None if standardizer is None else standardizer.to_config(), sort_keys=True)
    # the versions and the parsing code are part of the key: new RDKit or drugscreen code may
    # parse differently
    text = f"{PARSE_CACHE_VERSION}|{__version__}|{rdkit_version}|{_parser_code_digest()}|{sha256}|{config}"
    key = hashlib.sha256(text.encode()).hexdigest()[:24]
    return cache_dir() / "parsed" / f"{key}.json.gz"


def _dataset_policy(standardizer: Standardizer | None | object) -> Standardizer | None | object:
    """A dataset loader's policy: :data:`~drugscreen.featurizers.molecule.DATASET_STANDARDIZER`
    unless the caller chose one."""
    from drugscreen.featurizers.molecule import DATASET_STANDARDIZER

    return DATASET_STANDARDIZER if standardizer is _DEFAULT else standardizer


def _table_policy(standardizer: Standardizer | None | object) -> Standardizer | None | object:
    """A user's table's policy: the screening one
    (:data:`~drugscreen.featurizers.molecule.DEFAULT_STANDARDIZER`) unless the caller chose one.

    The registered datasets keep their inorganic salts, radicals and unusual charges for parity
    with the literature's molecule counts and splits; a user's table has no literature to
    match, and a model trained on ``[Na+].[Cl-]`` read as hydrogen chloride (or on a molecule the
    bundle will refuse when it screens) learns a label for another compound. Such rows are
    refused, with their reasons in ``invalid``, as unparsable ones are.
    """
    from drugscreen.featurizers.molecule import DEFAULT_STANDARDIZER

    return DEFAULT_STANDARDIZER if standardizer is _DEFAULT else standardizer


def parse_column(
    smiles: list[str],
    standardizer: Standardizer | None | object = _DEFAULT,
    *,
    sha256: str | None = None,
    use_cache: bool = True,
) -> tuple[list[str], list[str]]:
    """Parse and standardize SMILES, returning ``(smiles_std, error)`` per input.

    Exactly one of ``smiles_std[i]`` and ``error[i]`` is non-empty. With ``sha256`` (of the file
    the column came from) and ``use_cache``, results are read from / written to the parse
    cache; a cache that is unreadable or does not match is ignored.
    """
    from drugscreen.featurizers.molecule import DEFAULT_STANDARDIZER, prepare_molecule

    std = DEFAULT_STANDARDIZER if standardizer is _DEFAULT else standardizer
    cache_file = _parse_cache_path(sha256, std) if (sha256 and use_cache) else None  # type: ignore[arg-type]
    if cache_file is not None and cache_file.is_file():
        try:
            with gzip.open(cache_file, "rt", encoding="utf-8") as fh:
                cached = json.load(fh)
            if cached.get("n") == len(smiles):
                return cached["smiles_std"], cached["error"]
        except (OSError, ValueError, KeyError, EOFError):
            logger.debug("ignoring unreadable parse cache %s", cache_file)
    out_std: list[str] = []
    out_err: list[str] = []
    for s in smiles:
        parsed = prepare_molecule(s, std)  # type: ignore[arg-type]
        out_std.append(parsed.smiles_std)
        out_err.append(parsed.error)
    if cache_file is not None:
        try:
            payload = json.dumps({"n": len(smiles), "smiles_std": out_std, "error": out_err})
            with atomic_write(cache_file) as fh:
                fh.write(gzip.compress(payload.encode("utf-8"), mtime=0))
        except OSError as exc:  # read-only home, full disk: caching is an optimisation only
            logger.debug("could not write parse cache %s: %s", cache_file, exc)
    return out_std, out_err


def _summarize_invalid(name: str, invalid: list[InvalidRow], total: int, source: Path | None = None,
                       listed_in: Path | None = None) -> None:
    """Warn once about the rows left out. For a user's table (``source``) the message names the
    file the rows are in and where they are all listed (``listed_in``, a CSV; else the dataset's
    ``.invalid``, which a Python caller holds)."""
    if not invalid:
        return
    shown = "; ".join(f"row {r.row}: {r.reason}" for r in invalid[:3])
    more = f"; ... ({len(invalid) - 3} more)" if len(invalid) > 3 else ""
    if source is None:
        logger.warning(
            "%s: %d of %d molecules could not be parsed and are left out (all listed by `drugscreen datasets info "
            "%s --invalid`; in Python, the loaded dataset's .invalid): %s%s",
            name,
            len(invalid),
            total,
            name,
            shown,
            more,
        )
        return
    where = f"all listed in {listed_in}" if listed_in is not None else "listed in the loaded dataset's .invalid"
    logger.warning(
        "%s: %d of %d rows of %s could not be parsed or were refused and are left out (%s; rows count from 0 "
        "after the header): %s%s", name, len(invalid), total, source, where, shown, more,
    )


def _invalid_frame(invalid: list[InvalidRow]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(invalid, columns=list(InvalidRow._fields))


def invalid_rows_text(invalid: list[InvalidRow]) -> str:
    """Rows left out of a dataset as tab-separated text with a header (``row, smiles, reason``)."""
    return _invalid_frame(invalid).to_csv(sep="\t", index=False)


def write_invalid_rows(invalid: list[InvalidRow], path: str | os.PathLike[str], source: str | os.PathLike[str] | None = None) -> Path:
    """Write rows left out of a dataset as CSV (``row, smiles, reason``, plus ``file`` when
    ``source`` is given), atomically; return the path."""
    path = Path(path)
    frame = _invalid_frame(invalid)
    if source is not None:
        frame.insert(0, "file", os.fspath(source))
    with atomic_write(path) as fh:
        fh.write(frame.to_csv(index=False).encode("utf-8"))
    return path


def _read_csv(path: Path, **kwargs: Any) -> pd.DataFrame:
    import pandas as pd

    try:
        return pd.read_csv(path, **kwargs)
    except (OSError, ValueError, EOFError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot be read as CSV ({exc})") from None


def _task_specs(spec: DatasetSpec, columns: list[str]) -> list[TaskSpec]:
    if not spec.all_other_columns:
        return list(spec.tasks)
    names = [c for c in columns if c != spec.smiles_column]
    # every extra column is a task of the dataset's type; toxicity assays: lower is better
    direction = "lower" if spec.category == "toxicity" else "neutral"
    return [TaskSpec(n, spec.task_type or "classification", "1 = active", direction) for n in names]  # type: ignore[arg-type]


def load_dataset(
    name: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    standardizer: Standardizer | None | object = _DEFAULT,
    use_cache: bool = True,
) -> MoleculeDataset:
    """Load a registered molecule dataset.

    Parameters
    ----------
    name
        Registered name (``"tox21"``, ``"bbbp"``, ...; case, ``-`` and ``_`` ignored).
    data_dir
        Data directory; default ``$DRUGSCREEN_DATA_DIR``, else ``~/.cache/drugscreen``. A missing
        file is downloaded there.
    standardizer
        Standardization policy (default: the package's default); ``None`` parses only.
    use_cache
        Read/write the parse cache.

    Returns
    -------
    MoleculeDataset
        Valid molecules with labels; the others in ``.invalid``.

    Raises
    ------
    UnknownNameError
        For an unregistered name (the message lists the valid ones).
    DatasetNotAvailableError
        When the file is missing and cannot be downloaded.
    DatasetError
        When the file lacks required columns or holds non-numeric labels.

    Examples
    --------
    >>> ds = load_dataset("bbbp")  # doctest: +SKIP
    >>> ds.y.shape  # doctest: +SKIP
    (2039, 1)
    """
    spec = get_spec(name)
    if spec.kind == "affinity":
        raise DatasetError(
            f"{spec.name} is drug-target affinity data; use load_affinity({spec.name!r})"
        )
    if spec.kind == "library":
        from drugscreen.data.approved import approved_drugs_path

        path = approved_drugs_path()
    else:
        path = ensure_files(spec, data_dir)[0]
    df = _read_csv(path, dtype={spec.smiles_column: str}, keep_default_na=True)
    missing = [c for c in spec.files[0].columns if c not in df.columns]
    if missing:
        raise DatasetError(f"{path}: missing column(s) {missing}")
    tasks = _task_specs(spec, list(df.columns))
    if spec.n_tasks and len(tasks) != spec.n_tasks:
        raise DatasetError(f"{path}: {len(tasks)} task columns, expected {spec.n_tasks}")
    digest = sha256_file(path)

    raw = df[spec.smiles_column].fillna("").astype(str).tolist()
    smiles_std, errors = parse_column(raw, _dataset_policy(standardizer), sha256=digest, use_cache=use_cache)
    valid = np.array([not e for e in errors], dtype=bool)
    invalid = [InvalidRow(i, raw[i], errors[i]) for i in np.flatnonzero(~valid).tolist()]
    _summarize_invalid(spec.name, invalid, len(raw))

    import pandas as pd

    if tasks:
        try:
            labels = df[[t.name for t in tasks]].apply(pd.to_numeric, errors="raise")
        except (ValueError, TypeError) as exc:
            raise DatasetError(f"{path}: non-numeric label ({exc})") from None
        y = labels.to_numpy(dtype=np.float64)[valid]
    else:
        y = np.zeros((int(valid.sum()), 0), dtype=np.float64)
    rows = np.flatnonzero(valid).astype(np.int64)
    return MoleculeDataset(
        name=spec.name,
        smiles=[raw[i] for i in rows],
        smiles_std=[smiles_std[i] for i in rows],
        y=y,
        tasks=tasks,
        task_type=spec.task_type,
        rows=rows,
        invalid=invalid,
        sha256=digest,
        path=path,
        spec=spec,
    )


def load_affinity(
    name: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    standardizer: Standardizer | None | object = _DEFAULT,
    use_cache: bool = True,
) -> AffinityDataset:
    """Load a drug-target affinity dataset (``"davis"`` or ``"kiba"``).

    DAVIS values are pKd = -log10(Kd / 1e9) computed from ``kd_nM`` (Kd = 10,000 nM, pKd = 5,
    means no binding was measured); KIBA values are KIBA scores. Drugs whose SMILES fail to
    parse are kept (their pairs too) and listed in ``invalid_drugs`` with a logged warning.

    Raises
    ------
    DatasetError
        For a non-affinity dataset, missing columns, or pairs naming unknown drugs/targets.
    """
    spec = get_spec(name)
    if spec.kind != "affinity":
        raise DatasetError(
            f"{spec.name} is not drug-target affinity data; use load_dataset({spec.name!r})"
        )
    drugs_path, targets_path, aff_path = ensure_files(spec, data_dir)
    drugs = _read_csv(drugs_path, dtype=str, keep_default_na=False)
    targets = _read_csv(targets_path, dtype=str, keep_default_na=False)
    aff = _read_csv(aff_path, dtype={"drug_id": str, "target_id": str})
    for path, frame, entry in zip(
        (drugs_path, targets_path, aff_path), (drugs, targets, aff), spec.files, strict=True
    ):
        missing = [c for c in entry.columns if c not in frame.columns]
        if missing:
            raise DatasetError(f"{path}: missing column(s) {missing}")

    drug_pos = {d: i for i, d in enumerate(drugs["drug_id"])}
    target_pos = {t: i for i, t in enumerate(targets["target_id"])}
    drug_idx = aff["drug_id"].map(drug_pos)
    target_idx = aff["target_id"].map(target_pos)
    if drug_idx.isna().any() or target_idx.isna().any():
        raise DatasetError(
            f"{aff_path}: pairs name drugs or targets missing from drugs.csv/targets.csv"
        )
    if spec.name == "davis":
        raw_value = aff["kd_nM"].to_numpy(dtype=np.float64)
        value = -np.log10(raw_value / 1e9)
    else:
        raw_value = None
        value = aff[spec.tasks[0].name].to_numpy(dtype=np.float64)
    keep = np.isfinite(value)
    if not keep.all():
        logger.warning(
            "%s: %d pairs without a finite value left out", spec.name, int((~keep).sum())
        )

    smiles = drugs["smiles"].tolist()
    _, errors = parse_column(
        smiles, _dataset_policy(standardizer), sha256=sha256_file(drugs_path), use_cache=use_cache
    )
    invalid = [InvalidRow(i, smiles[i], e) for i, e in enumerate(errors) if e]
    _summarize_invalid(spec.name, invalid, len(smiles))
    return AffinityDataset(
        name=spec.name,
        drug_ids=drugs["drug_id"].tolist(),
        drug_smiles=smiles,
        target_ids=targets["target_id"].tolist(),
        target_sequences=targets["sequence"].tolist(),
        drug_idx=drug_idx.to_numpy(dtype=np.int64)[keep],
        target_idx=target_idx.to_numpy(dtype=np.int64)[keep],
        value=value[keep],
        task=spec.tasks[0],
        invalid_drugs=invalid,
        sha256={p.name: sha256_file(p) for p in (drugs_path, targets_path, aff_path)},
        raw_value=None if raw_value is None else raw_value[keep],
    )


# ----------------------------------------------------------------------------- a user's own table

#: File names ``drugscreen train --dataset`` / a benchmark config reads as a user's own table.
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")
#: Words that make a column an identifier rather than a label when ``targets`` is not given:
#: ``Compound ID``, ``Drug Name``, ``CAS``, ``chembl_id``, ``InChIKey``, ``Title`` ...
_ID_WORDS = frozenset({"id", "ids", "name", "names", "title", "cas", "casrn", "inchikey", "inchi", "chembl", "identifier", "code"})


def _is_id_column(column: str) -> bool:
    """Whether a column's name says it holds identifiers (not labels)."""
    return bool(_ID_WORDS.intersection(re.split(r"[\s_\-.:/()]+", column.strip().lower())))


def _is_unnamed_column(column: str) -> bool:
    """Whether the header left the column without a name (pandas reads it as ``Unnamed: 0``):
    most often the row index a ``DataFrame.to_csv()`` wrote, never a label to learn."""
    return not column.strip() or re.fullmatch(r"Unnamed: \d+(_level_\d+)?", column) is not None


#: Other data files a user may give as a training table: refused with a clear message (they were
#: read as an unknown dataset name, or as CSV text).
_OTHER_SUFFIXES = (".parquet", ".pq", ".feather", ".xlsx", ".xls", ".sdf", ".sdf.gz", ".smi", ".smiles", ".json", ".pkl")


def is_table_path(name: str | os.PathLike[str]) -> bool:
    """Whether a ``--dataset`` entry names a file (a user's table) rather than a registered dataset."""
    text = os.fspath(name)
    return text.lower().endswith(TABLE_SUFFIXES + _OTHER_SUFFIXES) or os.sep in text or "/" in text


def unreadable_table_format(name: str | os.PathLike[str]) -> str:
    """Why a file cannot be trained on as a table ("" when its suffix is one :func:`load_table` reads
    or none of the known other data formats)."""
    text = os.fspath(name).lower()
    other = next((x for x in _OTHER_SUFFIXES if text.endswith(x)), None)
    if other is None or text.endswith(TABLE_SUFFIXES):
        return ""
    return (f"{os.fspath(name)}: a training table is a .csv or .tsv file (gzipped too), not {other}; "
            "save it as CSV with a SMILES column and label columns")


def table_name(path: str | os.PathLike[str]) -> str:
    """The dataset name of a user's table: its file name without suffixes, in snake case."""
    stem = Path(os.fspath(path)).name
    for suffix in sorted(TABLE_SUFFIXES, key=len, reverse=True):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return snake_name(stem) or "table"


def _pick_smiles_column(columns: list[str], given: str | None, path: Path) -> str:
    """The SMILES column, found as the Screener finds it in an input table (:mod:`drugscreen.io`)."""
    from drugscreen.exceptions import InputFormatError
    from drugscreen.io.formats import SMILES_COLUMN_NAMES
    from drugscreen.io.tables import find_column

    try:
        found = find_column(columns, given, SMILES_COLUMN_NAMES, "smiles", required=True)
    except InputFormatError as exc:
        other = next((sep for sep in (";", "\t", "|") if len(columns) == 1 and sep in columns[0]), None)
        hint = (f"; the header reads as one column: the file seems separated by {other!r}, not by commas: "
                "save it with commas (or tabs, as .tsv)") if other else ""
        raise DatasetError(f"{path}: {exc}{hint}") from None
    assert found is not None  # required=True finds one or raises
    return found


def _numeric_labels(df: pd.DataFrame, column: str, path: Path, chosen: bool = False) -> np.ndarray:
    """The column's labels as float64 (NaN = empty); text is refused with what to do about it
    (``chosen``: the user named the column with ``targets``, so it is not suggested again)."""
    import pandas as pd

    values = pd.to_numeric(df[column], errors="coerce")
    bad = values.isna() & df[column].notna() & (df[column].astype(str).str.strip() != "")
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())
        shown = ", ".join(f"row {r}: {df[column].iloc[r]!r}" for r in rows[:3])
        words = sorted({str(v).strip() for v in df[column][bad]})
        comma = [w for w in words if re.fullmatch(r"[+-]?\d*,\d+(?:[eE][+-]?\d+)?", w)]
        if len(comma) == len(words):  # a spreadsheet's decimal commas (5,0), or thousands separators (1,500)
            what = (f"numbers written with commas ({comma[0]}): save the table with decimal points and no thousands "
                    "separators")
        elif len(words) == 2 and values.notna().sum() == 0:  # yes/no, active/inactive: classes written as words
            what = (f"if {words[0]!r} and {words[1]!r} are classes, write them as 0 and 1 (1 = the active class); "
                    "an empty cell = not measured")
        else:
            what = "an empty cell = not measured" + ("" if chosen else "; choose the label columns with --targets")
        raise DatasetError(
            f"{path}: column {column!r} holds {len(rows)} non-numeric value(s) ({shown}); labels must be numbers "
            f"(0/1 for classification); {what}"
        )
    out = values.to_numpy(dtype=np.float64)
    if not np.isfinite(out[~np.isnan(out)]).all():
        raise DatasetError(f"{path}: column {column!r} holds an infinite value")
    return out


def _report_id_columns(df: pd.DataFrame, id_cols: list[str], path: Path) -> None:
    """Say which columns were left out as identifiers; warn about those holding only numbers
    (``Activity code`` with 0/1 values may be a label: its name alone decided)."""
    import pandas as pd

    if not id_cols:
        return
    numeric = []
    for c in id_cols:
        col = df[c]
        given = col.notna() & (col.astype(str).str.strip() != "")
        if given.any() and pd.to_numeric(col[given], errors="coerce").notna().all():
            numeric.append(c)
    if numeric:
        logger.warning(
            "%s: column(s) %s left out as identifiers (their names hold id, name, code, ...) though they hold only "
            "numbers; if they are labels, name every label column with --targets", path.name, ", ".join(map(repr, numeric)),
        )
    others = [c for c in id_cols if c not in numeric]
    if others:
        logger.info("%s: identifier column(s) %s are not labels", path.name, ", ".join(map(repr, others)))


def _refuse_two_valued(labels: np.ndarray, target_cols: list[str], path: Path) -> None:
    """Refuse to infer regression for a column holding exactly two values (classes coded e.g.
    -1/1 or 1/2 would be trained as numbers): ``task_type`` decides."""
    for j, c in enumerate(target_cols):
        col = labels[:, j][~np.isnan(labels[:, j])]
        values = np.unique(col)
        if len(col) > 2 and len(values) == 2:
            raise DatasetError(
                f"{path}: column {c!r} holds only the values {values[0]:g} and {values[1]:g}: if they are classes, "
                "write them as 0 and 1 (1 = active); if they are measurements, give --task-type regression"
            )


def _table_header(path: Path, smiles_column: str | None, targets: list[str] | None) -> tuple[str | None, str, str]:
    """Check what a table's header decides (a readable file, distinct column names, the SMILES
    column, the named targets present) and return ``(sep, engine, smiles column)`` for reading it."""
    if unreadable_table_format(path):
        raise DatasetError(unreadable_table_format(path))
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    lower = path.name.lower()
    sep: str | None = "\t" if lower.endswith((".tsv", ".tsv.gz")) else ("," if lower.endswith((".csv", ".csv.gz")) else None)
    engine = "python" if sep is None else "c"
    # The header as written (pandas would read a second 'name' as 'name.1', a label of its own):
    raw_header = _read_csv(path, sep=sep, engine=engine, header=None, nrows=1, dtype=str, keep_default_na=False,
                           encoding="utf-8-sig")
    header = [str(c) for c in raw_header.iloc[0].tolist()] if len(raw_header) else []
    named = [c for c in header if c.strip()]
    twice = sorted({c for c in named if named.count(c) > 1})
    if twice:
        raise DatasetError(f"{path}: the header names column(s) {', '.join(map(repr, twice))} more than once; "
                           "give each column its own name")
    # names distinct, so pandas names each column as written (an empty one 'Unnamed: <i>')
    columns = [c if c else f"Unnamed: {i}" for i, c in enumerate(header)]
    smi = _pick_smiles_column(columns, smiles_column, path)
    missing = [t for t in targets or [] if t not in columns]
    if missing:
        from drugscreen.messages import did_you_mean

        hint = "".join(did_you_mean(t, columns, n=1) for t in missing)  # column names are matched exactly
        raise DatasetError(f"{path}: no target column(s) {missing}{hint}; columns: {', '.join(columns)}")
    return sep, engine, smi


def check_table_columns(path: str | os.PathLike[str], *, smiles_column: str | None = None,
                        targets: list[str] | None = None) -> None:
    """Refuse, from its header alone, a table :func:`load_table` would refuse for its columns: no
    such file, a column named twice, no (or an ambiguous) SMILES column, a named target column
    missing; the same messages. ``drugscreen benchmark`` checks each table so before any cell runs.

    Raises
    ------
    DatasetError
        As :func:`load_table` does for these.
    """
    _table_header(Path(path), smiles_column, targets)


def load_table(
    path: str | os.PathLike[str],
    *,
    smiles_column: str | None = None,
    targets: list[str] | None = None,
    task_type: str | None = None,
    name: str | None = None,
    invalid_dir: str | os.PathLike[str] | None = None,
    standardizer: Standardizer | None | object = _DEFAULT,
    use_cache: bool = True,
) -> MoleculeDataset:
    """Load a user's own labelled table (CSV/TSV, optionally gzipped) as a dataset.

    Molecules are parsed and standardized as the Screener does (the screening policy,
    :data:`~drugscreen.featurizers.molecule.DEFAULT_STANDARDIZER`): inorganic salts and mixtures
    (``[Na+].[Cl-]``, which the registered datasets' policy keeps as hydrogen chloride), radicals
    and over-charged atoms are refused and listed in ``invalid`` with their reasons, as
    unparsable SMILES are, so the model learns only molecules its bundle will score. Molecules whose
    standardized SMILES are equal (duplicates, salt forms of one parent) are merged into one
    row so that no molecule can sit on both sides of a split: regression labels are averaged;
    a classification label on which the copies disagree becomes missing (NaN). Both are counted
    in a logged warning. A molecule with no label at all (every label cell of its rows empty:
    not measured) is left out too, its rows counted in a warning that names them: it would take
    a place in the split and in the applicability domain without anything to learn or score.

    Parameters
    ----------
    path
        The file. The delimiter is taken from the suffix (``.tsv`` tab, else sniffed).
    smiles_column
        Column holding the SMILES (default: the one column named ``smiles``,
        ``canonical_smiles`` or ``smi`` in any case).
    targets
        Label columns (default: every column but the SMILES column and identifier columns, whose
        name is or holds a word such as id, name, code, title, CAS, ChEMBL or InChIKey; those
        left out are logged, with a warning for one holding only numbers).
        An empty cell is a missing label.
    task_type
        ``"classification"`` (labels 0/1) or ``"regression"``; default: classification when every
        label is 0 or 1, else regression; a table mixing 0/1 and other columns, or with a column
        of exactly two values other than 0 and 1 (classes coded -1/1?), is refused instead.
    name
        Dataset name (default: the file name without suffixes, see :func:`table_name`).
    invalid_dir
        A folder to write the rows left out to, as ``<invalid_dir>/<name>.invalid.csv`` (row,
        SMILES, reason), which the warning then names (``drugscreen train`` gives its output
        folder); none written when every row is used.
    standardizer
        Standardization policy (default: the screening policy, see above); ``None`` parses only.
    use_cache
        As for :func:`load_dataset`.

    Raises
    ------
    DatasetError
        A missing or unreadable file, no (or an ambiguous) SMILES column, no label column, an
        unknown, non-numeric or entirely empty label column, classification labels other than
        0/1, a task type that cannot be inferred (see ``task_type``), or no valid molecule.
    """
    path = Path(path)
    if task_type not in (None, "classification", "regression"):
        raise DatasetError(f"task_type must be classification or regression, not {task_type!r}")
    sep, engine, smi = _table_header(path, smiles_column, targets)
    df = _read_csv(path, sep=sep, engine=engine, dtype={smi: str}, keep_default_na=True, encoding="utf-8-sig")
    df.columns = columns = [str(c) for c in df.columns]
    if not len(df):
        raise DatasetError(f"{path}: the table has a header ({', '.join(columns)}) but no rows")
    if targets:
        target_cols = list(dict.fromkeys(targets))
        if smi in target_cols:
            raise DatasetError(f"{path}: {smi!r} is the SMILES column, not a target")
        id_cols: list[str] = []
    else:
        unnamed = [c for c in columns if c != smi and _is_unnamed_column(c)]
        if unnamed:
            logger.info("%s: the header names no column number %s (counting from 1; a saved row index?): not a label "
                        "(to learn one, name it in the header and give --targets)", path.name,
                        ", ".join(str(columns.index(c) + 1) for c in unnamed))
        id_cols = [c for c in columns if c != smi and c not in unnamed and _is_id_column(c)]
        target_cols = [c for c in columns if c != smi and c not in id_cols and c not in unnamed]
        _report_id_columns(df, id_cols, path)
    if not target_cols:
        skipped = f" (left out as identifiers by their names: {', '.join(id_cols)})" if id_cols else ""
        raise DatasetError(f"{path}: no label column besides {smi!r}{skipped}; columns: {', '.join(columns)}; "
                           "name the label columns with --targets")
    labels = np.column_stack([_numeric_labels(df, c, path, chosen=bool(targets)) for c in target_cols])
    empty = [c for j, c in enumerate(target_cols) if np.isnan(labels[:, j]).all()]
    if empty:
        raise DatasetError(f"{path}: target column(s) {empty} hold no value; leave them out with --targets")
    observed = labels[~np.isnan(labels)]
    binary = bool(np.isin(observed, (0.0, 1.0)).all())
    if task_type is None and not binary:
        zero_one = [c for j, c in enumerate(target_cols) if np.isin(labels[:, j][~np.isnan(labels[:, j])], (0.0, 1.0)).all()]
        if zero_one:
            others = [c for c in target_cols if c not in zero_one]
            raise DatasetError(
                f"{path}: column(s) {zero_one} hold only 0/1 (classification) but {others} do not (regression); "
                "a dataset has one task type: choose the columns of one kind with --targets, or give --task-type"
            )
    if task_type is None and not binary:
        _refuse_two_valued(labels, target_cols, path)
    if task_type is None:
        task_type = "classification" if binary else "regression"
        logger.info("%s: %s labels (%s), as inferred from the values; --task-type to choose",
                    path.name, task_type, "all 0/1" if binary else "not all 0/1")
    elif task_type == "classification" and not binary:
        bad = sorted({float(v) for v in observed if v not in (0.0, 1.0)})[:3]
        raise DatasetError(f"{path}: classification labels must be 0 or 1, found {bad}")
    if task_type == "regression":
        for j, c in enumerate(target_cols):
            col = labels[:, j][~np.isnan(labels[:, j])]
            if len(col) and col.min() > 0 and col.max() / col.min() >= 1000:
                logger.warning(
                    "%s: %r spans %.3g to %.3g, over three orders of magnitude: if it is a concentration "
                    "(IC50, Ki in µM or nM), train on a log scale instead (pIC50 = 6 - log10(IC50 / µM)); "
                    "the model's RMSE is in this column's units", path.name, c, col.min(), col.max(),
                )

    digest = sha256_file(path)
    raw = df[smi].fillna("").astype(str).tolist()
    smiles_std, errors = parse_column(raw, _table_policy(standardizer), sha256=digest, use_cache=use_cache)
    name = name or table_name(path)
    invalid = [InvalidRow(i, raw[i], errors[i]) for i, e in enumerate(errors) if e]
    # merge molecules with one standardized structure
    groups: dict[str, list[int]] = {}
    for i, s in enumerate(smiles_std):
        if not errors[i]:
            groups.setdefault(s, []).append(i)
    any_valid = bool(groups)
    # a molecule whose every row leaves every label cell empty (not measured) has nothing to learn
    # from: left out and counted, so that it takes no place in a split, the domain or the ranges
    unlabelled_rows = sorted(i for rows in groups.values() if np.isnan(labels[rows]).all() for i in rows)
    groups = {s: rows for s, rows in groups.items() if not np.isnan(labels[rows]).all()}
    shown_cols = ", ".join(target_cols[:3]) + (f", ... ({len(target_cols)} columns)" if len(target_cols) > 3 else "")
    listed_in = None
    if invalid_dir is not None:
        target = Path(invalid_dir) / f"{name}.invalid.csv"
        try:
            if invalid:
                listed_in = write_invalid_rows(invalid, target, path)
            else:
                target.unlink(missing_ok=True)  # an earlier copy's list would outlive its rows
        except OSError as exc:
            logger.warning("%s: could not write the rows left out to %s: %s", name, target, exc)
    _summarize_invalid(name, invalid, len(raw), path, listed_in)
    if unlabelled_rows:
        shown = ", ".join(str(i) for i in unlabelled_rows[:10]) + (", ..." if len(unlabelled_rows) > 10 else "")
        logger.warning("%s: %d of %d rows of %s hold no label (%s empty: not measured) and are left out (rows count "
                       "from 0 after the header): %s %s", name, len(unlabelled_rows), len(raw), path, shown_cols,
                       "row" if len(unlabelled_rows) == 1 else "rows", shown)
    if not groups:  # raised once the rows left out are logged and listed
        raise DatasetError(f"{path}: no valid molecule {'with a label ' if any_valid else ''}in {len(raw)} rows")
    first = [rows[0] for rows in groups.values()]
    y = np.full((len(first), len(target_cols)), np.nan)
    n_dup = n_conflict = 0
    spread = 0.0
    example = ""
    for k, rows in enumerate(groups.values()):
        block = labels[rows]
        if len(rows) > 1:
            n_dup += len(rows) - 1
        for j in range(len(target_cols)):
            vals = block[:, j][~np.isnan(block[:, j])]
            if not len(vals):
                continue
            if task_type == "classification" and len(set(vals.tolist())) > 1:
                n_conflict += 1
                example = example or f"rows {', '.join(map(str, rows[:4]))} ({target_cols[j]})"
                continue
            y[k, j] = float(vals.mean())
            spread = max(spread, float(vals.max() - vals.min()))
    if n_dup:
        if task_type == "regression":
            detail = f"labels averaged (largest spread within a molecule {spread:.3g})"
        elif n_conflict:
            detail = f"{n_conflict} label(s) on which the copies disagree set missing, e.g. {example}"
        else:
            detail = "their labels agree"
        logger.warning("%s: %d duplicate row(s) (same standardized molecule) merged into the first; %s",
                       name, n_dup, detail)
    still_empty = [c for j, c in enumerate(target_cols) if np.isnan(y[:, j]).all()]
    if still_empty:
        raise DatasetError(f"{path}: target column(s) {still_empty} hold no usable label after merging duplicates")
    tasks = [TaskSpec(c, task_type, "1 = active" if task_type == "classification" else "", "neutral")  # type: ignore[arg-type]
             for c in target_cols]
    logger.info("%s: %d molecules (%d rows, %d invalid, %s%d duplicates merged), %d %s task(s): %s",
                name, len(first), len(raw), len(invalid),
                f"{len(unlabelled_rows)} without a label, " if unlabelled_rows else "", n_dup, len(tasks), task_type,
                ", ".join(target_cols))
    return MoleculeDataset(
        name=name,
        smiles=[raw[i] for i in first],
        smiles_std=[smiles_std[i] for i in first],
        y=y,
        tasks=tasks,
        task_type=task_type,
        rows=np.asarray(first, dtype=np.int64),
        invalid=invalid,
        sha256=digest,
        path=path,
        load_stats={"n_rows": len(raw), "n_invalid": len(invalid), "n_duplicates_merged": n_dup,
                    "n_labels_conflicting": n_conflict} | ({"n_unlabelled": len(unlabelled_rows)} if unlabelled_rows else {}),
    )
