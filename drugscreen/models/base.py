"""The shape every graph model shares: encoder -> (+ extra features) -> head.

A :class:`GraphModel` subclass implements :meth:`GraphModel.encode` (a batch of molecular
graphs to one vector per molecule); this base class adds the optional extra-feature branch
(descriptors or fingerprints concatenated to the graph embedding, the "hybrid" models) and
the multitask head. Constructor arguments are plain values recorded by :meth:`params` (every
subclass's constructor records its own arguments), so a model is rebuilt from its config
(``{"name": ..., "params": ...}``) without pickles.

No layer uses batch statistics at inference (LayerNorm only), so a molecule's prediction
does not depend on the other molecules in its batch.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from drugscreen.models.heads import GroupedHead, MLPHead

__all__ = ["GraphModel", "scatter_max", "scatter_mean", "scatter_sum"]


def scatter_sum(src: Tensor, index: Tensor, size: int) -> Tensor:
    """Sum the rows of ``src`` into ``size`` buckets given by ``index``."""
    out = src.new_zeros((size, src.shape[1]))
    return out.index_add_(0, index, src)


def scatter_mean(src: Tensor, index: Tensor, size: int) -> Tensor:
    """Mean of the rows of ``src`` per bucket (0 for empty buckets)."""
    total = scatter_sum(src, index, size)
    count = torch.bincount(index, minlength=size).clamp_(min=1).to(src.dtype)
    return total / count[:, None]


def scatter_max(src: Tensor, index: Tensor, size: int) -> Tensor:
    """Max of the rows of ``src`` per bucket (0 for empty buckets)."""
    out = src.new_zeros((size, src.shape[1]))
    return out.scatter_reduce_(0, index[:, None].expand_as(src), src, reduce="amax", include_self=False)


class GraphModel(nn.Module):
    """Base class: graph encoder + optional extra-feature branch + multitask head.

    Parameters
    ----------
    n_tasks
        Number of outputs.
    embed_dim
        Size of the vector :meth:`encode` returns.
    extra_dim
        Size of the extra per-molecule feature vector (0 = none).
    extra_hidden
        Width the extra features are projected to before concatenation.
    head_hidden, head_layers
        Head width and depth.
    head_groups
        Task group sizes for a :class:`GroupedHead` (one MLP per group); ``None`` = one
        shared :class:`MLPHead`.
    dropout
        Dropout used in the head and the extra branch.
    extra_dropout
        Dropout on the extra features before their projection (default: ``dropout``).
    head_extra_columns
        Per head group, columns of the extra input that go to that group's head directly,
        past the trunk (``None`` = none). They lie after the first ``extra_dim`` columns, which
        are all the projection sees; e.g. Crippen logP for the lipophilicity head only. Needs
        ``head_groups``.
    """

    name = "graph"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Make the subclass's constructor record its own arguments (what :meth:`params` returns),
        so a model of one's own needs no call to :meth:`_store_params`; a constructor that calls it
        still decides the stored form of the values it stores."""
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return
        sig = inspect.signature(init)

        @functools.wraps(init)
        def __init__(self: GraphModel, *args: Any, **kw: Any) -> None:
            # only the constructor of the object's own class records: a subclass passing other
            # values to its parent (hidden=2 * width) keeps its own arguments
            if type(self).__init__ is __init__:
                bound = sig.bind(self, *args, **kw)
                bound.apply_defaults()
                values = {k: v for k, v in list(bound.arguments.items())[1:]
                          if sig.parameters[k].kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)}
                self._store_params(**values)
            init(self, *args, **kw)

        cls.__init__ = __init__  # type: ignore[method-assign]

    def __init__(
        self,
        n_tasks: int,
        embed_dim: int,
        extra_dim: int = 0,
        extra_hidden: int = 128,
        head_hidden: int = 256,
        head_layers: int = 2,
        head_groups: Sequence[int] | None = None,
        dropout: float = 0.0,
        extra_dropout: float | None = None,
        head_extra_columns: Sequence[Sequence[int]] | None = None,
    ) -> None:
        super().__init__()
        self.n_tasks = n_tasks
        self.extra_dim = extra_dim
        self.head_only: list[int] = []  # extra-input columns that bypass the trunk, in order
        group_extra = None
        if head_extra_columns is not None and any(len(c) for c in head_extra_columns):
            if not head_groups or len(head_extra_columns) != len(head_groups):
                raise ValueError("head_extra_columns needs head_groups, one entry per group")
            self.head_only = sorted({int(i) for cols in head_extra_columns for i in cols})
            if self.head_only[0] < extra_dim:
                raise ValueError(f"head_extra_columns must lie after the first extra_dim={extra_dim} columns, not {self.head_only[0]}")
            group_extra = [[self.head_only.index(int(i)) for i in cols] for cols in head_extra_columns]
        if extra_dim > 0:
            self.extra_proj: nn.Module | None = nn.Sequential(
                nn.Dropout(dropout if extra_dropout is None else extra_dropout),
                nn.Linear(extra_dim, extra_hidden),
                nn.ReLU(),
            )
            head_in = embed_dim + extra_hidden
        else:
            self.extra_proj = None
            head_in = embed_dim
        self.embed_dim = head_in + len(self.head_only)
        if head_groups:
            if sum(head_groups) != n_tasks:
                raise ValueError(f"head_groups {list(head_groups)} do not sum to n_tasks={n_tasks}")
            self.head: nn.Module = GroupedHead(head_in, head_groups, head_hidden, head_layers, dropout, group_extra)
        else:
            self.head = MLPHead(head_in, n_tasks, head_hidden, head_layers, dropout)

    # -- to implement --------------------------------------------------------------------
    def encode(self, batch: Any) -> Tensor:
        """One vector per molecule from a collated batch of graphs."""
        raise NotImplementedError

    # -- shared --------------------------------------------------------------------------
    def embed(self, batch: Any, extra: Tensor | None = None) -> Tensor:
        """The vector the head sees: graph embedding (+ projected extra features) (+ the
        head-only extra columns, which the head hands to their groups only)."""
        z = self.encode(batch)
        if self.extra_proj is not None or self.head_only:
            if extra is None:
                raise ValueError(f"{type(self).__name__} was built with extra_dim={self.extra_dim}; pass extra=")
            width = int(extra.shape[1])
            if (not self.head_only and width != self.extra_dim) or (self.head_only and width <= self.head_only[-1]):
                need = self.extra_dim if not self.head_only else f"more than {self.head_only[-1]}"
                raise ValueError(f"{type(self).__name__}: extra has {width} columns, the model needs {need}")
            if self.extra_proj is not None:
                z = torch.cat([z, self.extra_proj(extra[:, : self.extra_dim])], dim=1)
            if self.head_only:
                z = torch.cat([z, extra[:, self.head_only]], dim=1)
        return z

    def forward(self, batch: Any, extra: Tensor | None = None) -> Tensor:
        """Raw outputs ``(n_graphs, n_tasks)``: logits for classification, scaled values for regression."""
        return self.head(self.embed(batch, extra))

    def reset_parameters(self) -> None:
        for m in self.modules():
            if m is not self and hasattr(m, "reset_parameters"):
                m.reset_parameters()

    def params(self) -> dict[str, Any]:
        """The constructor arguments, as JSON values (what a bundle records)."""
        sig = inspect.signature(type(self).__init__)
        out: dict[str, Any] = {}
        for name in sig.parameters:
            if name == "self":
                continue
            value = getattr(self, f"_p_{name}")
            out[name] = list(value) if isinstance(value, tuple) else value
        return out

    def _store_params(self, **kwargs: Any) -> None:
        """Record constructor arguments for :meth:`params` (done for every subclass's own
        arguments already; a constructor calls it to store a normalized form, e.g. lists)."""
        for k, v in kwargs.items():
            object.__setattr__(self, f"_p_{k}", list(v) if isinstance(v, (tuple, list)) else v)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.params().items() if k not in ("head_groups",))
