"""Directed message passing (D-MPNN), in the style of chemprop (Yang et al. 2019).

Hidden states live on directed bonds. With the featurizer's pairing (the reverse of edge
``e`` is ``e ^ 1``), one step is::

    m_e   = sum_{k -> src(e)} h_k  -  h_{e ^ 1}        # messages into the source atom, minus the reverse bond
    h_e  <- relu(h0_e + W_h m_e)                        # h0_e = relu(W_i [x_src(e) || e_attr])

After ``depth`` steps, atom states are ``relu(W_o [x_v || sum_{e -> v} h_e])`` and the
molecule vector is their mean (or sum). Atoms without bonds get a zero message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from drugscreen.models.base import GraphModel, scatter_mean, scatter_sum
from drugscreen.models.registry import MODELS

__all__ = ["DMPNN"]


@MODELS.register("dmpnn")
class DMPNN(GraphModel):
    """Chemprop-style directed MPNN + multitask head.

    Parameters
    ----------
    atom_dim, bond_dim
        Input feature sizes.
    n_tasks
        Number of outputs.
    hidden
        Bond state width (chemprop default 300).
    depth
        Message-passing steps (chemprop default 3).
    dropout
        Dropout on messages and in the head.
    pooling
        ``"mean"`` (chemprop default) or ``"sum"``.
    extra_dim, extra_hidden, head_hidden, head_layers, head_groups, extra_dropout, head_extra_columns
        See :class:`~drugscreen.models.base.GraphModel`.
    """

    name = "dmpnn"

    def __init__(
        self,
        atom_dim: int,
        bond_dim: int,
        n_tasks: int,
        hidden: int = 300,
        depth: int = 3,
        dropout: float = 0.0,
        pooling: str = "mean",
        extra_dim: int = 0,
        extra_hidden: int = 128,
        head_hidden: int = 300,
        head_layers: int = 2,
        head_groups: Sequence[int] | None = None,
        extra_dropout: float | None = None,
        head_extra_columns: Sequence[Sequence[int]] | None = None,
    ) -> None:
        if pooling not in ("mean", "sum"):
            raise ValueError(f"pooling must be mean or sum, not {pooling!r}")
        super().__init__(n_tasks, hidden, extra_dim, extra_hidden, head_hidden, head_layers, head_groups, dropout, extra_dropout,
                         head_extra_columns)
        self._store_params(
            atom_dim=atom_dim, bond_dim=bond_dim, n_tasks=n_tasks, hidden=hidden, depth=depth, dropout=dropout,
            pooling=pooling, extra_dim=extra_dim, extra_hidden=extra_hidden, head_hidden=head_hidden,
            head_layers=head_layers, head_groups=list(head_groups) if head_groups else None,
            extra_dropout=extra_dropout,
            head_extra_columns=[list(c) for c in head_extra_columns] if head_extra_columns else None,
        )
        self.hidden, self.depth, self.pooling = hidden, depth, pooling
        self.W_i = nn.Linear(atom_dim + bond_dim, hidden, bias=False)
        self.W_h = nn.Linear(hidden, hidden, bias=False)
        self.W_o = nn.Linear(atom_dim + hidden, hidden)
        self.drop = nn.Dropout(dropout)

    def encode(self, batch: Any) -> Tensor:
        x, edge_index, edge_attr = batch.x, batch.edge_index, batch.edge_attr
        n_atoms, n_graphs = x.shape[0], int(batch.num_graphs)
        src, dst = edge_index[0], edge_index[1]
        h0 = torch.relu(self.W_i(torch.cat([x[src], edge_attr], dim=1)))
        h = h0
        if edge_index.shape[1] > 0:
            rev = torch.arange(edge_index.shape[1], device=x.device) ^ 1
            for _ in range(self.depth - 1):
                incoming = scatter_sum(h, dst, n_atoms)  # sum of bond states into each atom
                m = incoming[src] - h[rev]
                h = self.drop(torch.relu(h0 + self.W_h(m)))
        m_atom = scatter_sum(h, dst, n_atoms)
        atom_h = self.drop(torch.relu(self.W_o(torch.cat([x, m_atom], dim=1))))
        if self.pooling == "sum":
            return scatter_sum(atom_h, batch.batch, n_graphs)
        return scatter_mean(atom_h, batch.batch, n_graphs)
