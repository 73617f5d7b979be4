"""README claims checked against the code (session 12 docs review): models and training,
repurposing, datasets, output columns and the Python screening API."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tiny_data import tiny_dataset


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def _table(path: Path, n: int = 64) -> Path:
    ds = tiny_dataset(n)
    pd.DataFrame({"SMILES": ds.smiles, "logp": ds.y[:, 1]}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("typed", "canonical"), [("FP-MLP", "fp_mlp"), ("fpmlp", "fp_mlp"), ("RF", "rf"), ("Gine", "gine"),
                                                 ("AttentiveFP", "attentivefp"), ("d-mpnn", "dmpnn")])
def test_train_config_model_name_is_the_registered_one(typed: str, canonical: str) -> None:
    """The model registry reads names ignoring case, - and _, so the config must store the
    registered name: the trainer compares it with "fp_mlp" and "rf"."""
    from drugscreen.training.config import TrainConfig

    config = TrainConfig(dataset=["bbbp"], model=typed)
    assert config.model == canonical
    if canonical == "fp_mlp":
        assert config.extra_features == "ecfp"  # fp_mlp reads only the extra features


@pytest.mark.parametrize("typed", ["FP-MLP", "RF"])
def test_train_cli_model_in_other_case_trains(tmp_path: Path, typed: str) -> None:
    """`drugscreen train --model FP-MLP` (or RF) crashed with a traceback (fp_mlp built without
    its ECFP input; rf trained as a torch model)."""
    from typer.testing import CliRunner

    from drugscreen.cli import app

    table = _table(tmp_path / "assay.csv")
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["train", "--dataset", str(table), "--model", typed, "--epochs", "1", "--split", "random",
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "metrics.json").is_file()


def test_short_nucleotide_sequence_is_not_called_a_gene_name() -> None:
    """README: a nucleotide sequence is refused ("give the protein's amino-acid sequence"); a
    short one (under 30 letters) also got "looks like a gene or protein name", which contradicts it."""
    from drugscreen.exceptions import InvalidSequenceError
    from drugscreen.repurposing.inputs import read_sequence_input

    with pytest.raises(InvalidSequenceError, match="nucleotides") as info:
        read_sequence_input(sequence="ACGTACGTACGTACGTAACGTTGCA")
    assert "gene or protein name" not in str(info.value)
    with pytest.raises(InvalidSequenceError, match="gene or protein name"):  # a gene name still gets its hint
        read_sequence_input(sequence="ABL1")
