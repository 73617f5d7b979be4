"""Pieces of one-line user messages: the names closest to a misspelt one, name listings that
stay one line however many names there are, the wording of reasons given in more than one
place, and the snake-case form of a name that becomes a column or task name (:func:`snake_name`).

Every "unknown name" error (registries, profiles, training configs) and every "the file has
these columns" error builds its text from these, so they read the same everywhere. A blank
SMILES cell gets :data:`EMPTY_SMILES` whether it arrives as ``""`` (a CSV cell, parsed by
:func:`~drugscreen.featurizers.molecule.parse_smiles`) or as ``None``/NaN/``pd.NA`` (a
DataFrame or Parquet null, caught by the Screener before parsing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["EMPTY_SMILES", "closest_names", "did_you_mean", "name_listing", "snake_name"]

#: The reason given for a blank SMILES cell: empty text, white space only, or a missing value
#: (None, NaN, ``pd.NA``), from the CLI and the Python API alike.
EMPTY_SMILES = "empty SMILES"


def closest_names(name: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The ``choices`` closest to ``name`` (case-insensitive, difflib ratio >= 0.6), best first.

    Examples
    --------
    >>> closest_names("BBPB", ["bbbp", "bace", "esol"])
    ['bbbp']
    """
    import difflib

    lowered: dict[str, str] = {}
    for c in choices:
        lowered.setdefault(str(c).lower(), str(c))
    close = difflib.get_close_matches(str(name).lower(), list(lowered), n=n, cutoff=0.6)
    return [lowered[c] for c in close]


def did_you_mean(name: str, choices: Iterable[str], n: int = 3) -> str:
    """`` (did you mean 'bbbp'?)`` for a misspelt ``name`` (several joined by "or"), else ``""``."""
    close = closest_names(name, choices, n)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


def name_listing(names: Iterable[str], limit: int = 10, quote: bool = False) -> str:
    """The first ``limit`` names, comma-separated (``repr``-quoted with ``quote``), then
    ``... (N more)``; ``(none)`` for no names.

    Examples
    --------
    >>> name_listing(["a", "b", "c"], limit=2, quote=True)
    "'a', 'b', ... (1 more)"
    """
    items = [repr(x) if quote else str(x) for x in names]
    if not items:
        return "(none)"
    return ", ".join(items[:limit]) + (f", ... ({len(items) - limit} more)" if len(items) > limit else "")


def snake_name(text: object) -> str:
    """``text`` in lower-case snake case, as task, column and dataset names are written
    (``"SR-HSE"`` -> ``"sr_hse"``, ``"pKi mine"`` -> ``"pki_mine"``); ``""`` when it holds no
    letter or digit.

    Examples
    --------
    >>> snake_name("Hepatobiliary disorders")
    'hepatobiliary_disorders'
    """
    return re.sub(r"[^0-9A-Za-z]+", "_", str(text)).strip("_").lower()
