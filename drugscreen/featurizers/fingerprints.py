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
index of that nearest neighbour), exactly. Intersections are matrix products of the bit
matrices, in whichever exact form is fastest on this CPU (tried once per process, see
:func:`product_kind`): ``int8`` with ``int32`` sums (``torch._int_mm``; exact for any count;
fast on CPUs with integer dot-product units, VNNI), ``float32`` (exact for any fingerprint
length under 2**24 bits; the fast one on CPUs without VNNI, where ``int8`` products are 20x
slower), or ``bfloat16`` (exact for queries with up to 256 bits set, ``float32`` above). The
references are sorted by bit count,
so only the largest intersection per run of equal counts is kept: no pair-by-pair division.
A reference set searched repeatedly (a model's training set) is prepared once as a
:class:`TanimotoReference`. Figures: ``benchmarks/results/featurize_speed.txt``.
"""

from __future__ import annotations

import functools
import logging
import os
import time
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
    "product_kind",
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


# Kinds of matrix product for the intersections: "int8" (int8 x int8 -> int32 with
# torch._int_mm, exact for any count; whether this torch has it on the CPU is tried once, see
# _int8_products), "f32" (exact for any count below 2**24) and "bf16" (exact for queries with
# up to 256 bits set; the denser ones take "f32"). product_kind() picks the fastest.
_INT8, _BF16, _F32 = "int8", "bf16", "f32"
#: Environment variable that fixes the kind of product instead of timing them.
PRODUCTS_ENV = "DRUGSCREEN_TANIMOTO_PRODUCTS"
# bfloat16 1.0 as a bit pattern: 0/1 bytes times this are 0/1 bfloat16 values, built with
# one numpy multiply (faster than torch's uint8 -> bfloat16 conversion for a query block of
# ~1,000 rows; for a whole reference set of ~50,000 rows torch's conversion is ~3x faster).
_BF16_ONE = np.uint16(0x3F80)
# Every integer up to 256 is exact in bfloat16; an intersection is at most the query's bit count.
_BF16_EXACT = 256
_QUERY_BLOCK = 2048


@functools.cache
def _int8_products() -> bool:
    """Whether this torch multiplies int8 matrices into int32 on the CPU (``torch._int_mm``)."""
    try:
        import torch

        ones = torch.ones((3, 8), dtype=torch.int8)
        return bool((torch._int_mm(ones, ones.T) == 8).all())
    except Exception:  # an older torch, or no CPU kernel
        return False


def _probe_seconds(kinds: list[str], rounds: int = 5) -> dict[str, float]:
    """Least time of ``rounds`` small products ``q @ r.T`` of each kind, taken in turns so that
    another process's load falls on every kind alike; a kind 4x slower than the best after
    a round is not timed again."""
    rng = np.random.default_rng(0)
    q_bits = (rng.random((32, 2048)) < 0.03).astype(np.uint8)
    r_bits = (rng.random((256, 2048)) < 0.03).astype(np.uint8)
    tensors: dict[str, Any] = {}
    for kind in kinds:
        try:
            tensors[kind] = (_query_tensor(q_bits, kind), _query_tensor(r_bits, kind))
            _products(*tensors[kind], kind)
        except Exception:  # a kernel this torch lacks on this CPU
            tensors.pop(kind, None)
    best = dict.fromkeys(tensors, float("inf"))
    for _ in range(rounds):
        for kind in list(tensors):
            t0 = time.perf_counter()
            _products(*tensors[kind], kind)
            best[kind] = min(best[kind], time.perf_counter() - t0)
        fastest = min(best.values())
        for kind in [k for k in tensors if best[k] > 4 * fastest]:
            del tensors[kind]
    return best


@functools.cache
def product_kind() -> str:
    """The kind of matrix product this process uses for Tanimoto intersections.

    Every kind gives the exact integer intersections, so the similarities do not depend on
    the choice, only the speed does, and that differs by 20x between CPUs: ``int8`` products
    are the fastest on CPUs with VNNI and about 20x slower than ``float32`` on an AVX2 CPU
    without it (bfloat16 about 6x slower there). Without AVX-512 (torch's CPU capability)
    there are no such units: ``float32``. With it, the first call times a small product of
    each kind (32 x 2,048 by 2,048 x 256, five times in turns, a few ms in all) and keeps
    the fastest. :data:`PRODUCTS_ENV` (``int8``, ``f32`` or ``bf16``) fixes it instead.

    Returns
    -------
    str
        ``"int8"``, ``"f32"`` or ``"bf16"``.
    """
    kinds = [_F32, _BF16] + ([_INT8] if _int8_products() else [])
    wanted = os.environ.get(PRODUCTS_ENV, "").strip().lower()
    if wanted:
        if wanted in kinds:
            return wanted
        logger.warning("%s=%s ignored: use one of %s", PRODUCTS_ENV, wanted, ", ".join(kinds))
    import torch

    capability = str(torch.backends.cpu.get_cpu_capability())
    if not capability.startswith("AVX512"):
        # no AVX-512 (an AVX2 x86 CPU, or an ARM one): no VNNI or bfloat16 units either
        logger.debug("Tanimoto products: f32 (CPU capability %s)", capability)
        return _F32
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: a busy core does not make one kind wait for another
    try:
        times = _probe_seconds(kinds)
    finally:
        torch.set_num_threads(threads)
    chosen = min(times, key=times.__getitem__) if times else _F32
    logger.debug("Tanimoto products: %s (%s)", chosen, ", ".join(f"{k} {v * 1e3:.2f} ms" for k, v in times.items()))
    return chosen


class TanimotoReference:
    """Reference fingerprints prepared once for repeated :func:`max_tanimoto` calls.

    The references are sorted by bit count (stably) and kept as an ``int8`` 0/1 matrix
    (``bfloat16`` where bfloat16 products are this CPU's fastest, see :func:`product_kind`),
    so a query pays only the matrix product: keep one of these for a reference set that is
    searched again and again (a model's training set for the applicability domain).
    Memory: ``n_reference * n_bits`` bytes (about 100 MB for 50,000 ECFP4 fingerprints;
    twice that in ``bfloat16``); with ``float32`` products each block of references is
    converted when it is used, so memory stays that of ``int8``.

    Parameters
    ----------
    reference
        ``(n_reference, n_bits)`` 0/1 rows, or packed ``uint8`` rows (:func:`pack_bits`)
        when ``n_bits`` is given.
    n_bits
        Fingerprint length when ``reference`` is packed.
    keep_unpacked
        Keep the unpacked 0/1 matrix (the point of preparing once); ``False`` keeps
        only the sorted packed rows and unpacks one chunk at a time (what a single
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
        #: the kind of matrix product for the intersections: "int8", "f32" or "bf16" (:func:`product_kind`)
        self.kind = product_kind()
        #: intersections are int8 matrix products
        self.int8 = self.kind == _INT8
        self._bits: Any = None  # the unpacked rows: bfloat16 for "bf16" products, else int8
        if keep_unpacked and self.n:
            import torch

            if self.kind != _BF16:
                self._bits = torch.from_numpy(np.unpackbits(self._packed, axis=1, count=self.n_bits).view(np.int8))
            else:
                self._bits = torch.empty((self.n, self.n_bits), dtype=torch.bfloat16)
                for start in range(0, self.n, 8192):
                    self._bits[start : start + 8192] = torch.from_numpy(self._unpack(start, start + 8192))

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        return f"TanimotoReference(n={self.n}, n_bits={self.n_bits}, products={self.kind!r}, unpacked={self._bits is not None})"

    def _unpack(self, start: int, stop: int) -> np.ndarray:
        return np.unpackbits(self._packed[start:stop], axis=1, count=self.n_bits)

    def _block(self, start: int, stop: int, kind: str) -> Any:
        """Sorted rows ``start:stop`` as a 0/1 tensor of ``kind`` (:data:`_INT8`, ...)."""
        if self._bits is not None:
            block = self._bits[start:stop]
            if kind == _F32:
                return block.float()
            if (kind == _BF16) == (self.kind == _BF16):  # kept in this kind
                return block
        return _query_tensor(self._unpack(start, stop), kind)


def _query_tensor(bits: np.ndarray, kind: str) -> Any:
    """``(n, n_bits)`` 0/1 tensor of query rows ``bits`` (uint8) for products of ``kind``."""
    import torch

    if kind == _INT8:
        return torch.from_numpy(np.ascontiguousarray(bits).view(np.int8))
    if kind == _BF16:
        return torch.from_numpy(np.multiply(bits, _BF16_ONE, dtype=np.uint16)).view(torch.bfloat16)
    return torch.from_numpy(bits.astype(np.float32))


def _products(q: Any, block: Any, kind: str) -> Any:
    """Intersections ``q @ block.T`` (torch): int32 for int8 inputs, else of the inputs' type."""
    import torch

    return torch._int_mm(q, block.T) if kind == _INT8 else q @ block.T


def _best_intersections(
    q_bits: np.ndarray, ref: TanimotoReference, starts: np.ndarray, bounds: np.ndarray, kind: str
) -> np.ndarray:
    """Largest intersection of each query with each piece of the sorted reference.

    A piece (``starts[p]`` up to the next start) holds references of one bit count, so the
    best Tanimoto within it is the one with the largest intersection: only the maximum of
    each piece is kept, and nothing is divided pair by pair. Returns ``(n_query, n_pieces)``
    float64 counts.
    """
    import torch

    n_q = q_bits.shape[0]
    piece_of = np.searchsorted(starts, bounds)
    # int8 products are int32 already; bfloat16 products are read as int16 and float32 ones
    # as int32: for non-negative values the bit patterns sort like the numbers, so numpy's
    # integer max works on them.
    key_dtype = np.int16 if kind == _BF16 else np.int32
    key_torch = torch.int16 if kind == _BF16 else torch.int32
    best = np.empty((n_q, len(starts)), dtype=key_dtype)
    queries = [(q0, _query_tensor(q_bits[q0 : q0 + _QUERY_BLOCK], kind)) for q0 in range(0, n_q, _QUERY_BLOCK)]
    for k in range(len(bounds) - 1):
        s, e = int(bounds[k]), int(bounds[k + 1])
        p0, p1 = int(piece_of[k]), int(piece_of[k + 1])
        block = ref._block(s, e, kind)
        for q0, q in queries:
            keys = _products(q, block, kind).view(key_torch).numpy()  # (n, e - s) intersections
            best[q0 : q0 + _QUERY_BLOCK, p0:p1] = np.maximum.reduceat(keys, starts[p0:p1] - s, axis=1)
    if kind == _INT8:
        return best.astype(np.float64)
    as_float = torch.bfloat16 if kind == _BF16 else torch.float32
    return torch.from_numpy(best).view(as_float).double().numpy()


def _first_index(
    q_bits: np.ndarray, ref: TanimotoReference, starts: np.ndarray, cand_query: np.ndarray,
    cand_piece: np.ndarray, cand_count: np.ndarray, kind: str,
) -> np.ndarray:
    """Original index of the first reference in piece ``cand_piece[i]`` whose intersection
    with query ``cand_query[i]`` is ``cand_count[i]``."""
    ends = np.r_[starts[1:], ref.n]
    out = np.empty(len(cand_piece), dtype=np.int64)
    order = np.argsort(cand_piece, kind="stable")
    split = np.flatnonzero(np.diff(cand_piece[order])) + 1
    for group in np.split(order, split):
        p = int(cand_piece[group[0]])
        s, e = int(starts[p]), int(ends[p])
        q = _query_tensor(q_bits[cand_query[group]], kind)
        inter = _products(q, ref._block(s, e, kind), kind).double().numpy()
        first = np.argmax(inter == cand_count[group][:, None], axis=1)
        out[group] = ref.order[s + first]
    return out


#: Queries per block of the first pass of :func:`_max_tanimoto_bounded` (int8 products are as
#: fast per query in blocks of 256 as of 2,048).
_BOUND_BLOCK = 256
#: The references each block meets first: bit counts within this factor of the block's.
_NEAR_COUNTS = 0.9
#: References per step of the second pass (each step meets only the queries that need it).
_BOUND_ROWS = 2048


def _best_in_rows(q: Any, qa: np.ndarray, ref: TanimotoReference, r0: int, r1: int, chunk_size: int) -> np.ndarray:
    """Each query's largest float64 Tanimoto over the sorted references ``r0:r1`` (products
    of ``ref.kind``, int8 or float32; ``q`` the queries' tensor of that kind, ``qa`` their
    bit counts)."""
    best = np.zeros(len(qa), dtype=np.float64)
    runs = ref._run_starts
    for s in range(r0, r1, chunk_size):
        e = min(s + chunk_size, r1)
        starts = np.r_[s, runs[(runs > s) & (runs < e)]]  # pieces of one bit count
        keys = _products(q, ref._block(s, e, ref.kind), ref.kind).numpy()
        inter = np.maximum.reduceat(keys, starts - s, axis=1).astype(np.float64)
        union = qa[:, None] + ref.counts[starts][None, :] - inter
        sim = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        np.maximum(best, sim.max(axis=1), out=best)
    return best


def _max_tanimoto_bounded(q_bits: np.ndarray, ref: TanimotoReference, chunk_size: int) -> np.ndarray:
    """Exact float64 max Tanimoto (int8 or float32 products, exact for any bit count),
    skipping references that cannot reach it.

    A reference with ``b`` bits is at most ``min(a, b) / max(a, b)`` similar to a query with
    ``a``. First pass: the queries, sorted by bit count, meet in blocks the references whose
    counts are within :data:`_NEAR_COUNTS` of the block's, which gives each query a similarity
    ``s`` it reaches. Second pass: each step of :data:`_BOUND_ROWS` references meets the
    queries for which one of them could give ``min(a, b) / max(a, b) >= s`` (bounds taken a
    bit wide of the float products) and that have not met all of them yet. A reference a
    query never meets is less similar to it than ``s``, so each maximum is the full search's,
    the same float64 ratio. A query close to the reference set (one of its molecules:
    ``s = 1``) meets few references, a far one (``s`` about 0.3) nearly all of them, in about
    as many products as a full search.
    """
    import torch

    a = q_bits.sum(1, dtype=np.int64)
    best = np.zeros(q_bits.shape[0], dtype=np.float64)
    order = np.argsort(a, kind="stable")
    order = order[a[order] > 0]  # an empty fingerprint is 0 similar to everything
    if not len(order):
        return best
    counts = ref.counts
    qa = a[order]
    q = _query_tensor(q_bits[order], ref.kind)
    sim = np.zeros(len(order), dtype=np.float64)
    met = np.zeros((2, len(order)), dtype=np.int64)  # the rows each query met in the first pass
    for b0 in range(0, len(order), _BOUND_BLOCK):
        part = slice(b0, b0 + _BOUND_BLOCK)
        r0 = int(np.searchsorted(counts, np.floor(qa[part][0] * _NEAR_COUNTS), "left"))
        r1 = int(np.searchsorted(counts, np.ceil(qa[part][-1] / _NEAR_COUNTS), "right"))
        sim[part] = _best_in_rows(q[part], qa[part], ref, r0, r1, chunk_size)
        met[:, part] = [[r0], [r1]]
    found = sim > 0
    low = np.where(found, np.floor(qa * sim) - 1, 0)
    high = np.where(found, np.ceil(qa / np.where(found, sim, 1.0)) + 1, np.inf)
    need0 = np.searchsorted(counts, low, "left")
    need1 = np.searchsorted(counts, high, "right")
    for s in range(0, ref.n, _BOUND_ROWS):
        e = min(s + _BOUND_ROWS, ref.n)
        sel = np.flatnonzero((need0 < e) & (need1 > s) & ~((met[0] <= s) & (met[1] >= e)))
        if len(sel):
            more = _best_in_rows(q[torch.from_numpy(sel)], qa[sel], ref, s, e, chunk_size)
            sim[sel] = np.maximum(sim[sel], more)
    best[order] = sim
    return best


def _max_tanimoto_exact(
    q_bits: np.ndarray, ref: TanimotoReference, return_index: bool, chunk_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Exact float64 max Tanimoto and (optionally) the first index reaching it."""
    n_q = q_bits.shape[0]
    best = np.zeros(n_q, dtype=np.float64)
    best_idx = np.full(n_q, -1, dtype=np.int64)
    if n_q == 0 or ref.n == 0:
        return best, best_idx
    if q_bits.shape[1] != ref.n_bits:
        raise ValueError(f"query fingerprints have {q_bits.shape[1]} bits, the reference {ref.n_bits}")
    chunk_size = max(1, int(chunk_size))
    if ref.kind != _BF16 and not return_index:
        return _max_tanimoto_bounded(q_bits, ref, chunk_size), best_idx
    bounds = np.r_[np.arange(0, ref.n, chunk_size), ref.n]
    starts = np.union1d(ref._run_starts, bounds[:-1])  # pieces: one bit count, one chunk
    piece_count = ref.counts[starts].astype(np.float64)
    a = q_bits.sum(1, dtype=np.int64)
    if ref.kind != _BF16:
        groups = [(ref.kind, np.arange(n_q))]
    else:
        small = a <= _BF16_EXACT
        groups = [(_BF16, np.flatnonzero(small)), (_F32, np.flatnonzero(~small))]
    for kind, rows in groups:
        if not len(rows):
            continue
        for r0 in range(0, len(rows), 8 * _QUERY_BLOCK):  # bounds the (pieces, queries) arrays
            sel = rows[r0 : r0 + 8 * _QUERY_BLOCK]
            bits = q_bits[sel]
            inter = _best_intersections(bits, ref, starts, bounds, kind)
            union = a[sel][:, None] + piece_count[None, :] - inter
            sim = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
            top = sim.max(axis=1)
            best[sel] = top
            if not return_index:
                continue
            best_idx[sel] = 0  # every similarity is 0: the first reference
            col, piece = np.nonzero((sim == top[:, None]) & (top[:, None] > 0))
            if len(piece):
                found = _first_index(bits, ref, starts, col, piece, inter[col, piece], kind)
                first = np.full(len(sel), np.iinfo(np.int64).max, dtype=np.int64)
                np.minimum.at(first, col, found)
                hit = first < np.iinfo(np.int64).max
                best_idx[sel[hit]] = first[hit]
    return best, best_idx


def max_tanimoto(
    query: np.ndarray,
    reference: np.ndarray | TanimotoReference,
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
        ``(n_reference, ...)`` in the same form as ``query``, or a :class:`TanimotoReference`
        prepared once (faster when the same reference set is searched repeatedly); with a
        prepared reference, packed query rows are recognised by their width.
    n_bits
        Fingerprint length when the inputs are packed (:func:`pack_bits`); ``None`` for 0/1 rows.
    return_index
        Also return the index of the most similar reference (the nearest neighbour; the
        first one in reference order when several are equally similar).
    chunk_size
        References processed at a time (bounds memory: ``chunk_size * n_bits * 2`` bytes
        for the unpacked chunk plus ``chunk_size * 2048 * 2`` for the products).

    Returns
    -------
    numpy.ndarray or tuple
        ``(n_query,)`` float32 similarities in [0, 1] (0 when a fingerprint is empty or the
        reference set is empty), and with ``return_index`` the ``(n_query,)`` int64
        indices (-1 when the reference set is empty).

    Notes
    -----
    Exact: each value is the float32 rounding of the exact ratio ``|A & B| / |A | B|``.
    Intersections are matrix products of the 0/1 bit matrices of the kind
    :func:`product_kind` found fastest on this CPU (``int8`` with ``int32`` sums,
    ``float32``, or ``bfloat16`` for queries with at most 256 bits set and ``float32`` for
    denser ones); each is exact, so the results do not depend on it. References are
    sorted by bit count, and for one bit count the best Tanimoto is the largest
    intersection, so only the maximum intersection per run of equal counts is kept and the
    ratios are formed on that small table, in float64.
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
