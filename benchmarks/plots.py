"""Regenerate the benchmark plots (PNG) and RESULTS.md from the committed run records.

Same as ``drugscreen benchmark report``; kept as a script for people who only want the plots::

    python benchmarks/plots.py
"""

from __future__ import annotations

import logging
from pathlib import Path

from drugscreen.benchmarking.report import build_report

if __name__ == "__main__":
    import argparse

    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    root = Path(__file__).resolve().parent
    build_report(root / "results" / "runs", root / "RESULTS.md", plots_dir=root / "plots",
                 suite_config=root / "configs" / "property_suite.toml")
