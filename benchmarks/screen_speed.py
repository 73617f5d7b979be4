"""Speed and memory of `drugscreen screen`, printed in one run (no figures are hard-coded).

Measures, on this machine:

1. end-to-end ``drugscreen screen`` (a separate process, model loading included) on the
   first N (default 10,000) molecules of MoleculeNet HIV with the full default panel, in
   molecules/second; and bare RDKit ``Chem.MolFromSmiles`` throughput on the same file in
   the same run, with the ratio between the two;
2. ``drugscreen --help`` wall time (median of 5);
3. 10 molecules end to end, model loading included;
4. peak memory of a screen of a large file (default 1,000,000 rows, made by repeating the
   HIV molecules): peak RSS of the largest process (``/usr/bin/time -v`` style, from
   ``resource.getrusage(RUSAGE_CHILDREN)``) and the peak of the summed RSS of the whole process
   tree (main + workers), sampled from /proc every 0.2 s, and of its summed PSS (pages
   shared between the forked workers counted once).

Usage::

    export DRUGSCREEN_DATA_DIR=../shared/datasets
    python benchmarks/screen_speed.py [--n 10000] [--big-rows 1000000] [--jobs 0] [--panel DIR]

The molecules are written to a temporary folder (never into the repository). Use
``--big-rows 0`` to skip the memory run (it takes as long as scoring that many molecules).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def _hiv_smiles(n: int) -> list[str]:
    data_dir = os.environ.get("DRUGSCREEN_DATA_DIR", "")
    path = Path(data_dir) / "moleculenet" / "HIV.csv"
    if not path.is_file():
        sys.exit(f"HIV.csv not found under DRUGSCREEN_DATA_DIR={data_dir!r} (moleculenet/HIV.csv)")
    out: list[str] = []
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            out.append(row["smiles"])
            if len(out) >= n:
                break
    return out


def _pss_kb(pid: int) -> int:
    """Proportional set size (kB): shared pages divided among the processes sharing them."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _tree_pids(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        out.append(p)
        stack.extend(children.get(p, []))
    return out


def _tree_rss_kb(pid: int) -> int:
    """Summed RSS (kB) of ``pid`` and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            ppid = int(fields[1])
            with open(f"/proc/{entry}/statm") as fh:
                pages = int(fh.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE") // 1024
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, []))
    return total


def _cpu_children() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


LAST_CPU = [0.0]
PEAK_PSS = [0]


def _run(cmd: list[str], sample_tree: bool = False, report_every: float = 0.0) -> tuple[float, int, int]:
    """Run a command; return (wall seconds, peak tree RSS kB or 0, return code).

    The CPU seconds (user + sys, workers included) it used are left in ``LAST_CPU[0]``.
    """
    peak = [0]
    PEAK_PSS[0] = 0
    cpu0 = _cpu_children()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stop = threading.Event()

    def sample() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
            PEAK_PSS[0] = max(PEAK_PSS[0], sum(_pss_kb(p) for p in _tree_pids(proc.pid)))
            if report_every and time.perf_counter() - last > report_every:
                last = time.perf_counter()
                print(
                    f"  ... {last - t0:,.0f} s, peak summed RSS so far {peak[0] / 1024:,.0f} MB, "
                    f"summed PSS {PEAK_PSS[0] / 1024:,.0f} MB",
                    flush=True,
                )
            stop.wait(0.2)

    th = threading.Thread(target=sample, daemon=True)
    if sample_tree:
        th.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    LAST_CPU[0] = _cpu_children() - cpu0
    stop.set()
    if sample_tree:
        th.join()
    if proc.returncode != 0:
        print(f"  command failed ({proc.returncode}): {' '.join(cmd)}\n{err[-2000:]}", file=sys.stderr)
    return wall, peak[0], proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000, help="HIV molecules for the throughput run")
    ap.add_argument("--big-rows", type=int, default=1_000_000, help="rows of the memory run (0 = skip)")
    ap.add_argument("--jobs", type=int, default=0, help="--jobs for drugscreen screen (0 = auto)")
    ap.add_argument("--panel", default=None, help="bundle to use (default: the shipped panel)")
    ap.add_argument("--memory-only", action="store_true", help="run only the memory run (4.)")
    args = ap.parse_args()

    exe = [sys.executable, "-m", "drugscreen"]
    panel = ["--panel", args.panel] if args.panel else []
    smiles = _hiv_smiles(args.n)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"# drugscreen screen speed  ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})")
    print(f"host: {platform.node()}  cpus available: {cores}  load average at start: {os.getloadavg()}")
    print(f"python {platform.python_version()}  panel: {args.panel or '(shipped)'}  jobs: {args.jobs or 'auto'}")

    with tempfile.TemporaryDirectory(prefix="screen-speed-") as tmp:
        work = Path(tmp)
        src = work / "hiv.smi"
        src.write_text("".join(f"{s} m{i}\n" for i, s in enumerate(smiles)))
        if not args.memory_only:
            _speed_runs(exe, panel, smiles, work, args.jobs)
        if args.big_rows > 0:
            _memory_run(exe, panel, smiles, work, args.jobs, args.big_rows)


def _speed_runs(exe: list[str], panel: list[str], smiles: list[str], work: Path, jobs: int) -> None:
    """Parts 1-3: throughput against bare parsing, --help, ten molecules."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    src = work / "hiv.smi"
    # 1. bare RDKit parse of the same file
    from rdkit import Chem, rdBase

    t0 = time.perf_counter()
    with rdBase.BlockLogs(), open(src) as fh:
        parsed = sum(Chem.MolFromSmiles(line.split()[0]) is not None for line in fh)
    bare = time.perf_counter() - t0
    bare_rate = len(smiles) / bare
    # (wall time: this process has the CPU to itself only if the machine is idle)
    print(f"\nbare RDKit MolFromSmiles: {len(smiles):,} SMILES in {bare:.2f} s = {bare_rate:,.0f} mol/s ({parsed:,} parsed)")

    # 1b. end to end
    out = work / "hiv_scored.csv"
    cmd = [*exe, "screen", str(src), "-o", str(out), "-q", "--jobs", str(jobs), *panel]
    wall, peak_tree, rc = _run(cmd, sample_tree=True)
    rate = len(smiles) / wall
    print(
        f"end-to-end `drugscreen screen` ({len(smiles):,} HIV molecules, full default panel, model loading included): "
        f"{wall:.1f} s = {rate:,.0f} mol/s (rc={rc}); peak tree RSS {peak_tree / 1024:,.0f} MB "
        f"(PSS {PEAK_PSS[0] / 1024:,.0f} MB)"
    )
    cpu = LAST_CPU[0]
    print(
        f"  CPU time used (user+sys, workers included): {cpu:.1f} s = {cpu / len(smiles) * 1e3:.2f} ms/molecule; "
        f"on {cores} otherwise idle cores that is at most {cores * len(smiles) / cpu:,.0f} mol/s"
    )
    print(f"ratio end-to-end / bare MolFromSmiles: {rate / bare_rate:.3f} (bare parsing is {bare_rate / rate:,.0f}x faster)")
    if rc == 0:
        import pandas as pd

        df = pd.read_csv(out, usecols=["valid"])
        print(f"  rows out: {len(df):,} ({int(df['valid'].sum()):,} valid)")

    # 2. --help
    times = [_run([*exe, "--help"])[0] for _ in range(5)]
    console = Path(sys.executable).with_name("drugscreen")
    times_script = [_run([str(console), "--help"])[0] for _ in range(5)] if console.exists() else []
    print(f"\n`python -m drugscreen --help`: median {statistics.median(times):.3f} s (min {min(times):.3f})")
    if times_script:
        print(f"`drugscreen --help` (console script): median {statistics.median(times_script):.3f} s (min {min(times_script):.3f})")

    # 3. ten molecules end to end
    small = work / "ten.smi"
    small.write_text("".join(f"{s}\n" for s in smiles[:10]))
    walls = [_run([*exe, "screen", str(small), "-o", str(work / "ten.csv"), "-q", *panel])[0] for _ in range(3)]
    print(f"10 molecules end to end (incl. model loading): median {statistics.median(walls):.2f} s (min {min(walls):.2f})")


def _memory_run(exe: list[str], panel: list[str], smiles: list[str], work: Path, jobs: int, big_rows: int) -> None:
    """Part 4: peak memory of a screen of ``big_rows`` rows (the HIV molecules repeated)."""
    big = work / "big.smi"
    with open(big, "w") as fh:
        written = 0
        while written < big_rows:
            for s in smiles:
                fh.write(f"{s} r{written}\n")
                written += 1
                if written >= big_rows:
                    break
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    cmd = [*exe, "screen", str(big), "-o", str(work / "big.csv"), "-q", "--jobs", str(jobs), *panel]
    wall, peak_tree, rc = _run(cmd, sample_tree=True, report_every=120)
    child_max = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        f"\n{big_rows:,} rows: {wall:.0f} s = {big_rows / wall:,.0f} mol/s (rc={rc}); "
        f"peak RSS of the largest process {child_max / 1024:,.0f} MB"
        f"{' (an earlier child was as large)' if child_max == before else ''}; "
        f"peak summed RSS of the process tree {peak_tree / 1024:,.0f} MB "
        f"(summed PSS, shared pages counted once: {PEAK_PSS[0] / 1024:,.0f} MB)"
    )


if __name__ == "__main__":
    main()
