"""A missing SMILES in a repurposing ligand or library table (None, NaN, ``pd.NA`` of a
``"string"`` column) is reported as an empty SMILES, the wording the screener and the CLI use;
``pd.NA`` used to be parsed as the text ``<NA>`` ("syntax error while parsing: <NA>")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drugscreen.io import is_missing
from drugscreen.messages import EMPTY_SMILES
from drugscreen.repurposing.inputs import load_library, load_ligands


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA])
def test_missing_ligand_and_library_smiles_read_as_empty(missing) -> None:
    column = pd.array(["CCO", missing, "c1ccccc1O"], dtype="string" if missing is pd.NA else object)
    ligands = load_ligands(pd.DataFrame({"smiles": column}))
    assert [(row, error) for row, _, error in ligands.errors] == [(1, EMPTY_SMILES)]
    library = load_library(pd.DataFrame({"smiles": column, "id": ["a", "b", "c"]}))
    assert library.errors == ["", EMPTY_SMILES, ""] and library.ids == ["a", "b", "c"]


def test_is_missing() -> None:
    assert all(is_missing(v) for v in (None, float("nan"), np.float64("nan"), pd.NA))
    assert not any(is_missing(v) for v in ("", " ", "nan", 0, 0.0, "<NA>"))
