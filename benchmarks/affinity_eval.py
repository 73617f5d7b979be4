"""Train and evaluate the affinity model (DAVIS pKd + KIBA score) on one split; print the figures.

Usage (CPU, one thread; DRUGSCREEN_DATA_DIR must point at the datasets)::

    nohup nice -n 5 python benchmarks/affinity_eval.py --split cold_target --minutes 14 \
        --bundle drugscreen/resources/affinity > runs/affinity_cold_target.log 2>&1 &
    python benchmarks/affinity_eval.py --split warm --minutes 12
    python benchmarks/affinity_eval.py --table      # markdown table of the committed results

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
    (RESULTS / f"affinity_{split}.json").write_text(json.dumps(record, indent=1))
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


def table() -> str:
    rows = ["| split | dataset | n test | MSE | CI | Spearman | per-target Spearman | top-10% hit rate (base) |", "|---|---|---|---|---|---|---|---|"]
    for split in ("warm", "cold_drug", "cold_target"):
        path = RESULTS / f"affinity_{split}.json"
        if not path.exists():
            continue
        rec = json.loads(path.read_text())
        for name, m in rec["metrics"]["test"].items():
            pt = m.get("per_target", {})
            hit = f"{pt['hit_rate_top']:.3f} ({pt['base_rate']:.3f})" if "hit_rate_top" in pt else "-"
            rows.append(
                f"| {split} | {name} | {m['n']} | {m['mse']:.3f} | {m['ci']:.3f} | {m['spearman']:.3f} | "
                f"{pt.get('mean_spearman', float('nan')):.3f} (n={pt.get('n_targets', 0)}) | {hit} |"
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
    ap.add_argument("--bundle", help="save the trained model as a bundle in this directory")
    ap.add_argument("--table", action="store_true", help="print the markdown table of the results and write it")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
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
