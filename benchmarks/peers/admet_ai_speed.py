"""Time ADMET-AI on the same molecules as benchmarks/screen_speed.py (a peer comparison).

ADMET-AI lives in its own virtual environment, never in drugscreen's ``.venv``::

    python3 -m venv /work/peers/admet-ai-venv
    /work/peers/admet-ai-venv/bin/pip install torch==2.13.0 admet-ai

Then, from the drugscreen checkout::

    export DRUGSCREEN_DATA_DIR=../shared/datasets
    python benchmarks/peers/admet_ai_speed.py [--n 10000] [--venv /work/peers/admet-ai-venv]

It writes the first N MoleculeNet HIV SMILES to a temporary CSV, runs ADMET-AI's
``admet_predict`` command on it as a separate process (model loading included, like the
drugscreen figure), and prints molecules/second and the CPU time used. When the environment
or the command is missing it says so and exits 0.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--venv", default=os.environ.get("ADMET_AI_VENV", "/work/peers/admet-ai-venv"))
    args = ap.parse_args()
    exe = Path(args.venv) / "bin" / "admet_predict"
    if not exe.exists():
        print(f"admet-ai is not installed ({exe} missing); create the venv as in this script's docstring. Skipped.")
        return
    data = Path(os.environ.get("DRUGSCREEN_DATA_DIR", "")) / "moleculenet" / "HIV.csv"
    if not data.is_file():
        sys.exit(f"HIV.csv not found under DRUGSCREEN_DATA_DIR ({data})")
    smiles: list[str] = []
    with open(data, newline="") as fh:
        for row in csv.DictReader(fh):
            smiles.append(row["smiles"])
            if len(smiles) >= args.n:
                break
    version = subprocess.run(
        [str(Path(args.venv) / "bin" / "python"), "-c", "import importlib.metadata as m; print(m.version('admet-ai'))"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="admet-ai-speed-") as tmp:
        src = Path(tmp) / "hiv.csv"
        with open(src, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["smiles"])
            w.writerows([s] for s in smiles)
        out = Path(tmp) / "preds.csv"
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [str(exe), "--data_path", str(src), "--save_path", str(out), "--smiles_column", "smiles"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        wall = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
        print(f"# ADMET-AI {version or '?'} speed ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}), load average {os.getloadavg()}")
        if proc.returncode != 0:
            print(f"admet_predict failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
            return
        rows = sum(1 for _ in open(out)) - 1 if out.exists() else 0
        print(
            f"admet_predict on {len(smiles):,} HIV molecules (separate process, model loading included): "
            f"{wall:.1f} s = {len(smiles) / wall:,.1f} mol/s; CPU {cpu:.1f} s = {cpu / len(smiles) * 1e3:.1f} ms/molecule; "
            f"{rows:,} rows written"
        )


if __name__ == "__main__":
    main()
