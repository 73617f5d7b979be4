"""Random forests stored as plain arrays, so a bundle can ship one without pickles.

:class:`ForestArrays` flattens the trees of an :class:`~drugscreen.models.baselines.ECFPRandomForest`
(one scikit-learn forest per task) into a handful of numpy arrays — split feature, threshold,
children, leaf value, the root and task of every tree — that go into a safetensors file. It
predicts with numpy alone: all trees of a block of molecules walk down one level per step,
so the cost is ``molecules x trees x depth`` gathers, and the result equals scikit-learn's
``predict_proba`` / ``predict`` (to float rounding of the average over trees).

>>> from drugscreen.models.baselines import ECFPRandomForest          # doctest: +SKIP
>>> rf = ECFPRandomForest(n_estimators=100).fit(bits, y)              # doctest: +SKIP
>>> arrays = ForestArrays.from_estimator(rf)                          # doctest: +SKIP
>>> tensors, meta = arrays.to_tensors(), arrays.meta()                # into safetensors / JSON
>>> same = ForestArrays.from_tensors(tensors, meta)                   # doctest: +SKIP
>>> p = same.predict(bits)                                            # (n, n_tasks)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["FOREST_FORMAT", "ForestArrays"]


def _cat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
    """Concatenate ``parts`` as ``dtype`` (an empty array when there are none)."""
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

#: Version of the array layout (stored in the bundle config beside the arrays).
FOREST_FORMAT = 1
_ARRAYS = ("feature", "threshold", "left", "right", "value", "roots", "tree_task", "constant")


@dataclass
class ForestArrays:
    """Trees of one or more random forests (one per task) as flat arrays.

    Node ``i`` splits on ``feature[i]`` (``-1`` at a leaf): a molecule goes to ``left[i]`` when
    its feature value is ``<= threshold[i]``, else to ``right[i]``; a leaf's children are
    itself, so walking further stays put. ``value[i]`` is a leaf's positive-class probability
    (classification) or value (regression). Tree ``k`` starts at ``roots[k]`` and predicts task
    ``tree_task[k]``; a task's prediction is the mean over its trees, or ``constant[t]`` when
    it has no trees (a task with one class in training).
    """

    feature: np.ndarray  # int32 (n_nodes,)
    threshold: np.ndarray  # float64 (n_nodes,)
    left: np.ndarray  # int32 (n_nodes,)
    right: np.ndarray  # int32 (n_nodes,)
    value: np.ndarray  # float64 (n_nodes,)
    roots: np.ndarray  # int32 (n_trees,)
    tree_task: np.ndarray  # int32 (n_trees,), non-decreasing
    constant: np.ndarray  # float64 (n_tasks,), NaN where the task has trees
    n_features: int
    depth: int
    _children_cache: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)

    # -- building ----------------------------------------------------------------------------
    @classmethod
    def from_estimator(cls, estimator: Any) -> ForestArrays:
        """Flatten a fitted :class:`~drugscreen.models.baselines.ECFPRandomForest`."""
        feats, thrs, lefts, rights, values, roots, tasks = [], [], [], [], [], [], []
        constant = np.full(len(estimator.forests_), np.nan)
        offset, depth, n_features = 0, 0, None
        for t, (forest, const) in enumerate(zip(estimator.forests_, estimator.constant_, strict=True)):
            if forest is None:
                constant[t] = float(const)
                continue
            n_features = int(forest.n_features_in_)
            classes = list(getattr(forest, "classes_", []))
            for tree in forest.estimators_:
                tr = tree.tree_
                leaf = tr.children_left < 0
                idx = np.arange(tr.node_count, dtype=np.int64) + offset
                if classes:  # positive-class fraction of the (weighted) samples in each node
                    counts = tr.value[:, 0, :]
                    total = counts.sum(axis=1)
                    pos = counts[:, classes.index(1)] if 1 in classes else np.zeros(len(counts))
                    val = np.divide(pos, total, out=np.zeros(len(counts)), where=total > 0)
                else:
                    val = tr.value[:, 0, 0].astype(np.float64)
                feats.append(np.where(leaf, -1, tr.feature).astype(np.int32))
                thrs.append(np.where(leaf, 0.0, tr.threshold).astype(np.float64))
                lefts.append(np.where(leaf, idx, tr.children_left + offset).astype(np.int64))
                rights.append(np.where(leaf, idx, tr.children_right + offset).astype(np.int64))
                values.append(np.where(leaf, val, 0.0))
                roots.append(offset)
                tasks.append(t)
                offset += tr.node_count
                depth = max(depth, int(tr.max_depth))
        if offset >= np.iinfo(np.int32).max:
            raise ValueError(f"forest too large to store: {offset} nodes")
        return cls(
            feature=_cat(feats, np.int32), threshold=_cat(thrs, np.float64), left=_cat(lefts, np.int32),
            right=_cat(rights, np.int32), value=_cat(values, np.float64), roots=np.asarray(roots, dtype=np.int32),
            tree_task=np.asarray(tasks, dtype=np.int32), constant=constant,
            n_features=int(n_features or 0), depth=depth,
        )

    @classmethod
    def combine(cls, parts: list[tuple[ForestArrays, list[int]]], n_tasks: int) -> ForestArrays:
        """Join forests into one with ``n_tasks`` outputs.

        ``parts`` pairs each forest with the output column of each of its tasks. Forests that
        map to the same column pool their trees (the column is then the mean over all of them:
        forests of several seeds with equal tree counts give the mean of the seeds' forests).
        Columns no forest covers predict NaN.
        """
        feats, thrs, lefts, rights, values, roots, tasks = [], [], [], [], [], [], []
        constant = np.full(n_tasks, np.nan)
        offset, depth, n_features = 0, 0, None
        for forest, columns in parts:
            if len(columns) != forest.n_tasks:
                raise ValueError(f"{len(columns)} columns given for a forest with {forest.n_tasks} tasks")
            if n_features is not None and forest.n_features != n_features:
                raise ValueError("forests read different feature lengths")
            n_features = forest.n_features
            cols = np.asarray(columns, dtype=np.int64)
            feats.append(forest.feature)
            thrs.append(forest.threshold)
            lefts.append(forest.left.astype(np.int64) + offset)
            rights.append(forest.right.astype(np.int64) + offset)
            values.append(forest.value)
            roots.append(forest.roots.astype(np.int64) + offset)
            tasks.append(cols[forest.tree_task])
            for t in np.flatnonzero(~np.isnan(forest.constant)):
                constant[cols[t]] = forest.constant[t]
            offset += len(forest.feature)
            depth = max(depth, forest.depth)
        if offset >= np.iinfo(np.int32).max:
            raise ValueError(f"forest too large to store: {offset} nodes")
        tree_task = _cat(tasks, np.int64)
        order = np.argsort(tree_task, kind="stable")  # trees grouped by output column
        has_trees = np.zeros(n_tasks, dtype=bool)
        has_trees[tree_task] = True
        constant[has_trees] = np.nan
        return cls(
            feature=_cat(feats, np.int32), threshold=_cat(thrs, np.float64), left=_cat(lefts, np.int32),
            right=_cat(rights, np.int32), value=_cat(values, np.float64),
            roots=_cat(roots, np.int64)[order].astype(np.int32), tree_task=tree_task[order].astype(np.int32),
            constant=constant, n_features=int(n_features or 0), depth=depth,
        )

    # -- storage -----------------------------------------------------------------------------
    def to_tensors(self) -> dict[str, np.ndarray]:
        """The arrays to write (e.g. with ``safetensors.numpy.save_file``)."""
        return {name: np.ascontiguousarray(getattr(self, name)) for name in _ARRAYS}

    def meta(self) -> dict[str, Any]:
        """What the arrays do not say: format, feature count, depth, sizes (JSON-able)."""
        return {
            "format": FOREST_FORMAT,
            "n_features": self.n_features,
            "depth": self.depth,
            "n_tasks": int(len(self.constant)),
            "n_trees": int(len(self.roots)),
            "n_nodes": int(len(self.feature)),
        }

    @classmethod
    def from_tensors(cls, tensors: dict[str, np.ndarray], meta: dict[str, Any]) -> ForestArrays:
        """Rebuild from :meth:`to_tensors` / :meth:`meta`; checks that the arrays fit together."""
        if int(meta.get("format", -1)) != FOREST_FORMAT:
            raise ValueError(f"unknown forest format {meta.get('format')!r} (this drugscreen reads {FOREST_FORMAT})")
        missing = [k for k in _ARRAYS if k not in tensors]
        if missing:
            raise ValueError(f"forest arrays missing: {', '.join(missing)}")
        arrays = {k: np.asarray(tensors[k]) for k in _ARRAYS}
        n_nodes, n_trees = len(arrays["feature"]), len(arrays["roots"])
        same = all(len(arrays[k]) == n_nodes for k in ("threshold", "left", "right", "value"))
        if not same or len(arrays["tree_task"]) != n_trees or n_nodes != int(meta.get("n_nodes", n_nodes)):
            raise ValueError("forest arrays have inconsistent lengths")
        for k in ("left", "right", "roots"):
            if len(arrays[k]) and (arrays[k].min() < 0 or arrays[k].max() >= n_nodes):
                raise ValueError(f"forest array {k} points outside the {n_nodes} nodes")
        n_features = int(meta["n_features"])
        if len(arrays["feature"]) and arrays["feature"].max() >= n_features:
            raise ValueError("forest splits on a feature beyond n_features")
        if len(arrays["tree_task"]) and (np.diff(arrays["tree_task"]) < 0).any():
            raise ValueError("forest trees must be grouped by task")
        return cls(**arrays, n_features=n_features, depth=int(meta["depth"]))

    # -- inference ---------------------------------------------------------------------------
    @property
    def n_tasks(self) -> int:
        return int(len(self.constant))

    def predict(self, X: np.ndarray, block: int = 1024) -> np.ndarray:
        """Per-task predictions ``(n, n_tasks)`` float64 for feature rows ``X`` ``(n, n_features)``."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"expected (n, {self.n_features}) features, got {X.shape}")
        if X.dtype == bool or np.issubdtype(X.dtype, np.integer):
            X = X.astype(np.uint8, copy=False) if X.size and X.min() >= 0 and X.max() <= 255 else X.astype(np.float32)
        else:
            X = X.astype(np.float32, copy=False)  # scikit-learn compares float32 features
        n = X.shape[0]
        out = np.empty((n, self.n_tasks), dtype=np.float64)
        out[:] = self.constant[None, :]
        if not len(self.roots) or n == 0:
            return out
        tasks, starts = np.unique(self.tree_task, return_index=True)
        ends = np.r_[starts[1:], len(self.tree_task)]
        n_trees = len(self.roots)
        for r0 in range(0, n, block):
            leaves = self._leaves(X[r0 : r0 + block], n_trees)
            leaf_values = self.value[leaves]
            for t, s, e in zip(tasks, starts, ends, strict=True):
                out[r0 : r0 + block, t] = leaf_values[:, s:e].mean(axis=1)
        return out

    def _leaves(self, xb: np.ndarray, n_trees: int) -> np.ndarray:
        """Leaf node of every (molecule, tree) pair, ``(len(xb), n_trees)``.

        All pairs step down one level at a time and drop out when they reach a leaf, so the
        work is the total path length, not ``pairs x deepest tree``.
        """
        n_feat = xb.shape[1]
        flat = xb.reshape(-1)
        base = np.repeat(np.arange(len(xb), dtype=np.int64) * n_feat, n_trees)  # row offset in flat
        node = np.tile(self.roots.astype(np.int64), len(xb))
        leaf = np.empty(len(node), dtype=np.int64)
        pos = np.arange(len(node))
        children = self._children()
        for _ in range(self.depth + 1):
            feat = self.feature[node]
            done = feat < 0
            if done.any():
                leaf[pos[done]] = node[done]
                keep = ~done
                pos, node, feat = pos[keep], node[keep], feat[keep]
                if not len(pos):
                    break
            go_right = flat[base[pos] + feat] > self.threshold[node]
            node = children[2 * node + go_right]
        return leaf.reshape(len(xb), n_trees)

    def _children(self) -> np.ndarray:
        """``[left_0, right_0, left_1, right_1, ...]`` (built once): one gather per step."""
        if self._children_cache is None:
            self._children_cache = np.stack([self.left, self.right], axis=1).reshape(-1).astype(np.int64)
        return self._children_cache
