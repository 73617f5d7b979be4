"""Endpoint columns that differ from the screen's own columns only in case.

A label column ``MW`` gave a screen output with both ``MW`` (the model's prediction) and ``mw``
(the molecular weight): legal in CSV, but spreadsheets, SQL databases and R's ``$`` completion
treat the two as one column, and a chemist cannot tell which is which. Training refuses such
names; older bundles still screen (their columns are kept as trained).
"""

from __future__ import annotations

import pytest

from drugscreen.exceptions import DatasetError
from drugscreen.screening.screener import case_collisions, column_collisions
from drugscreen.training.trainer import _check_endpoint_columns


def _task(name: str, column: str | None = None, dataset: str = "assay") -> dict[str, str]:
    return {"name": name, "column": column or name, "type": "regression", "units": "", "dataset": dataset}


def test_training_refuses_a_label_that_is_a_screen_column_in_another_case() -> None:
    with pytest.raises(DatasetError, match=r"column 'MW' .* differ only in case from 'mw'.*MW_measured"):
        _check_endpoint_columns([_task("MW")])


def test_training_refuses_two_labels_that_differ_only_in_case() -> None:
    with pytest.raises(DatasetError, match=r"'LogS' .* differ only in case from 'logs'"):
        _check_endpoint_columns([_task("logs"), _task("LogS")])


def test_other_names_pass_and_the_screen_check_stays_exact() -> None:
    _check_endpoint_columns([_task("MW_measured"), _task("pIC50")])
    # a bundle trained before this check screens as before: only exact clashes lose predictions
    assert column_collisions(["MW", "QED"]) == {}
    assert case_collisions(["MW", "QED"]) == {"MW": ("mw", "a property of every molecule"), "QED": ("qed", "a property of every molecule")}
