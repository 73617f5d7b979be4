"""The dataset registry: names, required metadata, lookups."""

from __future__ import annotations

import json

import pytest

from drugscreen.data import DATASETS, get_spec
from drugscreen.exceptions import UnknownNameError

EXPECTED = {
    "tox21", "clintox", "sider", "toxcast", "hiv", "bace_classification", "bace_regression",
    "bbbp", "esol", "lipophilicity", "freesolv", "davis", "kiba", "approved_drugs",
}  # fmt: skip


def test_all_datasets_registered():
    assert set(DATASETS.names()) == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_spec_has_provenance_and_shape(name):
    spec = get_spec(name)
    assert spec.name == name
    assert spec.license and spec.citation and spec.description
    assert spec.rows and spec.rows > 0
    for f in spec.files:
        assert len(f.sha256["shared"]) == 64
        assert f.columns
    if spec.kind == "molecule":
        assert spec.url and spec.url.startswith(
            "https://deepchemdata.s3-us-west-1.amazonaws.com/datasets/"
        )
        assert spec.filename.startswith("moleculenet/")
        assert spec.smiles_column in spec.files[0].columns
        assert spec.task_type in ("classification", "regression")
        assert spec.n_tasks > 0
        if not spec.all_other_columns:
            assert len(spec.tasks) == spec.n_tasks
            assert all(t.name in spec.files[0].columns for t in spec.tasks)
    if spec.kind == "affinity":
        assert len(spec.sources) == 3
        assert all(
            s.startswith("https://raw.githubusercontent.com/hkmztrk/DeepDTA/") for s in spec.sources
        )
    json.dumps(spec.to_dict())  # JSON-able


def test_units_and_directions():
    assert get_spec("esol").tasks[0].units == "log10(mol/L)"
    assert get_spec("freesolv").tasks[0].units == "kcal/mol"
    assert get_spec("lipophilicity").tasks[0].units == "logD7.4"
    assert "pIC50" in get_spec("bace_regression").tasks[0].units
    assert all(t.direction == "lower" for t in get_spec("tox21").tasks)
    assert get_spec("hiv").tasks[0].direction == "higher"
    assert get_spec("bbbp").tasks[0].direction == "neutral"
    assert get_spec("davis").transform == "pKd = -log10(Kd_nM / 1e9)"
    assert get_spec("bace_classification").smiles_column == "mol"


def test_lookup_ignores_case_and_separators():
    assert get_spec("BACE-Classification") is get_spec("bace_classification")


def test_unknown_name_lists_choices():
    with pytest.raises(UnknownNameError, match="tox21"):
        get_spec("tox22")


def test_unknown_name_suggests_the_closest_choices():
    with pytest.raises(UnknownNameError) as exc:
        get_spec("BBBPP")
    assert exc.value.suggestions == ["bbbp"]
    assert str(exc.value).startswith("unknown dataset 'BBBPP' (did you mean 'bbbp'?); choose one of: ")
    with pytest.raises(UnknownNameError) as exc:
        get_spec("solubility_xyz")
    assert exc.value.suggestions == [] and "did you mean" not in str(exc.value)
