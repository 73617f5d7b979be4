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

Fusion (:func:`fuse`): each component is put on a common scale, then the fused score is the
weighted mean of the components present, with :data:`DEFAULT_WEIGHTS`. Two rules
(:data:`FUSION_RULES`):

* ``"rank"``: the percentile rank within the library (in (0, 1), see :func:`percentile_rank`;
  ties share the average rank).
  Robust, but it flattens the top: a Tanimoto of 0.9 and one of 0.5 may both sit near 1.
* ``"zscore"``: the component standardized over the library, ``(x - mean) / sd`` (CombSUM of
  z-scores). It keeps how far a drug stands out from the library, which is what matters for the
  first few percent of the ranking.

The fused score is therefore relative to the library it was computed in: it says how a drug
stands against the others there, not how strongly it binds (``pred_pkd`` and the similarities say
that). The rule in use is :data:`DEFAULT_RULE`. The contribution of a component to a drug's
score is ``w_c * r_c / sum_c(w_c * r_c)`` with ``r_c`` its percentile rank, whatever the rule.
The rule and the weights were chosen on the validation targets of the retrospective evaluation
(``benchmarks/ligand_eval.py``), never on its test targets.

Known ligands (:func:`identical_ligands`): a library drug whose structure is one of the given
actives is not a prediction but a fact the user supplied. A percentile rank cannot show it (an
exact match and the runner-up at Tanimoto 0.26 both sit near the top of every similarity, so a
better sequence percentile outweighs it); the repurposer therefore lists known actives first, by
their fused score, and the rest after them. The ordering stays monotone in every component.
Structures are compared as compounds (:func:`compound_keys`): one drug written as two tautomers
(acyclovir as ChEMBL writes it, a lactam, and acyclovir sodium's parent, the lactim) is one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_RULE",
    "DEFAULT_WEIGHTS",
    "FINGERPRINTS",
    "FUSION_RULES",
    "MIN_LABELLED",
    "compound_keys",
    "fingerprint_sets",
    "fuse",
    "gnn_embeddings",
    "identical_ligands",
    "ligand_components",
    "percentile_rank",
    "position_percentile",
    "rf_component",
    "standardize",
]

#: Fusion weights of the components: the ones chosen on the valid targets by
#: ``benchmarks/ligand_eval.py --repeats 5`` (grid 0/0.5/1/2 for the similarities, then 0..4 for the
#: on-the-fly model and the sequence model; see benchmarks/results/ligand_eval.md).
DEFAULT_WEIGHTS: dict[str, float] = {
    "ecfp4": 0.5,
    "fcfp4": 0.5,
    "atompair": 0.5,
    "gnn": 2.0,
    "model": 4.0,
    "sequence": 4.0,
}
#: How the components are put on one scale before the weighted mean (see the module docstring).
FUSION_RULES = ("rank", "zscore")
#: ``rank``: on the valid targets the best z-score fusion did not beat the best rank fusion
#: (mean BEDROC 0.501 vs 0.504), so the simpler, outlier-proof rule stays.
DEFAULT_RULE = "rank"
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

    from drugscreen.models.affinity import encode_drugs

    if not graphs:
        return np.zeros((0, 1), dtype=np.float32)
    return torch.nn.functional.normalize(encode_drugs(encoder, graphs, mols, chunk), dim=1).numpy()


def percentile_rank(x: np.ndarray) -> np.ndarray:
    """Percentile rank of each value within ``x``, in (0, 1): the fraction of the values below
    it, those equal to it (itself included) counted half, i.e. ``(rank - 0.5) / n`` with ties
    sharing their mean rank.

    Higher is better; 0.5 is the median (and the value of a lone entry, which has nothing to be
    compared with). Neither end is reached: in a library of 3 the ranks read 1/6, 1/2 and 5/6, not
    0, 1/2 and 1, so the last of a few near-equal drugs does not read as "no evidence". For one
    library (fixed ``n``) it is an affine function of the rank, so a weighted mean of components
    orders the drugs exactly as the former ``(rank - 1) / (n - 1)`` did.
    """
    from scipy.stats import rankdata

    x = np.asarray(x, dtype=np.float64)
    if len(x) == 0:
        return np.zeros(0)
    return (rankdata(x, method="average") - 0.5) / len(x)


def position_percentile(x: np.ndarray) -> np.ndarray:
    """Position of each value within ``x`` on a 0-100 scale: 100 = highest, 0 = lowest (ties share
    the mean position; a lone value gets 100). The repurposer's ``percentile`` column."""
    from scipy.stats import rankdata

    x = np.asarray(x, dtype=np.float64)
    if len(x) <= 1:
        return np.full(len(x), 100.0)
    return 100.0 * (rankdata(x, method="average") - 1) / (len(x) - 1)


def standardize(x: np.ndarray) -> np.ndarray:
    """``(x - mean) / sd`` over ``x`` (zeros when ``x`` is constant)."""
    x = np.asarray(x, dtype=np.float64)
    sd = x.std()
    return (x - x.mean()) / sd if sd > 0 else np.zeros(len(x))


def _scaled(x: np.ndarray, rule: str) -> np.ndarray:
    if rule == "rank":
        return percentile_rank(x)
    if rule == "zscore":
        return standardize(x)
    raise ValueError(f"unknown fusion rule {rule!r} (choose from {FUSION_RULES})")


def ligand_components(
    lib_fps: dict[str, np.ndarray],
    act_fps: dict[str, np.ndarray],
    lib_emb: np.ndarray | None = None,
    act_emb: np.ndarray | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Nearest-neighbour similarities of library drugs to the actives.

    Tanimoto similarities lie in [0, 1]; the ``gnn`` cosine in [-1, 1], clipped there (float32
    rounding of unit vectors can give 1.0000001 for an identical structure). A negative cosine is
    kept: it still orders the drugs furthest from every active.

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
        sims[kind], nn[kind] = np.clip(s.astype(np.float64), 0.0, 1.0), i
    if lib_emb is not None and act_emb is not None and len(act_emb):
        cos = lib_emb @ act_emb.T
        nn["gnn"] = cos.argmax(axis=1)
        sims["gnn"] = np.clip(cos.max(axis=1).astype(np.float64), -1.0, 1.0)
    return sims, nn


def _has_stereo(smiles: str) -> bool:
    return any(ch in smiles for ch in "@/\\")


def _without_stereo(smiles: str) -> str:
    """Canonical SMILES of ``smiles`` with its stereochemistry removed (unchanged if it has none)."""
    if not _has_stereo(smiles):
        return smiles
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return smiles
    Chem.RemoveStereochemistry(mol)
    return Chem.MolToSmiles(mol)


def compound_keys(smiles: Sequence[str], across: int | None = None) -> list[str]:
    """One key per standardized SMILES, the same for SMILES that are one compound.

    The standardizer keeps tautomers as written (choosing one would change what every model
    learned), so one drug can have two parents: ChEMBL writes acyclovir as the lactam and the
    parent of acyclovir sodium is the lactim; vardenafil and its hydrochloride, mercaptopurine and
    its hydrate, valganciclovir and its hydrochloride are written as different tautomers. SMILES
    with the same standard InChI (whose mobile-hydrogen layer makes such tautomers one structure;
    isomers with a carbon-hydrogen shift, such as norethindrone and norethynodrel, and
    stereoisomers stay apart) get as key the first of them in sorted order; any other SMILES is
    its own key. The InChI is computed only for SMILES sharing a molecular formula with another,
    so a list of distinct compounds costs one parse per SMILES. Unreadable SMILES are their own key.

    Parameters
    ----------
    smiles
        Standardized SMILES.
    across
        When given, only SMILES of ``smiles[:across]`` and of ``smiles[across:]`` are compared with
        each other (a library and a set of ligands): a formula found on one side only is not
        looked at, which spares the InChI of most isomers.
    """
    from rdkit import Chem, rdBase
    from rdkit.Chem.rdMolDescriptors import CalcMolFormula

    sides: dict[str, set[bool]] = {}
    for i, smi in enumerate(smiles):
        sides.setdefault(smi, set()).add(across is not None and i >= across)
    by_formula: dict[str, list[tuple[str, Any]]] = {}
    representative: dict[str, str] = {}
    with rdBase.BlockLogs():  # InChI's warnings ("Proton(s) added/removed") would reach stderr
        for smi in sorted(sides):
            mol = Chem.MolFromSmiles(smi)
            if mol is not None:
                by_formula.setdefault(CalcMolFormula(mol), []).append((smi, mol))
        for group in by_formula.values():
            if len(group) < 2 or (across is not None and len(set().union(*(sides[smi] for smi, _ in group))) < 2):
                continue
            by_inchi: dict[str, str] = {}
            for smi, mol in group:  # sorted: the first SMILES of an InChI is the smallest
                try:
                    inchi = Chem.MolToInchi(mol)
                except Exception:  # InChI refuses some inputs (a few metal complexes): its own key
                    inchi = ""
                if inchi:
                    representative[smi] = by_inchi.setdefault(inchi, smi)
    return [representative.get(smi, smi) for smi in smiles]


def identical_ligands(
    lib_ecfp4: np.ndarray, lib_std: Sequence[str], ligand_ecfp4: np.ndarray, ligand_std: Sequence[str]
) -> np.ndarray:
    """For each library molecule, the index of a given ligand with the same structure (-1: none).

    Structures are compared as standardized parent SMILES (salts and hydrates of a ligand match
    it), tautomers as one compound (:func:`compound_keys`: acyclovir sodium, whose parent is the
    lactim, matches acyclovir given as the lactam). When either side leaves stereochemistry
    unspecified they are compared without it (a ligand written without stereo matches each
    stereoisomer in the library, and a library entry without stereo matches a ligand written with
    it); two different specified stereoisomers do not match.

    Parameters
    ----------
    lib_ecfp4, ligand_ecfp4
        0/1 ECFP4 matrices (see :func:`fingerprint_sets`); kept for the signature, the
        comparison is by structure.
    lib_std, ligand_std
        Standardized SMILES, aligned with the matrices.
    """
    out = np.full(len(lib_std), -1, dtype=np.int64)
    if len(ligand_std) == 0 or len(lib_std) == 0:
        return out
    n = len(lib_std)
    both = [*lib_std, *ligand_std]
    keys = compound_keys(both, across=n)
    flat = compound_keys([_without_stereo(smi) for smi in both], across=n)
    exact: dict[str, int] = {}
    flat_of_stereo: dict[str, int] = {}  # ligands with stereo, by their stereo-free compound
    flat_of_plain: dict[str, int] = {}  # ligands without stereo
    for j, smi in enumerate(ligand_std):
        exact.setdefault(keys[n + j], j)
        (flat_of_stereo if _has_stereo(smi) else flat_of_plain).setdefault(flat[n + j], j)
    for k, smi in enumerate(lib_std):
        if keys[k] in exact:
            out[k] = exact[keys[k]]
        elif _has_stereo(smi):
            out[k] = flat_of_plain.get(flat[k], -1)
        else:
            out[k] = flat_of_stereo.get(flat[k], -1)
    return out


def rf_component(train_fps: np.ndarray, labels: np.ndarray, lib_fps: np.ndarray, seed: int = 0, n_trees: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Random forest on fingerprints trained on labelled ligands: (P(active), sd over trees).

    The training rows are put in one canonical order (by fingerprint, then label) before the
    forest is fitted: its bootstrap samples are drawn by row position, so with a fixed seed the
    same ligands listed in another order would otherwise give other probabilities (and reorder
    the ranking).
    """
    from sklearn.ensemble import RandomForestClassifier

    train_fps = np.asarray(train_fps)
    labels = np.asarray(labels)
    packed = np.packbits(train_fps.astype(bool), axis=1)
    order = sorted(range(len(labels)), key=lambda i: (packed[i].tobytes(), int(labels[i])))
    rf = RandomForestClassifier(
        n_estimators=n_trees, min_samples_leaf=1, class_weight="balanced", n_jobs=1, random_state=seed
    )
    rf.fit(train_fps[order], labels[order])
    per_tree = np.stack([t.predict_proba(lib_fps)[:, 1] for t in rf.estimators_])
    return per_tree.mean(axis=0), per_tree.std(axis=0)


def fuse(
    components: dict[str, np.ndarray], weights: dict[str, float] | None = None, rule: str | None = None
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """Weighted mean of the components on a common scale (``rule``: ``"rank"`` or ``"zscore"``).

    Parameters
    ----------
    components
        ``{name: score per drug}`` (higher = more likely active).
    weights
        Overrides of :data:`DEFAULT_WEIGHTS`; components with weight 0 are left out.
    rule
        One of :data:`FUSION_RULES` (default :data:`DEFAULT_RULE`).

    Returns
    -------
    tuple
        ``(fused score, {component: contribution fraction}, sd of the components' percentile
        ranks)`` per drug. A single component's fused score orders drugs as the component does.
    """
    rule = rule or DEFAULT_RULE
    w = {**DEFAULT_WEIGHTS, **(weights or {})}
    names = [c for c in components if w.get(c, 0.0) > 0]
    if not names:
        raise ValueError("no component with a positive weight to fuse")
    ranks = {c: percentile_rank(components[c]) for c in names}
    scaled = ranks if rule == "rank" else {c: _scaled(components[c], rule) for c in names}
    total_w = sum(w[c] for c in names)
    fused = sum(w[c] * scaled[c] for c in names) / total_w
    weighted = {c: w[c] * ranks[c] for c in names}
    denom = sum(weighted.values())
    zero = denom <= 1e-12  # last in every component: the contributions are the weights' shares
    contrib = {c: np.where(zero, w[c] / total_w, weighted[c] / np.where(zero, 1.0, denom)) for c in names}
    spread = np.std(np.stack([ranks[c] for c in names]), axis=0) if len(names) > 1 else np.zeros(len(fused))
    return np.asarray(fused, dtype=np.float64), contrib, spread
