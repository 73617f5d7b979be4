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


def _small_affinity_bundle(path: Path, **extra: object) -> Path:
    import torch

    from drugscreen.featurizers.graph import GraphFeaturizer
    from drugscreen.models.affinity import AffinityModel
    from drugscreen.repurposing.affinity_bundle import save_affinity_bundle

    torch.manual_seed(0)
    kwargs = {"tasks": ["mine"], "n_members": 2, "drug": {"hidden": 8, "layers": 1, "out_dim": 8, "fp_bits": 16},
              "protein": {"embed_dim": 4, "channels": (4, 4, 8), "out_dim": 8}, "head_hidden": 8}
    model = AffinityModel(GraphFeaturizer.atom_dim, GraphFeaturizer.bond_dim, **kwargs)
    return save_affinity_bundle(model, {"model": kwargs, "scalers": {"mine": [6.0, 1.5]}, **extra}, path)


def test_card_of_own_affinity_bundle_says_what_was_not_recorded(tmp_path: Path) -> None:
    """README: `drugscreen models info DIR` shows an own affinity bundle's card. Saved as the README
    shows (model and scalers only), the card read "Split:  (held-out targets: )" with an empty
    metrics table, and was titled "affinity" like the shipped model."""
    from drugscreen.repurposing.affinity_bundle import affinity_card

    card = affinity_card(_small_affinity_bundle(tmp_path / "my_model"))
    assert card.startswith("# Model card: my_model")
    assert "held-out targets: )" not in card and "Split: not recorded" in card
    assert "Test metrics: not recorded" in card and "| task | CI" not in card
    metrics = {"test": {"mine": {"ci": 0.71, "spearman": 0.42, "mse": 0.5}}}
    card = affinity_card(_small_affinity_bundle(tmp_path / "with_metrics", metrics=metrics))
    assert "| mine | 0.710 | 0.420 | 0.500 |" in card


def test_card_of_shipped_affinity_model_unchanged() -> None:
    from drugscreen.repurposing.affinity_bundle import affinity_card

    card = affinity_card()
    assert card.startswith("# Model card: affinity\n")
    assert "- Split: cold_target (held-out targets: davis 79, kiba 52)" in card
    assert "| davis | 0.792 |" in card and "- davis/drugs.csv: `" in card


LIGANDS = ["Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1Nc1nccc(-c2cccnc2)n1", "Cc1nc(Nc2ncc(C(=O)Nc3c(C)cccc3Cl)s2)cc(N2CCN(CCO)CC2)n1",
           "CCOc1ccccc1", "CC(=O)Nc1ccc(O)cc1"]


@pytest.mark.parametrize("column", ["pIC50", "active", "Activity", "label", "pchembl_value", "IC50_nM"])
def test_ligand_table_with_an_unused_activity_column_warns(column: str, caplog: pytest.LogCaptureFixture) -> None:
    """Without --activity-column every ligand counts as an active. A table holding a pIC50 (or
    active/label) column had it ignored silently, so its weak or inactive rows were used as actives."""
    import logging

    from drugscreen.repurposing.inputs import load_ligands

    frame = pd.DataFrame({"smiles": LIGANDS, "name": ["a", "b", "c", "d"], column: [8.1, 7.5, 4.2, 3.9]})
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        lig = load_ligands(frame)
    assert len(lig.actives) == 4  # behaviour kept: every ligand an active
    assert f"{column!r}" in caplog.text and "--activity-column" in caplog.text and "activity_column=" in caplog.text


def test_ligand_table_without_activity_like_column_does_not_warn(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from drugscreen.repurposing.inputs import load_ligands

    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        load_ligands(pd.DataFrame({"smiles": LIGANDS, "name": ["a", "b", "c", "d"], "chembl_id": ["C1", "C2", "C3", "C4"]}))
        load_ligands(pd.DataFrame({"smiles": LIGANDS, "pIC50": [8.1, 7.5, 6.2, 6.9]}), activity_column="pIC50")
    assert "--activity-column" not in caplog.text


def test_models_info_misspelt_affinity_suggests_it() -> None:
    """README: `drugscreen models info affinity` shows the affinity model's card, and a misspelt
    name gets the closest names; `models info affinty` listed only 'panel'."""
    from typer.testing import CliRunner

    from drugscreen.cli import app

    result = CliRunner().invoke(app, ["models", "info", "affinty"])
    assert result.exit_code == 2
    text = " ".join("".join(" " if ch in "│╭╮╰╯─" else ch for ch in result.output).split())  # rich's box, unwrapped
    assert "did you mean 'affinity'" in text and "choose one of: affinity, panel" in text


def test_train_targets_in_other_case_suggests_the_column(tmp_path: Path) -> None:
    """`--smiles-column` is matched in any case, `--targets` exactly; `--targets pic50` for a
    column pIC50 said only "no target column(s) ['pic50']"; it now names the column meant."""
    from drugscreen.data import load_table
    from drugscreen.exceptions import DatasetError

    table = tmp_path / "assay.csv"
    pd.DataFrame({"SMILES": ["CCO", "CCN", "CCC"], "pIC50": [5.0, 6.0, 7.0]}).to_csv(table, index=False)
    with pytest.raises(DatasetError, match=r"no target column\(s\) \['pic50'\] \(did you mean 'pIC50'\?\)"):
        load_table(table, targets=["pic50"])


def test_drug_given_both_ways_warning_names_the_library_entries(caplog: pytest.LogCaptureFixture) -> None:
    """A drug given both as an active and as an inactive is warned of; with two library forms
    of it (imatinib and its mesylate) the warning repeated 'imatinib / imatinib_rep' twice
    without saying which entries those were."""
    import logging

    from drugscreen import Repurposer

    imatinib = LIGANDS[0]
    library = pd.DataFrame({"smiles": [imatinib, imatinib + ".CS(=O)(=O)O", "CCOc1ccccc1", "CC(=O)Nc1ccc(O)cc1"],
                            "name": ["IMATINIB", "IMATINIB MESYLATE", "PHENETOLE", "PARACETAMOL"]})
    ligands = pd.DataFrame({"smiles": [imatinib, imatinib, LIGANDS[1]], "name": ["imatinib", "imatinib_rep", "dasatinib"],
                            "active": [1, 0, 1]})
    with caplog.at_level(logging.WARNING, logger="drugscreen"):
        Repurposer.load(panel=False).rank(ligands=ligands, library=library, activity_column="active", forms="all")
    line = next(r.getMessage() for r in caplog.records if "both as an active and as an inactive" in r.getMessage())
    assert "(imatinib / imatinib_rep (library entries IMATINIB, IMATINIB MESYLATE))" in line


def test_panel_of_a_per_seed_or_rf_training_output_says_what_it_is(tmp_path: Path) -> None:
    """README: `--split random` with several seeds writes one bundle per seed (DIR/seed0, ...) and
    `rf` writes no bundle. `screen --panel DIR` / `models info DIR` on such an output said only
    "config.json is missing"."""
    import json

    from drugscreen.bundle import load_bundle
    from drugscreen.exceptions import BundleError

    per_seed = tmp_path / "rand"
    for s in (0, 1):
        (per_seed / f"seed{s}").mkdir(parents=True)
        (per_seed / f"seed{s}" / "config.json").write_text("{}")
    with pytest.raises(BundleError, match=r"one bundle per seed: give .*seed0.* or .*seed1"):
        load_bundle(per_seed)
    rf = tmp_path / "rf"
    (rf / "runs").mkdir(parents=True)
    (rf / "train_config.json").write_text(json.dumps({"model": "rf", "dataset": ["bbbp"]}))
    (rf / "metrics.json").write_text("{}")
    with pytest.raises(BundleError, match="rf run.*no screening bundle"):
        load_bundle(rf)
    with pytest.raises(BundleError, match=r"config.json is missing$"):  # any other folder: as before
        load_bundle(tmp_path / "rf" / "runs")


def test_train_toml_relative_data_dir_is_read_beside_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """README: files are looked for in `data_dir` of a training or benchmark TOML config. A
    benchmark config reads a relative data_dir beside itself, as a training config reads its
    `dataset` tables; a training config's relative data_dir was taken from the current directory."""
    from drugscreen.training.config import resolve_config

    cfg_dir = tmp_path / "project"
    (cfg_dir / "data").mkdir(parents=True)
    (cfg_dir / "cache").mkdir()
    (cfg_dir / "train.toml").write_text('dataset = "esol"\nmodel = "rf"\ndata_dir = "data"\ncache_dir = "cache"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = resolve_config(cfg_dir / "train.toml")
    assert Path(config.data_dir) == cfg_dir / "data" and Path(config.cache_dir) == cfg_dir / "cache"
    (cfg_dir / "other.toml").write_text('dataset = "esol"\nmodel = "rf"\ndata_dir = "not_there"\n')
    assert resolve_config(cfg_dir / "other.toml").data_dir == "not_there"  # none beside it: as given (current directory)


def test_affinity_table_columns_matched_in_any_case() -> None:
    """The README's own-affinity-data example reads `smiles, sequence, pKd`; a table headed
    `SMILES, Sequence` (a ChEMBL export's case) was refused, while every other SMILES column in
    drugscreen is matched in any case. A column that is not there still names the closest one."""
    from drugscreen.exceptions import InputFormatError
    from drugscreen.repurposing.training import affinity_task_from_table

    seq = "MSLLKRLRRGSPEQAKLQGAGAEAPSEEEALLEAHLLSEQKVSPEGAPERAEE"
    frame = pd.DataFrame({"SMILES": ["CCO", "c1ccccc1O", "CCN"], "Sequence": [seq] * 3, "pKd": [5.0, 6.0, 7.0]})
    task = affinity_task_from_table(frame, "mine", value_column="pKd")
    assert len(task.value) == 3
    with pytest.raises(InputFormatError, match=r"no column 'pK_d' \(did you mean 'pKd'\?\)"):
        affinity_task_from_table(frame, "mine", value_column="pK_d")


@pytest.mark.parametrize("column", ["mw", "score", "qed", "in_domain", "logp_unc"])
def test_train_refuses_a_label_column_named_as_a_screen_column(tmp_path: Path, column: str) -> None:
    """A bundle trained on one's own table names its endpoints after the columns; a label column
    named mw, score, qed ... (or x_unc beside x) gave an endpoint whose column `drugscreen screen`
    also writes, so the prediction was silently replaced by the molecular weight, the profile
    score ... in the output. It is refused before training, naming the column."""
    from typer.testing import CliRunner

    from drugscreen.cli import app

    ds = tiny_dataset(64)
    table = tmp_path / "assay.csv"
    pd.DataFrame({"SMILES": ds.smiles, "logp": ds.y[:, 1], column: ds.y[:, 1] * 2}).to_csv(table, index=False)
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["train", "--dataset", str(table), "--model", "fp_mlp", "--epochs", "1", "--split", "random",
                                      "-o", str(out)])
    from drugscreen.exceptions import DatasetError

    assert isinstance(result.exception, DatasetError), result.output  # a data error: one `Error:` line, exit 1
    assert f"column {column!r}" in str(result.exception) and "drugscreen screen" in str(result.exception)
    assert not (out / "config.json").exists()


def test_fasta_given_as_ligands_names_the_cli_flag(tmp_path: Path) -> None:
    """`drugscreen repurpose --ligands abl1.fasta` (or a .seq file) was refused with "pass it as
    fasta=", the Python keyword, on the command line too; it now names --fasta as well."""
    from drugscreen.exceptions import ConfigError
    from drugscreen.repurposing.repurposer import check_argument_kinds

    seq_file = tmp_path / "abl1.seq"
    seq_file.write_text("MSLLKRLRRGSPEQAKLQGAGAEAPSEEEALLEAHLLSEQKVSPEGAPERAEE\n")
    for kwargs in ({"ligands": str(seq_file)}, {"library": str(seq_file)}, {"ligands": "examples/abl1.fasta"}):
        with pytest.raises(ConfigError, match=r"pass it as fasta= \(CLI --fasta\)"):
            check_argument_kinds(**kwargs)


def test_joint_training_refuses_a_table_file_named_as_a_screen_column(tmp_path: Path) -> None:
    """In a joint panel a single-task dataset's endpoint is named after the dataset (the file):
    a table `mw.csv` beside bbbp would give the endpoint `mw`; the error must say to rename the
    file, not the column (renaming the column would not help)."""
    from drugscreen.exceptions import DatasetError
    from drugscreen.training.trainer import _check_endpoint_columns

    tasks = [{"name": "mw", "column": "pIC50", "type": "regression", "units": "", "dataset": "mw"},
             {"name": "bbbp", "column": "p_np", "type": "classification", "units": "", "dataset": "bbbp"}]
    with pytest.raises(DatasetError, match=r"rename the file \(e\.g\. mw_assay\.csv\)"):
        _check_endpoint_columns(tasks)


def test_screener_refuses_an_older_bundle_whose_endpoint_is_named_as_a_screen_column(tmp_path: Path) -> None:
    """A bundle trained before training refused such names (a label column called 'mw') lost its
    predictions in the output silently; loading it now says why and what to do."""
    import json
    import shutil

    from screen_fixtures import TINY_BUNDLE

    from drugscreen.exceptions import BundleError
    from drugscreen.screening.screener import Screener

    bundle = tmp_path / "old"
    shutil.copytree(TINY_BUNDLE, bundle)
    config = json.loads((bundle / "config.json").read_text())
    config["tasks"][0]["name"] = "mw"
    (bundle / "config.json").write_text(json.dumps(config))
    with pytest.raises(BundleError, match="'mw' is also a property of every molecule"):
        Screener.load(panel=str(bundle))
