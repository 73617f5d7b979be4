"""Training: masked loss, loss drops, resume from checkpoint, calibration, AD, config, run records, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from tiny_data import tiny_train_config

from drugscreen.exceptions import ConfigError
from drugscreen.training.calibration import apply_calibration, fit_calibration
from drugscreen.training.config import TrainConfig, resolve_config
from drugscreen.training.losses import masked_loss, pos_weights
from drugscreen.training.metrics import expected_calibration_error
from drugscreen.training.trainer import fit_member, train_on_data


def _config(**kw) -> TrainConfig:
    return tiny_train_config(**kw)


# ----------------------------------------------------------------------------- losses


def test_masked_loss_ignores_nan_labels() -> None:
    pred = torch.randn(4, 3, requires_grad=True)
    y = torch.tensor([[1.0, float("nan"), 0.5], [0.0, 1.0, float("nan")], [float("nan")] * 3, [1.0, 0.0, -1.0]])
    cls = torch.tensor([True, True, False])
    loss = masked_loss(pred, y, cls)
    loss.backward()
    grad = pred.grad.clone()
    assert torch.isfinite(loss)
    assert (grad[torch.isnan(y)] == 0).all()
    # changing predictions where labels are missing does not change the loss
    pred2 = pred.detach().clone()
    pred2[torch.isnan(y)] += 100.0
    torch.testing.assert_close(masked_loss(pred2, y, cls), loss.detach())


def test_masked_loss_all_missing_is_zero() -> None:
    pred = torch.randn(2, 2, requires_grad=True)
    loss = masked_loss(pred, torch.full((2, 2), float("nan")), torch.tensor([True, False]))
    assert float(loss) == 0.0
    loss.backward()


def test_pos_weights() -> None:
    y = np.array([[1, 0.0], [0, 1], [0, 2], [0, np.nan], [np.nan, 3]], dtype=float)
    w = pos_weights(y, np.array([True, False]), "balanced")
    assert w[0] == pytest.approx(3.0) and w[1] == 1.0
    assert pos_weights(y, np.array([True, False]), "sqrt")[0] == pytest.approx(np.sqrt(3.0))


# ----------------------------------------------------------------------------- training


def test_tiny_model_trains_and_loss_drops(tiny_data) -> None:
    model, history, best = fit_member(tiny_data, _config(epochs=8, patience=8), member_seed=0)
    losses = [h["train_loss"] for h in history]
    assert len(history) == 8
    assert losses[-1] < 0.7 * losses[0]
    assert 0 <= best < 8


def test_training_is_deterministic(tiny_data) -> None:
    a, ha, _ = fit_member(tiny_data, _config(epochs=2), member_seed=3)
    b, hb, _ = fit_member(tiny_data, _config(epochs=2), member_seed=3)
    assert [h["train_loss"] for h in ha] == [h["train_loss"] for h in hb]
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert ka == kb and torch.equal(va, vb)


@pytest.mark.parametrize("ema_decay", [0.0, 0.9])
def test_resume_from_checkpoint_continues(tiny_data, tmp_path: Path, ema_decay: float) -> None:
    cfg = _config(epochs=5, patience=5, ema_decay=ema_decay)
    ref, ref_hist, _ = fit_member(tiny_data, cfg, member_seed=1)

    class Stop(Exception):
        pass

    def interrupt(rec):
        if rec["epoch"] == 2:
            raise Stop

    with pytest.raises(Stop):
        fit_member(tiny_data, cfg, member_seed=1, checkpoint_dir=tmp_path / "ck", on_epoch=interrupt)
    meta = json.loads((tmp_path / "ck" / "checkpoint.json").read_text())
    assert meta["epoch"] == 2 and not meta["done"]
    seen = []
    resumed, hist, _ = fit_member(tiny_data, cfg, member_seed=1, checkpoint_dir=tmp_path / "ck", on_epoch=lambda r: seen.append(r["epoch"]))
    assert seen == [3, 4]  # continued, did not restart
    assert [h["train_loss"] for h in hist] == pytest.approx([h["train_loss"] for h in ref_hist])
    for (k, v), (_, w) in zip(ref.state_dict().items(), resumed.state_dict().items(), strict=True):
        torch.testing.assert_close(v, w, msg=k)


def test_weight_average_is_what_is_validated_and_kept(tiny_data) -> None:
    from drugscreen.training.trainer import _update_ema

    plain, hp, _ = fit_member(tiny_data, _config(epochs=3), member_seed=2)
    a, ha, _ = fit_member(tiny_data, _config(epochs=3, ema_decay=0.9), member_seed=2)
    b, hb, _ = fit_member(tiny_data, _config(epochs=3, ema_decay=0.9), member_seed=2)
    # the same steps are taken (the average does not feed back into training) ...
    assert [h["train_loss"] for h in ha] == [h["train_loss"] for h in hb] == [h["train_loss"] for h in hp]
    # ... deterministically, and the kept weights are the average, not the last step's
    for (k, v), (_, w) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert torch.equal(v, w), k
    assert any(not torch.equal(v, w) for v, w in zip(a.state_dict().values(), plain.state_dict().values(), strict=True))
    ema = {"w": torch.zeros(2)}
    model = torch.nn.Module()
    model.w = torch.nn.Parameter(torch.ones(2))
    _update_ema(ema, model, 0.75)
    torch.testing.assert_close(ema["w"], torch.full((2,), 0.25))
    with pytest.raises(ConfigError, match="ema_decay"):
        _config(ema_decay=1.0)


def test_train_writes_bundle_and_run_records(tiny_data, tmp_path: Path) -> None:
    from drugscreen.bundle import load_bundle

    cfg = _config(seeds=[0, 1], epochs=3, extra_features="ecfp", weights_dtype="float16", name="t")
    result = train_on_data(tiny_data, cfg, tmp_path / "out")
    out = tmp_path / "out"
    assert (out / "config.json").is_file() and (out / "MODEL_CARD.md").is_file()
    card = (out / "MODEL_CARD.md").read_text()
    assert "- Standardization (training and screening): isotope labels removed; listed counter-ions and solvents (list version 2) dropped" in card
    assert ("- Refused when screening: radicals on non-metals, charges beyond what the models score and inorganic "
            "salts and mixtures (no carbon, or carbon only as carbonate, cyanide, CO2, ...)") in card
    assert not (out / ".checkpoints").exists()
    records = sorted((out / "runs").glob("*.json"))
    assert len(records) == 2
    rec = json.loads(records[0].read_text())
    for key in ("schema", "dataset", "model", "split", "seed", "config", "versions", "data_sha256",
                "split_sha256", "metrics", "times", "peak_rss_mb", "host"):
        assert key in rec
    assert rec["schema"] == "drugscreen.run/1"
    assert {"roc_auc", "prc_auc", "rmse", "mae", "per_task"} <= set(rec["metrics"]["test"])
    assert "has_N" in rec["metrics"]["test"]["per_task"]
    b = load_bundle(out)
    assert b.n_members == 2 and b.config["weights_dtype"] == "float16"
    assert 0.0 < b.domain_threshold < 1.0
    assert result.metrics["summary"]["tiny"]["rmse"]["n"] == 2


def test_rf_baseline_run_records(tiny_data, tmp_path: Path) -> None:
    result = train_on_data(tiny_data, _config(model="rf", model_params={"n_estimators": 10}), tmp_path / "rf")
    rec = result.run_records[0]
    assert rec["model"] == "rf" and "roc_auc" in rec["metrics"]["test"]
    assert not (tmp_path / "rf" / "config.json").exists()  # forests are not bundled


def test_rf_baseline_regression_metrics_are_in_the_labels_units(tiny_data, tmp_path: Path) -> None:
    """`drugscreen train --model rf` scaled the forest's regression predictions (already in the
    labels' units) a second time: FreeSolv's test RMSE read 8.2 where the benchmark's rf gets 4.4."""
    from drugscreen.domain import unpack_bits
    from drugscreen.models import ECFPRandomForest

    result = train_on_data(tiny_data, _config(model="rf", model_params={"n_estimators": 10}), tmp_path / "rf")
    got = result.run_records[0]["metrics"]["test"]["per_task"]["logp"]["rmse"]
    is_cls = tiny_data.is_classification
    rf = ECFPRandomForest(task_types=["classification" if c else "regression" for c in is_cls], random_state=0,
                          n_estimators=10).fit(unpack_bits(tiny_data.train.fps), tiny_data.train.y)
    pred = rf.predict(unpack_bits(tiny_data.test.fps))[:, 1]
    y = tiny_data.test.y[:, 1]
    ok = ~np.isnan(y)
    assert got == pytest.approx(float(np.sqrt(np.mean((pred[ok] - y[ok]) ** 2))), rel=1e-6)


# ----------------------------------------------------------------------------- calibration & AD


def test_platt_calibration_reduces_ece() -> None:
    rng = np.random.default_rng(0)
    true_p = rng.random(4000)
    y = (rng.random(4000) < true_p).astype(float)
    over = 1 / (1 + np.exp(-4 * np.log(true_p / (1 - true_p))))  # overconfident
    y2, p2 = y[:, None], over[:, None]
    for method in ("platt", "temperature", "isotonic"):
        cal = fit_calibration(y2[:2000], p2[:2000], np.array([True]), method)
        after = apply_calibration(p2[2000:], cal)
        assert expected_calibration_error(y[2000:], after[:, 0]) < 0.5 * expected_calibration_error(y[2000:], over[2000:]), method
        json.dumps(cal)  # JSON-serialisable


def test_calibration_identity_for_regression_and_rare_tasks() -> None:
    y = np.array([[0.0, 1.5], [0.0, 2.0], [1.0, 0.1], [0.0, 0.3]])
    p = np.array([[0.2, 1.4], [0.1, 2.1], [0.7, 0.0], [0.3, 0.2]])
    cal = fit_calibration(y, p, np.array([True, False]), "platt")
    assert cal["params"] == [None, None]
    np.testing.assert_array_equal(apply_calibration(p, cal), p)


def test_max_tanimoto_matches_rdkit() -> None:
    from rdkit import Chem, DataStructs
    from rdkit.Chem import rdFingerprintGenerator

    from drugscreen.domain import ecfp4_packed, max_tanimoto

    ref = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "C1CCNCC1"]
    qry = ["CCN", "c1ccccc1N", "CC(=O)Nc1ccc(OC)cc1", "C" * 60 + "N" * 3 + "C(=O)O" * 20]
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    rfp = [gen.GetFingerprint(Chem.MolFromSmiles(s)) for s in ref]
    expected = [max(DataStructs.BulkTanimotoSimilarity(gen.GetFingerprint(Chem.MolFromSmiles(s)), rfp)) for s in qry]
    got = max_tanimoto(ecfp4_packed([Chem.MolFromSmiles(s) for s in qry]), ecfp4_packed([Chem.MolFromSmiles(s) for s in ref]))
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_choose_threshold_separates_errors() -> None:
    from drugscreen.domain import choose_threshold, domain_error_evidence

    rng = np.random.default_rng(0)
    sim = rng.random(500)
    err = np.where(sim < 0.4, 0.6, 0.2) + rng.normal(0, 0.02, 500)
    chosen = choose_threshold(sim, err)
    assert 0.35 <= chosen["threshold"] <= 0.45
    ev = domain_error_evidence(sim, err, chosen["threshold"])
    assert ev["mean_error_out"] > ev["mean_error_in"]


def test_domain_evidence_within_datasets_not_confounded() -> None:
    """An easy dataset far from training and a hard one close to it must not hide the effect."""
    from drugscreen.domain import choose_threshold, domain_error_evidence, relative_error

    rng = np.random.default_rng(1)
    n = 400
    groups = np.repeat([0, 1], n)
    # dataset 0: low similarities, small errors; dataset 1: high similarities, large errors;
    # within each, errors grow below similarity 0.4 / 0.6
    sim = np.concatenate([rng.uniform(0.1, 0.6, n), rng.uniform(0.4, 0.9, n)])
    base = np.where(groups == 0, 0.05, 0.5)
    cut = np.where(groups == 0, 0.4, 0.6)
    err = base * np.where(sim < cut, 2.0, 1.0) * rng.uniform(0.9, 1.1, 2 * n)
    pooled = domain_error_evidence(sim, err, 0.5)
    assert pooled["mean_error_out"] < pooled["mean_error_in"]  # the confounded view
    rel = relative_error(err, groups)
    assert abs(np.nanmean(rel[groups == 0]) - 1.0) < 1e-9
    chosen = choose_threshold(sim, err, groups=groups)
    assert "each counted once" in chosen["method"] and chosen["error_ratio"] > 1.3
    ev = domain_error_evidence(sim, err, chosen["threshold"], groups, ["easy", "hard"])
    assert ev["relative_to_group_mean"] and ev["mean_error_out"] > ev["mean_error_in"]
    assert [g["group"] for g in ev["by_group"]] == ["easy", "hard"]
    assert all(g["mean_error_out"] > g["mean_error_in"] for g in ev["by_group"] if g["n_out"] and g["n_in"])


def test_metric_evidence_bins_any_trust_score_such_as_the_negated_spread() -> None:
    """benchmarks/domain_evidence.py bins the ensemble spread through domain_metric_evidence by
    passing -spread: the first bin is then the most uncertain third."""
    from drugscreen.domain import domain_metric_evidence

    rng = np.random.default_rng(0)
    spread = rng.uniform(0.05, 1.0, 300)
    y = rng.normal(0.0, 1.0, (300, 1))
    pred = y + rng.normal(0.0, 1.0, (300, 1)) * spread[:, None]  # errors grow with the spread
    ev = domain_metric_evidence(-spread, y, pred, "regression", float(-np.median(spread)))
    first, last = ev["by_bin"][0], ev["by_bin"][-1]
    assert -first["from"] == spread.max() and -last["to"] == spread.min()
    assert first["metric"] > 2 * last["metric"]  # RMSE of the most uncertain third
    assert ev["in"]["n"] == 150 and ev["in"]["metric"] < ev["out"]["metric"]  # "in" = the less uncertain half


# ----------------------------------------------------------------------------- config & CLI


def test_config_file_and_overrides(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text('dataset = ["tox21"]\nmodel = "gine"\nepochs = 7\nseeds = [0, 1]\n[model_params]\nhidden = 32\n')
    cfg = resolve_config(p, epochs=3, seeds="4,5", model=None)
    assert cfg.dataset == ["tox21"] and cfg.epochs == 3 and cfg.seeds == [4, 5] and cfg.model == "gine"
    assert cfg.model_params == {"hidden": 32}
    p.write_text('datset = "x"\n')
    with pytest.raises(ConfigError, match="datset"):
        resolve_config(p)
    with pytest.raises(ConfigError):
        TrainConfig(calibration="magic")


def test_cli_models_list_and_info(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from drugscreen.cli import app

    monkeypatch.setenv("DRUGSCREEN_MODELS_DIR", str(Path(__file__).parent / "data"))
    runner = CliRunner()
    res = runner.invoke(app, ["models", "list"])
    assert res.exit_code == 0 and "tiny_bundle" in res.output
    res = runner.invoke(app, ["models", "info", "tiny_bundle"])
    assert res.exit_code == 0 and "Model card" in res.output
    # the shipped affinity model (repurposing) is listed and has a card too (it had none)
    from drugscreen.repurposing.affinity_bundle import affinity_summary

    shipped = affinity_summary()
    res = runner.invoke(app, ["models", "list"])
    assert "affinity  (2 tasks" in res.output and f"test CI {shipped['test']['davis']['ci']:.3f}" in res.output
    res = runner.invoke(app, ["models", "info", "affinity"])
    assert res.exit_code == 0 and "# Model card: affinity" in res.output and "cold_target" in res.output
    res = runner.invoke(app, ["models", "list", "--json"])
    assert json.loads(res.output)[-1]["name"] == "affinity"
    res = runner.invoke(app, ["train", "--help"])
    assert res.exit_code == 0 and "--config" in res.output


def test_head_finetune_never_worsens_validation(tiny_data) -> None:
    from drugscreen.training.trainer import finetune_heads

    cfg = _config(epochs=2, head_finetune_epochs=5, head="per_dataset")
    model, _, _ = fit_member(tiny_data, cfg, member_seed=0)
    report = finetune_heads(model, tiny_data, cfg, member_seed=0)
    assert set(report) == {"tiny"}
    r = report["tiny"]
    assert r["valid_after"] >= r["valid_before"]


def test_cuda_refused_without_gpu(tiny_data) -> None:
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(ConfigError, match="cuda"):
        fit_member(tiny_data, _config(device="cuda"), member_seed=0)


def test_per_molecule_error_mixes_units_and_skips_unlabelled() -> None:
    from drugscreen.domain import per_molecule_error

    y = np.array([[1.0, np.nan, 2.0], [np.nan, np.nan, np.nan], [0.0, 1.0, np.nan]])
    p = np.array([[0.8, 0.5, 1.0], [0.0, 0.0, 0.0], [0.1, 0.7, 0.0]])
    err = per_molecule_error(y, p, np.array([True, True, False]), np.array([1.0, 1.0, 2.0]))
    np.testing.assert_allclose(err[[0, 2]], [(0.2 + 0.5) / 2, (0.1 + 0.3) / 2])
    assert np.isnan(err[1])


def test_domain_metric_evidence_compares_the_metric_in_and_out_and_by_tertile() -> None:
    from drugscreen.domain import domain_metric_evidence

    rng = np.random.default_rng(0)
    n = 300
    sim = rng.uniform(0.1, 0.9, n)
    y = (rng.random(n) < 0.5).astype(float)
    # predictions informative only for similar molecules: perfect above 0.5, noise below
    p = np.where(sim >= 0.5, y * 0.8 + 0.1, rng.random(n))
    y2 = np.column_stack([y, np.where(rng.random(n) < 0.2, np.nan, y)])
    p2 = np.column_stack([p, p])
    ev = domain_metric_evidence(sim, y2, p2, "classification", threshold=0.5)
    assert ev["metric"] == "roc_auc" and ev["higher_is_better"]
    assert ev["in"]["metric"] == 1.0
    assert ev["out"]["metric"] < 0.75
    assert ev["in"]["n"] + ev["out"]["n"] == n
    assert [b["n"] for b in ev["by_bin"]] == [100, 100, 100]
    assert ev["by_bin"][0]["to"] <= ev["by_bin"][1]["from"] and ev["by_bin"][2]["metric"] == 1.0

    reg = domain_metric_evidence(sim, y[:, None] * 3.0, (y * 3.0 + (sim < 0.5))[:, None], "regression", threshold=0.5)
    assert reg["metric"] == "rmse" and not reg["higher_is_better"]
    assert reg["in"]["metric"] == 0.0 and reg["out"]["metric"] == 1.0
    # a subset with one class has no ROC-AUC
    one = domain_metric_evidence(sim, np.ones((n, 1)), p[:, None], "classification", threshold=0.5)
    assert np.isnan(one["in"]["metric"])


def test_forest_blend_is_trained_stored_and_reproduced_by_the_bundle(tiny_data, tmp_path: Path) -> None:
    from drugscreen.bundle import ModelBundle, load_bundle
    from drugscreen.training.metrics import task_metrics

    cfg = _config(seeds=[0, 1], epochs=2, extra_features="ecfp", name="t",
                  forest={"datasets": ["tiny"], "n_estimators": 5})
    result = train_on_data(tiny_data, cfg, tmp_path / "out")
    b = load_bundle(tmp_path / "out")
    spec = b.config["forest"]
    assert spec["tasks"] == [0, 1] and spec["n_trees"] == 2 * 2 * 5  # 2 seeds x 2 tasks x 5 trees
    assert set(spec["weights_by_dataset"]) == {"tiny"} and 0.0 <= spec["weights"][0] <= 1.0
    # the bundle blends every member with the forest: w * member + (1 - w) * forest, before calibration
    test = tiny_data.test
    raw = b.predict_raw(test.graphs, fps=test.fps)
    plain = ModelBundle(b.path, {k: v for k, v in b.config.items() if k != "forest"}).predict_raw(test.graphs, fps=test.fps)
    w = np.array(spec["weights"])
    np.testing.assert_allclose(raw, w * plain + (1 - w) * b.forest.predict(np.unpackbits(test.fps, axis=1))[None], atol=1e-12)
    # ... and so reproduces the ensemble test metric that training recorded
    pred = b.predict(test.graphs, fps=test.fps)
    recorded = result.metrics["ensemble"]["test"]["tiny"]
    again = task_metrics(test.y[:, :1], pred.mean[:, :1], ["has_N"], "classification")
    assert again["roc_auc"] == pytest.approx(recorded["roc_auc"], abs=1e-6)
    # a damaged forest file is refused on load
    (tmp_path / "out" / "forest.safetensors").write_bytes(b"junk")
    with pytest.raises(Exception, match="sha256"):
        load_bundle(tmp_path / "out")


def test_forest_config_is_checked() -> None:
    with pytest.raises(ConfigError, match="not among"):
        _config(forest={"datasets": ["hiv"]})
    with pytest.raises(ConfigError, match="datasets"):
        _config(forest={"trees": 5, "datasets": ["tiny"]})
    with pytest.raises(ConfigError, match="'joint' or 'dataset'"):
        _config(forest={"datasets": ["tiny"], "molecules": "all"})


def test_forest_may_learn_from_molecules_the_joint_training_set_leaves_out(tmp_path: Path, caplog) -> None:
    """Two datasets over the same molecules with different random splits: the joint training set
    drops 'a' training molecules that 'b' validates or tests on; they are kept in ``left_out``
    (with 'a' labels only), and a ``molecules = "dataset"`` forest for 'a' learns from them."""
    import logging

    from tiny_data import tiny_dataset

    from drugscreen.training.data import build_training_data
    from drugscreen.training.forest_blend import _fit_forests

    a, b = tiny_dataset(96, name="a"), tiny_dataset(80, name="b")
    data = build_training_data([a, b], split="random", seed=0, cache_dir=str(tmp_path))
    info = data.datasets[0]
    left = data.left_out
    assert info.n_removed_leak > 0 and int((left.dataset_index == 0).sum()) == info.n_removed_leak
    held_out = set(data.valid.smiles_std) | set(data.test.smiles_std)
    assert all(s in held_out for s in left.smiles_std)
    # ... held out by the other dataset only: never a duplicate of its own valid/test molecule
    for name, k in (("a", 0), ("b", 1)):
        own = {s for part in (data.valid, data.test) for s, d in zip(part.smiles_std, part.dataset_index, strict=True) if d == k}
        assert not own & {s for s, d in zip(left.smiles_std, left.dataset_index, strict=True) if d == k}, name
    # 'a' training split = joint training rows of 'a' + its left-out rows, labels of 'a' only
    from drugscreen.data.splits import make_split

    split_a = make_split("random", a, seed=0)
    joint_a = [s for s, k in zip(data.train.smiles_std, data.train.dataset_index, strict=True) if k == 0]
    left_a = [s for s, k in zip(left.smiles_std, left.dataset_index, strict=True) if k == 0]
    assert sorted(joint_a + left_a) == sorted(a.smiles_std[i] for i in split_a.train)
    assert np.isnan(left.y[left.dataset_index == 0][:, 2:]).all()

    sizes = {}
    for molecules in ("joint", "dataset"):
        cfg = _config(dataset=["a", "b"], forest={"datasets": ["a"], "n_estimators": 3, "molecules": molecules})
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="drugscreen.training.forest_blend"):
            parts, preds = _fit_forests(data, cfg, seed=0)
        assert [cols for _, cols in parts] == [[0, 1]]
        assert np.isfinite(preds["test"][:, :2]).all() and np.isnan(preds["test"][:, 2:]).all()
        sizes[molecules] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("forest a")]
    assert f"{info.n_train} molecules" in sizes["joint"][0]
    assert f"{info.n_train + int((left.dataset_index == 0).sum())} molecules" in sizes["dataset"][0]


def test_left_out_never_holds_a_duplicate_of_its_own_held_out_molecules(tmp_path: Path) -> None:
    """A dataset listing a molecule twice, once in train and once in test: the joint set drops the
    training copy, and it must not come back through left_out (a forest would see a test molecule)."""
    from tiny_data import tiny_dataset

    from drugscreen.data.splits import make_split
    from drugscreen.training.data import build_training_data

    base = tiny_dataset(60, name="dup")
    ds = type(base)(**{**vars(base)})
    ds.smiles = [*base.smiles, base.smiles[0]]  # a random split depends only on n and the seed
    split = make_split("random", ds, seed=0)
    held = {int(i) for i in (*split.valid, *split.test)}
    # the copy (row 60) and its original on different sides of the split
    copy_from = min(int(i) for i in split.train) if 60 in held else min(held - {60})
    ds.smiles = [*base.smiles, base.smiles[copy_from]]
    ds.smiles_std = [*base.smiles_std, base.smiles_std[copy_from]]
    ds.y = np.concatenate([base.y, base.y[[copy_from]]])
    data = build_training_data([ds], split="random", seed=0, cache_dir=str(tmp_path))
    assert data.datasets[0].n_removed_leak >= 1
    test_smiles = set(data.test.smiles_std) | set(data.valid.smiles_std)
    assert not test_smiles & set(data.left_out.smiles_std)


def test_card_warns_when_pooled_errors_are_not_larger_out_of_domain() -> None:
    from drugscreen.training.card import METRIC_EVIDENCE_HEADING, _pooled_error_caveat

    smaller_out = {"n_out": 10, "mean_error_in": 1.0, "mean_error_out": 0.8}
    lines = _pooled_error_caveat(smaller_out, {"error_ratio": 1.5}, "...\n" + METRIC_EVIDENCE_HEADING + "\n...")
    assert "Read this table with care" in lines[-1]
    assert "(0.800 vs 1.000)" in lines[-1] and "end of this card" in lines[-1] and "(1.50 at this threshold)" in lines[-1]
    # without the per-dataset section the card points to the script that computes it
    assert "benchmarks/domain_evidence.py" in _pooled_error_caveat(smaller_out, {}, "")[-1]
    # larger errors outside (what the flag promises), or nothing outside: no warning
    assert _pooled_error_caveat({"n_out": 10, "mean_error_in": 1.0, "mean_error_out": 1.3}, {}, "") == []
    assert _pooled_error_caveat({"n_out": 0, "mean_error_in": 1.0, "mean_error_out": float("nan")}, {}, "") == []


def test_misspelt_options_and_values_name_the_closest() -> None:
    """`modle = "gine"` in a TOML config or `--split scafold` listed every known name but not
    the one meant (a misspelt --model or --dataset already did)."""
    with pytest.raises(ConfigError, match=r"'modle' \(did you mean 'model'\?\)"):
        TrainConfig.from_dict({"dataset": ["bbbp"], "modle": "gine"})
    with pytest.raises(ConfigError, match=r"not 'scafold' \(did you mean 'scaffold'\?\)"):
        TrainConfig(dataset=["bbbp"], split="scafold")


def test_epoch_lines_name_the_validation_score(tiny_data, caplog: pytest.LogCaptureFixture) -> None:
    """`valid -0.1348` named nothing: a user could not tell a ROC-AUC from an R²-like number that
    may be negative; each epoch line now says which score it is."""
    from types import SimpleNamespace

    from drugscreen.training.trainer import _selection_label

    def kinds(*cls: bool) -> str:
        return _selection_label(SimpleNamespace(is_classification=np.array(cls)))

    assert (kinds(True, True), kinds(False), kinds(True, False)) == ("ROC-AUC", "1-RMSE/sd", "score")
    with caplog.at_level("INFO", logger="drugscreen.training.trainer"):
        fit_member(tiny_data, _config(epochs=1), member_seed=0)
    label = _selection_label(tiny_data)
    lines = [r.getMessage() for r in caplog.records if "epoch 0: loss" in r.getMessage()]
    assert lines and all(f" valid {label} " in line for line in lines), lines
