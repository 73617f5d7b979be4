"""`drugscreen repurpose` reviewed (session 18): repeated ligands and the on-the-fly model's
minimum, '-' (standard input) for the ligands or the library, ChEMBL's activity comments, the
identifier column of a user library, ``-o x.parquet.gz``, what the evidence says the sequence
score ranks by, and two messages (a missing --model, a nameless unparsable library entry)."""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from drugscreen.exceptions import BundleError, ConfigError, InputFormatError
from tests.test_repurpose_inputs import DASATINIB, IMATINIB, NILOTINIB
from tests.test_repurpose_review_s10 import INACTIVES, KINASE_ACTIVES, LIBRARY

ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"
CAFFEINE = "Cn1cnc2c1c(=O)n(C)c(=O)n2C"
IBUPROFEN = "CC(C)Cc1ccc(C(C)C(=O)O)cc1"
PARACETAMOL = "CC(=O)Nc1ccc(O)cc1"
DIAZEPAM = "CN1C(=O)CN=C(c2ccccc2)c2cc(Cl)ccc21"
FIVE_INACTIVES = [ASPIRIN, CAFFEINE, IBUPROFEN, PARACETAMOL, DIAZEPAM]


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    """Standard input holding ``text`` (``sys.stdin.buffer`` is what the readers read)."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))


# -- 1. repeated ligands count once -------------------------------------------------------------


def test_a_ligand_repeated_five_times_is_one_active_and_trains_no_model(caplog) -> None:
    """Imatinib five times as active plus 5 inactives passed the 'at least 5 actives' gate: a
    forest trained from one unique active took 'model 53%' of every drug's score, without a word."""
    from drugscreen.repurposing.repurposer import Repurposer

    lig = pd.DataFrame({"smiles": [IMATINIB] * 5 + FIVE_INACTIVES, "active": [1] * 5 + [0] * 5})
    with caplog.at_level(logging.INFO, logger="drugscreen"):
        out = Repurposer(None, panel=False).rank(ligands=lig, activity_column="active", library=pd.DataFrame({"smiles": LIBRARY}))
    assert "model_prob" not in out.columns and "model" not in out.attrs["components"]
    assert not out["evidence"].str.contains("model ").any()
    assert out.attrs["n_actives"] == 1 and out.attrs["n_inactives"] == 5
    warned = [r.getMessage() for r in caplog.records if "distinct parent molecules after standardization" in r.getMessage()]
    assert len(warned) == 1  # once
    assert "10 ligand rows are 6 distinct parent molecules" in warned[0] and "x5" in warned[0]
    assert "1 active and 5 inactives (distinct parent molecules, of 10 rows) given: no model is trained" in caplog.text


def test_salt_forms_of_one_parent_count_once() -> None:
    from drugscreen.repurposing.inputs import load_ligands

    salts = [IMATINIB, f"{IMATINIB}.CS(=O)(=O)O", f"{IMATINIB}.Cl", f"{IMATINIB}.O", f"{IMATINIB}.Cl.Cl"]
    lig = load_ligands(pd.DataFrame({"smiles": salts + FIVE_INACTIVES, "active": [1] * 5 + [0] * 5}), activity_column="active")
    assert len(lig.actives) == 5  # every row is kept (names, nearest ligand) ...
    assert len(lig.active_parents) == 1 and len(lig.inactive_parents) == 5  # ... but counts once
    rows, labels = lig.parent_rows()
    assert rows.tolist()[:1] == [0] and labels.tolist() == [1] + [0] * 5


def test_five_distinct_actives_with_repeats_train_on_one_row_per_parent(caplog) -> None:
    from drugscreen.repurposing.repurposer import Repurposer

    actives = KINASE_ACTIVES[:5]
    lig = pd.DataFrame({"smiles": actives + actives[:2] + INACTIVES[:5], "active": [1] * 7 + [0] * 5})
    with caplog.at_level(logging.INFO, logger="drugscreen"):
        out = Repurposer(None, panel=False).rank(ligands=lig, activity_column="active", library=pd.DataFrame({"smiles": LIBRARY}))
    assert "model_prob" in out.columns
    assert "5 actives and 5 inactives (distinct parent molecules, of 12 rows) given: a model is trained on the fly" in caplog.text
    # the repeats change nothing: the same forest as from the distinct rows alone
    once = Repurposer(None, panel=False).rank(
        ligands=pd.DataFrame({"smiles": actives + INACTIVES[:5], "active": [1] * 5 + [0] * 5}), activity_column="active",
        library=pd.DataFrame({"smiles": LIBRARY}),
    )  # fmt: skip
    by = "smiles"
    np.testing.assert_allclose(out.set_index(by)["model_prob"].sort_index(), once.set_index(by)["model_prob"].sort_index())


def test_a_parent_given_both_ways_counts_as_an_active(caplog) -> None:
    """As the library drug is listed first as a known active, the parent counts as an active;
    its inactive rows neither count nor train the forest."""
    from drugscreen.repurposing.inputs import load_ligands

    df = pd.DataFrame({"smiles": [IMATINIB, f"{IMATINIB}.CS(=O)(=O)O", "CCO"], "pIC50": [7.5, 5.0, 4.0],
                       "name": ["assay 1", "assay 2", "ethanol"]})  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        lig = load_ligands(df, activity_column="pIC50")
    assert lig.active_parents == [lig.smiles_std[0]] and lig.inactive_parents == [lig.smiles_std[2]]
    assert lig.conflicting_parents == [lig.smiles_std[0]]
    rows, labels = lig.parent_rows()
    assert rows.tolist() == [0, 2] and labels.tolist() == [1, 0]
    assert "1 parent labelled active in one row and inactive in another ('assay 1') counts as an active" in caplog.text


def test_distinct_ligands_give_no_repeat_warning(caplog) -> None:
    from drugscreen.repurposing.inputs import load_ligands

    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        load_ligands([IMATINIB, NILOTINIB, DASATINIB])
    assert "distinct parent" not in caplog.text


# -- 2. '-' reads standard input ----------------------------------------------------------------


def test_ligands_from_standard_input(monkeypatch) -> None:
    """'--ligands -' was 'ligands file not found: -', though `screen` reads '-'."""
    from drugscreen.repurposing.inputs import load_ligands

    _stdin(monkeypatch, f"{IMATINIB} imatinib 7.5\n{ASPIRIN} aspirin 4.0\n")
    lig = load_ligands("-", activity_column="pIC50")  # sniffed as .smi: the trailing value is read too
    assert lig.names == ["imatinib", "aspirin"] and lig.labels.tolist() == [1, 0]


def test_library_from_standard_input(monkeypatch) -> None:
    from drugscreen.repurposing.repurposer import Repurposer

    _stdin(monkeypatch, "smiles,id\n" + "\n".join(f"{s},D{i}" for i, s in enumerate(LIBRARY)) + "\n")
    out = Repurposer(None, panel=False).rank(ligands=[IMATINIB], library=Path("-"))
    assert sorted(out["id"]) == sorted(f"D{i}" for i in range(len(LIBRARY)))
    assert out.attrs["library"] == "library (standard input)"


def test_ligands_and_library_cannot_both_be_standard_input(tmp_path) -> None:
    from typer.testing import CliRunner

    from drugscreen.cli import app
    from drugscreen.repurposing.repurposer import check_argument_kinds

    with pytest.raises(ConfigError, match=r"cannot both be read from standard input"):
        check_argument_kinds(ligands="-", library="-")
    res = CliRunner().invoke(app, ["repurpose", "--ligands", "-", "--library", "-", "--no-panel"], input=f"{IMATINIB}\n")
    # refused before anything is read (main() prints a DrugscreenError as one line, exit 1)
    assert res.exit_code != 0 and isinstance(res.exception, ConfigError)
    assert "cannot both be read from standard input" in str(res.exception)


def test_cli_reads_the_ligands_from_standard_input(tmp_path) -> None:
    from typer.testing import CliRunner

    from drugscreen.cli import app

    lib = tmp_path / "lib.csv"
    pd.DataFrame({"smiles": LIBRARY, "id": [f"D{i}" for i in range(len(LIBRARY))]}).to_csv(lib, index=False)
    out = tmp_path / "ranked.csv"
    from tests.test_repurpose_end_to_end import _tiny_affinity_bundle

    bundle = _tiny_affinity_bundle(tmp_path)
    res = CliRunner().invoke(
        app, ["repurpose", "--ligands", "-", "--library", str(lib), "--model", str(bundle), "--no-panel", "-o", str(out)],
        input=f"smiles\n{IMATINIB}\n{NILOTINIB}\n",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    ranked = pd.read_csv(out)
    assert len(ranked) == len(LIBRARY) and ranked["nearest_ligand"].notna().all()


# -- 3. ChEMBL's activity comments ---------------------------------------------------------------


def test_chembl_activity_comments_are_read() -> None:
    """'Not Active' was 'neither a number nor active/inactive' and the row was dropped."""
    from drugscreen.repurposing.inputs import load_ligands

    df = pd.DataFrame({
        "Smiles": [IMATINIB, ASPIRIN, CAFFEINE, IBUPROFEN, PARACETAMOL, DIAZEPAM, "CCO"],
        "Activity Comment": ["Active", "Not Active", "not_active", "INACTIVE", "Inconclusive", "Not Determined", "active"],
    })  # fmt: skip
    lig = load_ligands(df, activity_column="Activity Comment")
    assert lig.labels.tolist() == [1, 0, 0, 0, 1]
    assert [r for r, _, _ in lig.errors] == [4, 5]  # ambiguous wordings stay refused, per row
    reason = lig.errors[0][2]
    assert "'Inconclusive'" in reason and "'not active'" in reason and "active/inactive" in reason


# -- 4. a user library's identifier column -------------------------------------------------------


def test_chembl_ids_in_an_id_column_give_chembl_id() -> None:
    """The README says a user library's ids are in `id` unless they are ChEMBL ids; the column's
    name decided instead (a column `id` of CHEMBL941, CHEMBL25 gave `id`)."""
    from drugscreen.repurposing.inputs import load_library

    lib = load_library(pd.DataFrame({"smiles": [IMATINIB, ASPIRIN], "id": ["CHEMBL941", "CHEMBL25"]}), parse=False)
    assert lib.id_column == "chembl_id"
    other = load_library(pd.DataFrame({"smiles": [IMATINIB, ASPIRIN], "chembl_id": ["CMP1", "CHEMBL25"]}), parse=False)
    assert other.id_column == "id"  # named chembl, but not every id is a ChEMBL id
    blank = load_library(pd.DataFrame({"smiles": [IMATINIB, ASPIRIN], "Molecule ChEMBL ID": ["CHEMBL941", ""]}), parse=False)
    assert blank.id_column == "chembl_id" and blank.ids == ["CHEMBL941", "row 2"]


# -- 5. -o x.parquet.gz -------------------------------------------------------------------------


def test_parquet_gz_output_is_refused(tmp_path) -> None:
    """'-o out.parquet.gz' wrote a plain Parquet file under a .gz name."""
    from typer.testing import CliRunner

    from drugscreen.cli import app
    from drugscreen.repurposing.report import check_output_paths, write_table

    path = tmp_path / "out.parquet.gz"
    with pytest.raises(InputFormatError, match=r"already compressed; drop the \.gz suffix"):
        check_output_paths(path)
    with pytest.raises(InputFormatError, match="already compressed"):
        write_table(pd.DataFrame({"a": [1]}), path)
    res = CliRunner().invoke(app, ["repurpose", "--ligands", "x.smi", "-o", str(path)])
    assert isinstance(res.exception, InputFormatError) and "already compressed" in str(res.exception)
    assert not path.exists()
    check_output_paths(tmp_path / "out.csv.gz")  # gzipped text stays allowed


# -- 6. what the evidence says the sequence score ranks by ---------------------------------------


def test_evidence_says_the_sequence_score_combines_davis_and_kiba() -> None:
    """The rank follows the mean of the standardized DAVIS and KIBA predictions, but the evidence
    said only 'predicted pKd': ethanol (pKd 5.27) ranked below gefitinib (pKd 5.25)."""
    from drugscreen.repurposing.repurposer import Repurposer

    rp = Repurposer(SimpleNamespace(tasks=["davis", "kiba"]), panel=False)  # type: ignore[arg-type]
    out = {"pred_pkd": [5.27], "pred_pkd_sd": [0.03], "pred_kiba": [10.9]}
    text = rp._evidence(0, out, ["sequence"], predicted=rp._predicted_labels())
    assert text == "predicted pKd 5.27 (heads' spread 0.03) and KIBA score 10.90, ranked by their standardized mean"
    one = Repurposer(SimpleNamespace(tasks=["davis"]), panel=False)  # type: ignore[arg-type]
    assert one._evidence(0, out, ["sequence"], predicted=one._predicted_labels()) == "predicted pKd 5.27 (heads' spread 0.03)"


# -- cosmetic ------------------------------------------------------------------------------------


def test_a_missing_model_folder_is_not_found(tmp_path) -> None:
    from drugscreen.repurposing.affinity_bundle import load_affinity_bundle

    with pytest.raises(BundleError, match=r"affinity model not found: .*nonexist"):
        load_affinity_bundle(tmp_path / "nonexist")
    with pytest.raises(BundleError, match="not an affinity bundle"):
        load_affinity_bundle(tmp_path)  # a folder without the files is still told so


def test_a_nameless_unparsable_library_entry_is_named_once(tmp_path, caplog) -> None:
    from drugscreen.repurposing.inputs import load_library

    p = tmp_path / "lib.smi"
    p.write_text(f"C1CC(\n{IMATINIB} imatinib\n")
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        load_library(p)
    assert "first: row 1: " in caplog.text and "row 1 row 1" not in caplog.text
