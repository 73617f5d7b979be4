"""Repurposing reviewed as a computational biologist would use it (session 10): rankings that
do not depend on the order of the inputs, ligands without names, output paths checked before
the run, user libraries with odd columns, and sequence files given in the wrong place."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.test_repurpose_inputs import DASATINIB, IMATINIB, NILOTINIB

KINASE_ACTIVES = [
    IMATINIB, NILOTINIB, DASATINIB,
    "COc1cc(Nc2c(C#N)cnc3cc(OCCCN4CCN(C)CC4)c(OC)cc23)c(Cl)cc1Cl",
    "CC(C)n1nc(-c2ccc(N)c(O)c2)c2c(N)ncnc21",
    "Cc1ccc(C(=O)Nc2ccc(CN3CCN(C)CC3)c(C(F)(F)F)c2)cc1C#Cc1cnc2cccnn12",
]  # fmt: skip
INACTIVES = ["CCO", "CC(=O)Oc1ccccc1C(=O)O", "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "O=C(O)c1ccccc1O", "Cn1cnc2c1c(=O)n(C)c(=O)n2C", "OCC(O)CO"]
LIBRARY = [
    "Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1N", "c1ccc2[nH]ccc2c1", "CN1CCC[C@H]1c1cccnc1", "CCN(CC)CCNC(=O)c1ccc(N)cc1",
    "COc1ccc2[nH]cc(CCNC(C)=O)c2c1", "Nc1ncnc2[nH]cnc12", "c1ccc(Nc2ncccn2)cc1", "CC(C)NCC(O)COc1cccc2ccccc12",
    "O=C(O)CCc1ccccc1", "Clc1ccc(cc1)C(c1ccccc1)N1CCNCC1", "CN(C)CCCN1c2ccccc2CCc2ccccc21", "NC(=O)c1cccnc1",
]  # fmt: skip


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


def _library() -> pd.DataFrame:
    return pd.DataFrame({"id": [f"L{i}" for i in range(len(LIBRARY))], "smiles": LIBRARY})


def test_on_the_fly_model_does_not_depend_on_the_order_of_the_ligands() -> None:
    """The random forest (>= 5 actives and 5 inactives) drew its bootstrap samples by row position:
    the same ligands listed in reverse gave other probabilities and another ranking."""
    from drugscreen.repurposing.repurposer import Repurposer

    ligands = pd.DataFrame({"smiles": KINASE_ACTIVES + INACTIVES, "active": [1] * 6 + [0] * 6})
    rp = Repurposer(None, panel=False)
    a = rp.rank(ligands=ligands, activity_column="active", library=_library()).set_index("id")
    b = rp.rank(ligands=ligands.iloc[::-1].reset_index(drop=True), activity_column="active", library=_library()).set_index("id")
    assert "model_prob" in a.columns
    pd.testing.assert_series_equal(a["model_prob"], b.loc[a.index, "model_prob"])
    pd.testing.assert_series_equal(a["rank"], b.loc[a.index, "rank"])


def test_equal_scores_do_not_take_their_order_from_the_library() -> None:
    """Percentile fusion gives many exact ties (weighted sums of whole ranks; 52 among the approved
    drugs in ligand mode for the ABL1 example) and near-ties that differ only in the last bit of
    a float: they were ordered by library position, so the same library in another order ranked
    them differently. Enantiomers have identical fingerprints, so they tie in every component."""
    from drugscreen.repurposing.repurposer import Repurposer

    lib = pd.DataFrame(
        {
            "id": ["R", "S", "racemate", "other"],
            "smiles": ["C[C@@H](N)c1ccc(O)cc1", "C[C@H](N)c1ccc(O)cc1", "CC(N)c1ccc(O)cc1", "CCO"],
        }
    )
    rp = Repurposer(None, panel=False)
    ranks = []
    for perm in ([0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2]):
        out = rp.rank(ligands=[IMATINIB, "Nc1ccc(O)cc1"], library=lib.iloc[perm].reset_index(drop=True))
        ranks.append(out.set_index("id")["rank"].sort_index())
        assert out["score"].is_monotonic_decreasing
    pd.testing.assert_series_equal(ranks[0], ranks[1])
    pd.testing.assert_series_equal(ranks[0], ranks[2])


def test_float_noise_does_not_split_a_tie() -> None:
    """Equal percentile sums that differ in their last bit read as one score (and one percentile)."""
    from drugscreen.repurposing.repurposer import Repurposer

    rp = Repurposer(None, panel=False)
    out = rp.rank(ligands=[IMATINIB, NILOTINIB, DASATINIB], library=pd.DataFrame({"smiles": LIBRARY}))
    score = out["score"].to_numpy(dtype=float)
    gaps = np.diff(np.sort(score))
    assert not ((gaps > 0) & (gaps < 1e-9)).any()


def test_ligands_without_names_are_named_by_their_row(tmp_path) -> None:
    """A .smi file of bare SMILES (or a table with blank names) gave ligands named '': a library drug
    that is one of them was listed first with an empty known_ligand (the value that means "not a
    given ligand") and the evidence 'given as a known active ()'."""
    from drugscreen.repurposing.inputs import load_ligands
    from drugscreen.repurposing.repurposer import Repurposer

    (tmp_path / "bare.smi").write_text(f"{IMATINIB}\n{DASATINIB}\n")
    assert load_ligands(tmp_path / "bare.smi").names == ["ligand 1", "ligand 2"]
    table = pd.DataFrame({"smiles": [IMATINIB, DASATINIB, NILOTINIB], "name": ["", None, " nilotinib "]})
    assert load_ligands(table).names == ["ligand 1", "ligand 2", "nilotinib"]

    lib = pd.DataFrame({"id": ["imatinib", "aspirin"], "smiles": [IMATINIB, INACTIVES[1]]})
    out = Repurposer(None, panel=False).rank(ligands=tmp_path / "bare.smi", library=lib)
    first = out.iloc[0]
    assert first["id"] == "imatinib" and first["known_ligand"] == "ligand 1"
    assert first["evidence"].startswith("given as a known active (ligand 1); nearest ligand ligand 1 (")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-o", "{lib}"], "refusing to write the output over the input file"),
        (["-o", "{lig}"], "write the ranking as .csv, .tsv, .txt (tab-separated) or .parquet"),
        (["-o", "{tmp}/ligands.csv"], "refusing to write the output over the input file"),
        (["-o", "{tmp}/no/such/folder/ranked.csv"], "the output's folder"),
        (["-o", "{tmp}"], "write the ranking as"),
        (["-o", "{tmp}/ranked.xlsx"], "write the ranking as .csv, .tsv, .txt (tab-separated) or .parquet"),
        (["--report", "{tmp}/no/such/folder/r.html"], "the report's folder"),
        (["--report", "{tmp}/r.pdf"], "the report is an HTML page"),
        (["--report", "{lib}"], "the report is an HTML page"),
        (["-o", "{tmp}/same.csv", "--report", "{tmp}/same.csv"], "the report is an HTML page"),
    ],
)
def test_cli_checks_output_paths_before_the_run(tmp_path, monkeypatch, extra, message) -> None:
    """-o over the library file silently replaced the user's library with the ranking; -o or
    --report into a missing folder crashed with a traceback after the whole run, and a wrong
    suffix was refused only after it. Now each is one 'Error:' line before the model loads."""
    from typer.testing import CliRunner

    import drugscreen.repurposing.repurposer as rep
    from drugscreen.cli import app

    lib = tmp_path / "library.csv"
    _library().to_csv(lib, index=False)
    before = lib.read_bytes()
    (tmp_path / "ligands.csv").write_text(f"smiles\n{IMATINIB}\n")
    lig = tmp_path / "lig.smi"
    lig.write_text(f"{IMATINIB} imatinib\n")

    def never(*args, **kwargs):
        raise AssertionError("the ranking ran before the output paths were checked")

    monkeypatch.setattr(rep, "repurpose", never)
    fill = {"lib": str(lib), "lig": str(lig), "tmp": str(tmp_path)}
    ligands = str(tmp_path / "ligands.csv") if "ligands.csv" in " ".join(extra) else str(lig)
    args = ["repurpose", "--ligands", ligands, "--library", str(lib), "--no-panel", *[a.format(**fill) for a in extra]]
    res = CliRunner().invoke(app, args)
    from drugscreen.exceptions import InputFormatError

    assert res.exit_code == 1 and isinstance(res.exception, InputFormatError)  # main() prints it as one 'Error:' line
    assert message in str(res.exception)
    assert lib.read_bytes() == before


def test_write_table_and_report_name_a_missing_folder(tmp_path) -> None:
    """The API's writers raised a bare OSError / FileNotFoundError for a missing folder."""
    from drugscreen.exceptions import InputFormatError
    from drugscreen.repurposing.report import write_report, write_table

    ranked = pd.DataFrame({"rank": [1], "id": ["a"], "smiles": ["CCO"], "score": [0.5]})
    with pytest.raises(InputFormatError, match="folder .*missing does not exist"):
        write_table(ranked, tmp_path / "missing" / "r.csv")
    with pytest.raises(InputFormatError, match="folder .*missing does not exist"):
        write_report(ranked, tmp_path / "missing" / "r.html")


def test_a_library_year_column_that_is_not_whole_years_does_not_crash(tmp_path) -> None:
    """A user library whose 'year' column held 2001.5 crashed the ranking (TypeError: cannot safely
    cast non-equivalent object to int64, a traceback in the CLI); whole years are still integers."""
    from drugscreen.repurposing.repurposer import Repurposer

    rp = Repurposer(None, panel=False)
    odd = pd.DataFrame({"smiles": [IMATINIB, "CCO", "C1CC1N(", "CCN"], "name": list("abcd"), "year": [2001.5, 1999, 2000, None]})
    out = rp.rank(ligands=[IMATINIB], library=odd).set_index("name")
    assert out.loc["a", "first_approval"] == 2001.5 and out.loc["b", "first_approval"] == 1999
    assert pd.isna(out.loc["d", "first_approval"]) and out.loc["c", "error"]
    whole = rp.rank(ligands=[IMATINIB], library=odd.assign(year=[2001, 1999, 2000, None])).set_index("name")
    assert str(whole["first_approval"].dtype) == "Int64" and whole.loc["c", "first_approval"] == 2000


ABL1_KINASE = (
    "SPNYDKWEMERTDITMKHKLGGGQYGEVYEGVWKKYSLTVAVKTLKEDTMEVEEFLKEAAVMKEIKHPNLVQLLGVCTREPPFYIITEFMTYGNLLDYLRECNRQEVNAVVLLYMATQISSAMEYLEKKNFIHRDLAARNCLVGENHLVKVADFGLSRLMTGDTYTAHAGAKFPIKWTAPESLAYNKFSIKSDVWAFGVLLWEIATYGMSPYPGIDLSQVYELLEKDYRMERPEGCPEKVYELMRACWQWNPSDRPSFAEIHQAFETMFQESSISDEVEKEL"
)


def test_a_seq_file_is_judged_by_its_content(tmp_path) -> None:
    """A .seq file given as the library (or ligands) was refused as 'a FASTA file: pass it as
    fasta=' whatever it held; a SMILES list named .seq now gets the molecule reader's message
    (which file types it reads), and only a .seq file holding a sequence is sent to fasta=.
    Given as fasta=, a .seq file with the bare sequence (no '>' header) is read, not refused as
    'sequence text before the first > header'."""
    from drugscreen.exceptions import ConfigError, InputFormatError
    from drugscreen.repurposing.inputs import read_sequence_input
    from drugscreen.repurposing.repurposer import Repurposer

    smiles_seq = tmp_path / "drugs.seq"
    smiles_seq.write_text(f"smiles\n{IMATINIB}\nCCO\n")
    rp = Repurposer(None, panel=False)
    for param in ("library", "ligands"):
        kwargs = {"ligands": [IMATINIB], "library": smiles_seq} if param == "library" else {"ligands": smiles_seq}
        with pytest.raises(InputFormatError, match=r"unknown file type \.seq; use one of \.smi"):
            rp.rank(**kwargs)
    bare = tmp_path / "abl1.seq"
    bare.write_text("\n".join(ABL1_KINASE[i : i + 60] for i in range(0, len(ABL1_KINASE), 60)) + "\n")
    fasta = tmp_path / "abl1_fasta.seq"
    fasta.write_text(f">ABL1 kinase domain\n{ABL1_KINASE.lower()}\n")
    for path in (bare, fasta):
        with pytest.raises(ConfigError, match=r"library= got .*a sequence file: pass it as fasta="):
            rp.rank(ligands=[IMATINIB], library=path)
        with pytest.raises(ConfigError, match=r"ligands= got .*a sequence file: pass it as fasta="):
            rp.rank(ligands=path)
    assert read_sequence_input(fasta=bare) == ("abl1", ABL1_KINASE)
    assert read_sequence_input(fasta=fasta) == ("ABL1 kinase domain", ABL1_KINASE)


def test_a_drug_given_as_active_and_inactive_says_both(caplog) -> None:
    """Replicate potencies on either side of the threshold (pIC50 7.5 for imatinib, 5.0 for its
    mesylate) made imatinib a known active, listed first with known_ligand set, while its evidence
    read only 'given as a known inactive (...)'."""
    import logging

    from drugscreen.repurposing.repurposer import Repurposer

    lig = pd.DataFrame(
        {"smiles": [IMATINIB, f"{IMATINIB}.CS(=O)(=O)O", "CCO"], "pIC50": [7.5, 5.0, 4.0], "name": ["assay 1", "assay 2", "ethanol"]}
    )
    lib = pd.DataFrame({"id": ["imatinib", "benzene"], "smiles": [IMATINIB, "c1ccccc1"]})
    with caplog.at_level(logging.WARNING, logger="drugscreen.repurposing.repurposer"):
        out = Repurposer(None, panel=False).rank(ligands=lig, activity_column="pIC50", library=lib)
    first = out.iloc[0]
    assert first["id"] == "imatinib" and first["known_ligand"] == "assay 1"
    assert first["evidence"].startswith("given as a known active (assay 1) and as a known inactive (assay 2); ")
    assert "given both as an active and as an inactive (assay 1 / assay 2)" in caplog.text


def test_cli_table_shows_why_an_entry_was_not_ranked(tmp_path) -> None:
    """The stdout table listed an unparsable library entry with rank <NA> and evidence NaN, without
    its reason (the error column is only in the CSV)."""
    from typer.testing import CliRunner

    from drugscreen.cli import app

    (tmp_path / "lib.csv").write_text(f"id,smiles\nima,{IMATINIB}\nbroken,C1CC1N(\n")
    (tmp_path / "lig.smi").write_text(f"{DASATINIB} dasatinib\n")
    args = ["repurpose", "--ligands", str(tmp_path / "lig.smi"), "--library", str(tmp_path / "lib.csv"), "--no-panel"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    line = next(x for x in res.output.splitlines() if "broken" in x and "library entries" not in x)  # the table row
    assert "not ranked: syntax error while parsing: C1CC1N(" in line and not line.rstrip().endswith("NaN")


def test_a_txt_ranking_is_tab_separated_as_the_screeners_is(tmp_path) -> None:
    """-o ranked.txt wrote commas where drugscreen screen -o scored.txt writes tabs."""
    import pandas as pd

    from drugscreen.repurposing.report import write_table

    ranked = pd.DataFrame({"rank": [1, 2], "name": ["IMATINIB, MESYLATE", "B"], "score": [0.9, 0.5]})
    path = write_table(ranked, tmp_path / "ranked.txt")
    assert path.read_text().splitlines()[0] == "rank\tname\tscore"
    assert pd.read_csv(path, sep="\t")["name"].tolist() == ["IMATINIB, MESYLATE", "B"]
