"""Batch API: order, one result or error per input, processes, error policy, silence."""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem

from drugscreen.exceptions import InvalidMoleculeError, InvalidSequenceError
from drugscreen.featurizers import (
    GraphFeaturizer,
    MorganFingerprint,
    ProteinIntegerEncoder,
    featurize,
)

SMILES = ["CCO", "xyz", "c1ccccc1O", "", "CC(=O)[O-].[Na+]", "C1CC", "[*]CC", "CN1CCC[C@H]1c1cccnc1"] * 5


def test_order_and_error_slots() -> None:
    fp = MorganFingerprint(n_bits=128)
    res = featurize(SMILES, fp, chunk_size=3)
    assert len(res) == len(SMILES)
    valid = [s in ("CCO", "c1ccccc1O", "CC(=O)[O-].[Na+]", "CN1CCC[C@H]1c1cccnc1") for s in SMILES]
    assert res.valid.tolist() == valid
    for feat, err, std in zip(res.features, res.errors, res.smiles_std, strict=True):
        if feat is None:
            assert err and std == ""
        else:
            assert err == ""
            np.testing.assert_array_equal(feat, fp(Chem.MolFromSmiles(std)))
    assert res.smiles_std[4] == "CC(=O)O"
    X, rows = res.stack()
    assert X.shape == (sum(valid), 128) and rows.tolist() == [i for i, v in enumerate(valid) if v]
    assert res.n_invalid == len(SMILES) - sum(valid)


def test_n_jobs_two_equals_one() -> None:
    g = GraphFeaturizer()
    one = featurize(SMILES, g, chunk_size=7, n_jobs=1)
    two = featurize(SMILES, g, chunk_size=7, n_jobs=2)
    assert one.errors == two.errors and one.smiles_std == two.smiles_std
    for a, b in zip(one.features, two.features, strict=True):
        if a is None:
            assert b is None
        else:
            np.testing.assert_array_equal(a.x, b.x)
            np.testing.assert_array_equal(a.edge_index, b.edge_index)
            np.testing.assert_array_equal(a.edge_attr, b.edge_attr)


def test_raise_on_first_error_names_index() -> None:
    with pytest.raises(InvalidMoleculeError) as info:
        featurize(["CCO", "CCO", "C1CC", "xyz"], MorganFingerprint(), ignore_errors=False)
    assert info.value.index == 2 and "unclosed ring" in info.value.reason


def test_mol_inputs_and_return_mols() -> None:
    mols = [Chem.MolFromSmiles("CC[O-].[K+]"), Chem.MolFromSmiles("c1ccccc1")]
    res = featurize(mols, GraphFeaturizer(), return_mols=True)
    assert res.smiles_std == ["CCO", "c1ccccc1"]
    assert [m.GetNumAtoms() for m in res.mols] == [3, 6]


def test_featurizer_failure_is_isolated() -> None:
    class Picky:
        input_kind = "molecule"

        def __call__(self, mol: Chem.Mol) -> int:
            if mol.GetNumAtoms() == 1:
                raise ValueError("too small")
            return mol.GetNumAtoms()

        def featurize_many(self, mols: list[Chem.Mol]) -> list[int]:
            return [self(m) for m in mols]

    res = featurize(["CC", "C", "CCC"], Picky())
    assert res.features == [2, None, 3]
    assert "too small" in res.errors[1]


def test_sequences() -> None:
    enc = ProteinIntegerEncoder(max_length=5)
    res = featurize(["ACD", "A1", "mkv"], enc)
    assert res.valid.tolist() == [True, False, True]
    assert "position 2" in res.errors[1]
    assert res.features[2].tolist() == enc("MKV").tolist()
    with pytest.raises(InvalidSequenceError, match="input 1"):
        featurize(["ACD", "A1"], enc, ignore_errors=False)


def test_silent_unless_asked(capsys: pytest.CaptureFixture[str]) -> None:
    featurize(SMILES, MorganFingerprint(n_bits=64))
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    res = featurize(SMILES[:4], MorganFingerprint(n_bits=64), progress=True)
    assert len(res) == 4
    assert capsys.readouterr().out == ""


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        featurize(["C"], MorganFingerprint(), chunk_size=0)
    with pytest.raises(ValueError):
        featurize(["C"], MorganFingerprint(), n_jobs=-3)
    assert len(featurize([], MorganFingerprint())) == 0
