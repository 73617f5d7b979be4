"""Drug-target affinity model: a drug graph encoder, a protein sequence CNN and an interaction head.

The model scores (drug, protein) pairs. It is built so that each unique drug and each unique
protein of a mini-batch is encoded once: :meth:`AffinityModel.forward` takes a batch of drug
graphs, a batch of protein sequences and two index arrays naming the pairs to score, so a block
of ``n_drugs x n_targets`` pairs costs ``n_drugs`` graph encodings plus ``n_targets`` sequence
encodings, not one of each per pair.

* Drug encoder: GINE message passing (bond features enter every message), pre-LayerNorm residual
  blocks, mean + max readout.
* Protein encoder: residue embeddings -> three 1-D convolutions with max-pooling between them
  (a DeepDTA-like CNN, made cheaper by pooling) -> masked global max-pool, concatenated with the
  sequence's amino-acid and dipeptide composition (a 420-d alignment-free profile that helps
  with proteins never seen in training).
* Interaction head: ``[d, p, d * p]`` -> MLP -> ``n_members x n_tasks`` outputs. The members are
  a head ensemble over shared encoders (different initializations and bootstrap masks of the
  pairs during training); their spread is the ``uncertainty`` reported by the repurposer. One
  task per dataset (DAVIS pKd, KIBA score), each trained on standardized values.

Registered in :data:`~drugscreen.models.registry.MODELS` as ``affinity`` (a pair model: its
``forward`` takes drugs, proteins and pair indices, unlike the molecule-only GNNs).

The residue alphabet is part of the model's configuration (:data:`PROTEIN_ALPHABET`), so a
bundle records exactly how sequences were encoded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from drugscreen.models.base import scatter_max, scatter_mean, scatter_sum
from drugscreen.models.registry import MODELS

__all__ = [
    "PROTEIN_ALPHABET",
    "AffinityModel",
    "DrugGraphEncoder",
    "ProteinCNNEncoder",
    "drug_batch",
    "ecfp4_bits",
    "encode_drugs",
    "encode_sequences",
    "sequence_composition",
]

#: Residue alphabet: the 20 standard amino acids, then ambiguous/rare codes. Index 0 is padding.
PROTEIN_ALPHABET = "ACDEFGHIKLMNPQRSTVWYBZXUOJ"
_STANDARD = PROTEIN_ALPHABET[:20]
_CODE = np.zeros(256, dtype=np.int64)
for _i, _aa in enumerate(PROTEIN_ALPHABET):
    _CODE[ord(_aa)] = _i + 1
    _CODE[ord(_aa.lower())] = _i + 1
_STD_CODE = np.full(256, -1, dtype=np.int64)
for _i, _aa in enumerate(_STANDARD):
    _STD_CODE[ord(_aa)] = _i


def _clean(sequences: Sequence[str]) -> list[str]:
    """Sequences as :func:`~drugscreen.featurizers.protein.validate_sequence` cleans them."""
    from drugscreen.featurizers.protein import validate_sequence

    return [validate_sequence(s) for s in sequences]


def encode_sequences(sequences: Sequence[str], max_len: int = 1000) -> Tensor:
    """Integer-encode protein sequences into a zero-padded ``(n, L)`` int64 tensor.

    ``L`` is the longest sequence (capped at ``max_len``: longer sequences keep their first
    ``max_len`` residues, as DeepDTA does). Each sequence is cleaned first
    (:func:`~drugscreen.featurizers.protein.validate_sequence`: upper case, no white space, no
    trailing ``*``), so ``"mkv l"`` encodes as ``"MKVL"`` does.

    Raises
    ------
    InvalidSequenceError
        A sequence holds a character that is not a letter.
    """
    if not sequences:
        raise ValueError("encode_sequences() needs at least one sequence")
    sequences = _clean(sequences)
    length = min(max(len(s) for s in sequences), max_len)
    out = np.zeros((len(sequences), length), dtype=np.int64)
    for i, seq in enumerate(sequences):
        raw = np.frombuffer(seq[:length].encode("ascii", "replace"), dtype=np.uint8)
        out[i, : len(raw)] = _CODE[raw]
    return torch.from_numpy(out)


def sequence_composition(sequences: Sequence[str]) -> Tensor:
    """Amino-acid (20) and dipeptide (400) frequencies of each sequence: ``(n, 420)`` float32.

    Computed over the whole sequence (not truncated); non-standard residues are skipped. The
    sequences are cleaned as by :func:`encode_sequences` (a lower-case sequence has the
    composition of its upper-case form, not an empty one).
    """
    sequences = _clean(sequences)
    out = np.zeros((len(sequences), 420), dtype=np.float32)
    for i, seq in enumerate(sequences):
        codes = _STD_CODE[np.frombuffer(seq.encode("ascii", "replace"), dtype=np.uint8)]
        ok = codes >= 0
        if ok.any():
            out[i, :20] = np.bincount(codes[ok], minlength=20) / ok.sum()
        pair_ok = ok[:-1] & ok[1:]
        if pair_ok.any():
            di = codes[:-1][pair_ok] * 20 + codes[1:][pair_ok]
            out[i, 20:] = np.bincount(di, minlength=400) / pair_ok.sum()
    # frequencies are tiny numbers; scale so that their typical magnitude is ~1
    out[:, :20] *= 20.0
    out[:, 20:] *= 400.0
    return torch.from_numpy(out)


def ecfp4_bits(mols: Sequence[Any], n_bits: int) -> np.ndarray:
    """ECFP4 0/1 ``uint8`` rows for the drug encoder's fingerprint path."""
    from drugscreen.featurizers.fingerprints import MorganFingerprint

    return MorganFingerprint(radius=2, n_bits=n_bits).featurize_many(list(mols))


def drug_batch(graphs: Sequence[Any], fps: np.ndarray | None = None) -> Any:
    """Collate drug graphs (and their ECFP4 rows, when the encoder uses them) into one batch."""
    from drugscreen.featurizers.graph import collate

    batch = collate(graphs)
    if fps is not None:
        batch.fp = torch.from_numpy(np.asarray(fps, dtype=np.float32))
    return batch


def encode_drugs(encoder: Any, graphs: Sequence[Any], mols: Sequence[Any] | None = None, chunk: int = 1024) -> Any:
    """The drug encoder's embeddings ``(n, d)`` (a tensor) of featurized graphs, ``chunk`` at a time.

    ``mols`` are needed when the encoder has a fingerprint path (``encoder.fp_bits > 0``).
    """
    fps = None
    if getattr(encoder, "fp_bits", 0):
        if mols is None:
            raise ValueError("this drug encoder needs the molecules (for its ECFP4 path)")
        fps = ecfp4_bits(mols, encoder.fp_bits)
    encoder.eval()
    with torch.inference_mode():
        return torch.cat([
            encoder(drug_batch(list(graphs[s : s + chunk]), None if fps is None else fps[s : s + chunk]))
            for s in range(0, len(graphs), chunk)
        ])  # fmt: skip


class _GINELayer(nn.Module):
    def __init__(self, hidden: int, bond_dim: int, dropout: float) -> None:
        super().__init__()
        self.edge_lin = nn.Linear(bond_dim, hidden)
        self.norm = nn.LayerNorm(hidden)
        self.mlp = nn.Sequential(nn.Linear(hidden, 2 * hidden), nn.ReLU(), nn.Linear(2 * hidden, hidden))
        self.eps = nn.Parameter(torch.zeros(1))
        self.dropout = nn.Dropout(dropout)

    def forward(self, h: Tensor, edge_index: Tensor, edge_attr: Tensor) -> Tensor:
        x = self.norm(h)
        msg = torch.relu(x[edge_index[0]] + self.edge_lin(edge_attr))
        agg = scatter_sum(msg, edge_index[1], x.shape[0])
        return h + self.dropout(self.mlp((1.0 + self.eps) * x + agg))


class DrugGraphEncoder(nn.Module):
    """GINE encoder of molecular graphs -> ``(n_graphs, out_dim)`` embeddings.

    Parameters
    ----------
    atom_dim, bond_dim
        Feature sizes of :class:`~drugscreen.featurizers.graph.GraphFeaturizer`.
    hidden
        Atom state size.
    layers
        Message-passing steps.
    out_dim
        Embedding size.
    dropout
        Dropout inside the residual blocks.
    fp_bits
        When > 0, an ECFP4 bit vector of this length (``batch.fp``) enters the embedding through
        a linear layer, beside the graph readout: a fixed substructure path that learns in few
        epochs, while message passing learns the rest.
    """

    def __init__(
        self,
        atom_dim: int,
        bond_dim: int,
        hidden: int = 128,
        layers: int = 4,
        out_dim: int = 128,
        dropout: float = 0.1,
        fp_bits: int = 0,
    ) -> None:
        super().__init__()
        self.fp_bits = fp_bits
        self.fp_lin = nn.Sequential(nn.Dropout(dropout), nn.Linear(fp_bits, out_dim)) if fp_bits else None
        self.atom_in = nn.Linear(atom_dim, hidden)
        self.layers = nn.ModuleList(_GINELayer(hidden, bond_dim, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(hidden)
        self.out = nn.Linear(2 * hidden, out_dim)

    def forward(self, batch: Any) -> Tensor:
        h = self.atom_in(batch.x)
        for layer in self.layers:
            h = layer(h, batch.edge_index, batch.edge_attr)
        h = self.norm(h)
        n_graphs = int(batch.num_graphs)
        mean = scatter_mean(h, batch.batch, n_graphs)
        mx = scatter_max(h, batch.batch, n_graphs)
        out = self.out(torch.cat([mean, mx], dim=1))
        if self.fp_lin is not None:
            out = out + self.fp_lin(batch.fp)
        return out


class ProteinCNNEncoder(nn.Module):
    """Residue CNN (with pooling between layers) + composition profile -> ``(n, out_dim)``.

    Parameters
    ----------
    vocab
        Number of residue codes (padding index 0 not included).
    embed_dim
        Residue embedding size.
    channels
        Output channels of the three convolutions.
    kernel
        Convolution width.
    out_dim
        Embedding size.
    """

    def __init__(
        self,
        vocab: int = len(PROTEIN_ALPHABET),
        embed_dim: int = 32,
        channels: Sequence[int] = (64, 96, 128),
        kernel: int = 7,
        out_dim: int = 128,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab + 1, embed_dim, padding_idx=0)
        convs = []
        c_in = embed_dim
        for c in channels:
            convs.append(nn.Conv1d(c_in, c, kernel, padding=kernel // 2))
            c_in = c
        self.convs = nn.ModuleList(convs)
        self.comp = nn.Sequential(nn.Linear(420, 128), nn.ReLU(), nn.Dropout(dropout), nn.Linear(128, 64))
        self.out = nn.Sequential(nn.Linear(c_in + 64, out_dim), nn.ReLU(), nn.Linear(out_dim, out_dim))

    def forward(self, tokens: Tensor, composition: Tensor) -> Tensor:
        """Embeddings of integer-encoded sequences ``(n, L)`` (0 = padding) with their
        composition profiles ``(n, 420)``.

        Positions past a sequence's end are set to zero after every convolution, so the next
        convolution sees there what the zero padding of a sequence encoded alone shows it: a
        sequence's embedding does not depend on the longer sequences padded into its batch
        (ReLU outputs are >= 0, so a zero never wins a max-pool over a real position).
        """
        mask = (tokens > 0).unsqueeze(1)  # (n, 1, L)
        h = self.embed(tokens).transpose(1, 2)  # (n, E, L)
        for i, conv in enumerate(self.convs):
            h = torch.relu(conv(h))
            if i < len(self.convs) - 1:
                h = h * mask
                h = nn.functional.max_pool1d(h, 2, ceil_mode=True)
                mask = nn.functional.max_pool1d(mask.float(), 2, ceil_mode=True) > 0
        h = h.masked_fill(~mask, -1e4).amax(dim=2)
        return self.out(torch.cat([h, self.comp(composition)], dim=1))


@MODELS.register("affinity")
class AffinityModel(nn.Module):
    """Drug graph encoder + protein CNN + interaction head, for several affinity tasks.

    Parameters
    ----------
    atom_dim, bond_dim
        Graph feature sizes.
    tasks
        Task names (one output per task and member), e.g. ``["davis", "kiba"]``.
    n_members
        Heads of the ensemble over the shared encoders.
    drug, protein
        Keyword arguments of :class:`DrugGraphEncoder` / :class:`ProteinCNNEncoder`.
    head_hidden
        Width of the interaction MLP.
    dropout
        Dropout in the interaction MLP.
    max_len
        Residues kept per sequence.
    """

    def __init__(
        self,
        atom_dim: int,
        bond_dim: int,
        tasks: Sequence[str] = ("davis", "kiba"),
        n_members: int = 4,
        drug: dict[str, Any] | None = None,
        protein: dict[str, Any] | None = None,
        head_hidden: int = 256,
        dropout: float = 0.1,
        max_len: int = 1000,
    ) -> None:
        super().__init__()
        self.tasks = list(tasks)
        self.n_members = n_members
        self.max_len = max_len
        self.drug = DrugGraphEncoder(atom_dim, bond_dim, **(drug or {}))
        self.protein = ProteinCNNEncoder(**(protein or {}))
        d = self.drug.out.out_features
        p = self.protein.out[-1].out_features
        if d != p:
            raise ValueError(f"drug and protein embeddings must have one size (got {d} and {p})")
        self.heads = nn.ModuleList(
            nn.Sequential(
                nn.Linear(3 * d, head_hidden),
                nn.ReLU(),
                nn.Dropout(dropout),
                nn.Linear(head_hidden, head_hidden // 2),
                nn.ReLU(),
                nn.Linear(head_hidden // 2, len(self.tasks)),
            )
            for _ in range(n_members)
        )

    def encode_proteins(self, sequences: Sequence[str]) -> Tensor:
        """Embeddings of protein sequences, ``(n, d)``."""
        tokens = encode_sequences(sequences, self.max_len)
        return self.protein(tokens, sequence_composition(sequences))

    def score(self, drug_emb: Tensor, prot_emb: Tensor, drug_idx: Tensor, prot_idx: Tensor) -> Tensor:
        """Scores of pairs from precomputed embeddings: ``(n_pairs, n_members, n_tasks)``."""
        d = drug_emb[drug_idx]
        p = prot_emb[prot_idx]
        z = torch.cat([d, p, d * p], dim=1)
        return torch.stack([head(z) for head in self.heads], dim=1)

    def forward(
        self, graphs: Any, tokens: Tensor, composition: Tensor, drug_idx: Tensor, prot_idx: Tensor
    ) -> Tensor:
        """Score pairs ``(drug_idx[k], prot_idx[k])``: ``(n_pairs, n_members, n_tasks)``.

        Every graph of ``graphs`` and every sequence of ``tokens`` is encoded once.
        """
        return self.score(self.drug(graphs), self.protein(tokens, composition), drug_idx, prot_idx)
