"""PNG plots of the benchmark (matplotlib, imported lazily; part of the ``dev`` extra).

- ``property_<split>.png``: one panel per dataset; bars = our runs (mean over seeds, error bar
  = sd) and, on the scaffold split, the published anchors of the same split (hatched, no
  error bar — papers' own sds are not reproduced here).
- ``throughput.png``: inference throughput (molecules/s) measured in the runs, per model
  (chemprop left out: its figure includes the CLI's start-up);
  plus the ``mol_per_s`` figures of the speed scripts' committed ``benchmarks/results/*speed*.json``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from drugscreen.benchmarking.anchors import PROPERTY_ANCHORS, PROPERTY_DATASETS
from drugscreen.benchmarking.report import PEERS, model_order

logger = logging.getLogger(__name__)

__all__ = ["make_plots"]

_OURS_COLORS = ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#17becf"]
_ANCHOR_COLOR = "#bbbbbb"


def make_plots(aggs: list[Any], plots_dir: Path, records: list[dict[str, Any]] | None = None) -> list[Path]:
    """Write the plots for ``aggs`` (from :func:`~drugscreen.benchmarking.report.aggregate`); return paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots_dir.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    for split in sorted({a.split for a in aggs if a.dataset in PROPERTY_DATASETS}):
        path = plots_dir / f"property_{split}.png"
        _property_plot(plt, [a for a in aggs if a.split == split], split, path)
        out.append(path)
    tp = _throughput_plot(plt, aggs, plots_dir / "throughput.png", plots_dir.parent / "results")
    if tp:
        out.append(tp)
    return out


def _property_plot(plt: Any, aggs: list[Any], split: str, path: Path) -> None:
    datasets = [d for d in PROPERTY_DATASETS if any(a.dataset == d for a in aggs)]
    models = sorted({a.model for a in aggs}, key=model_order)
    ncols = min(5, max(1, len(datasets)))
    nrows = (len(datasets) + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 3.4 * nrows), squeeze=False)
    by = {(a.dataset, a.model): a for a in aggs}
    for k, d in enumerate(datasets):
        ax = axes[k // ncols][k % ncols]
        metric = "roc_auc" if any(by.get((d, m)) and by[(d, m)].value("roc_auc") for m in models) else "rmse"
        labels, means, sds, colors, hatches = [], [], [], [], []
        for i, m in enumerate(models):
            a = by.get((d, m))
            v = a.value(metric) if a else None
            if v is None:
                continue
            labels.append(m)
            means.append(v[0])
            sds.append(v[1])
            colors.append(_OURS_COLORS[i % len(_OURS_COLORS)])
            hatches.append("")
        if split == "scaffold":
            for anc in PROPERTY_ANCHORS:
                if d in anc.values and anc.split_of(d) == split:
                    labels.append(anc.key)
                    means.append(anc.values[d])
                    sds.append(0.0)
                    colors.append(_ANCHOR_COLOR)
                    hatches.append("//")
        x = list(range(len(labels)))
        ours = [i for i, h in enumerate(hatches) if not h]
        pub = [i for i, h in enumerate(hatches) if h]
        if ours:
            ax.bar([x[i] for i in ours], [means[i] for i in ours], yerr=[sds[i] for i in ours],
                   color=[colors[i] for i in ours], capsize=3, edgecolor="black", linewidth=0.5)
        if pub:
            ax.bar([x[i] for i in pub], [means[i] for i in pub], color=_ANCHOR_COLOR, hatch="//",
                   edgecolor="black", linewidth=0.5)
        ax.set_xticks(x)
        ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=7)
        ax.set_title(f"{PROPERTY_DATASETS[d]} ({'ROC-AUC ↑' if metric == 'roc_auc' else 'RMSE ↓'})", fontsize=9)
        if metric == "roc_auc" and means:
            ax.set_ylim(max(0.0, min(means) - 0.15), min(1.0, max(means) + 0.08))
        ax.tick_params(axis="y", labelsize=7)
    for k in range(len(datasets), nrows * ncols):
        axes[k // ncols][k % ncols].axis("off")
    fig.suptitle(f"Test metrics, {split} split\ncoloured: run here, mean ± sd over seeds; grey hatched: published (same split)",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    logger.info("wrote %s", path)


def _throughput_plot(plt: Any, aggs: list[Any], path: Path, results_root: Path) -> Path | None:
    per_model: dict[str, list[float]] = {}
    for a in aggs:
        # chemprop's figure includes its CLI start-up (seconds per call), not comparable: left out
        if a.predict_mol_per_s and a.model not in (*PEERS, "train_mean"):
            per_model.setdefault(a.model, []).append(a.predict_mol_per_s)
    external: dict[str, float] = {}
    files = sorted({*results_root.glob("*speed*.json"), *results_root.glob("*throughput*.json")}) if results_root.exists() else []
    for f in files:
        try:
            data = json.loads(f.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(data, dict):  # {"step": {"mol_per_s": ...}, ...} as the speed scripts write
            for key, val in data.items():
                if isinstance(val, dict) and isinstance(val.get("mol_per_s"), (int, float)):
                    external[f"{f.stem}: {key}"] = float(val["mol_per_s"])
    if not per_model and not external:
        return None
    import statistics

    names = [f"benchmark cells: {m}" for m in per_model] + list(external)
    vals = [statistics.median(v) for v in per_model.values()] + list(external.values())
    colors = ["#1f77b4"] * len(per_model) + ["#ff7f0e"] * len(external)
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(names) + 1.6))
    y = list(range(len(names)))[::-1]
    ax.barh(y, vals, color=colors, edgecolor="black", linewidth=0.5)
    ax.set_xscale("log")
    ax.set_yticks(y)
    ax.set_yticklabels(names, fontsize=7)
    ax.set_xlabel("molecules / s (log scale)")
    ax.set_title("Throughput, shared 2-core CPU machine\nblue: model inference in benchmark cells (median; "
                 "no featurization)\norange: speed scripts' committed results", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    logger.info("wrote %s", path)
    return path
