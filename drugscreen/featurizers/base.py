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

from typing import Any, Protocol, runtime_checkable

from drugscreen.exceptions import FeaturizerMismatchError
from drugscreen.registry import Registry

__all__ = ["FEATURIZERS", "Featurizer", "build_featurizer", "check_featurizer_config"]

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


def check_featurizer_config(expected: dict[str, Any], given: dict[str, Any]) -> None:
    """Raise :class:`FeaturizerMismatchError` unless the two configs are the same."""
    if featurizer_config(expected["name"], expected.get("params", {})) != featurizer_config(
        given["name"], given.get("params", {})
    ):
        raise FeaturizerMismatchError(
            f"model needs featurizer {expected['name']} {expected.get('params', {})}, "
            f"got {given['name']} {given.get('params', {})}"
        )
