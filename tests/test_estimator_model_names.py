"""MoleculeEstimator reads model names as the registry does (any case, - or _)."""

from __future__ import annotations

import numpy as np
import pytest
from tiny_data import tiny_dataset

from drugscreen.models.estimator import MoleculeEstimator


@pytest.mark.parametrize("name", ["FP-MLP", "fpmlp", "RF"])
def test_model_name_in_another_spelling_fits_and_predicts(name: str) -> None:
    ds = tiny_dataset(64)
    est = MoleculeEstimator(model=name, epochs=1, random_state=0)
    est.fit(ds.smiles, ds.y[:, 0])
    assert est.model == name  # the parameter stays as given (scikit-learn's get_params/clone)
    p = est.predict_proba(ds.smiles[:5])
    assert np.all(np.isfinite(p)) and p.shape[0] == 5
