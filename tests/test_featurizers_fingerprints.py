"""Fingerprints against RDKit called directly; packed bits; bulk Tanimoto."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator, rdMolDescriptors

from drugscreen.featurizers import (
    AtomPairFingerprint,
    MACCSFingerprint,
    MorganFingerprint,
    build_featurizer,
    max_tanimoto,
    pack_bits,
    tanimoto_matrix,
    unpack_bits,
)

SMILES = ["CCO", "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O", "CN1CCC[C@H]1c1cccnc1", "O=C(O)CCc1ccccc1", "C"]
MOLS = [Chem.MolFromSmiles(s) for s in SMILES]


def test_morgan_bits_match_rdkit() -> None:
    fp = MorganFingerprint(radius=2, n_bits=1024)
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    X = fp.featurize_many(MOLS)
    assert X.shape == (len(MOLS), 1024) and X.dtype == np.uint8 and len(fp) == 1024
    for row, mol in zip(X, MOLS, strict=True):
        expected = np.zeros(1024, dtype=np.uint8)
        DataStructs.ConvertToNumpyArray(gen.GetFingerprint(mol), expected)
        np.testing.assert_array_equal(row, expected)
        np.testing.assert_array_equal(fp(mol), expected)


def test_morgan_counts_and_fcfp_match_rdkit() -> None:
    counts = MorganFingerprint(radius=3, n_bits=512, counts=True)
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=3, fpSize=512)
    X = counts.featurize_many(MOLS)
    assert X.dtype == np.uint32
    for row, mol in zip(X, MOLS, strict=True):
        np.testing.assert_array_equal(row, gen.GetCountFingerprintAsNumPy(mol))
    assert X[2].max() > 1  # aspirin has repeated environments
    fcfp = MorganFingerprint(radius=2, n_bits=2048, features=True)
    fgen = rdFingerprintGenerator.GetMorganGenerator(
        radius=2, fpSize=2048, atomInvariantsGenerator=rdFingerprintGenerator.GetMorganFeatureAtomInvGen()
    )
    np.testing.assert_array_equal(fcfp(MOLS[2]), fgen.GetFingerprintAsNumPy(MOLS[2]))
    assert not np.array_equal(fcfp(MOLS[2]), MorganFingerprint()(MOLS[2]))


def test_atom_pair_and_maccs_match_rdkit() -> None:
    ap = AtomPairFingerprint(n_bits=2048)
    gen = rdFingerprintGenerator.GetAtomPairGenerator(fpSize=2048)
    np.testing.assert_array_equal(ap(MOLS[3]), gen.GetFingerprintAsNumPy(MOLS[3]))
    maccs = MACCSFingerprint()
    X = maccs.featurize_many(MOLS)
    assert X.shape == (len(MOLS), 167)
    for row, mol in zip(X, MOLS, strict=True):
        on = list(rdMolDescriptors.GetMACCSKeysFingerprint(mol).GetOnBits())
        assert np.flatnonzero(row).tolist() == on


def test_configs_round_trip_and_pickle() -> None:
    for fp in (MorganFingerprint(radius=3, n_bits=256, counts=True, chirality=True), AtomPairFingerprint(), MACCSFingerprint()):
        rebuilt = build_featurizer(fp.to_config())
        assert rebuilt.to_config() == fp.to_config()
        np.testing.assert_array_equal(rebuilt(MOLS[2]), fp(MOLS[2]))
        clone = pickle.loads(pickle.dumps(fp))
        np.testing.assert_array_equal(clone(MOLS[2]), fp(MOLS[2]))
    with pytest.raises(ValueError):
        MorganFingerprint(n_bits=0)


def test_pack_unpack_round_trip() -> None:
    X = MorganFingerprint(n_bits=2048).featurize_many(MOLS)
    packed = pack_bits(X)
    assert packed.shape == (len(MOLS), 256) and packed.dtype == np.uint8
    np.testing.assert_array_equal(unpack_bits(packed, 2048), X)
    odd = np.array([[1, 0, 1, 1, 0, 0, 0, 0, 1, 1]], dtype=np.uint8)
    np.testing.assert_array_equal(unpack_bits(pack_bits(odd), 10), odd)


def test_max_tanimoto_matches_rdkit_bulk() -> None:
    rng = np.random.default_rng(0)
    ref = (rng.random((300, 2048)) < 0.03).astype(np.uint8)
    ref[5] = 0  # an empty reference fingerprint
    query = (rng.random((40, 2048)) < 0.03).astype(np.uint8)
    query[0] = ref[17]  # identical to a reference: similarity 1, index 17
    query[1] = 0  # empty query: similarity 0

    def to_bv(row: np.ndarray) -> DataStructs.ExplicitBitVect:
        bv = DataStructs.ExplicitBitVect(2048)
        bv.SetBitsFromList(np.flatnonzero(row).tolist())
        return bv

    ref_bv = [to_bv(r) for r in ref]
    expected = np.array([max(DataStructs.BulkTanimotoSimilarity(to_bv(q), ref_bv)) for q in query])
    for got in (max_tanimoto(query, ref, chunk_size=64), max_tanimoto(pack_bits(query), pack_bits(ref), 2048)):
        np.testing.assert_allclose(got, expected, atol=1e-6)
    sim, idx = max_tanimoto(query, ref, return_index=True, chunk_size=100)
    assert sim[0] == pytest.approx(1.0) and idx[0] == 17 and sim[1] == 0.0
    full = tanimoto_matrix(query, ref)
    np.testing.assert_allclose(full[np.arange(len(query)), idx], full.max(1), atol=1e-6)
    empty_sim, empty_idx = max_tanimoto(query, ref[:0], return_index=True)
    assert (empty_sim == 0).all() and (empty_idx == -1).all()
    with pytest.raises(ValueError):
        max_tanimoto(pack_bits(query), ref, 2048)


def test_max_tanimoto_dense_fingerprints_use_exact_path() -> None:
    rng = np.random.default_rng(1)
    ref = (rng.random((20, 1024)) < 0.5).astype(np.uint8)  # ~512 bits set: float32 path
    query = ref[:3].copy()
    np.testing.assert_allclose(max_tanimoto(query, ref), 1.0)
    np.testing.assert_allclose(max_tanimoto(query[:1], ref[1:]), tanimoto_matrix(query[:1], ref[1:]).max(1), atol=1e-6)
