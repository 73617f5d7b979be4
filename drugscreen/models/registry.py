"""The model registry: name -> model class (``gine``, ``dmpnn``, ``attentivefp``, ``rf``, ``fp_mlp``).

A model of your own is a :class:`~drugscreen.models.base.GraphModel` subclass with
``name = "my_model"``, registered with ``@MODELS.register("my_model")`` in your own module;
``drugscreen train --model my_model``, ``drugscreen screen --panel`` of its bundle and
``drugscreen benchmark`` find it when that module is named in ``$DRUGSCREEN_PLUGINS`` or in a
``drugscreen.plugins`` entry point (:func:`drugscreen.registry.load_plugins`).
"""

from __future__ import annotations

from typing import Any

from drugscreen.registry import Registry

__all__ = ["MODELS"]

MODELS: Registry[Any] = Registry("model", extensible=True)
