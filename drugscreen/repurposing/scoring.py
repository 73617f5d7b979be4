"""The ranking components of the repurposer and how they are fused.

Ligand components (library drug vs the known actives of the target):

* ``ecfp4``, ``fcfp4``, ``atompair``: nearest-neighbour (max) Tanimoto similarity on 2048-bit
  ECFP4, FCFP4 (pharmacophoric invariants: finds scaffold hops with the same features) and
  atom-pair fingerprints.
* ``gnn``: max cosine similarity of the affinity model's drug-encoder embeddings (a learned
  space shaped by kinase/target binding, not by substructure).
* ``model``: a random forest on ECFP4 counts trained on the given actives and inactives, when
  at least :data:`MIN_LABELLED` of each are given (probability of activity).

Sequence component:

* ``sequence``: the affinity model's prediction for the target sequence.

Fusion (:func:`fuse`): each component becomes a score in [0, 1] by its rank within the
library (percentile; ties share the average rank); the fused score is the weighted mean of the
components present, with :data:`DEFAULT_WEIGHTS`. The contribution of a component to a drug's
score is ``w_c * r_c / sum_c(w_c * r_c)``. Weights were chosen on the validation targets of the
retrospective evaluation (``benchmarks/ligand_eval.py``), never on its test targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_WEIGHTS",
    "FINGERPRINTS",
    "MIN_LABELLED",
    "fingerprint_sets",
    "fuse",
    "gnn_embeddings",
    "ligand_components",
    "percentile_rank",
    "rf_component",
]

#: Fusion weights of the components (see the module docstring and benchmarks/results/ligand_eval.md).
DEFAULT_WEIGHTS: dict[str, float] = {
    "ecfp4": 1.0,
    "fcfp4": 1.0,
    "atompair": 1.0,
    "gnn": 1.0,
    "model": 2.0,
    "sequence": 1.0,
}
#: Actives and inactives needed (each) before a model is trained on the fly.
MIN_LABELLED = 5

FINGERPRINTS = ("ecfp4", "fcfp4", "atompair")


def _fp(kind: str) -> Any:
    from drugscreen.featurizers.fingerprints import AtomPairFingerprint, MorganFingerprint

    if kind == "ecfp4":
        return MorganFingerprint(radius=2, n_bits=2048)
    if kind == "fcfp4":
        return MorganFingerprint(radius=2, n_bits=2048, features=True)
    if kind == "atompair":
        return AtomPairFingerprint(n_bits=2048)
    raise ValueError(f"unknown fingerprint {kind!r} (choose from {FINGERPRINTS})")


def fingerprint_sets(mols: Sequence[Any], kinds: Sequence[str] = FINGERPRINTS) -> dict[str, np.ndarray]:
    """0/1 ``uint8`` fingerprint matrices ``(len(mols), 2048)`` of each kind."""
    return {k: _fp(k).featurize_many(list(mols)) for k in kinds}


def gnn_embeddings(encoder: Any, graphs: Sequence[Any], mols: Sequence[Any] | None = None, chunk: int = 512) -> np.ndarray:
    """L2-normalized drug-encoder embeddings ``(n, d)`` of featurized graphs.

    ``mols`` are needed when the encoder has a fingerprint path (``encoder.fp_bits > 0``).
    """
    import torch

    from drugscreen.models.affinity import drug_batch, ecfp4_bits

    if not graphs:
        return np.zeros((0, 1), dtype=np.float32)
    fps = None
    if getattr(encoder, "fp_bits", 0):
        if mols is None:
            raise ValueError("this drug encoder needs the molecules (for its ECFP4 path)")
        fps = ecfp4_bits(mols, encoder.fp_bits)
    encoder.eval()
    with torch.inference_mode():
        emb = torch.cat(
            [
                encoder(drug_batch(list(graphs[s : s + chunk]), None if fps is None else fps[s : s + chunk]))
                for s in range(0, len(graphs), chunk)
            ]
        )
        emb = torch.nn.functional.normalize(emb, dim=1)
    return emb.numpy()


def percentile_rank(x: np.ndarray) -> np.ndarray:
    """Rank of each value within ``x`` scaled to [0, 1] (1 = highest; ties share the mean rank)."""
    from scipy.stats import rankdata

    x = np.asarray(x, dtype=np.float64)
    if len(x) <= 1:
        return np.ones(len(x))
    return (rankdata(x, method="average") - 1) / (len(x) - 1)


def ligand_components(
    lib_fps: dict[str, np.ndarray],
    act_fps: dict[str, np.ndarray],
    lib_emb: np.ndarray | None = None,
    act_emb: np.ndarray | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Nearest-neighbour similarities of library drugs to the actives.

    Returns
    -------
    tuple
        ``({component: similarity}, {component: index of the nearest active})``.
    """
    from drugscreen.featurizers.fingerprints import max_tanimoto

    sims: dict[str, np.ndarray] = {}
    nn: dict[str, np.ndarray] = {}
    for kind in lib_fps:
        s, i = max_tanimoto(lib_fps[kind], act_fps[kind], return_index=True)
        sims[kind], nn[kind] = s.astype(np.float64), i
    if lib_emb is not None and act_emb is not None and len(act_emb):
        cos = lib_emb @ act_emb.T
        nn["gnn"] = cos.argmax(axis=1)
        sims["gnn"] = cos.max(axis=1).astype(np.float64)
    return sims, nn


def rf_component(train_fps: np.ndarray, labels: np.ndarray, lib_fps: np.ndarray, seed: int = 0, n_trees: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Random forest on fingerprints trained on labelled ligands: (P(active), sd over trees)."""
    from sklearn.ensemble import RandomForestClassifier

    rf = RandomForestClassifier(
        n_estimators=n_trees, min_samples_leaf=1, class_weight="balanced", n_jobs=1, random_state=seed
    )
    rf.fit(train_fps, labels)
    per_tree = np.stack([t.predict_proba(lib_fps)[:, 1] for t in rf.estimators_])
    return per_tree.mean(axis=0), per_tree.std(axis=0)


def fuse(components: dict[str, np.ndarray], weights: dict[str, float] | None = None) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """Weighted mean of the components' percentile ranks.

    Returns
    -------
    tuple
        ``(fused score in [0, 1], {component: contribution fraction}, sd of the components'
        percentile ranks)`` per drug. A single component's score is its percentile rank.
    """
    w = {**DEFAULT_WEIGHTS, **(weights or {})}
    names = [c for c in components if w.get(c, 0.0) > 0]
    if not names:
        raise ValueError("no component with a positive weight to fuse")
    ranks = {c: percentile_rank(components[c]) for c in names}
    total_w = sum(w[c] for c in names)
    weighted = {c: w[c] * ranks[c] for c in names}
    fused = sum(weighted.values()) / total_w
    denom = np.maximum(sum(weighted.values()), 1e-12)
    contrib = {c: weighted[c] / denom for c in names}
    spread = np.std(np.stack([ranks[c] for c in names]), axis=0) if len(names) > 1 else np.zeros(len(fused))
    return np.asarray(fused, dtype=np.float64), contrib, spread
