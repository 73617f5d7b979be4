"""Molecular graphs for the GNNs.

:class:`GraphFeaturizer` turns an RDKit molecule into a :class:`MolGraph`: numpy arrays of
atom features, directed edges and bond features. Edges are stored as pairs: column ``2k`` is
bond ``k`` from begin to end atom and column ``2k + 1`` the same bond reversed, so the reverse
of edge ``e`` is ``e ^ 1`` (what directed message passing needs).

:func:`collate` concatenates many graphs with numpy and converts once to torch, building a
PyTorch Geometric :class:`~torch_geometric.data.Batch`; this is much faster than
``Batch.from_data_list`` and is what training and screening use.

Atom features (one-hot unless noted): element (with an "other" bucket), degree, formal
charge, chirality tag, total H count, hybridization, aromaticity (bit), ring membership
(bit), ring sizes 3..8+ (multi-hot), and mass / 100 (scalar). Bond features: bond type,
conjugation (bit), ring (bit), stereo.

A graph does not depend on the order the molecule's atoms were written in: atoms are put in
RDKit's canonical order (:func:`rdkit.Chem.CanonicalRankAtoms`, ties broken canonically) and
bonds sorted by their canonical atoms. That matters for the chirality tag, which RDKit states
relative to the order of an atom's bonds: ``N[C@@H](C)C(=O)O`` and ``C[C@H](N)C(=O)O`` (both
L-alanine) carry opposite tags as parsed; the tag is re-expressed relative to the neighbours'
canonical order, so both give one graph (and D-alanine another). One molecule, however written,
gets the same arrays, bit for bit, and so the same predictions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from rdkit import Chem

from drugscreen.featurizers.base import FEATURIZERS, featurizer_config

if TYPE_CHECKING:  # torch is imported lazily: the CLI must start fast
    from torch_geometric.data import Batch, Data

__all__ = ["GraphBatch", "GraphFeaturizer", "MolGraph", "collate"]

ELEMENTS = ("B", "C", "N", "O", "F", "Si", "P", "S", "Cl", "Br", "I", "Se", "As", "Sn", "Pt")
DEGREES = (0, 1, 2, 3, 4, 5)
CHARGES = (-2, -1, 0, 1, 2)
CHIRAL_TAGS = (
    Chem.ChiralType.CHI_UNSPECIFIED,
    Chem.ChiralType.CHI_TETRAHEDRAL_CW,
    Chem.ChiralType.CHI_TETRAHEDRAL_CCW,
)
NUM_HS = (0, 1, 2, 3, 4)
HYBRIDIZATIONS = (
    Chem.HybridizationType.S,
    Chem.HybridizationType.SP,
    Chem.HybridizationType.SP2,
    Chem.HybridizationType.SP3,
    Chem.HybridizationType.SP3D,
    Chem.HybridizationType.SP3D2,
)
RING_SIZES = (3, 4, 5, 6, 7, 8)  # 8 means "8 or more"
BOND_TYPES = (
    Chem.BondType.SINGLE,
    Chem.BondType.DOUBLE,
    Chem.BondType.TRIPLE,
    Chem.BondType.AROMATIC,
)
BOND_STEREO = (
    Chem.BondStereo.STEREONONE,
    Chem.BondStereo.STEREOANY,
    Chem.BondStereo.STEREOZ,
    Chem.BondStereo.STEREOE,
    Chem.BondStereo.STEREOCIS,
    Chem.BondStereo.STEREOTRANS,
)


def _lookup(values: Sequence[Any], size: int) -> np.ndarray:
    """Table from a raw integer value (0..size-1) to its one-hot slot ("other" = last)."""
    table = np.full(size, len(values), dtype=np.int64)
    for i, v in enumerate(values):
        table[int(v)] = i
    return table


_PT = Chem.GetPeriodicTable()
_ELEMENT_SLOT = _lookup([_PT.GetAtomicNumber(e) for e in ELEMENTS], 128)
_DEGREE_SLOT = _lookup(DEGREES, 16)
_CHARGE_SLOT = np.full(16, len(CHARGES), dtype=np.int64)  # index = charge + 8
for _i, _c in enumerate(CHARGES):
    _CHARGE_SLOT[_c + 8] = _i
_CHIRAL_SLOT = _lookup(CHIRAL_TAGS, 16)
_NUM_H_SLOT = _lookup(NUM_HS, 16)
_HYBRID_SLOT = _lookup(HYBRIDIZATIONS, 16)
_MASS = np.zeros(128)
_MASS[1:119] = [_PT.GetAtomicWeight(z) / 100.0 for z in range(1, 119)]
_BOND_TYPE_SLOT = _lookup(BOND_TYPES, 32)
_BOND_STEREO_SLOT = _lookup(BOND_STEREO, 16)

# (field name, number of one-hot slots including "other")
_ATOM_ONEHOT_FIELDS = (
    ("element", len(ELEMENTS) + 1),
    ("degree", len(DEGREES) + 1),
    ("formal_charge", len(CHARGES) + 1),
    ("chirality", len(CHIRAL_TAGS) + 1),
    ("num_hs", len(NUM_HS) + 1),
    ("hybridization", len(HYBRIDIZATIONS) + 1),
)
_ATOM_OFFSETS = np.cumsum([0] + [n for _, n in _ATOM_ONEHOT_FIELDS])[:-1]
_N_ONEHOT = int(sum(n for _, n in _ATOM_ONEHOT_FIELDS))
# then: aromatic, in_ring, ring sizes (6), mass
ATOM_DIM = _N_ONEHOT + 2 + len(RING_SIZES) + 1
_BOND_ONEHOT_FIELDS = (("bond_type", len(BOND_TYPES) + 1), ("stereo", len(BOND_STEREO) + 1))
_BOND_OFFSETS = np.array([0, len(BOND_TYPES) + 1])
# then: conjugated, in_ring
BOND_DIM = sum(n for _, n in _BOND_ONEHOT_FIELDS) + 2

# Absolute column in x of each raw value, per one-hot field.
_ELEMENT_COL = _ELEMENT_SLOT + _ATOM_OFFSETS[0]
_DEGREE_COL = _DEGREE_SLOT + _ATOM_OFFSETS[1]
_CHARGE_COL = _CHARGE_SLOT + _ATOM_OFFSETS[2]
_CHIRAL_COL = _CHIRAL_SLOT + _ATOM_OFFSETS[3]
_NUM_H_COL = _NUM_H_SLOT + _ATOM_OFFSETS[4]
_HYBRID_COL = _HYBRID_SLOT + _ATOM_OFFSETS[5]
_RING_BASE = _N_ONEHOT + 2
_ATOM_GETTERS = (
    Chem.Atom.GetAtomicNum,
    Chem.Atom.GetFormalCharge,
    Chem.Atom.GetChiralTag,
    Chem.Atom.GetTotalNumHs,
    Chem.Atom.GetHybridization,
    Chem.Atom.GetIsAromatic,
)
_BOND_GETTERS = (
    Chem.Bond.GetBeginAtomIdx,
    Chem.Bond.GetEndAtomIdx,
    Chem.Bond.GetBondType,
    Chem.Bond.GetStereo,
    Chem.Bond.GetIsConjugated,
    Chem.Bond.IsInRing,
)


_CW, _CCW = int(Chem.ChiralType.CHI_TETRAHEDRAL_CW), int(Chem.ChiralType.CHI_TETRAHEDRAL_CCW)


def _canonical_ranks(mol: Chem.Mol, chiral: Sequence[int]) -> tuple[np.ndarray, list[int]]:
    """Each atom's canonical position, and the atoms whose CW/CCW tag flips in that order.

    ``chiral`` holds the molecule's raw chiral tags. RDKit's tag says whether the neighbours,
    taken in the order of the atom's bonds, turn clockwise; in the canonical order that order
    is the neighbours sorted by canonical rank, so the tag flips when sorting them is an odd
    permutation. (An implicit hydrogen keeps its place in RDKit's convention, so only the
    heavy neighbours' order counts.)
    """
    ranks = np.fromiter(Chem.CanonicalRankAtoms(mol, breakTies=True), dtype=np.int64, count=mol.GetNumAtoms())
    flips = []
    for i, tag in enumerate(chiral):
        if tag == _CW or tag == _CCW:
            keys = [ranks[b.GetOtherAtomIdx(i)] for b in mol.GetAtomWithIdx(i).GetBonds()]
            inversions = sum(1 for a in range(len(keys)) for b in range(a + 1, len(keys)) if keys[a] > keys[b])
            if inversions % 2:
                flips.append(i)
    return ranks, flips


def _flip_chirality(raw: np.ndarray, atoms: Sequence[int] | np.ndarray) -> None:
    """Swap CW and CCW in the raw chiral-tag row (row 2) of ``raw`` at ``atoms``, in place."""
    if len(atoms):
        raw[2, atoms] = _CW + _CCW - raw[2, atoms]


def _canonical_bonds(begin: np.ndarray, end: np.ndarray, group: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bonds given by their atoms' canonical positions: (order, low, high), the bonds sorted by
    (``group``, low, high), each from its lower to its higher atom."""
    low, high = np.minimum(begin, end), np.maximum(begin, end)
    keys = (high, low) if group is None else (high, low, group)
    order = np.lexsort(keys)
    return order, low[order], high[order]


def _atom_matrix(raw: np.ndarray, degree: np.ndarray) -> np.ndarray:
    """Atom features ``(n, ATOM_DIM)`` but the ring columns, from the raw atom values.

    ``raw`` holds one row per :data:`_ATOM_GETTERS` entry (atomic number, formal charge, chiral
    tag, total Hs, hybridization, aromatic), ``degree`` the heavy-atom degree of each atom.
    """
    n = raw.shape[1]
    cols = np.empty((n, 6), dtype=np.int64)
    cols[:, 0] = _ELEMENT_COL[np.minimum(raw[0], 127)]
    cols[:, 1] = _DEGREE_COL[np.minimum(degree, 15)]
    cols[:, 2] = _CHARGE_COL[np.clip(raw[1] + 8, 0, 15)]
    cols[:, 3] = _CHIRAL_COL[np.minimum(raw[2], 15)]
    cols[:, 4] = _NUM_H_COL[np.minimum(raw[3], 15)]
    cols[:, 5] = _HYBRID_COL[np.minimum(raw[4], 15)]
    x = np.zeros((n, ATOM_DIM), dtype=np.float32)
    x[np.arange(n)[:, None], cols] = 1.0
    x[:, _N_ONEHOT] = raw[5]
    x[:, -1] = _MASS[np.minimum(raw[0], 127)]
    return x


@dataclass(slots=True)
class MolGraph:
    """One molecule as arrays.

    Attributes
    ----------
    x
        ``(num_atoms, atom_dim)`` float32 atom features.
    edge_index
        ``(2, 2 * num_bonds)`` int64; the reverse of edge ``e`` is edge ``e ^ 1``.
    edge_attr
        ``(2 * num_bonds, bond_dim)`` float32 bond features.
    """

    x: np.ndarray
    edge_index: np.ndarray
    edge_attr: np.ndarray

    @property
    def num_atoms(self) -> int:
        return int(self.x.shape[0])

    @property
    def num_edges(self) -> int:
        return int(self.edge_index.shape[1])

    def to_data(self) -> Data:
        """This graph as a PyTorch Geometric ``Data`` object."""
        import torch
        from torch_geometric.data import Data

        return Data(
            x=torch.from_numpy(self.x),
            edge_index=torch.from_numpy(self.edge_index),
            edge_attr=torch.from_numpy(self.edge_attr),
        )


@FEATURIZERS.register("graph")
class GraphFeaturizer:
    """Atom/bond featurizer producing :class:`MolGraph` objects.

    Parameters
    ----------
    version
        Feature-set version; bump when the features change so old checkpoints are refused.

    Examples
    --------
    >>> from rdkit import Chem
    >>> g = GraphFeaturizer()(Chem.MolFromSmiles("c1ccncc1"))
    >>> g.x.shape == (6, GraphFeaturizer.atom_dim)
    True
    """

    name = "graph"
    atom_dim = ATOM_DIM
    bond_dim = BOND_DIM

    def __init__(self, version: int = 1) -> None:
        if version != 1:
            raise ValueError(f"graph featurizer version {version} is not known (have: 1)")
        self.version = version

    def params(self) -> dict[str, Any]:
        return {"version": self.version}

    def to_config(self) -> dict[str, Any]:
        return featurizer_config(self.name, self.params())

    def __len__(self) -> int:
        return self.atom_dim

    def __repr__(self) -> str:
        return f"GraphFeaturizer(version={self.version})"

    def __call__(self, mol: Chem.Mol) -> MolGraph:
        """Featurize one molecule (sanitized, hydrogens implicit)."""
        n = mol.GetNumAtoms()
        m = mol.GetNumBonds()
        # Wrapping each Atom/Bond object is the main cost; fetch them once by index (faster
        # than the GetAtoms() iterator) and read each property with one C-level map.
        atoms = list(map(mol.GetAtomWithIdx, range(n)))
        raw = np.array([list(map(f, atoms)) for f in _ATOM_GETTERS], dtype=np.int64).reshape(6, n)
        ranks, flips = _canonical_ranks(mol, raw[2].tolist())
        _flip_chirality(raw, flips)
        if m:
            bonds = list(map(mol.GetBondWithIdx, range(m)))
            braw = np.array([list(map(f, bonds)) for f in _BOND_GETTERS], dtype=np.int64)
            degree = np.bincount(braw[:2].ravel(), minlength=n)
        else:
            braw = None
            degree = np.zeros(n, dtype=np.int64)
        # raw rows: atomic number, formal charge, chiral tag, total Hs, hybridization, aromatic
        x = _atom_matrix(raw, degree)
        rings = mol.GetRingInfo().AtomRings()
        if rings:
            ring_atoms: list[int] = []
            ring_cols: list[int] = []
            for ring in rings:
                ring_atoms.extend(ring)
                ring_cols.extend([_RING_BASE + min(len(ring), 8) - 3] * len(ring))
            x[ring_atoms, _N_ONEHOT + 1] = 1.0
            x[ring_atoms, ring_cols] = 1.0
        perm = np.empty(n, dtype=np.int64)
        perm[ranks] = np.arange(n)
        x = x[perm]  # canonical atom order
        if braw is None:
            return MolGraph(x, np.zeros((2, 0), dtype=np.int64), np.zeros((0, BOND_DIM), dtype=np.float32))
        order, low, high = _canonical_bonds(ranks[braw[0]], ranks[braw[1]])
        braw = braw[:, order]
        edge_index = np.empty((2, 2 * m), dtype=np.int64)
        edge_index[0, 0::2] = edge_index[1, 1::2] = low
        edge_index[1, 0::2] = edge_index[0, 1::2] = high
        battr = np.zeros((m, BOND_DIM), dtype=np.float32)
        rows = np.arange(m)
        battr[rows, _BOND_TYPE_SLOT[np.minimum(braw[2], 31)]] = 1.0
        battr[rows, _BOND_STEREO_SLOT[np.minimum(braw[3], 15)] + _BOND_OFFSETS[1]] = 1.0
        battr[:, -2] = braw[4]
        battr[:, -1] = braw[5]
        return MolGraph(x, edge_index, np.repeat(battr, 2, axis=0))


    def featurize_many(self, mols: Sequence[Chem.Mol]) -> list[MolGraph]:
        """Featurize many molecules at once; same result as ``[self(m) for m in mols]``.

        The per-atom and per-bond values are read molecule by molecule, but every numpy
        step runs once for the whole list, which roughly halves the cost per molecule. The
        returned graphs' ``x`` and ``edge_attr`` are views into shared arrays.
        """
        if not mols:
            return []
        acols: list[list[Any]] = [[] for _ in _ATOM_GETTERS]
        bcols: list[list[Any]] = [[] for _ in _BOND_GETTERS]
        n_atoms: list[int] = []
        n_bonds: list[int] = []
        ring_atoms: list[int] = []
        ring_len: list[int] = []
        ring_off: list[int] = []
        offset = 0
        ranks: list[np.ndarray] = []
        flips: list[int] = []
        for mol in mols:
            n = mol.GetNumAtoms()
            m = mol.GetNumBonds()
            atoms = list(map(mol.GetAtomWithIdx, range(n)))
            for col, getter in zip(acols, _ATOM_GETTERS, strict=True):
                col.extend(map(getter, atoms))
            mol_ranks, mol_flips = _canonical_ranks(mol, acols[2][offset:])
            ranks.append(mol_ranks)
            flips.extend(offset + i for i in mol_flips)
            if m:
                bonds = list(map(mol.GetBondWithIdx, range(m)))
                for col, getter in zip(bcols, _BOND_GETTERS, strict=True):
                    col.extend(map(getter, bonds))
            for ring in mol.GetRingInfo().AtomRings():
                ring_atoms.extend(ring)
                ring_len.append(len(ring))
                ring_off.append(offset)
            offset += n
            n_atoms.append(n)
            n_bonds.append(m)
        total = offset
        na = np.array(n_atoms, dtype=np.int64)
        nb = np.array(n_bonds, dtype=np.int64)
        aptr = np.zeros(len(mols) + 1, dtype=np.int64)
        np.cumsum(na, out=aptr[1:])
        bptr = np.zeros(len(mols) + 1, dtype=np.int64)
        np.cumsum(nb, out=bptr[1:])
        raw = np.array(acols, dtype=np.int64).reshape(len(_ATOM_GETTERS), total)
        _flip_chirality(raw, flips)
        braw = np.array(bcols, dtype=np.int64).reshape(len(_BOND_GETTERS), int(bptr[-1]))
        bond_off = np.repeat(aptr[:-1], nb)
        degree = np.bincount(np.concatenate([braw[0] + bond_off, braw[1] + bond_off]), minlength=total)
        x = _atom_matrix(raw, degree)
        if ring_atoms:
            rl = np.array(ring_len, dtype=np.int64)
            ra = np.array(ring_atoms, dtype=np.int64) + np.repeat(np.array(ring_off, dtype=np.int64), rl)
            x[ra, _N_ONEHOT + 1] = 1.0
            x[ra, np.repeat(_RING_BASE + np.minimum(rl, 8) - 3, rl)] = 1.0
        rank_all = np.concatenate(ranks)  # each atom's canonical position within its molecule
        perm = np.empty(total, dtype=np.int64)
        perm[rank_all + np.repeat(aptr[:-1], na)] = np.arange(total)
        x = x[perm]  # canonical atom order, molecule by molecule

        m_total = int(bptr[-1])
        order, low, high = _canonical_bonds(
            rank_all[braw[0] + bond_off], rank_all[braw[1] + bond_off], np.repeat(np.arange(len(mols)), nb)
        )
        braw = braw[:, order]
        edge_index = np.empty((2 * m_total, 2), dtype=np.int64)
        edge_index[0::2, 0] = edge_index[1::2, 1] = low
        edge_index[0::2, 1] = edge_index[1::2, 0] = high
        battr = np.zeros((m_total, BOND_DIM), dtype=np.float32)
        rows = np.arange(m_total)
        battr[rows, _BOND_TYPE_SLOT[np.minimum(braw[2], 31)]] = 1.0
        battr[rows, _BOND_STEREO_SLOT[np.minimum(braw[3], 15)] + _BOND_OFFSETS[1]] = 1.0
        battr[:, -2] = braw[4]
        battr[:, -1] = braw[5]
        eattr = np.repeat(battr, 2, axis=0)
        a = aptr.tolist()
        e = (2 * bptr).tolist()
        return [
            MolGraph(x[a[i] : a[i + 1]], edge_index[e[i] : e[i + 1]].T.copy(), eattr[e[i] : e[i + 1]])
            for i in range(len(mols))
        ]


class GraphBatch:
    """A plain batch of molecular graphs: the tensors a PyG ``Batch`` holds, without PyG.

    Attributes ``x``, ``edge_index``, ``edge_attr``, ``batch``, ``ptr`` and ``num_graphs`` mean
    what they mean on :class:`torch_geometric.data.Batch`. Made by ``collate(graphs,
    pyg=False)`` for inference: importing PyTorch Geometric costs seconds (it imports
    ``torch._dynamo``), which would dominate screening a handful of molecules. Models that
    call PyG layers (AttentiveFP) take either.
    """

    __slots__ = ("x", "edge_index", "edge_attr", "batch", "ptr", "num_graphs")

    def __init__(self, x: Any, edge_index: Any, edge_attr: Any, batch: Any, ptr: Any, num_graphs: int) -> None:
        self.x, self.edge_index, self.edge_attr = x, edge_index, edge_attr
        self.batch, self.ptr, self.num_graphs = batch, ptr, num_graphs

    def to(self, device: Any) -> GraphBatch:
        """The same batch with every tensor on ``device``."""
        return GraphBatch(
            self.x.to(device), self.edge_index.to(device), self.edge_attr.to(device),
            self.batch.to(device), self.ptr.to(device), self.num_graphs,
        )  # fmt: skip

    def __repr__(self) -> str:
        return f"GraphBatch(num_graphs={self.num_graphs}, num_nodes={self.x.shape[0]}, num_edges={self.edge_index.shape[1]})"


def collate(graphs: Sequence[MolGraph], pyg: bool = True) -> Batch | GraphBatch:
    """Concatenate graphs into one PyTorch Geometric ``Batch`` (or a :class:`GraphBatch`).

    The result has ``x``, ``edge_index`` (offset per graph), ``edge_attr``, ``batch`` (graph
    index of each atom), ``ptr`` and ``num_graphs``, like ``Batch.from_data_list`` builds,
    and keeps the ``e ^ 1`` reverse-edge pairing. With ``pyg=False`` the same tensors come in
    a :class:`GraphBatch`, and PyTorch Geometric is not imported.
    """
    import torch

    if not graphs:
        raise ValueError("collate() needs at least one graph")
    n_atoms = np.fromiter((g.x.shape[0] for g in graphs), dtype=np.int64, count=len(graphs))
    n_edges = np.fromiter((g.edge_index.shape[1] for g in graphs), dtype=np.int64, count=len(graphs))
    ptr = np.zeros(len(graphs) + 1, dtype=np.int64)
    np.cumsum(n_atoms, out=ptr[1:])
    x = np.concatenate([g.x for g in graphs])
    edge_index = np.concatenate([g.edge_index for g in graphs], axis=1)
    edge_index += np.repeat(ptr[:-1], n_edges)[None, :]
    edge_attr = np.concatenate([g.edge_attr for g in graphs])
    batch = np.repeat(np.arange(len(graphs), dtype=np.int64), n_atoms)
    if not pyg:
        return GraphBatch(
            torch.from_numpy(x), torch.from_numpy(edge_index), torch.from_numpy(edge_attr),
            torch.from_numpy(batch), torch.from_numpy(ptr), len(graphs),
        )  # fmt: skip
    from torch_geometric.data import Batch

    out = Batch(
        x=torch.from_numpy(x),
        edge_index=torch.from_numpy(edge_index),
        edge_attr=torch.from_numpy(edge_attr),
        batch=torch.from_numpy(batch),
        ptr=torch.from_numpy(ptr),
    )
    out._num_graphs = len(graphs)
    return out
