"""Retrospective evaluation of the repurposer's ligand mode on DAVIS/KIBA targets; prints the figures.

For each target held out from the affinity model's training (the cold-target split's valid and
test targets, so neither the learned embedding nor the sequence model has seen its labels) and
each of ``--repeats`` random draws:

* ``known`` actives are drawn as the query ligands (scenario ``actives``: 5 actives; scenario
  ``labelled``: 10 actives + 30 inactives, which also trains the on-the-fly model);
* every other compound measured on the target is ranked; actives are DAVIS pKd >= 7 and KIBA
  score >= 12.1 (the binder threshold used for KIBA by Tang et al. 2014 / He et al. 2017).

Metrics per ranking (averaged over draws, then targets): BEDROC (alpha = 20), EF1%, EF5%
(``rdkit.ML.Scoring.Scoring``), recall@10 and recall@50. Methods: the baseline a chemist
already has (max Tanimoto on ECFP4), each component alone, and the fused rankings.

Fusion weights are chosen on the **valid** targets (grid search, by mean BEDROC of the
``actives`` scenario) and reported on the **test** targets.

Usage::

    python benchmarks/ligand_eval.py --bundle drugscreen/resources/affinity --repeats 5

Writes ``benchmarks/results/ligand_eval.json`` and ``ligand_eval.md``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
KIBA_BINDER = 12.1
DAVIS_BINDER = 7.0
SIM_COMPONENTS = ("ecfp4", "fcfp4", "atompair", "gnn")


def _target_sets(task, targets, threshold, min_actives, min_inactives):
    out = []
    name_to_idx = {t: i for i, t in enumerate(task.target_ids)}
    for tid in targets:
        ti = name_to_idx[tid]
        m = task.target_idx == ti
        drugs = task.drug_idx[m]
        act = task.value[m] >= threshold
        ok = np.array([task.graphs[d] is not None for d in drugs])
        drugs, act = drugs[ok], act[ok]
        if act.sum() >= min_actives and (~act).sum() >= min_inactives:
            out.append((tid, drugs, act))
    return out


def _components(drugs, act, known_act, known_inact, fps, emb, seq_scores, rng_seed):
    """Scores of every ranked compound (all but the known ones) for each component."""
    from drugscreen.featurizers.fingerprints import max_tanimoto
    from drugscreen.repurposing.scoring import rf_component

    known = np.concatenate([known_act, known_inact])
    rest = np.setdiff1d(np.arange(len(drugs)), known)
    q = drugs[known_act]
    lib = drugs[rest]
    comps = {}
    for k in ("ecfp4", "fcfp4", "atompair"):
        comps[k] = max_tanimoto(fps[k][lib], fps[k][q]).astype(np.float64)
    if emb is not None:
        comps["gnn"] = (emb[lib] @ emb[q].T).max(axis=1)
    if len(known_inact):
        labels = np.r_[np.ones(len(known_act)), np.zeros(len(known_inact))].astype(int)
        comps["model"], _ = rf_component(fps["ecfp4"][drugs[known]], labels, fps["ecfp4"][lib], seed=rng_seed, n_trees=200)
    if seq_scores is not None:
        comps["sequence"] = seq_scores[rest]
    return comps, act[rest]


def _fused(comps, weights):
    from drugscreen.repurposing.scoring import percentile_rank

    names = [c for c in comps if weights.get(c, 0) > 0]
    if not names:
        return None
    return sum(weights[c] * percentile_rank(comps[c]) for c in names) / sum(weights[c] for c in names)


def _metrics(score, active):
    from drugscreen.repurposing.evaluation import virtual_screening_metrics

    return virtual_screening_metrics(score, active, ks=(10, 50))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", default=None, help="affinity bundle (default: the shipped one)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    import torch

    from drugscreen.repurposing.affinity_bundle import load_affinity_bundle
    from drugscreen.repurposing.scoring import DEFAULT_WEIGHTS, fingerprint_sets, gnn_embeddings
    from drugscreen.repurposing.training import load_affinity_tasks, make_splits

    torch.set_num_threads(args.threads)
    t_start = time.perf_counter()
    bundle = load_affinity_bundle(args.bundle)
    training = bundle.config.get("training", {})
    if training.get("split") != "cold_target":
        raise SystemExit("the bundle must come from a cold_target training run (its held-out targets are evaluated)")
    tasks = load_affinity_tasks(("davis", "kiba"))
    splits = make_splits(tasks, "cold_target", seed=int(training.get("seed", 0)))
    results: dict = {"settings": vars(args), "bundle": str(bundle.path), "targets": {}, "per_method": {}}
    rows = []  # (part, dataset, target, scenario, method, metrics)
    for task in tasks:
        thr = DAVIS_BINDER if task.name == "davis" else KIBA_BINDER
        sp = splits[task.name]
        parts = {
            "valid": sorted({task.target_ids[i] for i in task.target_idx[sp.valid]}),
            "test": sorted({task.target_ids[i] for i in task.target_idx[sp.test]}),
        }
        trained = set(training.get("heldout_targets", {}).get(task.name, []))
        for p in parts.values():
            if trained and not set(p) <= trained:
                raise SystemExit("held-out targets differ from the bundle's record; same seed needed")
        valid_idx = np.array([g is not None for g in task.graphs])
        mols_graphs = [g for g in task.graphs]
        from drugscreen.featurizers.molecule import prepare_molecule

        mols = [prepare_molecule(s).mol if s else None for s in task.drug_smiles]
        fps_valid = fingerprint_sets([m for m in mols if m is not None])
        fps = {k: np.zeros((len(mols), v.shape[1]), dtype=v.dtype) for k, v in fps_valid.items()}
        for k in fps:
            fps[k][valid_idx] = fps_valid[k]
        emb_valid = gnn_embeddings(bundle.model.drug, [g for g in mols_graphs if g is not None], [m for m in mols if m is not None])
        emb = np.zeros((len(mols), emb_valid.shape[1]), dtype=np.float32)
        emb[valid_idx] = emb_valid
        # sequence-model scores of every (drug, target) for the held-out targets
        col = bundle.tasks.index(task.name)
        min_act = 5 if task.name == "davis" else 15
        for part, targets in parts.items():
            sets = _target_sets(task, targets, thr, min_actives=min_act + 1 if task.name == "davis" else min_act, min_inactives=40)
            results["targets"][f"{task.name}/{part}"] = [s[0] for s in sets]
            for tid, drugs, act in sets:
                with torch.inference_mode():
                    from drugscreen.models.affinity import drug_batch

                    fp = task.fps[drugs] if bundle.model.drug.fp_bits else None
                    d_emb = bundle.model.drug(drug_batch([task.graphs[d] for d in drugs], fp))
                    p_emb = bundle.model.encode_proteins([task.sequences[task.target_ids.index(tid)]])
                    out = bundle.model.score(d_emb, p_emb, torch.arange(len(drugs)), torch.zeros(len(drugs), dtype=torch.long))
                    seq_scores = out.mean(dim=1)[:, col].numpy().astype(np.float64)
                rng = np.random.default_rng(args.seed)
                a_idx, i_idx = np.nonzero(act)[0], np.nonzero(~act)[0]
                for rep in range(args.repeats):
                    scen = {
                        "actives": (rng.choice(a_idx, 5, replace=False), np.array([], dtype=np.int64)),
                    }
                    if len(a_idx) >= 15 and len(i_idx) >= 60:
                        scen["labelled"] = (rng.choice(a_idx, 10, replace=False), rng.choice(i_idx, 30, replace=False))
                    for sname, (ka, ki) in scen.items():
                        comps, y = _components(drugs, act, ka, ki, fps, emb, seq_scores, args.seed + rep)
                        rows.append((part, task.name, tid, sname, rep, comps, y))
    logging.info("%d rankings prepared in %.0f s", len(rows), time.perf_counter() - t_start)

    # ---- weight search on valid targets (actives scenario, similarity components only)
    grid = [0.0, 0.5, 1.0, 2.0]
    best_w, best_bedroc = None, -1.0
    valid_rows = [r for r in rows if r[0] == "valid" and r[3] == "actives"]
    cache = {}
    for ws in itertools.product(grid, repeat=len(SIM_COMPONENTS)):
        if sum(ws) == 0:
            continue
        w = dict(zip(SIM_COMPONENTS, ws, strict=True))
        vals = []
        for r in valid_rows:
            s = _fused({k: v for k, v in r[5].items() if k in SIM_COMPONENTS}, w)
            vals.append(_metrics(s, r[6])["bedroc"])
        cache[ws] = float(np.mean(vals))
        if cache[ws] > best_bedroc + 1e-9:
            best_w, best_bedroc = w, cache[ws]
    # weight of the on-the-fly model and of the sequence model, given the similarity weights
    extra = {}
    for comp, scen in (("model", "labelled"), ("sequence", "actives")):
        cand = []
        for wc in (0.0, 0.5, 1.0, 2.0, 4.0):
            w = {**best_w, comp: wc}
            vals = [_metrics(_fused({k: v for k, v in r[5].items() if k in (*SIM_COMPONENTS, comp)}, w), r[6])["bedroc"] for r in rows if r[0] == "valid" and r[3] == scen]
            cand.append((float(np.mean(vals)) if vals else float("nan"), wc))
        extra[comp] = max(cand)[1] if cand and np.isfinite(max(cand)[0]) else DEFAULT_WEIGHTS[comp]
        results.setdefault("weight_search", {})[comp] = cand
    chosen = {**best_w, **extra}
    results["chosen_weights"] = chosen
    results["valid_bedroc_of_chosen_similarity_weights"] = best_bedroc
    logging.info("chosen weights %s (valid BEDROC %.3f)", chosen, best_bedroc)

    # ---- report every method on valid and test
    methods = {
        "ecfp4_max (baseline)": lambda c: c["ecfp4"],
        "fcfp4_max": lambda c: c["fcfp4"],
        "atompair_max": lambda c: c["atompair"],
        "gnn_max": lambda c: c.get("gnn"),
        "fused: fingerprints (equal)": lambda c: _fused({k: c[k] for k in ("ecfp4", "fcfp4", "atompair")}, {"ecfp4": 1, "fcfp4": 1, "atompair": 1}),
        "fused: similarity (default weights)": lambda c: _fused({k: c[k] for k in SIM_COMPONENTS if k in c}, DEFAULT_WEIGHTS),
        "fused: similarity (chosen weights)": lambda c: _fused({k: c[k] for k in SIM_COMPONENTS if k in c}, chosen),
        "sequence model alone": lambda c: c.get("sequence"),
        "fused: similarity + sequence (chosen)": lambda c: _fused({k: c[k] for k in (*SIM_COMPONENTS, "sequence") if k in c}, chosen),
        "rf model alone": lambda c: c.get("model"),
        "fused: similarity + rf (chosen)": lambda c: _fused({k: c[k] for k in (*SIM_COMPONENTS, "model") if k in c}, chosen) if "model" in c else None,
    }
    summary: dict = {}
    for part in ("valid", "test"):
        for scen in ("actives", "labelled"):
            for ds in ("davis", "kiba"):
                sel = [r for r in rows if r[0] == part and r[3] == scen and r[1] == ds]
                if not sel:
                    continue
                for mname, fn in methods.items():
                    per_target: dict = {}
                    for r in sel:
                        s = fn(r[5])
                        if s is None:
                            continue
                        per_target.setdefault(r[2], []).append(_metrics(s, r[6]))
                    if not per_target:
                        continue
                    keys = ("bedroc", "ef1", "ef5", "recall@10", "recall@50")
                    tmeans = {k: float(np.mean([np.mean([m[k] for m in ms]) for ms in per_target.values()])) for k in keys}
                    tmeans["n_targets"] = len(per_target)
                    tmeans["n_rankings"] = sum(len(v) for v in per_target.values())
                    tmeans["mean_library_size"] = float(np.mean([m["n"] for ms in per_target.values() for m in ms]))
                    tmeans["mean_active_fraction"] = float(np.mean([m["n_actives"] / m["n"] for ms in per_target.values() for m in ms]))
                    summary.setdefault(part, {}).setdefault(scen, {}).setdefault(ds, {})[mname] = tmeans
    results["summary"] = summary
    results["time_s"] = time.perf_counter() - t_start
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ligand_eval.json").write_text(json.dumps(results, indent=1))
    lines = [
        "# Ligand-mode retrospective evaluation",
        "",
        "Command: `python benchmarks/ligand_eval.py " + " ".join(sys.argv[1:]) + "`",
        f"Fusion weights chosen on valid targets: {chosen}",
        "",
    ]
    for part in ("test", "valid"):
        for scen, sd in summary.get(part, {}).items():
            for ds, md in sd.items():
                first = next(iter(md.values()))
                lines.append(
                    f"## {part} targets, scenario `{scen}`, {ds} ({first['n_targets']} targets, {first['n_rankings']} rankings, "
                    f"~{first['mean_library_size']:.0f} compounds ranked, {100 * first['mean_active_fraction']:.1f}% actives)"
                )
                lines.append("")
                lines.append("| method | BEDROC(20) | EF1% | EF5% | recall@10 | recall@50 |")
                lines.append("|---|---|---|---|---|---|")
                for mname, m in md.items():
                    lines.append(f"| {mname} | {m['bedroc']:.3f} | {m['ef1']:.2f} | {m['ef5']:.2f} | {m['recall@10']:.3f} | {m['recall@50']:.3f} |")
                lines.append("")
    text = "\n".join(lines)
    (RESULTS / "ligand_eval.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
