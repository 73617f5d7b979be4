"""Descriptor ranges: the second half of the applicability domain.

The Tanimoto domain (:mod:`drugscreen.domain`) asks whether a molecule's substructures were
seen in training; it cannot see size or composition. ECFP4 of a C64 alkane equals that of
heptane, so it scores 1.0, while a model trained on ESOL's small molecules has never seen
anything that large. :class:`DescriptorRanges` records, per training dataset, the range
(min, max) each whole-molecule descriptor (``fast_descriptors``: size, polarity, H-bond
counts, rings, charge, ...) spans over that dataset's training molecules — the range-based
("bounding box") applicability domain of QSAR practice — and tells for a query which
datasets' ranges it leaves and on which descriptor.

Each dataset gets its own box because the panel's endpoints were trained on different
molecules: a drug-sized molecule is inside HIV's range and outside ESOL's.

>>> ranges = DescriptorRanges.fit(raw_train, dataset_index, ["esol", "bbbp"], names)  # doctest: +SKIP
>>> ranges.describe(raw_query)  # aspirin, a C64 alkane                                # doctest: +SKIP
['', 'bbbp: Chi1v 31.91 > 21.54 (+4 more); esol: Chi1v 31.91 > 20.84 (+4 more)']
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["RANGE_FEATURIZER", "DescriptorRanges", "mentions", "range_error_evidence"]

#: The descriptor set ranges are recorded on (the panel's descriptor input uses the same one,
#: so a screen computes it once).
RANGE_FEATURIZER: dict[str, Any] = {"name": "fast_descriptors", "params": {"version": 1}}

#: Version of the stored ``to_dict`` layout.
RANGES_FORMAT = 1


#: Relative tolerance of :meth:`DescriptorRanges.describe`: a value this close to a bound is
#: on it. Descriptors such as MolWt, TPSA, LabuteASA, Chi1v and HallKierAlpha are sums over
#: atoms, whose last bits depend on the order the atoms were written in, so the molecule that
#: set a bound, written another way, came out "HallKierAlpha -9.85 < -9.85" (a few hundred of
#: the panel's 60,709 dataset molecules were flagged against some range by rounding alone).
DESCRIBE_REL_TOL = 1e-9


def _fmt(x: float, digits: int = 4) -> str:
    """A descriptor value as a user reads it: integers plain, others with ``digits``
    significant digits."""
    if float(x).is_integer():
        return str(int(x))
    return f"{x:.{digits}g}"


def _fmt_pair(value: float, bound: float) -> tuple[str, str]:
    """``value`` and the ``bound`` it leaves, with the fewest significant digits (4 or more)
    that tell them apart: "LabuteASA 657.03 > 657.01", never "657 > 657"."""
    for digits in range(4, 18):
        a, b = _fmt(value, digits), _fmt(bound, digits)
        if a != b:
            return a, b
    return _fmt(value), _fmt(bound)


@dataclass
class DescriptorRanges:
    """Per-dataset (min, max) of each descriptor over the training molecules.

    Attributes
    ----------
    featurizer
        ``{"name", "params"}`` of the registered descriptor featurizer the ranges are in.
    names
        Descriptor names, ``(n_desc,)``.
    groups
        Dataset names, ``(n_groups,)``.
    low, high
        ``(n_groups, n_desc)`` float64; NaN where a dataset's training molecules have no
        finite value of a descriptor (that descriptor is then never flagged for it).
    n_train
        Training molecules per dataset.
    """

    featurizer: dict[str, Any]
    names: list[str]
    groups: list[str]
    low: np.ndarray
    high: np.ndarray
    n_train: list[int]

    @classmethod
    def fit(
        cls,
        raw: np.ndarray,
        group_index: np.ndarray,
        groups: Sequence[str],
        names: Sequence[str] | None = None,
        featurizer: dict[str, Any] | None = None,
    ) -> DescriptorRanges:
        """Ranges of raw descriptor values ``(n, n_desc)`` of training molecules, per group.

        ``group_index`` gives each row's position in ``groups``; NaN values are ignored.
        """
        raw = np.asarray(raw, dtype=np.float64)
        group_index = np.asarray(group_index)
        if raw.ndim != 2 or len(raw) != len(group_index):
            raise ValueError(f"raw must be (n, n_desc) with one group per row, got {raw.shape} and {group_index.shape}")
        n_desc = raw.shape[1]
        names = list(names) if names is not None else [f"d{j}" for j in range(n_desc)]
        if len(names) != n_desc:
            raise ValueError(f"{len(names)} names for {n_desc} descriptors")
        low = np.full((len(groups), n_desc), np.nan)
        high = np.full((len(groups), n_desc), np.nan)
        counts = []
        for k in range(len(groups)):
            rows = raw[group_index == k]
            counts.append(len(rows))
            finite = ~np.isnan(rows)
            has = finite.any(axis=0)
            if has.any():
                low[k, has] = np.where(finite, rows, np.inf).min(axis=0)[has]
                high[k, has] = np.where(finite, rows, -np.inf).max(axis=0)[has]
        return cls(dict(featurizer or RANGE_FEATURIZER), names, [str(g) for g in groups], low, high, counts)

    # -- stored form ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON (``None`` for NaN) for a bundle's ``config.json``."""

        def rows(a: np.ndarray) -> list[list[float | None]]:
            return [[None if math.isnan(v) else float(v) for v in row] for row in a]

        return {
            "format": RANGES_FORMAT,
            "featurizer": self.featurizer,
            "names": list(self.names),
            "groups": list(self.groups),
            "low": rows(self.low),
            "high": rows(self.high),
            "n_train": [int(n) for n in self.n_train],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DescriptorRanges:
        """Inverse of :meth:`to_dict`; a malformed dict raises ``ValueError``."""
        if not isinstance(d, dict) or d.get("format") != RANGES_FORMAT:
            raise ValueError(f"descriptor ranges of an unknown format {d.get('format') if isinstance(d, dict) else d!r}")
        try:
            names, groups = [str(x) for x in d["names"]], [str(x) for x in d["groups"]]
            low = np.array([[np.nan if v is None else v for v in row] for row in d["low"]], dtype=np.float64)
            high = np.array([[np.nan if v is None else v for v in row] for row in d["high"]], dtype=np.float64)
            n_train = [int(n) for n in d.get("n_train", [0] * len(groups))]
            featurizer = dict(d["featurizer"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"descriptor ranges: {exc}") from None
        shape = (len(groups), len(names))
        if not groups:  # np.array([]) has shape (0,)
            low, high = low.reshape(shape), high.reshape(shape)
        if low.shape != shape or high.shape != shape:
            raise ValueError(f"descriptor ranges: low/high are {low.shape}/{high.shape}, expected {shape}")
        return cls(featurizer, names, groups, low, high, n_train)

    # -- queries -------------------------------------------------------------------------
    def excess(self, raw: np.ndarray, rel_tol: float = 0.0) -> np.ndarray:
        """How far each value lies outside each group's range, in units of that range's width.

        Returns ``(n, n_groups, n_desc)`` float64: 0 inside the range (or for a NaN value or
        an unrecorded range), ``(x - high) / width`` above it, ``(low - x) / width`` below,
        with ``width = max(high - low, 1)``. With ``rel_tol``, a value within
        ``rel_tol * max(1, |bound|)`` of a bound counts as inside (:meth:`describe` uses
        :data:`DESCRIBE_REL_TOL`; :meth:`outside`, and so the evidence recorded in a bundle,
        compares exactly).
        """
        raw = np.asarray(raw, dtype=np.float64)
        if raw.ndim == 1:
            raw = raw[None, :]
        if raw.shape[1] != len(self.names):
            raise ValueError(f"expected {len(self.names)} descriptors per molecule, got {raw.shape[1]}")
        x = raw[:, None, :]
        width = np.maximum(np.nan_to_num(self.high - self.low, nan=1.0), 1.0)
        high, low = self.high, self.low
        if rel_tol:
            high = high + rel_tol * np.maximum(1.0, np.abs(high))
            low = low - rel_tol * np.maximum(1.0, np.abs(low))
        with np.errstate(invalid="ignore"):
            above = np.where(x > high, (x - self.high) / width, 0.0)
            below = np.where(x < low, (self.low - x) / width, 0.0)
        return np.nan_to_num(above + below, nan=0.0)

    def outside(self, raw: np.ndarray) -> np.ndarray:
        """``(n, n_groups)`` bool: the molecule leaves that group's range on some descriptor."""
        return (self.excess(raw) > 0).any(axis=2)

    def outside_own(self, raw: np.ndarray, group_index: np.ndarray) -> np.ndarray:
        """``(n,)`` bool: each molecule leaves the range of its own group (``group_index``
        into :attr:`groups`), e.g. a held-out molecule of a dataset vs that dataset's box."""
        idx = np.asarray(group_index, dtype=np.int64)
        return self.outside(raw)[np.arange(len(idx)), idx]

    def describe(self, raw: np.ndarray, groups: Sequence[str] | None = None) -> list[str]:
        """One text per molecule naming the groups whose range it leaves, "" when none.

        For each such group the descriptor it leaves furthest (relative to the range's width)
        is named with its value and the bound, and how many other descriptors it leaves, e.g.
        ``"esol: Chi1v 31.91 > 20.84 (+4 more)"``. Groups with the same message are joined
        (``"bace_classification, bace_regression: TPSA 16.13 < 32.34"``), groups are
        separated by ``"; "``. ``groups`` restricts the text to those groups (e.g. the
        datasets of the endpoints a screen reports).
        """
        ex = self.excess(raw, DESCRIBE_REL_TOL)
        keep = np.ones(len(self.groups), dtype=bool)
        if groups is not None:
            wanted = set(groups)
            keep = np.array([g in wanted for g in self.groups], dtype=bool)
        ex[:, ~keep, :] = 0.0
        flagged = (ex > 0).any(axis=2)
        furthest = ex.argmax(axis=2)  # (n, n_groups)
        out = [""] * len(ex)
        raw = np.asarray(raw, dtype=np.float64).reshape(len(ex), -1)
        for i in np.flatnonzero(flagged.any(axis=1)):
            messages: dict[str, list[str]] = {}
            for k in np.flatnonzero(flagged[i]):
                j = int(furthest[i, k])
                v = raw[i, j]
                above = v > self.high[k, j]
                shown, limit = _fmt_pair(v, self.high[k, j] if above else self.low[k, j])
                more = int((ex[i, k] > 0).sum()) - 1
                text = f"{self.names[j]} {shown} {'>' if above else '<'} {limit}" + (f" (+{more} more)" if more else "")
                messages.setdefault(text, []).append(self.groups[k])
            out[i] = "; ".join(f"{', '.join(gs)}: {m}" for m, gs in messages.items())
        return out


def mentions(texts: Any, group: str) -> np.ndarray:
    """``(n,)`` bool: which :meth:`DescriptorRanges.describe` texts name ``group`` (a pandas
    Series of the ``out_of_range`` column, say)."""
    import pandas as pd

    pattern = rf"(?:^|; |, ){re.escape(group)}[,:]"
    return pd.Series(texts, dtype=object).fillna("").astype(str).str.contains(pattern, regex=True).to_numpy(dtype=bool)


def range_error_evidence(
    ranges: DescriptorRanges, raw: np.ndarray, group_index: np.ndarray, error: np.ndarray
) -> list[dict[str, Any]]:
    """Each dataset's mean error on held-out molecules inside vs outside its own descriptor
    range (:func:`drugscreen.domain.group_error_evidence`; ``group_index`` into
    ``ranges.groups``)."""
    from drugscreen.domain import group_error_evidence

    inside = ~ranges.outside_own(raw, group_index)
    return group_error_evidence(inside, error, group_index, ranges.groups)
