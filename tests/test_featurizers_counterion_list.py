"""The counter-ion list has versions: a salt whose counter-ion is the larger part scores as its
drug, and a bundle keeps the list it was trained with."""

from __future__ import annotations

import pytest
from rdkit import Chem

from drugscreen.featurizers.counterions import (
    COUNTERION_LIST_VERSION,
    drop_counterions,
    is_counterion,
)
from drugscreen.featurizers.molecule import DEFAULT_STANDARDIZER, Standardizer

METHENAMINE = "C1N2CN3CN1CN(C2)C3"
METHENAMINE_HIPPURATE = "C1N2CN3CN1CN(C2)C3.O=C(O)CNC(=O)c1ccccc1"
DEXTROAMPHETAMINE = "C[C@H](N)Cc1ccccc1"
DEXTROAMPHETAMINE_SACCHARATE = "C[C@H](N)Cc1ccccc1.O=C(O)[C@@H](O)[C@@H](O)[C@H](O)[C@@H](O)C(=O)O"


def _std(smiles: str, standardizer: Standardizer = DEFAULT_STANDARDIZER) -> str:
    mol, why = standardizer(Chem.MolFromSmiles(smiles))
    assert mol is not None, why
    return Chem.MolToSmiles(mol)


@pytest.mark.parametrize(("salt", "parent"), [(METHENAMINE_HIPPURATE, METHENAMINE),
                                              (DEXTROAMPHETAMINE_SACCHARATE, DEXTROAMPHETAMINE)])
def test_a_salt_whose_counterion_is_the_larger_part_gives_the_drug(salt: str, parent: str) -> None:
    assert _std(salt) == _std(parent)


def test_a_configuration_without_the_list_version_keeps_the_first_list() -> None:
    config = DEFAULT_STANDARDIZER.to_config()
    assert config["counterion_list"] == COUNTERION_LIST_VERSION >= 2
    del config["counterion_list"]
    old = Standardizer.from_config(config)
    assert old.counterion_list == 1
    # as it was trained: the hippuric acid of methenamine hippurate is the larger fragment
    assert _std(METHENAMINE_HIPPURATE, old) == "O=C(O)CNC(=O)c1ccccc1"


def test_listed_counterions_alone_stay_and_unknown_versions_are_refused() -> None:
    hippuric = Chem.MolFromSmiles("O=C(O)CNC(=O)c1ccccc1")
    assert is_counterion(hippuric) and not is_counterion(hippuric, version=1)
    assert _std("O=C(O)CNC(=O)c1ccccc1.[Na+]") == "O=C(O)CNC(=O)c1ccccc1"  # the acid alone is the molecule
    assert len(drop_counterions([hippuric, Chem.MolFromSmiles("CC(=O)O")])) == 2  # nothing else remains
    with pytest.raises(ValueError, match=r"counterion_list .*1 or 2"):
        Standardizer(counterion_list=7)
