"""Train and evaluate the affinity model (DAVIS pKd + KIBA score) on one split; print the figures.

Usage (CPU, one thread; DRUGSCREEN_DATA_DIR must point at the datasets)::

    nohup nice -n 5 python benchmarks/affinity_eval.py --split cold_target --minutes 14 \
        --bundle drugscreen/resources/affinity > runs/affinity_cold_target.log 2>&1 &
    python benchmarks/affinity_eval.py --split warm --minutes 12
    python benchmarks/affinity_eval.py --evaluate   # re-score the shipped bundle + baselines (~2 min)
    python benchmarks/affinity_eval.py --table      # markdown table of the committed results

``--evaluate`` re-scores the shipped bundle (``drugscreen/resources/affinity``, or ``--bundle``)
on the split it was trained with (rebuilt from its recorded kind and seed, checked against its
recorded held-out targets), and scores two target-agnostic baselines on the same pairs, to show
what the protein encoder adds: ``drug mean`` (each drug's mean training value, whatever the
target) and ``nearest target`` (the values of the most similar training target of the same
dataset, by cosine of 3-mer composition; the drug mean where that target lacks the drug).
Writes ``benchmarks/results/affinity_<split>_evaluate.json``.

Writes ``benchmarks/results/affinity_<split>.json`` (schema ``drugscreen.run/1`` plus
per-epoch history) and, with ``--bundle``, the trained model as a bundle. Model selection is on
the validation part only (best mean validation CI); test metrics are computed once.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"

# Published reference figures (not measured here), for the table only.
PUBLISHED = {
    "davis warm CI, GraphDTA (GIN), Nguyen et al. 2021": 0.893,
    "davis warm CI, DeepDTA, Öztürk et al. 2018": 0.878,
    "kiba unseen-protein CI, GraphDTA, Nguyen et al. 2021": 0.610,
}


def _versions() -> dict[str, str]:
    import rdkit
    import torch

    from drugscreen import __version__

    return {"drugscreen": __version__, "rdkit": rdkit.__version__, "torch": torch.__version__, "python": platform.python_version()}


def run(split: str, minutes: float, epochs: int, seed: int, bundle: str | None, threads: int) -> dict:
    import torch

    from drugscreen.featurizers.graph import GraphFeaturizer
    from drugscreen.featurizers.molecule import Standardizer
    from drugscreen.models.affinity import PROTEIN_ALPHABET
    from drugscreen.repurposing.affinity_bundle import save_affinity_bundle
    from drugscreen.repurposing.training import (
        TrainConfig,
        load_affinity_tasks,
        make_splits,
        train_affinity,
    )

    torch.set_num_threads(threads)
    tasks = load_affinity_tasks(("davis", "kiba"))
    splits = make_splits(tasks, split, seed=seed)
    cfg = TrainConfig(epochs=epochs, max_minutes=minutes, seed=seed, threads=threads)
    model, rec = train_affinity(tasks, splits, cfg)
    t0 = time.perf_counter()
    heldout = {}
    for t in tasks:
        sp = splits[t.name]
        if split == "cold_target":
            heldout[t.name] = sorted({t.target_ids[i] for i in t.target_idx[np.concatenate([sp.valid, sp.test])]})
    record = {
        "schema": "drugscreen.run/1",
        "dataset": "davis+kiba",
        "model": "affinity",
        "split": split,
        "seed": seed,
        "config": rec["config"],
        "versions": _versions(),
        "data_sha256": {t.name: t.sha256 for t in tasks},
        "split_sizes": rec["sizes"],
        "split_rules": "see drugscreen/repurposing/splits.py (cold_target groups mutants/fragments/same-gene targets jointly over DAVIS and KIBA)",
        "best_epoch": rec["best_epoch"],
        "epochs_run": rec["epochs_run"],
        "metrics": rec["metrics"],
        "history": rec["history"],
        "times": {"train_s": rec["times"]["train_s"], "eval_s": time.perf_counter() - t0},
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "host": {"cpus": threads},
        "heldout_targets": heldout,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    from drugscreen.jsonio import write_json
    write_json(RESULTS / f"affinity_{split}.json", record)
    if bundle:
        save_affinity_bundle(
            model,
            {
                "model": rec["model"],
                "scalers": rec["scalers"],
                "featurizer": GraphFeaturizer().to_config(),
                "standardizer": Standardizer().to_config(),
                "alphabet": PROTEIN_ALPHABET,
                "tasks": {
                    "davis": {"units": "pKd", "direction": "maximize", "binder_threshold": 7.0},
                    "kiba": {"units": "KIBA score", "direction": "maximize"},
                },
                "training": {
                    "datasets": ["davis", "kiba"],
                    "split": split,
                    "seed": seed,
                    "data_sha256": record["data_sha256"],
                    "best_epoch": rec["best_epoch"],
                    "heldout_targets": heldout,
                },
                "metrics": {"test": {k: {m: v[m] for m in ("mse", "ci", "spearman")} for k, v in rec["metrics"]["test"].items()}},
            },
            bundle,
        )
    return record


def _kmer_profile(seqs: list[str], k: int = 3) -> np.ndarray:
    """L2-normalized k-mer count vectors of protein sequences (20**k bins; other residues skipped)."""
    from drugscreen.models.affinity import PROTEIN_ALPHABET

    index = {a: i for i, a in enumerate(PROTEIN_ALPHABET[:20])}
    out = np.zeros((len(seqs), 20**k))
    for r, s in enumerate(seqs):
        codes = [index.get(c, -1) for c in s]
        for i in range(len(codes) - k + 1):
            window = codes[i : i + k]
            if min(window) >= 0:
                out[r, sum(c * 20**j for j, c in enumerate(window))] += 1
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def _baselines(task, split) -> dict[str, np.ndarray]:
    """Target-agnostic predictions for the test pairs of ``task`` (see the module docstring)."""
    tr, te = split.train, split.test
    n_drugs = len(task.drug_ids)
    sums = np.bincount(task.drug_idx[tr], weights=task.value[tr], minlength=n_drugs)
    counts = np.bincount(task.drug_idx[tr], minlength=n_drugs)
    drug_mean = np.where(counts > 0, sums / np.maximum(counts, 1), task.value[tr].mean())
    pred_dm = drug_mean[task.drug_idx[te]]
    train_t = np.unique(task.target_idx[tr])
    test_t = np.unique(task.target_idx[te])
    prof = _kmer_profile([task.sequences[i] for i in np.r_[train_t, test_t]])
    sim = prof[len(train_t) :] @ prof[: len(train_t)].T
    nearest = dict(zip(test_t.tolist(), train_t[sim.argmax(axis=1)].tolist(), strict=True))
    lookup = {(int(d), int(t)): float(v) for d, t, v in zip(task.drug_idx[tr], task.target_idx[tr], task.value[tr], strict=True)}
    pred_nt = np.array(
        [lookup.get((int(d), nearest[int(t)]), drug_mean[d]) for d, t in zip(task.drug_idx[te], task.target_idx[te], strict=True)]
    )
    return {"drug mean": pred_dm, "nearest target": pred_nt}


def evaluate(bundle_path: str | None, threads: int) -> dict:
    """Re-score the bundle on its own split's valid/test parts, and the baselines on test."""
    import torch

    from drugscreen.repurposing.affinity_bundle import load_affinity_bundle
    from drugscreen.repurposing.evaluation import per_target_ranking, regression_metrics
    from drugscreen.repurposing.training import evaluate_affinity, load_affinity_tasks, make_splits

    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    bundle = load_affinity_bundle(bundle_path)
    training = bundle.config["training"]
    split, seed = training["split"], int(training["seed"])
    tasks = load_affinity_tasks(bundle.tasks)
    splits = make_splits(tasks, split, seed=seed)
    for t in tasks:
        sp = splits[t.name]
        held = sorted({t.target_ids[i] for i in t.target_idx[np.concatenate([sp.valid, sp.test])]})
        if split == "cold_target" and held != sorted(training["heldout_targets"][t.name]):
            raise SystemExit(f"{t.name}: rebuilt split differs from the bundle's recorded held-out targets")
    record = {
        "schema": "drugscreen.evaluate/1",
        "bundle": str(bundle.path),
        "weights_sha256": bundle.config["files"],
        "split": split,
        "seed": seed,
        "versions": _versions(),
        "data_sha256": {t.name: t.sha256 for t in tasks},
        "model": {part: evaluate_affinity(bundle.model, tasks, splits, part, bundle.scalers) for part in ("valid", "test")},
        "baselines": {},
    }
    for t in tasks:
        te = splits[t.name].test
        thr = 7.0 if t.name == "davis" else None
        for name, pred in _baselines(t, splits[t.name]).items():
            m = regression_metrics(t.value[te], pred)
            m["per_target"] = per_target_ranking(t.target_idx[te], t.value[te], pred, binder_threshold=thr)
            record["baselines"].setdefault(name, {})[t.name] = m
    record["time_s"] = time.perf_counter() - t0
    from drugscreen.jsonio import write_json
    write_json(RESULTS / f"affinity_{split}_evaluate.json", record)
    return record


def table() -> str:
    from drugscreen.jsonio import number

    rows = ["| split | dataset | n test | MSE | CI | Spearman | per-target Spearman | top-10% hit rate (base) |", "|---|---|---|---|---|---|---|---|"]
    for split in ("warm", "cold_drug", "cold_target"):
        path = RESULTS / f"affinity_{split}.json"
        if not path.exists():
            continue
        rec = json.loads(path.read_text())
        for name, m in rec["metrics"]["test"].items():
            pt = m.get("per_target", {})
            hit = f"{number(pt['hit_rate_top']):.3f} ({number(pt['base_rate']):.3f})" if "hit_rate_top" in pt else "-"
            rows.append(
                f"| {split} | {name} | {m['n']} | {number(m['mse']):.3f} | {number(m['ci']):.3f} | {number(m['spearman']):.3f} | "
                f"{number(pt.get('mean_spearman')):.3f} (n={pt.get('n_targets', 0)}) | {hit} |"
            )
        check = RESULTS / f"affinity_{split}_evaluate.json"
        if check.exists():
            ev = json.loads(check.read_text())
            for base, per_ds in ev["baselines"].items():
                for name, m in per_ds.items():
                    pt = m["per_target"]
                    hit = f"{number(pt['hit_rate_top']):.3f} ({number(pt['base_rate']):.3f})" if "hit_rate_top" in pt else "-"
                    rows.append(
                        f"| {split}, baseline: {base} | {name} | {m['n']} | {number(m['mse']):.3f} | {number(m['ci']):.3f} | {number(m['spearman']):.3f} | "
                        f"{number(pt['mean_spearman']):.3f} (n={pt['n_targets']}) | {hit} |"
                    )
    rows.append("")
    rows.append("Published reference figures (not measured here): " + "; ".join(f"{k}: {v}" for k, v in PUBLISHED.items()))
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=("warm", "cold_drug", "cold_target"))
    ap.add_argument("--minutes", type=float, default=12.0, help="training time budget")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--bundle", help="save the trained model as a bundle here (with --evaluate: the bundle to score)")
    ap.add_argument("--table", action="store_true", help="print the markdown table of the results and write it")
    ap.add_argument("--evaluate", action="store_true", help="re-score the shipped bundle (or --bundle) and the baselines")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    if args.evaluate:
        ev = evaluate(args.bundle, args.threads)
        for part, per_ds in ev["model"].items():
            for name, m in per_ds.items():
                print(f"bundle {ev['split']} {part} {name}: MSE {m['mse']:.3f}  CI {m['ci']:.4f}  Spearman {m['spearman']:.3f}  per-target {m['per_target']}")
        for base, per_ds in ev["baselines"].items():
            for name, m in per_ds.items():
                print(f"baseline {base!r} {ev['split']} test {name}: MSE {m['mse']:.3f}  CI {m['ci']:.4f}  Spearman {m['spearman']:.3f}  per-target {m['per_target']}")
        return
    if args.table:
        text = table()
        (RESULTS / "affinity.md").write_text(text + "\n")
        print(text)
        return
    if not args.split:
        ap.error("--split is required (or --table)")
    rec = run(args.split, args.minutes, args.epochs, args.seed, args.bundle, args.threads)
    for name, m in rec["metrics"]["test"].items():
        print(f"{args.split} {name} test: MSE {m['mse']:.3f}  CI {m['ci']:.4f}  Spearman {m['spearman']:.3f}  per-target {m['per_target']}")
    print(f"best epoch {rec['best_epoch']} of {rec['epochs_run']}, train {rec['times']['train_s'] / 60:.1f} min")


if __name__ == "__main__":
    main()
