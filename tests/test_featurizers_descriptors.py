"""Descriptors: names, NaN/inf handling, the fast set, and the JSON scaler."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rdkit import Chem
from rdkit.Chem import Descriptors

from drugscreen.featurizers import (
    DescriptorScaler,
    FastDescriptors,
    RDKitDescriptors,
    build_featurizer,
    nonfinite_report,
)

ASPIRIN = Chem.MolFromSmiles("CC(=O)Oc1ccccc1C(=O)O")


def test_full_list_by_default_and_subset_values() -> None:
    full = RDKitDescriptors()
    assert full.names == [n for n, _ in Descriptors.descList]
    sub = RDKitDescriptors(names=["MolWt", "TPSA", "NumHDonors"])
    np.testing.assert_allclose(
        sub(ASPIRIN), [Descriptors.MolWt(ASPIRIN), Descriptors.TPSA(ASPIRIN), Descriptors.NumHDonors(ASPIRIN)]
    )
    assert build_featurizer(sub.to_config()).names == sub.names
    with pytest.raises(ValueError, match="NoSuchDescriptor"):
        RDKitDescriptors(names=["MolWt", "NoSuchDescriptor"])


def test_nonfinite_values_become_nan_and_are_reported() -> None:
    d = RDKitDescriptors(names=["MolWt", "MaxPartialCharge", "TPSA"])
    d._functions[2] = lambda mol: float("inf")  # a descriptor overflowing
    mols = [ASPIRIN, Chem.MolFromSmiles("C[Cu]C")]  # Gasteiger charges are NaN for Cu
    X = d.featurize_many(mols)
    assert np.isnan(X[1, 1]) and np.isnan(X[:, 2]).all() and np.isfinite(X[:, 0]).all()
    assert d.nonfinite_report(X) == {"MaxPartialCharge": 1, "TPSA": 2}

    def boom(mol: Chem.Mol) -> float:
        raise RuntimeError("descriptor failed")

    d._functions[0] = boom
    assert np.isnan(d(ASPIRIN)[0])
    with pytest.raises(ValueError):
        nonfinite_report(X, ["a"])


def test_fast_descriptors_match_rdkit_where_names_agree() -> None:
    fast = FastDescriptors()
    values = dict(zip(fast.names, fast(ASPIRIN), strict=True))
    assert 15 <= len(fast) <= 40
    table = dict(Descriptors.descList)
    shared = [n for n in fast.names if n in table]
    assert len(shared) >= 15
    for name in shared:
        assert values[name] == pytest.approx(table[name](ASPIRIN)), name
    assert values["FormalCharge"] == 0
    assert build_featurizer(fast.to_config()).names == fast.names


def test_scaler_fit_transform_and_json_round_trip() -> None:
    X = np.array([[1.0, 10.0, 5.0], [3.0, np.nan, 5.0], [5.0, 30.0, 5.0], [np.inf, 20.0, 5.0]])
    scaler = DescriptorScaler(clip=2.0).fit(X, names=["a", "b", "c"])
    np.testing.assert_allclose(scaler.mean_, [3.0, 20.0, 5.0])
    np.testing.assert_allclose(scaler.std_, [np.std([1, 3, 5]), np.std([10, 20, 30]), 1.0])
    out = scaler.transform(np.array([[3.0, np.nan, 5.0], [1e6, -np.inf, 7.0]]))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0.0, 0.0, 0.0], [2.0, 0.0, 2.0]])
    state = json.loads(json.dumps(scaler.to_dict()))
    clone = DescriptorScaler.from_dict(state)
    np.testing.assert_array_equal(clone.transform(X), scaler.transform(X))
    assert clone.names_ == ["a", "b", "c"] and clone.clip == 2.0
    with pytest.raises(ValueError):
        DescriptorScaler.from_dict({**state, "format_version": 99})
    with pytest.raises(ValueError):
        scaler.transform(np.zeros((1, 2)))
    with pytest.raises(RuntimeError):
        DescriptorScaler().transform(X)
