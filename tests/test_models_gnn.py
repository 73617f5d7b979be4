"""GNN models: shapes, registry, config round trip, batch independence, D-MPNN reverse edges."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from rdkit import Chem

from drugscreen.exceptions import UnknownNameError
from drugscreen.featurizers.graph import GraphFeaturizer, collate
from drugscreen.models import MODELS, build_model, model_config

SMILES = ["CCO", "c1ccccc1C(=O)O", "C1CCNCC1", "CC(C)Cc1ccc(cc1)C(C)C(=O)O", "[Na+].[Cl-]", "C", "N#Cc1ccncc1"]
GNNS = {
    "gine": {"hidden": 16, "depth": 3},
    "gine_novn": {"hidden": 16, "depth": 2, "virtual_node": False, "use_edges": False, "pooling": "sum"},
    "gine_sizeaware": {"hidden": 16, "depth": 2, "pooling": "meanmaxnorm"},
    "dmpnn": {"hidden": 16, "depth": 3},
    "attentivefp": {"hidden": 16, "depth": 2, "timesteps": 2},
}


def _graphs(smiles=SMILES):
    f = GraphFeaturizer()
    return [f(Chem.MolFromSmiles(s)) for s in smiles]


def _build(key: str, n_tasks: int = 3, **extra):
    name = key.split("_")[0]
    params = {"atom_dim": GraphFeaturizer.atom_dim, "bond_dim": GraphFeaturizer.bond_dim, "n_tasks": n_tasks, **GNNS[key], **extra}
    torch.manual_seed(0)
    return build_model({"name": name, "params": params})


@pytest.mark.parametrize("key", list(GNNS))
def test_forward_shape_and_embed(key: str) -> None:
    model = _build(key).eval()
    batch = collate(_graphs())
    out = model(batch)
    assert out.shape == (len(SMILES), 3)
    assert torch.isfinite(out).all()
    assert model.embed(batch).shape == (len(SMILES), model.embed_dim)
    assert repr(model).startswith(type(model).__name__)


@pytest.mark.parametrize("key", list(GNNS))
def test_config_round_trip(key: str) -> None:
    model = _build(key)
    cfg = model_config(model)
    rebuilt = build_model(cfg)
    rebuilt.load_state_dict(model.state_dict())
    batch = collate(_graphs())
    model.eval(), rebuilt.eval()
    torch.testing.assert_close(model(batch), rebuilt(batch))


@pytest.mark.parametrize("key", list(GNNS))
def test_reset_parameters_changes_weights(key: str) -> None:
    model = _build(key)
    before = [p.detach().clone() for p in model.parameters()]
    torch.manual_seed(123)
    model.reset_parameters()
    changed = sum(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert changed > 0


@pytest.mark.parametrize("key", list(GNNS))
def test_prediction_independent_of_batch(key: str) -> None:
    model = _build(key).eval()
    graphs = _graphs()
    with torch.no_grad():
        together = model(collate(graphs))
        alone = torch.cat([model(collate([g])) for g in graphs])
        shuffled = model(collate(graphs[::-1])).flip(0)
    torch.testing.assert_close(alone, together, atol=1e-5, rtol=0)
    torch.testing.assert_close(shuffled, together, atol=1e-5, rtol=0)


def test_hybrid_extra_input_and_grouped_head() -> None:
    model = _build("gine", n_tasks=5, extra_dim=8, head_groups=[2, 3]).eval()
    batch = collate(_graphs())
    extra = torch.rand(len(SMILES), 8)
    assert model(batch, extra).shape == (len(SMILES), 5)
    with pytest.raises(ValueError, match="extra"):
        model(batch)
    with pytest.raises(ValueError, match="extra has 10 columns, the model needs 8"):
        model(batch, torch.rand(len(SMILES), 10))  # too wide: refused, not cut to its first 8
    with pytest.raises(ValueError, match="head_groups"):
        _build("gine", n_tasks=5, head_groups=[2, 2])
    # head-only columns: the trunk takes the first 8, the second group also column 9
    split = _build("gine", n_tasks=5, extra_dim=8, head_groups=[2, 3], head_extra_columns=[[], [9]]).eval()
    assert split(batch, torch.rand(len(SMILES), 10)).shape == (len(SMILES), 5)
    with pytest.raises(ValueError, match="more than 9"):
        split(batch, extra)


def test_unknown_model_name() -> None:
    with pytest.raises(UnknownNameError) as exc:
        MODELS.get("transformerzzz")
    assert "dmpnn" in str(exc.value) and "gine" in str(exc.value)
    assert MODELS.get("D-MPNN") is MODELS.get("dmpnn")


def test_dmpnn_uses_reverse_edge_pairing() -> None:
    """Messages must exclude the reverse bond: on a 2-atom molecule, depth adds nothing."""
    g = _graphs(["CO"])[0]
    assert np.array_equal(g.edge_index[:, 0], g.edge_index[::-1, 1])  # e and e ^ 1 are reverses
    m1 = _build("dmpnn", n_tasks=1).eval()
    m3 = _build("dmpnn", n_tasks=1).eval()
    m1.depth = 1
    m3.load_state_dict(m1.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(m1(collate([g])), m3(collate([g])))


def test_single_atom_molecule() -> None:
    for key in GNNS:
        model = _build(key).eval()
        with torch.no_grad():
            out = model(collate(_graphs(["C"])))
        assert torch.isfinite(out).all(), key


def test_meanmaxnorm_pooling_sees_molecule_size() -> None:
    """Mean/max read-outs cannot tell ethane from a long alkane's repeating unit; the size-aware one can."""
    graphs = _graphs(["CC", "CCCCCCCCCCCC"])
    embeds = {}
    for pooling in ("meanmax", "meanmaxnorm"):
        model = _build("gine", pooling=pooling, virtual_node=False, depth=1).eval()
        embeds[pooling] = model.embed(collate(graphs))
    assert embeds["meanmaxnorm"].shape[1] == 3 * 16
    norm_part = embeds["meanmaxnorm"][:, 32:]
    assert not torch.allclose(norm_part[0], norm_part[1])
    with pytest.raises(ValueError, match="meanmaxnorm"):
        _build("gine", pooling="median")
