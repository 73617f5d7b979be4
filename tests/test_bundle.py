"""Model bundles: round trip, refusal of damaged bundles, batch independence, pickling."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest

from drugscreen.bundle import installed_models, load_bundle
from drugscreen.exceptions import BundleError, UnknownNameError

TINY = Path(__file__).parent / "data" / "tiny_bundle"
SMILES = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "C1CCNCC1C#N", "O=C(O)c1ccccc1", "CCCCCCCCCCCCBr", "c1ccc2ccccc2c1N"]


@pytest.fixture()
def bundle_dir(tmp_path: Path) -> Path:
    dst = tmp_path / "tiny"
    shutil.copytree(TINY, dst)
    return dst


def _inputs(bundle, smiles=SMILES):
    from drugscreen.domain import ecfp4_packed
    from drugscreen.featurizers.base import build_featurizer
    from drugscreen.featurizers.molecule import Standardizer, prepare_molecule

    std = Standardizer.from_config(bundle.standardizer_config)
    feat = build_featurizer(bundle.featurizer_config)
    mols = [prepare_molecule(s, std).mol for s in smiles]
    return [feat(m) for m in mols], ecfp4_packed(mols)


def test_load_and_predict(bundle_dir: Path) -> None:
    b = load_bundle(bundle_dir)
    assert b.task_names == ["has_N", "logp"]
    assert [t["type"] for t in b.tasks] == ["classification", "regression"]
    assert {"name", "column", "type", "units", "direction", "dataset"} <= set(b.tasks[0])
    graphs, fps = _inputs(b)
    pred = b.predict(graphs, fps=fps)
    assert pred.mean.shape == pred.std.shape == (len(SMILES), 2)
    assert ((pred.mean[:, 0] >= 0) & (pred.mean[:, 0] <= 1)).all()
    assert (pred.std >= 0).all() and pred.std.max() > 0  # two members disagree somewhere
    assert pred.domain_similarity.shape == (len(SMILES),)
    assert ((pred.domain_similarity >= 0) & (pred.domain_similarity <= 1)).all()
    assert pred.in_domain.dtype == bool
    np.testing.assert_array_equal(pred.in_domain, pred.domain_similarity >= b.domain_threshold)


def test_predict_needs_fps_for_hybrid(bundle_dir: Path) -> None:
    b = load_bundle(bundle_dir)
    graphs, _ = _inputs(b)
    assert b.needs_fps
    with pytest.raises(ValueError, match="fps"):
        b.predict(graphs)


def test_predict_smiles_matches_predict(bundle_dir: Path) -> None:
    b = load_bundle(bundle_dir)
    graphs, fps = _inputs(b)
    direct = b.predict(graphs, fps=fps)
    conv = b.predict_smiles([*SMILES, "not a smiles"])
    np.testing.assert_allclose(conv.mean[:-1], direct.mean)
    assert np.isnan(conv.mean[-1]).all() and not conv.in_domain[-1]


def test_round_trip_bit_identical(bundle_dir: Path, tmp_path: Path) -> None:
    b = load_bundle(bundle_dir)
    copy = b.save(tmp_path / "copy")
    for name in b.config["files"]:
        assert (copy / name).read_bytes() == (bundle_dir / name).read_bytes(), name
    b2 = load_bundle(copy)
    graphs, fps = _inputs(b)
    p1, p2 = b.predict(graphs, fps=fps), b2.predict(graphs, fps=fps)
    np.testing.assert_array_equal(p1.mean, p2.mean)
    np.testing.assert_array_equal(p1.std, p2.std)
    np.testing.assert_array_equal(p1.domain_similarity, p2.domain_similarity)


def test_predictions_do_not_depend_on_batch(bundle_dir: Path) -> None:
    b = load_bundle(bundle_dir)
    graphs, fps = _inputs(b)
    full = b.predict(graphs, fps=fps, batch_size=512)
    ones = b.predict(graphs, fps=fps, batch_size=1)
    threes = b.predict(graphs, fps=fps, batch_size=3)
    np.testing.assert_allclose(ones.mean, full.mean, rtol=0, atol=1e-6)
    np.testing.assert_allclose(threes.mean, full.mean, rtol=0, atol=1e-6)
    # the same molecule among different neighbours
    other_graphs, other_fps = _inputs(b, ["CCCCN", "c1ccsc1C", SMILES[2], "OCCO"])
    mixed = b.predict(other_graphs, fps=other_fps)
    np.testing.assert_allclose(mixed.mean[2], full.mean[2], rtol=0, atol=1e-6)
    np.testing.assert_allclose(mixed.std[2], full.std[2], rtol=0, atol=1e-6)


def test_pickle_reloads_from_path(bundle_dir: Path) -> None:
    b = load_bundle(bundle_dir)
    b2 = pickle.loads(pickle.dumps(b))
    assert b2.path == b.path and b2._models is None
    graphs, fps = _inputs(b)
    np.testing.assert_array_equal(b.predict(graphs, fps=fps).mean, b2.predict(graphs, fps=fps).mean)


def _one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def test_tampered_weights_refused(bundle_dir: Path) -> None:
    p = bundle_dir / "member_0.safetensors"
    data = bytearray(p.read_bytes())
    data[-5] ^= 0xFF
    p.write_bytes(bytes(data))
    with pytest.raises(BundleError) as exc:
        load_bundle(bundle_dir)
    assert "sha256" in _one_line(exc)


def test_truncated_weights_refused(bundle_dir: Path) -> None:
    p = bundle_dir / "member_1.safetensors"
    p.write_bytes(p.read_bytes()[:100])
    with pytest.raises(BundleError) as exc:
        load_bundle(bundle_dir)
    _one_line(exc)


def test_truncated_file_with_matching_checksum_refused(bundle_dir: Path) -> None:
    import hashlib

    p = bundle_dir / "member_1.safetensors"
    p.write_bytes(p.read_bytes()[:100])
    cfg = json.loads((bundle_dir / "config.json").read_text())
    cfg["files"]["member_1.safetensors"] = hashlib.sha256(p.read_bytes()).hexdigest()
    (bundle_dir / "config.json").write_text(json.dumps(cfg))
    b = load_bundle(bundle_dir)
    with pytest.raises(BundleError) as exc:
        _ = b.models
    assert "safetensors" in _one_line(exc)


def test_missing_file_refused(bundle_dir: Path) -> None:
    (bundle_dir / "train_fps.safetensors").unlink()
    with pytest.raises(BundleError) as exc:
        load_bundle(bundle_dir)
    assert "missing" in _one_line(exc)


def test_missing_config_refused(bundle_dir: Path) -> None:
    (bundle_dir / "config.json").unlink()
    with pytest.raises(BundleError) as exc:
        load_bundle(bundle_dir)
    assert "config.json" in _one_line(exc)


def test_unknown_format_version_refused(bundle_dir: Path) -> None:
    cfg = json.loads((bundle_dir / "config.json").read_text())
    cfg["format_version"] = 99
    (bundle_dir / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(BundleError) as exc:
        load_bundle(bundle_dir)
    assert "format_version 99" in _one_line(exc)


def test_corrupt_config_refused(bundle_dir: Path) -> None:
    (bundle_dir / "config.json").write_text("{not json")
    with pytest.raises(BundleError):
        load_bundle(bundle_dir)


def test_unknown_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRUGSCREEN_MODELS_DIR", str(TINY.parent))
    with pytest.raises(UnknownNameError) as exc:
        load_bundle("no_such_bundle_name")
    assert "tiny_bundle" in str(exc.value)


def test_installed_models_from_env(monkeypatch: pytest.MonkeyPatch, bundle_dir: Path) -> None:
    monkeypatch.setenv("DRUGSCREEN_MODELS_DIR", str(bundle_dir.parent))
    names = [m.name for m in installed_models()]
    assert "tiny" in names
    b = load_bundle("tiny")
    assert b.path == bundle_dir.resolve()
    assert "Model card" in b.card()


def test_loading_never_unpickles(bundle_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args, **kwargs):
        raise AssertionError("pickle used")

    monkeypatch.setattr(pickle, "load", boom)
    monkeypatch.setattr(pickle, "loads", boom)
    import torch

    monkeypatch.setattr(torch, "load", boom)
    b = load_bundle(bundle_dir)
    graphs, fps = _inputs(b)
    b.predict(graphs, fps=fps)


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_bundle_files_follow_the_umask(tmp_path: Path, umask: int) -> None:
    """safetensors writes via a private temp file (0600); bundle files must follow the umask like the others."""
    import torch

    from drugscreen.bundle import save_bundle

    old = os.umask(umask)
    try:
        out = save_bundle(tmp_path / "b", {"name": "t"}, [{"w": torch.zeros(2)}], np.zeros((1, 256), np.uint8))
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()}
    assert set(modes.values()) == {0o666 & ~umask}, modes


def test_a_bundle_path_that_does_not_exist_says_so(tmp_path: Path) -> None:
    """A mistyped bundle folder was 'not a directory', which reads as if something were there."""
    with pytest.raises(BundleError, match="does not exist .*drugscreen models list"):
        load_bundle(tmp_path / "runs" / "panle")
    (tmp_path / "file").write_text("x")
    with pytest.raises(BundleError, match="is not a directory"):
        load_bundle(tmp_path / "file")
