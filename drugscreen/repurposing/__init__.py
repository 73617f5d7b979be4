"""Rank approved drugs (or any library) against a new target: :class:`Repurposer` and the
one-call :func:`repurpose` (also ``drugscreen.Repurposer`` / ``drugscreen.repurpose``), and
the affinity model's bundles (:func:`load_affinity_bundle`, :func:`save_affinity_bundle`).

The names are imported from their submodules (:mod:`~drugscreen.repurposing.repurposer`,
:mod:`~drugscreen.repurposing.affinity_bundle`) on first use, so importing one submodule, such
as :mod:`~drugscreen.repurposing.training`, does not load the others.
"""

from __future__ import annotations

from drugscreen._lazy import lazy_getattr

# public name -> submodule that defines it (imported on first attribute access)
_LAZY = {
    "Repurposer": "drugscreen.repurposing.repurposer",
    "repurpose": "drugscreen.repurposing.repurposer",
    "load_affinity_bundle": "drugscreen.repurposing.affinity_bundle",
    "save_affinity_bundle": "drugscreen.repurposing.affinity_bundle",
}

__all__ = list(_LAZY)


__getattr__ = lazy_getattr(__name__, _LAZY, namespace=globals())


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
