"""Molecular fingerprints through RDKit's fingerprint generators, and fast bulk Tanimoto.

Featurizers (registered in :data:`~drugscreen.featurizers.base.FEATURIZERS`):

- ``morgan``: Morgan/ECFP bits or counts (``radius``, ``n_bits``, ``counts``); with
  ``features=True`` the atom invariants are pharmacophoric (FCFP).
- ``atom_pair``: atom-pair bits or counts.
- ``maccs``: the 167 MACCS keys.

Each featurizer is called on one molecule (``fp(mol) -> np.ndarray``) or on many
(``fp.featurize_many(mols) -> (n, len(fp))`` array); the generator is built once and reused.
Bits are ``uint8`` 0/1, counts ``uint32``.

For similarity search, :func:`pack_bits` packs 0/1 rows into ``uint8`` bytes (8x smaller:
this is how reference sets are stored in model bundles) and :func:`max_tanimoto` returns,
for every query, the highest Tanimoto similarity to a reference set (and optionally the
index of that nearest neighbour). It uses one matrix product of the bit matrices in
``bfloat16`` (exact: 0/1 inputs, integer counts below 256) which runs on the CPU's
matrix units where present; 2,628 queries against 50,000 references take about a second
on the 2-core development machine (see ``benchmarks/featurize_speed.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator, rdMolDescriptors

from drugscreen.featurizers.base import FEATURIZERS, featurizer_config

__all__ = [
    "AtomPairFingerprint",
    "MACCSFingerprint",
    "MorganFingerprint",
    "max_tanimoto",
    "pack_bits",
    "tanimoto_matrix",
    "unpack_bits",
]

logger = logging.getLogger(__name__)


class _GeneratorFingerprint:
    """Shared machinery of the generator-based fingerprints."""

    name = ""
    input_kind = "molecule"

    def __init__(self, n_bits: int, counts: bool) -> None:
        if n_bits <= 0:
            raise ValueError(f"n_bits must be positive, got {n_bits}")
        self.n_bits = int(n_bits)
        self.counts = bool(counts)
        self._gen: Any = None

    def _make_generator(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def generator(self) -> Any:
        """The RDKit generator (built on first use; not pickled)."""
        if self._gen is None:
            self._gen = self._make_generator()
        return self._gen

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_gen"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    @property
    def dtype(self) -> type:
        return np.uint32 if self.counts else np.uint8

    def params(self) -> dict[str, Any]:  # pragma: no cover - overridden
        raise NotImplementedError

    def to_config(self) -> dict[str, Any]:
        return featurizer_config(self.name, self.params())

    def __len__(self) -> int:
        return self.n_bits

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({args})"

    def __call__(self, mol: Chem.Mol) -> np.ndarray:
        """The fingerprint of one molecule, shape ``(n_bits,)``."""
        if self.counts:
            return self.generator.GetCountFingerprintAsNumPy(mol).astype(np.uint32, copy=False)
        return self.generator.GetFingerprintAsNumPy(mol)

    def featurize_many(self, mols: Sequence[Chem.Mol]) -> np.ndarray:
        """Fingerprints of many molecules, shape ``(len(mols), n_bits)``."""
        out = np.empty((len(mols), self.n_bits), dtype=self.dtype)
        gen = self.generator
        fn = gen.GetCountFingerprintAsNumPy if self.counts else gen.GetFingerprintAsNumPy
        for i, mol in enumerate(mols):
            out[i] = fn(mol)
        return out


@FEATURIZERS.register("morgan")
class MorganFingerprint(_GeneratorFingerprint):
    """Morgan (ECFP-like) fingerprint.

    Parameters
    ----------
    radius
        Number of bond hops (2 gives ECFP4, 3 gives ECFP6).
    n_bits
        Length of the folded fingerprint.
    counts
        Return how often each hashed environment occurs instead of 0/1 bits.
    features
        Use pharmacophoric atom invariants (FCFP) instead of the ECFP ones.
    chirality
        Include chirality in the atom invariants.

    Examples
    --------
    >>> from rdkit import Chem
    >>> fp = MorganFingerprint(radius=2, n_bits=1024)
    >>> fp(Chem.MolFromSmiles("CCO")).shape
    (1024,)
    """

    name = "morgan"

    def __init__(
        self,
        radius: int = 2,
        n_bits: int = 2048,
        counts: bool = False,
        features: bool = False,
        chirality: bool = False,
    ) -> None:
        super().__init__(n_bits, counts)
        if radius < 0:
            raise ValueError(f"radius must be >= 0, got {radius}")
        self.radius = int(radius)
        self.features = bool(features)
        self.chirality = bool(chirality)

    def _make_generator(self) -> Any:
        kwargs: dict[str, Any] = {
            "radius": self.radius,
            "fpSize": self.n_bits,
            "includeChirality": self.chirality,
        }
        if self.features:
            kwargs["atomInvariantsGenerator"] = rdFingerprintGenerator.GetMorganFeatureAtomInvGen()
        return rdFingerprintGenerator.GetMorganGenerator(**kwargs)

    def params(self) -> dict[str, Any]:
        return {
            "radius": self.radius,
            "n_bits": self.n_bits,
            "counts": self.counts,
            "features": self.features,
            "chirality": self.chirality,
        }


@FEATURIZERS.register("atom_pair")
class AtomPairFingerprint(_GeneratorFingerprint):
    """Atom-pair fingerprint (pairs of atom types with their topological distance).

    Parameters
    ----------
    n_bits
        Length of the folded fingerprint.
    counts
        Return counts instead of 0/1 bits.
    max_distance
        Longest topological distance considered.
    """

    name = "atom_pair"

    def __init__(self, n_bits: int = 2048, counts: bool = False, max_distance: int = 30) -> None:
        super().__init__(n_bits, counts)
        self.max_distance = int(max_distance)

    def _make_generator(self) -> Any:
        return rdFingerprintGenerator.GetAtomPairGenerator(
            fpSize=self.n_bits, maxDistance=self.max_distance
        )

    def params(self) -> dict[str, Any]:
        return {"n_bits": self.n_bits, "counts": self.counts, "max_distance": self.max_distance}


@FEATURIZERS.register("maccs")
class MACCSFingerprint:
    """The 167 MACCS structural keys (bit 0 is always 0, as in RDKit)."""

    name = "maccs"
    input_kind = "molecule"
    n_bits = 167
    dtype = np.uint8

    def params(self) -> dict[str, Any]:
        return {}

    def to_config(self) -> dict[str, Any]:
        return featurizer_config(self.name, self.params())

    def __len__(self) -> int:
        return self.n_bits

    def __repr__(self) -> str:
        return "MACCSFingerprint()"

    def __call__(self, mol: Chem.Mol) -> np.ndarray:
        out = np.zeros(self.n_bits, dtype=np.uint8)
        DataStructs.ConvertToNumpyArray(rdMolDescriptors.GetMACCSKeysFingerprint(mol), out)
        return out

    def featurize_many(self, mols: Sequence[Chem.Mol]) -> np.ndarray:
        out = np.zeros((len(mols), self.n_bits), dtype=np.uint8)
        for i, mol in enumerate(mols):
            DataStructs.ConvertToNumpyArray(rdMolDescriptors.GetMACCSKeysFingerprint(mol), out[i])
        return out


# ---------------------------------------------------------------------------------------------
# Packed bits and Tanimoto similarity


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """Pack 0/1 fingerprint rows ``(n, n_bits)`` into ``uint8`` bytes ``(n, ceil(n_bits / 8))``."""
    bits = np.asarray(bits)
    if bits.ndim == 1:
        bits = bits[None, :]
    return np.packbits(bits.astype(bool, copy=False), axis=1)


def unpack_bits(packed: np.ndarray, n_bits: int) -> np.ndarray:
    """Inverse of :func:`pack_bits`: ``uint8`` 0/1 rows of length ``n_bits``."""
    packed = np.asarray(packed, dtype=np.uint8)
    if packed.ndim == 1:
        packed = packed[None, :]
    return np.unpackbits(packed, axis=1, count=n_bits)


def _check_packed(fps: np.ndarray, n_bits: int) -> None:
    n_bytes = (n_bits + 7) // 8
    if fps.dtype != np.uint8 or fps.ndim != 2 or fps.shape[1] != n_bytes:
        raise ValueError(
            f"packed fingerprints of {n_bits} bits must be uint8 rows of {n_bytes} bytes, "
            f"got {fps.dtype} rows of {fps.shape[-1]}"
        )


def _as_bits(fps: np.ndarray, n_bits: int | None) -> np.ndarray:
    """0/1 ``uint8`` rows from either packed ``uint8`` bytes (``n_bits`` given) or 0/1 rows."""
    fps = np.asarray(fps)
    if fps.ndim == 1:
        fps = fps[None, :]
    if n_bits is not None:
        _check_packed(fps, n_bits)
        return unpack_bits(fps, n_bits)
    return (fps != 0).view(np.uint8) if fps.dtype == bool else (fps != 0).astype(np.uint8)


def tanimoto_matrix(query: np.ndarray, reference: np.ndarray, n_bits: int | None = None) -> np.ndarray:
    """All pairwise Tanimoto similarities, ``(n_query, n_reference)`` float32.

    Parameters
    ----------
    query, reference
        0/1 fingerprint rows, or packed rows (:func:`pack_bits`) when ``n_bits`` is given.
    n_bits
        Fingerprint length when the inputs are packed.
    """
    q = _as_bits(query, n_bits).astype(np.float32)
    r = _as_bits(reference, n_bits).astype(np.float32)
    inter = q @ r.T
    union = q.sum(1)[:, None] + r.sum(1)[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        sim = np.where(union > 0, inter / union, 0.0)
    return sim.astype(np.float32)


def max_tanimoto(
    query: np.ndarray,
    reference: np.ndarray,
    n_bits: int | None = None,
    *,
    return_index: bool = False,
    chunk_size: int = 8192,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Highest Tanimoto similarity of each query fingerprint to a reference set.

    Parameters
    ----------
    query
        ``(n_query, n_bits)`` 0/1 rows, or packed ``uint8`` rows when ``n_bits`` is given.
    reference
        ``(n_reference, ...)`` in the same form as ``query``.
    n_bits
        Fingerprint length when the inputs are packed (:func:`pack_bits`); ``None`` for 0/1 rows.
    return_index
        Also return the index of the most similar reference (the nearest neighbour).
    chunk_size
        References processed at a time (bounds memory: ``chunk_size * n_bits * 2`` bytes).

    Returns
    -------
    numpy.ndarray or tuple
        ``(n_query,)`` float32 similarities in [0, 1] (0 when a fingerprint is empty or the
        reference set is empty), and with ``return_index`` the ``(n_query,)`` int64
        indices (-1 when the reference set is empty).

    Notes
    -----
    Intersections are one matrix product per chunk. It runs in ``bfloat16`` (exact here:
    inputs are 0/1, accumulation is float32, counts below 256 are exact in bfloat16),
    falling back to float32 when a fingerprint has 256 bits or more set.
    """
    import torch

    q_bits = _as_bits(query, n_bits)
    n_q = q_bits.shape[0]
    best = np.zeros(n_q, dtype=np.float32)
    best_idx = np.full(n_q, -1, dtype=np.int64)
    ref = np.asarray(reference)
    if ref.ndim == 1:
        ref = ref[None, :]
    n_r = ref.shape[0] if ref.size else 0
    if n_q == 0 or n_r == 0:
        return (best, best_idx) if return_index else best
    q_count = q_bits.sum(1, dtype=np.int64)
    dtype = torch.bfloat16 if int(q_count.max()) < 256 else torch.float32
    q = torch.from_numpy(q_bits).to(dtype)
    q_cnt = torch.from_numpy(q_count.astype(np.float32))[:, None]
    best_t = torch.zeros(n_q)
    idx_t = torch.full((n_q,), -1, dtype=torch.int64)
    table = None
    if n_bits is not None:  # packed byte -> its 8 bits, straight into the matmul dtype
        table = torch.from_numpy(np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1)).to(dtype)
    for start in range(0, n_r, chunk_size):
        block = ref[start : start + chunk_size]
        if table is not None:
            _check_packed(block, n_bits)
            r = torch.nn.functional.embedding(torch.from_numpy(block).long(), table)
            r = r.reshape(block.shape[0], -1)[:, :n_bits]
            r_count = np.bitwise_count(block).sum(1, dtype=np.int64)
        else:
            r_bits = _as_bits(block, None)
            r = torch.from_numpy(r_bits).to(dtype)
            r_count = r_bits.sum(1, dtype=np.int64)
        r_cnt = torch.from_numpy(r_count.astype(np.float32))[None, :]
        sim = (q @ r.T).float()  # intersections
        union = q_cnt + r_cnt
        union.sub_(sim).clamp_(min=1.0)
        sim.div_(union)
        val, arg = sim.max(dim=1)
        better = val > best_t
        best_t = torch.where(better, val, best_t)
        idx_t = torch.where(better | (idx_t < 0), arg + start, idx_t)
    best = best_t.numpy().astype(np.float32)
    if return_index:
        return best, idx_t.numpy()
    return best
