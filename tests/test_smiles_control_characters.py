"""SMILES text with a byte-order mark or control characters.

RDKit reads a SMILES as a C string, so everything after a NUL byte was dropped without a word:
``c1ccccc1\\x00Cl`` scored as benzene. Other control characters gave RDKit's "syntax error while
parsing: CCO", which hides the character at fault. A leading byte-order mark (the first line of
a file opened with ``encoding="utf-8"``) was refused as a non-ASCII character."""

from __future__ import annotations

import pytest

from drugscreen.featurizers.molecule import parse_smiles, prepare_molecule


@pytest.mark.parametrize(
    ("text", "pos", "code"),
    [("c1ccccc1\x00Cl", 8, "U+0000"), ("CCO\x00CCl", 3, "U+0000"), ("CC\x01O", 2, "U+0001"),
     ("c1ccccc1\x00", 8, "U+0000"), ("CC\x1bO", 2, "U+001B"), ("CC\x7fO", 2, "U+007F")],
)  # fmt: skip
def test_a_control_character_is_refused_naming_it(text: str, pos: int, code: str) -> None:
    mol, reason = parse_smiles(text)
    assert mol is None
    assert reason == f"control character {code} at position {pos}: SMILES hold none (a damaged or binary file?)"


def test_a_leading_byte_order_mark_is_not_part_of_the_smiles() -> None:
    mol, reason = parse_smiles("\ufeffCCO")
    assert reason == "" and mol is not None and mol.GetNumAtoms() == 3
    assert prepare_molecule("\ufeff CC(=O)O ").smiles_std == "CC(=O)O"
    # elsewhere it is still a character SMILES do not hold
    assert parse_smiles("CC\ufeffO")[1].startswith("SMILES contain only ASCII characters")


def test_white_space_keeps_its_own_message() -> None:
    assert parse_smiles("CCO\tname")[1].startswith("white space inside the SMILES")
