"""Applicability domain: how close a molecule is to a model's training set.

The similarity of a query to the training set is its maximum Tanimoto similarity over the
training molecules' ECFP4 fingerprints (2048 bits, radius 2). A molecule is *in domain*
when that similarity reaches a threshold chosen on validation data
(:func:`choose_threshold`) and recorded in the bundle; :func:`domain_error_evidence`
compares per-molecule errors of in- and out-of-domain molecules on held-out data, and
:func:`domain_metric_evidence` a dataset's own metric (ROC-AUC, RMSE) in and out of the domain
and by similarity quantile.

Similarities are exact (float64 ``|A & B| / |A | B|``) and computed by
:func:`drugscreen.featurizers.fingerprints.max_tanimoto`'s kernel: integer intersections
(the sum of the training bits' rows over the bits a query has) against the training set's
bits sorted by bit count and prepared once per bundle, so a screen pays only those sums.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

__all__ = [
    "DatasetDomain",
    "ECFP4_CONFIG",
    "INORGANIC_CARBON_NOTE",
    "INORGANIC_NOTE",
    "inorganic_notes",
    "with_note",
    "choose_threshold",
    "domain_error_evidence",
    "describe_out_of_domain",
    "distinct_fingerprints",
    "far_datasets",
    "domain_metric_evidence",
    "group_error_evidence",
    "ecfp4_packed",
    "max_tanimoto",
    "per_molecule_error",
    "prepare_reference",
    "relative_error",
    "unpack_bits",
]

#: ``out_of_range``'s first entry for a scored molecule without a carbon atom (water, sulfuric
#: acid, cisplatin written as one molecule), whose ``in_domain`` is then false whatever its
#: similarity: 182 of the 60,709 molecules of the panel's datasets are carbon-free (Tox21 80,
#: SIDER 47, HIV 32, ClinTox 22, BBBP 1; none in BACE, ESOL or lipophilicity), so the models
#: have barely seen such molecules, though the similarity of water or hydrogen chloride to a
#: training molecule can be 1. Inorganic salts and mixtures (``[Na+].[Cl-]``) are refused by
#: the standardizer instead (``Standardizer.allow_inorganic_mixtures``).
INORGANIC_NOTE = "inorganic: no carbon atom (the models learned from organic molecules)"
#: ``out_of_range``'s first entry for a scored molecule whose carbon is all inorganic (CO2, HCN,
#: carbonic acid, CO: :data:`~drugscreen.featurizers.molecule.INORGANIC_CARBON`, also as ligands
#: of a metal: sodium nitroprusside, nickel carbonyl), flagged as carbon-free ones are; their
#: salts (lithium carbonate, potassium cyanide) are refused.
INORGANIC_CARBON_NOTE = (
    "inorganic: carbon only as carbonate, cyanide, cyanate, thiocyanate, CO, CO2, CS2 or COS "
    "(the models learned from organic molecules)"
)


def inorganic_notes(mols: Sequence[Any]) -> list[str]:
    """Per molecule, the ``out_of_range`` note that puts it outside the domain whatever its
    similarity (:data:`INORGANIC_NOTE` or :data:`INORGANIC_CARBON_NOTE`), or ``""`` for an
    organic one. The Screener and :meth:`ModelBundle.predict_smiles
    <drugscreen.bundle.ModelBundle.predict_smiles>` both apply this rule."""
    from drugscreen.featurizers.molecule import inorganic_kind

    notes = []
    for mol in mols:
        kind = inorganic_kind(mol)
        notes.append("" if not kind else INORGANIC_NOTE if kind == "no carbon atom" else INORGANIC_CARBON_NOTE)
    return notes


def with_note(note: str, text: str) -> str:
    """``text`` (an ``out_of_range`` entry, maybe empty) with ``note`` first."""
    return f"{note}; {text}" if text else note

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
    ``None`` molecule gives an all-zero row, and one molecule (not in a list) one row.

    Raises
    ------
    TypeError
        An item is not an RDKit molecule (a SMILES string: parse it with ``Chem.MolFromSmiles``).
    """
    from rdkit import Chem

    from drugscreen.featurizers.base import build_featurizer

    if isinstance(mols, Chem.Mol):
        mols = [mols]
    fp = build_featurizer(config or ECFP4_CONFIG)
    n_bits = len(fp)
    out = np.zeros((len(mols), (n_bits + 7) // 8), dtype=np.uint8)
    ok = [i for i, m in enumerate(mols) if m is not None]
    for i in ok:  # a SMILES string ended in Boost.Python's "did not match C++ signature"
        if not isinstance(mols[i], Chem.Mol):
            raise TypeError(f"ecfp4_packed takes RDKit molecules (Chem.MolFromSmiles(smiles)); item {i} is a "
                            f"{type(mols[i]).__name__} ({str(mols[i])[:60]!r})")
    if ok:
        out[ok] = np.packbits(fp.featurize_many([mols[i] for i in ok]).astype(bool), axis=1)
    return out


def unpack_bits(packed: np.ndarray, n_bits: int | None = None) -> np.ndarray:
    """Unpack ``(n, n_bits // 8)`` uint8 rows into a ``(n, n_bits)`` float32 0/1 matrix."""
    bits = np.unpackbits(np.asarray(packed, dtype=np.uint8), axis=1)
    if n_bits is not None:
        bits = bits[:, :n_bits]
    return bits.astype(np.float32)


_REF_CACHE: dict[int, tuple[Any, Any]] = {}
_REF_CACHE_SIZE = 4


def _prepared(packed: np.ndarray) -> Any:
    """The already prepared reference of ``packed``, or ``None``."""
    hit = _REF_CACHE.get(id(packed))
    return hit[1] if hit is not None and hit[0]() is packed else None


def _reference(packed: np.ndarray) -> Any:
    """The :class:`~drugscreen.featurizers.fingerprints.TanimotoReference` of ``packed``,
    prepared once per array object (a bundle's ``train_fps``) and dropped with it."""
    from drugscreen.featurizers.fingerprints import TanimotoReference

    ref = _prepared(packed)
    if ref is not None:
        return ref
    key = id(packed)
    ref = TanimotoReference(packed, n_bits=8 * packed.shape[1])
    try:
        alive = weakref.ref(packed)
        weakref.finalize(packed, _REF_CACHE.pop, key, None)
    except TypeError:  # not weak-referenceable: use it without caching
        return ref
    while len(_REF_CACHE) >= _REF_CACHE_SIZE:
        _REF_CACHE.pop(next(iter(_REF_CACHE)))
    _REF_CACHE[key] = (alive, ref)
    return ref


#: Up to this many queries, an unprepared reference is searched with popcounts on the packed
#: bits instead of being prepared (~0.3 s for 43,000 fingerprints): a few molecules are then
#: answered in milliseconds, e.g. a 10-molecule screen or a single ``Screener.score`` call.
_FEW_QUERIES = 32


def _tanimoto_rows_few(query: np.ndarray, reference: np.ndarray) -> Iterator[np.ndarray]:
    """Each query row's float64 Tanimoto similarity to every reference row (in reference
    order), by popcounts of packed bits, one query at a time."""
    width = query.shape[1]
    if width % 8 == 0 and reference.flags.c_contiguous:
        ref = reference.view(np.uint64)
        q = np.ascontiguousarray(query).view(np.uint64)
    else:
        ref, q = reference, query
    ref_counts = np.bitwise_count(ref).sum(1, dtype=np.int64)
    both = np.empty_like(ref)
    counts = np.empty(ref.shape, dtype=np.uint8)
    for row in q:
        np.bitwise_and(ref, row, out=both)
        np.bitwise_count(both, out=counts)
        inter = np.add.reduce(counts, axis=1, dtype=np.uint16).astype(np.float64)  # <= 65,535 bits
        union = ref_counts + int(np.bitwise_count(row).sum()) - inter
        yield np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _max_tanimoto_few(query: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """:func:`max_tanimoto` by popcounts of packed bits, one query at a time (same float64
    ``|A & B| / |A | B|``, hence the same values as the matrix-product kernel)."""
    best = np.zeros(len(query), dtype=np.float64)
    for i, sim in enumerate(_tanimoto_rows_few(query, reference)):
        best[i] = sim.max()
    return best


def prepare_reference(reference: np.ndarray) -> None:
    """Prepare ``reference`` (packed bits) for :func:`max_tanimoto` now rather than on first use.

    Call it before forking worker processes: they then share the prepared matrix (about
    100 MB for 50,000 ECFP4 fingerprints) instead of each building its own copy.
    """
    _reference(reference)


def max_tanimoto(query: np.ndarray, reference: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """Maximum Tanimoto similarity of each query row to any reference row.

    Parameters
    ----------
    query, reference
        Packed bits, uint8 ``(n, n_bytes)`` and ``(m, n_bytes)``. The reference is prepared
        once per array object and reused while that array lives (do not modify it in place
        between calls).
    chunk
        References unpacked at a time when the reference is not prepared (bounds memory).

    Returns
    -------
    np.ndarray
        ``(n,)`` float64 in [0, 1], exactly ``|A & B| / |A | B|`` of the nearest reference;
        0 for an all-zero query, NaN if the reference is empty.

    Raises
    ------
    ValueError
        The query rows are not as wide as the reference rows (unpacked 0/1 bits given for
        packed bytes, another fingerprint length), or the query is a boolean array (bits).
    """
    from drugscreen.featurizers.fingerprints import _max_tanimoto_exact

    query = np.asarray(query)
    if query.dtype == np.bool_:
        raise ValueError(f"max_tanimoto takes packed fingerprints (uint8 bytes), got 0/1 bits as booleans {query.shape}; "
                         "pack them with np.packbits(bits, axis=1) (or use ecfp4_packed)")
    query = query.astype(np.uint8, copy=False)
    if query.ndim == 1:
        query = query[None, :]
    reference = np.asarray(reference) if not isinstance(reference, np.ndarray) else reference
    if reference.ndim and reference.shape[0] == 0:
        return np.full(query.shape[0] if query.ndim == 2 else 1, np.nan)
    if query.ndim != 2 or reference.ndim != 2 or query.shape[1] != reference.shape[1]:
        # otherwise a few queries ended in NumPy's broadcast error and more than _FEW_QUERIES
        # were unpacked to the reference's length and compared wrongly, without a word
        hint = (" (unpacked 0/1 bits? pack them with np.packbits(bits, axis=1), or use ecfp4_packed)"
                if query.ndim == 2 and reference.ndim == 2 and query.shape[1] == 8 * reference.shape[1] else
                "; both must be packed bits of one fingerprint (np.packbits(bits, axis=1), ecfp4_packed)")
        raise ValueError(f"max_tanimoto: the query fingerprints have {query.shape[-1] if query.ndim else 0} bytes per row "
                         f"(shape {query.shape}), the reference {reference.shape[-1] if reference.ndim else 0} "
                         f"(shape {reference.shape}){hint}")
    n = query.shape[0]
    # (the popcount path counts intersections in uint16: fingerprints of up to 65,535 bits)
    if n <= _FEW_QUERIES and query.shape[1] <= 8191 and _prepared(reference) is None:
        return _max_tanimoto_few(query, np.asarray(reference, dtype=np.uint8))
    ref = _reference(reference)
    q_bits = np.unpackbits(query, axis=1, count=ref.n_bits)
    sim, _ = _max_tanimoto_exact(q_bits, ref, False, chunk)
    return sim


class DatasetDomain:
    """Each dataset's own training fingerprints, for a query's similarity to each of them.

    A panel's ``ad_similarity`` is the similarity to its whole training set; a molecule close
    to Tox21's molecules only is then "in domain" for the BACE and ESOL endpoints too, whose
    training sets are a few hundred molecules of one series or of small solutes. This knows,
    for each dataset, which rows of the training fingerprints that dataset contributed, so its
    own similarity can be told apart (``drugscreen screen``'s ``out_of_domain_for``). The
    similarities to every dataset and to the whole set come from one pass over the whole set's
    prepared reference (:func:`prepare_reference`, shared with :func:`max_tanimoto`).

    Parameters
    ----------
    fps
        ``(n, n_bytes)`` packed training fingerprints (a bundle's ``train_fps``; this very array
        is searched, so its prepared reference is the one :func:`max_tanimoto` uses).
    membership
        ``(n, n_datasets)`` 0/1: row ``i`` is a training molecule of dataset ``j`` (a molecule
        may belong to several).
    names
        The datasets, one per ``membership`` column.
    """

    def __init__(self, fps: np.ndarray, membership: np.ndarray, names: Sequence[str]) -> None:
        member = np.asarray(membership)
        if member.ndim != 2 or member.shape != (len(fps), len(names)):
            raise ValueError(f"membership must be ({len(fps)}, {len(names)}) for {len(fps)} fingerprints and "
                             f"{len(names)} datasets, got {member.shape}")
        self.fps = fps
        self.names = list(names)
        self._rows: dict[str, np.ndarray] = {}
        by_column: dict[bytes, np.ndarray] = {}  # datasets with the same training molecules share one array
        for j, name in enumerate(self.names):
            mask = member[:, j] != 0
            key = np.packbits(mask).tobytes()
            if key not in by_column:
                by_column[key] = np.flatnonzero(mask)
            self._rows[name] = by_column[key]

    def size(self, name: str) -> int:
        """Training fingerprints of dataset ``name``."""
        return len(self._rows[name])

    def groups(self, names: Sequence[str] | None = None) -> list[list[str]]:
        """``names`` (default: every dataset) in groups of datasets with the same training
        molecules (BACE's classification and pIC50 sets), in the order of :attr:`names`."""
        wanted = set(self.names if names is None else names)
        unknown = sorted(wanted - set(self._rows))
        if unknown:
            raise KeyError(f"no training fingerprints recorded for {unknown}; recorded: {self.names}")
        out: dict[int, list[str]] = {}
        for name in self.names:
            if name in wanted:
                out.setdefault(id(self._rows[name]), []).append(name)
        return list(out.values())

    def similarity(self, query: np.ndarray, names: Sequence[str] | None = None, *, whole: bool = False) -> np.ndarray:
        """``(n, k)`` maximum Tanimoto similarity of each packed query row to the training
        molecules of each of ``names`` (default: every dataset); NaN for a dataset without any.
        With ``whole``, ``(n, 1 + k)``: column 0 the similarity to the whole training set (as
        :func:`max_tanimoto` gives it), from the same pass."""
        from drugscreen.featurizers.fingerprints import max_tanimoto_by_group

        names = self.names if names is None else list(names)
        self.groups(names)  # unknown names refused
        query = np.asarray(query, dtype=np.uint8)
        if query.ndim != 2 or (len(query) and query.shape[1] != self.fps.shape[1]):
            raise ValueError(f"query must be packed fingerprints of {self.fps.shape[1]} bytes per row, got {query.shape}")
        groups = [self._rows[n] for n in names]
        if len(query) <= _FEW_QUERIES and _prepared(self.fps) is None:  # a few molecules: no preparing
            out = np.full((len(query), 1 + len(groups)), np.nan)
            for i, sim in enumerate(_tanimoto_rows_few(query, np.ascontiguousarray(self.fps, dtype=np.uint8))):
                out[i, 0] = sim.max() if len(sim) else np.nan
                for k, rows in enumerate(groups):
                    if len(rows):
                        out[i, 1 + k] = sim[rows].max()
        else:
            ref = _reference(self.fps)
            out = max_tanimoto_by_group(np.unpackbits(query, axis=1, count=ref.n_bits), ref, groups)
        return out if whole else out[:, 1:]

    def describe(self, similarity: np.ndarray, names: Sequence[str], threshold: float) -> list[str]:
        """Per row of ``similarity`` (``(n, k)``, a column per dataset of ``names``, as
        :meth:`similarity` gives it), the datasets whose own training molecules it is less
        similar to than ``threshold``, with that similarity, datasets with the same training
        molecules together: ``"bace_classification, bace_regression 0.21; esol 0.27"``; ``""``
        when it reaches the threshold for every one (a dataset without molecules is not listed)."""
        names = list(names)
        groups = self.groups(names)
        first = [names.index(g[0]) for g in groups]
        return describe_out_of_domain(np.asarray(similarity)[:, first], [", ".join(g) for g in groups], threshold)


def far_datasets(text: str) -> list[str]:
    """The datasets a :func:`describe_out_of_domain` text names (``"a, b 0.21; c 0.27"`` ->
    ``["a", "b", "c"]``)."""
    return [name for part in str(text or "").split("; ") if part for name in part.rsplit(" ", 1)[0].split(", ")]


def describe_out_of_domain(similarity: np.ndarray, labels: Sequence[str], threshold: float) -> list[str]:
    """Per row of ``similarity`` (``(n, k)``, one column per label), the labels whose similarity
    is under ``threshold``, each with it, joined with ``"; "``: ``"bace_classification,
    bace_regression 0.21; esol 0.27"``; ``""`` when none is (NaN, nothing to compare with, is not
    listed)."""
    sim = np.asarray(similarity, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        below = sim < threshold
    # shown rounded down, so that a similarity under the threshold never reads as reaching it (0.299 -> 0.29)
    shown = np.floor(np.nan_to_num(sim) * 100.0) / 100.0
    return ["; ".join(f"{labels[k]} {shown[i, k]:.2f}" for k in np.flatnonzero(flags)) for i, flags in enumerate(below)]


def distinct_fingerprints(fps: np.ndarray, dataset_index: np.ndarray, n_datasets: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``fps`` in order of first appearance, and ``(n_distinct, n_datasets)``
    uint8 0/1: which datasets (``dataset_index`` of each row of ``fps``) each distinct row comes from."""
    fps = np.asarray(fps, dtype=np.uint8)
    dataset_index = np.asarray(dataset_index, dtype=np.int64)
    if len(fps) == 0:
        return fps[:0], np.zeros((0, n_datasets), dtype=np.uint8)
    _, first, inverse = np.unique(fps, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first)
    position = np.empty_like(order)
    position[order] = np.arange(len(order))
    membership = np.zeros((len(first), n_datasets), dtype=np.uint8)
    membership[position[inverse.reshape(-1)], dataset_index] = 1
    return fps[first[order]], membership


def per_molecule_error(y: np.ndarray, pred: np.ndarray, is_classification: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Each molecule's mean error over its labelled tasks (NaN when it has none).

    |y - p| for classification tasks (``pred`` = calibrated probabilities) and
    |y - y_hat| / ``std`` (the training sd) for regression tasks, so tasks in different units
    can be averaged. ``y`` and ``pred`` are ``(n, n_tasks)`` with NaN = not labelled.
    """
    err = np.abs(np.asarray(y, dtype=np.float64) - np.asarray(pred, dtype=np.float64))
    reg = ~np.asarray(is_classification, dtype=bool)
    err[:, reg] = err[:, reg] / np.asarray(std, dtype=np.float64)[reg]
    labelled = (~np.isnan(err)).sum(axis=1)
    total = np.nansum(err, axis=1)
    return np.where(labelled > 0, total / np.maximum(labelled, 1), np.nan)


def relative_error(error: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    """Each molecule's error divided by the mean error of its group (NaN stays NaN).

    Datasets differ in how hard they are and in how similar their molecules are to the
    training set (HIV's many easy inactives sit far from everything, for instance), so pooling
    raw errors across datasets confounds "out of domain" with "which dataset". Dividing by the
    group's mean makes the in/out comparison one within datasets.
    """
    error = np.asarray(error, dtype=np.float64)
    if groups is None:
        return error
    out = np.full_like(error, np.nan)
    for g in np.unique(groups):
        sel = (groups == g) & ~np.isnan(error)
        m = error[sel].mean() if sel.any() else np.nan
        if sel.any() and m > 0:
            out[sel] = error[sel] / m
    return out


def choose_threshold(
    similarity: np.ndarray,
    error: np.ndarray,
    candidates: Sequence[float] | None = None,
    min_fraction: float = 0.05,
    groups: np.ndarray | None = None,
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
    groups
        Optional group (dataset) of each molecule: the out/in ratio is then computed within
        each group and averaged over groups, each group counted once.

    Returns
    -------
    dict
        ``threshold``, ``method``, and the validation statistics at that threshold.
    """
    error = relative_error(error, groups)
    ok = ~np.isnan(error) & ~np.isnan(similarity)
    s, e = similarity[ok], error[ok]
    g = np.asarray(groups)[ok] if groups is not None else None
    if candidates is None:
        candidates = [round(x, 2) for x in np.arange(0.20, 0.71, 0.025)]
    best: dict[str, Any] | None = None
    for c in candidates:
        out = s < c
        frac = float(out.mean()) if len(s) else 0.0
        if frac < min_fraction or frac > 1 - min_fraction:
            continue
        if g is None:
            ratio = float(e[out].mean() / max(e[~out].mean(), 1e-12))
        else:
            # each dataset counts once (HIV's 4,000 validation molecules must not outvote
            # ClinTox's 150); datasets with fewer than 5 molecules on a side are skipped
            ratios = [
                e[out & (g == k)].mean() / max(e[~out & (g == k)].mean(), 1e-12)
                for k in np.unique(g)
                if (out & (g == k)).sum() >= 5 and (~out & (g == k)).sum() >= 5
            ]
            if not ratios:
                continue
            ratio = float(np.mean(ratios))
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
    best["method"] = "max out/in error ratio on validation (>= 5% each side)" + (
        ", the ratio averaged over datasets with each counted once" if groups is not None else ""
    )
    best["n"] = int(len(s))
    return best


def group_error_evidence(
    inside: np.ndarray,
    error: np.ndarray,
    groups: np.ndarray,
    group_names: Sequence[str] | None = None,
    known: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """Each group's (dataset's) mean raw error inside and outside a domain.

    Parameters
    ----------
    inside
        ``(n,)`` bool, the molecule is in the domain.
    error
        ``(n,)`` per-molecule error (NaN = no label; left out).
    groups
        ``(n,)`` group index of each molecule.
    group_names
        Names of the group indices (else the indices are reported).
    known
        ``(n,)`` bool, the domain is known for the molecule (default: all).

    Returns
    -------
    list of dict
        ``{"group", "n_in", "n_out", "mean_error_in", "mean_error_out"}`` per group present.
    """
    inside = np.asarray(inside, dtype=bool)
    error = np.asarray(error, dtype=np.float64)
    groups = np.asarray(groups)
    labelled = ~np.isnan(error) & (np.ones(len(error), dtype=bool) if known is None else np.asarray(known, dtype=bool))
    out = []
    for g in np.unique(groups):
        sel = (groups == g) & labelled
        inside_g, outside_g = sel & inside, sel & ~inside
        out.append(
            {
                "group": group_names[int(g)] if group_names is not None else int(g),
                "n_in": int(inside_g.sum()),
                "n_out": int(outside_g.sum()),
                "mean_error_in": float(error[inside_g].mean()) if inside_g.any() else float("nan"),
                "mean_error_out": float(error[outside_g].mean()) if outside_g.any() else float("nan"),
            }
        )
    return out


def domain_error_evidence(
    similarity: np.ndarray,
    error: np.ndarray,
    threshold: float,
    groups: np.ndarray | None = None,
    group_names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Mean error of in- vs out-of-domain molecules (e.g. on the test split), and by similarity bin.

    With ``groups`` the pooled figures use errors relative to each group's mean
    (:func:`relative_error`), and ``by_group`` gives each group's own raw in/out errors.
    """
    by_group: list[dict[str, Any]] = []
    if groups is not None:
        with np.errstate(invalid="ignore"):
            by_group = group_error_evidence(similarity >= threshold, error, groups, group_names, known=~np.isnan(similarity))
    error = relative_error(error, groups)
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
        "relative_to_group_mean": groups is not None,
        "by_group": by_group,
    }


def _subset_metric(y: np.ndarray, pred: np.ndarray, classification: bool) -> tuple[float, int]:
    """Mean ROC-AUC over tasks with both classes (classification) or mean per-task RMSE
    (regression) of one subset, by :func:`drugscreen.training.metrics.task_metrics`; also
    the number of labelled values."""
    from drugscreen.training.metrics import task_metrics

    n = int((~np.isnan(y)).sum())
    kind = "classification" if classification else "regression"
    m = task_metrics(y, pred, [str(t) for t in range(y.shape[1])], kind)
    return float(m["roc_auc" if classification else "rmse"]), n


def domain_metric_evidence(
    similarity: np.ndarray,
    y: np.ndarray,
    pred: np.ndarray,
    task_type: str,
    threshold: float,
    n_bins: int = 3,
) -> dict[str, Any]:
    """One dataset's own metric in and out of the domain, and by similarity quantile.

    Per-molecule absolute errors say little for rare positives (a far-away inactive scored
    0.02 looks "accurate"), so this compares what users rely on instead: ROC-AUC (mean over
    tasks that have both classes in the subset) for classification, RMSE in the task's units
    for regression — on the molecules below vs at or above ``threshold``, and on ``n_bins``
    equal-count similarity bins (lowest first).

    Parameters
    ----------
    similarity
        ``(n,)`` max-Tanimoto similarity to the training set, or any per-molecule score where
        higher means more trusted (``benchmarks/domain_evidence.py`` also bins the negated
        ensemble spread).
    y, pred
        ``(n, n_tasks)`` labels (NaN = not labelled) and predictions (probabilities / values)
        of this dataset's tasks only.
    task_type
        ``"classification"`` or ``"regression"``.
    threshold
        The in/out-of-domain threshold.
    n_bins
        Similarity quantile bins.

    Returns
    -------
    dict
        ``metric`` name, ``higher_is_better``, ``in``/``out`` (metric, n molecules, n labels),
        and ``by_bin``: ``[{"from", "to", "metric", "n"}]``.
    """
    cls = task_type == "classification"
    sim = np.asarray(similarity, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.float64)
    keep = ~np.isnan(sim) & (~np.isnan(y)).any(axis=1)
    sim, y, pred = sim[keep], y[keep], pred[keep]

    def side(mask: np.ndarray) -> dict[str, Any]:
        value, labels = _subset_metric(y[mask], pred[mask], cls)
        return {"metric": value, "n": int(mask.sum()), "n_labels": labels}

    by_bin = []
    if len(sim):
        order = np.argsort(sim, kind="stable")
        for part in np.array_split(order, n_bins):
            if len(part):
                mask = np.zeros(len(sim), dtype=bool)
                mask[part] = True
                by_bin.append({"from": float(sim[part].min()), "to": float(sim[part].max()), **side(mask)})
    return {
        "metric": "roc_auc" if cls else "rmse",
        "higher_is_better": cls,
        "threshold": float(threshold),
        "in": side(sim >= threshold),
        "out": side(sim < threshold),
        "by_bin": by_bin,
    }
