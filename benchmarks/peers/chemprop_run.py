"""Train chemprop (installed in its own environment) on drugscreen's committed split files.

Runs in drugscreen's environment; calls the ``chemprop`` CLI of a separate virtual environment
(see README.md here), so no chemprop code is imported into, or copied into, this repository.
For each dataset × seed it:

1. loads the dataset with :func:`drugscreen.data.load_dataset` and the committed split file
   ``benchmarks/splits/<dataset>_<split>_<seed>.json`` (made by the benchmark runner; the same
   file our models and the random forest used — its sha256 goes into the record);
2. writes train/val/test CSVs (standardized SMILES, the same molecules our models see; with
   ``--smiles as-written`` the file's own SMILES instead, recorded as ``chemprop_dmpnn_as_written``)
   to a temporary folder and runs ``chemprop train -i train.csv val.csv test.csv`` with chemprop's
   defaults (D-MPNN, 50 epochs, best-validation checkpoint) and ``--pytorch-seed <seed>``;
3. runs ``chemprop predict`` on the valid and test CSVs, scores the predictions with
   :mod:`drugscreen.benchmarking.metrics` (the functions that score our own runs), and writes a
   run record (schema ``drugscreen.run/1``, model ``chemprop_dmpnn``) to
   ``benchmarks/results/runs/``.

Usage::

    python benchmarks/peers/chemprop_run.py --dataset bbbp --dataset esol --seeds 0 1 2 \\
        --chemprop /work/peers/chemprop-venv/bin/chemprop

Wall times are measured around the chemprop processes (``train_s`` includes chemprop's own
featurization and start-up; ``predict_s`` is the test-set ``chemprop predict`` call, start-up
included); peak memory is the chemprop child's ``ru_maxrss`` (``os.wait4``).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

logger = logging.getLogger("chemprop_run")

ROOT = Path(__file__).resolve().parents[2]
MODEL_NAME = "chemprop_dmpnn"
#: The record's model name per ``--smiles`` choice. ``as-written`` feeds chemprop the file's own SMILES
#: (what a model sees when it reads the MoleculeNet file directly); ClinTox's labels can be read from how its SMILES
#: are written (benchmarks/clintox_artifact.py), so the two runs side by side measure that artifact.
MODEL_NAMES = {"standardized": MODEL_NAME, "as-written": "chemprop_dmpnn_as_written"}


def _run(cmd: list[str], threads: int, log: Path) -> tuple[float, float]:
    """Run ``cmd``; return (wall seconds, peak RSS MiB of the child). Raise on failure."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    t0 = time.perf_counter()
    with open(log, "ab") as fh:
        fh.write((" ".join(cmd) + "\n").encode())
        fh.flush()
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{cmd[0]} {cmd[1]} failed with exit code {code}:\n{tail}")
    return wall, usage.ru_maxrss / 1024.0


def _write_csv(path: Path, smiles: list[str], y: np.ndarray) -> None:
    import pandas as pd

    df = pd.DataFrame({"smiles": smiles})
    for j in range(y.shape[1]):
        df[f"t{j}"] = y[:, j]
    df.to_csv(path, index=False, na_rep="")


def _chemprop_version(chemprop: str) -> str:
    py = Path(chemprop).with_name("python")
    try:
        out = subprocess.run([str(py), "-c", "import chemprop, torch; print(chemprop.__version__, torch.__version__)"],
                             capture_output=True, text=True, check=True, timeout=120)
        cp, tv = out.stdout.split()
        return f"{cp} (torch {tv})"
    except (subprocess.SubprocessError, OSError, ValueError):
        return "unknown"


def run_one(dataset_name: str, seed: int, split_kind: str, args: argparse.Namespace) -> Path:
    """Train and evaluate chemprop on one dataset/split/seed; return the record's path."""
    from drugscreen.benchmarking.metrics import evaluate
    from drugscreen.benchmarking.records import host_info, versions, write_record
    from drugscreen.benchmarking.splitfiles import get_split, split_path
    from drugscreen.data import load_dataset

    model_name = MODEL_NAMES[args.smiles]
    out_path = Path(args.results_dir) / f"{dataset_name}__{model_name}__{split_kind}__{seed}.json"
    if out_path.exists() and not args.force:
        logger.info("%s exists, skipped (--force to re-run)", out_path)
        return out_path
    t_start = time.perf_counter()
    ds = load_dataset(dataset_name, data_dir=args.data_dir)
    committed = split_path(args.splits_dir, ds.name, split_kind, seed).exists()
    split, split_file, split_sha = get_split(ds, split_kind, seed, args.splits_dir)
    if not committed:
        logger.warning("split file %s did not exist and was made now; commit it", split_file)
    load_s = time.perf_counter() - t_start
    task_type = ds.task_type
    smiles = ds.smiles_std if args.smiles == "standardized" else ds.smiles
    work = Path(tempfile.mkdtemp(prefix=f"chemprop_{dataset_name}_{seed}_"))
    try:
        for part, idx in (("train", split.train), ("val", split.valid), ("test", split.test)):
            _write_csv(work / f"{part}.csv", [smiles[i] for i in idx], ds.y[idx])
        log = work / "chemprop.log"
        targets = [f"t{j}" for j in range(ds.n_tasks)]
        train_cmd = [
            args.chemprop, "train",
            "-i", str(work / "train.csv"), str(work / "val.csv"), str(work / "test.csv"),
            "-s", "smiles", "--target-columns", *targets,
            "-t", task_type, "-o", str(work / "model"),
            "--epochs", str(args.epochs), "--pytorch-seed", str(seed), "--data-seed", str(seed),
            "--accelerator", "cpu", "--devices", "1", "-n", "0",
        ]
        train_s, train_rss = _run(train_cmd, args.threads, log)
        ckpts = sorted((work / "model").rglob("best*.pt")) or sorted((work / "model").rglob("*.pt"))
        if not ckpts:
            raise RuntimeError(f"chemprop wrote no model under {work / 'model'}")
        model_path = ckpts[0]
        preds: dict[str, np.ndarray] = {}
        predict_s = 0.0
        predict_rss = 0.0
        for part in ("val", "test"):
            out_csv = work / f"pred_{part}.csv"
            cmd = [args.chemprop, "predict", "-i", str(work / f"{part}.csv"), "-s", "smiles",
                   "--model-paths", str(model_path), "-o", str(out_csv),
                   "--accelerator", "cpu", "--devices", "1", "-n", "0"]
            wall, rss = _run(cmd, args.threads, log)
            if part == "test":
                predict_s = wall
            predict_rss = max(predict_rss, rss)
            import pandas as pd

            df = pd.read_csv(out_csv)
            preds[part] = df[targets].to_numpy(dtype=float)
        metrics = {
            "valid": evaluate(ds.y[split.valid], preds["val"], task_type, ds.task_names),
            "test": evaluate(ds.y[split.test], preds["test"], task_type, ds.task_names),
        }
        record = {
            "dataset": ds.name,
            "model": model_name,
            "split": split_kind,
            "seed": seed,
            "config": {
                "peer": "chemprop",
                "chemprop": _chemprop_version(args.chemprop),
                "command": " ".join(c if not c.startswith(str(work)) else c.replace(str(work), "$WORK") for c in train_cmd),
                "epochs": args.epochs,
                "defaults": "chemprop 2.3.1 CLI defaults otherwise (D-MPNN, hidden 300, depth 3, "
                            "best-validation checkpoint)",
                "threads": args.threads,
                "task_type": task_type,
                "tasks": ds.task_names,
                "smiles": ("smiles_std (drugscreen standardized, the molecules our models see)"
                           if args.smiles == "standardized" else
                           "as written in the dataset file (the same molecules; not standardized)"),
            },
            "versions": {**versions(), "chemprop": _chemprop_version(args.chemprop)},
            "data_sha256": ds.sha256,
            "split_sha256": split_sha,
            "split_file": str(split_file.relative_to(ROOT)) if split_file.is_relative_to(ROOT) else str(split_file),
            "sizes": {"train": len(split.train), "valid": len(split.valid), "test": len(split.test)},
            "metrics": metrics,
            "times": {"load_s": round(load_s, 3), "train_s": round(train_s, 3), "predict_s": round(predict_s, 3),
                      "total_s": round(time.perf_counter() - t_start, 3)},
            "throughput": {"predict_mol_per_s": round(len(split.test) / predict_s, 1) if predict_s else None},
            "peak_rss_mb": round(max(train_rss, predict_rss), 1),
            "host": host_info(),
            "command": (f"python benchmarks/peers/chemprop_run.py --dataset {ds.name} --seeds {seed} "
                        f"--split {split_kind} --epochs {args.epochs} --smiles {args.smiles} --force"),
            "notes": ["predict_s includes chemprop CLI start-up (~seconds)"],
        }
        path = write_record(record, out_path)
        primary = "roc_auc" if task_type == "classification" else "rmse"
        logger.info("%s/%s/%d: test %s %.3f (train %.0fs) -> %s", ds.name, model_name, seed, primary,
                    metrics["test"][primary] or float("nan"), train_s, path)
        return path
    finally:
        if args.keep:
            logger.info("kept chemprop outputs in %s", work)
        else:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", action="append", required=True, help="dataset name (repeatable)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--split", default="scaffold", choices=["scaffold", "balanced_scaffold", "random"])
    p.add_argument("--chemprop", default=os.environ.get("CHEMPROP_BIN", "/work/peers/chemprop-venv/bin/chemprop"),
                   help="the chemprop executable of its own venv (env CHEMPROP_BIN)")
    p.add_argument("--epochs", type=int, default=50, help="chemprop's default is 50")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--smiles", default="standardized", choices=sorted(MODEL_NAMES),
                   help="standardized (what drugscreen's models see; default) or as-written (the file's "
                        "own SMILES, as read from the MoleculeNet file; recorded as "
                        f"{MODEL_NAMES['as-written']})")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--splits-dir", default=str(ROOT / "benchmarks" / "splits"))
    p.add_argument("--results-dir", default=str(ROOT / "benchmarks" / "results" / "runs"))
    p.add_argument("--force", action="store_true", help="re-run cells whose record exists")
    p.add_argument("--keep", action="store_true", help="keep chemprop's temporary outputs")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not Path(args.chemprop).exists() and shutil.which(args.chemprop) is None:
        p.error(f"chemprop executable not found: {args.chemprop} (see benchmarks/peers/README.md)")
    failed = 0
    for name in args.dataset:
        for seed in args.seeds:
            try:
                run_one(name, seed, args.split, args)
            except Exception as exc:  # one failed cell must not stop the others
                logger.error("%s seed %d failed: %s", name, seed, exc)
                failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
