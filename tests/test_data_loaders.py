"""load_dataset / load_affinity / approved_drugs on tiny files written by the tests."""

from __future__ import annotations

import gzip
import logging

import numpy as np
import pytest

from drugscreen.data import approved_drugs, load_affinity, load_dataset
from drugscreen.exceptions import DatasetError

BBBP = """smiles,p_np
CCO,1
C1=CC=CC=C1C(=O)O,0
CC(C)(C)C(C)(C)(C)(C)C,1
[Na+].CC(=O)[O-],
,1
c1ccccc1N,0
"""


@pytest.fixture(autouse=True)
def _tmp_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DRUGSCREEN_DATA_DIR", raising=False)


def _write(root, rel, text):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if rel.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def test_load_reports_invalid_rows_and_keeps_input_smiles(tmp_path, caplog):
    _write(tmp_path, "moleculenet/BBBP.csv", BBBP)
    with caplog.at_level(logging.WARNING, logger="drugscreen.data.loaders"):
        ds = load_dataset("bbbp", data_dir=tmp_path)
    assert ds.smiles == ["CCO", "C1=CC=CC=C1C(=O)O", "[Na+].CC(=O)[O-]", "c1ccccc1N"]
    assert ds.smiles_std[1] == "O=C(O)c1ccccc1"
    assert ds.smiles_std[2] == "CC(=O)O"  # salt stripped, neutralized
    assert ds.rows.tolist() == [0, 1, 3, 5]
    assert [(r.row, r.smiles) for r in ds.invalid] == [(2, "CC(C)(C)C(C)(C)(C)(C)C"), (4, "")]
    assert "valence" in ds.invalid[0].reason.lower()
    assert ds.invalid[1].reason == "empty SMILES"
    assert ds.y.dtype == np.float64 and ds.y.shape == (4, 1)
    assert np.isnan(ds.y[2, 0]) and ds.y[3, 0] == 0
    assert ds.task_names == ["p_np"] and ds.task_type == "classification"
    assert len(ds.sha256) == 64
    assert "2 of 6 molecules" in caplog.text


def test_parse_cache_gives_identical_result(tmp_path):
    _write(tmp_path, "moleculenet/BBBP.csv", BBBP)
    first = load_dataset("bbbp", data_dir=tmp_path)
    cached = list((tmp_path / "cache" / "parsed").iterdir())
    assert len(cached) == 1
    second = load_dataset("bbbp", data_dir=tmp_path)
    assert second.smiles_std == first.smiles_std and second.invalid == first.invalid
    np.testing.assert_array_equal(second.y, first.y)
    third = load_dataset("bbbp", data_dir=tmp_path, use_cache=False)
    assert third.smiles_std == first.smiles_std


def test_subset_and_frame(tmp_path):
    _write(tmp_path, "moleculenet/BBBP.csv", BBBP)
    ds = load_dataset("bbbp", data_dir=tmp_path)
    sub = ds.subset([3, 0])
    assert sub.smiles == ["c1ccccc1N", "CCO"] and sub.rows.tolist() == [5, 0]
    df = ds.to_frame()
    assert list(df.columns) == ["row", "smiles", "smiles_std", "p_np"] and len(df) == 4


def test_bace_uses_mol_column_and_two_specs(tmp_path):
    _write(tmp_path, "moleculenet/bace.csv", "mol,Class,pIC50\nCCO,1,7.5\nCCN,0,5.25\n")
    cls = load_dataset("bace_classification", data_dir=tmp_path)
    reg = load_dataset("bace_regression", data_dir=tmp_path)
    assert cls.y[:, 0].tolist() == [1.0, 0.0]
    assert reg.y[:, 0].tolist() == [7.5, 5.25] and reg.tasks[0].name == "pIC50"


def test_all_other_columns_tasks(tmp_path):
    _write(tmp_path, "moleculenet/toxcast_data.csv.gz", "smiles,A,B\nCCO,0,\nCCN,1,0\n")
    with pytest.raises(DatasetError, match="2 task columns, expected 617"):
        load_dataset("toxcast", data_dir=tmp_path)


def test_missing_column_and_bad_label(tmp_path):
    _write(tmp_path, "moleculenet/BBBP.csv", "smiles,other\nCCO,1\n")
    with pytest.raises(DatasetError, match="missing column"):
        load_dataset("bbbp", data_dir=tmp_path)
    _write(tmp_path, "moleculenet/BBBP.csv", "smiles,p_np\nCCO,yes\n")
    with pytest.raises(DatasetError, match="non-numeric"):
        load_dataset("bbbp", data_dir=tmp_path)


def test_affinity_loader_and_kind_errors(tmp_path):
    _write(tmp_path, "dti/kiba/drugs.csv", "drug_id,smiles\nD1,CCO\nD2,C1CC\n")
    _write(tmp_path, "dti/kiba/targets.csv", "target_id,sequence\nP1,MKV\nP2,MAA\n")
    _write(
        tmp_path,
        "dti/kiba/affinities.csv.gz",
        "drug_id,target_id,kiba_score\nD1,P2,11.5\nD2,P1,12.0\n",
    )
    ds = load_affinity("kiba", data_dir=tmp_path)
    assert ds.drug_idx.tolist() == [0, 1] and ds.target_idx.tolist() == [1, 0]
    assert ds.value.tolist() == [11.5, 12.0]
    d, t, v = ds.pairs
    assert len(d) == len(t) == len(v) == 2
    assert [r.row for r in ds.invalid_drugs] == [1]  # unclosed ring
    with pytest.raises(DatasetError, match="load_affinity"):
        load_dataset("kiba", data_dir=tmp_path)
    with pytest.raises(DatasetError, match="load_dataset"):
        load_affinity("bbbp", data_dir=tmp_path)


def test_affinity_unknown_ids_are_an_error(tmp_path):
    _write(tmp_path, "dti/kiba/drugs.csv", "drug_id,smiles\nD1,CCO\n")
    _write(tmp_path, "dti/kiba/targets.csv", "target_id,sequence\nP1,MKV\n")
    _write(tmp_path, "dti/kiba/affinities.csv.gz", "drug_id,target_id,kiba_score\nD9,P1,11.5\n")
    with pytest.raises(DatasetError, match="missing from drugs.csv"):
        load_affinity("kiba", data_dir=tmp_path)


def test_approved_drugs_shipped():
    df = approved_drugs()
    assert len(df) == 2628
    assert list(df.columns) == [
        "molecule_chembl_id",
        "pref_name",
        "first_approval",
        "molecule_type",
        "smiles",
    ]
    assert str(df["first_approval"].dtype) == "Int64"
    assert (df["molecule_chembl_id"] == "CHEMBL3").any()


def test_lazy_top_level_exports():
    import drugscreen

    assert drugscreen.load_dataset is load_dataset
    assert drugscreen.approved_drugs is approved_drugs
