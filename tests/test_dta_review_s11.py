"""Review s11 (drug-target affinity): batch independence of the protein encoder, sequences as a
user's own table gives them, training on one's own pairs, affinity bundles that are broken."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.test_repurpose_inputs import ABL1_FRAGMENT


def _random_sequence(n: int, seed: int) -> str:
    rng = np.random.default_rng(seed)
    return "".join(rng.choice(np.array(list("ACDEFGHIKLMNPQRSTVWY")), n))


def test_protein_embedding_does_not_depend_on_the_other_sequences_of_the_batch() -> None:
    """A short sequence padded beside a long one was embedded differently from the same sequence
    alone (the padding after the first convolution leaked into the next one), so predict_pairs
    and training scored a target by the company it kept in its chunk."""
    from drugscreen.models.affinity import ProteinCNNEncoder, encode_sequences, sequence_composition

    torch.manual_seed(0)
    enc = ProteinCNNEncoder().eval()
    short = ABL1_FRAGMENT[:101]  # odd length: a ceil-mode pooling window half past its end
    long = _random_sequence(900, 1)

    def embed(seqs: list[str]) -> torch.Tensor:
        with torch.inference_mode():
            return enc(encode_sequences(seqs), sequence_composition(seqs))

    alone = embed([short])
    for batch in ([short, long], [long, short]):
        together = embed(batch)[batch.index(short)]
        assert torch.allclose(together, alone[0], atol=1e-5), (together - alone[0]).abs().max()


def test_lower_case_and_wrapped_sequences_encode_as_their_clean_form() -> None:
    """A sequence from a user's table in lower case got an all-zero composition profile (and one
    with a line break a padding code mid-sequence), unlike the same target given upper case."""
    from drugscreen.exceptions import InvalidSequenceError
    from drugscreen.models.affinity import encode_sequences, sequence_composition

    messy = ABL1_FRAGMENT[:60].lower() + "\n" + ABL1_FRAGMENT[60:] + "*"
    assert torch.equal(encode_sequences([messy]), encode_sequences([ABL1_FRAGMENT]))
    assert torch.equal(sequence_composition([messy]), sequence_composition([ABL1_FRAGMENT]))
    assert float(sequence_composition([ABL1_FRAGMENT.lower()]).sum()) > 0
    with pytest.raises(InvalidSequenceError, match="position 5"):
        encode_sequences(["MKVL1" + ABL1_FRAGMENT])
