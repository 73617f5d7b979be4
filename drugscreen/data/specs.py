"""What a dataset is: its files, columns, tasks, units, licence and citation.

These are plain frozen dataclasses with no heavy imports, so listing the registry
(``drugscreen datasets list``) costs nothing. The entries themselves live in
:mod:`drugscreen.data.catalog`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

TaskType = Literal["classification", "regression"]
Direction = Literal["higher", "lower", "neutral"]
Kind = Literal["molecule", "affinity", "library"]

__all__ = ["DataFile", "DatasetSpec", "Direction", "Kind", "TaskSpec", "TaskType"]


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """One prediction target.

    Attributes
    ----------
    name
        The column name in the data file (e.g. ``"NR-AR"``, ``"p_np"``).
    type
        ``"classification"`` (labels 0/1) or ``"regression"``.
    units
        Units of a regression target (``"log10(mol/L)"``, ``"kcal/mol"``), or what the positive
        class means for a classification target (``"1 = active"``).
    direction
        Which way is desirable for a drug candidate: ``"higher"`` (efficacy: activity,
        approval), ``"lower"`` (toxicity, side effects) or ``"neutral"`` (ADME properties whose
        desirable value depends on the project, e.g. logD or brain penetration).
    """

    name: str
    type: TaskType
    units: str = ""
    direction: Direction = "neutral"

    def to_dict(self) -> dict[str, str]:
        """The task as a JSON-able dict (for bundles and run records)."""
        return {
            "name": self.name,
            "type": self.type,
            "units": self.units,
            "direction": self.direction,
        }


@dataclass(frozen=True, slots=True)
class DataFile:
    """One file of a dataset, where it lives in the data directory and where it comes from.

    Attributes
    ----------
    path
        Path relative to the data directory (``"moleculenet/tox21.csv.gz"``), the same layout
        as ``../shared/datasets``.
    url
        The public source. For MoleculeNet files the canonical DeepChem S3 URL; for DAVIS/KIBA
        files that are converted on download, ``None`` (see :attr:`DatasetSpec.sources`).
    sha256
        Known checksums of acceptable copies, keyed by source (``"shared"`` = the copy in
        ``../shared/datasets``). A file whose checksum matches none of these is still accepted
        when its columns and row count check out (see :func:`drugscreen.data.files.verify_file`),
        because the checksum of a fresh canonical download cannot be known offline.
    columns
        Columns the file must have.
    rows
        Data rows (header excluded) in the reference copy.
    """

    path: str
    url: str | None
    sha256: dict[str, str] = field(default_factory=dict)
    columns: tuple[str, ...] = ()
    rows: int | None = None

    @property
    def filename(self) -> str:
        """The file's name without its folder."""
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    """A named dataset: files, columns, tasks, units, provenance.

    Attributes
    ----------
    name
        Registry name (``"tox21"``, ``"bace_regression"``).
    kind
        ``"molecule"`` (SMILES + labels, :func:`~drugscreen.data.load_dataset`), ``"affinity"``
        (drug-target pairs, :func:`~drugscreen.data.load_affinity`) or ``"library"`` (a list of
        molecules without labels).
    description
        One line saying what the data measure.
    category
        ``"toxicity"``, ``"efficacy"``, ``"adme"``, ``"affinity"`` or ``"library"``.
    files
        The files that make it up, in the data directory's layout.
    smiles_column
        Column holding the SMILES (``"mol"`` for BACE).
    tasks
        Task columns, in order. Empty with ``all_other_columns=True`` means every column but
        the SMILES column (SIDER: 27, ToxCast: 617), checked against ``n_tasks``.
    task_type
        ``"classification"`` or ``"regression"``; every task of one dataset shares it.
    n_tasks
        Number of tasks.
    rows
        Data rows in the reference copy (``../shared/datasets``); for affinity data the number
        of measured pairs.
    transform
        How raw values become labels, if they are changed (``"pKd = -log10(Kd / 1e9)"``).
    sources
        Upstream files (URLs) that a download fetches, when they differ from ``files`` (DAVIS and
        KIBA are converted from DeepDTA's files into the ``drugs/targets/affinities`` layout).
    license, citation
        Terms and the reference to cite.
    notes
        Anything a user must know (e.g. "Kd = 10,000 nM means no binding measured").
    """

    name: str
    kind: Kind
    description: str
    category: str
    files: tuple[DataFile, ...]
    smiles_column: str = "smiles"
    tasks: tuple[TaskSpec, ...] = ()
    task_type: TaskType | None = None
    n_tasks: int = 0
    rows: int | None = None
    transform: str = ""
    all_other_columns: bool = False
    sources: tuple[str, ...] = ()
    license: str = ""
    citation: str = ""
    notes: str = ""

    @property
    def url(self) -> str | None:
        """The public source URL of the main file (or the first upstream source)."""
        if self.files and self.files[0].url:
            return self.files[0].url
        return self.sources[0] if self.sources else None

    @property
    def filename(self) -> str:
        """Path of the main file relative to the data directory."""
        return self.files[0].path

    @property
    def sha256(self) -> dict[str, str]:
        """Known checksums of the main file, keyed by source."""
        return dict(self.files[0].sha256)

    @property
    def task_names(self) -> list[str]:
        """Task column names (empty until the file is read when ``all_other_columns``)."""
        return [t.name for t in self.tasks]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able summary (``drugscreen datasets info --json``)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "category": self.category,
            "files": [
                {
                    "path": f.path,
                    "url": f.url,
                    "sha256": dict(f.sha256),
                    "columns": list(f.columns),
                    "rows": f.rows,
                }
                for f in self.files
            ],
            "sources": list(self.sources),
            "smiles_column": self.smiles_column,
            "task_type": self.task_type,
            "n_tasks": self.n_tasks,
            "tasks": [t.to_dict() for t in self.tasks],
            "rows": self.rows,
            "transform": self.transform,
            "license": self.license,
            "citation": self.citation,
            "notes": self.notes,
        }
