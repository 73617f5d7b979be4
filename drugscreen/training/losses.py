"""Masked multitask losses for sparse labels.

Labels are a float matrix with NaN where a molecule was not measured for a task. The loss
of each (molecule, task) entry is BCE-with-logits for classification tasks (optionally with
a per-task ``pos_weight`` for class imbalance) or squared error on standardized targets for
regression, multiplied by a per-task weight; NaN entries contribute nothing and the sum is
divided by the total weight of the labelled entries.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["masked_loss", "pos_weights"]


def masked_loss(
    pred: Tensor,
    y: Tensor,
    is_classification: Tensor,
    task_weight: Tensor | None = None,
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Weighted mean loss over the labelled entries.

    Parameters
    ----------
    pred
        Raw outputs ``(n, n_tasks)`` (logits / standardized values).
    y
        Labels ``(n, n_tasks)`` with NaN = missing (regression labels already standardized).
    is_classification
        Bool ``(n_tasks,)``.
    task_weight
        ``(n_tasks,)`` weight of each labelled entry of a task (default 1).
    pos_weight
        ``(n_tasks,)`` weight of positive labels in BCE (default 1; ignored for regression).

    Returns
    -------
    Tensor
        A scalar; 0 (with a gradient path) when nothing is labelled.
    """
    mask = ~torch.isnan(y)
    y0 = torch.where(mask, y, torch.zeros_like(y))
    cls = is_classification[None, :].expand_as(y)
    if pos_weight is None:
        pos_weight = torch.ones(y.shape[1], dtype=pred.dtype, device=pred.device)
    bce = F.binary_cross_entropy_with_logits(pred, y0.clamp(0, 1), reduction="none", pos_weight=pos_weight)
    mse = (pred - y0) ** 2
    per_entry = torch.where(cls, bce, mse)
    w = mask.to(pred.dtype)
    if task_weight is not None:
        w = w * task_weight[None, :]
    total = w.sum()
    if total <= 0:
        return (pred * 0.0).sum()
    return (per_entry * w).sum() / total


def pos_weights(y: np.ndarray, is_classification: np.ndarray, mode: str = "sqrt", cap: float = 30.0) -> np.ndarray:
    """Per-task positive-class weights from training labels.

    ``"sqrt"``: sqrt(neg/pos); ``"balanced"``: neg/pos; ``"none"``: 1. Capped at ``cap``;
    regression tasks and tasks without positives get 1.
    """
    out = np.ones(y.shape[1], dtype=np.float32)
    if mode == "none":
        return out
    for t in np.flatnonzero(is_classification):
        col = y[:, t]
        col = col[~np.isnan(col)]
        pos = float((col > 0.5).sum())
        neg = float(len(col) - pos)
        if pos > 0 and neg > 0:
            ratio = neg / pos
            out[t] = min(np.sqrt(ratio) if mode == "sqrt" else ratio, cap)
    return out
