"""``head_descriptors``: Crippen logP/MR handed to chosen heads only, past the trunk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tiny_data import tiny_dataset

from drugscreen.bundle import load_bundle
from drugscreen.exceptions import ConfigError
from drugscreen.featurizers.base import build_featurizer
from drugscreen.featurizers.descriptors import FAST_DESCRIPTORS, FastDescriptors
from drugscreen.featurizers.molecule import prepare_molecule
from drugscreen.training.config import TrainConfig
from drugscreen.training.data import HEAD_DESCRIPTOR_FEATURIZER, build_training_data
from drugscreen.training.trainer import _trunk_config, train_on_data

QUERY = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "C1CCNCC1C#N", "CCCCCCCCCCCCBr"]
N_V1 = len(FAST_DESCRIPTORS)


def _datasets():
    return [tiny_dataset(60, name="tiny_a", with_regression=False), tiny_dataset(90, name="tiny_b")]


def _config(**kw):
    base = dict(dataset=["tiny_a", "tiny_b"], model="gine", split="random", seeds=[0], ensemble=2, epochs=4, batch_size=16,
                lr=3e-3, extra_features="descriptors", head="per_dataset", head_descriptors={"tiny_b": ["MolLogP"]},
                head_finetune_epochs=2,
                model_params={"hidden": 16, "depth": 2, "head_hidden": 16}, name="headdesc")
    base.update(kw)
    return TrainConfig(**base)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory):
    cache = tmp_path_factory.mktemp("features")
    return build_training_data(_datasets(), split="random", seed=0, cache_dir=str(cache), descriptors=True, head_descriptors=True)


@pytest.fixture(scope="module")
def bundle_path(data, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hd") / "bundle"
    train_on_data(data, _config(), out)
    return out


def test_config_refuses_what_cannot_work() -> None:
    with pytest.raises(ConfigError, match="extra_features"):
        _config(extra_features="none")
    with pytest.raises(ConfigError, match="per_dataset"):
        _config(head="shared")
    with pytest.raises(ConfigError, match="not a training dataset"):
        _config(head_descriptors={"tiny_c": ["MolLogP"]})
    with pytest.raises(ConfigError, match="MolLogP, MolMR"):
        _config(head_descriptors={"tiny_b": ["TPSA"]})  # the trunk has it already
    with pytest.raises(ConfigError, match="non-empty list"):
        _config(head_descriptors={"tiny_b": "MolLogP"})
    with pytest.raises(ConfigError, match="a table"):
        _config(head_descriptors=["MolLogP"])


def test_checkpoint_fingerprint_unchanged_without_the_option() -> None:
    cfg = _config(head_descriptors={})
    assert "head_descriptors" not in _trunk_config(cfg)
    assert _trunk_config(_config())["head_descriptors"] == {"tiny_b": ["MolLogP"]}


def test_data_appends_head_columns_and_keeps_v1_ranges(data) -> None:
    names = build_featurizer(HEAD_DESCRIPTOR_FEATURIZER).names
    assert names[:N_V1] == list(FAST_DESCRIPTORS) and names[N_V1:] == ["MolLogP", "MolMR"]
    assert data.train.desc.shape[1] == N_V1 + 2 and data.train.desc_raw.shape[1] == N_V1 + 2
    assert data.descriptors["featurizer"] == HEAD_DESCRIPTOR_FEATURIZER
    assert data.descriptor_ranges["names"] == list(FAST_DESCRIPTORS)
    with pytest.raises(ValueError, match="descriptors=True"):
        build_training_data(_datasets(), split="random", head_descriptors=True)


def test_training_refuses_data_without_head_columns(tmp_path: Path) -> None:
    plain = build_training_data(_datasets(), split="random", seed=0, cache_dir=str(tmp_path), descriptors=True)
    with pytest.raises(ConfigError, match="head_descriptors=True"):
        train_on_data(plain, _config(epochs=1, ensemble=1), None)


def test_only_the_chosen_head_sees_its_descriptor(bundle_path: Path) -> None:
    b = load_bundle(bundle_path)
    params = b.config["model"]["params"]
    assert params["extra_dim"] == N_V1
    assert params["head_extra_columns"] == [[], [N_V1]]  # MolLogP for tiny_b only; MolMR unused
    assert b.extra_featurizer_config == HEAD_DESCRIPTOR_FEATURIZER
    assert "Head-only inputs (past the trunk, to these datasets' heads only): tiny_b: MolLogP" in b.card()
    feat = build_featurizer(b.featurizer_config)
    mols = [prepare_molecule(s).mol for s in QUERY]
    graphs = [feat(m) for m in mols]
    raw = FastDescriptors(version=2).featurize_many(mols)
    ref = b.predict_raw(graphs, extra=raw)
    logp = raw.copy()
    logp[:, N_V1] += 3.0
    moved = b.predict_raw(graphs, extra=logp)
    a_cols = [i for i, t in enumerate(b.tasks) if t["dataset"] == "tiny_a"]
    b_cols = [i for i, t in enumerate(b.tasks) if t["dataset"] == "tiny_b"]
    np.testing.assert_array_equal(moved[..., a_cols], ref[..., a_cols])
    assert not np.allclose(moved[..., b_cols], ref[..., b_cols])
    mr = raw.copy()
    mr[:, N_V1 + 1] += 30.0
    np.testing.assert_array_equal(b.predict_raw(graphs, extra=mr), ref)
    trunk = raw.copy()
    trunk[:, 4] += 50.0  # TPSA reaches every head through the trunk
    assert not np.allclose(b.predict_raw(graphs, extra=trunk)[..., a_cols], ref[..., a_cols])


def test_round_trip_screener_and_ranges(bundle_path: Path, tmp_path: Path) -> None:
    from drugscreen.screening.screener import Screener

    b = load_bundle(bundle_path)
    again = load_bundle(b.save(tmp_path / "copy"))
    np.testing.assert_array_equal(b.predict_smiles(QUERY).mean, again.predict_smiles(QUERY).mean)
    mols = [prepare_molecule(s).mol for s in QUERY]
    extra = b.extra_inputs(mols)
    assert extra.shape == (len(QUERY), N_V1 + 2)
    ranges = b.range_inputs(mols, extra)
    np.testing.assert_array_equal(ranges, extra[:, :N_V1])  # reused, not recomputed
    np.testing.assert_array_equal(ranges, FastDescriptors().featurize_many(mols))
    df = Screener(again, profile=None).score(QUERY + ["C1CC"])
    assert df["valid"].tolist() == [True] * len(QUERY) + [False]
    assert df["out_of_range"].iloc[-2] != ""  # the C12 bromide leaves the tiny sets' ranges
