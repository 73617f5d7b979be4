"""The fast_descriptors hybrid inputs (alone and with ECFP4 bits): data, training, bundle round trip,
Screener, scaling once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from tiny_data import tiny_dataset, tiny_smiles

from drugscreen.bundle import load_bundle
from drugscreen.domain import ecfp4_packed, unpack_bits
from drugscreen.featurizers.base import build_featurizer
from drugscreen.featurizers.descriptors import DescriptorScaler, FastDescriptors
from drugscreen.featurizers.molecule import prepare_molecule
from drugscreen.training.config import TrainConfig
from drugscreen.training.data import DESCRIPTOR_CLIP, build_training_data
from drugscreen.training.trainer import train_on_data

QUERY = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "C1CCNCC1C#N", "O=C(O)c1ccccc1", "CCCCCCCCCCCCBr", "c1ccc2ccccc2c1N"]


@pytest.fixture(scope="module")
def hybrid_data(tmp_path_factory: pytest.TempPathFactory):
    cache = tmp_path_factory.mktemp("features")
    return build_training_data([tiny_dataset(96)], split="random", seed=0, cache_dir=str(cache), descriptors=True)


@pytest.fixture(scope="module")
def hybrid_bundle(hybrid_data, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = TrainConfig(dataset=["tiny"], model="gine", split="random", seeds=[0], ensemble=2, epochs=3, batch_size=16, lr=3e-3,
                      extra_features="ecfp+descriptors", model_params={"hidden": 16, "depth": 2, "head_hidden": 16}, name="hyb")
    out = tmp_path_factory.mktemp("hyb") / "bundle"
    train_on_data(hybrid_data, cfg, out)
    return out


def _inputs(bundle, smiles=QUERY):
    feat = build_featurizer(bundle.featurizer_config)
    mols = [prepare_molecule(s).mol for s in smiles]
    return [feat(m) for m in mols], ecfp4_packed(mols), FastDescriptors().featurize_many(mols)


def test_descriptors_scaled_on_training_part_only(hybrid_data) -> None:
    d = hybrid_data
    assert d.train.desc is not None and d.train.desc.dtype == np.float32
    n_desc = len(FastDescriptors())
    for part in (d.train, d.valid, d.test):
        assert part.desc.shape == (len(part), n_desc)
        assert np.isfinite(part.desc).all() and np.abs(part.desc).max() <= DESCRIPTOR_CLIP
    raw_train = FastDescriptors().featurize_many([prepare_molecule(s).mol for s in d.train.smiles_std])
    expected = DescriptorScaler(clip=DESCRIPTOR_CLIP).fit(raw_train)
    scaler = DescriptorScaler.from_dict(d.descriptors["scaler"])
    np.testing.assert_allclose(scaler.mean_, expected.mean_)
    np.testing.assert_allclose(scaler.std_, expected.std_)
    np.testing.assert_array_equal(d.train.desc, expected.transform(raw_train))
    assert d.descriptors["featurizer"] == {"name": "fast_descriptors", "params": {"version": 1}}


def test_hybrid_data_cached(hybrid_data, tmp_path: Path) -> None:
    first = build_training_data([tiny_dataset(96)], split="random", seed=0, cache_dir=str(tmp_path), descriptors=True)
    assert list(tmp_path.glob("desc_*.npz"))
    again = build_training_data([tiny_dataset(96)], split="random", seed=0, cache_dir=str(tmp_path), descriptors=True)
    np.testing.assert_array_equal(first.test.desc, again.test.desc)
    np.testing.assert_array_equal(first.test.desc, hybrid_data.test.desc)
    plain = build_training_data([tiny_dataset(96)], split="random", seed=0, cache_dir=str(tmp_path))
    assert plain.train.desc is None and plain.descriptors is None


def test_hybrid_bundle_config_and_needs(hybrid_bundle: Path) -> None:
    b = load_bundle(hybrid_bundle)
    extra = b.config["extra_features"]
    assert extra["kind"] == "fingerprint+descriptors"
    assert b.needs_fps
    assert b.extra_featurizer_config == {"name": "fast_descriptors", "params": {"version": 1}}
    assert b.config["model"]["params"]["extra_dim"] == 2048 + len(FastDescriptors())
    graphs, fps, desc = _inputs(b)
    with pytest.raises(ValueError, match="extra"):
        b.predict(graphs, fps=fps)
    with pytest.raises(ValueError, match="fps"):
        b.predict(graphs, extra=desc)
    assert "fast_descriptors" in b.card()


def test_hybrid_scaling_applied_once(hybrid_bundle: Path) -> None:
    b = load_bundle(hybrid_bundle)
    graphs, fps, desc = _inputs(b)
    raw = b.predict_raw(graphs, extra=desc, fps=fps)
    # by hand: model(graph, [bits, scaler(raw descriptors)]), de-standardized
    from drugscreen.featurizers.graph import collate

    scaled = DescriptorScaler.from_dict(b.config["extra_features"]["scaler"]).transform(desc)
    ex = torch.from_numpy(np.concatenate([unpack_bits(fps), scaled], axis=1))
    with torch.inference_mode():
        by_hand = np.stack([m(collate(graphs), ex).double().numpy() for m in b.models])
    y = b.config["scalers"]["y"]
    by_hand[..., 0] = 1.0 / (1.0 + np.exp(-by_hand[..., 0]))
    by_hand[..., 1] = by_hand[..., 1] * y["std"][1] + y["mean"][1]
    np.testing.assert_allclose(raw, by_hand, rtol=1e-5, atol=1e-6)
    # passing already-scaled values would scale twice: it must give other numbers
    twice = b.predict_raw(graphs, extra=scaled.astype(np.float64), fps=fps)
    assert not np.allclose(twice, raw)


def test_hybrid_round_trip_and_screener(hybrid_bundle: Path, tmp_path: Path) -> None:
    from drugscreen.screening.screener import Screener, endpoint_column_name

    b = load_bundle(hybrid_bundle)
    graphs, fps, desc = _inputs(b)
    ref = b.predict(graphs, extra=desc, fps=fps)
    copy = load_bundle(b.save(tmp_path / "copy"))
    again = copy.predict(graphs, extra=desc, fps=fps)
    np.testing.assert_array_equal(ref.mean, again.mean)
    np.testing.assert_array_equal(ref.std, again.std)
    via_smiles = b.predict_smiles(QUERY)
    np.testing.assert_allclose(via_smiles.mean, ref.mean, rtol=1e-6, atol=1e-7)

    screener = Screener(b, profile=None, batch_size=64)
    df = screener.score(QUERY + ["not a smiles"])
    assert df["valid"].tolist() == [True] * len(QUERY) + [False]
    # the Screener pads to full batches of 64: same numbers as one padded bundle.predict call
    reps = [i % len(QUERY) for i in range(64 - len(QUERY))]
    padded = b.predict(graphs + [graphs[i] for i in reps], extra=np.concatenate([desc, desc[reps]]),
                       fps=np.concatenate([fps, fps[reps]]), batch_size=64)
    for j, task in enumerate(b.tasks):
        col = endpoint_column_name(task)
        got = df[col].to_numpy()[: len(QUERY)]
        np.testing.assert_array_equal(got, np.round(padded.mean[: len(QUERY), j], 6))  # the Screener prints 6 decimals
        np.testing.assert_allclose(got, ref.mean[:, j], rtol=1e-5, atol=2e-6)


def test_hybrid_trains_and_learns(hybrid_data, tmp_path: Path) -> None:
    cfg = TrainConfig(dataset=["tiny"], model="gine", split="random", seeds=[0], epochs=6, patience=6, batch_size=16, lr=3e-3,
                      extra_features="ecfp+descriptors", model_params={"hidden": 16, "depth": 2, "head_hidden": 16},
                      head="per_dataset", head_finetune_epochs=2)
    result = train_on_data(hybrid_data, cfg, None)
    hist = [h for h in result.members[0].history if "train_loss" in h]
    assert hist[-1]["train_loss"] < hist[0]["train_loss"]
    assert np.isfinite(result.run_records[0]["metrics"]["test"]["rmse"])


def test_hybrid_needs_descriptor_data(tmp_path: Path) -> None:
    from drugscreen.exceptions import ConfigError

    plain = build_training_data([tiny_dataset(40, with_regression=False)], split="random", seed=0, cache_dir=str(tmp_path))
    cfg = TrainConfig(dataset=["tiny"], model="gine", split="random", seeds=[0], epochs=1, extra_features="ecfp+descriptors",
                      model_params={"hidden": 8, "depth": 1})
    with pytest.raises(ConfigError, match="descriptors"):
        train_on_data(plain, cfg, None)
    with pytest.raises(ConfigError, match="descriptors"):
        train_on_data(plain, TrainConfig.from_dict({**cfg.to_dict(), "extra_features": "descriptors"}), None)
    assert len(tiny_smiles(40)) == 40


@pytest.fixture(scope="module")
def descriptor_bundle(hybrid_data, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Descriptors alone next to the graph, with a forest blend (which takes the fingerprint)."""
    cfg = TrainConfig(dataset=["tiny"], model="gine", split="random", seeds=[0], ensemble=2, epochs=3, batch_size=16, lr=3e-3,
                      extra_features="descriptors", model_params={"hidden": 16, "depth": 2, "head_hidden": 16}, name="desc",
                      forest={"datasets": ["tiny"], "n_estimators": 5})
    out = tmp_path_factory.mktemp("desc") / "bundle"
    train_on_data(hybrid_data, cfg, out)
    return out


def test_descriptor_only_bundle_feeds_descriptors_not_bits(descriptor_bundle: Path, tmp_path: Path) -> None:
    from drugscreen.featurizers.graph import collate

    b = load_bundle(descriptor_bundle)
    assert b.config["extra_features"]["kind"] == "descriptors"
    assert b.config["model"]["params"]["extra_dim"] == len(FastDescriptors())
    assert b.extra_featurizer_config == {"name": "fast_descriptors", "params": {"version": 1}}
    assert "fast_descriptors" in b.card()
    graphs, fps, desc = _inputs(b)
    with pytest.raises(ValueError, match="extra"):
        b.predict(graphs, fps=fps)
    # by hand: model(graph, scaler(raw descriptors)), then the forest blend
    scaled = DescriptorScaler.from_dict(b.config["extra_features"]["scaler"]).transform(desc)
    with torch.inference_mode():
        logits = np.stack([m(collate(graphs), torch.from_numpy(scaled)).double().numpy() for m in b.models])
    units = logits.copy()
    units[..., 0] = 1.0 / (1.0 + np.exp(-logits[..., 0]))
    y = b.config["scalers"]["y"]
    units[..., 1] = logits[..., 1] * y["std"][1] + y["mean"][1]
    if b.forest is not None:
        cols = np.asarray(b.config["forest"]["tasks"])
        w = np.asarray(b.config["forest"]["weights"])
        pf = b.forest.predict(np.unpackbits(fps, axis=1)[:, : b.forest.n_features])
        units[..., cols] = w * units[..., cols] + (1 - w) * pf[None]
    np.testing.assert_allclose(b.predict_raw(graphs, extra=desc, fps=fps), units, rtol=1e-5, atol=1e-6)
    again = load_bundle(b.save(tmp_path / "copy")).predict(graphs, extra=desc, fps=fps)
    np.testing.assert_array_equal(b.predict(graphs, extra=desc, fps=fps).mean, again.mean)
    np.testing.assert_allclose(b.predict_smiles(QUERY).mean, again.mean, rtol=1e-6, atol=1e-7)


def test_predict_part_feeds_raw_descriptors(descriptor_bundle: Path, hybrid_data) -> None:
    from drugscreen.training.data import predict_part

    b = load_bundle(descriptor_bundle)
    part = hybrid_data.test
    got = predict_part(b, part)
    np.testing.assert_allclose(got.mean, b.predict_smiles(part.smiles_std).mean, rtol=1e-6, atol=1e-7)
    # Part.desc holds *scaled* values: feeding them as extra would scale twice
    wrong = b.predict(part.graphs, extra=part.desc.astype(np.float64), fps=part.fps)
    assert not np.allclose(wrong.mean, got.mean)
