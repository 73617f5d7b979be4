"""GIN/GINE encoder (Xu et al. 2019; Hu et al. 2020) with an optional OGB-style virtual node.

Each layer updates atom states with ``h_i <- h_i + MLP((1 + eps) h_i + sum_j relu(h_j + W_l e_ij))``
(GINE: bond features enter every message; with ``use_edges=False`` it is plain GIN). Layers
are pre-LayerNorm residual blocks, so nothing depends on batch statistics. The virtual node
is a per-molecule state added to every atom before each layer and updated from the sum of
atom states, which lets information cross the molecule in one step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from drugscreen.models.base import GraphModel, scatter_max, scatter_mean, scatter_sum
from drugscreen.models.registry import MODELS

#: Read-outs of :class:`GINE`.
POOLINGS = ("mean", "sum", "max", "meanmax", "meanmaxnorm")
#: ``meanmaxnorm`` divides the summed atom states by this (a typical drug's heavy-atom count
#: is 20-40), so the size-aware part has the scale of the mean.
NORM_ATOMS = 50.0

__all__ = ["GINE"]


class _GINELayer(nn.Module):
    def __init__(self, hidden: int, bond_dim: int, dropout: float, use_edges: bool) -> None:
        super().__init__()
        self.use_edges = use_edges
        self.edge_lin = nn.Linear(bond_dim, hidden) if use_edges else None
        self.eps = nn.Parameter(torch.zeros(1))
        self.norm = nn.LayerNorm(hidden)
        self.mlp = nn.Sequential(nn.Linear(hidden, 2 * hidden), nn.ReLU(), nn.Linear(2 * hidden, hidden))
        self.dropout = nn.Dropout(dropout)

    def reset_parameters(self) -> None:
        if self.edge_lin is not None:
            self.edge_lin.reset_parameters()
        nn.init.zeros_(self.eps)
        self.norm.reset_parameters()
        for m in self.mlp:
            if isinstance(m, nn.Linear):
                m.reset_parameters()

    def forward(self, h: Tensor, edge_index: Tensor, edge_attr: Tensor) -> Tensor:
        x = self.norm(h)
        src, dst = edge_index[0], edge_index[1]
        msg = x[src]
        if self.edge_lin is not None:
            msg = msg + self.edge_lin(edge_attr)
        agg = scatter_sum(torch.relu(msg), dst, x.shape[0])
        out = self.mlp((1.0 + self.eps) * x + agg)
        return h + self.dropout(out)


@MODELS.register("gine")
class GINE(GraphModel):
    """GINE (or GIN) encoder + multitask head.

    Parameters
    ----------
    atom_dim, bond_dim
        Input feature sizes (``GraphFeaturizer.atom_dim`` / ``.bond_dim``).
    n_tasks
        Number of outputs.
    hidden
        Atom state width.
    depth
        Number of message-passing layers.
    dropout
        Dropout in the layers and the head.
    virtual_node
        Add an OGB-style virtual node.
    use_edges
        GINE (bond features in messages); ``False`` gives plain GIN.
    pooling
        ``"mean"``, ``"sum"``, ``"max"``, ``"meanmax"`` (concatenated) or ``"meanmaxnorm"``
        (mean, max and sum / :data:`NORM_ATOMS`, concatenated: size-aware).
    extra_dim, extra_hidden, head_hidden, head_layers, head_groups, extra_dropout, head_extra_columns
        See :class:`~drugscreen.models.base.GraphModel`.

    Examples
    --------
    >>> from drugscreen.featurizers.graph import GraphFeaturizer
    >>> m = GINE(GraphFeaturizer.atom_dim, GraphFeaturizer.bond_dim, n_tasks=2, hidden=32, depth=2)
    >>> m.params()["hidden"]
    32
    """

    name = "gine"

    def __init__(
        self,
        atom_dim: int,
        bond_dim: int,
        n_tasks: int,
        hidden: int = 160,
        depth: int = 4,
        dropout: float = 0.1,
        virtual_node: bool = True,
        use_edges: bool = True,
        pooling: str = "meanmax",
        extra_dim: int = 0,
        extra_hidden: int = 128,
        head_hidden: int = 256,
        head_layers: int = 2,
        head_groups: Sequence[int] | None = None,
        extra_dropout: float | None = None,
        head_extra_columns: Sequence[Sequence[int]] | None = None,
    ) -> None:
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, not {pooling!r}")
        embed = {"meanmax": 2, "meanmaxnorm": 3}.get(pooling, 1) * hidden
        super().__init__(n_tasks, embed, extra_dim, extra_hidden, head_hidden, head_layers, head_groups, dropout, extra_dropout,
                         head_extra_columns)
        self._store_params(
            atom_dim=atom_dim, bond_dim=bond_dim, n_tasks=n_tasks, hidden=hidden, depth=depth, dropout=dropout,
            virtual_node=virtual_node, use_edges=use_edges, pooling=pooling, extra_dim=extra_dim,
            extra_hidden=extra_hidden, head_hidden=head_hidden, head_layers=head_layers,
            head_groups=list(head_groups) if head_groups else None, extra_dropout=extra_dropout,
            head_extra_columns=[list(c) for c in head_extra_columns] if head_extra_columns else None,
        )
        self.hidden, self.depth, self.pooling, self.virtual_node = hidden, depth, pooling, virtual_node
        self.atom_lin = nn.Linear(atom_dim, hidden)
        self.layers = nn.ModuleList(_GINELayer(hidden, bond_dim, dropout, use_edges) for _ in range(depth))
        self.out_norm = nn.LayerNorm(hidden)
        if virtual_node:
            self.vn_init = nn.Parameter(torch.zeros(1, hidden))
            self.vn_mlps = nn.ModuleList(
                nn.Sequential(nn.LayerNorm(hidden), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
                for _ in range(depth - 1)
            )

    def reset_parameters(self) -> None:
        super().reset_parameters()
        if self.virtual_node:
            nn.init.zeros_(self.vn_init)

    def encode(self, batch: Any) -> Tensor:
        n_graphs = int(batch.num_graphs)
        h = self.atom_lin(batch.x)
        b = batch.batch
        vn = self.vn_init.expand(n_graphs, -1) if self.virtual_node else None
        for i, layer in enumerate(self.layers):
            if vn is not None:
                h = h + vn[b]
            h = layer(h, batch.edge_index, batch.edge_attr)
            if vn is not None and i < self.depth - 1:
                vn = vn + self.vn_mlps[i](scatter_sum(h, b, n_graphs))
        h = self.out_norm(h)
        if self.pooling == "mean":
            return scatter_mean(h, b, n_graphs)
        if self.pooling == "sum":
            return scatter_sum(h, b, n_graphs)
        if self.pooling == "max":
            return scatter_max(h, b, n_graphs)
        pooled = [scatter_mean(h, b, n_graphs), scatter_max(h, b, n_graphs)]
        if self.pooling == "meanmaxnorm":
            # a size-aware read-out (sum / NORM_ATOMS, chemprop's "norm" aggregation): mean and max
            # alone cannot see how big a molecule is, which extensive properties such as
            # solubility depend on
            pooled.append(scatter_sum(h, b, n_graphs) / NORM_ATOMS)
        return torch.cat(pooled, dim=1)
