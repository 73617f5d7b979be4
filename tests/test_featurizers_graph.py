"""Graph features: exact vectors for a few atoms and bonds, edge pairing, batching, configs."""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem

from drugscreen.exceptions import FeaturizerMismatchError, UnknownNameError
from drugscreen.featurizers import (
    FEATURIZERS,
    GraphFeaturizer,
    build_featurizer,
    check_featurizer_config,
    collate,
)

# Column layout of GraphFeaturizer(version=1), written out by hand so any change is deliberate.
# element 0-15 (B C N O F Si P S Cl Br I Se As Sn Pt other), degree 16-22 (0..5, other),
# charge 23-28 (-2..2, other), chirality 29-32 (none, CW, CCW, other), total H 33-38 (0..4,
# other), hybridization 39-45 (S SP SP2 SP3 SP3D SP3D2 other), aromatic 46, in ring 47,
# ring sizes 48-53 (3..8+), mass/100 54.
# Bonds: type 0-4 (single double triple aromatic other), stereo 5-11 (none any Z E cis trans
# other), conjugated 12, in ring 13.


def atom_vector(ones: list[int], mass: float) -> np.ndarray:
    v = np.zeros(55, dtype=np.float32)
    v[ones] = 1.0
    v[54] = mass / 100.0
    return v


def bond_vector(ones: list[int]) -> np.ndarray:
    v = np.zeros(14, dtype=np.float32)
    v[ones] = 1.0
    return v


FEAT = GraphFeaturizer()


def rank(mol: Chem.Mol, atom: int) -> int:
    """Where input atom ``atom`` is in the graph (atoms are in canonical order)."""
    return int(list(Chem.CanonicalRankAtoms(mol, breakTies=True))[atom])


def bond_edges(mol: Chem.Mol, g, bond: int) -> list[int]:
    """The graph's two edges of input bond ``bond``."""
    b = mol.GetBondWithIdx(bond)
    ends = {rank(mol, b.GetBeginAtomIdx()), rank(mol, b.GetEndAtomIdx())}
    return [e for e in range(g.num_edges) if set(g.edge_index[:, e].tolist()) == ends]


def test_dims() -> None:
    assert GraphFeaturizer.atom_dim == 55 and GraphFeaturizer.bond_dim == 14
    assert len(FEAT) == 55


def test_pyridine_aromatic_nitrogen() -> None:
    mol = Chem.MolFromSmiles("c1ccncc1")
    g = FEAT(mol)
    # N: element N(2), degree 2 (18), charge 0 (25), no chirality (29), 0 H (33), SP2 (41),
    # aromatic (46), in ring (47), 6-ring (51)
    expected = atom_vector([2, 18, 25, 29, 33, 41, 46, 47, 51], 14.007)
    np.testing.assert_allclose(g.x[rank(mol, 3)], expected, atol=1e-6)
    # aromatic C-H: element C(1), degree 2, 1 H (34)
    np.testing.assert_allclose(g.x[rank(mol, 0)], atom_vector([1, 18, 25, 29, 34, 41, 46, 47, 51], 12.011), atol=1e-6)
    # ring bonds: aromatic (3), no stereo (5), conjugated (12), in ring (13)
    np.testing.assert_array_equal(g.edge_attr[0], bond_vector([3, 5, 12, 13]))


def test_chiral_centre() -> None:
    mol = Chem.MolFromSmiles("C[C@H](N)O")
    g = FEAT(mol)
    c = rank(mol, 1)
    # C: element C(1), degree 3 (19), charge 0 (25), CW or CCW (30/31), 1 H (34), SP3 (42)
    tag = 30 if g.x[c, 30] == 1.0 else 31
    np.testing.assert_allclose(g.x[c], atom_vector([1, 19, 25, tag, 34, 42], 12.011), atol=1e-6)
    mirror = Chem.MolFromSmiles("C[C@@H](N)O")
    g_mirror = FEAT(mirror)
    assert g_mirror.x[rank(mirror, 1), 61 - tag] == 1.0 and g_mirror.x[rank(mirror, 1), tag] == 0.0
    # the amine N: degree 1 (17), 2 H (35), SP3
    np.testing.assert_allclose(g.x[rank(mol, 2)], atom_vector([2, 17, 25, 29, 35, 42], 14.007), atol=1e-6)


@pytest.mark.parametrize(
    "variants",
    [
        ["C[C@H](N)C(=O)O", "N[C@@H](C)C(=O)O", "OC(=O)[C@@H](N)C", "[C@@H](C)(N)C(=O)O"],  # L-alanine
        ["C[C@@H](N)C(=O)O", "N[C@H](C)C(=O)O"],  # D-alanine
        ["F/C=C/Cl", "Cl/C=C/F", "C(\\F)=C/Cl"],
    ],
)
def test_one_molecule_one_graph_however_written(variants: list[str]) -> None:
    # RDKit states a chiral tag relative to the order of the atom's bonds, so L-alanine written
    # N[C@@H](C)C(=O)O carried D-alanine's tag as written C[C@H](N)C(=O)O: the same molecule
    # got two graphs, and two predictions
    mols = [Chem.MolFromSmiles(s) for s in variants]
    assert len({Chem.MolToSmiles(m) for m in mols}) == 1
    graphs = [FEAT(m) for m in mols] + FEAT.featurize_many(mols)
    for g in graphs[1:]:
        np.testing.assert_array_equal(g.x, graphs[0].x)
        np.testing.assert_array_equal(g.edge_index, graphs[0].edge_index)
        np.testing.assert_array_equal(g.edge_attr, graphs[0].edge_attr)


def test_enantiomers_get_different_graphs() -> None:
    l_ala, d_ala = FEAT(Chem.MolFromSmiles("N[C@@H](C)C(=O)O")), FEAT(Chem.MolFromSmiles("N[C@H](C)C(=O)O"))
    assert not np.array_equal(l_ala.x, d_ala.x)


def test_ez_double_bond() -> None:
    mol = Chem.MolFromSmiles("F/C=C/F")
    g = FEAT(mol)
    # bond 1 is C=C: double (1), E (8), not conjugated, not in ring; both directions equal
    for e in bond_edges(mol, g, 1):
        np.testing.assert_array_equal(g.edge_attr[e], bond_vector([1, 8]))
    mz = Chem.MolFromSmiles("F/C=C\\F")
    gz = FEAT(mz)
    for e in bond_edges(mz, gz, 1):
        np.testing.assert_array_equal(gz.edge_attr[e], bond_vector([1, 7]))
    # C-F bond: single (0), no stereo (5)
    for e in bond_edges(mol, g, 0):
        np.testing.assert_array_equal(g.edge_attr[e], bond_vector([0, 5]))
    # F: element F (4), degree 1 (17), 0 H, SP3 (42)
    np.testing.assert_allclose(g.x[rank(mol, 0)], atom_vector([4, 17, 25, 29, 33, 42], 18.998), atol=1e-5)


def test_charge_ring_size_and_other_buckets() -> None:
    mol = Chem.MolFromSmiles("C[N+](C)(C)C")
    assert FEAT(mol).x[rank(mol, 1), 26] == 1.0  # charge +1
    g = FEAT(Chem.MolFromSmiles("C1CC1"))
    assert (g.x[:, 48] == 1).all() and (g.x[:, 47] == 1).all()
    g = FEAT(Chem.MolFromSmiles("C1CCCCCCCCC1"))  # 10-ring -> "8 or more"
    assert (g.x[:, 53] == 1).all()
    mol = Chem.MolFromSmiles("[Li]C")  # lithium -> element "other"
    assert FEAT(mol).x[rank(mol, 0), 15] == 1.0


def test_edge_pairing_and_bond_order() -> None:
    mol = Chem.MolFromSmiles("CC(=O)Nc1ccccc1")
    g = FEAT(mol)
    assert g.edge_index.shape == (2, 2 * mol.GetNumBonds())
    assert g.edge_index.dtype == np.int64 and g.x.dtype == np.float32 and g.edge_attr.dtype == np.float32
    for e in range(g.num_edges):
        r = e ^ 1
        assert g.edge_index[0, e] == g.edge_index[1, r] and g.edge_index[1, e] == g.edge_index[0, r]
        np.testing.assert_array_equal(g.edge_attr[e], g.edge_attr[r])
    # bonds in canonical order: each from its lower to its higher atom, sorted by those
    pairs = [tuple(g.edge_index[:, 2 * k]) for k in range(mol.GetNumBonds())]
    assert all(a < b for a, b in pairs) and pairs == sorted(pairs)
    assert set(pairs) == {tuple(sorted((rank(mol, b.GetBeginAtomIdx()), rank(mol, b.GetEndAtomIdx())))) for b in mol.GetBonds()}


def test_single_atom_and_featurize_many_equal() -> None:
    smiles = ["C", "[Na+]", "c1ccncc1", "C[C@H](N)O", "F/C=C/F", "CC(=O)Oc1ccccc1C(=O)O", "C1CCCCCCCCC1"]
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    g = FEAT(mols[0])
    assert g.num_atoms == 1 and g.edge_index.shape == (2, 0) and g.edge_attr.shape == (0, 14)
    for one, many in zip((FEAT(m) for m in mols), FEAT.featurize_many(mols), strict=True):
        np.testing.assert_array_equal(one.x, many.x)
        np.testing.assert_array_equal(one.edge_index, many.edge_index)
        np.testing.assert_array_equal(one.edge_attr, many.edge_attr)
    assert FEAT.featurize_many([]) == []


def test_collate_matches_pyg() -> None:
    from torch_geometric.data import Batch

    graphs = FEAT.featurize_many([Chem.MolFromSmiles(s) for s in ("CCO", "C", "c1ccncc1")])
    batch = collate(graphs)
    ref = Batch.from_data_list([g.to_data() for g in graphs])
    assert batch.num_graphs == 3
    for key in ("x", "edge_index", "edge_attr", "batch", "ptr"):
        assert (getattr(batch, key) == getattr(ref, key)).all(), key
    with pytest.raises(ValueError):
        collate([])


def test_registry_and_config() -> None:
    config = FEAT.to_config()
    assert config == {"name": "graph", "params": {"version": 1}}
    assert isinstance(build_featurizer(config), GraphFeaturizer)
    check_featurizer_config(config, GraphFeaturizer().to_config())
    with pytest.raises(FeaturizerMismatchError):
        check_featurizer_config(config, {"name": "morgan", "params": {}})
    with pytest.raises(UnknownNameError, match="choose one of"):
        FEATURIZERS.get("no_such_featurizer")
    with pytest.raises(ValueError):
        GraphFeaturizer(version=2)


def test_collate_without_pyg_matches_pyg_batch() -> None:
    """``collate(pyg=False)`` holds the same tensors as the PyG Batch, and a model gives the same output."""
    import torch

    from drugscreen.featurizers.graph import GraphBatch, GraphFeaturizer, collate
    from drugscreen.models import build_model

    f = GraphFeaturizer()
    graphs = [f(Chem.MolFromSmiles(s)) for s in ("CCO", "c1ccncc1", "C[C@H](N)C(=O)O", "[Na+]")]
    a, b = collate(graphs), collate(graphs, pyg=False)
    assert isinstance(b, GraphBatch) and b.num_graphs == a.num_graphs == 4
    for name in ("x", "edge_index", "edge_attr", "batch", "ptr"):
        assert torch.equal(getattr(a, name), getattr(b, name)), name
    assert isinstance(b.to("cpu"), GraphBatch)
    torch.manual_seed(0)
    model = build_model({"name": "gine", "params": {"atom_dim": f.atom_dim, "bond_dim": f.bond_dim, "n_tasks": 2, "hidden": 8, "depth": 2}}).eval()
    torch.testing.assert_close(model(a), model(b))
