"""Helpers shared by the screening tests: the tiny bundle and small input files."""

from __future__ import annotations

from pathlib import Path

TINY_BUNDLE = Path(__file__).parent / "data" / "tiny_bundle"

GOOD = ["CCO", "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O", "CN1C=NC2=C1C(=O)N(C(=O)N2C)C", "c1ccncc1"]
# (input, a word the error must contain)
BAD = [
    ("", "empty"),
    ("xyz", "pars"),
    ("C1CC", "unclosed ring"),
    ("CC(C)(C)(C)(C)C", "valence"),
    ("*CC", "dummy"),
    ("C" * 400, "heavy atoms"),
]


def write_smi(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path
