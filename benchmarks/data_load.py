"""Print how long loading each registered dataset takes: first load (parsing every SMILES with
RDKit) and cached load (parse cache hit). Needs DRUGSCREEN_DATA_DIR (../shared/datasets).

Usage: ``python benchmarks/data_load.py [names ...]``. Uses a temporary parse cache, so the
user's cache is neither used nor changed. Times are wall-clock (time.perf_counter), one run each.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="registered dataset names (default: all)")
    args = ap.parse_args()
    if not os.environ.get("DRUGSCREEN_DATA_DIR"):
        sys.exit("set DRUGSCREEN_DATA_DIR (e.g. ../shared/datasets)")
    os.environ["DRUGSCREEN_CACHE_DIR"] = tempfile.mkdtemp(prefix="drugscreen-bench-")
    import logging

    logging.getLogger("drugscreen").setLevel(logging.ERROR)
    from drugscreen.data import DATASETS, get_spec, load_affinity, load_dataset

    names = args.names or DATASETS.names()
    print(f"{'dataset':<20}{'rows':>9}{'invalid':>9}{'first s':>9}{'cached s':>10}")
    for name in names:
        spec = get_spec(name)
        load = load_affinity if spec.kind == "affinity" else load_dataset
        t0 = time.perf_counter()
        ds = load(name)
        t1 = time.perf_counter()
        load(name)
        t2 = time.perf_counter()
        invalid = len(ds.invalid_drugs) if spec.kind == "affinity" else len(ds.invalid)
        print(f"{spec.name:<20}{len(ds):>9}{invalid:>9}{t1 - t0:>9.2f}{t2 - t1:>10.2f}")


if __name__ == "__main__":
    main()
