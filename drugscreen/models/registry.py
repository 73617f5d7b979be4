"""The model registry: name -> model class (``gine``, ``dmpnn``, ``attentivefp``, ``rf``, ``fp_mlp``).

A model of your own is a :class:`~drugscreen.models.base.GraphModel` subclass with
``name = "my_model"``, a constructor taking ``atom_dim``, ``bond_dim`` and ``n_tasks`` (and
``extra_dim`` / ``head_groups`` to allow extra features / per-dataset heads) and an ``encode``
method, registered with ``@MODELS.register("my_model")`` in your own module;
``drugscreen train --model my_model``, ``drugscreen screen --panel`` of its bundle and
``drugscreen benchmark`` find it when that module is named in ``$DRUGSCREEN_PLUGINS`` or in a
``drugscreen.plugins`` entry point (:func:`drugscreen.registry.load_plugins`).
"""

from __future__ import annotations

import inspect
from typing import Any

from drugscreen.registry import Registry

__all__ = ["MODELS", "TRAINER_ARGUMENTS"]

#: What the trainer passes to every model's constructor (``extra_dim`` too with extra features,
#: ``head_groups`` with ``head = "per_dataset"``).
TRAINER_ARGUMENTS = ("atom_dim", "bond_dim", "n_tasks")


def _check_model_class(name: str, obj: Any) -> None:
    """Refuse a model the trainer cannot build: anything but a
    :class:`~drugscreen.models.base.GraphModel` (outside drugscreen itself), or one whose
    constructor it cannot call (it builds every model as ``cls(atom_dim=..., bond_dim=...,
    n_tasks=..., **model_params)``).

    Raises
    ------
    ValueError
        Saying what the model is not, naming the arguments its constructor lacks, or its
        ``*args``/``**kwargs`` (a bundle records named arguments only).
    """
    from drugscreen.models.base import GraphModel

    if not (isinstance(obj, type) and issubclass(obj, GraphModel)):
        if str(getattr(obj, "__module__", "")).split(".")[0] == "drugscreen":
            return  # rf (the trainer's ECFP4 forest) and the affinity model are handled by name
        what = getattr(obj, "__name__", repr(obj))
        raise ValueError(
            f"model {name!r}: {what} is not a drugscreen.models.GraphModel subclass, and drugscreen train, benchmark "
            "and MoleculeEstimator build every registered model as one (the built-in rf aside): write it as a "
            "GraphModel (a fingerprint model reads the fingerprint as `extra`, as fp_mlp does), or use it in "
            "scikit-learn directly on drugscreen.featurizers fingerprints"
        )
    params = inspect.signature(obj.__init__).parameters
    star = [p for p in params.values() if p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)]
    if star:
        raise ValueError(
            f"model {name!r}: {obj.__name__}.__init__ takes {'**' if star[0].kind is inspect.Parameter.VAR_KEYWORD else '*'}"
            f"{star[0].name}, which a bundle cannot record (it rebuilds the model from its named arguments, "
            "GraphModel.params()): name each argument"
        )
    missing = [a for a in TRAINER_ARGUMENTS if a not in params]
    if missing:
        raise ValueError(
            f"model {name!r}: {obj.__name__}.__init__ must take {', '.join(TRAINER_ARGUMENTS)} (the trainer passes them; "
            f"also extra_dim for extra features and head_groups for per-dataset heads), but lacks {', '.join(missing)}"
        )


MODELS: Registry[Any] = Registry("model", extensible=True, validate=_check_model_class)
