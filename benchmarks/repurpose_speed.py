"""Wall time of ranking the approved-drug library (2,628 entries) for one target; prints it.

Each measured run is a fresh Python process, so imports and model loading are included:
``import drugscreen`` -> ``Repurposer.load()`` -> ``rank(...)`` on the shipped library. Modes:
``sequence`` (the affinity model only), ``sequence+ligands`` (plus three known ligands: all
fingerprint and embedding similarities). The toxicity panel is left out unless ``--panel``.

The library's features (parsed SMILES, fingerprints, drug embeddings) are cached on disk after
the first use (``$DRUGSCREEN_CACHE_DIR/repurpose/``). The benchmark runs in a private, empty
cache directory: the first run of each mode is reported apart as ``first run (empty cache)``,
the others (cache filled) as the steady state.

Wall time depends on what else runs on the machine (the development machine is shared), so the
CPU time of the process (user + system, ``resource.getrusage``) and the load average are
recorded too.

Usage::

    python benchmarks/repurpose_speed.py --repeats 3 [--threads 1] [--panel]

Needs ``DRUGSCREEN_DATA_DIR`` only for the query sequence (the ABL1 sequence of DAVIS target
``ABL1p``, read at run time; nothing is copied from the dataset); without it, a ~260-residue
ABL1 kinase-domain fragment is used. Writes ``benchmarks/results/repurpose_speed.json``
(``repurpose_speed_panel.json`` with ``--panel``); the committed printed output is
``benchmarks/results/repurpose_speed.txt``::

    (python benchmarks/repurpose_speed.py --repeats 3; python benchmarks/repurpose_speed.py --repeats 3 --panel) \
        | tee benchmarks/results/repurpose_speed.txt
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
LIGANDS = [
    "Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1Nc1nccc(-c2cccnc2)n1",  # imatinib
    "Cc1cn(-c2cc(NC(=O)c3ccc(C)c(Nc4nccc(-c5cccnc5)n4)c3)cc(C(F)(F)F)c2)cn1",  # nilotinib
    "Cc1nc(Nc2ncc(C(=O)Nc3c(C)cccc3Cl)s2)cc(N2CCN(CCO)CC2)n1",  # dasatinib
]

CHILD = r"""
import json, sys, time, resource
t0 = time.perf_counter()
import torch
torch.set_num_threads(int(sys.argv[3]))
from drugscreen import Repurposer
rp = Repurposer.load(panel=sys.argv[4] == "1")
t_load = time.perf_counter()
ligands = json.loads(sys.argv[2]) or None
df = rp.rank(sequence=sys.argv[1], ligands=ligands)
t_end = time.perf_counter()
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"total_s": t_end - t0, "cpu_s": ru.ru_utime + ru.ru_stime, "load_s": t_load - t0, "rank_s": t_end - t_load, "rows": len(df),
                  "scored": int(df["rank"].notna().sum()), "top3": df["name"].head(3).tolist(),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def query_sequence() -> str:
    data = os.environ.get("DRUGSCREEN_DATA_DIR")
    if data and (Path(data) / "dti/davis/targets.csv").is_file():
        import csv

        with open(Path(data) / "dti/davis/targets.csv") as fh:
            for row in csv.DictReader(fh):
                if row["target_id"] == "ABL1p":
                    return row["sequence"]
    from tests.test_repurpose_inputs import ABL1_FRAGMENT

    return ABL1_FRAGMENT


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--panel", action="store_true", help="include the toxicity panel")
    args = ap.parse_args()
    import tempfile

    seq = query_sequence()
    runs: dict[str, list[dict]] = {}
    first: dict[str, dict] = {}
    for mode, ligs in (("sequence", []), ("sequence+ligands", LIGANDS)):
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "DRUGSCREEN_CACHE_DIR": cache}
            for k in range(args.repeats + 1):
                out = subprocess.run(
                    [sys.executable, "-c", CHILD, seq, json.dumps(ligs), str(args.threads), "1" if args.panel else "0"],
                    capture_output=True, text=True, check=True, env=env,
                )  # fmt: skip
                rec = json.loads(out.stdout.strip().splitlines()[-1])
                label = "first run (empty cache)" if k == 0 else "cache filled"
                if k == 0:
                    first[mode] = rec
                else:
                    runs.setdefault(mode, []).append(rec)
                print(f"{mode:18s} {label:23s} total {rec['total_s']:.2f} s wall, {rec['cpu_s']:.2f} s CPU (load {rec['load_s']:.2f} s, rank {rec['rank_s']:.2f} s), "
                      f"{rec['scored']}/{rec['rows']} scored, peak RSS {rec['peak_rss_mb']:.0f} MB, top3 {rec['top3']}")  # fmt: skip
    summary = {m: min(r["total_s"] for r in rs) for m, rs in runs.items()}
    cpu = {m: min(r["cpu_s"] for r in rs) for m, rs in runs.items()}
    load = os.getloadavg()
    print("best of", args.repeats, "(cache filled) wall:", {m: round(v, 2) for m, v in summary.items()}, "CPU:", {m: round(v, 2) for m, v in cpu.items()},
          "| first run (empty cache) wall:", {m: round(r["total_s"], 2) for m, r in first.items()},
          f"(target: < 10 s wall; load average {load[0]:.1f} on {os.cpu_count()} CPUs; panel {'on' if args.panel else 'off'})")  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    from drugscreen.jsonio import write_json
    write_json(
        RESULTS / f"repurpose_speed{'_panel' if args.panel else ''}.json",
        {"settings": vars(args), "runs": runs, "first_run_empty_cache": first, "best_total_s": summary, "best_cpu_s": cpu, "loadavg_at_end": load, "cpus": os.cpu_count(),
         "python": platform.python_version(), "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
    )  # fmt: skip


if __name__ == "__main__":
    main()
