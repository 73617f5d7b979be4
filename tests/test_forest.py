"""Array-stored random forests: same predictions as scikit-learn, safe round trip."""

from __future__ import annotations

import numpy as np
import pytest

from drugscreen.models.baselines import ECFPRandomForest
from drugscreen.models.forest import ForestArrays


def _data(n: int = 240, bits: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = (rng.random((n, bits)) < 0.2).astype(np.uint8)
    y = np.column_stack([
        (X[:, 0] | X[:, 3]).astype(float),
        np.where(rng.random(n) < 0.3, np.nan, (X[:, 5] & ~X[:, 7] & 1).astype(float)),
        np.zeros(n),  # one class only: a constant task
    ])
    return X, y


def test_arrays_reproduce_sklearn_classification_and_round_trip() -> None:
    X, y = _data()
    rf = ECFPRandomForest(n_estimators=15, random_state=1).fit(X, y)
    arrays = ForestArrays.from_estimator(rf)
    Xq, _ = _data(n=100, seed=3)
    expected = rf.predict_proba(Xq)
    np.testing.assert_allclose(arrays.predict(Xq), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(arrays.predict(Xq, block=7), expected, rtol=0, atol=1e-12)
    assert arrays.n_tasks == 3 and np.all(arrays.predict(Xq)[:, 2] == 0.0)
    again = ForestArrays.from_tensors(arrays.to_tensors(), arrays.meta())
    np.testing.assert_array_equal(again.predict(Xq), arrays.predict(Xq))


def test_arrays_reproduce_sklearn_regression() -> None:
    X, _ = _data()
    y = (X[:, :4].sum(axis=1) + 0.1 * X[:, 10]).astype(float)
    rf = ECFPRandomForest(task_types="regression", n_estimators=10, random_state=0).fit(X, y)
    arrays = ForestArrays.from_estimator(rf)
    np.testing.assert_allclose(arrays.predict(X)[:, 0], rf.predict(X)[:, 0], rtol=0, atol=1e-12)


def test_damaged_arrays_are_refused() -> None:
    X, y = _data()
    arrays = ForestArrays.from_estimator(ECFPRandomForest(n_estimators=3).fit(X, y))
    tensors, meta = arrays.to_tensors(), arrays.meta()
    with pytest.raises(ValueError, match="format"):
        ForestArrays.from_tensors(tensors, {**meta, "format": 99})
    bad = dict(tensors, left=tensors["left"].copy())
    bad["left"][0] = len(tensors["feature"]) + 5
    with pytest.raises(ValueError, match="outside"):
        ForestArrays.from_tensors(bad, meta)
    with pytest.raises(ValueError, match="missing"):
        ForestArrays.from_tensors({k: v for k, v in tensors.items() if k != "value"}, meta)
    with pytest.raises(ValueError, match="features"):
        arrays.predict(np.zeros((2, 3)))


def test_combined_forests_pool_trees_per_column() -> None:
    X, y = _data()
    a = ECFPRandomForest(n_estimators=8, random_state=0).fit(X, y[:, :2])
    b = ECFPRandomForest(n_estimators=8, random_state=1).fit(X, y[:, :2])
    c = ECFPRandomForest(task_types="regression", n_estimators=5, random_state=0).fit(X, X[:, :3].sum(1).astype(float))
    fa, fb, fc = (ForestArrays.from_estimator(e) for e in (a, b, c))
    both = ForestArrays.combine([(fa, [1, 3]), (fb, [1, 3]), (fc, [0])], n_tasks=5)
    p = both.predict(X)
    np.testing.assert_allclose(p[:, [1, 3]], (a.predict(X) + b.predict(X)) / 2, atol=1e-12)
    np.testing.assert_allclose(p[:, 0], c.predict(X)[:, 0], atol=1e-12)
    assert np.isnan(p[:, [2, 4]]).all()
    again = ForestArrays.from_tensors(both.to_tensors(), both.meta())
    np.testing.assert_array_equal(again.predict(X), p)
