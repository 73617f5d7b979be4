"""Metrics for affinity prediction and for ranking a library against one target.

* :func:`concordance_index`: exact CI in O(n log n) (sort + Fenwick tree), the definition used
  by DeepDTA/GraphDTA: over pairs with different true values, the fraction ordered the same way
  by the prediction, ties in the prediction counting one half.
* :func:`per_target_ranking`: for each target, the Spearman correlation over its drugs and the
  hit rate of true binders in the top 10% of the ranking.
* :func:`virtual_screening_metrics`: recall@k, enrichment factors (RDKit ``CalcEnrichment``) and
  BEDROC (RDKit ``CalcBEDROC``) for a ranking with known actives.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "concordance_index",
    "per_target_ranking",
    "regression_metrics",
    "spearman",
    "virtual_screening_metrics",
]


def _dense_rank(values: np.ndarray) -> np.ndarray:
    _, inv = np.unique(values, return_inverse=True)
    return inv.astype(np.int64)


def concordance_index(y_true: Sequence[float] | np.ndarray, y_pred: Sequence[float] | np.ndarray) -> float:
    """Concordance index, exact, O(n log n).

    Returns NaN when no pair has different true values (none at all when empty) and when a
    prediction is not a finite number (a NaN would otherwise count as the highest value).

    Raises
    ------
    ValueError
        ``y_true`` and ``y_pred`` differ in shape, or a true value is not a finite number
        (leave unmeasured pairs out).
    """
    y = np.asarray(y_true, dtype=np.float64)
    f = np.asarray(y_pred, dtype=np.float64)
    if y.shape != f.shape:
        raise ValueError(f"y_true and y_pred differ in shape: {y.shape} vs {f.shape}")
    bad = ~np.isfinite(y)
    if bad.any():
        # a NaN true value equals nothing, not even itself: the grouping loop below never ended
        raise ValueError(f"y_true holds {int(bad.sum())} values that are not finite numbers (first at {int(np.argmax(bad))}); leave those pairs out")
    if y.size < 2 or not np.isfinite(f).all():
        return float("nan")
    order = np.argsort(y, kind="stable")
    y, f = y[order], f[order]
    fr = _dense_rank(f) + 1  # 1-based ranks for the Fenwick tree
    size = int(fr.max()) + 1
    tree = np.zeros(size + 1, dtype=np.int64)

    def add(i: int) -> None:
        while i <= size:
            tree[i] += 1
            i += i & -i

    def prefix(i: int) -> int:
        s = 0
        while i > 0:
            s += tree[i]
            i -= i & -i
        return int(s)

    concordant = 0.0
    pairs = 0
    n = len(y)
    start = 0
    inserted = 0
    while start < n:
        stop = start
        while stop < n and y[stop] == y[start]:
            stop += 1
        # items of this group vs every item with a smaller true value (already inserted)
        for i in range(start, stop):
            less = prefix(int(fr[i]) - 1)
            equal = prefix(int(fr[i])) - less
            concordant += less + 0.5 * equal
        pairs += (stop - start) * inserted
        for i in range(start, stop):
            add(int(fr[i]))
        inserted += stop - start
        start = stop
    return float(concordant / pairs) if pairs else float("nan")


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation (NaN when either side is constant)."""
    from scipy.stats import spearmanr

    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """MSE, CI (exact), Spearman and Pearson of one set of pairs."""
    y = np.asarray(y_true, dtype=np.float64)
    f = np.asarray(y_pred, dtype=np.float64)
    return {
        "n": int(len(y)),
        "mse": float(np.mean((y - f) ** 2)),
        "ci": concordance_index(y, f),
        "spearman": spearman(y, f),
        "pearson": float(np.corrcoef(y, f)[0, 1]) if len(y) > 2 else float("nan"),
    }


def per_target_ranking(
    target_idx: np.ndarray,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    binder_threshold: float | None = None,
    top_frac: float = 0.1,
    min_drugs: int = 10,
) -> dict[str, float]:
    """Ranking quality of the drugs of each target, averaged over targets.

    Parameters
    ----------
    target_idx, y_true, y_pred
        One entry per (drug, target) pair.
    binder_threshold
        True values at or above this are binders (DAVIS: pKd 7). Hit rates are computed over
        targets with at least one binder.
    top_frac
        Fraction of each target's drugs taken as its top list.
    min_drugs
        Targets with fewer measured drugs are skipped.

    Returns
    -------
    dict
        ``n_targets``, ``mean_spearman``, and with a threshold ``hit_rate_top`` (fraction of the
        top list that are binders), ``recall_top`` (fraction of binders in the top list),
        ``base_rate`` (binder fraction, the hit rate of a random ranking), ``n_targets_with_binders``.
    """
    target_idx = np.asarray(target_idx)
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    rhos: list[float] = []
    hits: list[float] = []
    recalls: list[float] = []
    base: list[float] = []
    for t in np.unique(target_idx):
        m = target_idx == t
        if m.sum() < min_drugs:
            continue
        yt, yp = y_true[m], y_pred[m]
        rho = spearman(yt, yp)
        if np.isfinite(rho):
            rhos.append(rho)
        if binder_threshold is not None:
            binders = yt >= binder_threshold
            if binders.any():
                k = max(1, int(round(top_frac * len(yt))))
                top = np.argsort(-yp, kind="stable")[:k]
                hits.append(float(binders[top].mean()))
                recalls.append(float(binders[top].sum() / binders.sum()))
                base.append(float(binders.mean()))
    out: dict[str, float] = {
        "n_targets": len(rhos),
        "mean_spearman": float(np.mean(rhos)) if rhos else float("nan"),
    }
    if binder_threshold is not None:
        out.update(
            {
                "n_targets_with_binders": len(hits),
                "hit_rate_top": float(np.mean(hits)) if hits else float("nan"),
                "recall_top": float(np.mean(recalls)) if recalls else float("nan"),
                "base_rate": float(np.mean(base)) if base else float("nan"),
                "top_frac": top_frac,
            }
        )
    return out


def virtual_screening_metrics(
    scores: np.ndarray, is_active: np.ndarray, ks: Sequence[int] = (10, 50), alpha: float = 20.0
) -> dict[str, float]:
    """Recall@k, EF1%, EF5% and BEDROC(alpha) of a ranking (higher score = ranked first).

    Uses :func:`rdkit.ML.Scoring.Scoring.CalcBEDROC` and ``CalcEnrichment``.
    """
    from rdkit.ML.Scoring import Scoring

    scores = np.asarray(scores, dtype=np.float64)
    act = np.asarray(is_active, dtype=bool)
    order = np.lexsort((np.arange(len(scores)), -scores))  # ties: input order, deterministic
    ranked = [[float(act[i])] for i in order]
    ef1, ef5 = Scoring.CalcEnrichment(ranked, 0, [0.01, 0.05])
    out = {
        "bedroc": float(Scoring.CalcBEDROC(ranked, 0, alpha)),
        "ef1": float(ef1),
        "ef5": float(ef5),
        "n_actives": int(act.sum()),
        "n": int(len(act)),
    }
    for k in ks:
        out[f"recall@{k}"] = float(act[order[:k]].sum() / max(act.sum(), 1))
    return out
