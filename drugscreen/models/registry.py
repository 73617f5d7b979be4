"""The model registry: name -> model class (``gine``, ``dmpnn``, ``attentivefp``, ``rf``, ``fp_mlp``)."""

from __future__ import annotations

from typing import Any

from drugscreen.registry import Registry

__all__ = ["MODELS"]

MODELS: Registry[Any] = Registry("model")
