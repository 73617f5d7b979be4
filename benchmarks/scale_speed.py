"""Throughput of `drugscreen screen --engine ray` with 1 and 2 local Ray workers, and the scaling efficiency.

Screens the first N molecules of MoleculeNet HIV (``$DRUGSCREEN_DATA_DIR/moleculenet/HIV.csv``)
with the shipped panel when it is installed (``drugscreen/resources/models/panel``), else with
the tiny test bundle (said in the output). One local Ray is started with as many CPUs as the
largest worker count, and one run per worker count is timed (its actor start-up, i.e. imports
and loading the panel, is part of it). The local engine (one process) is timed too, as the
reference.

Reported per run: wall seconds of the whole call (staging, Ray pipeline, ranking, checks), of
the Ray scoring pipeline alone (actor start-up included) and of the driver's serial steps
(staging the text input as Parquet; ranking, rank write-back and checks), molecules/s, and the
scaling efficiency ``throughput(2) / (2 * throughput(1))``. This machine has 2 cores and is
shared with other jobs, so the figures are upper bounds on the time (lower bounds on
throughput) and the efficiency is only indicative.

    python benchmarks/scale_speed.py [--n 4000] [--out benchmarks/results/scale_speed]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bundle() -> tuple[str, str]:
    shipped = ROOT / "drugscreen" / "resources" / "models" / "panel"
    if (shipped / "config.json").is_file():
        return str(shipped), "shipped panel (drugscreen/resources/models/panel)"
    return str(ROOT / "tests" / "data" / "tiny_bundle"), "tiny test bundle (the shipped panel was not installed when this ran)"


def _input(n: int, work: Path) -> Path:
    import pandas as pd

    data_dir = os.environ.get("DRUGSCREEN_DATA_DIR")
    if not data_dir:
        sys.exit("set DRUGSCREEN_DATA_DIR (the folder holding moleculenet/HIV.csv)")
    hiv = pd.read_csv(Path(data_dir) / "moleculenet" / "HIV.csv", usecols=["smiles"], nrows=n)
    path = work / f"hiv_{n}.smi"
    path.write_text("\n".join(f"{s} hiv{i}" for i, s in enumerate(hiv["smiles"])) + "\n")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4000, help="HIV molecules to screen")
    ap.add_argument("--workers", default="1,2", help="worker counts to time")
    ap.add_argument("--out", default=None, help="write <out>.json and <out>.txt")
    args = ap.parse_args()

    import ray

    from drugscreen.screening.ray_engine import run_screen_ray
    from drugscreen.screening.run import run_screen
    from drugscreen.screening.screener import Screener

    os.environ.setdefault("RAY_DATA_LOG_LEVEL", "WARNING")
    # Ray workers at this process's priority, as the local engine's (Ray's default: 15 nice levels lower)
    os.environ.setdefault("RAY_worker_niceness", "0")
    panel, panel_note = _bundle()
    work = Path(tempfile.mkdtemp(prefix="scale_speed_"))
    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    try:
        src = _input(args.n, work)
        screener = Screener.load(panel=panel)
        say(f"scale_speed: {args.n} HIV molecules, {panel_note}")
        say(f"host: {os.cpu_count()} CPUs (shared with other jobs: figures are upper bounds on time), python {platform.python_version()}, ray {ray.__version__}")

        t = time.perf_counter()
        local = run_screen(src, work / "local.parquet", screener=screener, jobs=1)
        local_s = time.perf_counter() - t
        say(f"local engine, 1 process: {local_s:.1f} s, {local.rows / local_s:.0f} mol/s")

        runs = []
        counts = [int(x) for x in args.workers.split(",")]
        # one local Ray with as many CPUs as the largest pool; each run uses an actor pool of w
        ray.init(num_cpus=max(counts), include_dashboard=False, logging_level="WARNING", log_to_driver=False)
        for w in counts:
            try:
                t = time.perf_counter()
                s = run_screen_ray(src, work / f"ray_{w}", screener=screener, num_workers=w)
                wall = time.perf_counter() - t
            except BaseException:
                ray.shutdown()
                raise
            run = {
                "workers": w,
                "rows": s.rows,
                "parts": s.parts,
                "block_rows": s.block_rows,
                "wall_s": round(wall, 2),
                "stage_s": round(s.stage_seconds, 2),
                "pipeline_s": round(s.score_seconds, 2),
                "finish_s": round(s.finish_seconds, 2),
                "mol_per_s": round(s.rows / wall, 1),
                "pipeline_mol_per_s": round(s.rows / s.score_seconds, 1),
            }
            runs.append(run)
            say(
                f"ray engine, {w} worker(s): {wall:.1f} s wall ({run['mol_per_s']:.0f} mol/s), "
                f"pipeline {s.score_seconds:.1f} s ({run['pipeline_mol_per_s']:.0f} mol/s); driver: staging {s.stage_seconds:.1f} s, "
                f"rank+checks {s.finish_seconds:.1f} s; {s.parts} parts of <= {s.block_rows} rows"
            )
        ray.shutdown()
        by_w = {r["workers"]: r for r in runs}
        eff = None
        if 1 in by_w and 2 in by_w:
            eff = by_w[2]["mol_per_s"] / (2 * by_w[1]["mol_per_s"])
            eff_pipe = by_w[2]["pipeline_mol_per_s"] / (2 * by_w[1]["pipeline_mol_per_s"])
            say(f"scaling efficiency 1 -> 2 workers: {eff:.2f} (wall), {eff_pipe:.2f} (pipeline); 1.00 = linear")
        if args.out:
            out = Path(args.out)
            out.parent.mkdir(parents=True, exist_ok=True)
            record = {
                "benchmark": "scale_speed",
                "command": "python benchmarks/scale_speed.py " + " ".join(sys.argv[1:]),
                "molecules": args.n,
                "panel": panel_note,
                "host": {"cpus": os.cpu_count(), "shared": True, "python": platform.python_version(), "ray": ray.__version__},
                "local": {"wall_s": round(local_s, 2), "mol_per_s": round(local.rows / local_s, 1)},
                "ray": runs,
                "scaling_efficiency_wall": round(eff, 3) if eff is not None else None,
                "note": "2-core machine shared with other jobs: times are upper bounds, efficiency indicative only",
            }
            from drugscreen.jsonio import write_json
            write_json(out.with_suffix(".json"), record)
            out.with_suffix(".txt").write_text("\n".join(lines) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
