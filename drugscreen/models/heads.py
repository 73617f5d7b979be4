"""Prediction heads: map a molecule embedding to one output per task.

:class:`MLPHead` is one feed-forward network for all tasks (the usual multitask head).
:class:`GroupedHead` holds one small MLP per task group (e.g. per source dataset of a
panel), so related tasks share a head while unrelated datasets do not compete for it; the
outputs are concatenated in task order. A group can also take a few inputs that bypass the
shared part of the embedding (``group_extra``: e.g. Crippen logP for a lipophilicity head only).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

__all__ = ["GroupedHead", "MLPHead"]


def _mlp(in_dim: int, hidden: int, out_dim: int, n_layers: int, dropout: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    dim = in_dim
    for _ in range(max(n_layers - 1, 0)):
        layers += [nn.Dropout(dropout), nn.Linear(dim, hidden), nn.ReLU()]
        dim = hidden
    layers += [nn.Dropout(dropout), nn.Linear(dim, out_dim)]
    return nn.Sequential(*layers)


class MLPHead(nn.Module):
    """A feed-forward head shared by all tasks.

    Parameters
    ----------
    in_dim
        Size of the molecule embedding.
    n_tasks
        Number of outputs.
    hidden
        Width of the hidden layers.
    n_layers
        Number of linear layers (1 = a linear head).
    dropout
        Dropout before each linear layer.
    """

    def __init__(self, in_dim: int, n_tasks: int, hidden: int = 256, n_layers: int = 2, dropout: float = 0.0) -> None:
        super().__init__()
        self.in_dim, self.n_tasks, self.hidden, self.n_layers, self.dropout = in_dim, n_tasks, hidden, n_layers, dropout
        self.net = _mlp(in_dim, hidden, n_tasks, n_layers, dropout)

    def reset_parameters(self) -> None:
        for m in self.net:
            if isinstance(m, nn.Linear):
                m.reset_parameters()

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)

    def __repr__(self) -> str:
        return f"MLPHead({self.in_dim}, {self.n_tasks}, hidden={self.hidden}, n_layers={self.n_layers})"


class GroupedHead(nn.Module):
    """One MLP per group of consecutive tasks, outputs concatenated in task order.

    Parameters
    ----------
    in_dim
        Size of the molecule embedding.
    group_sizes
        Number of tasks of each group, in task order (sums to the number of tasks).
    hidden, n_layers, dropout
        As for :class:`MLPHead`, per group.
    group_extra
        Per group, positions in the head-only block that this group also takes (``None`` = no
        group does). The input is then ``in_dim`` shared columns followed by the head-only
        block (``1 + max position`` columns); a group without positions sees the shared
        columns only.
    """

    def __init__(
        self, in_dim: int, group_sizes: Sequence[int], hidden: int = 128, n_layers: int = 2, dropout: float = 0.0,
        group_extra: Sequence[Sequence[int]] | None = None,
    ) -> None:
        super().__init__()
        self.in_dim, self.group_sizes = in_dim, [int(g) for g in group_sizes]
        self.hidden, self.n_layers, self.dropout = hidden, n_layers, dropout
        self.n_tasks = sum(self.group_sizes)
        if group_extra is not None and len(group_extra) != len(self.group_sizes):
            raise ValueError(f"group_extra has {len(group_extra)} entries for {len(self.group_sizes)} groups")
        self.group_extra = [[int(i) for i in cols] for cols in group_extra] if group_extra is not None else None
        extra = self.group_extra or [[] for _ in self.group_sizes]
        self.heads = nn.ModuleList(
            _mlp(in_dim + len(cols), hidden, g, n_layers, dropout) for g, cols in zip(self.group_sizes, extra, strict=True)
        )

    def reset_parameters(self) -> None:
        for head in self.heads:
            for m in head:
                if isinstance(m, nn.Linear):
                    m.reset_parameters()

    def group_input(self, z: Tensor, k: int) -> Tensor:
        """What group ``k``'s MLP (``self.heads[k]``) takes from the embedding ``z``."""
        if self.group_extra is None:
            return z
        cols = self.group_extra[k]
        shared = z[:, : self.in_dim]
        return torch.cat([shared, z[:, [self.in_dim + i for i in cols]]], dim=1) if cols else shared

    def forward(self, z: Tensor) -> Tensor:
        return torch.cat([head(self.group_input(z, k)) for k, head in enumerate(self.heads)], dim=1)

    def __repr__(self) -> str:
        extra = f", group_extra={self.group_extra}" if self.group_extra is not None else ""
        return f"GroupedHead({self.in_dim}, groups={self.group_sizes}, hidden={self.hidden}, n_layers={self.n_layers}{extra})"
