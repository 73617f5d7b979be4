"""Aggregate run records into ``benchmarks/RESULTS.md`` (and the data behind the plots).

Every number in the generated file comes from a run record (ours or a peer's run here) or
from :mod:`drugscreen.benchmarking.anchors` (published, with sources); nothing is typed in.
Tables are per split kind; ``mean ± sd`` is over seeds (sample sd, ``n`` shown).
"""

from __future__ import annotations

import json
import logging
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drugscreen.benchmarking.anchors import (
    AFFINITY_ANCHORS,
    AFFINITY_SOURCES,
    OGB_MOLHIV,
    OGB_SOURCE,
    PROPERTY_ANCHORS,
    PROPERTY_DATASETS,
)
from drugscreen.benchmarking.config import RESULTS_DIR
from drugscreen.benchmarking.records import load_records

logger = logging.getLogger(__name__)

__all__ = ["Aggregate", "aggregate", "build_report", "model_order", "render_results"]

CLASSIFICATION = ["bbbp", "bace_classification", "clintox", "tox21", "toxcast", "sider", "hiv"]
REGRESSION = ["esol", "freesolv", "lipophilicity"]


@dataclass
class Aggregate:
    """Mean ± sd over the seeds of one (split, dataset, model)."""

    split: str
    dataset: str
    model: str
    seeds: list[int]
    metrics: dict[str, tuple[float, float, int]]
    train_s: float | None
    total_s: float | None
    predict_mol_per_s: float | None
    peak_rss_mb: float | None
    commands: list[str] = field(default_factory=list)
    source: str = ""
    split_shas: dict[int, str] = field(default_factory=dict)
    split_check: str = ""
    #: Each seed's ``split_file`` as its record names it.
    split_files: dict[int, str] = field(default_factory=dict)
    #: Model parameters that differ between the seeds (``""``: the same for every seed).
    mixed_params: str = ""
    #: The split kind of the records (``split`` is :func:`split_label`: the kind, plus the
    #: fractions when they are not 80/10/10); ``""``: ``split``.
    split_kind: str = ""
    valid_metrics: dict[str, tuple[float, float, int]] = field(default_factory=dict)
    cpu_s: float | None = None
    #: A user's own table: the newest record's ``table`` entry (name, path, sha256, task type ...).
    table: dict[str, Any] | None = None

    def value(self, metric: str) -> tuple[float, float, int] | None:
        """``(mean, sd, n)`` of ``metric`` or ``None``."""
        return self.metrics.get(metric)


def _mean_sd(values: Iterable[float | None]) -> tuple[float, float, int] | None:
    vals = [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not vals:
        return None
    n = len(vals)
    mean = sum(vals) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / (n - 1)) if n > 1 else 0.0
    return mean, sd, n


def _mean(values: Iterable[float | None]) -> float | None:
    got = _mean_sd(values)
    return got[0] if got else None


#: The fractions every published scaffold number (and the trainer) uses.
STANDARD_SIZES = (0.8, 0.1, 0.1)


def split_label(rec: dict[str, Any]) -> str:
    """The split a record's figures belong with: its kind (``scaffold``), with the fractions
    appended when the record was made with others (``scaffold_70-15-15``): a scaffold split of
    other fractions is another split, not comparable with 80/10/10 numbers."""
    split = str(rec.get("split"))
    cfg = rec.get("config") if isinstance(rec.get("config"), dict) else {}
    sizes = cfg.get("split_sizes")
    if isinstance(sizes, list) and len(sizes) == 3 and any(
            abs(float(a) - b) > 1e-9 for a, b in zip(sizes, STANDARD_SIZES, strict=True)):
        return f"{split}_" + "-".join(f"{float(x) * 100:g}" for x in sizes)
    return split


def _split_desc(split: str) -> str:
    """What a split label means, fractions included."""
    kind, _, fractions = split.rpartition("_") if split.split("_")[-1][:1].isdigit() else (split, "", "")
    desc = {
        "scaffold": "deterministic Bemis-Murcko scaffold split, 80/10/10, DeepChem-identical (the split of GEM, "
                    "Uni-Mol and the chemprop re-run in GEM); the seed changes model initialisation only",
        "balanced_scaffold": "balanced scaffold split (chemprop's), 80/10/10, seeded",
        "random": "random split, 80/10/10, seeded",
    }.get(kind, kind)
    if fractions:
        desc = desc.replace("80/10/10", fractions.replace("-", "/")).replace(
            ", DeepChem-identical (the split of GEM, Uni-Mol and the chemprop re-run in GEM)",
            " (other fractions than the published 80/10/10 numbers: none of them is comparable)")
    return desc


def model_label(rec: dict[str, Any]) -> str:
    """The row name of a record's model (multitask panel runs get their own row)."""
    name = str(rec.get("model", "?"))
    if rec.get("trained_with") and len(rec["trained_with"]) > 1:
        return f"panel:{name}"
    return name


def aggregate(records: list[dict[str, Any]]) -> list[Aggregate]:
    """Group records by (split, dataset, model) and average their test metrics over seeds.

    When several records share (split, dataset, model, seed) — e.g. a re-run in another
    folder — the newest (``finished_at``) counts. For a user's own table only the seeds run on
    the newest record's copy of the file (its content sha256) count: seeds of an earlier,
    edited copy are left out, with a warning, rather than averaged in.
    """
    latest: dict[tuple[str, str, str, int], dict[str, Any]] = {}
    for rec in records:
        key = (split_label(rec), str(rec.get("dataset")), model_label(rec), int(rec.get("seed", 0)))
        old = latest.get(key)
        if old is None or str(rec.get("finished_at", "")) >= str(old.get("finished_at", "")):
            latest[key] = rec
    # a user's table: the content (sha256) of its newest record, over every model and split
    current: dict[str, str] = {}
    for rec in sorted(latest.values(), key=lambda r: str(r.get("finished_at", ""))):
        if rec.get("table"):
            current[str(rec.get("dataset"))] = str(rec.get("data_sha256"))
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for (split, ds, model, _), rec in latest.items():
        groups[(split, ds, model)].append(rec)
    out = []
    for (split, ds, model), recs in sorted(groups.items()):
        newest = max(recs, key=lambda r: str(r.get("finished_at", "")))
        if newest.get("table"):  # only the seeds run on the table's current copy count
            sha = current.get(ds, newest.get("data_sha256"))
            old = sorted(int(r.get("seed", 0)) for r in recs if r.get("data_sha256") != sha)
            if old:
                logger.warning("%s/%s/%s: seed(s) %s were run on an earlier copy of %s (another sha256) and are left "
                               "out; run the benchmark again to re-run them on this copy", ds, model, split, old,
                               Path(str(newest["table"].get("path", ds))).name)
                recs = [r for r in recs if r.get("data_sha256") == sha]
                if not recs:
                    continue
        recs.sort(key=lambda r: int(r.get("seed", 0)))
        metrics, valid_metrics = {}, {}
        for m in ("roc_auc", "prc_auc", "rmse", "mae", "r2", "mse", "ci", "spearman"):
            got = _mean_sd(r.get("metrics", {}).get("test", {}).get(m) for r in recs)
            if got:
                metrics[m] = got
            got = _mean_sd((r.get("metrics", {}).get("valid") or {}).get(m) for r in recs)
            if got:
                valid_metrics[m] = got
        out.append(
            Aggregate(
                split=split, dataset=ds, model=model, seeds=[int(r.get("seed", 0)) for r in recs], metrics=metrics,
                split_kind=str(recs[0].get("split")),
                train_s=_mean(r.get("times", {}).get("train_s") for r in recs),
                total_s=_mean(r.get("times", {}).get("total_s") for r in recs),
                predict_mol_per_s=_mean((r.get("throughput") or {}).get("predict_mol_per_s") for r in recs),
                peak_rss_mb=_mean(r.get("peak_rss_mb") for r in recs),
                commands=[str(r["command"]) for r in recs if r.get("command")],
                source=str(recs[0].get("_path", "")),
                split_shas={int(r.get("seed", 0)): str(r.get("split_sha256", "")) for r in recs},
                split_files={int(r.get("seed", 0)): str(r["split_file"]) for r in recs if r.get("split_file")},
                mixed_params=_mixed_params(recs),
                valid_metrics=valid_metrics,
                cpu_s=_mean(r.get("times", {}).get("cpu_s") for r in recs) if all(
                    r.get("times", {}).get("cpu_s") is not None for r in recs) else None,
                table=newest.get("table") or None,
            )
        )
    return out


def _params_of(rec: dict[str, Any]) -> dict[str, Any] | None:
    """The model parameters a record was made with (``None``: not recorded)."""
    cfg = rec.get("config") if isinstance(rec.get("config"), dict) else {}
    model = cfg.get("model")
    if isinstance(model, dict):  # rf / train_mean records: the resolved parameters
        return {k: v for k, v in model.items() if k not in ("name", "mode")}
    from drugscreen.benchmarking.adapters import recorded_entry_params

    return recorded_entry_params(rec, str(rec.get("dataset")))  # trained models: the config's [[models]] entry


def _mixed_params(recs: list[dict[str, Any]]) -> str:
    """``"key: a (seed 0) / b (seed 1)"`` for each parameter whose value differs between the
    seeds' records ("" when they agree, or when a record does not say)."""
    got = {int(r.get("seed", 0)): _params_of(r) for r in recs}
    if len(got) < 2 or any(p is None for p in got.values()):
        return ""
    keys = sorted({k for p in got.values() for k in p})  # type: ignore[union-attr]
    out = []
    for k in keys:
        values = {seed: p.get(k) for seed, p in got.items()}  # type: ignore[union-attr]
        if len({json.dumps(v, sort_keys=True, default=str) for v in values.values()}) > 1:
            out.append(f"{k}: " + " / ".join(f"{v!r} (seed {seed})" for seed, v in sorted(values.items())))
    return "; ".join(out)


# ----------------------------------------------------------------------------- rendering

MODEL_LABELS = {
    "rf": "ECFP4 + random forest (baseline, run here)",
    "fp_mlp": "ECFP4 + MLP (baseline, run here)",
    "chemprop_dmpnn": "chemprop 2.3.1 D-MPNN (peer, run here)",
    "chemprop_dmpnn_as_written": "chemprop 2.3.1 D-MPNN, SMILES as written in the file (peer, run here)",
    "train_mean": "no-skill reference: training-set mean (run here)",
}


#: Peer tools run here through their own CLI (their prediction times include the CLI's start-up).
PEERS = ("chemprop_dmpnn", "chemprop_dmpnn_as_written")

#: Rows after ours, in this order: the baselines side by side, then the peer and the no-skill reference.
_TRAILING_ROWS = ("rf", "fp_mlp", "chemprop_dmpnn", "chemprop_dmpnn_as_written", "train_mean")


def model_order(model: str) -> tuple[int, str]:
    """Sort key of table rows and plot bars: our models (by name), then :data:`_TRAILING_ROWS`."""
    rank = _TRAILING_ROWS.index(model) + 1 if model in _TRAILING_ROWS else 0
    return rank, model


def _label(model: str) -> str:
    if model in MODEL_LABELS:
        return MODEL_LABELS[model]
    if model.startswith("panel:"):
        return f"drugscreen panel, multitask {model.split(':', 1)[1]} (run here)"
    return f"drugscreen {model} (run here)"


def _fmt(v: tuple[float, float, int] | None, digits: int = 3) -> str:
    if v is None:
        return "—"
    mean, sd, n = v
    return f"{mean:.{digits}f} ± {sd:.{digits}f} (n={n})" if n > 1 else f"{mean:.{digits}f} (n=1)"


def _best(values: dict[str, float], higher: bool) -> set[str]:
    if not values:
        return set()
    target = max(values.values()) if higher else min(values.values())
    return {k for k, v in values.items() if abs(v - target) < 1e-12}


def _table(aggs: list[Aggregate], split: str, datasets: list[str], metric: str, higher: bool, with_anchors: bool) -> list[str]:
    """One results table: our rows (this split) and the published rows.

    On the scaffold split every dataset is a column and published numbers from another split
    are shown in brackets; on other splits only datasets we ran are columns and only published
    numbers measured on the same split are shown.
    """
    ours_present = [d for d in datasets if any(a.dataset == d and a.split == split for a in aggs)]
    present = datasets if split == "scaffold" else ours_present
    if not present or (split != "scaffold" and not ours_present):
        return []
    by = {(a.dataset, a.model): a for a in aggs if a.split == split}
    models = sorted({a.model for a in aggs if a.split == split and a.dataset in present}, key=model_order)
    rows: list[tuple[str, dict[str, str], dict[str, float]]] = []
    for m in models:
        cells, means = {}, {}
        for d in present:
            a = by.get((d, m))
            v = a.value(metric) if a else None
            cells[d] = _fmt(v)
            if v is not None:
                means[d] = v[0]
        rows.append((_label(m), cells, means))
    if with_anchors:
        for anc in PROPERTY_ANCHORS:
            cells, means = {}, {}
            for d in present:
                asplit = anc.split_of(d)
                if d not in anc.values or (split != "scaffold" and asplit != split):
                    cells[d] = "—"
                    continue
                # A random split is drawn anew by each paper: the same kind of split, not the same
                # test molecules, so such a number is marked and never bolded.
                same = asplit == split and split != "random"
                mark = "" if same else (" (its own random split)" if asplit == split else f" ({asplit})")
                cells[d] = f"{anc.values[d]:.3f}{mark}"
                if same:  # only numbers on the same test molecules compete for bold
                    means[d] = anc.values[d]
            if any(c != "—" for c in cells.values()):
                rows.append((f"{anc.label} [published]", cells, means))
    no_bold = {_label("train_mean")}
    best = {d: _best({r[0]: r[2][d] for r in rows if d in r[2] and r[0] not in no_bold}, higher) for d in present}
    head = "| model | " + " | ".join(PROPERTY_DATASETS.get(d, d) for d in present) + " |"
    lines = [head, "|" + "---|" * (len(present) + 1)]
    for label, cells, _ in rows:
        out = []
        for d in present:
            c = cells[d]
            out.append(f"**{c}**" if label in best[d] and c != "—" else c)
        lines.append(f"| {label} | " + " | ".join(out) + " |")
    return lines


#: Rows that are not "our model" in the summary: baselines, the no-skill reference and peers.
NOT_OURS = ("rf", "fp_mlp", "train_mean", *PEERS)


def _select_ours(aggs: list[Aggregate], dataset: str, metric: str) -> Aggregate | None:
    """Our model for ``dataset``: the row (not a baseline or peer) with the best mean
    **validation** ``metric`` — chosen without looking at the test set."""
    higher = metric != "rmse"
    cands = [a for a in aggs if a.dataset == dataset and a.model not in NOT_OURS
             and a.value(metric) and a.valid_metrics.get(metric)]
    if not cands:
        return None
    return sorted(cands, key=lambda a: (-a.valid_metrics[metric][0] if higher else a.valid_metrics[metric][0], a.model))[0]


def _summary_table(aggs: list[Aggregate], split: str = "scaffold") -> list[str]:
    """One row per property dataset: our model (selected on validation), the RF and MLP
    baselines, chemprop run here and chemprop's published (GEM re-run) figure, all on ``split``."""
    here = [a for a in aggs if a.split == split]
    by = {(a.dataset, a.model): a for a in here}
    chemprop_pub = next((anc for anc in PROPERTY_ANCHORS if anc.key == "chemprop_gem"), None)
    lines = ["| dataset | metric | ours: model (valid mean) | ours: test | ECFP4 + RF: test | ECFP4 + MLP: test | "
             "chemprop 2.3.1 (run here): test | chemprop D-MPNN (GEM re-run) [published] |",
             "|---|---|---|---|---|---|---|---|"]
    for d, label in PROPERTY_DATASETS.items():
        metric = "rmse" if d in REGRESSION else "roc_auc"
        ours = _select_ours(here, d, metric)
        rf, mlp, cp = by.get((d, "rf")), by.get((d, "fp_mlp")), by.get((d, "chemprop_dmpnn"))
        pub = "—"
        if chemprop_pub and d in chemprop_pub.values and chemprop_pub.split_of(d) == split:
            pub = f"{chemprop_pub.values[d]:.3f}"
        pick = f"{ours.model} ({ours.valid_metrics[metric][0]:.3f})" if ours else "—"
        lines.append(
            f"| {label} | {'RMSE ↓' if metric == 'rmse' else 'ROC-AUC ↑'} | {pick} | "
            f"{_fmt(ours.value(metric)) if ours else '—'} | {_fmt(rf.value(metric)) if rf else '—'} | "
            f"{_fmt(mlp.value(metric)) if mlp else '—'} | "
            f"{_fmt(cp.value(metric)) if cp else '—'} | {pub} |"
        )
    return lines


def _cost_table(aggs: list[Aggregate], split: str) -> list[str]:
    rows = [a for a in aggs if a.split == split]
    if not rows:
        return []
    lines = ["| dataset | model | seeds | test PRC-AUC (average precision) / MAE | train s (mean) | cell wall s (mean) | cell CPU s (mean) | predict mol/s | peak RSS MiB | same split file |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    order = {d: i for i, d in enumerate(PROPERTY_DATASETS)}
    for a in sorted(rows, key=lambda a: (order.get(a.dataset, 99), a.model)):
        second = a.value("prc_auc") or a.value("mae")
        lines.append(
            f"| {PROPERTY_DATASETS.get(a.dataset, a.dataset)} | {a.model} | {','.join(map(str, a.seeds))} | {_fmt(second)} | "
            f"{_num(a.train_s, 1)} | {_num(a.total_s, 1)} | {_num(a.cpu_s, 1)} | "
            f"{_num(None if a.model == 'train_mean' else a.predict_mol_per_s, 0)} | "
            f"{_num(a.peak_rss_mb, 0)} | "
            f"{a.split_check or '—'} |"
        )
    return lines


def _data_table(records: list[dict[str, Any]]) -> list[str]:
    """Rows in the data file vs molecules used (the loader leaves out unparsable / oversized ones)."""
    from drugscreen.data import get_spec

    used: dict[str, int] = {}
    for r in records:
        sizes = r.get("sizes") or {}
        n = sum(int(sizes.get(k, 0)) for k in ("train", "valid", "test")) + int(sizes.get("removed_leak", 0))
        if r.get("dataset") in PROPERTY_DATASETS and n and not r.get("trained_with"):
            used[r["dataset"]] = n
    if not used:
        return []
    lines = ["| dataset | rows in file | molecules used | left out by the loader | train / valid / test |",
             "|---|---|---|---|---|"]
    for d in PROPERTY_DATASETS:
        if d not in used:
            continue
        rows = get_spec(d).rows
        # the split file's own sizes: prefer a baseline record (the trainer also drops training molecules
        # duplicated in valid/test, `removed_leak`, so its train count can be a little smaller)
        rec = min((r for r in records if r.get("dataset") == d and not r.get("trained_with") and r.get("sizes")),
                  key=lambda r: (r.get("split") != "scaffold", r.get("model") != "rf",
                                 int((r.get("sizes") or {}).get("removed_leak", 0))))
        sz = rec["sizes"]
        lines.append(f"| {PROPERTY_DATASETS[d]} | {rows:,} | {used[d]:,} | {rows - used[d] if rows else '?'} | "
                     f"{sz.get('train')} / {sz.get('valid')} / {sz.get('test')} |")
    return lines


def _repro_lines(records: list[dict[str, Any]], repro_dir: Path) -> list[str]:
    """Compare re-runs (records in ``repro_dir``, made with the cells' own commands) with the originals."""
    if not repro_dir.exists():
        return []
    orig = {(r["dataset"], r["model"], r["split"], int(r["seed"])): r for r in records if not r.get("trained_with")}
    lines = []
    for rr in load_records(repro_dir):
        key = (rr["dataset"], rr["model"], rr["split"], int(rr["seed"]))
        o = orig.get(key)
        if o is None:
            continue
        metric = "roc_auc" if "roc_auc" in o["metrics"]["test"] else "rmse"
        a, b = o["metrics"]["test"].get(metric), rr["metrics"]["test"].get(metric)
        if a is None or b is None:
            continue
        agg = [x for x in aggregate([r for r in records if (r["dataset"], r["model"], r["split"]) == key[:3]])]
        sd = agg[0].value(metric)[1] if agg and agg[0].value(metric) else float("nan")
        same_split = "yes" if rr.get("split_sha256") == o.get("split_sha256") else "NO"
        lines.append(f"| {'/'.join(map(str, key))} | {metric} | {a:.4f} | {b:.4f} | {abs(a - b):.4f} | {sd:.4f} | {same_split} |")
    if not lines:
        return []
    return ["| cell | metric | committed record | re-run | abs. difference | seed-to-seed sd of the cell's group | same split file |",
            "|---|---|---|---|---|---|---|"] + lines


def _num(v: float | None, digits: int) -> str:
    return "—" if v is None else f"{v:,.{digits}f}"


def suite_time(
    aggs: list[Aggregate], split: str, pairs: list[tuple[str, str]], n_seeds: int,
    n_train: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Measured and extrapolated wall time of a suite (sum over cells of the cell's wall time).

    ``pairs`` are the suite's (dataset, model) combinations (each run for ``n_seeds`` seeds).
    A cell's time is its process's CPU time (``times.cpu_s``: one thread per cell, so what it
    takes on an idle core, whatever else ran) where every seed recorded it, else its wall time
    (``times.total_s``, inflated when the machine was shared).
    A cell not run is extrapolated from the same (dataset, model)'s measured seeds; a
    (dataset, model) never run, from the same model's measured datasets, scaled by training-set
    size (``n_train``: seconds per training molecule, mean over the measured datasets) — a
    rough estimate, reported separately; without any measurement of the model it is missing.
    """
    by = {(a.dataset, a.model): a for a in aggs if a.split == split}
    n_train = n_train or {}
    measured = extrapolated = scaled = 0.0
    n_measured = n_extra = n_scaled = n_cpu = 0
    missing: list[str] = []
    scaled_cells: list[str] = []

    def cell_s(a: Aggregate) -> float | None:
        return a.cpu_s if a.cpu_s is not None else a.total_s

    for d, m in pairs:
        a = by.get((d, m))
        if a is None or cell_s(a) is None:
            rates = [cell_s(b) / n_train[dd] for (dd, mm), b in by.items()  # type: ignore[operator]
                     if mm == m and cell_s(b) and n_train.get(dd)]
            if rates and n_train.get(d):
                scaled += sum(rates) / len(rates) * n_train[d] * n_seeds
                n_scaled += n_seeds
                scaled_cells.append(f"{d}/{m}")
            else:
                missing.append(f"{d}/{m}")
            continue
        t = cell_s(a)
        assert t is not None
        k = min(len(a.seeds), n_seeds)
        measured += t * k
        n_measured += k
        n_cpu += k if a.cpu_s is not None else 0
        extrapolated += t * (n_seeds - k)
        n_extra += n_seeds - k
    return {"measured_s": measured, "extrapolated_s": extrapolated, "cells_measured": n_measured,
            "cells_extrapolated": n_extra, "scaled_s": scaled, "cells_scaled": n_scaled,
            "scaled": scaled_cells, "missing": missing, "cells_cpu": n_cpu}


def panel_time(records: list[dict[str, Any]], split: str) -> dict[str, Any] | None:
    """Training time of the multitask panel from its run records (``trained_with`` set).

    Each seed's records carry the seed's member training time (``times.train_s``, the sum of
    its epoch times); the members of one panel run are trained concurrently, so the run's wall
    time lies between the longest member's time and the sum (with ``workers`` > 1; else the sum).
    """
    per_seed: dict[int, float] = {}
    datasets: set[str] = set()
    workers = 1
    for r in records:
        if not r.get("trained_with") or r.get("split") != split:
            continue
        t = (r.get("times") or {}).get("train_s")
        if t is not None:
            per_seed[int(r.get("seed", 0))] = float(t)
            datasets.update(map(str, r["trained_with"]))
            workers = max(workers, int((r.get("config") or {}).get("workers") or 1))
    if not per_seed:
        return None
    return {"seeds": sorted(per_seed), "per_seed_s": [per_seed[k] for k in sorted(per_seed)],
            "max_s": max(per_seed.values()), "sum_s": sum(per_seed.values()), "datasets": sorted(datasets),
            "workers": workers}


def _read_affinity(results_root: Path) -> list[dict[str, Any]]:
    """Rows ``{dataset, split, model, seed, mse, ci, spearman, source}`` from ``affinity*.json``.

    Understands run records (schema ``drugscreen.run/1``) whose ``metrics.test`` is keyed by
    dataset (``{"davis": {"mse", "ci", "spearman"}, "kiba": {...}}``) or flat, and lists of them.
    """
    rows: list[dict[str, Any]] = []
    for path in sorted(results_root.glob("affinity*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        items = data if isinstance(data, list) else data.get("runs", [data]) if isinstance(data, dict) else []
        for it in items:
            if isinstance(it, dict):
                rows.extend(_affinity_rows(it, path))
    return rows


def _affinity_rows(rec: dict[str, Any], path: Path) -> list[dict[str, Any]]:
    test = (rec.get("metrics") or {}).get("test") or {}
    per_ds = {k: v for k, v in test.items() if isinstance(v, dict) and "mse" in v}
    if not per_ds and "mse" in test:
        per_ds = {str(rec.get("dataset", "?")): test}
    out = []
    for ds, m in per_ds.items():
        out.append({
            "dataset": ds.lower(), "split": str(rec.get("split", "?")), "model": str(rec.get("model", "?")),
            "seed": rec.get("seed"), "mse": m.get("mse"), "ci": m.get("ci"), "spearman": m.get("spearman"),
            "epochs": rec.get("epochs_run"), "source": path.name,
        })
    return out


def _project_rerun_lines() -> list[str]:
    """The 'Re-running one cell' section of the repository's own RESULTS.md."""
    return ["## Re-running one cell", "",
            "Each run record holds the exact command that re-runs it (`command`), e.g.", "",
            "```bash",
            "export DRUGSCREEN_DATA_DIR=../shared/datasets",
            "drugscreen benchmark --config benchmarks/configs/property_suite.toml --only bbbp/rf/0 --force",
            "drugscreen benchmark report        # regenerate this file and the plots",
            "python benchmarks/peers/chemprop_run.py --dataset bbbp --seeds 0 --force   # chemprop cell",
            "drugscreen train --config benchmarks/configs/panel.toml --seeds 0 -o runs/panel_seed0   # panel, seed 0",
            "```", "",
            "The panel is one model over all its datasets, so its cells are re-run per seed: the `train` line above "
            "re-trains seed 0 of every panel dataset and writes their records to `runs/panel_seed0/runs/*.json` "
            "(copy them to `benchmarks/results/panel/` to replace the committed ones).", "",
            "`--only dataset[/model[/seed[/split]]]`; without `--force` cells that have a record are skipped. "
            "Split files are committed in `benchmarks/splits/` and their sha256 is in every record, so a re-run "
            "uses identical molecules; the scaffold split is deterministic, so a re-run of a random-forest cell "
            "reproduces its figure exactly (same seed), and a GNN cell within its seed-to-seed sd.", ""]


def render_results(
    aggs: list[Aggregate],
    *,
    affinity: list[dict[str, Any]] | None = None,
    suite: dict[str, Any] | None = None,
    notes: list[str] | None = None,
    plots: list[str] | None = None,
    data_lines: list[str] | None = None,
    repro: list[str] | None = None,
    sources: str | None = None,
    machine: str | None = None,
    rerun: list[str] | None = None,
) -> str:
    """Render RESULTS.md from aggregates (pure function of its inputs).

    ``sources`` names the folders the records were read from when they are not the
    repository's own (``benchmarks/results/runs/`` and ``benchmarks/results/panel/``);
    ``machine`` replaces the line on the repository's machine (2 shared CPU cores) when the
    records were made elsewhere (:func:`machine_line`); ``rerun`` replaces the repository's
    commands under "Re-running one cell" with those of the records read (:func:`_rerun_lines`).
    """
    lines = [
        "# drugscreen benchmark results",
        "",
        "Generated by `drugscreen benchmark report` from the run records in `benchmarks/results/runs/` and",
        "`benchmarks/results/panel/` (one JSON per dataset × model × split × seed: config, versions, data and",
        "split sha256, metrics, times, peak memory), `benchmarks/results/affinity*.json` and the published anchors",
        "in `drugscreen/benchmarking/anchors.py`. Do not edit by hand.",
    ] if not sources else [
        "# drugscreen benchmark results",
        "",
        f"Generated by `drugscreen benchmark report` from the run records in {sources} (one JSON per dataset × model "
        "× split × seed: config, versions, data and split sha256, metrics, times, peak memory) and the published "
        "anchors in `drugscreen/benchmarking/anchors.py`. Do not edit by hand.",
    ]
    lines += [
        "",
        "Conventions (MoleculeNet): classification = test ROC-AUC averaged over the tasks that have both",
        "classes in the test set (higher is better); regression = test RMSE in the task's units (lower is",
        "better). `mean ± sd (n=seeds)`; sd is the sample sd over seeds. Models are selected on the",
        "validation part only. **Bold** = best mean in the column among rows measured on the same split",
        "(published numbers from a different split, or from a random split of their own, are shown with",
        "that split in brackets and never bolded).",
        machine or "Machine: 2 CPU cores, no GPU, shared with other jobs while these ran (times are upper bounds).",
        "",
    ]
    for n in notes or []:
        lines.append(n)
    if notes:
        lines.append("")
    if any(a.split == "scaffold" and a.dataset in PROPERTY_DATASETS for a in aggs):
        lines += ["## Summary (split: scaffold)", "",
                  "Our model per dataset = the one of our rows (`panel:gine`: the shipped multitask panel; "
                  "`gine_ecfp`: the panel's GINE trunk trained on that dataset alone with the ECFP4 bits as extra input (the panel's input before it took descriptors); `gine_graph`: the same without "
                  "the ECFP4 input; `dmpnn`: single-task D-MPNN) "
                  "with the best mean **validation** score (shown in brackets), so the choice never looks at the "
                  "test set; its test score beside the ECFP4 baselines' (random forest; MLP, `fp_mlp`, trained by the same "
                  "trainer with early stopping on validation) and chemprop's, mean ± sd over seeds "
                  "on the deterministic scaffold split. All rows and the other published anchors are in the tables "
                  "below.", ""] + _summary_table(aggs) + [""]
    if data_lines:
        lines += ["## Data", "",
                  "Molecules are parsed and standardized by `drugscreen.data.load_dataset`; rows it cannot use "
                  "(unparsable SMILES, dummy atoms, > 250 heavy atoms) are left out for every model alike, so test "
                  "sets can be a few molecules smaller than in papers that kept them.", ""] + data_lines + [""]
    splits = sorted({a.split for a in aggs if a.dataset in PROPERTY_DATASETS}, key=lambda s: (s != "scaffold", s))
    if "scaffold" not in splits:
        splits.insert(0, "scaffold")
    for split in splits:
        anchors = True
        split_desc = _split_desc(split)
        lines += [f"## Property prediction — split: {split}", "", f"Split: {split_desc}.", ""]
        t = _table(aggs, split, CLASSIFICATION, "roc_auc", True, anchors)
        if t:
            lines += [f"### Classification: test ROC-AUC ↑ (split: {split})", ""] + t + [""]
        t = _table(aggs, split, REGRESSION, "rmse", False, anchors)
        if t:
            lines += [f"### Regression: test RMSE ↓ (split: {split})", ""] + t + [""]
        if split == "scaffold":
            hiv = [a for a in aggs if a.split == split and a.dataset == "hiv" and a.value("roc_auc")]
            ours = ", ".join(f"{a.model} {_fmt(a.value('roc_auc'))}" for a in hiv) or "no HIV run yet"
            lines += [
                f"OGB ogbg-molhiv (HIV, OGB's scaffold split, ROC-AUC): leaderboard top {OGB_MOLHIV['leaderboard top']}, "
                f"GIN-virtual-node {OGB_MOLHIV['GIN-virtual-node']} — source: {OGB_SOURCE}. Ours on the DeepChem "
                f"scaffold split: {ours}.",
                "",
            ]
        t = _cost_table(aggs, split)
        if t:
            lines += [f"### Secondary metric, time and memory per (dataset, model) (split: {split})", "",
                      "`train s` = fitting time (RF: forest fitting; GNN: epochs); `cell wall s` = the whole cell "
                      "(load, featurize, split, fit, predict, score); `cell CPU s` = the cell process's CPU time (one thread: "
                      "its wall time on an idle core; recorded since the runner measures it); `predict mol/s` = valid+test molecules per second of "
                      "inference (featurization excluded for RF; chemprop: CLI call incl. start-up); peak RSS = the "
                      "cell's process (`resource.getrusage`); `same split file` = the records' split sha256 equals "
                      "the committed `benchmarks/splits/` file's (identical train/valid/test molecules).", ""] + t + [""]
    if suite:
        lines += ["## How long the suite takes on this machine", ""] + suite["lines"] + [""]
    if repro:
        lines += ["## Reproducibility check", "",
                  "Cells re-run from scratch with their own `command` (on a copy of the config whose `results_dir` "
                  "points elsewhere, so the committed record is kept; records in `benchmarks/results/repro/`), same "
                  "split file and seed, compared with the committed record:", ""] + repro + [""]
    if rerun is not None:  # records of one's own: their own commands, not the project's
        lines += ["## Re-running one cell", "",
                  "Each run record holds the exact command that re-runs it (`command`), e.g.", "",
                  "```bash", *rerun, "```", "",
                  "`--only dataset[/model[/seed[/split]]]`; without `--force` cells that have a record are skipped. "
                  "Each record gives the sha256 of its split file, so a re-run with the same file uses identical "
                  "molecules.", ""]
    else:
        lines += _project_rerun_lines()
    lines += _tables_section(aggs)
    lines += _tables_section(aggs)
    lines += _affinity_section(affinity or [])
    lines += ["## Sources of the published numbers", ""]
    for anc in PROPERTY_ANCHORS:
        lines.append(f"- **{anc.label}** (split: {anc.split}): {anc.source}. Checked: {anc.verified}.")
    lines.append(f"- **OGB molhiv**: {OGB_SOURCE}.")
    for name, src in AFFINITY_SOURCES.items():
        lines.append(f"- **{name}**: {src}.")
    lines += ["", "The MoleculeNet paper used random splits for ESOL, FreeSolv, Lipophilicity, Tox21, ToxCast, ClinTox "
              "and SIDER and scaffold splits for HIV, BACE and BBBP; its random-split numbers are not comparable with "
              "scaffold-split numbers (a random split is easier).", ""]
    if plots:
        lines += ["## Plots", ""] + [f"![{Path(p).stem}]({p})" for p in plots] + [""]
    return "\n".join(lines).rstrip() + "\n"


def _tables_section(aggs: list[Aggregate]) -> list[str]:
    """Results on the user's own tables (no published numbers), one table per split and metric."""
    tables = {a.dataset: a.table for a in aggs if a.table}
    if not tables:
        return []
    lines = ["## Your own tables", "",
             "Datasets read from your files (`datasets = [\"my.csv\"]` in the benchmark config); each record names "
             "the file and its content sha256:", ""]
    for name, t in sorted(tables.items()):
        lines.append(f"- `{name}`: {Path(str(t.get('path', ''))).name}, sha256 {str(t.get('sha256', ''))[:12]}..., "
                     f"{_table_counts(t)}, {t.get('task_type')}, "
                     f"tasks {', '.join(map(str, t.get('tasks') or []))}")
    lines.append("")
    for split in sorted({a.split for a in aggs if a.table}, key=lambda s: (s != "scaffold", s)):
        for kind, metric, higher, title in (("classification", "roc_auc", True, "test ROC-AUC ↑"),
                                            ("regression", "rmse", False, "test RMSE ↓")):
            names = sorted(n for n, t in tables.items() if t.get("task_type") == kind)
            t_lines = _table(aggs, split, names, metric, higher, False) if names else []
            if t_lines:
                lines += [f"### Your tables: {title} (split: {split})", ""] + t_lines + [""]
    return lines


def _table_counts(t: dict[str, Any]) -> str:
    """``"297 molecules from 300 rows (1 refused, 2 duplicates merged)"`` (with ``"3 without a label, "``
    after the refused when rows were left out for having none); records made before
    ``duplicates_merged`` was recorded say only what they know."""
    if t.get("duplicates_merged") is None:
        return f"{t.get('molecules')} molecules ({t.get('invalid')} rows refused)"
    unlabelled = t.get("unlabelled") or 0
    without = f"{unlabelled} without a label, " if unlabelled else ""
    return (f"{t.get('molecules')} molecules from {t.get('rows')} rows ({t.get('invalid')} refused, {without}"
            f"{t.get('duplicates_merged')} duplicates merged into their first row)")


def _affinity_section(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["## Drug-target affinity (DAVIS, KIBA)", ""]
    anchor_lines = [
        "| published (DeepDTA setting: random/warm split, test set) | DAVIS MSE ↓ | DAVIS CI ↑ | KIBA MSE ↓ | KIBA CI ↑ |",
        "|---|---|---|---|---|",
    ]
    for name, vals in AFFINITY_ANCHORS.items():
        d, k = vals["davis"], vals["kiba"]
        anchor_lines.append(f"| {name} [published] | {d[0]:.3f} | {d[1]:.3f} | {k[0]:.3f} | {k[1]:.3f} |")
    if not rows:
        lines += ["No affinity evaluation results found (`benchmarks/results/affinity*.json`).", ""]
    else:
        groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            groups[(r["dataset"], r["split"], r["model"])].append(r)
        lines += ["Ours (split as named; test set; model selected on a validation part):", "",
                  "| dataset | split | model | MSE ↓ | CI ↑ | Spearman ↑ | epochs run | source |",
                  "|---|---|---|---|---|---|---|---|"]
        for (ds, split, model), rs in sorted(groups.items()):
            epochs = ",".join(str(r["epochs"]) for r in rs if r.get("epochs") is not None) or "—"
            lines.append(
                f"| {ds.upper()} | {split} | {model} | {_fmt(_mean_sd(r['mse'] for r in rs))} | "
                f"{_fmt(_mean_sd(r['ci'] for r in rs))} | {_fmt(_mean_sd(r['spearman'] for r in rs))} | {epochs} | "
                f"`benchmarks/results/{rs[0]['source']}` |"
            )
        lines.append("")
    lines += anchor_lines + [
        "",
        "Note: DeepDTA and GraphDTA report test-set figures of models whose hyper-parameters/epochs were chosen "
        "on that test set; ours are selected on a validation part only, and cold-drug / cold-target splits are "
        "much harder than the warm split those papers used. Only our `warm` rows are comparable with them, and "
        "only roughly: DeepDTA's benchmark used its own fixed folds, and the DAVIS/KIBA copies here withhold a few "
        "targets for external evaluation.",
        "",
    ]
    return lines


def build_report(
    results_dir: str | Path = RESULTS_DIR,
    output: str | Path = "benchmarks/RESULTS.md",
    *,
    extra_dirs: Iterable[str | Path] = ("drugscreen/resources/models",),
    affinity_dir: str | Path | None = None,
    plots_dir: str | Path | None = "benchmarks/plots",
    suite_config: str | Path | None = "benchmarks/configs/property_suite.toml",
) -> Path:
    """Read every run record, aggregate, render RESULTS.md and (if matplotlib is present) plots.

    Parameters
    ----------
    results_dir
        Folder of run records (recursively).
    output
        The Markdown file to write.
    extra_dirs
        More folders of run records, searched recursively, besides ``results_dir``'s sibling
        ``panel/`` (where the shipped panel's per-seed records are published), e.g. the shipped
        bundles (default), whose ``runs/`` may hold them too.
    affinity_dir
        Folder holding ``affinity_eval*.json`` (default: ``results_dir``'s parent).
    plots_dir
        Where PNGs go (``None``: no plots).
    suite_config
        The suite whose total time is stated.

    Returns
    -------
    Path
        ``output``.
    """
    results_dir = Path(results_dir)
    output = Path(output)
    records = load_records(results_dir)
    for d in [results_dir.parent / "panel", *extra_dirs]:
        if Path(d).exists():
            records += load_records(d)
    aggs = aggregate(records)
    models_dir = Path("drugscreen/resources/models")
    aggs += bundle_summaries(models_dir, {(a.split, a.dataset, a.model) for a in aggs})
    splits_dir = results_dir.parent.parent / "splits"
    for a in aggs:
        a.split_check = _split_check(a, splits_dir)
    affinity = _read_affinity(Path(affinity_dir) if affinity_dir else results_dir.parent)
    suite = None
    cfg = None
    if suite_config and Path(suite_config).exists():
        from drugscreen.benchmarking.config import load_config

        cfg = load_config(suite_config)
        if Path(cfg.results_dir).resolve() != results_dir.resolve():
            # another folder's records (a config of one's own): the suite's time is not theirs to state
            logger.info("suite time not stated: %s writes its records to %s, not %s", _rel(suite_config),
                        _rel(cfg.results_dir), _rel(results_dir))
            cfg = None
    if cfg is not None:
        pairs = list(dict.fromkeys((c.dataset, c.model.name) for c in cfg.cells() if c.split == cfg.splits[0]))
        n_train = {}
        for r in records:
            sz = r.get("sizes") or {}
            if r.get("split") == cfg.splits[0] and sz.get("train") and not r.get("trained_with"):
                n_train[r["dataset"]] = int(sz["train"])
        st = suite_time(aggs, cfg.splits[0], pairs, len(cfg.seeds), n_train)
        pt = panel_time(records, cfg.splits[0])
        total = st["measured_s"] + st["extrapolated_s"] + st["scaled_s"] + (pt["sum_s"] if pt else 0.0)
        per_model = ", ".join(
            f"{m.name} on {sum(1 for d in cfg.datasets if m.runs_on(d))} dataset(s)" for m in cfg.models)
        lines = [
            f"`{_rel(suite_config)}`: {per_model} × {len(cfg.seeds)} seeds, split {cfg.splits[0]}, "
            f"one cell at a time, {cfg.threads} thread(s) per cell; plus the panel (our model for the datasets it "
            "covers), trained once by `drugscreen train`.",
            "",
            f"- measured: {st['cells_measured']} cells, {st['measured_s'] / 60:.1f} min: the cell process's CPU "
            f"time (`times.cpu_s`; one thread per cell, so its time on an idle core) for {st['cells_cpu']} cells, "
            f"the cell's wall time (`times.total_s`; an upper bound on a shared machine) for the other "
            f"{st['cells_measured'] - st['cells_cpu']} (recorded before the runner measured CPU time);",
            f"- extrapolated from the same (dataset, model)'s measured seeds: {st['cells_extrapolated']} cells, "
            f"{st['extrapolated_s'] / 60:.1f} min;",
            f"- estimated for (dataset, model) pairs never run, from the model's seconds per training molecule on "
            f"the datasets it did run (rough: epochs to early stopping and task count differ): {st['cells_scaled']} "
            f"cells, {st['scaled_s'] / 60:.1f} min" + (f" ({', '.join(st['scaled'])})" if st["scaled"] else "") + ";",
        ]
        if pt:
            span = (f"{pt['max_s'] / 60:.1f}-{pt['sum_s'] / 60:.1f} min of wall time" if pt["workers"] > 1
                    else f"{pt['sum_s'] / 60:.1f} min of wall time")
            how = (f"members trained concurrently in {pt['workers']} processes" if pt["workers"] > 1
                   else "members trained one after another")
            lines.append(
                f"- the panel ({len(pt['datasets'])} datasets jointly, seeds {', '.join(map(str, pt['seeds']))}, "
                f"{how}): training time per seed (sum of epoch times, `times.train_s`) "
                f"{', '.join(f'{x / 60:.1f}' for x in pt['per_seed_s'])} min, so {span} (data preparation not "
                "included; the sum is counted in the total);")
        else:
            lines.append("- the panel: no run records found (`benchmarks/results/panel/`), not included;")
        where = "this 2-core machine" if machine_line(records) is None else "the records' machine (see above)"
        lines += [
            f"- total: about **{total / 3600:.1f} h** of wall time on {where}, one job at a time"
            + (f"; not included (no measurement to scale from): {', '.join(st['missing'])}" if st["missing"] else "") + ".",
            "- the machine was shared by other training jobs while these ran, so these are upper bounds; a fresh "
            "process per cell adds a few seconds each.",
        ]
        suite = {"lines": lines}
    plots: list[str] = []
    if plots_dir is not None:
        try:
            from drugscreen.benchmarking.plots import make_plots

            plots = [str(Path(p).relative_to(output.parent)) if Path(p).is_relative_to(output.parent) else str(p)
                     for p in make_plots(aggs, Path(plots_dir), records=records)]
        except ImportError as exc:
            logger.warning("plots skipped (%s); install matplotlib (the dev extra)", exc)
    notes = _provenance_notes(records, aggs, results_dir.parent.parent / "configs") + _mixed_notes(aggs)
    own = results_dir.resolve() == RESULTS_DIR.resolve()
    text = render_results(aggs, affinity=affinity, suite=suite, plots=plots, notes=notes, machine=machine_line(records),
                          data_lines=_data_table(records), repro=_repro_lines(records, results_dir.parent / "repro"),
                          sources=None if own else f"`{_rel(results_dir)}/`",
                          rerun=None if own else _rerun_lines(records, results_dir))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    logger.info("wrote %s (%d records, %d aggregates)", output, len(records), len(aggs))
    return output


def _rerun_lines(records: list[dict[str, Any]], results_dir: Path) -> list[str]:
    """Commands for a report of one's own records: one record's ``command`` (the first in
    dataset/model/seed order) and the report command for their folder."""
    import shlex

    commands = sorted((str(r.get("dataset")), str(r.get("model")), str(r.get("seed")), r["command"])
                      for r in records if isinstance(r.get("command"), str))
    lines = [commands[0][3]] if commands else []
    return [*lines, f"drugscreen benchmark report --results-dir {shlex.quote(str(results_dir))}   # regenerate this file"]


def machine_line(records: list[dict[str, Any]]) -> str | None:
    """The report's machine line from the records' ``host`` entries; ``None`` when they were all
    made with 2 CPU cores and no GPU (the repository's machine, whose line is the default)."""
    hosts = [r.get("host") for r in records if isinstance(r.get("host"), dict)]
    cpus = sorted({int(h["cpus"]) for h in hosts if h.get("cpus")})
    gpu = any(h.get("gpu") for h in hosts)
    if cpus == [2] and not gpu:
        return None
    if not cpus:
        return "Machine: not recorded in these records (times are not comparable with other runs)."
    cores = f"{cpus[0]} CPU cores" if len(cpus) == 1 else f"{', '.join(map(str, cpus))} CPU cores (several machines)"
    return (f"Machine (from the records' `host`): {cores} usable by each cell, {'a GPU' if gpu else 'no GPU'}; "
            "times depend on what else ran there.")


def _mixed_notes(aggs: list[Aggregate]) -> list[str]:
    """A note (and a warning) for each row whose seeds were run with different model parameters:
    its mean ± sd mixes two settings."""
    mixed = [a for a in aggs if a.mixed_params]
    for a in mixed:
        logger.warning("%s/%s/%s: seeds run with different parameters (%s); its mean +/- sd mixes them: re-run them "
                       "with the config as it is now", a.dataset, a.model, a.split, a.mixed_params)
    if not mixed:
        return []
    return ["**Rows whose seeds were run with different parameters** (their mean ± sd mixes them; "
            "`drugscreen benchmark --config CONFIG` re-runs the cells whose record differs from the config): "
            + "; ".join(f"{a.dataset}/{a.model}/{a.split}: {a.mixed_params}" for a in mixed) + "."]


def _split_check(a: Aggregate, splits_dir: Path) -> str:
    """"yes" when every seed's split sha256 equals the split file's (``splits_dir``'s, else the
    one its record names), else what differs; "not recorded" when no record gives a split sha256
    (a bundle's summary), as nothing can be compared."""
    from drugscreen.benchmarking.splitfiles import file_sha256, split_path

    if not a.split_shas:
        return "not recorded"
    bad = []
    for seed, sha in sorted(a.split_shas.items()):
        path = split_path(splits_dir, a.dataset, a.split_kind or a.split, seed)
        if not path.exists() and a.split_files.get(seed):
            path = Path(a.split_files[seed])  # a config of one's own: its own splits_dir
        if not path.exists():
            return "no split file"
        if file_sha256(path) != sha:
            bad.append(str(seed))
    return "yes" if not bad else f"NO (seed {', '.join(bad)})"


def _panel_command(records: list[dict[str, Any]], configs_dir: Path) -> str:
    import re

    names = {str((r.get("config") or {}).get("name", "")) for r in records}
    for name in sorted(n for n in names if n):
        path = configs_dir / f"{name}.toml"
        if path.exists():
            m = re.search(r'command\s*=\s*"([^"]+)"', path.read_text())
            if m:
                return m.group(1)
    return ""


def _rel(path: str | Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def bundle_summaries(models_dir: Path, have: set[tuple[str, str, str]]) -> list[Aggregate]:
    """Aggregates from bundles' ``config.json`` ``metrics.summary`` (mean/sd over seeds) for
    multi-dataset (panel) bundles whose per-seed run records are not available."""
    out: list[Aggregate] = []
    for cfg_path in sorted(models_dir.glob("*/config.json")) if models_dir.exists() else []:
        try:
            cfg = json.loads(cfg_path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        train_cfg = ((cfg.get("training") or {}).get("config")) or {}
        datasets = train_cfg.get("dataset") or []
        if len(datasets) < 2:
            continue
        model = f"panel:{train_cfg.get('model', '?')}"
        split = str(train_cfg.get("split", "scaffold"))
        for ds, summ in ((cfg.get("metrics") or {}).get("summary") or {}).items():
            if (split, ds, model) in have or not isinstance(summ, dict):
                continue
            metrics = {}
            for m in ("roc_auc", "prc_auc", "rmse", "mae", "r2"):
                v = summ.get(m)
                if isinstance(v, dict) and v.get("n"):
                    metrics[m] = (float(v["mean"]), float(v.get("sd") or 0.0), int(v["n"]))
            if metrics:
                out.append(Aggregate(split=split, dataset=ds, model=model, seeds=list(summ.get("seeds", [])),
                                     metrics=metrics, train_s=None, total_s=None, predict_mol_per_s=None,
                                     peak_rss_mb=None, source=str(cfg_path)))
    return out


def _provenance_notes(records: list[dict[str, Any]], aggs: list[Aggregate], configs_dir: Path) -> list[str]:
    panel_aggs = [a for a in aggs if a.model.startswith("panel:")]
    if not panel_aggs:
        return []
    panel_recs = [r for r in records if r.get("trained_with")]
    cmds = sorted({str(r.get("command", "")) for r in panel_recs if r.get("command")})
    if not cmds:
        names = {str((r.get("config") or {}).get("name", "")) for r in panel_recs} | {"panel"}
        found = _panel_command([{"config": {"name": n}} for n in names], configs_dir)
        cmds = [found] if found else []
    sources = sorted({_rel(Path(a.source).parent) for a in panel_aggs if a.source})
    if all(not a.split_shas for a in panel_aggs):  # bundle_summaries: no run record, no split sha256
        bundles = sorted({_rel(a.source) for a in panel_aggs if a.source})
        return ["Rows `drugscreen panel, multitask ...` are the shipped panel: one shared-trunk model trained on all "
                "panel datasets at once, each dataset on its own scaffold split; mean ± sd over seeds as its bundle's "
                "summary states it (" + ", ".join(f"`{x}`" for x in bundles) + "): no run records of it were read, so "
                "its split files are not compared (`same split file`: not recorded)."]
    return ["Rows `drugscreen panel, multitask ...` are the shipped panel: one shared-trunk model trained on all "
            "panel datasets at once, each dataset on its own scaffold split (the same split files as here: see "
            "the `same split file` column), test metrics per seed from its run records (" + ", ".join(f"`{x}`" for x in sources)
            + ")" + (f"; produced by the committed command `{cmds[0]}`" if cmds else "") + "."]
