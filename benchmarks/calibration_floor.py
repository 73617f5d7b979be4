"""How far an installed panel's test ECE is from what sampling alone would give.

A 10-bin expected calibration error (ECE) is biased upwards on small test sets: even a model
whose probabilities are exactly right shows a positive ECE, because each bin's observed positive
rate is a sample. This script scores each classification dataset's test part with the bundle
(calibrated ensemble mean, as ``drugscreen screen`` reports it), computes the observed ECE (mean
over the dataset's tasks, as the model card does), and the ECE a perfectly calibrated model
with exactly these probabilities would show: labels drawn as Bernoulli(p) for the same
molecules, ``--draws`` times (median and 95th percentile). An observed ECE inside that range
is what a calibrated model would show at this test size; one far above it is miscalibration.
The validation and test ROC-AUC from the bundle's record are printed beside it, because the
calibrators are fitted on validation.

The last column is the gap between the mean calibrated probability and the observed positive
rate on test (mean over tasks of ``|mean p - mean y|``). ECE can never be below it (ECE is a
weighted sum of per-bin gaps ``|rate_b - p_b|``, which is at least ``|sum of the signed gaps|``).
Beside it, the same gap on validation, where the calibrators were fitted: Platt scaling matches
validation's positive rate (a gap of 0.000 there), so a test gap is a shift between the two parts,
the test scaffolds looking more (or less) active to the model than validation's did, which a
calibrator fitted on validation has no way to see.

    DRUGSCREEN_DATA_DIR=../shared/datasets python benchmarks/calibration_floor.py [--bundle panel]
        [--draws 200] [--out benchmarks/results/panel/calibration_floor.txt]
"""

from __future__ import annotations

import argparse

import numpy as np


def _mean_gap(part, pred: np.ndarray, dataset: int, cols: list[int]) -> float:
    """Mean over ``cols`` of ``|mean calibrated p - positive rate|`` on ``dataset``'s labelled molecules."""
    rows = part.dataset_index == dataset
    gaps = []
    for c in cols:
        ok = rows & ~np.isnan(part.y[:, c])
        if ok.any():
            gaps.append(abs(float(pred[ok, c].mean()) - float(part.y[ok, c].mean())))
    return float(np.mean(gaps)) if gaps else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", default="panel", help="installed bundle name or directory")
    ap.add_argument("--draws", type=int, default=200, help="simulated label sets per dataset")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None, help="also write the table to this file")
    args = ap.parse_args()

    from drugscreen.benchmarking.records import write_table_text
    from drugscreen.bundle import load_bundle
    from drugscreen.jsonio import number
    from drugscreen.training.data import build_training_data, predict_part
    from drugscreen.training.metrics import expected_calibration_error

    bundle = load_bundle(args.bundle)
    tcfg = bundle.config["training"]["config"]
    data = build_training_data(list(tcfg["dataset"]), split=tcfg.get("split", "scaffold"))
    part = data.test
    pred = predict_part(bundle, part).mean
    pred_valid = predict_part(bundle, data.valid).mean
    ens = bundle.metrics.get("ensemble", {})
    rng = np.random.default_rng(args.seed)

    lines = [
        f"# ECE against its sampling floor: {bundle.name} (test parts, calibrated ensemble mean, 10 bins, {args.draws} draws)",
        "",
        "| dataset | tasks | labelled molecules per task | ECE observed | ECE of a perfectly calibrated model: median (95th pct) | ROC-AUC valid / test | mean p - positive rate: valid / test (floor under ECE) |",
        "|---|---|---|---|---|---|---|",
    ]
    for k, d, cols in data.classification_groups():
        rows = part.dataset_index == k
        labelled = [(~np.isnan(part.y[rows, c])) for c in cols]
        observed = float(np.mean([expected_calibration_error(part.y[rows, c], pred[rows, c]) for c in cols]))
        floor = []
        for _ in range(args.draws):
            vals = []
            for c, ok in zip(cols, labelled, strict=True):
                p = pred[rows, c][ok]
                vals.append(expected_calibration_error((rng.random(len(p)) < p).astype(float), p))
            floor.append(float(np.mean(vals)))
        auc = [number(ens.get(s, {}).get(d.name, {}).get("roc_auc")) for s in ("valid", "test")]
        gap = {name: _mean_gap(getattr(data, name), p, k, cols) for name, p in (("valid", pred_valid), ("test", pred))}
        lines.append(
            f"| {d.name} | {len(cols)} | {int(np.mean([ok.sum() for ok in labelled]))} | {observed:.3f} | "
            f"{np.median(floor):.3f} ({np.percentile(floor, 95):.3f}) | {auc[0]:.3f} / {auc[1]:.3f} | "
            f"{gap['valid']:.3f} / {gap['test']:.3f} |"
        )
    print(write_table_text(args.out, lines), end="")


if __name__ == "__main__":
    main()
