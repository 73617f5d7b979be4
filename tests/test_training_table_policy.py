"""A user's own table is read with the screening policy: inorganic salts and mixtures (and
radicals) are refused with their reasons, as unparsable rows are, while the registered datasets
keep them (parity with the literature's molecules and splits)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from tiny_data import tiny_dataset

SALTS = ["[Na+].[Cl-]", "[K+].[I-]", "[Cu+2].[O-]S([O-])(=O)=O"]


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path / "cache"))


def _table_with_salts(path: Path, n: int = 96) -> Path:
    ds = tiny_dataset(n)
    smiles = [*ds.smiles, *SALTS, "C[O]"]
    labels = [*ds.y[:, 0], 1.0, 0.0, 1.0, 0.0]
    pd.DataFrame({"smiles": smiles, "active": labels}).to_csv(path, index=False)
    return path


def test_table_refuses_inorganic_salts_with_their_reasons(tmp_path: Path) -> None:
    from drugscreen.data import load_table

    ds = load_table(_table_with_salts(tmp_path / "assay.csv"))
    assert "Cl" not in ds.smiles_std and "I" not in ds.smiles_std  # NaCl was read as HCl, KI as HI
    refused = {r.smiles: r.reason for r in ds.invalid}
    assert set(refused) == {*SALTS, "C[O]"}
    assert all("inorganic salt or mixture" in refused[s] for s in SALTS)
    assert "radical" in refused["C[O]"]
    assert [r.row for r in ds.invalid] == [96, 97, 98, 99]  # the rows as in the file


def test_registered_datasets_keep_their_salts(tmp_path: Path) -> None:
    """The datasets' own policy is unchanged: a salt in a registered dataset's file stays."""
    from drugscreen.data import load_dataset

    mn = tmp_path / "data" / "moleculenet"
    mn.mkdir(parents=True)
    ds = tiny_dataset(20)
    rows = [*zip(ds.smiles, [int(v == 1) for v in ds.y[:, 0]], strict=True), ("[Na+].[Cl-]", 1)]
    (mn / "BBBP.csv").write_text("smiles,p_np\n" + "".join(f"{s},{y}\n" for s, y in rows))
    loaded = load_dataset("bbbp", data_dir=tmp_path / "data")
    assert "Cl" in loaded.smiles_std and not loaded.invalid


def test_bundle_trained_on_a_table_screens_with_the_screening_policy(tmp_path: Path) -> None:
    from drugscreen.featurizers.molecule import DEFAULT_STANDARDIZER
    from drugscreen.training import TrainConfig, train

    path = _table_with_salts(tmp_path / "assay.csv")
    config = TrainConfig(dataset=[str(path)], model="gine", split="random", epochs=1, batch_size=32,
                         cache_dir=str(tmp_path / "f"), model_params={"hidden": 16, "depth": 2, "head_hidden": 16})
    out = tmp_path / "run"
    result = train(config, out)
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["standardizer"] == DEFAULT_STANDARDIZER.to_config()
    # the four refused rows are not trained on, nor the 14 without a label (tiny_dataset leaves every 7th empty)
    assert cfg["data"]["assay"]["n_molecules"] == 82
    assert result.bundle_path is not None
    card = (out / "MODEL_CARD.md").read_text()
    assert "your tables' rows of these kinds were refused in training too" in card
    assert "the training datasets keep the few they hold" not in card


def test_card_of_registered_datasets_unchanged() -> None:
    from drugscreen.featurizers.molecule import DEFAULT_STANDARDIZER
    from drugscreen.training.card import _standardizer_lines

    text = "\n".join(_standardizer_lines(DEFAULT_STANDARDIZER.to_config(), ["tox21", "bbbp"]))
    assert "(the training datasets keep the few they hold, so their splits are the literature's)" in text


def test_refused_rows_message_names_the_file_and_the_list(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The warning said '(see .invalid)', an attribute a command-line user never sees, and not
    which file the rows are in."""
    import logging

    from drugscreen.data import load_table

    path = _table_with_salts(tmp_path / "assay.csv")
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        load_table(path)
    assert str(path) in caplog.text and "see .invalid" not in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        ds = load_table(path, invalid_dir=tmp_path / "out")
    listed = tmp_path / "out" / "assay.invalid.csv"
    assert f"all listed in {listed}" in caplog.text
    frame = pd.read_csv(listed)
    assert list(frame.columns) == ["file", "row", "smiles", "reason"]
    assert frame["row"].tolist() == [r.row for r in ds.invalid] == [96, 97, 98, 99]
    assert frame["smiles"].tolist() == [*SALTS, "C[O]"]
    # the table fixed: the list of an earlier copy does not linger
    pd.read_csv(path).iloc[:96].to_csv(path, index=False)
    load_table(path, invalid_dir=tmp_path / "out")
    assert not listed.exists()


def test_training_writes_the_refused_rows_into_its_output(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from drugscreen.exceptions import ConfigError
    from drugscreen.training import TrainConfig, train
    from drugscreen.training.trainer import prepare_output_dir

    path = _table_with_salts(tmp_path / "assay.csv")
    config = TrainConfig(dataset=[str(path)], model="rf", split="random", cache_dir=str(tmp_path / "f"),
                         model_params={"n_estimators": 5})
    out = tmp_path / "run"
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        train(config, out)
    listed = out / "assay.invalid.csv"
    assert f"all listed in {listed}" in caplog.text
    assert len(pd.read_csv(listed)) == 4
    with pytest.raises(ConfigError, match="a finished training run"):
        prepare_output_dir(out)
    prepare_output_dir(out, overwrite=True)  # a run's own output: removed with the rest
    assert not listed.exists()


def test_benchmark_record_names_the_refused_rows_file(tmp_path: Path) -> None:
    from drugscreen.benchmarking.config import load_config
    from drugscreen.benchmarking.runner import run_benchmark

    _table_with_salts(tmp_path / "assay.csv")
    cfg = tmp_path / "cfg.toml"
    cfg.write_text('datasets = ["assay.csv"]\nseeds = [0]\n[[models]]\nname = "rf"\nn_estimators = 5\n')
    config = load_config(cfg)
    run_benchmark(config, isolate=False)
    rec = json.loads((config.results_dir / "assay__rf__scaffold__0.json").read_text())
    assert rec["table"]["invalid"] == 4
    listed = config.results_dir / "assay.invalid.csv"
    assert Path(rec["table"]["invalid_file"]).resolve() == listed.resolve() or rec["table"]["invalid_file"] == str(listed)
    assert len(pd.read_csv(listed)) == 4
