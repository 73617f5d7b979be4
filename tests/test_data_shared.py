"""Every registered dataset loads from ../shared/datasets with the registry's row counts, and
the scaffold split equals DeepChem's on BBBP. Skipped when DRUGSCREEN_DATA_DIR is absent."""

from __future__ import annotations

import numpy as np
import pytest

from drugscreen.data import DATASETS, get_spec, load_affinity, load_dataset
from drugscreen.data.files import sha256_file, verify_file

pytestmark = pytest.mark.shared_data

MOLECULE_SETS = [n for n in DATASETS.names() if get_spec(n).kind != "affinity"]


@pytest.mark.parametrize("name", DATASETS.names())
def test_shared_files_match_recorded_checksums(name, shared_data_dir):
    spec = get_spec(name)
    if spec.kind == "library":
        from drugscreen.data.approved import approved_drugs_path

        assert sha256_file(approved_drugs_path()) == spec.sha256["shared"]
        return
    for entry in spec.files:
        assert verify_file(shared_data_dir / entry.path, entry) == entry.sha256["shared"]


@pytest.mark.parametrize("name", MOLECULE_SETS)
def test_molecule_dataset_loads_with_expected_rows(name, shared_data_dir):
    spec = get_spec(name)
    ds = load_dataset(name, data_dir=shared_data_dir)
    assert len(ds) + len(ds.invalid) == spec.rows
    assert len(ds.invalid) < 0.02 * spec.rows
    assert ds.y.shape == (len(ds), spec.n_tasks)
    assert len(ds.smiles) == len(ds.smiles_std) == len(ds.rows)
    if ds.task_type == "classification":
        labels = ds.y[~np.isnan(ds.y)]
        assert set(np.unique(labels).tolist()) <= {0.0, 1.0}


@pytest.mark.parametrize("name", ["davis", "kiba"])
def test_affinity_dataset_loads(name, shared_data_dir):
    spec = get_spec(name)
    ds = load_affinity(name, data_dir=shared_data_dir)
    assert len(ds) == spec.rows
    assert (ds.n_drugs, ds.n_targets) == (spec.files[0].rows, spec.files[1].rows)
    assert np.isfinite(ds.value).all()
    if name == "davis":
        assert ds.value.min() == pytest.approx(5.0)  # Kd = 10,000 nM floor
        np.testing.assert_allclose(ds.value, 9 - np.log10(ds.raw_value))


@pytest.mark.deepchem
def test_scaffold_split_matches_deepchem_on_bbbp(shared_data_dir):
    import deepchem as dc

    from drugscreen.data.splits import scaffold_split

    ds = load_dataset("bbbp", data_dir=shared_data_dir)
    ours = scaffold_split(ds.smiles)
    data = dc.data.NumpyDataset(X=np.zeros((len(ds), 1)), y=ds.y, ids=np.array(ds.smiles))
    train, valid, test = dc.splits.ScaffoldSplitter().split(data, 0.8, 0.1, 0.1)
    assert np.array_equal(np.sort(train), ours.train)
    assert np.array_equal(np.sort(valid), ours.valid)
    assert np.array_equal(np.sort(test), ours.test)
