"""Rank a drug library (by default the approved drugs) against a new target.

Two kinds of evidence, usable together:

* **sequence mode** (``sequence=``): the shipped affinity model (drug graph encoder + protein
  CNN, trained on DAVIS and KIBA) predicts how strongly each drug binds the target.
* **ligand mode** (``ligands=``): similarity of each drug to the target's known actives with
  ECFP4, FCFP4 and atom-pair fingerprints and with the affinity model's learned drug
  embedding, plus a random forest trained on the fly when enough actives and inactives are
  labelled.

The components are fused by weighted percentile ranks (see :mod:`drugscreen.repurposing.scoring`
for the rule and the weights). Output: one row per library entry, best first; library drugs that
are among the given actives (same structure) come first, as known ligands; entries that could not
be parsed come last, without a rank, with the reason in ``error``.

Examples
--------
>>> from drugscreen import Repurposer
>>> rp = Repurposer.load()                                     # doctest: +SKIP
>>> ranked = rp.rank(sequence=abl1_sequence, ligands=[imatinib, nilotinib, dasatinib], top=20)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import numpy as np

from drugscreen.io import MOLECULE_FILE_SUFFIXES
from drugscreen.messages import snake_name
from drugscreen.repurposing.inputs import (
    PLAIN_SEQUENCE_SUFFIXES,
    STDIN,
    Library,
    LigandSet,
    load_library,
    load_ligands,
    read_sequence_input,
)
from drugscreen.repurposing.scoring import (
    DEFAULT_RULE,
    DEFAULT_WEIGHTS,
    FUSION_RULES,
    MIN_LABELLED,
    compound_keys,
    fingerprint_sets,
    fuse,
    gnn_embeddings,
    identical_ligands,
    ligand_components,
    percentile_rank,
    position_percentile,
    rf_component,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

    from drugscreen.repurposing.affinity_bundle import AffinityBundle

__all__ = ["Repurposer", "check_argument_kinds", "repurpose"]

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

_LIBRARY_CACHE: dict[str, Any] = {}
#: Decimals the fused score is rounded to: equal sums of percentile ranks computed in another
#: order can differ in their last bit (1e-17), which must neither split a tie nor order it.
SCORE_DECIMALS = 12
#: Bumped when parsing changes under the same standardizer config (2: carbonates, cyanides and
#: other salts whose carbon is inorganic are refused, as sodium chloride is) or the cache gains
#: an entry (3: the parents' compound keys).
CACHE_VERSION = 3


def _cache_paths(key: str) -> tuple[Path, Path]:
    from drugscreen.data.files import cache_dir

    root = cache_dir() / "repurpose"
    return root / f"{key}.npz", root / f"{key}.json"


def _read_cache(key: str) -> dict[str, Any] | None:
    """Library features saved by :func:`_write_cache`, or None (missing or unreadable)."""
    import json

    npz, meta = _cache_paths(key)
    if not (npz.is_file() and meta.is_file()):
        return None
    try:
        info = json.loads(meta.read_text())
        with np.load(npz, allow_pickle=False) as arrays:
            out: dict[str, Any] = {"smiles_std": info["smiles_std"], "errors": info["errors"]}
            if isinstance(info.get("compounds"), dict):
                out["compounds"] = info["compounds"]
            out["fps"] = {k: np.unpackbits(arrays[f"fp_{k}"], axis=1, count=int(info["n_bits"])) for k in info["fps"]}
            if "drug_emb" in arrays.files:
                out["drug_emb"] = arrays["drug_emb"]
        return out
    except (OSError, ValueError, KeyError) as exc:
        logger.warning("ignoring unreadable repurposing cache %s: %s", npz, exc)
        return None


def _write_cache(key: str, prep: _PreparedLibrary) -> None:
    """Save parsed SMILES, errors, compound keys, packed fingerprints and drug embeddings
    (atomic; no pickles)."""
    import json
    import os
    import tempfile

    npz, meta = _cache_paths(key)
    try:
        npz.parent.mkdir(parents=True, exist_ok=True)
        arrays = {f"fp_{k}": np.packbits(v.astype(bool), axis=1) for k, v in prep.fps.items()}
        if prep.drug_emb is not None:
            arrays["drug_emb"] = prep.drug_emb.numpy().astype(np.float32)
        n_bits = next(iter(prep.fps.values())).shape[1]
        fd, tmp = tempfile.mkstemp(dir=npz.parent, suffix=".npz")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, npz)
        lib = prep.library
        meta.write_text(json.dumps({
            "smiles_std": lib.smiles_std, "errors": lib.errors, "fps": list(prep.fps), "n_bits": n_bits,
            "compounds": prep.compounds,
        }))  # fmt: skip
    except OSError as exc:  # a read-only home must not stop the ranking
        logger.warning("could not write the repurposing cache (%s); the next run recomputes the features", exc)


@dataclass
class _PreparedLibrary:
    """A parsed library with its features computed on demand and kept."""

    library: Library
    valid: np.ndarray  # indices of parsed entries
    graphs: list[Any] | None = None
    fps: dict[str, np.ndarray] = field(default_factory=dict)
    drug_emb: Any = None  # affinity drug-encoder outputs (torch tensor)
    gnn_emb: np.ndarray | None = None  # normalized, numpy
    key: str = ""  # cache key of the library (and affinity model)
    tox: dict[str, Any] = field(default_factory=dict)  # panel checksum -> (columns, values per valid entry)
    compounds: dict[str, str] | None = None  # parent SMILES -> compound key (scoring.compound_keys)

    @property
    def mols(self) -> list[Any]:
        if not self.library.parsed:  # restored from the cache: parse only when features are missing
            from drugscreen.repurposing.inputs import parse_library

            parse_library(self.library)
        return [self.library.mols[i] for i in self.valid]


def _sequence_only_positional(func: Callable[P, R]) -> Callable[P, R]:
    """Refuse, with a clear :class:`TypeError`, arguments after ``sequence`` given by position.

    :meth:`Repurposer.rank` and :func:`repurpose` once took ``ligands``, ``fasta`` and
    ``library`` by position in different orders, so a pipeline switching from one to the other
    silently swapped them; both now take only ``sequence`` by position. The signature seen by
    ``help()`` and ``inspect`` is the function's own.
    """
    import functools
    import inspect

    params = list(inspect.signature(func).parameters.values())
    n_positional = sum(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in params)
    keywords = [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]
    name = func.__qualname__

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if len(args) > n_positional:
            raise TypeError(
                f"{name}() takes the target sequence as its only positional argument ({len(args) - n_positional + 1} "
                f"given): pass the others by keyword ({', '.join(f'{k}=' for k in keywords[:4])} ...); "
                "Repurposer.rank() and repurpose() used to order them differently"
            )
        return func(*args, **kwargs)

    return wrapper


class Repurposer:
    """Rank drugs against a target by its sequence and/or its known ligands.

    Parameters
    ----------
    affinity
        The affinity model bundle (``None``: ligand mode without the learned embedding and
        without sequence mode).
    weights
        Fusion weights overriding :data:`~drugscreen.repurposing.scoring.DEFAULT_WEIGHTS`.
    panel
        Add the screening panel's toxicity scores next to potency when the panel is installed.
    rule
        Fusion rule, one of :data:`~drugscreen.repurposing.scoring.FUSION_RULES` (default
        :data:`~drugscreen.repurposing.scoring.DEFAULT_RULE`).
    """

    def __init__(
        self, affinity: AffinityBundle | None = None, weights: dict[str, float] | None = None, panel: bool = True, rule: str | None = None
    ) -> None:
        if rule is not None and rule not in FUSION_RULES:
            raise ValueError(f"unknown fusion rule {rule!r} (choose from {', '.join(FUSION_RULES)})")
        self.affinity = affinity
        self.weights = {**DEFAULT_WEIGHTS, **(weights or {})}
        self.panel = panel
        self.rule = rule or DEFAULT_RULE

    @classmethod
    def load(
        cls, path: str | Path | None = None, *, weights: dict[str, float] | None = None, panel: bool = True, threads: int | None = None, rule: str | None = None
    ) -> Repurposer:
        """Load the shipped affinity model (or the bundle at ``path``)."""
        import torch

        from drugscreen.repurposing.affinity_bundle import load_affinity_bundle

        if threads is not None:
            torch.set_num_threads(threads)
        return cls(load_affinity_bundle(path), weights=weights, panel=panel, rule=rule)

    # ------------------------------------------------------------------ library features

    def _cache_key(self, lib: Library) -> str:
        import hashlib
        import json

        from drugscreen.featurizers.molecule import DEFAULT_STANDARDIZER

        h = hashlib.sha256()
        h.update(json.dumps([CACHE_VERSION, lib.smiles, lib.errors, DEFAULT_STANDARDIZER.to_config()], sort_keys=True).encode())
        if self.affinity is not None:
            h.update(json.dumps(self.affinity.config.get("files", {}), sort_keys=True).encode())
        return h.hexdigest()[:32]

    def _prepare(self, library: str | Path | pd.DataFrame) -> _PreparedLibrary:
        """Read the library and restore its features from the disk cache, or compute and cache them.

        The cache (``<cache dir>/repurpose/<key>.npz`` + ``.json``; no pickles) is keyed by the
        library's SMILES and the affinity model's weights checksum, so any change recomputes it.
        """
        from drugscreen.exceptions import InputFormatError
        from drugscreen.repurposing.inputs import parse_library, report_library_errors

        lib = load_library(library, parse=False)
        key = self._cache_key(lib)
        if key in _LIBRARY_CACHE:  # same structures; identifiers, names and other columns may differ
            prep = _LIBRARY_CACHE[key]
            kept = prep.library
            kept.ids, kept.names, kept.first_approval = lib.ids, lib.names, lib.first_approval
            kept.source, kept.id_column, kept.extra = lib.source, lib.id_column, lib.extra
            return prep
        cached = _read_cache(key)
        if cached is not None:
            lib.smiles_std, lib.errors = cached["smiles_std"], cached["errors"]
            report_library_errors(lib)
            prep = _PreparedLibrary(lib, np.nonzero(lib.valid)[0])
            prep.fps = cached["fps"]
            prep.compounds = cached.get("compounds")
            if "drug_emb" in cached:
                import torch

                prep.drug_emb = torch.from_numpy(cached["drug_emb"])
        else:
            parse_library(lib)
            prep = _PreparedLibrary(lib, np.nonzero(lib.valid)[0])
            if len(prep.valid):
                self._fps(prep)
                _compounds(prep)
                if self.affinity is not None:
                    self._drug_embeddings(prep)
                _write_cache(key, prep)
        if len(prep.valid) == 0:
            raise InputFormatError(f"{lib.source}: none of the {len(lib)} library entries could be parsed (first: {lib.errors[0]})")
        prep.key = key
        _LIBRARY_CACHE.clear()  # keep one library in memory
        _LIBRARY_CACHE[key] = prep
        return prep

    def _graphs(self, prep: _PreparedLibrary) -> list[Any]:
        if prep.graphs is None:
            from drugscreen.featurizers.graph import GraphFeaturizer

            feat = GraphFeaturizer()
            many = getattr(feat, "featurize_many", None)
            prep.graphs = many(prep.mols) if many else [feat(m) for m in prep.mols]
        return prep.graphs

    def _drug_embeddings(self, prep: _PreparedLibrary) -> Any:
        if prep.drug_emb is None:
            from drugscreen.models.affinity import encode_drugs

            assert self.affinity is not None
            prep.drug_emb = encode_drugs(self.affinity.model.drug, self._graphs(prep), prep.mols, chunk=1024)
        return prep.drug_emb

    def _gnn(self, prep: _PreparedLibrary) -> np.ndarray:
        if prep.gnn_emb is None:
            import torch

            emb = self._drug_embeddings(prep)
            prep.gnn_emb = torch.nn.functional.normalize(emb, dim=1).numpy()
        return prep.gnn_emb

    def _fps(self, prep: _PreparedLibrary) -> dict[str, np.ndarray]:
        if not prep.fps:
            prep.fps = fingerprint_sets(prep.mols)
        return prep.fps

    # ------------------------------------------------------------------ components

    def _sequence_scores(self, prep: _PreparedLibrary, sequence: str) -> dict[str, np.ndarray]:
        """Per-drug combined standardized score per member, and pKd/KIBA predictions."""
        import torch

        assert self.affinity is not None
        model = self.affinity.model
        limit = int(getattr(model, "max_len", 0) or 0)
        if limit and len(sequence) > limit:
            logger.warning(
                "target sequence of %d residues is longer than the sequence model's limit of %d: only its first %d "
                "(N-terminal) residues are read; give the relevant domain if the binding site lies beyond",
                len(sequence), limit, limit,
            )  # fmt: skip
        d_emb = self._drug_embeddings(prep)
        with torch.inference_mode():
            p_emb = model.encode_proteins([sequence])
            n = d_emb.shape[0]
            out = model.score(d_emb, p_emb, torch.arange(n), torch.zeros(n, dtype=torch.long)).numpy()  # (n, M, T)
        # standardized, mean over tasks; then each task in its units
        return {"members": out.mean(axis=2), **self.affinity.task_values(out)}

    # ------------------------------------------------------------------ ranking

    @_sequence_only_positional
    def rank(
        self,
        sequence: str | None = None,
        *,
        fasta: str | Path | None = None,
        ligands: str | Path | list[str] | pd.DataFrame | LigandSet | None = None,
        library: str | Path | pd.DataFrame = "approved",
        top: int | None = None,
        activity_column: str | None = None,
        active_threshold: float = 6.0,
        panel: bool | None = None,
        forms: str = "parent",
    ) -> pd.DataFrame:
        """Rank the library against one target.

        Only ``sequence`` is taken by position, every other argument by keyword: the same
        signature as :func:`repurpose` (the two once ordered ``ligands``, ``fasta`` and
        ``library`` differently, so switching from one to the other swapped them).

        Parameters
        ----------
        sequence
            The target's amino-acid sequence (or FASTA text with one record).
        fasta
            A FASTA file instead of ``sequence``.
        ligands
            Known ligands: SMILES list, DataFrame, file (``"-"``: standard input), or a
            :class:`LigandSet`. Rows of one parent molecule count once (see
            :func:`~drugscreen.repurposing.inputs.load_ligands`): the on-the-fly model needs
            :data:`~drugscreen.repurposing.scoring.MIN_LABELLED` distinct active and inactive
            parents and is trained on one row per parent.
        library
            ``"approved"`` (default), a molecule file (``"-"``: standard input; not with
            ``ligands="-"``), or a DataFrame with a SMILES column.
        top
            Keep the best ``top`` drugs, an integer >= 1 (entries that failed to parse are then
            left out of the table but still logged and listed in ``result.attrs["invalid"]``);
            None (default): every drug.
        activity_column, active_threshold
            How to read activities of a ligands file (see :func:`load_ligands`).
        panel
            Override the instance's ``panel`` setting for this call.
        forms
            ``"parent"`` (default): entries with the same parent molecule after standardization
            (salt forms and hydrates of one drug: imatinib and imatinib mesylate) score the same
            and are listed once, as the entry written without a counter-ion if there is one
            (else the first in library order), the others named in ``other_forms``. Parents that
            are one compound written as two tautomers (see
            :func:`~drugscreen.repurposing.scoring.compound_keys`; acyclovir and acyclovir
            sodium) score apart and are listed once too, at the better one's place, the other's
            entries named in ``other_forms`` with ``" [another tautomer]"``; ranks and
            percentiles count these compounds. ``"all"``: one row per entry.

        Returns
        -------
        pandas.DataFrame
            Best first. Columns: ``rank, chembl_id, name, first_approval, smiles, score,
            uncertainty, percentile`` (``id`` instead of ``chembl_id`` for a library whose
            identifiers are not ChEMBL ids; ``attrs["id_column"]`` names it). ``score`` is the
            fused percentile rank among the library's parent molecules (in (0, 1), 0.5 = median;
            see :func:`~drugscreen.repurposing.scoring.percentile_rank`): relative to this
            library, not an affinity; ``percentile`` is the drug's position (100 = first, 0 =
            last). Drugs with equal scores are ordered by how far their components stand out
            from the library (the other fusion rule's score), then by their parent structure's
            canonical SMILES, so the ranking does not depend on the order of the library. Then per component (``pred_pkd``, ``pred_pkd_sd``, ``pred_kiba``, ``sim_ecfp4``, ``sim_fcfp4``, ``sim_atompair``, ``sim_gnn``,
            ``model_prob``; the sequence component ranks by the mean of the affinity model's
            tasks' standardized predictions, DAVIS and KIBA for the shipped model, and
            ``evidence`` then states both), ``nearest_ligand``, ``nearest_ligand_smiles``,
            ``nearest_ligand_similarity`` (ECFP4 Tanimoto), ``known_ligand`` (the given
            active with the drug's own structure: such drugs are listed first, by their score;
            see :func:`~drugscreen.repurposing.scoring.identical_ligands`; a drug that is a
            given inactive is named in ``evidence`` but not moved), ``contrib_<component>``,
            ``evidence``, ``error``, and toxicity columns ``tox_*`` when the panel is available;
            ``other_forms`` (after ``smiles``) names the library's other entries with the same
            parent or another tautomer of it (``NAME (ID)``, ``; ``-separated). ``attrs`` holds ``invalid`` (library rows
            not scored), ``ligand_errors``, ``n_actives`` and ``n_inactives`` (distinct parent
            molecules), the ``weights`` and ``components`` used and
            ``forms_merged`` (entries listed under another's row). A user library's other
            columns come last, unchanged (renamed ``input_<name>`` where a name is taken).

        Raises
        ------
        TypeError
            An argument after ``sequence`` given by position, or an argument of the wrong type
            for its parameter (a DataFrame or list as ``sequence`` or ``fasta``, a list as
            ``library``).
        ConfigError
            A value of the wrong kind for its parameter: a protein sequence as ``ligands`` or
            ``library``, a FASTA file as ``ligands`` or ``library``, a molecule file as
            ``fasta`` or ``sequence``; ``top`` below 1; an unknown ``forms``.
        InputFormatError
            Unreadable inputs, including ligand potencies that are not on a -log10 molar scale
            (see :func:`~drugscreen.repurposing.inputs.load_ligands`).
        """
        import pandas as pd

        from drugscreen.exceptions import ConfigError, InputFormatError

        check_argument_kinds(sequence=sequence, fasta=fasta, ligands=ligands, library=library)
        if forms not in ("parent", "all"):
            raise ConfigError(f"forms must be 'parent' or 'all', not {forms!r}")
        top = _check_top(top)

        if sequence is None and fasta is None and ligands is None:
            raise InputFormatError("give a target sequence (or FASTA) and/or known ligands")
        target_name, seq = ("", None)
        if sequence is not None or fasta is not None:
            target_name, seq = read_sequence_input(sequence, fasta)
            if self.affinity is None:
                raise InputFormatError("sequence mode needs the affinity model (Repurposer.load())")
        lig: LigandSet | None = None
        if ligands is not None:
            lig = ligands if isinstance(ligands, LigandSet) else load_ligands(ligands, activity_column=activity_column, active_threshold=active_threshold)

        prep = self._prepare(library)
        lib = prep.library
        n = len(prep.valid)
        # components are put on one scale over the library's distinct parent molecules, so a drug
        # listed with five salt forms weighs once, and each entry gets its parent's score
        _, first_of, inverse = np.unique(np.array([lib.smiles_std[i] for i in prep.valid], dtype=str), return_index=True, return_inverse=True)

        def prank(x: np.ndarray) -> np.ndarray:
            return percentile_rank(np.asarray(x)[first_of])[inverse]

        components: dict[str, np.ndarray] = {}
        rankers: list[tuple[float, np.ndarray]] = []  # (weight, percentile ranks) for the uncertainty
        cols: dict[str, np.ndarray] = {}
        nearest_idx = None
        known = np.full(n, -1, dtype=np.int64)  # index into lig.actives of an identical given active
        known_inactive = np.full(n, -1, dtype=np.int64)  # index into lig.inactives
        if seq is not None:
            s = self._sequence_scores(prep, seq)
            components["sequence"] = s["members"].mean(axis=1)
            m = s["members"].shape[1]
            rankers += [(self.weights["sequence"] / m, prank(s["members"][:, j])) for j in range(m)]
            for task in self.affinity.tasks:  # davis and kiba under their units' names, others by name
                name = _PREDICTION_COLUMNS.get(task, f"pred_{snake_name(task)}")
                cols[name] = s[task]
                if task != "kiba":  # KIBA's spread was never a column; kept so for the shipped model
                    cols[f"{name}_sd"] = s[f"{task}_sd"]
        if lig is not None:
            act = lig.actives
            fps = self._fps(prep)
            act_fps = fingerprint_sets([lig.mols[i] for i in act])
            lib_emb = act_emb = None
            if self.affinity is not None:
                from drugscreen.featurizers.graph import GraphFeaturizer

                lib_emb = self._gnn(prep)
                act_emb = gnn_embeddings(
                    self.affinity.model.drug, [GraphFeaturizer()(lig.mols[i]) for i in act], [lig.mols[i] for i in act]
                )
            sims, nn = ligand_components(fps, act_fps, lib_emb, act_emb)
            for c, v in sims.items():
                components[c] = v
                cols[f"sim_{c}"] = v
                rankers.append((self.weights.get(c, 0.0), prank(v)))
            nearest_idx = nn["ecfp4"]
            lib_std = [lib.smiles_std[i] for i in prep.valid]
            known = identical_ligands(fps["ecfp4"], lib_std, act_fps["ecfp4"], [lig.smiles_std[i] for i in act])
            if len(lig.inactives):
                ina = lig.inactives
                ina_fps = fingerprint_sets([lig.mols[i] for i in ina], ("ecfp4",))["ecfp4"]
                known_inactive = identical_ligands(fps["ecfp4"], lib_std, ina_fps, [lig.smiles_std[i] for i in ina])
            if (known >= 0).any():
                n_known = len({lib_std[k] for k in np.nonzero(known >= 0)[0]})
                logger.info(
                    "%s: %d %s among the given actives (same structure): listed first, by their score",
                    lib.source, n_known, "molecule is" if n_known == 1 else "molecules are",
                )  # fmt: skip
            # the gate counts distinct parent molecules: imatinib given five times (or as five
            # salts) is one active, and a forest trained on it took 53% of every drug's score
            n_act, n_ina = len(lig.active_parents), len(lig.inactive_parents)
            counted = (f"{n_act} {'active' if n_act == 1 else 'actives'} and "
                       f"{n_ina} {'inactive' if n_ina == 1 else 'inactives'}")
            if len(lig.smiles_std) > n_act + n_ina:
                counted += f" (distinct parent molecules, of {len(lig.smiles_std)} rows)"
            if n_act >= MIN_LABELLED and n_ina >= MIN_LABELLED:
                rows, labels = lig.parent_rows()  # one training row per parent
                train = fingerprint_sets([lig.mols[i] for i in rows], ("ecfp4",))["ecfp4"]
                prob, _ = rf_component(train, labels, fps["ecfp4"])
                components["model"] = prob
                cols["model_prob"] = prob
                rankers.append((self.weights["model"], prank(prob)))
                logger.info("%s given: a model is trained on the fly", counted)
            elif len(lig.inactives):
                logger.info(
                    "%s given: no model is trained on the fly (it needs at least %d of each)", counted, MIN_LABELLED
                )  # fmt: skip

        w = {c: self.weights.get(c, 0.0) for c in components}
        if not any(v > 0 for v in w.values()):
            logger.warning("every component given (%s) has weight 0: weighting them equally", ", ".join(components))
            w = dict.fromkeys(components, 1.0)
            rankers = [(1.0, r[1]) for r in rankers]
        names = [c for c in components if w[c] > 0]
        parent_components = {c: components[c][first_of] for c in names}
        score, contrib, _ = fuse(parent_components, w, rule=self.rule)
        # equal fused scores (common with percentile ranks: weighted sums of whole ranks) are
        # told apart by how far the components stand out from the library (the other rule),
        # then by the parent's canonical SMILES, never by library order; both are rounded so a
        # last-bit difference of a sum does not decide the order either
        tiebreak, _, _ = fuse(parent_components, w, rule="zscore" if self.rule == "rank" else "rank")
        score, tiebreak = np.round(score, SCORE_DECIMALS)[inverse], np.round(tiebreak, SCORE_DECIMALS)[inverse]
        contrib = {c: v[inverse] for c, v in contrib.items()}
        rw = np.array([r[0] for r in rankers if r[0] > 0])
        rr = np.stack([r[1] for r in rankers if r[0] > 0]) if len(rw) else np.zeros((1, n))
        if len(rw) > 1:
            mean_r = (rw[:, None] * rr).sum(0) / rw.sum()
            uncertainty = np.sqrt((rw[:, None] * (rr - mean_r) ** 2).sum(0) / rw.sum())
        else:
            uncertainty = np.zeros(n)

        # ---- assemble, best first: given actives first, then by score; equal scores by the other
        # rule, then by parent structure; entries of one parent (same scores) in library order
        is_known = known >= 0
        order = np.lexsort((np.arange(n), inverse, -tiebreak, -score, -is_known.astype(np.int64)))
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(1, n + 1)
        valid = prep.valid
        out: dict[str, Any] = {
            "rank": rank,
            lib.id_column: [lib.ids[i] for i in valid],
            "name": [lib.names[i] for i in valid],
            "first_approval": np.asarray([lib.first_approval[i] for i in valid], dtype=np.float64),
            "smiles": [lib.smiles[i] for i in valid],
            "score": score,
            "uncertainty": uncertainty,
            "percentile": position_percentile(_tier_key(score, is_known)),
        }
        out.update(cols)
        if lig is not None and nearest_idx is not None:
            act = lig.actives
            out["nearest_ligand"] = [lig.names[act[j]] for j in nearest_idx]
            out["nearest_ligand_smiles"] = [lig.smiles[act[j]] for j in nearest_idx]
            out["nearest_ligand_similarity"] = cols["sim_ecfp4"]
            out["known_ligand"] = [lig.names[act[j]] if j >= 0 else "" for j in known]
        notes = [""] * n  # what the user told about the drug itself
        if lig is not None:
            for k in np.nonzero(known >= 0)[0]:
                notes[k] = f"given as a known active ({lig.names[lig.actives[known[k]]]})"
            for k in np.nonzero(known_inactive >= 0)[0]:
                inactive = f"known inactive ({lig.names[lig.inactives[known_inactive[k]]]})"
                # given both ways (replicate measurements on either side of the threshold): say so
                notes[k] = f"{notes[k]} and as a {inactive}" if notes[k] else f"given as a {inactive}"
            both = np.nonzero((known >= 0) & (known_inactive >= 0))[0]
            if len(both):
                # each pair of ligands once; the library entries it matched when several forms of a drug did
                pairs: dict[str, list[str]] = {}
                for k in both:
                    pair = f"{lig.names[lig.actives[known[k]]]} / {lig.names[lig.inactives[known_inactive[k]]]}"
                    pairs.setdefault(pair, []).append(str(out["name"][k] or out[lib.id_column][k]))
                shown = [pair if len(entries) == 1 else f"{pair} (library entries {', '.join(entries)})"
                         for pair, entries in list(pairs.items())[:3]]
                logger.warning(
                    "%d library %s given both as an active and as an inactive (%s%s): listed first as known actives; "
                    "evidence names both", len(both), "entry was" if len(both) == 1 else "entries were",
                    "; ".join(shown), "; ..." if len(pairs) > 3 else "",
                )  # fmt: skip
        for c in names:
            out[f"contrib_{c}"] = contrib[c]
        predicted = self._predicted_labels()
        out["evidence"] = [self._evidence(k, out, names, notes[k], predicted) for k in range(n)]
        out["error"] = [""] * n
        df = pd.DataFrame(out).iloc[order].reset_index(drop=True)
        entries = valid[order]
        parents = [lib.smiles_std[i] for i in entries]
        compound = _compounds(prep)
        first, other_forms = _same_parent(
            parents, [_entry_label(lib, i) for i in entries], ["." not in lib.smiles[i] for i in entries],
            [compound[p] for p in parents],
        )  # fmt: skip
        df.insert(df.columns.get_loc("smiles") + 1, "other_forms", other_forms)
        merged = 0
        if forms == "parent" and len(first) < len(df):
            merged = len(df) - len(first)
            df = df.iloc[first].reset_index(drop=True)
            order = order[first]
            df["rank"] = np.arange(1, len(df) + 1)
            df["percentile"] = position_percentile(_tier_key(df["score"].to_numpy(dtype=float), is_known[order]))
            logger.info(
                "%s: %d library %s merged into their parent forms (salts, hydrates, duplicates or another "
                "tautomer of a listed molecule, named in other_forms); forms='all' (CLI: --all-forms) keeps every entry",
                lib.source, merged, "entry" if merged == 1 else "entries",
            )  # fmt: skip
        invalid = [(int(i), lib.ids[i], lib.smiles[i], lib.errors[i]) for i in range(len(lib)) if lib.errors[i]]
        rows = order  # position among the parsed entries of each output row (-1: failed to parse)
        lib_rows = valid[order]  # library entry of each output row
        if top is not None:
            df = df.head(int(top)).copy()
            rows = order[: int(top)]
            lib_rows = lib_rows[: int(top)]
        elif invalid:
            rows = np.r_[order, np.full(len(invalid), -1)]
            lib_rows = np.r_[lib_rows, [b[0] for b in invalid]].astype(np.int64)
            bad = pd.DataFrame(
                {
                    lib.id_column: [b[1] for b in invalid],
                    "name": [lib.names[b[0]] for b in invalid],
                    "first_approval": [lib.first_approval[b[0]] for b in invalid],
                    "smiles": [b[2] for b in invalid],
                    "error": [b[3] for b in invalid],
                }
            )
            df = pd.concat([df, bad], ignore_index=True)
            text = [c for c in RANKING_TEXT_COLUMNS if c in df.columns]
            df[text] = df[text].fillna("")  # "none" is "" for these rows too, not a null
        df["rank"] = df["rank"].astype("Int64")
        df["first_approval"] = _years(df["first_approval"])
        if panel if panel is not None else self.panel:
            df = _add_panel(df, prep, np.asarray(rows, dtype=np.int64))
        if lib.extra is not None and len(lib.extra.columns):  # the user's own columns, last
            extra = lib.extra.iloc[lib_rows].reset_index(drop=True)
            extra.index = df.index
            extra.columns = [f"input_{c}" if c in df.columns else c for c in extra.columns]
            df = pd.concat([df, extra], axis=1)
        df.attrs.update(
            {
                "target": target_name,
                "components": names,
                "weights": {c: w[c] for c in names},
                "rule": self.rule,
                "invalid": invalid,
                "ligand_errors": list(lig.errors) if lig is not None else [],
                "n_actives": len(lig.active_parents) if lig is not None else 0,  # distinct parents
                "n_inactives": len(lig.inactive_parents) if lig is not None else 0,
                "ligands": [(lig.names[i], lig.smiles[i]) for i in lig.actives] if lig is not None else [],
                "library": lib.source,
                "id_column": lib.id_column,
                "forms_merged": merged,
            }
        )
        return df

    def _predicted_labels(self) -> dict[str, str]:
        """Prediction column -> what the evidence calls it, for every task of the affinity model
        (``pKd`` for DAVIS, ``KIBA score`` for KIBA, else the task's name)."""
        if self.affinity is None:
            return {}
        return {_PREDICTION_COLUMNS.get(t, f"pred_{snake_name(t)}"): _TASK_LABELS.get(t, t) for t in self.affinity.tasks}

    @staticmethod
    def _evidence(k: int, out: dict[str, Any], names: list[str], note: str = "", predicted: dict[str, str] | None = None) -> str:
        parts = [note] if note else []
        if "nearest_ligand" in out:
            parts.append(f"nearest ligand {out['nearest_ligand'][k]} (ECFP4 Tanimoto {out['nearest_ligand_similarity'][k]:.2f})")
        values = []
        for column, label in (predicted or {}).items():
            if column in out:
                # the heads share their encoders: their spread is agreement, not an error bar (the
                # cold-target test RMSE is 0.64 pKd), so it is not written as one
                spread = f" (heads' spread {out[f'{column}_sd'][k]:.2f})" if f"{column}_sd" in out else ""
                values.append(f"{label} {out[column][k]:.2f}{spread}")
        if values:
            # the sequence component is the mean of every task's standardized prediction: with
            # DAVIS and KIBA, ethanol (pKd 5.27) ranked below gefitinib (pKd 5.25) on the KIBA
            # score, which the evidence did not show
            combined = ", ranked by their standardized mean" if len(values) > 1 else ""
            parts.append(f"predicted {' and '.join(values)}{combined}")
        if len(names) > 1:
            parts.append(", ".join(f"{c} {100 * out[f'contrib_{c}'][k]:.0f}%" for c in names))
        return "; ".join(parts)


TOX_ENDPOINTS = ("tox21", "clintox", "sider")

#: The shipped affinity model's tasks' prediction columns, named by their units; any other
#: task's is ``pred_<task>`` (lower-case snake case), with ``pred_<task>_sd``.
_PREDICTION_COLUMNS = {"davis": "pred_pkd", "kiba": "pred_kiba"}
#: What the evidence calls the shipped model's tasks' predictions (any other task: its name).
_TASK_LABELS = {"davis": "pKd", "kiba": "KIBA score"}


#: Suffixes of FASTA files (optionally .gz), and of the molecule tables ``drugscreen screen`` reads.
FASTA_SUFFIXES = (".fasta", ".fa", ".faa", ".fas", ".fsa", ".seq")
#: Sequence-file suffixes that do not say FASTA (:data:`~drugscreen.repurposing.inputs.PLAIN_SEQUENCE_SUFFIXES`):
#: a ``.seq`` file may hold FASTA, a bare sequence or anything else, so as a library or ligands it
#: is judged by its content (:func:`_holds_sequence`), not by its name.
MOLECULE_SUFFIXES = MOLECULE_FILE_SUFFIXES  # drugscreen.io's table, .txt left out
#: Text read as a protein sequence where a file name is expected: only letters (and white
#: space, ``*`` or ``-``), at least this many of them.
_SEQUENCE_MIN_LETTERS = 30


def _suffix(value: str | Path) -> str:
    suffixes = [x.lower() for x in Path(value).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def _looks_like_sequence(text: str) -> bool:
    """A protein sequence or FASTA text, not a file name (no path separator, no suffix)."""
    import re

    stripped = text.strip()
    if stripped.startswith(">") and "\n" in stripped:
        return True
    letters = re.sub(r"[\s*-]", "", stripped)
    return len(letters) >= _SEQUENCE_MIN_LETTERS and letters.isalpha() and letters.isascii() and letters.upper() == letters


def _holds_sequence(path: str | Path) -> bool:
    """Whether the file at ``path`` holds FASTA or a bare sequence (judged on its first 64 kB)."""
    import gzip

    try:
        opener = gzip.open if str(path).lower().endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8-sig", errors="replace") as handle:
            text = handle.read(65536)
    except OSError:
        return False
    return _looks_like_sequence(text.upper()) or text.lstrip().startswith(">")


def _fasta_given_as(value: Any, param: str) -> str | None:
    """The message refusing a FASTA (or sequence) file given as ``param`` (``ligands=`` or
    ``library=``), or None. A ``.seq`` file counts only when it holds a sequence: otherwise it is
    left to the molecule reader, which names the file types it reads."""
    if not isinstance(value, (str, Path)):
        return None
    suffix = _suffix(value)
    if suffix in PLAIN_SEQUENCE_SUFFIXES:
        if _is_file(value) and _holds_sequence(value):
            return f"{param} got {str(value)!r}, a sequence file: pass it as fasta= (CLI --fasta)"
        return None
    if suffix in FASTA_SUFFIXES:
        return f"{param} got {str(value)!r}, a FASTA file: pass it as fasta= (CLI --fasta)"
    return None


def _is_file(value: str | Path) -> bool:
    try:
        return Path(value).is_file()
    except (OSError, ValueError):  # e.g. a 1,000-letter "file name"
        return False


def check_argument_kinds(
    *, sequence: Any = None, fasta: Any = None, ligands: Any = None, library: Any = "approved"
) -> None:
    """Refuse a value that landed in the wrong parameter of :meth:`Repurposer.rank` or
    :func:`repurpose` (a protein sequence as the ligands, a ligand table as the sequence ...),
    rather than let it be read as something else.

    Raises
    ------
    TypeError
        A value of a type the parameter never takes.
    ConfigError
        A text or path of the wrong kind: a sequence where a file or ``"approved"`` is
        expected, a FASTA file as ligands or library, a molecule file as the FASTA file or the
        sequence; or ``"-"`` (standard input, which can be read once) as both the ligands and
        the library.
    """
    import pandas as pd

    from drugscreen.exceptions import ConfigError

    def kind(value: Any) -> str:
        if isinstance(value, pd.DataFrame):
            return "a DataFrame"
        if isinstance(value, LigandSet):
            return "a LigandSet"
        return f"a {type(value).__name__}"

    if sequence is not None:
        if isinstance(sequence, Path):
            raise TypeError("sequence= takes the amino-acid sequence (str), not a path: pass a FASTA file as fasta=")
        if not isinstance(sequence, str):
            raise TypeError(
                f"sequence= takes the target's amino-acid sequence (str), not {kind(sequence)}: known ligands go in "
                "ligands=, a drug library in library="
            )
        if _suffix(sequence) in (*MOLECULE_SUFFIXES, *FASTA_SUFFIXES) and _is_file(sequence):
            where = "fasta=" if _suffix(sequence) in FASTA_SUFFIXES else "ligands= (known ligands) or library= (drugs to rank)"
            raise ConfigError(f"sequence= got the file name {sequence!r}, not a sequence: pass it as {where}")
    if fasta is not None:
        if not isinstance(fasta, (str, Path)):
            raise TypeError(
                f"fasta= takes a FASTA file's path, not {kind(fasta)}: known ligands go in ligands=, a drug library in library="
            )
        if isinstance(fasta, str) and not _is_file(fasta) and _looks_like_sequence(fasta):
            raise ConfigError("fasta= takes a FASTA file's path; this is a sequence: pass it as sequence=")
        if _suffix(fasta) in MOLECULE_SUFFIXES:
            raise ConfigError(
                f"fasta= got {str(fasta)!r}, a molecule file ({_suffix(fasta)}), not a FASTA file: known ligands go in "
                "ligands=, a drug library in library="
            )
    if ligands is not None:
        if isinstance(ligands, str) and not _is_file(ligands) and _looks_like_sequence(ligands):
            raise ConfigError(
                "ligands= got what looks like a protein sequence: pass the target's sequence as sequence= and the known "
                "ligands (SMILES list, table or file) as ligands="
            )
        if (message := _fasta_given_as(ligands, "ligands=")) is not None:
            raise ConfigError(message)
        if not isinstance(ligands, (str, Path, list, tuple, pd.DataFrame, LigandSet)):
            raise TypeError(f"ligands= takes a SMILES list, a DataFrame, a molecule file or a LigandSet, not {kind(ligands)}")
    if isinstance(ligands, (str, Path)) and isinstance(library, (str, Path)) and str(ligands) == STDIN == str(library):
        raise ConfigError(
            "ligands and library cannot both be read from standard input ('-'): give one of them as a file"
        )
    if isinstance(library, (list, tuple, LigandSet)):
        raise TypeError(
            f"library= takes 'approved', a molecule file or a DataFrame, not {kind(library)}: known ligands go in "
            "ligands= (a list of SMILES as a library: pandas.DataFrame({'smiles': [...]}))"
        )
    if isinstance(library, str) and library.lower() != "approved" and not _is_file(library) and _looks_like_sequence(library):
        raise ConfigError("library= got what looks like a protein sequence: pass the target's sequence as sequence=")
    if (message := _fasta_given_as(library, "library=")) is not None:
        raise ConfigError(message)
    if not isinstance(library, (str, Path, pd.DataFrame)):
        raise TypeError(f"library= takes 'approved', a molecule file or a DataFrame, not {kind(library)}")


def _check_top(top: Any) -> int | None:
    """``top`` as an int (None stays None).

    Raises
    ------
    ConfigError
        ``top`` is not an integer or is below 1.
    """
    import operator

    from drugscreen.exceptions import ConfigError

    if top is None:
        return None
    try:
        if isinstance(top, bool):
            raise TypeError
        value = operator.index(top)
    except TypeError:
        raise ConfigError(f"top must be an integer >= 1 (or None for every drug), not {top!r}") from None
    if value < 1:
        raise ConfigError(f"top must be >= 1 (or None for every drug), not {value}")
    return value


#: Text columns of a ranking that the ranker writes (the library's and user's own columns are
#: not among them): "none" is ``""`` in them, as in the ``error`` column and in every text column
#: of `drugscreen screen`'s output, for the entries that could not be parsed too.
RANKING_TEXT_COLUMNS = ("other_forms", "nearest_ligand", "nearest_ligand_smiles", "known_ligand", "evidence", "error")
#: Separator of the labels in ``other_forms``.
FORMS_SEPARATOR = "; "


def count_other_forms(other_forms: str | None) -> int:
    """How many library entries an ``other_forms`` cell names."""
    return other_forms.count(FORMS_SEPARATOR) + 1 if isinstance(other_forms, str) and other_forms else 0


def _tier_key(score: np.ndarray, known: np.ndarray) -> np.ndarray:
    """One number per drug that orders as the ranking does: given actives above every other
    drug, then the score."""
    score = np.asarray(score, dtype=np.float64)
    span = float(score.max() - score.min()) + 1.0 if len(score) else 1.0
    return score + span * np.asarray(known, dtype=np.float64)


def _years(values: pd.Series) -> pd.Series:
    """A year column as whole numbers (``Int64``, so a spreadsheet reads 2001, not 2001.0), or
    as floats unchanged when a value is not a whole number (a user library's ``year`` column may
    hold anything; casting 2001.5 to an integer raised a TypeError)."""
    import pandas as pd

    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    known = numbers.dropna()
    if len(known) and bool((known == known.round()).all()):
        return numbers.astype("Int64")
    return numbers


def _entry_label(lib: Library, i: int) -> str:
    """``NAME (ID)`` of library entry ``i``, or its identifier alone when it has no name."""
    return f"{lib.names[i]} ({lib.ids[i]})" if lib.names[i] else lib.ids[i]


#: Added to the label of an entry in ``other_forms`` whose parent is the same compound written
#: as another tautomer (it scored on its own, as that tautomer).
ANOTHER_TAUTOMER = " [another tautomer]"


def _same_parent(
    parents: list[str], labels: list[str], single: list[bool], compounds: list[str] | None = None
) -> tuple[np.ndarray, list[str]]:
    """For entries in ranking order: one position per compound, in the order of each compound's
    best position, and per entry the labels of the other entries of its compound (``"; "``-joined).

    Entries of one parent molecule score the same. ``compounds`` (:func:`compound_keys` of
    ``parents``; default: the parents themselves) also joins parents that are one compound
    written as two tautomers (acyclovir, the lactam, and acyclovir sodium, whose parent is the
    lactim); those score apart, so the position kept is among the entries of the best-ranked
    parent, and the other tautomer's entries are labelled with :data:`ANOTHER_TAUTOMER`. Of
    the best parent's entries the first written as a single fragment (``single``: the free form,
    not a salt or hydrate) is kept, or else the first.
    """
    keys = parents if compounds is None else compounds
    groups: dict[str, list[int]] = {}
    for pos, key in enumerate(keys):
        groups.setdefault(key, []).append(pos)

    def kept(g: list[int]) -> int:
        best = [q for q in g if parents[q] == parents[g[0]]]
        return next((q for q in best if single[q]), best[0])

    first = np.array([kept(g) for g in sorted(groups.values(), key=lambda g: g[0])], dtype=np.int64)
    other = [""] * len(parents)
    for g in groups.values():
        if len(g) > 1:
            for pos in g:
                other[pos] = FORMS_SEPARATOR.join(
                    labels[q] + ("" if parents[q] == parents[pos] else ANOTHER_TAUTOMER) for q in g if q != pos
                )
    return first, other


def _compounds(prep: _PreparedLibrary) -> dict[str, str]:
    """The compound key (:func:`compound_keys`) of each parent of the library, computed once
    (about 0.7 s for the approved list: the InChI of the parents sharing a formula) and cached."""
    if prep.compounds is None:
        parents = sorted({prep.library.smiles_std[i] for i in prep.valid})
        prep.compounds = dict(zip(parents, compound_keys(parents), strict=True))
    return prep.compounds


def _panel_key(screener: Any) -> str:
    import hashlib
    import json

    cfg = screener.bundle.config
    blob = json.dumps([cfg.get("files", {}), [e.column for e in screener.endpoints]], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _library_tox(prep: _PreparedLibrary, screener: Any) -> tuple[list[str], np.ndarray, dict[str, list[str]]]:
    """Toxicity scores of every parsed library entry: ``(numeric columns, values (n_valid,
    n_columns), {alert column: texts})``.

    They do not depend on the target, so they are computed once per library and panel and
    cached beside the library features (``<key>_tox_<panel>.npz`` + ``.json``; no pickles).
    """
    import json
    import os
    import tempfile

    pkey = _panel_key(screener)
    if pkey in prep.tox:
        return prep.tox[pkey]
    npz, meta = _cache_paths(f"{prep.key}_tox_{pkey}")
    if prep.key and npz.is_file() and meta.is_file():
        try:
            info = json.loads(meta.read_text())
            with np.load(npz, allow_pickle=False) as arrays:
                values = arrays["values"]
            if values.shape == (len(prep.valid), len(info["columns"])):
                prep.tox[pkey] = (info["columns"], values, info["text"])
                return prep.tox[pkey]
        except (OSError, ValueError, KeyError) as exc:
            logger.warning("ignoring unreadable toxicity cache %s: %s", npz, exc)
    lib = prep.library
    scored = screener.score([lib.smiles[i] for i in prep.valid])  # as `drugscreen screen` would see them
    cols = [e.column for e in screener.endpoints]
    cols = [c for c in [*cols, *(f"{c}_unc" for c in cols)] if c in scored.columns]
    values = scored[cols].to_numpy(dtype=np.float64)
    text = {c: scored[c].fillna("").astype(str).tolist() for c in scored.columns if c.startswith("alerts_")}
    prep.tox[pkey] = (cols, values, text)
    if prep.key:
        try:
            npz.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=npz.parent, suffix=".npz")
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, values=values)
            os.replace(tmp, npz)
            meta.write_text(json.dumps({"columns": cols, "text": text}))
        except OSError as exc:
            logger.warning("could not write the toxicity cache (%s)", exc)
    return cols, values, text


def _add_panel(df: pd.DataFrame, prep: _PreparedLibrary, rows: np.ndarray) -> pd.DataFrame:
    """Toxicity scores of the screening panel beside potency (``tox_<endpoint>`` and its
    ``_unc``; ``tox_alerts_*`` structural alerts), when the panel is installed.

    ``rows[k]`` is the position (among the parsed library entries) of the drug in row ``k`` of
    ``df``, or -1 for an entry that failed to parse (NaN). The whole library is scored once
    per panel and cached (see :func:`_library_tox`).
    """
    from drugscreen.exceptions import DrugscreenError

    try:
        from drugscreen.screening.screener import Screener

        screener = Screener.load(endpoints=list(TOX_ENDPOINTS), profile=None)
    except (DrugscreenError, OSError) as exc:  # the panel is optional here: no panel, no tox columns
        logger.warning("toxicity panel not available (%s): toxicity columns left out", exc)
        return df
    import pandas as pd

    cols, values, text = _library_tox(prep, screener)
    block = np.where(rows[:, None] >= 0, values[np.maximum(rows, 0)], np.nan)
    tox = pd.DataFrame(block, columns=[f"tox_{c}" for c in cols], index=df.index)
    for c, texts in text.items():
        tox[f"tox_{c}"] = [texts[r] if r >= 0 else "" for r in rows]
    return pd.concat([df, tox], axis=1)


@_sequence_only_positional
def repurpose(
    sequence: str | None = None,
    *,
    fasta: str | Path | None = None,
    ligands: str | Path | list[str] | pd.DataFrame | LigandSet | None = None,
    library: str | Path | pd.DataFrame = "approved",
    top: int | None = None,
    activity_column: str | None = None,
    active_threshold: float = 6.0,
    model: str | Path | None = None,
    panel: bool = True,
    forms: str = "parent",
) -> pd.DataFrame:
    """Load the repurposer (shipped model or ``model``) and rank ``library``: what the CLI runs.

    The arguments are those of :meth:`Repurposer.rank`, in the same order, and again only
    ``sequence`` is taken by position. They are checked, and the ligands read, before the model
    is loaded.

    Parameters
    ----------
    sequence
        The target's amino-acid sequence (or FASTA text with one record).
    fasta, ligands, library, top, activity_column, active_threshold, forms
        See :meth:`Repurposer.rank`.
    model
        An affinity model bundle (default: the shipped one).
    panel
        Add the screening panel's toxicity columns.

    Returns
    -------
    pandas.DataFrame
        The ranking (see :meth:`Repurposer.rank`).

    Raises
    ------
    TypeError, ConfigError
        An argument of the wrong type or kind for its parameter (see :meth:`Repurposer.rank`).
    """
    check_argument_kinds(sequence=sequence, fasta=fasta, ligands=ligands, library=library)
    if ligands is not None and not isinstance(ligands, LigandSet):  # a bad ligand file fails before the model loads
        ligands = load_ligands(ligands, activity_column=activity_column, active_threshold=active_threshold)
    rp = Repurposer.load(model, panel=panel)
    return rp.rank(
        sequence=sequence, ligands=ligands, library=library, top=top, fasta=fasta,
        activity_column=activity_column, active_threshold=active_threshold, forms=forms,
    )  # fmt: skip
