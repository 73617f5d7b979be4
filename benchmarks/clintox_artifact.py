"""How much of ClinTox's test ROC-AUC can be had from how the SMILES are *written*?

ClinTox joins two sources: FDA-approved drugs and compounds that failed clinical trials for
toxicity. The approved drugs were mostly written in a protonated/charged form (``[NH3+]``,
``[O-]``), the failed ones mostly neutral and more often as salts (``.``). A model that sees the
SMILES as written can learn that writing convention instead of chemistry. drugscreen
standardizes every molecule (largest fragment, neutralized) before any model sees it, for training
and for screening alike, so it cannot; published ClinTox figures near 0.9 come from pipelines
that featurize the SMILES as written.

This script measures it on the deterministic scaffold split the panel uses:

1. how often the SMILES is written with a charge / with a ``.`` per label;
2. the test ROC-AUC of a rule that reads only those two text features
   (score = written-with-charge - has-a-dot, sign per task), before and after standardization;
3. an ECFP4 random forest trained on the SMILES as written vs on the standardized molecules
   (same split, same forest), so the gap a learned model gets from the convention is measured.

Usage::

    DRUGSCREEN_DATA_DIR=../shared/datasets python benchmarks/clintox_artifact.py \
        --out benchmarks/results/clintox_artifact.txt
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from rdkit import Chem, RDLogger
from sklearn.ensemble import RandomForestClassifier

from drugscreen.data.loaders import load_dataset
from drugscreen.data.splits import make_split
from drugscreen.featurizers.fingerprints import MorganFingerprint
from drugscreen.training.metrics import classification_metrics

CHARGED = re.compile(r"[+-]\]")


def text_features(smiles: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(written with a formal charge, contains a '.') per SMILES, as 0/1 floats."""
    charged = np.array([bool(CHARGED.search(s)) for s in smiles], dtype=float)
    dotted = np.array(["." in s for s in smiles], dtype=float)
    return charged, dotted


def task_aucs(y: np.ndarray, scores: np.ndarray, tasks: list[str]) -> list[float]:
    """ROC-AUC per task column (``scores`` has one column per task), by the training metrics."""
    per_task = classification_metrics(y, scores, tasks)["per_task"]
    return [per_task[t]["roc_auc"] for t in tasks]


def ecfp(smiles: list[str]) -> np.ndarray:
    """ECFP4 bits (2048) of SMILES parsed as written (sanitized, nothing removed or neutralized)."""
    fp = MorganFingerprint(n_bits=2048, radius=2)
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    if any(m is None for m in mols):
        raise SystemExit("a ClinTox SMILES the loader accepted did not parse as written")
    return fp.featurize_many(mols).astype(np.float32)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=None, help="dataset directory (default: $DRUGSCREEN_DATA_DIR)")
    parser.add_argument("--trees", type=int, default=500)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--out", type=Path, default=None, help="also write the report here")
    args = parser.parse_args(argv)
    RDLogger.DisableLog("rdApp.*")

    ds = load_dataset("clintox", args.data_dir)
    split = make_split("scaffold", ds)
    tasks = ds.task_names
    sign = np.array([1.0 if t == "FDA_APPROVED" else -1.0 for t in tasks])
    lines = [
        f"# ClinTox: what the way SMILES are written predicts ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        f"# command: python benchmarks/clintox_artifact.py --trees {args.trees} --seeds {args.seeds}",
        f"molecules: {len(ds)} (train {len(split.train)} / valid {len(split.valid)} / test {len(split.test)}, "
        "deterministic scaffold split); tasks: " + ", ".join(tasks),
        "",
        "## 1. how the SMILES are written, per label (whole file)",
    ]
    charged, dotted = text_features(ds.smiles)
    charged_std, dotted_std = text_features(ds.smiles_std)
    for j, task in enumerate(tasks):
        for value in (0, 1):
            rows = ds.y[:, j] == value
            lines.append(
                f"{task}={value}: {int(rows.sum()):5d} molecules; written with a charge {charged[rows].mean():.0%}, "
                f"with a '.' {dotted[rows].mean():.0%}; after standardization: charge {charged_std[rows].mean():.0%}, "
                f"'.' {dotted_std[rows].mean():.0%}"
            )

    lines += ["", "## 2. a two-bit text rule (score = charge - dot; reversed for CT_TOX), test ROC-AUC"]
    for label, (c, d) in (("as written", (charged, dotted)), ("standardized", (charged_std, dotted_std))):
        score = (c - d)[:, None] * sign[None, :]
        test = task_aucs(ds.y[split.test], score[split.test], tasks)
        lines.append(f"{label:>13}: " + ", ".join(f"{t} {a:.3f}" for t, a in zip(tasks, test, strict=True))
                     + f"; mean {np.mean(test):.3f}")

    lines += ["", f"## 3. ECFP4 (2048 bits) + random forest ({args.trees} trees, min_samples_leaf 1), test ROC-AUC, mean ± sd over seeds"]
    seeds = [int(s) for s in args.seeds.split(",")]
    for label, smiles in (("as written", ds.smiles), ("standardized", ds.smiles_std)):
        x = ecfp(smiles)
        means = []
        for seed in seeds:
            scores = np.zeros((len(split.test), len(tasks)))
            for j in range(len(tasks)):
                tr = split.train[~np.isnan(ds.y[split.train, j])]
                forest = RandomForestClassifier(n_estimators=args.trees, n_jobs=-1, random_state=seed,
                                                class_weight="balanced")
                forest.fit(x[tr], ds.y[tr, j])
                scores[:, j] = forest.predict_proba(x[split.test])[:, 1]
            means.append(float(np.mean(task_aucs(ds.y[split.test], scores, tasks))))
        lines.append(f"{label:>13}: {np.mean(means):.3f} ± {np.std(means, ddof=1) if len(means) > 1 else 0:.3f} "
                     f"(n={len(means)}: " + ", ".join(f"{m:.3f}" for m in means) + ")")

    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
