"""A benchmark config's ``sizes``: a trained model's cell was silently trained and tested on the
trainer's own 80/10/10 split while rf used the config's (its record still claimed the split file),
and a split file made with other sizes was reused without a word."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from tiny_data import tiny_dataset

from drugscreen.exceptions import ConfigError, DatasetError

pytestmark = pytest.mark.usefixtures("own_cache")


def _setup(tmp_path: Path, sizes: str, models: str) -> Path:
    ds = tiny_dataset(96)
    pd.DataFrame({"smiles": ds.smiles, "logp": ds.y[:, 1]}).to_csv(tmp_path / "assay.csv", index=False)
    cfg = tmp_path / "cfg.toml"
    cfg.write_text(f'datasets = ["assay.csv"]\nsplits = ["random"]\nseeds = [0]\n{sizes}{models}')
    return cfg


def test_sizes_other_than_the_trainers_refused_for_trained_models(tmp_path: Path) -> None:
    from drugscreen.benchmarking.config import load_config

    cfg = _setup(tmp_path, "sizes = [0.6, 0.2, 0.2]\n", '[[models]]\nname = "rf"\n[[models]]\nname = "fp_mlp"\n')
    with pytest.raises(ConfigError, match=r"models \['fp_mlp'\] are trained by drugscreen train, which splits 0.8/0.1/0.1"):
        load_config(cfg)
    only_rf = _setup(tmp_path, "sizes = [0.6, 0.2, 0.2]\n", '[[models]]\nname = "rf"\n[[models]]\nname = "train_mean"\n')
    assert load_config(only_rf).sizes == (0.6, 0.2, 0.2)


def test_trained_cell_records_the_split_it_was_trained_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the trainer's split ever differs from the split file, the record says so and carries the
    trainer's split sha256 (it was overwritten with the split file's)."""
    from drugscreen.benchmarking import runner, splitfiles
    from drugscreen.benchmarking.config import load_config

    cfg = _setup(tmp_path, "", '[[models]]\nname = "fp_mlp"\nepochs = 1\n')
    config = load_config(cfg)

    original = splitfiles.get_split

    def other_split(dataset, kind, seed, splits_dir, sizes, **kw):  # noqa: ANN001, ANN202
        return original(dataset, kind, seed + 7, splits_dir, sizes, **kw)  # another seed: another random split

    monkeypatch.setattr(splitfiles, "get_split", other_split)
    runner.run_cell(config, next(config.cells()))
    rec = json.loads((config.results_dir / "assay__fp_mlp__random__0.json").read_text())
    file_sha = splitfiles.file_sha256(config.splits_dir / "assay_random_7.json")
    assert rec["split_sha256"] != file_sha
    assert any("trained and tested on the trainer's own split" in n for n in rec["notes"])


def test_split_file_made_with_other_sizes_is_not_reused(tmp_path: Path) -> None:
    from drugscreen.benchmarking.splitfiles import get_split
    from drugscreen.data import load_table

    _setup(tmp_path, "", "")
    ds = load_table(tmp_path / "assay.csv")
    split, path, _ = get_split(ds, "random", 0, tmp_path / "splits", (0.8, 0.1, 0.1))
    assert len(split.test) == 10
    with pytest.raises(DatasetError, match=r"made with sizes \[0.8, 0.1, 0.1\], but the config asks for \[0.6, 0.2, 0.2\]"):
        get_split(ds, "random", 0, tmp_path / "splits", (0.6, 0.2, 0.2))
    remade, _, _ = get_split(ds, "random", 0, tmp_path / "splits", (0.6, 0.2, 0.2), remake_on_change=True)  # a user's table
    assert len(remade.test) > 15 and tuple(remade.sizes) == (0.6, 0.2, 0.2)
