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

The fusion rule (percentile ranks or z-scores, see :mod:`drugscreen.repurposing.scoring`) and
the weights of the similarity components are chosen on the **valid** targets (grid search, by
mean BEDROC of the ``actives`` scenario), then the weights of the on-the-fly model (``labelled``
scenario) and of the sequence model; everything is reported on the **test** targets, with a
paired target-level comparison against the baseline (bootstrap CI over targets).

Usage (the committed results; ~5 min on 2 busy cores)::

    nice -n 10 python benchmarks/ligand_eval.py --bundle drugscreen/resources/affinity --repeats 5

Writes ``benchmarks/results/ligand_eval.json`` and ``ligand_eval.md``.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
KIBA_BINDER = 12.1
DAVIS_BINDER = 7.0
SIM_COMPONENTS = ("ecfp4", "fcfp4", "atompair", "gnn")
FPS = ("ecfp4", "fcfp4", "atompair")
CHOSEN = "fused: similarity (chosen rule + weights)"


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


def _fused(comps, weights, rule):
    """The repurposer's own fusion (:func:`drugscreen.repurposing.scoring.fuse`) of ``comps``."""
    from drugscreen.repurposing.scoring import fuse

    if not any(weights.get(c, 0) > 0 for c in comps):
        return None
    return fuse(comps, {**{c: 0.0 for c in comps}, **weights}, rule=rule)[0]


def _paired(per_target_a, per_target_b, key, n_boot=2000, seed=0):
    """Target-level comparison of two methods: mean difference (a - b), 95% bootstrap CI over
    targets, and the number of targets where a is better / equal / worse."""
    common = sorted(set(per_target_a) & set(per_target_b))
    if not common:
        return None
    d = np.array([np.mean([m[key] for m in per_target_a[t]]) - np.mean([m[key] for m in per_target_b[t]]) for t in common])
    rng = np.random.default_rng(seed)
    boots = rng.choice(d, size=(n_boot, len(d)), replace=True).mean(axis=1)
    return {
        "metric": key,
        "n_targets": len(d),
        "mean_diff": float(d.mean()),
        "ci95": [float(np.quantile(boots, 0.025)), float(np.quantile(boots, 0.975))],
        "better": int((d > 1e-12).sum()),
        "equal": int((np.abs(d) <= 1e-12).sum()),
        "worse": int((d < -1e-12).sum()),
    }


def _bedroc(score, active):
    """BEDROC(20) alone (RDKit), for the weight search."""
    from rdkit.ML.Scoring import Scoring

    order = np.lexsort((np.arange(len(score)), -np.asarray(score)))
    return Scoring.CalcBEDROC([[float(a)] for a in np.asarray(active)[order]], 0, 20.0)


def _metrics(score, active):
    from drugscreen.repurposing.evaluation import virtual_screening_metrics

    return virtual_screening_metrics(score, active, ks=(10, 50))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", default=None, help="affinity bundle (default: the shipped one)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-targets", type=int, default=None, help="smoke test only: first N targets per dataset and part")
    ap.add_argument("--out", default=str(RESULTS / "ligand_eval"), help="output path without suffix (.json and .md are written)")
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
        from drugscreen.featurizers.molecule import DATASET_STANDARDIZER, prepare_molecule

        mols = [prepare_molecule(s, DATASET_STANDARDIZER).mol if s else None for s in task.drug_smiles]
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
            sets = sets[: args.max_targets] if args.max_targets else sets
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

    # ---- fusion rule and weights: searched on VALID targets only (actives scenario, mean BEDROC)
    from drugscreen.repurposing.scoring import FUSION_RULES, percentile_rank, standardize

    t_search = time.perf_counter()
    scale = {"rank": percentile_rank, "zscore": standardize}
    valid_rows = [r for r in rows if r[0] == "valid" and r[3] == "actives"]
    pre = {rule: [{k: scale[rule](v) for k, v in r[5].items()} for r in valid_rows] for rule in FUSION_RULES}
    grid = [0.0, 0.5, 1.0, 2.0]
    search: dict = {}
    best = (-1.0, None, None)  # (valid BEDROC, rule, weights)
    best_per_rule: dict = {}
    for rule in FUSION_RULES:
        best_rule = (-1.0, None)
        for ws in itertools.product(grid, repeat=len(SIM_COMPONENTS)):
            if sum(ws) == 0:
                continue
            w = dict(zip(SIM_COMPONENTS, ws, strict=True))
            vals = [
                _bedroc(sum(w[c] * sc[c] for c in SIM_COMPONENTS if w[c] > 0 and c in sc), r[6])
                for sc, r in zip(pre[rule], valid_rows, strict=True)
            ]
            v = float(np.mean(vals))
            search[f"{rule} {ws}"] = v
            if v > best_rule[0] + 1e-9:
                best_rule = (v, w)
        best_per_rule[rule] = {"valid_bedroc": best_rule[0], "weights": best_rule[1]}
        if best_rule[0] > best[0] + 1e-9:
            best = (best_rule[0], rule, best_rule[1])
    best_bedroc, rule, best_w = best
    ecfp_valid = float(np.mean([_metrics(r[5]["ecfp4"], r[6])["bedroc"] for r in valid_rows]))
    logging.info("fusion search (%d settings) in %.0f s: best %s %s valid BEDROC %.3f (ECFP4 alone %.3f); per rule %s",
                 len(search), time.perf_counter() - t_search, rule, best_w, best_bedroc, ecfp_valid, best_per_rule)  # fmt: skip
    # weight of the on-the-fly model and of the sequence model, given the similarity weights
    extra = {}
    for comp, scen in (("model", "labelled"), ("sequence", "actives")):
        cand = []
        for wc in (0.0, 0.5, 1.0, 2.0, 4.0):
            w = {**best_w, comp: wc}
            vals = [
                _metrics(_fused({k: v for k, v in r[5].items() if k in (*SIM_COMPONENTS, comp)}, w, rule), r[6])["bedroc"]
                for r in rows if r[0] == "valid" and r[3] == scen
            ]  # fmt: skip
            cand.append((float(np.mean(vals)) if vals else float("nan"), wc))
        extra[comp] = max(cand)[1] if cand and np.isfinite(max(cand)[0]) else DEFAULT_WEIGHTS[comp]
        results.setdefault("weight_search", {})[comp] = cand
    chosen = {**best_w, **extra}
    results["chosen_rule"] = rule
    results["chosen_weights"] = chosen
    results["best_per_rule"] = best_per_rule
    results["valid_bedroc_of_chosen_similarity_weights"] = best_bedroc
    results["valid_bedroc_ecfp4"] = ecfp_valid
    results["similarity_search"] = search
    logging.info("chosen: rule %s, weights %s", rule, chosen)

    # ---- report every method on valid and test
    rank_w = best_per_rule["rank"]["weights"]
    methods = {
        "ecfp4_max (baseline)": lambda c: c["ecfp4"],
        "fcfp4_max": lambda c: c["fcfp4"],
        "atompair_max": lambda c: c["atompair"],
        "gnn_max": lambda c: c.get("gnn"),
        "fused: fingerprints (equal, rank)": lambda c: _fused({k: c[k] for k in FPS}, dict.fromkeys(FPS, 1.0), "rank"),
        "fused: fingerprints (equal, zscore)": lambda c: _fused({k: c[k] for k in FPS}, dict.fromkeys(FPS, 1.0), "zscore"),
        "fused: similarity (equal weights, rank)": lambda c: _fused({k: c[k] for k in SIM_COMPONENTS if k in c}, dict.fromkeys(SIM_COMPONENTS, 1.0), "rank"),
        "fused: similarity (best rank weights)": lambda c: _fused({k: c[k] for k in SIM_COMPONENTS if k in c}, rank_w, "rank"),
        CHOSEN: lambda c: _fused({k: c[k] for k in SIM_COMPONENTS if k in c}, chosen, rule),
        "sequence model alone": lambda c: c.get("sequence"),
        "fused: similarity + sequence (chosen)": lambda c: _fused({k: c[k] for k in (*SIM_COMPONENTS, "sequence") if k in c}, chosen, rule),
        "rf model alone": lambda c: c.get("model"),
        "fused: similarity + rf (chosen)": lambda c: _fused({k: c[k] for k in (*SIM_COMPONENTS, "model") if k in c}, chosen, rule) if "model" in c else None,
        "fused: all components (chosen) = repurposer": lambda c: _fused(c, chosen, rule),
    }
    keys = ("bedroc", "ef1", "ef5", "recall@10", "recall@50")
    summary: dict = {}
    paired: dict = {}
    for part in ("valid", "test"):
        for scen in ("actives", "labelled"):
            for ds in ("davis", "kiba"):
                sel = [r for r in rows if r[0] == part and r[3] == scen and r[1] == ds]
                if not sel:
                    continue
                per_method: dict = {}
                for mname, fn in methods.items():
                    per_target: dict = {}
                    for r in sel:
                        s = fn(r[5])
                        if s is None:
                            continue
                        per_target.setdefault(r[2], []).append(_metrics(s, r[6]))
                    if not per_target:
                        continue
                    per_method[mname] = per_target
                    tmeans = {k: float(np.mean([np.mean([m[k] for m in ms]) for ms in per_target.values()])) for k in keys}
                    tmeans["n_targets"] = len(per_target)
                    tmeans["n_rankings"] = sum(len(v) for v in per_target.values())
                    tmeans["mean_library_size"] = float(np.mean([m["n"] for ms in per_target.values() for m in ms]))
                    tmeans["mean_active_fraction"] = float(np.mean([m["n_actives"] / m["n"] for ms in per_target.values() for m in ms]))
                    summary.setdefault(part, {}).setdefault(scen, {}).setdefault(ds, {})[mname] = tmeans
                base = per_method["ecfp4_max (baseline)"]
                for mname in (CHOSEN, "fused: all components (chosen) = repurposer"):
                    if mname in per_method:
                        paired.setdefault(part, {}).setdefault(scen, {}).setdefault(ds, {})[mname] = {
                            k: _paired(per_method[mname], base, k) for k in ("bedroc", "ef1", "ef5")
                        }
    results["summary"] = summary
    results["paired_vs_ecfp4"] = paired
    results["time_s"] = time.perf_counter() - t_start
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    from drugscreen.jsonio import write_json
    write_json(out.with_suffix(".json"), results)
    lines = [
        "# Ligand-mode retrospective evaluation",
        "",
        "Command: `python benchmarks/ligand_eval.py " + " ".join(sys.argv[1:]) + "`",
        "",
        f"Fusion chosen on the valid targets (mean BEDROC, scenario `actives`): rule `{rule}`, weights {chosen}.",
        f"Valid BEDROC of the chosen similarity fusion {best_bedroc:.3f} vs ECFP4 alone {ecfp_valid:.3f}; "
        f"best per rule: " + "; ".join(f"{k} {v['valid_bedroc']:.3f} {v['weights']}" for k, v in best_per_rule.items()) + ".",
        f"Run time {results['time_s'] / 60:.1f} min.",
        "",
        "Paired comparison with the baseline over test targets (mean difference, 95% bootstrap CI over targets, targets better/equal/worse):",
        "",
    ]
    for scen, sd in paired.get("test", {}).items():
        for ds, md in sd.items():
            for mname, pm in md.items():
                cells = [f"{k} {v['mean_diff']:+.3f} [{v['ci95'][0]:+.3f}, {v['ci95'][1]:+.3f}] ({v['better']}/{v['equal']}/{v['worse']})" for k, v in pm.items() if v]
                lines.append(f"- {scen}, {ds}, {mname}: " + "; ".join(cells))
    lines.append("")
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
    out.with_suffix(".md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
