"""The featurizer registry and the protocol every featurizer follows.

A featurizer turns one RDKit molecule (or, for proteins, one sequence) into what a model
eats. It is registered by name with :data:`FEATURIZERS` and its parameters are plain JSON
values, so a model bundle records exactly which featurizer it needs
(:meth:`Featurizer.to_config`) and a different one is refused
(:func:`check_featurizer_config`). A featurizer of your own is registered the same way from
your own module, found by the command line through ``$DRUGSCREEN_PLUGINS`` or a
``drugscreen.plugins`` entry point (:func:`drugscreen.registry.load_plugins`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from drugscreen.exceptions import FeaturizerMismatchError
from drugscreen.registry import Registry

__all__ = ["FEATURIZERS", "Featurizer", "build_featurizer", "check_featurizer_config", "featurize_rows", "molecule_vector_config"]

FEATURIZERS: Registry[Any] = Registry("featurizer", extensible=True)


@runtime_checkable
class Featurizer(Protocol):
    """What every registered featurizer provides."""

    name: str

    def params(self) -> dict[str, Any]:
        """The constructor parameters, as JSON values."""
        ...

    def to_config(self) -> dict[str, Any]:
        """``{"name": ..., "params": ...}``, stored in model bundles."""
        ...


def featurizer_config(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """The canonical config dict of a featurizer."""
    return {"name": name, "params": dict(sorted(params.items()))}


def build_featurizer(config: dict[str, Any]) -> Any:
    """Rebuild a featurizer from ``{"name": ..., "params": ...}``."""
    cls = FEATURIZERS.get(config["name"])
    return cls(**config.get("params", {}))


def featurize_rows(featurizer: Any, mols: Sequence[Any]) -> np.ndarray:
    """``(n, width)`` array of a molecule featurizer's vectors: its ``featurize_many(mols)``, or
    (a featurizer of one's own with ``__call__`` only) its rows stacked."""
    many = getattr(featurizer, "featurize_many", None)
    if callable(many):
        return np.asarray(many(mols))
    rows = [np.asarray(featurizer(m)) for m in mols]
    return np.stack(rows) if rows else np.zeros((0, 0))


#: The molecule a featurizer is tried on to tell whether it makes one vector per molecule.
_PROBE_SMILES = "Oc1ccccc1C(=O)N"


def molecule_vector_config(name: str) -> dict[str, Any]:
    """The config (``to_config()``, default parameters) of registered featurizer ``name`` when it
    turns a molecule into one numeric vector (a fingerprint, a descriptor set), as a hybrid
    model's extra input needs; tried on one molecule.

    Raises
    ------
    UnknownNameError
        ``name`` is not a registered featurizer (plugins are imported first).
    ValueError
        It needs parameters, or does not give a 1-D numeric vector for a molecule (the graph and
        protein featurizers); the message says which.
    """
    from rdkit import Chem

    cls = FEATURIZERS.get(name)
    try:
        featurizer = cls()
    except TypeError as exc:
        raise ValueError(f"featurizer {name!r} cannot be built without parameters ({exc})") from None
    try:
        out = featurize_rows(featurizer, [Chem.MolFromSmiles(_PROBE_SMILES)])
    except Exception as exc:  # a protein featurizer given a molecule, a graph featurizer's object
        raise ValueError(f"featurizer {name!r} does not turn a molecule into a vector ({type(exc).__name__}: {exc})") from None
    if out.ndim != 2 or out.shape[1] == 0 or out.dtype.kind not in "biuf":
        raise ValueError(f"featurizer {name!r} does not turn a molecule into a numeric vector (got {out.dtype} of shape {out.shape[1:]})")
    config = featurizer.to_config() if hasattr(featurizer, "to_config") else {"name": name, "params": {}}
    return featurizer_config(str(config["name"]), dict(config.get("params", {})))


def check_featurizer_config(expected: dict[str, Any], given: dict[str, Any]) -> None:
    """Raise :class:`FeaturizerMismatchError` unless the two configs are the same."""
    if featurizer_config(expected["name"], expected.get("params", {})) != featurizer_config(
        given["name"], given.get("params", {})
    ):
        raise FeaturizerMismatchError(
            f"model needs featurizer {expected['name']} {expected.get('params', {})}, "
            f"got {given['name']} {given.get('params', {})}"
        )
