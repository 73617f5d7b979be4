"""Would a graph + fingerprint blend lift the shipped panel? Panel + ECFP4 random forest, per dataset.

For each panel dataset this script takes the shipped panel's members (member ``s`` = training
seed ``s``) and an ECFP4 random forest of the same seed fitted on that dataset's molecules in
the panel's **joint training set** (the one :func:`drugscreen.training.data.build_training_data`
builds: each dataset on its own deterministic scaffold split, every molecule of any dataset's
valid/test part left out of training), and blends them::

    p = w * panel + (1 - w) * forest

with ``w`` in ``0, 0.1, ..., 1`` chosen on the **validation** part only (best mean validation
ROC-AUC / lowest RMSE), then reports the test metric of panel alone, forest alone and the blend
(per seed and mean ± sd over seeds) and the chosen ``w``. Classification blends are tried on
the panel's raw member probabilities (``prob``), on member probabilities Platt-calibrated
per task on the validation part (``prob_cal``, like the calibration ``screen`` applies) and
as a rank average (``rank``; ranks within the scored set, so it needs a reference
distribution to be used in screening).

Two forests per seed: ``full`` (the benchmark's :class:`~drugscreen.models.baselines.ECFPRandomForest`,
``--trees`` trees, fully grown) and ``small`` (``--small-trees`` trees, ``min_samples_leaf =
--small-leaf``: a size that could be shipped). For each forest the script also exports the trees
to :class:`~drugscreen.models.forest.ForestArrays` (what a bundle ships), writes them to a
safetensors file to measure the stored size, checks that its numpy traversal reproduces
``predict_proba`` / ``predict`` (max abs difference), and times it single-threaded on 4096
molecules (ms per molecule).

Per-seed forest predictions (npz), costs (json) and the forests as arrays (safetensors) are
cached in ``--work-dir``, so a rerun with more seeds only fits the new ones. Since commit
c0fdb6f the shipped panel itself blends small forests into some tasks; the script strips that
from the loaded bundle's config and evaluates the GNN members alone.

Usage::

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/blend_eval.py --seeds 0 1 2

Writes ``benchmarks/results/panel/blend/blend_eval.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CLASSIFICATION = ["hiv", "tox21", "clintox", "sider", "bace_classification", "bbbp"]
REGRESSION = ["esol", "lipophilicity", "bace_regression"]
#: chemprop D-MPNN on this split (the issue's accuracy bar).
BAR = {"tox21": 0.759, "clintox": 0.906, "sider": 0.570, "hiv": 0.790, "bace_classification": 0.809,
       "bbbp": 0.710, "esol": 1.050, "lipophilicity": 0.683}
GRID = np.round(np.linspace(0.0, 1.0, 11), 1)


# ----------------------------------------------------------------------------- metrics


def _score(y: np.ndarray, p: np.ndarray, kind: str) -> float:
    """Mean ROC-AUC over tasks with both classes (classification) or mean RMSE (regression)."""
    from drugscreen.training.metrics import task_metrics

    names = [str(i) for i in range(y.shape[1])]
    m = task_metrics(y, p, names, kind)
    return float(m["roc_auc"] if kind == "classification" else m["rmse"])


def _rank01(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per task, ranks of the labelled rows scaled to [0, 1] (ties averaged); NaN rows kept."""
    from scipy.stats import rankdata

    out = np.array(p, dtype=np.float64, copy=True)
    for t in range(p.shape[1]):
        ok = ~np.isnan(y[:, t])
        if ok.sum() > 1:
            out[ok, t] = (rankdata(p[ok, t]) - 1) / (ok.sum() - 1)
    return out


def _blend(panel: dict[str, np.ndarray], forest: dict[str, np.ndarray], y: dict[str, np.ndarray], kind: str,
           mode: str) -> dict[str, Any]:
    """Choose ``w`` on valid, report test (``panel``/``forest``: ``{"valid", "test"}`` arrays)."""
    def prep(part: str, which: dict[str, np.ndarray]) -> np.ndarray:
        return _rank01(which[part], y[part]) if mode == "rank" else which[part]

    better = max if kind == "classification" else min
    valid = {float(w): _score(y["valid"], w * prep("valid", panel) + (1 - w) * prep("valid", forest), kind) for w in GRID}
    w = better(valid, key=lambda k: valid[k])
    test = _score(y["test"], w * prep("test", panel) + (1 - w) * prep("test", forest), kind)
    return {"w": w, "valid": valid[w], "test": test, "valid_curve": valid}


# ----------------------------------------------------------------------------- forest as arrays


def _timed(fn: Any, *a: Any) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of ``fn(*a)``; CPU time is robust to other jobs on the machine."""
    c0, w0 = time.process_time(), time.perf_counter()
    fn(*a)
    return time.process_time() - c0, time.perf_counter() - w0


def forest_report(forest: Any, bits_eval: np.ndarray, bits_time: np.ndarray, path: Path) -> dict[str, Any]:
    """Node count, stored size (safetensors), numpy-vs-sklearn agreement and ms/molecule.

    The arrays are left in ``path`` (safetensors, leaf values float32) so the timing can be
    repeated; the agreement check uses float64 leaf values.
    """
    from safetensors.numpy import save_file

    from drugscreen.models.forest import ForestArrays

    arrays = ForestArrays.from_estimator(forest)  # what a bundle ships and screens with
    stored = arrays.to_tensors()
    stored["value"] = stored["value"].astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(stored, str(path))
    size_mb = path.stat().st_size / 1e6
    ref = forest.predict(bits_eval.astype(np.float32))
    mine = arrays.predict(bits_eval)
    max_diff = float(np.nanmax(np.abs(ref - mine))) if ref.size else 0.0
    arrays.predict(bits_time[:256])  # warm-up
    np_cpu, np_wall = _timed(arrays.predict, bits_time)
    sk_cpu, sk_wall = _timed(forest.predict, bits_time.astype(np.float32))
    n = len(bits_time)
    depth = max((est.tree_.max_depth for m in forest.forests_ if m is not None for est in m.estimators_), default=0)
    return {
        "n_nodes": int(len(arrays.feature)),
        "max_depth": int(depth),
        "size_mb_float32_values": size_mb,
        "numpy_max_abs_diff_vs_sklearn": max_diff,
        "numpy_cpu_ms_per_mol": 1000 * np_cpu / n,
        "numpy_wall_ms_per_mol": 1000 * np_wall / n,
        "sklearn_cpu_ms_per_mol": 1000 * sk_cpu / n,
        "sklearn_wall_ms_per_mol": 1000 * sk_wall / n,
        "n_timed": int(n),
    }


# ----------------------------------------------------------------------------- main work


def _dataset_view(data: Any, k: int) -> dict[str, Any]:
    a, b = data.datasets[k].task_slice
    view: dict[str, Any] = {"slice": (a, b)}
    for part in ("train", "valid", "test"):
        p = getattr(data, part)
        rows = np.flatnonzero(p.dataset_index == k)
        view[part] = {"rows": rows, "y": p.y[rows, a:b], "fps": p.fps[rows]}
    return view


def run_seed(seed: int, data: Any, bundle: Any, datasets: list[str], args: argparse.Namespace,
             panel_cache: dict[str, np.ndarray], out: dict[str, Any], on_progress: Any = None) -> dict[str, Any]:
    """Fit forests for one seed and blend with panel member ``seed``; results per dataset in ``out``.

    The shippable (``small``) forests of every dataset come first, then the ``full`` ones;
    ``on_progress()`` is called after each forest so partial results are written.
    """
    from drugscreen.domain import unpack_bits
    from drugscreen.models.baselines import ECFPRandomForest
    from drugscreen.training.calibration import apply_calibration, fit_calibration

    names = [d.name for d in data.datasets]
    member = bundle.config["member_seeds"].index(seed)
    work = Path(args.work_dir)
    rng = np.random.default_rng(0)
    all_fps = np.concatenate([data.train.fps, data.valid.fps, data.test.fps])
    time_bits = np.unpackbits(all_fps[rng.choice(len(all_fps), size=args.n_time, replace=len(all_fps) < args.n_time)],
                              axis=1)
    for tag, params in (("small", {"n_estimators": args.small_trees, "min_samples_leaf": args.small_leaf}),
                        ("full", {"n_estimators": args.trees, "min_samples_leaf": 1})):
        for ds in datasets:
            k = names.index(ds)
            view = _dataset_view(data, k)
            a, b = view["slice"]
            kind = "classification" if ds in CLASSIFICATION else "regression"
            y = {p: view[p]["y"] for p in ("valid", "test")}
            panel_raw = {p: panel_cache[p][member][view[p]["rows"]][:, a:b] for p in ("valid", "test")}
            if kind == "classification":  # Platt per task on this member's validation probabilities
                calib = fit_calibration(y["valid"], panel_raw["valid"], np.ones(b - a, dtype=bool), "platt")
                panel_cal = {p: apply_calibration(panel_raw[p], calib) for p in ("valid", "test")}
            else:
                panel_cal = panel_raw
            rec = out.setdefault(ds, {
                "tasks": bundle.task_names[a:b], "n_train": int(len(view["train"]["rows"])),
                "n_valid": int(len(y["valid"])), "n_test": int(len(y["test"])),
                "panel": {p: _score(y[p], panel_raw[p], kind) for p in y},
            })
            cache = work / f"{ds}_{tag}_seed{seed}.npz"
            cache_json = cache.with_suffix(".json")
            if cache.is_file() and cache_json.is_file():
                with np.load(cache, allow_pickle=False) as z:
                    fpred = {"valid": z["valid"], "test": z["test"]}
                frep = json.loads(cache_json.read_text())
            else:
                xtr = unpack_bits(view["train"]["fps"], 2048)
                t0 = time.perf_counter()
                rf = ECFPRandomForest(task_types=kind, n_jobs=1, random_state=seed, **params).fit(xtr, view["train"]["y"])
                fit_s = time.perf_counter() - t0
                fpred = {p: rf.predict(unpack_bits(view[p]["fps"], 2048)) for p in ("valid", "test")}
                eval_bits = np.unpackbits(np.concatenate([view["valid"]["fps"], view["test"]["fps"]]), axis=1)
                frep = {"fit_s": fit_s, "params": params,
                        **forest_report(rf, eval_bits, time_bits, work / f"{ds}_{tag}_seed{seed}.safetensors")}
                del rf
                work.mkdir(parents=True, exist_ok=True)
                np.savez(cache, **fpred)
                from drugscreen.jsonio import write_json
                write_json(cache_json, frep)
            entry: dict[str, Any] = {"forest": {p: _score(y[p], fpred[p], kind) for p in y}, "cost": frep, "blend": {}}
            modes = ("prob", "prob_cal", "rank") if kind == "classification" else ("value",)
            for mode in modes:
                pan = panel_cal if mode == "prob_cal" else panel_raw
                entry["blend"][mode] = _blend(pan, fpred, y, kind, "rank" if mode == "rank" else "value")
            rec[tag] = entry
            bl = entry["blend"][modes[0]]
            print(f"seed {seed} {ds:20s} {tag:5s} panel {rec['panel']['test']:.3f}  forest {entry['forest']['test']:.3f}  "
                  f"blend[{modes[0]}] {bl['test']:.3f} (w={bl['w']:.1f})  fit {frep['fit_s']:.0f}s  "
                  f"nodes {frep['n_nodes']}  {frep['size_mb_float32_values']:.1f} MB  "
                  f"numpy {frep.get('numpy_cpu_ms_per_mol', float('nan')):.3f} CPU-ms/mol  "
                  f"diff {frep['numpy_max_abs_diff_vs_sklearn']:.1e}", flush=True)
            if on_progress is not None:
                on_progress()
    return out


def _ms(values: list[float]) -> str:
    v = np.asarray(values, dtype=float)
    if len(v) == 1:
        return f"{v[0]:.3f}"
    return f"{v.mean():.3f} ± {v.std(ddof=1):.3f}"


def summarize(results: dict[int, dict[str, Any]], datasets: list[str]) -> tuple[dict[str, Any], str]:
    """Aggregate over seeds (the seeds that have the row so far): JSON summary and markdown."""
    seeds = sorted(results)
    nan = float("nan")
    summary: dict[str, Any] = {}
    lines = [
        "# Panel + ECFP4 random forest blend (benchmarks/blend_eval.py)",
        "",
        "Panel member = seed; forest `random_state` = seed; w chosen on validation only "
        "(grid 0..1 step 0.1; w = weight of the panel; one w per dataset, listed per seed). Test ROC-AUC ↑ "
        "(classification, mean over tasks) / RMSE ↓ (regression), mean ± sd over the seeds listed (n). Forests "
        "fitted on the dataset's molecules in the panel's leak-free joint training set. `prob`: raw panel "
        "member probabilities; `prob_cal`: member probabilities Platt-calibrated on validation; `rank`: rank "
        "average within the scored set. `bar`: chemprop D-MPNN on this split (the issue's accuracy bar).",
        "",
    ]
    for tag in ("full", "small"):
        lines += [f"## Forest `{tag}`", "",
                  "| dataset | bar | n | panel | forest | blend prob | w | blend prob_cal | w | blend rank | w |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for ds in datasets:
            rows = [results[s][ds] for s in seeds if ds in results[s] and tag in results[s][ds]]
            if not rows:
                continue
            ent: dict[str, Any] = {"n_seeds": len(rows), "panel": [r["panel"]["test"] for r in rows],
                                   "forest": [r[tag]["forest"]["test"] for r in rows]}
            cells = [ds, f"{BAR.get(ds, nan):.3f}", str(len(rows)), _ms(ent["panel"]), _ms(ent["forest"])]
            modes = ("prob", "prob_cal", "rank") if ds in CLASSIFICATION else ("value",)
            for mode in modes:
                ent[f"blend_{mode}"] = [r[tag]["blend"][mode]["test"] for r in rows]
                ent[f"w_{mode}"] = [r[tag]["blend"][mode]["w"] for r in rows]
                cells += [_ms(ent[f"blend_{mode}"]), ",".join(f"{w:.1f}" for w in ent[f"w_{mode}"])]
            while len(cells) < 11:
                cells.append("—")
            lines.append("| " + " | ".join(cells) + " |")
            summary.setdefault(tag, {})[ds] = ent
        lines.append("")
    lines += ["## Forest cost (first seed that has it; single thread; CPU time, robust to other jobs)", "",
              "| dataset | forest | seed | trees/task × tasks | nodes | max depth | safetensors MB | numpy CPU ms/mol "
              "| sklearn CPU ms/mol | max abs diff numpy vs sklearn | fit s (wall) |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    totals: dict[str, dict[str, float]] = {}
    for tag in ("full", "small"):
        tot = totals.setdefault(tag, {"n_nodes": 0, "size_mb": 0.0, "numpy_cpu_ms": 0.0, "sklearn_cpu_ms": 0.0,
                                      "max_diff": 0.0, "n_datasets": 0})
        for ds in datasets:
            hit = [(s, results[s][ds]) for s in seeds if ds in results[s] and tag in results[s][ds]
                   and "numpy_cpu_ms_per_mol" in results[s][ds][tag]["cost"]]
            if not hit:
                continue
            s, r = hit[0]
            c = r[tag]["cost"]
            lines.append(f"| {ds} | {tag} | {s} | {c['params']['n_estimators']} × {len(r['tasks'])} | {c['n_nodes']:,} | "
                         f"{c['max_depth']} | {c['size_mb_float32_values']:.2f} | {c['numpy_cpu_ms_per_mol']:.3f} | "
                         f"{c['sklearn_cpu_ms_per_mol']:.3f} | {c['numpy_max_abs_diff_vs_sklearn']:.1e} | {c['fit_s']:.0f} |")
            tot["n_nodes"] += c["n_nodes"]
            tot["size_mb"] += c["size_mb_float32_values"]
            tot["numpy_cpu_ms"] += c["numpy_cpu_ms_per_mol"]
            tot["sklearn_cpu_ms"] += c["sklearn_cpu_ms_per_mol"]
            tot["max_diff"] = max(tot["max_diff"], c["numpy_max_abs_diff_vs_sklearn"])
            tot["n_datasets"] += 1
        lines.append(f"| **sum ({tot['n_datasets']} datasets)** | {tag} | | | {tot['n_nodes']:,} | | {tot['size_mb']:.2f} | "
                     f"{tot['numpy_cpu_ms']:.3f} | {tot['sklearn_cpu_ms']:.3f} | {tot['max_diff']:.1e} | |")
    lines.append("")
    summary["cost_totals"] = totals
    return summary, "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--datasets", nargs="+", default=CLASSIFICATION + REGRESSION)
    parser.add_argument("--trees", type=int, default=200, help="trees per task of the full forest")
    parser.add_argument("--small-trees", type=int, default=100, help="trees per task of the shippable forest")
    parser.add_argument("--small-leaf", type=int, default=3, help="min_samples_leaf of the shippable forest")
    parser.add_argument("--n-time", type=int, default=4096, help="molecules in the inference timing")
    parser.add_argument("--bundle", default="panel")
    parser.add_argument("--work-dir", default=str(Path.home() / ".cache" / "drugscreen" / "blend_eval"),
                        help="per-seed prediction cache (npz/json)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "panel" / "blend"))
    args = parser.parse_args(argv)

    import torch

    from drugscreen.bundle import load_bundle
    from drugscreen.training.data import build_training_data

    torch.set_num_threads(1)
    bundle = load_bundle(args.bundle)
    if bundle.config.get("forest"):
        # since commit c0fdb6f the shipped panel blends small forests into some tasks inside
        # predict_raw; this experiment needs the GNN members alone (no library switch for that)
        bundle.config = {k: v for k, v in bundle.config.items() if k != "forest"}
        print("bundle has a blended forest: evaluating its GNN members alone", flush=True)
    panel_names = list(bundle.config["data"])
    t0 = time.perf_counter()
    data = build_training_data(panel_names, split=bundle.config["split"]["kind"],
                               data_dir=os.environ.get("DRUGSCREEN_DATA_DIR"))
    for d in data.datasets:  # same split files and leak removal as the shipped panel
        rec = bundle.config["data"][d.name]
        if (d.split_sha256, d.n_train) != (rec["split_sha256"], rec["n_train"]):
            raise SystemExit(f"{d.name}: split differs from the bundle's ({d.split_sha256[:12]}/{d.n_train} vs "
                             f"{rec['split_sha256'][:12]}/{rec['n_train']})")
    if [t["name"] for t in data.tasks] != bundle.task_names:
        raise SystemExit("task order differs from the bundle's")
    print(f"training data built in {time.perf_counter() - t0:.0f}s; splits match the bundle", flush=True)
    t0 = time.perf_counter()
    panel_cache = {p: bundle.predict_raw(getattr(data, p).graphs, fps=getattr(data, p).fps) for p in ("valid", "test")}
    print(f"panel predictions in {time.perf_counter() - t0:.0f}s", flush=True)

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[int, dict[str, Any]] = {}
    md = ""

    def save() -> None:
        nonlocal md
        summary, md = summarize(results, args.datasets)
        payload = {"argv": sys.argv[1:], "seeds": sorted(results), "params": dict(vars(args)),
                   "summary": summary, "per_seed": {str(s): r for s, r in results.items()}}
        from drugscreen.jsonio import write_json
        write_json(out_dir / "blend_eval.json", payload, fallback=float)
        (out_dir / "blend_eval.md").write_text(md)

    for seed in args.seeds:
        results[seed] = {}
        run_seed(seed, data, bundle, args.datasets, args, panel_cache, results[seed], save)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
