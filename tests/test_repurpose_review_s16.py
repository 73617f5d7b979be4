"""Repurposing reviewed as a computational biologist would use it (session 16): what the log
says about the on-the-fly model, the hint for an unused concentration column, and which error a
multi-record FASTA file gives."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from drugscreen.exceptions import InputFormatError, InvalidSequenceError
from tests.test_repurpose_inputs import IMATINIB
from tests.test_repurpose_review_s10 import LIBRARY

KINASE = (
    "FEKIKVLGSGAFGTVYKGLWIPEGEKVKIPVAIKELREATSPKANKEILDEAYVMASVDNPHVCRLLGICLTSTVQLITQLMPFGCLLDYVREHK"
    "DNIGSQYLLNWCVQIAKGMNYLEDRRLVHRDLAARNVLVKTPQHVKITDFGLAKLLGAEEKEYHAEGGKVPIKWMALESILHRIYTHQSDVWSYG"
)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


def test_too_few_labelled_ligands_do_not_claim_an_on_the_fly_model(caplog) -> None:
    """One active and two inactives logged '1 actives and 2 inactives given: a model is trained
    on the fly from 5 of each', though no model was trained (no model_prob column)."""
    from drugscreen.repurposing.repurposer import Repurposer

    ligands = pd.DataFrame({"smiles": [IMATINIB, "CC(=O)Oc1ccccc1C(=O)O", "CCO"], "active": [1, 0, 0]})
    with caplog.at_level(logging.INFO, logger="drugscreen"):
        out = Repurposer(None, panel=False).rank(ligands=ligands, activity_column="active", library=pd.DataFrame({"smiles": LIBRARY}))
    assert "model_prob" not in out.columns
    lines = [r.getMessage() for r in caplog.records if "inactives given" in r.getMessage()]
    assert len(lines) == 1
    assert "1 active and 2 inactives given" in lines[0]
    assert "no model is trained on the fly" in lines[0] and "at least 5 of each" in lines[0]


def test_unused_concentration_column_is_not_offered_as_the_activity_column(caplog) -> None:
    """An IC50_nM column left unused was warned about with 'give --activity-column IC50_nM', an
    option value that is then refused as a concentration; the hint now says how to convert."""
    from drugscreen.repurposing.inputs import load_ligands

    df = pd.DataFrame({"smiles": [IMATINIB, "CCO"], "IC50_nM": [30.0, 1e5]})
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        load_ligands(df)
    (msg,) = [r.getMessage() for r in caplog.records if "not used" in r.getMessage()]
    assert "--activity-column IC50_nM" not in msg
    assert "9 - log10" in msg
    with pytest.raises(InputFormatError, match="9 - log10"):
        load_ligands(df, activity_column="IC50_nM")
    # a potency column is still offered as it is
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        load_ligands(pd.DataFrame({"smiles": [IMATINIB, "CCO"], "pIC50": [7.5, 3.0]}))
    (msg,) = [r.getMessage() for r in caplog.records if "not used" in r.getMessage()]
    assert "--activity-column pIC50" in msg


@pytest.mark.parametrize("short_first", [False, True])
def test_multi_record_fasta_is_refused_as_multi_record(tmp_path, short_first: bool) -> None:
    """A FASTA file with a kinase domain and a short peptide was refused as "record 'pep': 22
    residues is too short for a protein target": the user trims the peptide's record, when the
    file's problem is that it holds two targets."""
    from drugscreen.repurposing.inputs import read_sequence_input

    records = [">kin EGFR kinase domain", KINASE, ">pep", "MKTAYIAKQRQISFVKSHFSRQ"]
    if short_first:
        records = records[2:] + records[:2]
    path = tmp_path / "two.fasta"
    path.write_text("\n".join(records) + "\n")
    with pytest.raises(InvalidSequenceError, match=r"2 FASTA records \('(kin|pep)', '(kin|pep)'\); give one target at a time"):
        read_sequence_input(fasta=path)
    with pytest.raises(InvalidSequenceError, match="2 FASTA records"):
        read_sequence_input(sequence=path.read_text())
    # a record with a character no sequence holds does not hide the second record either
    path.write_text("\n".join([">kin", KINASE, ">dna", "ACGT-1ACGT"]) + "\n")
    with pytest.raises(InvalidSequenceError, match="2 FASTA records"):
        read_sequence_input(fasta=path)
    # one record is still validated as before
    path.write_text(">pep\nMKTAYIAKQRQISFVKSHFSRQ\n")
    with pytest.raises(InvalidSequenceError, match="too short"):
        read_sequence_input(fasta=path)


def test_ligands_of_a_chembl_activity_export_keep_their_names(tmp_path) -> None:
    """A ChEMBL activity export (';'-separated, 'Molecule ChEMBL ID', 'Molecule Name', 'Smiles',
    'pChEMBL Value') named its ligands 'ligand 1', 'ligand 2' ... in known_ligand, nearest_ligand
    and evidence: 'Molecule Name' was not read as a name column. A blank name (most ChEMBL
    compounds have none) falls back to the ChEMBL id."""
    from drugscreen.repurposing.inputs import load_ligands

    path = tmp_path / "chembl_export.csv"
    path.write_text(
        '"Molecule ChEMBL ID";"Molecule Name";"Smiles";"Standard Type";"pChEMBL Value"\n'
        f'"CHEMBL941";"IMATINIB";"{IMATINIB}";"IC50";"7.52"\n'
        '"CHEMBL4000001";"";"Cc1nc(Nc2ncc(C(=O)Nc3c(C)cccc3Cl)s2)cc(N2CCN(CCO)CC2)n1";"IC50";"9.3"\n'
        '"CHEMBL25";"ASPIRIN";"CC(=O)Oc1ccccc1C(=O)O";"IC50";"4.0"\n'
    )
    lig = load_ligands(path, activity_column="pChEMBL Value")
    assert lig.names == ["IMATINIB", "CHEMBL4000001", "ASPIRIN"]
    # a plain name column still wins over an id column, and a table with neither keeps row names
    table = pd.DataFrame({"compound_id": ["C1", "C2"], "name": ["imatinib", ""], "smiles": [IMATINIB, "CCO"]})
    assert load_ligands(table).names == ["imatinib", "C2"]
    assert load_ligands(pd.DataFrame({"smiles": [IMATINIB, "CCO"]})).names == ["ligand 1", "ligand 2"]


def test_blank_activity_cell_is_reported_as_missing(tmp_path, caplog) -> None:
    """A blank pIC50 cell in a CSV file (ChEMBL leaves 'pChEMBL Value' blank for '>' results) was
    reported as "activity '' is neither a number nor active/inactive"; it is a missing value."""
    from drugscreen.repurposing.inputs import load_ligands

    path = tmp_path / "lig.csv"
    path.write_text(f"name,smiles,pIC50\nimatinib,{IMATINIB},7.5\nethanol,CCO,\nwater,O,   \n")
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        lig = load_ligands(path, activity_column="pIC50")
    assert lig.names == ["imatinib"]
    assert [e for _, _, e in lig.errors] == ["missing activity value", "missing activity value"]
    assert "neither a number" not in caplog.text


def test_repurposing_package_exports_the_repurposer() -> None:
    """'from drugscreen.repurposing import Repurposer' (the package the README names for the
    repurposing library) failed with ImportError: the names lived only in its submodules and in
    the top-level package. They are now reached from the package too, still loaded on first use."""
    import subprocess
    import sys

    code = (
        "import sys, drugscreen.repurposing as r\n"
        "assert 'torch' not in sys.modules and 'drugscreen.repurposing.repurposer' not in sys.modules\n"
        "from drugscreen.repurposing import Repurposer, repurpose, load_affinity_bundle\n"
        "import drugscreen\n"
        "assert Repurposer is drugscreen.Repurposer and repurpose is drugscreen.repurpose\n"
        "assert {'Repurposer', 'repurpose', 'load_affinity_bundle'} <= set(dir(r))\n"
        "try:\n"
        "    r.no_such_name\n"
        "except AttributeError as exc:\n"
        "    assert 'drugscreen.repurposing' in str(exc)\n"
        "else:\n"
        "    raise SystemExit('no AttributeError')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_report_says_how_many_known_actives_it_draws() -> None:
    """With 473 actives given (a KIBA target's ligands), the report's 'Known actives used'
    section drew 24 of them without a word of the other 449, and the header gave no count of
    the inactives the on-the-fly model was trained with."""
    from drugscreen.repurposing.report import render_report

    ranked = pd.DataFrame({"rank": [1], "chembl_id": ["C1"], "name": ["ethanol"], "smiles": ["CCO"], "score": [0.5],
                           "uncertainty": [0.1], "percentile": [100.0], "evidence": ["e"]})  # fmt: skip
    ranked.attrs.update({"n_actives": 473, "n_inactives": 978, "ligands": [(f"L{i}", "CCO") for i in range(473)]})
    page = render_report(ranked)
    assert "known actives: 473 (inactives: 978)" in page
    assert "<h2>Known actives used (473)</h2>" in page
    assert "The first 24 are drawn; all 473 were used" in page and page.count("<br>L") == 24
    # a handful are all drawn, without the note
    ranked.attrs.update({"n_actives": 3, "n_inactives": 0, "ligands": [(f"L{i}", "CCO") for i in range(3)]})
    page = render_report(ranked)
    assert "<h2>Known actives used (3)</h2>" in page and "are drawn" not in page and "inactives" not in page


def test_rank_records_the_number_of_inactives() -> None:
    """The ranking's attrs carry n_inactives next to n_actives, for the report's header."""
    from drugscreen.repurposing.repurposer import Repurposer

    ligands = pd.DataFrame({"smiles": [IMATINIB, "CC(=O)Oc1ccccc1C(=O)O", "CCO"], "active": [1, 0, 0]})
    out = Repurposer(None, panel=False).rank(ligands=ligands, activity_column="active", library=pd.DataFrame({"smiles": LIBRARY}))
    assert out.attrs["n_actives"] == 1 and out.attrs["n_inactives"] == 2
