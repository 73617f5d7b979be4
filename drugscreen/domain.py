"""Applicability domain: how close a molecule is to a model's training set.

The similarity of a query to the training set is its maximum Tanimoto similarity over the
training molecules' ECFP4 fingerprints (2048 bits, radius 2). A molecule is *in domain*
when that similarity reaches a threshold chosen on validation data
(:func:`choose_threshold`) and recorded in the bundle; :func:`domain_error_evidence`
compares errors of in- and out-of-domain molecules on held-out data.

Similarities are computed exactly with one matrix product of the unpacked bit vectors
(``|A & B| = A . B``) in bfloat16 (0/1 inputs and intersection counts up to 256 are exact;
queries with more than 256 bits set are redone in float32), with the training set's bits
prepared once per bundle, so a screen pays only the matrix product.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "ECFP4_CONFIG",
    "choose_threshold",
    "domain_error_evidence",
    "ecfp4_packed",
    "max_tanimoto",
    "unpack_bits",
]

logger = logging.getLogger(__name__)

#: The fingerprint the applicability domain (and the ``ecfp`` hybrid input) uses: the
#: ``morgan`` featurizer of :mod:`drugscreen.featurizers.fingerprints`, radius 2, 2048 bits.
ECFP4_CONFIG: dict[str, Any] = {
    "name": "morgan",
    "params": {"chirality": False, "counts": False, "features": False, "n_bits": 2048, "radius": 2},
}


def ecfp4_packed(mols: Sequence[Any], config: dict[str, Any] | None = None) -> np.ndarray:
    """Packed fingerprint bits ``(n, n_bits // 8)`` uint8 (``np.packbits`` order) of RDKit molecules.

    Uses the registered featurizer given by ``config`` (default :data:`ECFP4_CONFIG`); a
    ``None`` molecule gives an all-zero row.
    """
    from drugscreen.featurizers.base import build_featurizer

    fp = build_featurizer(config or ECFP4_CONFIG)
    n_bits = len(fp)
    out = np.zeros((len(mols), (n_bits + 7) // 8), dtype=np.uint8)
    ok = [i for i, m in enumerate(mols) if m is not None]
    if ok:
        out[ok] = np.packbits(fp.featurize_many([mols[i] for i in ok]).astype(bool), axis=1)
    return out


def unpack_bits(packed: np.ndarray, n_bits: int | None = None) -> np.ndarray:
    """Unpack ``(n, n_bits // 8)`` uint8 rows into a ``(n, n_bits)`` float32 0/1 matrix."""
    bits = np.unpackbits(np.asarray(packed, dtype=np.uint8), axis=1)
    if n_bits is not None:
        bits = bits[:, :n_bits]
    return bits.astype(np.float32)


class _Reference:
    """Training fingerprints prepared once for fast similarity queries."""

    def __init__(self, packed: np.ndarray) -> None:
        import torch

        self.n = int(packed.shape[0])
        bits = np.unpackbits(np.asarray(packed, dtype=np.uint8), axis=1)
        self.counts = torch.from_numpy(bits.sum(axis=1).astype(np.float32))
        self.bits_t = torch.from_numpy(bits).to(torch.bfloat16).T.contiguous()


_REF_CACHE: dict[int, tuple[np.ndarray, _Reference]] = {}


def _reference(packed: np.ndarray) -> _Reference:
    key = id(packed)
    hit = _REF_CACHE.get(key)
    if hit is not None and hit[0] is packed:
        return hit[1]
    ref = _Reference(packed)
    if len(_REF_CACHE) > 8:
        _REF_CACHE.clear()
    _REF_CACHE[key] = (packed, ref)
    return ref


def max_tanimoto(query: np.ndarray, reference: np.ndarray, chunk: int = 512) -> np.ndarray:
    """Maximum Tanimoto similarity of each query row to any reference row.

    Parameters
    ----------
    query, reference
        Packed bits, uint8 ``(n, n_bytes)`` and ``(m, n_bytes)``.
    chunk
        Queries per matrix product.

    Returns
    -------
    np.ndarray
        ``(n,)`` float64 in [0, 1]; 0 for an all-zero query, NaN if the reference is empty.
    """
    import torch

    query = np.asarray(query, dtype=np.uint8)
    n = query.shape[0]
    if reference.shape[0] == 0:
        return np.full(n, np.nan)
    ref = _reference(reference)
    out = np.empty(n, dtype=np.float64)
    for start in range(0, n, chunk):
        qb = np.unpackbits(query[start : start + chunk], axis=1)
        counts = qb.sum(axis=1)
        qc = torch.from_numpy(counts.astype(np.float32))
        inter = (torch.from_numpy(qb).to(torch.bfloat16) @ ref.bits_t).float()
        big = np.flatnonzero(counts > 256)
        if len(big):  # bfloat16 holds integers exactly only up to 256: redo these in float32
            exact = torch.from_numpy(qb[big].astype(np.float32)) @ ref.bits_t.float()
            inter[torch.from_numpy(big)] = exact
        union = qc[:, None] + ref.counts[None, :] - inter
        sim = inter / union.clamp_(min=1.0)
        out[start : start + chunk] = sim.max(dim=1).values.double().numpy()
    return out


def choose_threshold(
    similarity: np.ndarray, error: np.ndarray, candidates: Sequence[float] | None = None, min_fraction: float = 0.05
) -> dict[str, Any]:
    """Pick the in/out-of-domain similarity threshold on validation data.

    For each candidate threshold leaving at least ``min_fraction`` of the molecules on each
    side, compute the ratio of the mean error below it (out of domain) to the mean error at
    or above it (in domain); choose the threshold with the largest ratio. If no candidate is
    valid, the 10th percentile of the similarities is used.

    Parameters
    ----------
    similarity
        Max-Tanimoto similarity of each validation molecule to the training set.
    error
        A per-molecule error (NaN = no label), e.g. mean normalized absolute error.

    Returns
    -------
    dict
        ``threshold``, ``method``, and the validation statistics at that threshold.
    """
    ok = ~np.isnan(error) & ~np.isnan(similarity)
    s, e = similarity[ok], error[ok]
    if candidates is None:
        candidates = [round(x, 2) for x in np.arange(0.20, 0.71, 0.025)]
    best: dict[str, Any] | None = None
    for c in candidates:
        out = s < c
        frac = float(out.mean()) if len(s) else 0.0
        if frac < min_fraction or frac > 1 - min_fraction:
            continue
        ratio = float(e[out].mean() / max(e[~out].mean(), 1e-12))
        if best is None or ratio > best["error_ratio"]:
            best = {
                "threshold": float(c),
                "error_ratio": ratio,
                "fraction_out": frac,
                "error_out": float(e[out].mean()),
                "error_in": float(e[~out].mean()),
            }
    if best is None:
        thr = float(np.percentile(s, 10)) if len(s) else 0.3
        return {"threshold": thr, "method": "10th percentile of validation similarity", "n": int(len(s))}
    best["method"] = "max out/in error ratio on validation (>= 5% each side)"
    best["n"] = int(len(s))
    return best


def domain_error_evidence(similarity: np.ndarray, error: np.ndarray, threshold: float) -> dict[str, Any]:
    """Mean error of in- vs out-of-domain molecules (e.g. on the test split), and by similarity bin."""
    ok = ~np.isnan(error) & ~np.isnan(similarity)
    s, e = similarity[ok], error[ok]
    inside = s >= threshold
    bins = [0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 1.01]
    by_bin = []
    for lo, hi in zip(bins[:-1], bins[1:], strict=True):
        sel = (s >= lo) & (s < hi)
        if sel.any():
            by_bin.append({"from": lo, "to": min(hi, 1.0), "n": int(sel.sum()), "mean_error": float(e[sel].mean())})
    return {
        "threshold": float(threshold),
        "n_in": int(inside.sum()),
        "n_out": int((~inside).sum()),
        "mean_error_in": float(e[inside].mean()) if inside.any() else float("nan"),
        "mean_error_out": float(e[~inside].mean()) if (~inside).any() else float("nan"),
        "by_similarity": by_bin,
    }
