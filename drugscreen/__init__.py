"""drugscreen: a drug-discovery screening workbench.

Heavy dependencies (torch, PyG, deepchem) are imported only when the objects that need them
are first used, so ``import drugscreen`` and ``drugscreen --help`` stay fast.

The Python API: :class:`Screener` (score molecules with the shipped panel), :func:`load_bundle`
(a model bundle, for ``bundle.predict_smiles``), :class:`MoleculeEstimator` (train any model
with scikit-learn's contract), :class:`Repurposer` / :func:`repurpose`, :func:`load_dataset`
and :func:`approved_drugs`; errors are the named ones of :mod:`drugscreen.exceptions`. The
submodules (``drugscreen.bundle``, ``drugscreen.domain``, ``drugscreen.exceptions``, ...) are
imported on first use, so ``import drugscreen`` alone reaches them.
"""

from __future__ import annotations

from drugscreen._lazy import lazy_getattr
from drugscreen._version import __version__

# public name -> module that defines it (imported on first attribute access)
_LAZY = {
    "Screener": "drugscreen.screening.screener",
    "load_bundle": "drugscreen.bundle",
    "MoleculeEstimator": "drugscreen.models.estimator",
    "Repurposer": "drugscreen.repurposing.repurposer",
    "repurpose": "drugscreen.repurposing.repurposer",
    "load_dataset": "drugscreen.data",
    "approved_drugs": "drugscreen.data",
}

# submodules reached as attributes after a plain ``import drugscreen`` (``drugscreen.bundle``,
# ``except drugscreen.exceptions.BundleError``), imported on first access; not in __all__, so a
# star import does not load them all
_SUBMODULES = frozenset({
    "benchmarking", "bundle", "data", "descriptor_ranges", "domain", "exceptions", "featurizers", "io",
    "jsonio", "models", "registry", "repurposing", "screening", "training",
})

__all__ = ["__version__", *_LAZY]


__getattr__ = lazy_getattr(__name__, _LAZY, _SUBMODULES, globals())


def __dir__() -> list[str]:
    return sorted({*__all__, *_SUBMODULES})
