"""Install a trained panel into the package and write its model card.

    python benchmarks/publish_panel.py RUN_DIR [--name panel] [--throughput figures.json]

RUN_DIR is the output of ``drugscreen train --config benchmarks/configs/panel.toml -o RUN_DIR``.
Copies the bundle files (config.json, member_*.safetensors, train_fps.safetensors) to
``drugscreen/resources/models/<name>/`` and the run records to
``benchmarks/results/panel/``, then renders MODEL_CARD.md from the bundle's config.json
with the accuracy bar of issue #4 (chemprop D-MPNN on the same scaffold split) and, if given,
the throughput figures printed by ``benchmarks/panel_throughput.py --json``. Prints the
bar table.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Published reference numbers (test, deterministic scaffold split) quoted in issue #4:
# the bar = chemprop D-MPNN as re-run in GEM; "best" = best published on that split.
BAR = {
    "tox21": ("roc_auc", 0.759, 0.796, "Uni-Mol"),
    "clintox": ("roc_auc", 0.906, 0.919, "Uni-Mol"),
    "sider": ("roc_auc", 0.570, 0.672, "GEM"),
    "hiv": ("roc_auc", 0.790, 0.808, "Uni-Mol"),
    "bace_classification": ("roc_auc", 0.809, 0.857, "Uni-Mol"),
    "bbbp": ("roc_auc", 0.710, 0.729, "Uni-Mol"),
    "esol": ("rmse", 1.050, 0.788, "Uni-Mol"),
    "lipophilicity": ("rmse", 0.683, 0.603, "Uni-Mol"),
    "bace_regression": ("rmse", None, None, ""),
}


def _f(x: float | None) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"


def bar_table(config: dict) -> str:
    summary = config["metrics"]["summary"]
    ens = config["metrics"]["ensemble"]["test"]
    lines = [
        f"| dataset | metric | per-seed mean ± sd (n) | {config['n_members']}-member ensemble | bar (chemprop D-MPNN) | bar met (mean)? | best published |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, (metric, bar, best, who) in BAR.items():
        if name not in summary:
            continue
        s = summary[name][metric]
        mean = s["mean"]
        if bar is None:
            met = "no bar"
        elif metric == "roc_auc":
            met = "yes" if mean >= bar else "**no**"
        else:
            met = "yes" if mean <= bar else "**no**"
        lines.append(
            f"| {name} | {metric.upper().replace('_', '-')} | {_f(mean)} ± {_f(s['sd'])} ({s['n']}) | {_f(ens[name][metric])} | "
            f"{_f(bar)} | {met} | {_f(best)} {who} |"
        )
    return "\n".join(lines)


def _metric_evidence_lines(evidence: dict) -> list[str]:
    """The card section with each dataset's own metric by similarity (from domain_evidence.py)."""
    from drugscreen.training.card import METRIC_EVIDENCE_HEADING

    rows = evidence.get("metric_evidence_test", [])
    lines = [
        METRIC_EVIDENCE_HEADING,
        "",
        "From `python benchmarks/domain_evidence.py --out ...` on this bundle: the dataset's test molecules in three "
        "equal-count bins of max-Tanimoto similarity to the training set (lowest first), and in/out of the domain at "
        f"the stored threshold {evidence.get('stored_threshold', float('nan')):.3f}. ROC-AUC ↑ (mean over tasks with "
        "both classes in the bin), RMSE ↓.",
        "",
        "| dataset | metric | low | middle | high | in domain (n) | out of domain (n) |",
        "|---|---|---|---|---|---|---|",
    ]
    for ev in rows:
        bins = [f"{_f(b['metric'])} ({b['from']:.2f}–{b['to']:.2f})" for b in ev["by_bin"]] + ["–"] * (3 - len(ev["by_bin"]))
        lines.append(f"| {ev['dataset']} | {ev['metric']} | " + " | ".join(bins)
                     + f" | {_f(ev['in']['metric'])} ({ev['in']['n']}) | {_f(ev['out']['metric'])} ({ev['out']['n']}) |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--name", default="panel")
    ap.add_argument("--throughput", type=Path, help="JSON written by benchmarks/panel_throughput.py")
    ap.add_argument("--results-dir", type=Path, default=ROOT / "benchmarks" / "results" / "panel")
    ap.add_argument("--models-dir", type=Path, default=ROOT / "drugscreen" / "resources" / "models")
    ap.add_argument("--notes", type=Path, help="markdown file appended to the card (measured comparisons, limitations)")
    ap.add_argument("--domain-evidence", type=Path,
                    help="JSON written by benchmarks/domain_evidence.py --out for this panel (adds its per-dataset metric table)")
    args = ap.parse_args()

    from drugscreen.training.card import render_card

    run = args.run_dir
    config = json.loads((run / "config.json").read_text())
    dest = args.models_dir / args.name
    dest.mkdir(parents=True, exist_ok=True)
    for name in ["config.json", *config["files"]]:
        shutil.copy2(run / name, dest / name)
    results = args.results_dir
    results.mkdir(parents=True, exist_ok=True)
    for rec in sorted((run / "runs").glob("*.json")):
        shutil.copy2(rec, results / rec.name)
    for extra in ("history.json", "metrics.json", "train_config.json"):
        if (run / extra).exists():
            shutil.copy2(run / extra, results / extra)

    tr = config["training"]
    sections = [
        f"## Against the accuracy bar (test, scaffold split, mean over {len(tr['config']['seeds'])} seeds)",
        "",
        bar_table(config),
        "",
        "## How it was made",
        "",
        "```",
        "drugscreen train --config benchmarks/configs/panel.toml -o RUN_DIR",
        f"python benchmarks/publish_panel.py RUN_DIR --name {args.name}"
        + (" --throughput FIGURES.json" if args.throughput else "")
        + (" --notes NOTES.md" if args.notes else "")
        + (" --domain-evidence EVIDENCE.json" if args.domain_evidence else ""),
        "```",
        "",
        f"Wall-clock training time of the {config['n_members']} members ({tr['config']['workers']} trained at once, one process and {tr['config']['num_threads']} thread(s) each): "
        f"per member {', '.join(f'{t / 60:.1f}' for t in tr['member_train_s'])} min (sum of epoch times). "
        "The machine (2 CPU cores) was shared with other jobs while training, so these are upper bounds.",
        "Run records (drugscreen.run/1, one per dataset and seed): `benchmarks/results/panel/`.",
    ]
    if args.throughput:
        tp = json.loads(args.throughput.read_text())
        sections += [
            "",
            "## Speed",
            "",
            f"`python benchmarks/panel_throughput.py --bundle {args.name} --threads {tp['threads']} --n {tp['molecules']}` "
            f"({tp['cpus']} CPUs, 1-min load average {tp['load_average_1min']:.1f} while measuring):",
            "",
            f"- forward pass, all {tp['members']} members{' and the forest' if config.get('forest') else ''}, batch {tp['batch_size']}: "
            f"**{tp['forward_mol_per_s']:.0f} molecules/s** "
            f"({tp['forward_ms_per_mol']:.3f} ms/molecule)",
            f"- applicability domain (max Tanimoto to {tp['domain_reference_size']} training fingerprints): {tp['domain_mol_per_s']:.0f} molecules/s",
            f"- `bundle.predict` in total (forward + calibration + domain): {tp['predict_mol_per_s']:.0f} molecules/s ({tp['predict_ms_per_mol']:.3f} ms/molecule)",
            "",
            "Featurization (parsing, standardization, graph, ECFP4) is not included; the Screener does it once for all endpoints.",
        ]
    if args.domain_evidence:
        sections += ["", *_metric_evidence_lines(json.loads(args.domain_evidence.read_text()))]
    if args.notes:
        sections += ["", args.notes.read_text().strip()]
    (dest / "MODEL_CARD.md").write_text(render_card(dest, "\n".join(sections)))
    print(bar_table(config))
    print(f"installed {dest}")


if __name__ == "__main__":
    main()
