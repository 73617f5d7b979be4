"""Repurposing inputs: sequences/FASTA, ligand files with bad rows, libraries with bad entries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drugscreen.exceptions import InputFormatError, InvalidSequenceError
from drugscreen.repurposing.inputs import (
    load_library,
    load_ligands,
    parse_fasta,
    read_sequence_input,
    validate_sequence,
)

# ABL1 kinase domain fragment (human ABL1, UniProt P00519, residues ~242-300)
ABL1_FRAGMENT = "SPNYDKWEMERTDITMKHKLGGGQYGEVYEGVWKKYSLTVAVKTLKEDTMEVEEFLKEAAVMKEIKHPNLVQLLGVCTREPPFYIITEFMTYGNLLDYLRECNRQEVNAVVLLYMATQISSAMEYLEKKNFIHRDLAARNCLVGENHLVKVADFGLSRLMTGDTYTAHAGAKFPIKWTAPESLAYNKFSIKSDVWAFGVLLWEIATYGMSPYPGIDLSQVYELLEKDYRMERPEGCPEKVYELMRACWQWNPSDRPSFAEIHQAFETMFQESSISDEVEKEL"

IMATINIB = "Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1Nc1nccc(-c2cccnc2)n1"
NILOTINIB = "Cc1cn(-c2cc(NC(=O)c3ccc(C)c(Nc4nccc(-c5cccnc5)n4)c3)cc(C(F)(F)F)c2)cn1"
DASATINIB = "Cc1nc(Nc2ncc(C(=O)Nc3c(C)cccc3Cl)s2)cc(N2CCN(CCO)CC2)n1"


def test_sequence_cleaned_and_checked() -> None:
    assert validate_sequence(" spnyd kwemer\n" + ABL1_FRAGMENT[11:].lower() + "*") == ABL1_FRAGMENT
    with pytest.raises(InvalidSequenceError, match=r"'1' at position 4"):
        validate_sequence("MKK1" + ABL1_FRAGMENT)
    with pytest.raises(InvalidSequenceError, match="too short"):
        validate_sequence("MKKLV")
    with pytest.raises(InvalidSequenceError, match="empty"):
        validate_sequence("  ")


def test_nucleotide_sequence_refused(tmp_path) -> None:
    """A gene (DNA or RNA letters only) is not a protein: a clear error, from a raw sequence, a
    FASTA text or a FASTA file; a protein rich in A/C/G/T residues still passes."""
    dna = "ATGGCTACGTTAGCCGATCGATCGGCTAGCTAGGCTACGATCGATGCATGCANNTGCA"
    for given in (dna, dna.lower().replace("t", "u"), f">gene\n{dna}\n"):
        with pytest.raises(InvalidSequenceError, match=r"looks like nucleotides \(DNA/RNA.*give the protein \(amino-acid\) sequence"):
            read_sequence_input(sequence=given)
    path = tmp_path / "gene.fasta"
    path.write_text(f">gene\n{dna}\n")
    with pytest.raises(InvalidSequenceError, match="gene.*looks like nucleotides"):
        read_sequence_input(fasta=path)
    # 80% A/C/G/T/N: a (made-up) protein, not refused; nor is a short peptide tested for it
    rich = "MACGTAGCTKW" * 6
    assert validate_sequence(rich) == rich
    with pytest.raises(InvalidSequenceError, match="too short"):
        validate_sequence("ACGTACGTAC")


@pytest.mark.shared_data
def test_no_davis_or_kiba_target_reads_as_nucleotides(shared_data_dir) -> None:
    from drugscreen.repurposing.inputs import NUCLEOTIDE_FRACTION, nucleotide_fraction

    for dataset in ("davis", "kiba"):
        targets = pd.read_csv(shared_data_dir / "dti" / dataset / "targets.csv")
        assert len(targets) > 100
        worst = max(nucleotide_fraction(validate_sequence(s)) for s in targets["sequence"])
        assert worst < NUCLEOTIDE_FRACTION - 0.5, (dataset, worst)  # the bar is far from any real protein


def test_fasta_records(tmp_path) -> None:
    text = f">sp|P00519|ABL1_HUMAN fragment\n{ABL1_FRAGMENT[:60]}\n{ABL1_FRAGMENT[60:]}\n"
    (name, seq), = parse_fasta(text)
    assert seq == ABL1_FRAGMENT and name.startswith("sp|P00519|ABL1_HUMAN")
    path = tmp_path / "abl1.fasta"
    path.write_text(text)
    assert read_sequence_input(fasta=path)[1] == ABL1_FRAGMENT
    assert read_sequence_input(sequence=text)[1] == ABL1_FRAGMENT
    path.write_text(text + ">second\n" + ABL1_FRAGMENT + "\n")
    with pytest.raises(InvalidSequenceError, match="2 FASTA records"):
        read_sequence_input(fasta=path)
    path.write_text(">bad record\nMKV#" + ABL1_FRAGMENT + "\n")
    with pytest.raises(InvalidSequenceError, match=r"bad.*'#' at position 4"):
        read_sequence_input(fasta=path)
    with pytest.raises(InputFormatError, match="before the first '>'"):
        parse_fasta(ABL1_FRAGMENT)


def test_ligands_bad_rows_are_reported(tmp_path, caplog) -> None:
    path = tmp_path / "ligands.csv"
    path.write_text(
        "smiles,name,pic50\n"
        f"{IMATINIB},imatinib,7.8\n"
        "C1CC(,broken,7.0\n"
        f"{NILOTINIB},nilotinib,8.5\n"
        f"{DASATINIB},dasatinib,n/a\n"
        "CCO,ethanol,3.0\n"
    )
    with caplog.at_level("WARNING"):
        lig = load_ligands(path, activity_column="pic50")
    assert lig.names == ["imatinib", "nilotinib", "ethanol"]
    assert lig.labels.tolist() == [1, 1, 0]
    assert [e[0] for e in lig.errors] == [1, 3]
    assert "neither a number" in lig.errors[1][2]
    assert "2 of 5 ligand rows not used" in caplog.text


def test_ligands_labels_and_words() -> None:
    df = pd.DataFrame({"smiles": [IMATINIB, NILOTINIB, "CCO", "CCN"], "act": ["active", "1", "inactive", 0]})
    lig = load_ligands(df, activity_column="act")
    assert lig.labels.tolist() == [1, 1, 0, 0]
    with pytest.raises(InputFormatError, match="no valid active"):
        load_ligands(pd.DataFrame({"smiles": ["CCO"], "act": [0]}), activity_column="act")
    with pytest.raises(InputFormatError, match="not found"):
        load_ligands(df, activity_column="pIC50")


def test_library_bad_entries_kept_with_reason(tmp_path) -> None:
    path = tmp_path / "lib.csv"
    path.write_text(f"id,name,smiles\nD1,imatinib,{IMATINIB}\nD2,bad,C1CC(\nD3,ethanol,CCO\n")
    lib = load_library(path)
    assert lib.ids == ["D1", "D2", "D3"]
    assert lib.valid.tolist() == [True, False, True]
    assert lib.errors[1]
    with pytest.raises(InputFormatError, match="not found"):
        load_library(tmp_path / "missing.csv")


@pytest.mark.shared_data
def test_approved_library_parses() -> None:
    lib = load_library("approved")
    assert len(lib) == 2628
    assert np.mean(lib.valid) > 0.98
