"""RDKit 2D descriptors, with non-finite values handled, and a scaler that is saved as JSON.

Featurizers (registered in :data:`~drugscreen.featurizers.base.FEATURIZERS`):

- ``rdkit_descriptors``: RDKit's full ``Descriptors.descList`` (217 descriptors in RDKit
  2026.09), or a named subset via ``names=``. Costs a few milliseconds per molecule (the
  full list includes slow ones such as ``Ipc``, ``BertzCT`` and the fragment counts), so it
  is meant for baselines and offline work, not the screening hot path.
- ``fast_descriptors``: :data:`FAST_DESCRIPTORS`, 21 cheap whole-molecule properties computed
  by RDKit's C++ functions (size, polarity, H-bond counts, rings, sp3 fraction, stereo
  centres, charge, connectivity). ``benchmarks/featurize_speed.py`` measures its cost:
  ~30-60 us per molecule on the 2-core development machine (the figure varies with load;
  see ``benchmarks/results/featurize_speed.json``), cheap enough to be concatenated to a GNN
  embedding during screening. Crippen logP/MR (~250 us: SMARTS atom typing) and rotatable
  bonds (~25-45 us) are left out of version 1 on purpose. Version 2 appends Crippen logP and
  MR (:data:`FAST_DESCRIPTORS_V2`): RDKit caches both on the molecule, and a screen computes
  Crippen logP for its drug-likeness columns anyway. (Giving them to the panel's whole trunk
  was tried: better Lipophilicity on validation, worse ESOL and BACE pIC50; see the panel
  config's notes. ``head_descriptors`` gives them to chosen heads only.)

A descriptor that raises, or returns NaN, +-inf or a value beyond ``1e10`` in magnitude (e.g.
``Ipc`` of large molecules) becomes NaN; :func:`nonfinite_report` counts them per name.
:class:`DescriptorScaler` standardizes columns with statistics fitted on training data
(NaN-aware), replaces NaN by the column mean (0 after scaling), clips to ``+-clip``, and
round-trips through :meth:`DescriptorScaler.to_dict`/:meth:`DescriptorScaler.from_dict`
(plain JSON, no pickle) so model bundles store it in ``config.json``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from rdkit import Chem
from rdkit.Chem import Crippen
from rdkit.Chem import rdMolDescriptors as rdmd

from drugscreen.featurizers.base import FEATURIZERS, featurizer_config

__all__ = [
    "FAST_DESCRIPTORS",
    "FAST_DESCRIPTORS_V2",
    "DescriptorScaler",
    "FastDescriptors",
    "RDKitDescriptors",
    "nonfinite_report",
]

logger = logging.getLogger(__name__)

#: Values beyond this magnitude are treated as overflow and become NaN.
MAX_ABS_VALUE = 1e10


def _rdkit_descriptor_table() -> dict[str, Callable[[Chem.Mol], float]]:
    from rdkit.Chem import Descriptors

    return dict(Descriptors.descList)


#: The ``fast_descriptors`` set: name -> function. Names follow RDKit's descriptor names
#: where the value is the same (``FormalCharge`` is the net charge, not an RDKit name).
FAST_DESCRIPTORS: dict[str, Callable[[Chem.Mol], float]] = {
    "MolWt": rdmd._CalcMolWt,
    "ExactMolWt": rdmd.CalcExactMolWt,
    "HeavyAtomCount": lambda m: m.GetNumHeavyAtoms(),
    "NumHeteroatoms": rdmd.CalcNumHeteroatoms,
    "TPSA": rdmd.CalcTPSA,
    "LabuteASA": rdmd.CalcLabuteASA,
    "NOCount": rdmd.CalcNumLipinskiHBA,
    "NHOHCount": rdmd.CalcNumLipinskiHBD,
    "NumHDonors": rdmd.CalcNumHBD,
    "RingCount": rdmd.CalcNumRings,
    "NumAromaticRings": rdmd.CalcNumAromaticRings,
    "NumAliphaticRings": rdmd.CalcNumAliphaticRings,
    "NumSaturatedRings": rdmd.CalcNumSaturatedRings,
    "NumAromaticHeterocycles": rdmd.CalcNumAromaticHeterocycles,
    "NumHeterocycles": rdmd.CalcNumHeterocycles,
    "FractionCSP3": rdmd.CalcFractionCSP3,
    "NumAmideBonds": rdmd.CalcNumAmideBonds,
    "NumAtomStereoCenters": rdmd.CalcNumAtomStereoCenters,
    "FormalCharge": Chem.GetFormalCharge,
    "Chi1v": rdmd.CalcChi1v,
    "HallKierAlpha": rdmd.CalcHallKierAlpha,
}

#: Version 2 of the ``fast_descriptors`` set: version 1 followed by Wildman-Crippen logP and
#: molar refractivity (~200 us of SMARTS atom typing per molecule on their own, but RDKit
#: caches both on the molecule and the Screener's drug-likeness columns need Crippen logP of
#: the same molecule objects anyway).
FAST_DESCRIPTORS_V2: dict[str, Callable[[Chem.Mol], float]] = {
    **FAST_DESCRIPTORS,
    "MolLogP": Crippen.MolLogP,
    "MolMR": Crippen.MolMR,
}

_FAST_VERSIONS = {1: FAST_DESCRIPTORS, 2: FAST_DESCRIPTORS_V2}


class _DescriptorSet:
    """Shared code: compute named descriptor functions, non-finite values -> NaN."""

    name = ""
    input_kind = "molecule"
    dtype = np.float64
    names: list[str]
    _functions: list[Callable[[Chem.Mol], float]]

    def params(self) -> dict[str, Any]:  # pragma: no cover - overridden
        raise NotImplementedError

    def to_config(self) -> dict[str, Any]:
        return featurizer_config(self.name, self.params())

    def __len__(self) -> int:
        return len(self.names)

    def __call__(self, mol: Chem.Mol) -> np.ndarray:
        """Descriptor values of one molecule, float64; failures and overflow are NaN."""
        out = np.empty(len(self._functions), dtype=np.float64)
        for i, fn in enumerate(self._functions):
            try:
                out[i] = fn(mol)
            except Exception:  # an RDKit descriptor failing on one molecule is not fatal
                out[i] = np.nan
        out[~(np.abs(out) <= MAX_ABS_VALUE)] = np.nan
        return out

    def featurize_many(self, mols: Sequence[Chem.Mol]) -> np.ndarray:
        """Descriptor values of many molecules, ``(len(mols), len(self))`` float64."""
        out = np.empty((len(mols), len(self._functions)), dtype=np.float64)
        for i, mol in enumerate(mols):
            out[i] = self(mol)
        return out

    def nonfinite_report(self, values: np.ndarray) -> dict[str, int]:
        """Per descriptor name, how many rows of ``values`` are NaN (omitting zeros)."""
        return nonfinite_report(values, self.names)


@FEATURIZERS.register("rdkit_descriptors")
class RDKitDescriptors(_DescriptorSet):
    """RDKit 2D descriptors.

    Parameters
    ----------
    names
        Descriptor names from ``rdkit.Chem.Descriptors.descList``; ``None`` for all of them.
        The list is recorded in :meth:`params`, so a bundle keeps working when a later
        RDKit adds descriptors.

    Examples
    --------
    >>> from rdkit import Chem
    >>> d = RDKitDescriptors(names=["MolWt", "TPSA"])
    >>> d(Chem.MolFromSmiles("CCO")).round(2).tolist()
    [46.07, 20.23]
    """

    name = "rdkit_descriptors"

    def __init__(self, names: Sequence[str] | None = None) -> None:
        table = _rdkit_descriptor_table()
        if names is None:
            names = list(table)
        unknown = [n for n in names if n not in table]
        if unknown:
            raise ValueError(
                f"unknown RDKit descriptor(s): {', '.join(unknown)} "
                "(see rdkit.Chem.Descriptors.descList for the names)"
            )
        self.names = list(names)
        self._functions = [table[n] for n in self.names]

    def params(self) -> dict[str, Any]:
        return {"names": list(self.names)}

    def __repr__(self) -> str:
        return f"RDKitDescriptors({len(self.names)} descriptors)"

    def __getstate__(self) -> dict[str, Any]:
        return {"names": self.names}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["names"])  # type: ignore[misc]


@FEATURIZERS.register("fast_descriptors")
class FastDescriptors(_DescriptorSet):
    """The cheap descriptor set: :data:`FAST_DESCRIPTORS` (version 1, 21 values) or
    :data:`FAST_DESCRIPTORS_V2` (version 2: version 1, then Crippen logP and MR; 23 values).

    Parameters
    ----------
    version
        Set version. A bundle records it, so a bundle trained on one version keeps getting
        exactly that list; a later version only ever appends names.
    """

    name = "fast_descriptors"

    def __init__(self, version: int = 1) -> None:
        if version not in _FAST_VERSIONS:
            raise ValueError(f"fast_descriptors version {version} is not known (have: {', '.join(map(str, _FAST_VERSIONS))})")
        self.version = version
        self.names = list(_FAST_VERSIONS[version])
        self._functions = list(_FAST_VERSIONS[version].values())

    def params(self) -> dict[str, Any]:
        return {"version": self.version}

    def __repr__(self) -> str:
        return f"FastDescriptors(version={self.version})"

    def __getstate__(self) -> dict[str, Any]:
        return {"version": self.version}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["version"])  # type: ignore[misc]


def nonfinite_report(values: np.ndarray, names: Sequence[str]) -> dict[str, int]:
    """Count non-finite entries per column: ``{name: count}`` for columns with any."""
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    if values.shape[1] != len(names):
        raise ValueError(f"{values.shape[1]} columns but {len(names)} names")
    counts = (~np.isfinite(values)).sum(0)
    return {n: int(c) for n, c in zip(names, counts, strict=True) if c}


class DescriptorScaler:
    """Standardize descriptor columns with statistics from training data.

    ``transform`` computes ``(x - mean) / std``, replaces NaN (and inf) by 0 (the training
    mean) and clips to ``[-clip, clip]``. Columns that were constant or all-NaN in training
    get ``std = 1``.

    Parameters
    ----------
    clip
        Largest absolute scaled value kept (outliers are clipped to it).

    Attributes
    ----------
    mean_, std_
        Fitted per-column statistics (float64), set by :meth:`fit`.
    names_
        Column names, when given to :meth:`fit`.

    Examples
    --------
    >>> s = DescriptorScaler().fit(np.array([[1.0, 5.0], [3.0, np.nan]]))
    >>> s.transform(np.array([[2.0, np.inf]])).tolist()
    [[0.0, 0.0]]
    """

    format_version = 1

    def __init__(self, clip: float = 10.0) -> None:
        self.clip = clip

    def fit(self, values: np.ndarray, names: Sequence[str] | None = None) -> DescriptorScaler:
        """Fit mean and standard deviation per column, ignoring non-finite values."""
        x = np.atleast_2d(np.asarray(values, dtype=np.float64)).copy()
        if names is not None and len(names) != x.shape[1]:
            raise ValueError(f"{x.shape[1]} columns but {len(names)} names")
        x[~np.isfinite(x)] = np.nan
        n_ok = np.sum(~np.isnan(x), axis=0)
        safe = np.where(np.isnan(x), 0.0, x)
        mean = np.where(n_ok > 0, safe.sum(0) / np.maximum(n_ok, 1), 0.0)
        var = np.where(n_ok > 0, (np.where(np.isnan(x), 0.0, x - mean) ** 2).sum(0) / np.maximum(n_ok, 1), 0.0)
        std = np.sqrt(var)
        std[~(std > 1e-12)] = 1.0
        self.mean_ = mean
        self.std_ = std
        self.names_ = list(names) if names is not None else None
        missing = {
            (self.names_[i] if self.names_ else str(i)): int(x.shape[0] - n_ok[i])
            for i in np.flatnonzero(n_ok < x.shape[0])
        }
        if missing:
            logger.info("descriptor scaler: non-finite training values per column: %s", missing)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "mean_"):
            raise RuntimeError("DescriptorScaler is not fitted; call fit() first")

    def transform(self, values: np.ndarray) -> np.ndarray:
        """Scaled float32 values; NaN/inf become 0, the rest is clipped to ``+-clip``."""
        self._check_fitted()
        x = np.atleast_2d(np.asarray(values, dtype=np.float64))
        if x.shape[1] != self.mean_.shape[0]:
            raise ValueError(f"scaler was fitted on {self.mean_.shape[0]} columns, got {x.shape[1]}")
        out = (x - self.mean_) / self.std_
        out[~np.isfinite(out)] = 0.0
        np.clip(out, -self.clip, self.clip, out=out)
        return out.astype(np.float32)

    def fit_transform(self, values: np.ndarray, names: Sequence[str] | None = None) -> np.ndarray:
        return self.fit(values, names).transform(values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable state (for a bundle's ``config.json``)."""
        self._check_fitted()
        return {
            "type": "descriptor_scaler",
            "format_version": self.format_version,
            "clip": float(self.clip),
            "mean": [float(v) for v in self.mean_],
            "std": [float(v) for v in self.std_],
            "names": self.names_,
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> DescriptorScaler:
        """Rebuild a fitted scaler from :meth:`to_dict`'s output."""
        if state.get("type") != "descriptor_scaler" or state.get("format_version") != cls.format_version:
            raise ValueError(
                f"not a descriptor scaler of format_version {cls.format_version}: "
                f"type={state.get('type')!r} format_version={state.get('format_version')!r}"
            )
        scaler = cls(clip=float(state["clip"]))
        scaler.mean_ = np.asarray(state["mean"], dtype=np.float64)
        scaler.std_ = np.asarray(state["std"], dtype=np.float64)
        if scaler.mean_.shape != scaler.std_.shape:
            raise ValueError("descriptor scaler: mean and std lengths differ")
        scaler.names_ = list(state["names"]) if state.get("names") is not None else None
        return scaler

    def __repr__(self) -> str:
        fitted = f", {self.mean_.shape[0]} columns" if hasattr(self, "mean_") else ""
        return f"DescriptorScaler(clip={self.clip}{fitted})"
