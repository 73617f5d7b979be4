"""Test ECE of each calibration method, refitted on an installed bundle's validation predictions.

The bundle's members (and forest blend) score each classification dataset's validation and test
parts without the stored calibration; each method of :mod:`drugscreen.training.calibration` is
then fitted on validation exactly as training fits it (per task, ``auto`` per dataset) and the
10-bin ECE on test is printed per dataset (mean over its tasks, as the model card reports it),
with the mean calibrated probability minus the observed positive rate on test, a floor under
ECE that no calibrator fitted on validation can be expected to close. ``auto`` also prints
which method each dataset chose. Ranking metrics do not change: every method is monotone.

    DRUGSCREEN_DATA_DIR=../shared/datasets python benchmarks/calibration_methods.py [--bundle panel]
        [--out benchmarks/results/panel/calibration_methods.txt]
"""

from __future__ import annotations

import argparse

import numpy as np

METHODS = ("none", "platt", "intercept", "temperature", "isotonic", "auto")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", default="panel", help="installed bundle name or directory")
    ap.add_argument("--out", default=None, help="also write the table to this file")
    args = ap.parse_args()

    from drugscreen.benchmarking.records import write_table_text
    from drugscreen.bundle import load_bundle
    from drugscreen.training.calibration import apply_calibration, fit_calibration
    from drugscreen.training.data import build_training_data, predict_part
    from drugscreen.training.metrics import expected_calibration_error

    bundle = load_bundle(args.bundle)
    stored = bundle.config.get("calibration") or {}
    bundle.config["calibration"] = None  # raw ensemble means (forest blended in), as calibration sees them
    tcfg = bundle.config["training"]["config"]
    data = build_training_data(list(tcfg["dataset"]), split=tcfg.get("split", "scaffold"))
    raw = {p: predict_part(bundle, getattr(data, p)).mean for p in ("valid", "test")}
    groups = {d.name: tuple(d.task_slice) for d in data.datasets}
    fitted = {m: fit_calibration(data.valid.y, raw["valid"], data.is_classification, m, groups=groups) for m in METHODS}
    test = {m: apply_calibration(raw["test"], cal) for m, cal in fitted.items()}

    part = data.test
    lines = [
        f"# Test ECE by calibration method: {bundle.name} (stored method: {stored.get('method')}; fitted on validation, "
        "10 bins, mean over each dataset's tasks)",
        "",
        "| dataset | " + " | ".join(METHODS) + " | auto chose | mean p - positive rate on test (auto) |",
        "|---|" + "---|" * (len(METHODS) + 2),
    ]
    chosen = (fitted["auto"].get("by_group") or {})
    for k, d, cols in data.classification_groups():
        rows = part.dataset_index == k
        cells, gaps = [], []
        for m in METHODS:
            vals = []
            for c in cols:
                ok = rows & ~np.isnan(part.y[:, c])
                if ok.any():
                    vals.append(expected_calibration_error(part.y[ok, c], test[m][ok, c]))
                    if m == "auto":
                        gaps.append(abs(float(test[m][ok, c].mean()) - float(part.y[ok, c].mean())))
            vals = [v for v in vals if not np.isnan(v)]
            cells.append(f"{np.mean(vals):.3f}" if vals else "–")
        pick = chosen.get(d.name, {}).get("method", "–")
        lines.append(f"| {d.name} | " + " | ".join(cells) + f" | {pick} | {np.mean(gaps):.3f} |")
    print(write_table_text(args.out, lines), end="")


if __name__ == "__main__":
    main()
