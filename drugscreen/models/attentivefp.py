"""AttentiveFP (Xiong et al. 2020), wrapping PyTorch Geometric's implementation.

PyG's :class:`torch_geometric.nn.models.AttentiveFP` produces the molecule vector (its
``out_channels`` set to the hidden width); our multitask head and optional extra-feature
branch sit on top, like every other :class:`~drugscreen.models.base.GraphModel`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import Tensor

from drugscreen.models.base import GraphModel
from drugscreen.models.registry import MODELS

__all__ = ["AttentiveFPModel"]


@MODELS.register("attentivefp")
class AttentiveFPModel(GraphModel):
    """AttentiveFP encoder (PyG) + multitask head.

    Parameters
    ----------
    atom_dim, bond_dim
        Input feature sizes.
    n_tasks
        Number of outputs.
    hidden
        Hidden width (also the molecule vector size).
    depth
        Atom-level attention layers (PyG ``num_layers``).
    timesteps
        Molecule-level attention steps (PyG ``num_timesteps``).
    dropout
        Dropout in the encoder and the head.
    extra_dim, extra_hidden, head_hidden, head_layers, head_groups, extra_dropout, head_extra_columns
        See :class:`~drugscreen.models.base.GraphModel`.
    """

    name = "attentivefp"

    def __init__(
        self,
        atom_dim: int,
        bond_dim: int,
        n_tasks: int,
        hidden: int = 200,
        depth: int = 2,
        timesteps: int = 2,
        dropout: float = 0.1,
        extra_dim: int = 0,
        extra_hidden: int = 128,
        head_hidden: int = 200,
        head_layers: int = 2,
        head_groups: Sequence[int] | None = None,
        extra_dropout: float | None = None,
        head_extra_columns: Sequence[Sequence[int]] | None = None,
    ) -> None:
        from torch_geometric.nn.models import AttentiveFP

        super().__init__(n_tasks, hidden, extra_dim, extra_hidden, head_hidden, head_layers, head_groups, dropout, extra_dropout,
                         head_extra_columns)
        self._store_params(
            atom_dim=atom_dim, bond_dim=bond_dim, n_tasks=n_tasks, hidden=hidden, depth=depth, timesteps=timesteps,
            dropout=dropout, extra_dim=extra_dim, extra_hidden=extra_hidden, head_hidden=head_hidden,
            head_layers=head_layers, head_groups=list(head_groups) if head_groups else None,
            extra_dropout=extra_dropout,
            head_extra_columns=[list(c) for c in head_extra_columns] if head_extra_columns else None,
        )
        self.encoder = AttentiveFP(
            in_channels=atom_dim, hidden_channels=hidden, out_channels=hidden, edge_dim=bond_dim,
            num_layers=depth, num_timesteps=timesteps, dropout=dropout,
        )

    def encode(self, batch: Any) -> Tensor:
        return self.encoder(batch.x, batch.edge_index, batch.edge_attr, batch.batch)
