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
index of that nearest neighbour), exactly. Intersections are counted by adding, for each bit
a query has, that bit's row of the reference bits (an ECFP4 query sets ~50 of 2,048 bits:
about 40x less arithmetic than a matrix product of the bit matrices, and no CPU-specific
kernel). The references are sorted by bit count,
so only the largest intersection per run of equal counts is kept: no pair-by-pair division.
A reference set searched repeatedly (a model's training set) is prepared once as a
:class:`TanimotoReference`. Figures: ``benchmarks/results/featurize_speed.txt``.
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
    "TanimotoReference",
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


# Intersections are counted by adding, for each bit a query has, that bit's row of the
# references' bits (references as columns, uint8): an ECFP4 query sets ~40-60 of 2,048 bits, so
# this is ~40x less arithmetic than a matrix product of the whole bit matrices, and it needs
# no CPU-specific kernel (an int8 matrix product, fast with VNNI, is 20x slower than float32
# on an AVX2 CPU without it). Sums stay in uint8 while they cannot pass 255 (the query's bit
# count bounds every intersection), else uint16.


class TanimotoReference:
    """Reference fingerprints prepared once for repeated :func:`max_tanimoto` calls.

    The references are sorted by bit count (stably) and kept unpacked with one row per bit
    (``(n_bits, n_reference)`` uint8, each bit's row contiguous), so a query pays only the
    additions of its own bits' rows: keep one of these for a reference set that is searched
    again and again (a model's training set for the applicability domain). Memory:
    ``n_reference * n_bits`` bytes (about 100 MB for 50,000 ECFP4 fingerprints).

    Parameters
    ----------
    reference
        ``(n_reference, n_bits)`` 0/1 rows, or packed ``uint8`` rows (:func:`pack_bits`)
        when ``n_bits`` is given.
    n_bits
        Fingerprint length when ``reference`` is packed.
    keep_unpacked
        Keep the unpacked bits (the point of preparing once); ``False`` keeps only the
        sorted packed rows and unpacks one chunk at a time (what a single
        :func:`max_tanimoto` call on plain arrays does).

    Notes
    -----
    The reference array is copied: changing it afterwards does not change this object.
    """

    def __init__(self, reference: np.ndarray, n_bits: int | None = None, *, keep_unpacked: bool = True) -> None:
        ref = np.asarray(reference)
        if ref.ndim == 1:
            ref = ref[None, :]
        if n_bits is not None:
            if ref.size:
                _check_packed(ref, n_bits)
            packed = np.asarray(ref, dtype=np.uint8).reshape(-1, (n_bits + 7) // 8)
        else:
            n_bits = int(ref.shape[1])
            packed = np.packbits(ref != 0, axis=1)
        counts = np.bitwise_count(packed).sum(1, dtype=np.int64)
        self.n_bits = int(n_bits)
        #: number of reference fingerprints
        self.n = int(packed.shape[0])
        #: ``order[i]`` is the original row of sorted row ``i``
        self.order = np.argsort(counts, kind="stable")
        #: bit count of each sorted row
        self.counts = counts[self.order]
        self._packed = packed[self.order]
        self._run_starts = np.flatnonzero(np.r_[True, self.counts[1:] != self.counts[:-1]]) if self.n else np.zeros(0, np.int64)
        self._columns: np.ndarray | None = None  # (n_bits, n) uint8: bit j of every sorted reference
        if keep_unpacked and self.n:
            self._columns = _bit_rows_of(self._packed, self.n_bits)

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        return f"TanimotoReference(n={self.n}, n_bits={self.n_bits}, unpacked={self._columns is not None})"

    def _bit_rows(self, start: int, stop: int) -> np.ndarray:
        """Sorted references ``start:stop`` as ``(n_bits, stop - start)`` uint8, one row per bit."""
        if self._columns is not None:
            return self._columns[:, start:stop]
        return _bit_rows_of(self._packed[start:stop], self.n_bits)


def _bit_rows_of(packed: np.ndarray, n_bits: int) -> np.ndarray:
    """Packed rows ``(n, n_bytes)`` as ``(n_bits, n)`` uint8 0/1, one contiguous row per bit
    (bit ``8 k + i`` is bit ``7 - i`` of byte ``k``, as :func:`numpy.packbits` writes them);
    by shifts of the transposed bytes, 2x faster than unpacking and transposing."""
    by_byte = np.ascontiguousarray(packed.T)
    out = np.empty((by_byte.shape[0] * 8, packed.shape[0]), dtype=np.uint8)
    shifted = np.empty_like(by_byte)
    for i in range(8):
        np.right_shift(by_byte, 7 - i, out=shifted)
        np.bitwise_and(shifted, 1, out=out[i::8])
    return out[:n_bits]


def _intersections(rows: np.ndarray, on: np.ndarray) -> np.ndarray:
    """``|A & B|`` of one query (its set bits ``on``, not empty) with every reference of ``rows``
    (:meth:`TanimotoReference._bit_rows`): the sum of the query's bits' rows."""
    total = rows[on[0]].astype(np.uint8 if len(on) < 256 else np.uint16)
    for j in on[1:]:
        np.add(total, rows[j], out=total)
    return total


def _max_tanimoto_exact(
    q_bits: np.ndarray, ref: TanimotoReference, return_index: bool, chunk_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Exact float64 max Tanimoto and (optionally) the first index reaching it.

    References of one bit count ``b`` (a run of the sorted references) are best for a query
    with ``a`` bits where the intersection ``c`` is largest, so only each run's largest
    intersection is turned into a ratio ``c / (a + b - c)``, in float64. A prepared reference
    is searched whole; an unprepared one ``chunk_size`` references at a time.
    """
    n_q = q_bits.shape[0]
    best = np.zeros(n_q, dtype=np.float64)
    best_idx = np.full(n_q, -1, dtype=np.int64)
    if n_q == 0 or ref.n == 0:
        return best, best_idx
    if q_bits.shape[1] != ref.n_bits:
        raise ValueError(f"query fingerprints have {q_bits.shape[1]} bits, the reference {ref.n_bits}")
    if return_index:
        best_idx[:] = 0  # every similarity 0: the first reference
    on_bits = [np.flatnonzero(row) for row in q_bits]
    step = ref.n if ref._columns is not None else max(1, int(chunk_size))
    runs = ref._run_starts
    for s in range(0, ref.n, step):
        e = min(s + step, ref.n)
        rows = ref._bit_rows(s, e)
        starts = np.r_[0, runs[(runs > s) & (runs < e)] - s]  # runs of one bit count in this chunk
        run_counts = ref.counts[s + starts].astype(np.float64)
        for i, on in enumerate(on_bits):
            if not len(on):
                continue  # an empty fingerprint is 0 similar to everything
            inter = _intersections(rows, on)
            largest = np.maximum.reduceat(inter, starts)
            c = largest.astype(np.float64)
            sim = c / (len(on) + run_counts - c)  # the union is at least a > 0
            top = sim.max()
            if top < best[i] or top == 0:
                continue
            if return_index:
                first = _first_reaching(inter, starts, largest, sim == top, ref, s, e)
                best_idx[i] = first if top > best[i] else min(first, best_idx[i])
            best[i] = top
    return best, best_idx


def max_tanimoto_by_group(q_bits: np.ndarray, ref: TanimotoReference, groups: list[np.ndarray]) -> np.ndarray:
    """Exact float64 max Tanimoto of each query over the whole prepared reference and over each
    group of it, in one pass.

    Parameters
    ----------
    q_bits
        ``(n_query, n_bits)`` 0/1 query rows.
    ref
        A prepared :class:`TanimotoReference` (one kept unpacked).
    groups
        Original row indices of the reference, one array per group (groups may overlap).

    Returns
    -------
    numpy.ndarray
        ``(n_query, 1 + len(groups))``: column 0 the maximum over every reference (what
        :func:`max_tanimoto` gives, to the bit), column ``1 + g`` over group ``g`` (NaN for an
        empty group). An empty query is 0 similar to everything.

    Each query's intersections with every reference are counted once (as in the plain search),
    turned into ratios ``c / (a + b - c)``, and each group's maximum taken over its rows.
    """
    n_q = q_bits.shape[0]
    out = np.zeros((n_q, 1 + len(groups)), dtype=np.float64)
    sizes = np.array([len(g) for g in groups], dtype=np.int64)
    out[:, 1:][:, sizes == 0] = np.nan
    if n_q == 0 or ref.n == 0:
        if ref.n == 0:
            out[:] = np.nan
        return out
    if q_bits.shape[1] != ref.n_bits:
        raise ValueError(f"query fingerprints have {q_bits.shape[1]} bits, the reference {ref.n_bits}")
    position = np.empty(ref.n, dtype=np.int64)
    position[ref.order] = np.arange(ref.n)  # sorted position of each original row
    full = [k for k in range(len(groups)) if sizes[k]]
    flat = np.concatenate([position[np.asarray(groups[k], dtype=np.int64)] for k in full]) if full else np.zeros(0, np.int64)
    starts = np.r_[0, np.cumsum(sizes[full])[:-1]].astype(np.int64)
    cols = 1 + np.asarray(full, dtype=np.int64)
    rows = ref._bit_rows(0, ref.n)
    counts = ref.counts.astype(np.float64)
    for i, row in enumerate(q_bits):
        on = np.flatnonzero(row)
        if not len(on):
            continue  # an empty fingerprint is 0 similar to everything
        c = _intersections(rows, on).astype(np.float64)
        sim = c / (len(on) + counts - c)  # the union is at least a > 0
        out[i, 0] = sim.max()
        if len(flat):
            out[i, cols] = np.maximum.reduceat(sim[flat], starts)
    return out


def _first_reaching(
    inter: np.ndarray, starts: np.ndarray, largest: np.ndarray, hit: np.ndarray, ref: TanimotoReference, s: int, e: int
) -> int:
    """Smallest original index among the references ``s:e`` whose run is ``hit`` and whose
    intersection is that run's ``largest``."""
    ends = np.r_[starts[1:], e - s]
    first = ref.n
    for p in np.flatnonzero(hit):
        pos = np.flatnonzero(inter[starts[p] : ends[p]] == largest[p])
        first = min(first, int(ref.order[s + starts[p] + pos].min()))
    return first


def max_tanimoto(
    query: np.ndarray,
    reference: np.ndarray | TanimotoReference,
    n_bits: int | None = None,
    *,
    return_index: bool = False,
    chunk_size: int = 32768,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Highest Tanimoto similarity of each query fingerprint to a reference set.

    Parameters
    ----------
    query
        ``(n_query, n_bits)`` 0/1 rows, or packed ``uint8`` rows when ``n_bits`` is given.
    reference
        ``(n_reference, ...)`` in the same form as ``query``, or a :class:`TanimotoReference`
        prepared once (faster when the same reference set is searched repeatedly); with a
        prepared reference, packed query rows are recognised by their width.
    n_bits
        Fingerprint length when the inputs are packed (:func:`pack_bits`); ``None`` for 0/1 rows.
    return_index
        Also return the index of the most similar reference (the nearest neighbour; the
        first one in reference order when several are equally similar).
    chunk_size
        References of a plain (not prepared) reference set unpacked at a time (bounds
        memory: ``chunk_size * n_bits`` bytes, 64 MB for ECFP4 by default; smaller chunks
        cost more calls per query: 8192 took 1.7x as long on 2,628 x 50,000); a prepared one
        is searched whole.

    Returns
    -------
    numpy.ndarray or tuple
        ``(n_query,)`` float32 similarities in [0, 1] (0 when a fingerprint is empty or the
        reference set is empty), and with ``return_index`` the ``(n_query,)`` int64
        indices (-1 when the reference set is empty).

    Notes
    -----
    Exact: each value is the float32 rounding of the exact ratio ``|A & B| / |A | B|``.
    Intersections are counted in integers (the sum of the reference bits' rows for the bits
    a query has). References are sorted by bit count, and for one bit count the best
    Tanimoto is the largest intersection, so only the maximum intersection per run of equal
    counts is kept and the ratios are formed on that small table, in float64.
    """
    if isinstance(reference, TanimotoReference):
        if n_bits is not None and n_bits != reference.n_bits:
            raise ValueError(f"n_bits={n_bits} but the prepared reference has {reference.n_bits} bits")
        width = np.shape(query)[-1] if np.ndim(query) else 0
        if n_bits is None and width != reference.n_bits and width == (reference.n_bits + 7) // 8:
            n_bits = reference.n_bits  # packed rows: the prepared reference says how many bits
        q_bits = _as_bits(query, n_bits)
        ref = reference
    else:
        q_bits = _as_bits(query, n_bits)
        ref_arr = np.asarray(reference)
        if ref_arr.ndim == 1:
            ref_arr = ref_arr[None, :]
        if n_bits is not None and ref_arr.size:
            _check_packed(ref_arr, n_bits)
        if q_bits.shape[0] == 0 or ref_arr.shape[0] == 0 or ref_arr.size == 0:
            empty = np.zeros(q_bits.shape[0], dtype=np.float32)
            return (empty, np.full(q_bits.shape[0], -1, dtype=np.int64)) if return_index else empty
        ref = TanimotoReference(ref_arr, n_bits, keep_unpacked=False)
    sim, idx = _max_tanimoto_exact(q_bits, ref, return_index, chunk_size)
    sim32 = sim.astype(np.float32)
    return (sim32, idx) if return_index else sim32
