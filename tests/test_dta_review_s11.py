"""Review s11 (drug-target affinity): batch independence of the protein encoder, sequences as a
user's own table gives them, training on one's own pairs, affinity bundles that are broken."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from tests.test_repurpose_inputs import ABL1_FRAGMENT


def _random_sequence(n: int, seed: int) -> str:
    rng = np.random.default_rng(seed)
    return "".join(rng.choice(np.array(list("ACDEFGHIKLMNPQRSTVWY")), n))


def test_protein_embedding_does_not_depend_on_the_other_sequences_of_the_batch() -> None:
    """A short sequence padded beside a long one was embedded differently from the same sequence
    alone (the padding after the first convolution leaked into the next one), so predict_pairs
    and training scored a target by the company it kept in its chunk."""
    from drugscreen.models.affinity import ProteinCNNEncoder, encode_sequences, sequence_composition

    torch.manual_seed(0)
    enc = ProteinCNNEncoder().eval()
    short = ABL1_FRAGMENT[:101]  # odd length: a ceil-mode pooling window half past its end
    long = _random_sequence(900, 1)

    def embed(seqs: list[str]) -> torch.Tensor:
        with torch.inference_mode():
            return enc(encode_sequences(seqs), sequence_composition(seqs))

    alone = embed([short])
    for batch in ([short, long], [long, short]):
        together = embed(batch)[batch.index(short)]
        assert torch.allclose(together, alone[0], atol=1e-5), (together - alone[0]).abs().max()


def test_lower_case_and_wrapped_sequences_encode_as_their_clean_form() -> None:
    """A sequence from a user's table in lower case got an all-zero composition profile (and one
    with a line break a padding code mid-sequence), unlike the same target given upper case."""
    from drugscreen.exceptions import InvalidSequenceError
    from drugscreen.models.affinity import encode_sequences, sequence_composition

    messy = ABL1_FRAGMENT[:60].lower() + "\n" + ABL1_FRAGMENT[60:] + "*"
    assert torch.equal(encode_sequences([messy]), encode_sequences([ABL1_FRAGMENT]))
    assert torch.equal(sequence_composition([messy]), sequence_composition([ABL1_FRAGMENT]))
    assert float(sequence_composition([ABL1_FRAGMENT.lower()]).sum()) > 0
    with pytest.raises(InvalidSequenceError, match="position 5"):
        encode_sequences(["MKVL1" + ABL1_FRAGMENT])


def _small_model(tasks: tuple[str, ...] = ("mine",)):  # noqa: ANN202
    from drugscreen.featurizers.graph import GraphFeaturizer
    from drugscreen.models.affinity import AffinityModel

    torch.manual_seed(0)
    small = {"drug": {"hidden": 8, "layers": 1, "out_dim": 8, "fp_bits": 16}, "protein": {"embed_dim": 4, "channels": (4, 4, 8), "out_dim": 8}, "head_hidden": 8}
    kwargs = {"tasks": list(tasks), "n_members": 2, **small}
    return AffinityModel(GraphFeaturizer.atom_dim, GraphFeaturizer.bond_dim, **kwargs), kwargs


@pytest.fixture()
def small_bundle(tmp_path):
    from drugscreen.repurposing.affinity_bundle import save_affinity_bundle

    model, kwargs = _small_model()
    return save_affinity_bundle(model, {"model": kwargs, "scalers": {"mine": [6.0, 1.5]}}, tmp_path / "bundle")


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda cfg: "{not json", "cannot read the affinity bundle's config"),
        (lambda cfg: "[1, 2]", "a JSON object is needed"),
        (lambda cfg: {k: v for k, v in cfg.items() if k != "model"}, "no 'model' entry"),
        (lambda cfg: {k: v for k, v in cfg.items() if k != "scalers"}, "no 'scalers' entry"),
        (lambda cfg: {**cfg, "scalers": {"other": [0, 1]}}, "no scaler for task 'mine'"),
        (lambda cfg: {**cfg, "scalers": {"mine": [6.0, 0.0]}}, "positive sd"),
        (lambda cfg: {**cfg, "scalers": {"mine": "6"}}, r"must be \[mean, sd\]"),
        (lambda cfg: {**cfg, "model": {**cfg["model"], "dropout_rate": 0.2}}, "does not describe an affinity model"),
    ],
)
def test_broken_bundle_config_is_a_bundle_error(small_bundle, edit, match) -> None:
    """A hand-edited or damaged config.json ended `repurpose --model DIR` in a JSONDecodeError,
    KeyError or TypeError traceback (a scaler missing for a task only once the ranking ran)."""
    import json

    from drugscreen.exceptions import BundleError
    from drugscreen.repurposing.affinity_bundle import load_affinity_bundle

    assert load_affinity_bundle(small_bundle).scalers == {"mine": (6.0, 1.5)}
    cfg_path = small_bundle / "config.json"
    new = edit(json.loads(cfg_path.read_text()))
    if isinstance(new, dict):
        new.pop("config_sha256")  # as a bundle saved before configs had a checksum
    cfg_path.write_text(new if isinstance(new, str) else json.dumps(new))
    with pytest.raises(BundleError, match=match):
        load_affinity_bundle(small_bundle)


def test_damaged_weights_without_checksum_is_a_bundle_error(small_bundle) -> None:
    import json

    from drugscreen.exceptions import BundleError
    from drugscreen.repurposing.affinity_bundle import load_affinity_bundle

    cfg = json.loads((small_bundle / "config.json").read_text())
    del cfg["files"], cfg["config_sha256"]
    (small_bundle / "config.json").write_text(json.dumps(cfg))
    weights = small_bundle / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(BundleError, match="cannot read the weights"):
        load_affinity_bundle(small_bundle)


def test_saving_a_bundle_that_could_not_be_loaded_is_refused(tmp_path) -> None:
    """save_affinity_bundle wrote a config without scalers (or without the model's arguments)
    and the failure came only on loading, as a KeyError."""
    from drugscreen.exceptions import BundleError
    from drugscreen.repurposing.affinity_bundle import save_affinity_bundle

    model, kwargs = _small_model()
    with pytest.raises(BundleError, match="no 'scalers'"):
        save_affinity_bundle(model, {"model": kwargs}, tmp_path / "a")
    with pytest.raises(BundleError, match="needs 'model'"):
        save_affinity_bundle(model, {"scalers": {"mine": [0.0, 1.0]}}, tmp_path / "b")
    with pytest.raises(BundleError, match="the model has"):
        save_affinity_bundle(model, {"model": {**kwargs, "tasks": ["davis"]}, "scalers": {"davis": [0.0, 1.0]}}, tmp_path / "c")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


SMALL = {"drug": {"hidden": 8, "layers": 1, "out_dim": 8, "fp_bits": 32}, "protein": {"embed_dim": 4, "channels": (4, 4, 8), "out_dim": 8}, "head_hidden": 8}


def _own_table():  # noqa: ANN202
    import pandas as pd

    from tests.test_repurpose_end_to_end import DRUGS

    rng = np.random.default_rng(0)
    seqs = [ABL1_FRAGMENT, _random_sequence(120, 2), _random_sequence(150, 3)]
    rows = [(d, seqs[t], 5.0 + 3.0 * (i < 3 and t == 0) + rng.normal(0, 0.1)) for i, d in enumerate(DRUGS) for t in range(3)]
    df = pd.DataFrame(rows, columns=["smiles", "sequence", "pKd"]).astype({"pKd": object})
    df.loc[1, "sequence"] = ABL1_FRAGMENT.lower()[:50] + "\n" + ABL1_FRAGMENT[50:]  # one target, written another way
    df.loc[4, "pKd"] = "n/a"
    df.loc[8, "smiles"] = "C1CC("
    return df


def test_train_an_affinity_model_on_ones_own_table(caplog) -> None:
    """There was no way from a table of (SMILES, sequence, value) to a task train_affinity takes;
    built by hand without fingerprints it failed inside torch_geometric ('GlobalStorage' object
    has no attribute 'fp')."""
    from drugscreen.repurposing.training import (
        TrainConfig,
        affinity_task_from_table,
        make_splits,
        train_affinity,
    )

    with caplog.at_level("WARNING"):
        task = affinity_task_from_table(_own_table(), "mine", value_column="pKd", fp_bits=32)
    assert "2 of 30 rows left out" in caplog.text and "row 5: value 'n/a' is not a finite number" in caplog.text and "row 9" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING"):
        affinity_task_from_table(_own_table().assign(pKd=lambda d: pd.to_numeric(d["pKd"], errors="coerce")), "mine", value_column="pKd")
    assert "row 5: no value;" in caplog.text  # not "value np.float64(nan)"
    assert len(task.value) == 28 and len(task.target_ids) == 3 and len(task.drug_ids) == 10
    assert task.sequences[0] == ABL1_FRAGMENT and task.fps is not None and task.fps.shape == (10, 32)
    model, rec = train_affinity([task], make_splits([task], "warm", seed=0), TrainConfig(epochs=1, n_members=2, model=SMALL))
    assert np.isfinite(rec["metrics"]["test"]["mine"]["mse"])


def test_concentration_values_and_unfeaturized_tasks_are_refused_clearly() -> None:
    from drugscreen.exceptions import InputFormatError
    from drugscreen.repurposing.training import (
        AffinityTask,
        TrainConfig,
        affinity_task_from_table,
        make_splits,
        train_affinity,
    )

    df = _own_table()
    with pytest.raises(InputFormatError, match="looks like a concentration"):
        affinity_task_from_table(df.rename(columns={"pKd": "Kd_nM"}), "mine", value_column="Kd_nM")
    with pytest.raises(InputFormatError, match="no column 'value'"):
        affinity_task_from_table(df, "mine")
    task = affinity_task_from_table(df, "mine", value_column="pKd", fp_bits=0)
    bare = AffinityTask("mine", task.drug_ids, task.drug_smiles, task.graphs, task.target_ids, task.sequences, task.drug_idx, task.target_idx, task.value)
    with pytest.raises(InputFormatError, match="no ECFP4 fingerprints"):
        train_affinity([bare], make_splits([bare], "warm"), TrainConfig(epochs=1, n_members=2))
    args = ("mine", task.drug_ids, task.drug_smiles, task.graphs, task.target_ids, task.sequences)
    with pytest.raises(InputFormatError, match="pair 0 names target 3, not a position among its 3 targets"):
        AffinityTask(*args, task.drug_idx, np.where(np.arange(len(task.value)) == 0, 3, task.target_idx), task.value)
    value = task.value.copy()
    value[2] = np.nan
    with pytest.raises(InputFormatError, match="1 pairs without a finite value"):
        AffinityTask(*args, task.drug_idx, task.target_idx, value)


def test_without_validation_pairs_the_last_epoch_is_kept(caplog) -> None:
    """With no validation part train_affinity silently returned the first epoch's weights (its
    selection score was -epoch), whatever the number of epochs asked for."""
    from drugscreen.repurposing.splits import PairSplit
    from drugscreen.repurposing.training import (
        TrainConfig,
        affinity_task_from_table,
        train_affinity,
    )

    task = affinity_task_from_table(_own_table(), "mine", value_column="pKd", fp_bits=32)
    idx = np.arange(len(task.value))
    split = {"mine": PairSplit(idx[idx % 4 != 0], idx[:0], idx[idx % 4 == 0])}
    with caplog.at_level("WARNING"):
        _, rec = train_affinity([task], split, TrainConfig(epochs=3, n_members=2, model=SMALL))
    assert rec["best_epoch"] == 2 and "no validation pairs" in caplog.text


def test_sequence_pasted_from_a_web_page_is_read() -> None:
    """A no-break space or zero-width space (text copied from a web page or a PDF) was an
    'invalid character' of the sequence; a non-ASCII letter that upper() turns into ASCII ('ß'
    into 'SS') was accepted as two residues."""
    from drugscreen.exceptions import InvalidSequenceError
    from drugscreen.repurposing.inputs import read_sequence_input

    pasted = ABL1_FRAGMENT[:40] + "\u00a0" + ABL1_FRAGMENT[40:80] + "\u200b\u2003" + ABL1_FRAGMENT[80:]
    assert read_sequence_input(pasted) == ("query", ABL1_FRAGMENT)
    with pytest.raises(InvalidSequenceError, match="'ß' at position 41"):
        read_sequence_input(ABL1_FRAGMENT[:40] + "ß" + ABL1_FRAGMENT[40:])


@pytest.mark.parametrize("suffix", [".fasta", ".fasta.gz", ".seq"])
def test_utf16_sequence_files_are_read(tmp_path, suffix) -> None:
    """A FASTA file saved by Windows Notepad as 'Unicode' (UTF-16) was 'not a text FASTA file',
    while every molecule table reader takes UTF-16."""
    import gzip

    from drugscreen.repurposing.inputs import read_sequence_input

    text = ABL1_FRAGMENT if suffix == ".seq" else f">ABL1 kinase domain\r\n{ABL1_FRAGMENT[:60]}\r\n{ABL1_FRAGMENT[60:]}\r\n"
    data = text.encode("utf-16")
    path = tmp_path / f"abl1{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    name, seq = read_sequence_input(fasta=path)
    assert seq == ABL1_FRAGMENT and name == ("abl1" if suffix == ".seq" else "ABL1 kinase domain")


def test_bundle_predicts_pairs_as_the_repurposer_does(tmp_path, monkeypatch) -> None:
    """There was no call giving an affinity model's prediction for one's own (SMILES, sequence)
    pairs in its units (predict_pairs gives standardized values of a featurized task)."""
    import pandas as pd

    from drugscreen.repurposing.affinity_bundle import load_affinity_bundle, save_affinity_bundle
    from drugscreen.repurposing.repurposer import Repurposer
    from tests.test_repurpose_end_to_end import DRUGS

    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path / "cache"))
    model, kwargs = _small_model(("davis",))
    path = save_affinity_bundle(model, {"model": kwargs, "scalers": {"davis": [6.0, 1.5]}}, tmp_path / "bundle")
    bundle = load_affinity_bundle(path)
    other = _random_sequence(300, 5)
    smiles = [DRUGS[3], "C1CC(", DRUGS[0], DRUGS[3], DRUGS[1]]
    seqs = [ABL1_FRAGMENT, ABL1_FRAGMENT, ABL1_FRAGMENT.lower(), other, "ACGT" * 10]
    out = bundle.predict(smiles, seqs)
    assert out.columns.tolist() == ["smiles", "davis", "davis_sd", "error"] and out["smiles"].tolist() == smiles
    assert out["error"].str.contains("syntax error").tolist() == [False, True, False, False, False]
    assert "nucleotides" in out["error"].iloc[4] and out["davis"].isna().tolist() == [False, True, False, False, True]
    assert out["davis"].iloc[0] != out["davis"].iloc[3]  # the target matters
    ranked = Repurposer(bundle, panel=False).rank(ABL1_FRAGMENT, library=pd.DataFrame({"smiles": DRUGS}), forms="all")
    alone = bundle.predict(ranked["smiles"].tolist(), ABL1_FRAGMENT)
    np.testing.assert_allclose(alone["davis"], ranked["pred_pkd"], atol=1e-5)
    np.testing.assert_allclose(alone["davis_sd"], ranked["pred_pkd_sd"], atol=1e-5)
    missing = bundle.predict([None, float("nan"), DRUGS[0]], [ABL1_FRAGMENT, ABL1_FRAGMENT, None])
    assert missing["error"].tolist() == ["empty SMILES", "empty SMILES", "sequence: empty protein sequence"]
    pair = out["davis"].iloc[[0, 2]].to_numpy()
    np.testing.assert_allclose(pair, alone.set_index("smiles").loc[[DRUGS[3], DRUGS[0]], "davis"], atol=1e-5)


def test_a_task_without_training_pairs_or_spread_is_refused() -> None:
    """One target under a cold-target split (every pair in test) trained nothing and returned a
    model whose scalers were NaN, with only 'test CI is not finite' logged; values all equal gave
    sd 0 and NaN predictions."""
    from drugscreen.exceptions import InputFormatError
    from drugscreen.repurposing.training import (
        TrainConfig,
        affinity_task_from_table,
        make_splits,
        train_affinity,
    )

    df = _own_table()
    one = affinity_task_from_table(df[df["sequence"] == df["sequence"].iloc[2]], "mine", value_column="pKd", fp_bits=32)
    with pytest.raises(InputFormatError, match="has no training pairs"):
        train_affinity([one], make_splits([one], "cold_target"), TrainConfig(epochs=1, n_members=2, model=SMALL))
    flat = affinity_task_from_table(df.assign(pKd=5.0), "mine", value_column="pKd", fp_bits=32)
    with pytest.raises(InputFormatError, match="every training pair has the value 5"):
        train_affinity([flat], make_splits([flat], "warm"), TrainConfig(epochs=1, n_members=2, model=SMALL))
    with pytest.raises(InputFormatError, match="distinct names"):
        train_affinity([flat, flat], make_splits([flat], "warm"), TrainConfig(epochs=1, n_members=2, model=SMALL))


def test_concordance_index_with_a_missing_true_value_is_an_error_not_a_hang() -> None:
    """concordance_index (and regression_metrics) on a y_true holding a NaN never returned: NaN
    equals nothing, so the loop over groups of equal true values never advanced. A NaN
    prediction counted as the highest value, and an empty input was a numpy reduction error."""
    import subprocess
    import sys

    code = (
        "import numpy as np\n"
        "from drugscreen.repurposing.evaluation import concordance_index\n"
        "try:\n    concordance_index([1.0, float('nan'), 3.0], [1.0, 2.0, 3.0])\n"
        "except ValueError as exc:\n    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "y_true holds 1 values that are not finite numbers (first at 1)" in done.stdout, done.stderr
    from drugscreen.repurposing.evaluation import concordance_index, per_target_ranking

    assert np.isnan(concordance_index([1.0, 2.0, 3.0], [1.0, float("nan"), 3.0]))
    assert np.isnan(concordance_index([], []))
    assert per_target_ranking([0] * 12, list(range(12)), list(range(12)))["mean_spearman"] == pytest.approx(1.0)


def test_training_restores_the_callers_threads_and_warns_when_cut_short(caplog) -> None:
    """train_affinity set torch to cfg.threads (1) for the rest of the session, so everything a
    notebook ran after training was single-threaded; a run stopped by max_minutes before its
    epochs said so only at INFO level."""
    from drugscreen.repurposing.training import (
        TrainConfig,
        affinity_task_from_table,
        make_splits,
        train_affinity,
    )

    task = affinity_task_from_table(_own_table(), "mine", value_column="pKd", fp_bits=32)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with caplog.at_level("WARNING"):
            _, rec = train_affinity([task], make_splits([task], "warm"), TrainConfig(epochs=5, n_members=2, model=SMALL, threads=1, max_minutes=0.0))
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    assert rec["epochs_run"] == 1 and "1 of 5 epochs run" in caplog.text


def test_an_edited_bundle_config_is_refused(small_bundle) -> None:
    """config.json had no checksum: an edited scaler (a 'fix' of the units, a copy-paste slip)
    loaded and shifted every prediction without a word."""
    import json

    from drugscreen.exceptions import BundleError
    from drugscreen.repurposing.affinity_bundle import load_affinity_bundle

    cfg_path = small_bundle / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg_path.write_text(json.dumps(cfg, indent=4))  # the same content, laid out otherwise: accepted
    assert load_affinity_bundle(small_bundle).scalers == {"mine": (6.0, 1.5)}
    cfg["scalers"]["mine"] = [9.0, 1.5]
    cfg_path.write_text(json.dumps(cfg))
    with pytest.raises(BundleError, match="edited after the bundle was saved"):
        load_affinity_bundle(small_bundle)
    del cfg["config_sha256"]
    cfg_path.write_text(json.dumps(cfg))
    assert load_affinity_bundle(small_bundle).scalers == {"mine": (9.0, 1.5)}


def test_fasta_with_a_latin1_header_is_read(tmp_path, caplog) -> None:
    """A FASTA file whose header was written in Latin-1 ('protéine') was refused whole ('not a
    text FASTA file: utf-8 codec can't decode byte 0xe9'), while molecule tables with such bytes
    are read; a bad byte inside the sequence is still named as an invalid residue."""
    from drugscreen.exceptions import InvalidSequenceError
    from drugscreen.repurposing.inputs import read_sequence_input

    path = tmp_path / "abl1.fasta"
    path.write_bytes(b">ABL1 prot\xe9ine kinase\n" + ABL1_FRAGMENT.encode() + b"\n")
    with caplog.at_level("WARNING"):
        name, seq = read_sequence_input(fasta=path)
    assert seq == ABL1_FRAGMENT and name == "ABL1 prot\ufffdine kinase" and "not valid UTF-8" in caplog.text
    path.write_bytes(b">x\n" + ABL1_FRAGMENT[:3].encode() + b"\xe9" + ABL1_FRAGMENT[3:].encode() + b"\n")
    with pytest.raises(InvalidSequenceError, match="position 4"):
        read_sequence_input(fasta=path)


def test_several_fasta_records_are_named(tmp_path) -> None:
    """A FASTA file of several targets was refused as '3 FASTA records' without naming them, so a
    UniProt download of a family left the user guessing which record to keep."""
    from drugscreen.exceptions import InvalidSequenceError
    from drugscreen.repurposing.inputs import read_sequence_input

    path = tmp_path / "kinases.fasta"
    path.write_text("".join(f">sp|P{i}|K{i}_HUMAN kinase {i}\n{ABL1_FRAGMENT}\n" for i in range(7)))
    with pytest.raises(InvalidSequenceError, match=r"7 FASTA records \('sp\|P0\|K0_HUMAN', .*'sp\|P4\|K4_HUMAN', \.\.\.\)"):
        read_sequence_input(fasta=path)


def test_card_of_a_bundle_with_a_missing_figure(tmp_path) -> None:
    """A bundle saved with a test metric that did not exist (a CI over one value: NaN, written as
    null in strict JSON) broke its card: TypeError unsupported format string passed to NoneType."""
    from drugscreen.repurposing.affinity_bundle import affinity_card, save_affinity_bundle

    model, kwargs = _small_model()
    metrics = {"test": {"mine": {"ci": float("nan"), "spearman": 0.5, "mse": 0.25}}}
    path = save_affinity_bundle(model, {"model": kwargs, "scalers": {"mine": [6.0, 1.5]}, "metrics": metrics}, tmp_path / "b")
    assert "| mine | nan | 0.500 | 0.250 |" in affinity_card(path)


def test_evaluation_scores_each_task_with_its_own_output() -> None:
    """evaluate_affinity scored the i-th task given with the model's i-th output: tasks given in
    another order than the model's (kiba before davis) were scored with the other dataset's head,
    silently; a task the model has no output for was a KeyError or, worse, scored anyway."""
    from dataclasses import replace

    from drugscreen.exceptions import InputFormatError
    from drugscreen.repurposing.training import (
        TrainConfig,
        affinity_task_from_table,
        evaluate_affinity,
        make_splits,
        train_affinity,
    )

    a = affinity_task_from_table(_own_table(), "a", value_column="pKd", fp_bits=32)
    b = replace(a, name="b", value=12.0 - a.value)
    splits = {**make_splits([a], "warm"), "b": make_splits([a], "warm")["a"]}
    model, rec = train_affinity([a, b], splits, TrainConfig(epochs=1, n_members=2, model=SMALL))
    scalers = {k: tuple(v) for k, v in rec["scalers"].items()}
    forward = evaluate_affinity(model, [a, b], splits, "test", scalers)
    backward = evaluate_affinity(model, [b, a], splits, "test", scalers)
    for name in ("a", "b"):
        assert backward[name]["mse"] == pytest.approx(forward[name]["mse"])
    with pytest.raises(InputFormatError, match="not an output of the model"):
        evaluate_affinity(model, [replace(a, name="c")], {"c": splits["a"]}, "test", {"c": (0.0, 1.0)})


def test_predict_pairs_of_no_pairs_is_empty() -> None:
    """predict_pairs on an empty selection (a part of a split with no pairs) ended in
    'torch.cat(): expected a non-empty list of Tensors'."""
    from drugscreen.repurposing.training import affinity_task_from_table, predict_pairs

    task = affinity_task_from_table(_own_table(), "mine", value_column="pKd", fp_bits=16)
    model, _ = _small_model()
    mean, sd = predict_pairs(model, task, np.array([], dtype=np.int64), 0)
    assert mean.shape == (0,) and sd.shape == (0,)
    mean, _ = predict_pairs(model, task, [0, 1], 0)
    assert mean.shape == (2,) and np.isfinite(mean).all()


def test_same_seed_same_weights_and_predictions_independent_of_chunks() -> None:
    from drugscreen.repurposing.training import (
        TrainConfig,
        affinity_task_from_table,
        make_splits,
        predict_pairs,
        train_affinity,
    )

    task = affinity_task_from_table(_own_table(), "mine", value_column="pKd", fp_bits=32)
    splits = make_splits([task], "warm", seed=0)
    models = [train_affinity([task], splits, TrainConfig(epochs=2, n_members=2, model=SMALL, seed=3))[0] for _ in range(2)]
    a, b = (m.state_dict() for m in models)
    assert all(torch.equal(a[k], b[k]) for k in a)
    pairs = np.arange(len(task.value))
    one, _ = predict_pairs(models[0], task, pairs, 0, chunk_targets=1)
    many, _ = predict_pairs(models[0], task, pairs, 0, chunk_targets=32)
    some, _ = predict_pairs(models[0], task, pairs[::3], 0)
    np.testing.assert_allclose(one, many, atol=1e-6)
    np.testing.assert_allclose(some, one[::3], atol=1e-6)


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("targets/abl2.fasta", "looks like a file name, but there is no such file"),
        ("P00519", "looks like a UniProt accession"),
        ("A0A024R161", "looks like a UniProt accession"),
        ("EGFR", "looks like a gene or protein name"),
    ],
)
def test_a_name_given_as_the_sequence_is_explained(text, hint) -> None:
    """--sequence with a mistyped file name, a UniProt accession or a gene name said only
    "invalid character '/' at position 8" or "4 residues is too short"."""
    from drugscreen.exceptions import InvalidSequenceError
    from drugscreen.repurposing.inputs import read_sequence_input

    with pytest.raises(InvalidSequenceError, match=hint):
        read_sequence_input(text)
    with pytest.raises(InvalidSequenceError) as info:
        read_sequence_input(ABL1_FRAGMENT[:40] + "-" + ABL1_FRAGMENT[40:])
    assert "looks like" not in str(info.value)


def test_saving_over_a_bundle_with_an_unwritable_config_keeps_the_old_bundle(small_bundle, tmp_path) -> None:
    """A config holding something JSON cannot write (an object of a class of its own) failed after the new weights
    were written, leaving them beside the old config.json (then refused as corrupted); a folder
    that cannot be made was an OSError traceback."""
    from drugscreen.exceptions import BundleError
    from drugscreen.repurposing.affinity_bundle import load_affinity_bundle, save_affinity_bundle

    model, kwargs = _small_model()
    torch.nn.init.zeros_(model.heads[0][0].weight)  # other weights than the saved bundle's
    with pytest.raises(BundleError, match="cannot be written as JSON"):
        save_affinity_bundle(model, {"model": kwargs, "scalers": {"mine": [6.0, 1.5]}, "note": object()}, small_bundle)
    assert load_affinity_bundle(small_bundle).scalers == {"mine": (6.0, 1.5)}  # the old bundle, whole
    (tmp_path / "file").write_text("x")
    with pytest.raises(BundleError, match="cannot write the affinity bundle"):
        save_affinity_bundle(model, {"model": kwargs, "scalers": {"mine": [6.0, 1.5]}}, tmp_path / "file" / "b")


def test_concentrations_in_a_column_with_a_neutral_name_are_warned_of(caplog) -> None:
    """Kd in nM in a column named 'affinity' trained a model that ranks the weakest binders first,
    without a word (only names such as Kd or IC50_nM are refused)."""
    from drugscreen.repurposing.training import affinity_task_from_table

    df = _own_table()
    nm = pd.to_numeric(df["pKd"], errors="coerce")
    df["affinity"] = 10 ** (9 - nm)  # 1..10,000 nM
    with caplog.at_level("WARNING"):
        affinity_task_from_table(df, "mine", value_column="affinity", fp_bits=0)
    assert "like concentrations (nM)" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING"):
        affinity_task_from_table(df, "mine", value_column="pKd", fp_bits=0)
    assert "concentrations" not in caplog.text


def test_training_reads_as_many_residues_as_the_model_predicts_from(monkeypatch) -> None:
    """Training encoded every sequence up to 1,000 residues whatever the model's max_len, while
    predict_pairs and the repurposer read max_len: a model configured with max_len 1500 learnt from
    sequences cut shorter than those it predicts from."""
    from drugscreen.models import affinity
    from drugscreen.repurposing.training import (
        TrainConfig,
        affinity_task_from_table,
        make_splits,
        train_affinity,
    )

    df = _own_table()
    df.loc[df["sequence"] == df["sequence"].iloc[2], "sequence"] = _random_sequence(1300, 9)
    task = affinity_task_from_table(df, "mine", value_column="pKd", fp_bits=32)
    widths: list[int] = []
    real = affinity.encode_sequences
    monkeypatch.setattr(affinity, "encode_sequences", lambda seqs, max_len=1000: widths.append(real(seqs, max_len).shape[1]) or real(seqs, max_len))
    train_affinity([task], make_splits([task], "warm"), TrainConfig(epochs=1, n_members=2, model={**SMALL, "max_len": 1500}))
    assert 1300 in widths and 1000 not in widths  # no batch cut at the old fixed 1,000
