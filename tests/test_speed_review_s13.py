"""Speed-ups of the screening path pinned to the results of the code they replaced.

Each test compares a fast path with the plain computation it stands for (no timings here:
speed is measured by ``benchmarks/screen_speed.py``).
"""

from __future__ import annotations

import numpy as np
import pytest

from drugscreen.featurizers import fingerprints as fpmod
from drugscreen.featurizers.fingerprints import TanimotoReference, max_tanimoto, pack_bits


def _exact(query: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Max Tanimoto (float64 ratio of integer counts) and first index reaching it, pair by pair."""
    inter = query.astype(np.int64) @ ref.astype(np.int64).T
    union = query.sum(1)[:, None] + ref.sum(1)[None, :] - inter
    sim = np.divide(inter, union, out=np.zeros(inter.shape), where=union > 0)
    return sim.max(1), sim.argmax(1)


@pytest.mark.parametrize("n_bits", [2048, 167])
def test_prepared_and_plain_references_give_the_exact_similarities(n_bits: int) -> None:
    rng = np.random.default_rng(13)
    ref = (rng.random((700, n_bits)) < rng.choice([0.01, 0.03, 0.2], size=700)[:, None]).astype(np.uint8)
    # dense queries (over 255 bits set) count their intersections in uint16
    query = (rng.random((120, n_bits)) < rng.choice([0.01, 0.03, 0.3], size=120)[:, None]).astype(np.uint8)
    query[0] = 0
    query[1] = ref[5]
    query[2] = ref[650]
    assert (query.sum(1) > 255).any() or n_bits < 256
    ref[9] = ref[5]  # a tie: the first index is given
    expected, expected_idx = _exact(query, ref)
    prepared = TanimotoReference(pack_bits(ref), n_bits)
    for got, idx in (
        max_tanimoto(pack_bits(query), prepared, n_bits, return_index=True),
        max_tanimoto(query, ref, return_index=True, chunk_size=50),
        max_tanimoto(query, TanimotoReference(ref, keep_unpacked=False), return_index=True),
    ):
        np.testing.assert_array_equal(got, expected.astype(np.float32))
        np.testing.assert_array_equal(idx, expected_idx)


def test_domain_similarity_is_the_exact_float64_ratio() -> None:
    from drugscreen.domain import max_tanimoto as domain_max_tanimoto

    rng = np.random.default_rng(5)
    ref = (rng.random((400, 2048)) < 0.03).astype(np.uint8)
    query = (rng.random((80, 2048)) < rng.choice([0.02, 0.3], size=80)[:, None]).astype(np.uint8)
    query[3] = ref[7]
    packed_ref = pack_bits(ref)
    got = domain_max_tanimoto(pack_bits(query), packed_ref)  # 80 queries: the prepared path
    np.testing.assert_array_equal(got, _exact(query, ref)[0])
    assert got.dtype == np.float64 and got[3] == 1.0


@pytest.mark.parametrize("chunk", [8192, 50, 3])
def test_references_searched_in_chunks_give_the_whole_search_maximum(chunk: int) -> None:
    rng = np.random.default_rng(7)
    n_bits = 1024
    density = rng.choice([0.005, 0.02, 0.05, 0.1, 0.4], size=600)
    ref = (rng.random((600, n_bits)) < density[:, None]).astype(np.uint8)
    query = (rng.random((150, n_bits)) < rng.choice([0.01, 0.03, 0.08], size=150)[:, None]).astype(np.uint8)
    query[:40] = ref[rng.choice(600, 40, replace=False)]  # reference molecules: similarity 1
    for i in range(40, 80):  # near ones: a reference with a few bits flipped
        query[i] = ref[i * 7]
        query[i, rng.choice(n_bits, 3, replace=False)] ^= 1
    query[80] = 0
    query[81, :] = 1
    expected = _exact(query, ref)[0]
    plain = TanimotoReference(pack_bits(ref), n_bits, keep_unpacked=False)
    got = fpmod._max_tanimoto_exact(query, plain, False, chunk)[0]
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(max_tanimoto(query, ref, chunk_size=chunk), expected.astype(np.float32))
    # with the index, and on a prepared reference (searched whole), the same maxima
    full, idx = fpmod._max_tanimoto_exact(query, plain, True, chunk)
    np.testing.assert_array_equal(full, got)
    np.testing.assert_array_equal(idx, _exact(query, ref)[1])
    np.testing.assert_array_equal(fpmod._max_tanimoto_exact(query, TanimotoReference(ref), False, chunk)[0], got)


QED_SMILES = [
    "CCO", "Oc1ccc(O)cc1", "O=C(C=Cc1ccccc1)c1ccccc1", "CN(C)c1ccc(N=Nc2ccccc2)cc1", "O=C1C(=Cc2ccccc2)SC(=S)N1",
    "C1CCc2ccccc2C1", "c1ccc2c(c1)Cc1ccccc1-2", "C1CC2CCC1C2", "O=C1CCCN1c1ccc2OCOc2c1", "C[N+](C)(C)Cc1ccccc1",
    "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "N=C(CCSCc1csc(N=C(N)N)n1)NS(N)(=O)=O", "CCCCCNC(=N)NN=Cc1c[nH]c2ccc(CO)cc12",
    "O=C(O)c1ccccc1OC(=O)C", "FC(F)(F)c1ccc(Oc2ccc(Cl)cc2)cc1", "OC[C@H]1OC(O)[C@H](O)[C@@H](O)[C@@H]1O",
]


def test_qed_is_rdkits_to_the_last_bit() -> None:
    # the drug-likeness columns compute QED from properties shared with the other columns;
    # every bit must still be rdkit.Chem.QED.qed's
    from rdkit import Chem
    from rdkit.Chem import QED

    from drugscreen.screening.properties import compute_properties

    mols = [Chem.MolFromSmiles(s) for s in QED_SMILES]
    got = compute_properties(mols)["qed"]
    np.testing.assert_array_equal(got, np.array([QED.qed(m) for m in mols]))
