"""Print the wall time of ``drugscreen --help`` (median of N runs): the start-up budget is 0.5 s.

Usage: ``python benchmarks/cli_startup.py [--runs 15] [--command "drugscreen --help"]``

Each run is a fresh process (``subprocess.run``), timed with ``time.perf_counter``; the first,
cold-cache run is reported separately and not counted. Wall time on a busy machine includes
waiting for a CPU, so the script also prints the CPU time (user + sys, ``resource``) of the
runs and the wall time of a bare ``python -c pass`` for comparison, plus which heavy modules
(torch, torch_geometric, deepchem, pandas, rdkit, sklearn, numpy) the CLI imported.
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import time

HEAVY = ["torch", "torch_geometric", "deepchem", "pandas", "rdkit", "sklearn", "numpy"]


def time_command(argv: list[str], runs: int) -> tuple[float, list[float], list[float]]:
    """Run ``argv`` ``runs + 1`` times; return the first (cold) wall time, then the wall and
    CPU (user + sys) times of the others."""
    wall, cpu = [], []
    for _ in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall[0], wall[1:], cpu[1:]


def heavy_imports() -> list[str]:
    """Heavy modules loaded by importing the CLI and building its --help text."""
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from drugscreen.cli import app\n"
        "CliRunner().invoke(app, ['--help'])\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs after one warm-up")
    parser.add_argument("--command", default="drugscreen --help", help="command to time")
    args = parser.parse_args()
    argv = shlex.split(args.command)
    exe = shutil.which(argv[0])
    if exe is None:
        sys.exit(f"{argv[0]!r} not found on PATH; activate the environment first")
    cold, warm, cpu = time_command([exe, *argv[1:]], args.runs)
    _, bare, _ = time_command([sys.executable, "-c", "pass"], args.runs)
    median = statistics.median(warm)
    print(f"command: {args.command}")
    print(f"runs: {len(warm)} (+1 warm-up, {cold:.3f} s); load average {os.getloadavg()[0]:.1f}")
    print(f"median: {median:.3f} s   min: {min(warm):.3f} s   max: {max(warm):.3f} s")
    print(f"cpu (user+sys) median: {statistics.median(cpu):.3f} s")
    print(f"bare `python -c pass` median: {statistics.median(bare):.3f} s")
    print(f"budget 0.5 s: {'OK' if median < 0.5 else 'OVER'}")
    print(f"heavy modules imported: {', '.join(heavy_imports()) or 'none'}")


if __name__ == "__main__":
    main()
