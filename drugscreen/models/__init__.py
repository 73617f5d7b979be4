"""Models: GNN encoders with multitask heads, fingerprint baselines, and the ``MODELS`` registry.

Registered names: ``gine`` (GIN/GINE, optional virtual node), ``dmpnn`` (chemprop-style
directed MPNN), ``attentivefp`` (PyG AttentiveFP), ``fp_mlp`` (ECFP4 MLP) and ``rf`` (ECFP4
random forest). :func:`build_model` rebuilds a model from ``{"name": ..., "params": ...}``.
"""

from __future__ import annotations

from typing import Any

from drugscreen.models.attentivefp import AttentiveFPModel
from drugscreen.models.base import GraphModel
from drugscreen.models.baselines import ECFPRandomForest, FingerprintMLP
from drugscreen.models.dmpnn import DMPNN
from drugscreen.models.gine import GINE
from drugscreen.models.heads import GroupedHead, MLPHead
from drugscreen.models.registry import MODELS

__all__ = [
    "DMPNN",
    "GINE",
    "MODELS",
    "AttentiveFPModel",
    "ECFPRandomForest",
    "FingerprintMLP",
    "GraphModel",
    "GroupedHead",
    "MLPHead",
    "build_model",
    "model_config",
    "MoleculeEstimator",
]


def __getattr__(name: str) -> Any:
    if name == "MoleculeEstimator":  # imports scikit-learn: only on demand
        from drugscreen.models.estimator import MoleculeEstimator

        return MoleculeEstimator
    raise AttributeError(f"module 'drugscreen.models' has no attribute {name!r}")


def build_model(config: dict[str, Any]) -> Any:
    """Build a model from ``{"name": ..., "params": {...}}`` (unknown names raise ``UnknownNameError``)."""
    cls = MODELS.get(config["name"])
    return cls(**config.get("params", {}))


def model_config(model: Any) -> dict[str, Any]:
    """``{"name", "params"}`` of a built model (what a bundle stores)."""
    params = model.params() if hasattr(model, "params") else model.get_params()
    return {"name": model.name, "params": params}
