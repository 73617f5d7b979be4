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


def _exact_max_tanimoto(query: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reference answer: integer intersections, float64 ratios, first index of the maximum."""
    q = (query != 0).astype(np.int64)
    r = (ref != 0).astype(np.int64)
    inter = q @ r.T
    union = q.sum(1)[:, None] + r.sum(1)[None, :] - inter
    sim = np.divide(inter, union, out=np.zeros(inter.shape), where=union > 0)
    return sim.max(1), sim.argmax(1)


def test_max_tanimoto_is_exact_with_ties_dense_rows_and_odd_sizes() -> None:
    from drugscreen.featurizers.fingerprints import TanimotoReference

    rng = np.random.default_rng(7)
    n_bits = 1000  # not a multiple of 8
    density = rng.choice([0.01, 0.03, 0.08, 0.4], size=500)  # 0.4 -> ~400 bits: float32 path
    ref = (rng.random((500, n_bits)) < density[:, None]).astype(np.uint8)
    ref[10] = 0
    ref[300] = ref[40]  # equal similarity at two indices: the first one wins
    ref[301, :] = ref[41]
    ref[301, np.flatnonzero(ref[41] == 0)[:3]] = 1  # same count run as others, different row
    query = (rng.random((90, n_bits)) < rng.choice([0.02, 0.05, 0.45], size=90)[:, None]).astype(np.uint8)
    query[0] = 0
    query[1] = ref[40]
    query[2] = ref[301]
    query[3, :] = 0
    query[3, :2] = 1  # shares nothing with most references
    expected, expected_idx = _exact_max_tanimoto(query, ref)
    packed_q, packed_r = pack_bits(query), pack_bits(ref)
    prepared = TanimotoReference(packed_r, n_bits)
    lazy = TanimotoReference(ref, keep_unpacked=False)
    for got, idx in (
        max_tanimoto(query, ref, return_index=True),
        max_tanimoto(query, ref, return_index=True, chunk_size=7),  # pieces split by chunks
        max_tanimoto(packed_q, packed_r, n_bits, return_index=True, chunk_size=64),
        max_tanimoto(packed_q, prepared, n_bits, return_index=True),
        max_tanimoto(query, lazy, return_index=True, chunk_size=33),
        max_tanimoto(packed_q, prepared, return_index=True),  # packed rows recognised by width
    ):
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, expected.astype(np.float32))
        np.testing.assert_array_equal(idx, expected_idx)
    assert idx[1] == 40 and idx[0] == 0 and got[0] == 0.0


def test_max_tanimoto_exact_on_real_ecfp4() -> None:
    from drugscreen.domain import ecfp4_packed, prepare_reference
    from drugscreen.domain import max_tanimoto as domain_max_tanimoto

    smiles = [
        "CCO", "CCN", "c1ccccc1O", "c1ccccc1N", "CC(=O)Nc1ccc(O)cc1", "CC(=O)Nc1ccc(OC)cc1", "C1CCNCC1",
        "CN1CCC[C@H]1c1cccnc1", "O=C(O)CCc1ccccc1", "CC(=O)Oc1ccccc1C(=O)O", "Cn1cnc2c1c(=O)n(C)c(=O)n2C",
        "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "OC[C@H]1OC(O)[C@H](O)[C@@H](O)[C@@H]1O", "c1ccc2ccccc2c1", "C" * 30,
        "C" * 60 + "N" * 3 + "C(=O)O" * 20, "O", "[Na+].[Cl-]",
    ]
    packed = ecfp4_packed([Chem.MolFromSmiles(s) for s in smiles])
    ref, query = packed[::2], packed[1::2]
    expected, expected_idx = _exact_max_tanimoto(unpack_bits(query, 2048), unpack_bits(ref, 2048))
    got, idx = max_tanimoto(query, ref, 2048, return_index=True, chunk_size=4)
    np.testing.assert_array_equal(got, expected.astype(np.float32))
    np.testing.assert_array_equal(idx, expected_idx)
    sim = domain_max_tanimoto(query, ref)  # a few queries, unprepared reference: popcounts
    assert sim.dtype == np.float64
    np.testing.assert_array_equal(sim, expected)  # float64, not a rounded float32
    many = np.tile(query, (8, 1))  # more queries than the popcount path takes: matrix products
    np.testing.assert_array_equal(domain_max_tanimoto(many, ref), np.tile(expected, 8))
    prepare_reference(ref)
    np.testing.assert_array_equal(domain_max_tanimoto(query, ref), expected)  # prepared reference
    assert np.isnan(domain_max_tanimoto(query, ref[:0])).all()
    odd_q, odd_r = query[:, :3], ref[:, :3]  # packed rows that are no whole number of words
    odd_expected, _ = _exact_max_tanimoto(unpack_bits(odd_q, 24), unpack_bits(odd_r, 24))
    np.testing.assert_array_equal(domain_max_tanimoto(odd_q, np.ascontiguousarray(odd_r)), odd_expected)
