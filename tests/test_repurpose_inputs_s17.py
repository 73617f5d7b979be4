"""Known-ligand files and the ranking table (session 17): a value after the name in a .smi
ligand file, --activity-column in any case, and text columns of the Parquet ranking."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from drugscreen.exceptions import InputFormatError
from drugscreen.repurposing.inputs import load_ligands

IMATINIB = "Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1Nc1nccc(-c2cccnc2)n1"
PARACETAMOL = "CC(=O)Nc1ccc(O)cc1"
ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"


def _smi(tmp_path: Path, lines: list[str]) -> Path:
    p = tmp_path / "ligands.smi"
    p.write_text("\n".join(lines) + "\n")
    return p


# -- 3. a value after the name in a .smi ligand file --------------------------------------------


def test_a_number_after_every_name_is_named_in_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # "imatinib 7.5" was the name and every row an active, without a word
    p = _smi(tmp_path, [f"{IMATINIB} imatinib 7.5", f"{PARACETAMOL} paracetamol 4.2", f"{ASPIRIN} aspirin mesylate 5"])
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        lig = load_ligands(p)
    # read as before (nothing is guessed): the names keep their numbers, every ligand is active
    assert lig.names == ["imatinib 7.5", "paracetamol 4.2", "aspirin mesylate 5"]
    assert lig.labels.tolist() == [1, 1, 1]
    assert "ends in a number" in caplog.text and "'imatinib 7.5'" in caplog.text
    assert "--activity-column" in caplog.text and "every ligand counts as an active" in caplog.text


def test_activity_column_reads_the_last_field_of_a_smi_file(tmp_path: Path) -> None:
    p = _smi(tmp_path, [f"{IMATINIB} imatinib 7.5", f"{PARACETAMOL} paracetamol 4.2", f"{ASPIRIN} aspirin mesylate 6"])
    lig = load_ligands(p, activity_column="pIC50")
    assert lig.names == ["imatinib", "paracetamol", "aspirin mesylate"]
    assert lig.labels.tolist() == [1, 0, 1]  # at or above 6.0
    np.testing.assert_allclose(lig.values, [7.5, 4.2, 6.0])


def test_a_smi_row_without_its_value_is_listed_not_guessed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    p = _smi(tmp_path, [f"{IMATINIB} imatinib 7.5", f"{PARACETAMOL} paracetamol", f"{ASPIRIN} 0.5"])
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        lig = load_ligands(p, activity_column="pKi")
    assert lig.names == ["imatinib", "ligand 3"]  # a value without a name: the row's name
    assert lig.labels.tolist() == [1, 0]
    assert [(r, e) for r, _, e in lig.errors] == [(1, "missing activity value")]


def test_a_smi_value_named_as_a_concentration_is_refused(tmp_path: Path) -> None:
    p = _smi(tmp_path, [f"{IMATINIB} imatinib 7.5", f"{PARACETAMOL} paracetamol 4.2"])
    with pytest.raises(InputFormatError, match="looks like a concentration"):
        load_ligands(p, activity_column="IC50_nM")


def test_names_without_numbers_give_no_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    p = _smi(tmp_path, [f"{IMATINIB} imatinib", f"{PARACETAMOL} paracetamol 4.2"])
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        lig = load_ligands(p)
    assert lig.names == ["imatinib", "paracetamol 4.2"]
    assert "ends in a number" not in caplog.text
    q = _smi(tmp_path, [f"{IMATINIB} imatinib", f"{PARACETAMOL} paracetamol"])
    with pytest.raises(InputFormatError, match=r"activity column 'pIC50' not found, and no line ends in a value.*'smiles', 'name'"):
        load_ligands(q, activity_column="pIC50")  # no value to read: said, not guessed


# -- 4. --activity-column in any case ------------------------------------------------------------


def test_activity_column_in_another_case(tmp_path: Path) -> None:
    p = tmp_path / "ligands.csv"
    p.write_text(f"smiles,name,pIC50\n{IMATINIB},imatinib,7.5\n{PARACETAMOL},paracetamol,4.2\n")
    for given in ("pIC50", "pic50", "PIC50"):
        lig = load_ligands(p, activity_column=given)
        assert lig.labels.tolist() == [1, 0], given
    frame = pd.DataFrame({"SMILES": [IMATINIB, PARACETAMOL], "Active": [1, 0]})
    assert load_ligands(frame, activity_column="active").labels.tolist() == [1, 0]


def test_activity_column_exact_match_first_and_ambiguity_lists_the_columns() -> None:
    frame = pd.DataFrame({"smiles": [IMATINIB, PARACETAMOL], "label": [1, 0], "LABEL": [0, 1]})
    assert load_ligands(frame, activity_column="label").labels.tolist() == [1, 0]
    assert load_ligands(frame, activity_column="LABEL").labels.tolist() == [0, 1]
    with pytest.raises(InputFormatError, match=r"activity column 'Label' not found.*'smiles', 'label', 'LABEL'"):
        load_ligands(frame, activity_column="Label")
    with pytest.raises(InputFormatError, match=r"activity column 'potency' not found.*'smiles', 'label', 'LABEL'"):
        load_ligands(frame, activity_column="potency")


def test_smiles_column_in_another_case_for_a_ligand_file(tmp_path: Path) -> None:
    p = tmp_path / "ligands.csv"
    p.write_text(f"Smiles,name\n{IMATINIB},imatinib\n")
    assert load_ligands(p, smiles_column="SMILES").names == ["imatinib"]


# -- 5. text columns of the Parquet ranking ------------------------------------------------------


def test_parquet_ranking_text_columns_hold_no_nulls(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from drugscreen.repurposing.report import write_table
    from drugscreen.repurposing.repurposer import Repurposer

    library = pd.DataFrame({
        "id": ["a", "b", "c", "d"],
        "name": ["imatinib", "aspirin", "broken", "aspirin hydrochloride"],
        "smiles": [IMATINIB, ASPIRIN, "C1CC(", f"{ASPIRIN}.Cl"],
    })  # fmt: skip
    ranked = Repurposer(None, panel=False).rank(ligands=[IMATINIB], library=library)
    # in memory too: the unparsed entry's text cells are "" as the scored ones', not None/NaN
    for col in ("known_ligand", "other_forms", "nearest_ligand", "nearest_ligand_smiles", "evidence", "error"):
        assert all(isinstance(v, str) for v in ranked[col]), (col, ranked[col].tolist())
    out = write_table(ranked, tmp_path / "ranked.parquet")
    table = pq.read_table(out)
    back = table.to_pandas()
    assert back["id"].tolist() == ["a", "b", "c"]  # the broken entry last, without a rank
    for col in ("known_ligand", "other_forms", "nearest_ligand", "nearest_ligand_smiles", "evidence", "error"):
        assert table.column(col).null_count == 0, col
        assert all(isinstance(v, str) for v in back[col]), col
    assert back["known_ligand"].tolist() == ["ligand 1", "", ""]
    assert back["other_forms"].tolist() == ["", "aspirin hydrochloride (d)", ""]
    assert back["error"].iloc[2] != "" and back["error"].iloc[:2].tolist() == ["", ""]
    # numbers of the unscored entry stay missing, not zero
    assert pd.isna(back["score"].iloc[2]) and pd.isna(back["rank"].iloc[2])
    # the CSV is unchanged by this: an empty cell either way
    csv = pd.read_csv(write_table(ranked, tmp_path / "ranked.csv"), keep_default_na=False, dtype=str)
    assert csv["known_ligand"].tolist() == ["ligand 1", "", ""]


# -- 6. a library line without a name -----------------------------------------------------------


def test_smi_library_line_without_a_name_gets_row_n(tmp_path: Path) -> None:
    """A nameless ``.smi`` library line had the id "" (since the reader keeps an empty name);
    it now gets ``row N`` (1-based, as the library's rows are numbered), which no other
    line's name ``N`` can be taken for."""
    from drugscreen.repurposing.inputs import load_library

    p = tmp_path / "lib.smi"
    p.write_text(f"{IMATINIB} imatinib\n{ASPIRIN}\nCCO 2\n")
    lib = load_library(p, parse=False)
    assert lib.ids == ["imatinib", "row 2", "2"]
    assert len(set(lib.ids)) == 3
