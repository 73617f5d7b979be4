"""drugscreen.io: defects found by the tenth user-perspective review (each test names its defect)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from drugscreen.io import read_table


def test_smi_tab_header_row_without_smiles_keeps_its_name(tmp_path: Path) -> None:
    """Under a tab-separated ``.smi`` header, a row whose SMILES cell is empty (``\\tname``) had
    its leading tab stripped as white space: the name became the SMILES (an invalid molecule)
    and the row lost its id. The empty field stays empty now."""
    p = tmp_path / "a.smi"
    p.write_text("smiles\tname\tnote\nCCO\tethanol one\tx\n\tno structure\ty\nCCN\t\tz\n  CCC\tpropane \t\n")
    df = read_table(p)
    assert df["smiles"].tolist() == ["CCO", "", "CCN", "CCC"]
    assert df["name"].tolist() == ["ethanol one", "no structure", "", "propane"]
    assert df["note"].tolist() == ["x", "y", "z", ""]


def test_smi_cxsmiles_extension_stays_with_the_smiles(tmp_path: Path) -> None:
    """``C[C@H](N)C(=O)O |&1:1| alanine`` in a space-separated ``.smi`` file was split at white
    space: the extension ``|&1:1|`` went into the name, so the id read ``|&1:1| alanine``."""
    p = tmp_path / "a.smi"
    p.write_text("C[C@H](N)C(=O)O |&1:1| alanine\nCCO |$R1;;$|   ethanol one\nCCC |$;;$|\nCCN amine\n")
    df = read_table(p)
    assert df["smiles"].tolist() == ["C[C@H](N)C(=O)O |&1:1|", "CCO |$R1;;$|", "CCC |$;;$|", "CCN"]
    assert df["name"].tolist() == ["alanine", "ethanol one", "", "amine"]
    p.write_text("smiles name note\nCCO |$;;$| ethanol x y\n")
    assert read_table(p).iloc[0].tolist() == ["CCO |$;;$|", "ethanol", "x y"]


def test_sdf_tag_name_holding_a_greater_than_sign_is_read_whole(tmp_path: Path) -> None:
    """A column named ``pIC50>6`` written to SDF (``>  <pIC50>6>``, as RDKit writes and reads it)
    came back as a column ``pIC50``: the name ended at its first ``>``. It ends at the last."""
    from rdkit import Chem

    from drugscreen.io import TableWriter

    out = tmp_path / "o.sdf"
    with TableWriter(out, smiles_column="smiles") as w:
        w.write(pd.DataFrame({"smiles": ["CCO"], "id": ["a"], "pIC50>6": ["yes"], "n": ["1"]}))
    rdkit_names = list(next(Chem.ForwardSDMolSupplier(str(out))).GetPropNames())
    df = read_table(out)
    assert [c for c in df.columns if c in rdkit_names] == rdkit_names == ["smiles", "id", "pIC50>6", "n"]
    assert df["pIC50>6"].tolist() == ["yes"]


def test_a_misspelt_smiles_column_gets_the_closest_name(tmp_path):
    # --smiles-column smile listed the columns but did not point at 'smiles', as a misspelt
    # endpoint or profile name does
    from drugscreen.exceptions import InputFormatError


    path = tmp_path / "t.csv"
    path.write_text("smiles,id\nCCO,a\n")
    with pytest.raises(InputFormatError, match=r"'smile' not found \(did you mean 'smiles'\?\); the columns are"):
        read_table(str(path), smiles_column="smile")
