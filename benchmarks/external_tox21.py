"""External test of the Tox21 endpoints: ToxCast molecules that no panel dataset contains.

The twelve Tox21 challenge assays were also run, as part of the EPA's ToxCast programme, on
ToxCast's chemical library, and MoleculeNet's ToxCast file carries their hit calls (columns
``TOX21_*``). ToxCast molecules found in none of the panel's nine datasets (by standardized
SMILES) were never seen by the panel, in any split; the peer ADMET-AI trains its Tox21 models on
all 7,831 Tox21 molecules and has no ToxCast data, so they are external to it too. This script

1. checks the assay mapping below on the molecules in both Tox21 and ToxCast (how often the two
   files' labels agree; they come from different processing pipelines, so not always);
2. scores the external molecules with the installed panel (``Screener``, the shipped model as a
   user gets it) and, when its virtual environment exists, with ADMET-AI (``admet_predict``, as
   in ``benchmarks/peers/admet_ai_speed.py``), both from the SMILES as written in ToxCast;
3. prints per-assay ROC-AUC and PR-AUC of both, the mean over assays, and a paired bootstrap
   (molecules resampled, 1,000 times) of the difference of the means.

    export DRUGSCREEN_DATA_DIR=../shared/datasets
    python benchmarks/external_tox21.py [--venv /work/peers/admet-ai-venv] [--out benchmarks/results/external_tox21]
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

#: Tox21 challenge task -> the same assay's hit call in MoleculeNet's ToxCast file
#: (Tox21 assay protocol names in parentheses).
TOX21_TO_TOXCAST = {
    "NR-AR": "TOX21_AR_LUC_MDAKB2_Agonist",  # tox21-ar-mda-kb2-luc-agonist (full-length AR)
    "NR-AR-LBD": "TOX21_AR_BLA_Agonist_ratio",  # tox21-ar-bla-agonist (AR ligand-binding domain)
    "NR-AhR": "TOX21_AhR_LUC_Agonist",  # tox21-ahr
    "NR-Aromatase": "TOX21_Aromatase_Inhibition",  # tox21-aromatase
    "NR-ER": "TOX21_ERa_LUC_BG1_Agonist",  # tox21-er-luc-bg1-4e2-agonist (full-length ER)
    "NR-ER-LBD": "TOX21_ERa_BLA_Agonist_ratio",  # tox21-er-bla-agonist (ER ligand-binding domain)
    "NR-PPAR-gamma": "TOX21_PPARg_BLA_Agonist_ratio",  # tox21-pparg-bla-agonist
    "SR-ARE": "TOX21_ARE_BLA_agonist_ratio",  # tox21-are-bla
    "SR-ATAD5": "TOX21_ELG1_LUC_Agonist",  # tox21-elg1-luc (ELG1 = ATAD5)
    "SR-HSE": "TOX21_HSE_BLA_agonist_ratio",  # tox21-hse-bla
    "SR-MMP": "TOX21_MMP_ratio_down",  # tox21-mitotox (membrane potential down)
    "SR-p53": "TOX21_p53_BLA_p1_ratio",  # tox21-p53-bla-p1
}


def _fmt(x: float | None, digits: int = 3) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _auc(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    from sklearn.metrics import average_precision_score, roc_auc_score

    ok = ~np.isnan(y) & ~np.isnan(p)
    y, p = y[ok], p[ok]
    if len(np.unique(y)) < 2:
        return float("nan"), float("nan")
    return float(roc_auc_score(y, p)), float(average_precision_score(y, p))


def _mean_auc(y: np.ndarray, p: np.ndarray, rows: np.ndarray) -> float:
    vals = [_auc(y[rows, t], p[rows, t])[0] for t in range(y.shape[1])]
    vals = [v for v in vals if not math.isnan(v)]
    return float(np.mean(vals)) if vals else float("nan")


def _admet_ai(smiles: list[str], venv: Path, tasks: list[str]) -> np.ndarray | None:
    """ADMET-AI's Tox21 probabilities ``(n, 12)``, or None when it is not installed."""
    import pandas as pd

    exe = venv / "bin" / "admet_predict"
    if not exe.exists():
        print(f"ADMET-AI not installed ({exe} missing): its column is left out")
        return None
    with tempfile.TemporaryDirectory(prefix="external-tox21-") as tmp:
        src, out = Path(tmp) / "in.csv", Path(tmp) / "out.csv"
        pd.DataFrame({"smiles": smiles}).to_csv(src, index=False)
        t0 = time.perf_counter()
        proc = subprocess.run([str(exe), "--data_path", str(src), "--save_path", str(out), "--smiles_column", "smiles"],
                              capture_output=True, text=True, check=False)  # fmt: skip
        if proc.returncode != 0:
            print(f"admet_predict failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
            return None
        print(f"ADMET-AI scored {len(smiles):,} molecules in {time.perf_counter() - t0:.0f} s")
        pred = pd.read_csv(out)
    if len(pred) != len(smiles):
        raise SystemExit(f"admet_predict wrote {len(pred)} rows for {len(smiles)} molecules")
    return pred[tasks].to_numpy(dtype=float)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--panel", default=None, help="installed bundle name or directory (default: the shipped panel)")
    ap.add_argument("--venv", type=Path, default=Path(os.environ.get("ADMET_AI_VENV", "/work/peers/admet-ai-venv")))
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--out", default=None, help="write <out>.json and <out>.md")
    args = ap.parse_args()

    from rdkit import rdBase

    from drugscreen import Screener
    from drugscreen.data import load_dataset
    from drugscreen.descriptor_ranges import mentions

    screener = Screener.load(args.panel, profile=None)
    panel_sets = sorted({t["dataset"] for t in screener.bundle.tasks})
    if "tox21" not in panel_sets:
        raise SystemExit(f"panel {screener.bundle.name} has no tox21 endpoints")
    with rdBase.BlockLogs():
        toxcast = load_dataset("toxcast")
        panel_data = {name: load_dataset(name) for name in panel_sets}
    seen: dict[str, set[str]] = {name: set(ds.smiles_std) for name, ds in panel_data.items()}
    tasks = list(TOX21_TO_TOXCAST)
    col = {t.name: i for i, t in enumerate(toxcast.tasks)}
    y_all = np.column_stack([toxcast.y[:, col[TOX21_TO_TOXCAST[t]]] for t in tasks])

    # 1. the mapping, on molecules in both files
    tox21 = panel_data["tox21"]
    t21_index = {s: i for i, s in enumerate(tox21.smiles_std)}
    t21_col = {t.name: i for i, t in enumerate(tox21.tasks)}
    both = [(i, t21_index[s]) for i, s in enumerate(toxcast.smiles_std) if s in t21_index]
    agreement = []
    for k, t in enumerate(tasks):
        a = np.array([y_all[i, k] for i, _ in both])
        b = np.array([tox21.y[j, t21_col[t]] for _, j in both])
        ok = ~np.isnan(a) & ~np.isnan(b)
        a, b = a[ok], b[ok]
        pos = b == 1
        agreement.append({"task": t, "toxcast_column": TOX21_TO_TOXCAST[t], "n": int(ok.sum()),
                          "agree": float((a == b).mean()) if len(a) else float("nan"),
                          "tox21_pos_also_toxcast_pos": float((a[pos] == 1).mean()) if pos.any() else float("nan"),
                          "toxcast_pos_rate": float(a.mean()) if len(a) else float("nan"),
                          "tox21_pos_rate": float(b.mean()) if len(b) else float("nan")})  # fmt: skip

    # 2. external molecules: in no panel dataset, with at least one of the 12 labels
    unseen = np.array([not any(s in seen[d] for d in panel_sets) for s in toxcast.smiles_std])
    rows = np.flatnonzero(unseen & (~np.isnan(y_all)).any(axis=1))
    smiles = [toxcast.smiles[i] for i in rows]
    y = y_all[rows]
    print(f"ToxCast: {len(toxcast):,} molecules, {len(both):,} also in Tox21, {int(unseen.sum()):,} in no panel dataset "
          f"({', '.join(panel_sets)}); {len(rows):,} of those have a Tox21-assay label")
    t0 = time.perf_counter()
    scored = screener.score(smiles)
    print(f"drugscreen scored {len(smiles):,} molecules in {time.perf_counter() - t0:.0f} s")
    endpoint = {e.name: e.column for e in screener.all_endpoints if e.dataset == "tox21"}
    by_column = {t["column"]: t["name"] for t in screener.bundle.tasks if t["dataset"] == "tox21"}
    ours = np.column_stack([scored[endpoint[by_column[t]]].to_numpy(dtype=float) for t in tasks])
    peer = _admet_ai(smiles, args.venv, tasks)
    # molecules the panel refuses (e.g. inorganic salts) get no score: compare both tools on the
    # molecules both scored, so that neither is judged on molecules the other left out
    valid = scored["valid"].astype("boolean").to_numpy(dtype=bool, na_value=False)
    refused = [{"smiles": smiles[i], "error": str(scored["error"].iloc[i])} for i in np.flatnonzero(~valid)]
    peer_all = peer
    if peer is not None:
        both_scored = valid & ~np.isnan(peer).all(axis=1)
        peer = np.where(both_scored[:, None], peer, np.nan)
        ours = np.where(both_scored[:, None], ours, np.nan)
    print(f"drugscreen refused {len(refused)} of {len(smiles)} molecules (no score): "
          + "; ".join(f"{r['smiles']} ({r['error'][:40]})" for r in refused[:5]) + (" ..." if len(refused) > 5 else ""))

    # 3. metrics
    per_task = []
    for k, t in enumerate(tasks):
        labelled = ~np.isnan(y[:, k]) & ~np.isnan(ours[:, k])
        roc, pr = _auc(y[:, k], ours[:, k])
        entry = {"task": t, "n": int(labelled.sum()), "n_pos": int(np.nansum(y[:, k])), "drugscreen_roc_auc": roc, "drugscreen_pr_auc": pr}
        if peer is not None:
            entry["admet_ai_roc_auc"], entry["admet_ai_pr_auc"] = _auc(y[:, k], peer[:, k])
        per_task.append(entry)
    everyone = np.arange(len(y))
    result: dict = {
        "panel": str(screener.bundle.path), "n_toxcast": len(toxcast), "n_in_tox21": len(both),
        "n_external": int(len(rows)), "panel_datasets": panel_sets, "mapping_agreement": agreement, "per_task": per_task,
        "drugscreen_mean_roc_auc": _mean_auc(y, ours, everyone), "drugscreen_refused": refused,
    }  # fmt: skip
    # the applicability domain on external molecules: the panel's own flags
    in_dom = scored["in_domain"].astype("boolean").to_numpy(dtype=bool, na_value=False)
    beyond = mentions(scored["out_of_range"], "tox21")
    # each dataset's own domain (the screen's out_of_domain_for; empty for a bundle without it)
    from drugscreen.domain import far_datasets

    far = np.array(["tox21" in far_datasets(t) for t in scored["out_of_domain_for"].fillna("").astype(str)], dtype=bool)
    domain_rows = []
    for label, mask in (("in_domain = true", in_dom & valid), ("in_domain = false", ~in_dom & valid),
                        ("inside Tox21's descriptor range", ~beyond & valid), ("beyond Tox21's descriptor range", beyond & valid),
                        ("Tox21's own training molecules at or above the threshold", ~far & valid),
                        ("out_of_domain_for names tox21", far & valid)):
        rows_m = np.flatnonzero(mask)
        domain_rows.append({"subset": label, "n": int(len(rows_m)), "drugscreen_mean_roc_auc": _mean_auc(y, ours, rows_m),
                            **({"admet_ai_mean_roc_auc": _mean_auc(y, peer, rows_m)} if peer is not None else {})})
    result["by_domain"] = domain_rows
    if peer is not None:
        result["admet_ai_mean_roc_auc"] = _mean_auc(y, peer, everyone)
        result["admet_ai_mean_roc_auc_all_molecules"] = _mean_auc(y, peer_all, everyone)
        rng = np.random.default_rng(0)
        diffs = []
        for _ in range(args.bootstrap):
            b = rng.integers(0, len(y), len(y))
            diffs.append(_mean_auc(y, ours, b) - _mean_auc(y, peer, b))
        lo, hi = np.percentile(diffs, [2.5, 97.5])
        result["mean_roc_auc_difference"] = {"value": result["drugscreen_mean_roc_auc"] - result["admet_ai_mean_roc_auc"],
                                             "ci95": [float(lo), float(hi)], "bootstrap": args.bootstrap}  # fmt: skip

    lines = [
        "# External test of the Tox21 endpoints on ToxCast molecules no panel dataset contains",
        "",
        "Command: `python benchmarks/external_tox21.py" + (f" --out {args.out}" if args.out else "") + "`"
        + f" ({time.strftime('%Y-%m-%d', time.gmtime())}).",
        "",
        f"ToxCast has {len(toxcast):,} molecules; {len(both):,} are also in Tox21; {int(unseen.sum()):,} are in none of the panel's "
        f"datasets (by standardized SMILES), and {len(rows):,} of these carry a label for at least one of the 12 assays.",
        "",
        "## The assay mapping, checked on the molecules in both files",
        "",
        "| Tox21 task | ToxCast column | n in both | labels agree | Tox21 positives also ToxCast positive | positive rate ToxCast / Tox21 |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {a['task']} | `{a['toxcast_column']}` | {a['n']:,} | {_fmt(a['agree'])} | {_fmt(a['tox21_pos_also_toxcast_pos'])} | "
              f"{_fmt(a['toxcast_pos_rate'])} / {_fmt(a['tox21_pos_rate'])} |" for a in agreement]
    head = "| task | n | positives | drugscreen ROC-AUC | drugscreen PR-AUC |"
    rule = "|---|---|---|---|---|"
    if peer is not None:
        head += " ADMET-AI ROC-AUC | ADMET-AI PR-AUC |"
        rule += "---|---|"
    lines += ["", "## External molecules", ""]
    if refused:
        shown = "; ".join(f"`{r['smiles']}`" for r in refused[:8]) + (" ..." if len(refused) > 8 else "")
        lines += [f"drugscreen refused {len(refused)} of the {len(smiles):,} molecules (no score; the reasons are in the JSON): "
                  f"{shown}. Both tools are compared on the molecules both scored (n below)"
                  + (f"; ADMET-AI's mean ROC-AUC on all {len(smiles):,} is {_fmt(result['admet_ai_mean_roc_auc_all_molecules'])}."
                     if peer is not None else "."), ""]
    lines += [head, rule]
    for e in per_task:
        line = f"| {e['task']} | {e['n']:,} | {e['n_pos']:,} | {_fmt(e['drugscreen_roc_auc'])} | {_fmt(e['drugscreen_pr_auc'])} |"
        if peer is not None:
            line += f" {_fmt(e['admet_ai_roc_auc'])} | {_fmt(e['admet_ai_pr_auc'])} |"
        lines.append(line)
    summary = f"Mean ROC-AUC over the tasks: drugscreen {_fmt(result['drugscreen_mean_roc_auc'])}"
    if peer is not None:
        d = result["mean_roc_auc_difference"]
        summary += (f", ADMET-AI {_fmt(result['admet_ai_mean_roc_auc'])}; difference {d['value']:+.3f} "
                    f"(95% paired bootstrap interval {d['ci95'][0]:+.3f} to {d['ci95'][1]:+.3f}, {d['bootstrap']} resamples of the molecules).")
    else:
        summary += "."
    lines += ["", summary, "", "## By the panel's applicability domain (mean ROC-AUC over the tasks with both classes in the subset)", "",
              "| subset | n | drugscreen | ADMET-AI |", "|---|---|---|---|"]
    lines += [f"| {r['subset']} | {r['n']:,} | {_fmt(r['drugscreen_mean_roc_auc'])} | {_fmt(r.get('admet_ai_mean_roc_auc'))} |" for r in domain_rows]
    from drugscreen.benchmarking.records import write_evidence

    print(write_evidence(args.out, result, lines))


if __name__ == "__main__":
    main()
