"""Datasets: the registry, download/cache, loaders, splits and the approved-drug library.

>>> from drugscreen.data import load_dataset, DATASETS
>>> DATASETS.names()[:3]
['approved_drugs', 'bace_classification', 'bace_regression']
>>> ds = load_dataset("bbbp")          # doctest: +SKIP
>>> from drugscreen.data.splits import scaffold_split
>>> split = scaffold_split(ds.smiles)  # doctest: +SKIP

The data directory is ``data_dir``, else ``$DRUGSCREEN_DATA_DIR``, else ``~/.cache/drugscreen``;
see :mod:`drugscreen.data.files`. pandas and RDKit are imported only when data are loaded.
"""

from drugscreen.data.approved import approved_drugs
from drugscreen.data.catalog import DATASETS, get_spec
from drugscreen.data.files import (
    DATA_DIR_ENV,
    fetch_dataset,
    is_available,
    resolve_data_dir,
    sha256_file,
)
from drugscreen.data.loaders import (
    AffinityDataset,
    InvalidRow,
    MoleculeDataset,
    is_table_path,
    load_affinity,
    load_dataset,
    load_table,
)
from drugscreen.data.specs import DataFile, DatasetSpec, TaskSpec

__all__ = [
    "DATASETS",
    "DATA_DIR_ENV",
    "AffinityDataset",
    "DataFile",
    "DatasetSpec",
    "InvalidRow",
    "MoleculeDataset",
    "TaskSpec",
    "approved_drugs",
    "fetch_dataset",
    "get_spec",
    "is_available",
    "is_table_path",
    "load_affinity",
    "load_dataset",
    "load_table",
    "resolve_data_dir",
    "sha256_file",
]
