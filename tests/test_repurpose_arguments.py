"""``Repurposer.rank`` and ``repurpose`` take the same arguments in the same way (only the
sequence by position), refuse a value that landed in the wrong parameter, and ligand potency
columns named as concentrations (IC50 in nM, Ki, ...) are refused whatever their values, in the
API and the CLI alike."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from drugscreen.exceptions import ConfigError, InputFormatError
from drugscreen.repurposing.inputs import load_ligands
from drugscreen.repurposing.repurposer import Repurposer, repurpose
from tests.test_repurpose_inputs import ABL1_FRAGMENT, DASATINIB, IMATINIB, NILOTINIB

FASTA = "examples/abl1.fasta"
LIGANDS_SMI = "examples/abl1_ligands.smi"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture()
def library() -> pd.DataFrame:
    return pd.DataFrame({"id": ["a", "b", "c", "d"], "smiles": [IMATINIB, DASATINIB, "CCO", "c1ccccc1O"]})


@pytest.fixture()
def no_model(monkeypatch):
    """``repurpose`` must check its arguments before it loads the model (seconds)."""

    def refuse(*args, **kwargs):
        raise AssertionError("the model was loaded before the arguments were checked")

    monkeypatch.setattr(Repurposer, "load", classmethod(refuse))


# ----------------------------------------------------------------------------- one signature


def test_rank_and_repurpose_share_one_signature() -> None:
    """The old signatures were rank(sequence, ligands, library, top, *, fasta, ...) and
    repurpose(sequence, fasta, ligands, *, ...): the same position meant different things."""
    rank = list(inspect.signature(Repurposer.rank).parameters.values())[1:]  # without self
    rep = list(inspect.signature(repurpose).parameters.values())
    for params in (rank, rep):
        assert params[0].name == "sequence" and params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:]), params
    shared = [p.name for p in rank if p.name in {q.name for q in rep}]
    assert shared == [p.name for p in rep if p.name in {q.name for q in rank}]
    assert shared[:5] == ["sequence", "fasta", "ligands", "library", "top"]


def test_positional_arguments_after_the_sequence_are_refused(library, no_model) -> None:
    rp = Repurposer(None, panel=False)
    with pytest.raises(TypeError, match=r"Repurposer\.rank\(\) takes the target sequence as its only positional.*ligands="):
        rp.rank(None, [IMATINIB], library)
    with pytest.raises(TypeError, match=r"repurpose\(\) takes the target sequence as its only positional.*fasta="):
        repurpose(ABL1_FRAGMENT, FASTA)


def test_documented_keyword_calls_still_work(library) -> None:
    out = Repurposer(None, panel=False).rank(ligands=[IMATINIB], library=library, top=2)
    assert out["id"].tolist() == ["a", "b"]
    full = Repurposer(None, panel=False).rank(None, ligands=[IMATINIB, NILOTINIB], library=library)
    assert len(full) == 4


# ----------------------------------------------------------------------------- wrong kinds


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"ligands": ABL1_FRAGMENT}, ConfigError, r"ligands= got what looks like a protein sequence.*sequence="),
        ({"ligands": f">abl1\n{ABL1_FRAGMENT}\n"}, ConfigError, "looks like a protein sequence"),
        ({"ligands": FASTA}, ConfigError, r"ligands= got 'examples/abl1\.fasta', a FASTA file: pass it as fasta="),
        ({"sequence": pd.DataFrame({"smiles": [IMATINIB]})}, TypeError, r"sequence= takes .* not a DataFrame: known ligands go in ligands="),
        ({"sequence": [IMATINIB]}, TypeError, "not a list"),
        ({"sequence": LIGANDS_SMI}, ConfigError, r"sequence= got the file name .*abl1_ligands\.smi.*ligands="),
        ({"sequence": FASTA}, ConfigError, r"sequence= got the file name .*pass it as fasta="),
        ({"fasta": pd.DataFrame({"smiles": [IMATINIB]})}, TypeError, r"fasta= takes a FASTA file's path, not a DataFrame"),
        ({"fasta": LIGANDS_SMI}, ConfigError, r"fasta= got .*a molecule file \(\.smi\).*ligands="),
        ({"fasta": ABL1_FRAGMENT}, ConfigError, r"fasta= takes a FASTA file's path; this is a sequence: pass it as sequence="),
        ({"ligands": [IMATINIB], "library": [IMATINIB, "CCO"]}, TypeError, r"library= takes .* not a list: known ligands go in ligands="),
        ({"ligands": [IMATINIB], "library": ABL1_FRAGMENT}, ConfigError, "library= got what looks like a protein sequence"),
        ({"ligands": [IMATINIB], "library": FASTA}, ConfigError, "library= got .*a FASTA file: pass it as fasta="),
    ],
)
def test_a_value_in_the_wrong_parameter_is_refused(kwargs, error, message, no_model) -> None:
    """Before the fix, a sequence given as ligands was looked for as a file, a ligand table as
    the library was ranked as the library, a DataFrame as the FASTA file failed deep inside."""
    with pytest.raises(error, match=message):
        Repurposer(None, panel=False).rank(**kwargs)
    with pytest.raises(error, match=message):
        repurpose(**kwargs)


def _cli(args: list[str], monkeypatch, capsys) -> tuple[int, str]:
    """Exit code and standard error of ``drugscreen ARGS`` through the console-script entry point."""
    import sys

    from drugscreen.cli import main

    monkeypatch.setattr(sys, "argv", ["drugscreen", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    return int(exc.value.code or 0), capsys.readouterr().err


def test_cli_refuses_a_fasta_file_given_as_ligands(monkeypatch, capsys, no_model) -> None:
    code, err = _cli(["repurpose", "--ligands", FASTA, "--no-panel"], monkeypatch, capsys)
    assert code == 1
    assert "Error: ligands= got 'examples/abl1.fasta', a FASTA file: pass it as fasta=" in err


# ----------------------------------------------------------------------------- potency names


@pytest.mark.parametrize(
    "name",
    ["IC50", "ic50", "IC50_nM", "IC50 (nM)", "Ki", "Kd_nM", "Ki (uM)", "EC50 (µM)", "Kd (μM)", "potency_nM",
     "Standard Value (nM)", "log10_IC50", "logIC50", "IC50_pM", "ki_pct", "Ki (M)"],
)  # fmt: skip
def test_concentration_names(name) -> None:
    from drugscreen.repurposing.inputs import concentration_column_reason

    assert concentration_column_reason(name) is not None


@pytest.mark.parametrize(
    "name",
    ["pIC50", "pic50", "pKi", "pKd", "p_Kd", "pEC50", "pchembl_value", "pChEMBL Value", "-log10(IC50)", "neg_log_ki",
     "potency", "activity", "act", "value", "label", "kinase_activity", "ki67",
     # -log10 scales written other ways, or with the unit they were converted from: were refused
     "Ki_p", "IC50.p", "p.IC50", "p(IC50)", "p-Ki", "pKi_uM", "pIC50 (nM-derived)"],
)  # fmt: skip
def test_potency_and_ambiguous_names(name) -> None:
    from drugscreen.repurposing.inputs import concentration_column_reason

    assert concentration_column_reason(name) is None


def test_potent_ligands_in_nm_within_0_to_14_are_refused() -> None:
    """IC50s of 0.5..12 nM fit the 0..14 pIC50 range: read as pIC50 the 0.5 nM ligand was the
    weakest (an inactive at threshold 6) and the 12 nM one the strongest."""
    nm = pd.DataFrame({"smiles": [IMATINIB, NILOTINIB, DASATINIB], "IC50_nM": [0.5, 3.0, 12.0]})
    with pytest.raises(InputFormatError, match=r"activity column 'IC50_nM' looks like a concentration.*\(nM\).*pX = 9 - log10\(value in nM\)"):
        load_ligands(nm, activity_column="IC50_nM")
    with pytest.raises(InputFormatError, match=r"'ic50' looks like a concentration.*not pic50"):
        load_ligands(nm.rename(columns={"IC50_nM": "ic50"}), activity_column="ic50")
    with pytest.raises(InputFormatError, match="looks like a concentration"):  # words and numbers mixed
        load_ligands(nm.assign(Ki=["active", "7.2", "inactive"]), activity_column="Ki")
    # the conversion the message gives reads them the right way round
    converted = nm.assign(pIC50=9 - np.log10(nm["IC50_nM"]))
    lig = load_ligands(converted, activity_column="pIC50")
    assert lig.labels.tolist() == [1, 1, 1]
    assert lig.values[0] > lig.values[1] > lig.values[2]
    # names that do not say keep the value-based behaviour; 0/1 labels stay labels whatever the name
    assert load_ligands(nm.assign(potency=[7.5, 5.0, 8.0]), activity_column="potency").labels.tolist() == [1, 0, 1]
    assert load_ligands(nm.assign(pchembl_value=[7.5, 5.0, 8.0]), activity_column="pchembl_value").labels.tolist() == [1, 0, 1]
    assert load_ligands(nm.assign(IC50_active=[1, 0, 1]), activity_column="IC50_active").labels.tolist() == [1, 0, 1]


def test_potency_name_checked_in_rank_and_cli(tmp_path, library, monkeypatch, capsys, no_model) -> None:
    """The column is chosen the same way in both (``activity_column=`` / ``--activity-column``)
    and both go through :func:`load_ligands`."""
    path = tmp_path / "ligands.csv"
    path.write_text(f"smiles,Ki_nM\n{IMATINIB},0.8\n{NILOTINIB},2.5\n{DASATINIB},11\n")
    with pytest.raises(InputFormatError, match="'Ki_nM' looks like a concentration"):
        Repurposer(None, panel=False).rank(ligands=path, activity_column="Ki_nM", library=library)
    lib_path = tmp_path / "lib.csv"
    library.to_csv(lib_path, index=False)
    args = ["repurpose", "--ligands", str(path), "--activity-column", "Ki_nM", "--library", str(lib_path), "--no-panel"]
    code, err = _cli(args, monkeypatch, capsys)
    assert code == 1
    assert "Error: " in err and "'Ki_nM' looks like a concentration" in err and "pX = 9 - log10(value in nM)" in err
