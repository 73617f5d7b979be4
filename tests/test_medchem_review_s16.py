"""Defects a medicinal chemist found reading every column and the report of a screen of known
molecules (approved drugs, PAINS, amino acids, salts)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from drugscreen.screening.profiles import Profile

#: A profile for the tiny test panel with every filter switched on.
FILTERS_TOML = """
name = "filters"
[filters]
exclude_pains = true
min_mw = 100.0
max_lipinski_violations = 0
out_of_domain_penalty = 0.5
[[objectives]]
endpoint = "qed"
thresholds = [0.2, 0.7]
"""


def _frame(**columns) -> pd.DataFrame:
    base = {"valid": [True], "in_domain": [True], "alerts_pains": [""], "alerts_brenk": [""], "qed": [0.7]}
    base.update(columns)
    return pd.DataFrame(base)


def test_a_molecule_whose_properties_failed_does_not_pass_the_filters():
    """A molecule RDKit's descriptors refused has NaN MW and ``lipinski_violations`` (so that it
    would not read "0 violations"), but ``max_lipinski_violations`` and ``min_mw`` compared
    NaN > 1 and NaN < 100, both False: it passed both filters and ranked on the models alone.
    A filter whose value is unknown is not passed."""
    prof = Profile.from_toml(FILTERS_TOML, source="filters.toml")
    resolved = prof.resolve({"qed": "qed"})
    known = _frame(mw=[300.0], lipinski_violations=[0.0])
    assert prof.score(known, resolved)[0] == 1.0
    for unknown in (_frame(mw=[np.nan], lipinski_violations=[0.0]), _frame(mw=[300.0], lipinski_violations=[np.nan])):
        assert prof.score(unknown, resolved)[0] == 0.0
    notes = prof.filter_notes(_frame(mw=[np.nan], lipinski_violations=[np.nan]))
    assert notes == [["score 0: Lipinski violations unknown (RDKit could not compute the properties)",
                      "score 0: MW unknown (RDKit could not compute it)"]]  # fmt: skip
