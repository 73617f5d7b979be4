"""API review fixes: ``rank(top=...)`` checks, sequences of unknown residues, potencies in nM,
long sequences, FASTA byte-order marks, empty libraries, cosine rounding, and
:class:`~drugscreen.models.MoleculeEstimator`'s scikit-learn contract."""

from __future__ import annotations

import gzip
import logging

import numpy as np
import pandas as pd
import pytest

from drugscreen.exceptions import ConfigError, InputFormatError, InvalidSequenceError
from tests.test_repurpose_end_to_end import tiny_bundle  # noqa: F401  (module-scoped fixture, seconds)
from tests.test_repurpose_inputs import ABL1_FRAGMENT, DASATINIB, IMATINIB, NILOTINIB

OTHERS = ["CC(=O)Oc1ccccc1C(=O)O", "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "CCO"]


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture()
def library() -> pd.DataFrame:
    """Five drugs and one entry that does not parse."""
    return pd.DataFrame({"id": ["a", "b", "c", "d", "e", "f"], "smiles": [IMATINIB, DASATINIB, *OTHERS, "C1CC("]})


# ----------------------------------------------------------------------------- 1. top


def test_rank_top_below_one_is_refused(library) -> None:
    """``top=-1`` used to drop the last drug (``head(-1)``) and ``top=0`` to return an empty table."""
    from drugscreen.repurposing.repurposer import Repurposer

    rp = Repurposer(None, panel=False)
    for bad in (0, -1, -5):
        with pytest.raises(ConfigError, match=r"top must be >= 1 \(or None for every drug\), not -?\d"):
            rp.rank(ligands=[NILOTINIB], library=library, top=bad)
    for bad in (2.5, True, "3"):
        with pytest.raises(ConfigError, match="top must be an integer >= 1"):
            rp.rank(ligands=[NILOTINIB], library=library, top=bad)
    assert len(rp.rank(ligands=[NILOTINIB], library=library, top=2)) == 2
    assert len(rp.rank(ligands=[NILOTINIB], library=library, top=np.int64(1))) == 1
    every = rp.rank(ligands=[NILOTINIB], library=library)
    assert len(every) == 6 and every["error"].iloc[-1]  # None: every drug, the unparsable entry last


# ----------------------------------------------------------------------------- 2. unknown residues


@pytest.mark.parametrize("sequence", ["X" * 100, "BZJOU" * 20, "x" * 60 + ABL1_FRAGMENT[:40]], ids=["X", "BZJOU", "60pc_x"])
def test_sequence_of_unknown_residues_is_refused(tiny_bundle, library, sequence) -> None:  # noqa: F811
    """A sequence that is mostly X/B/Z/J/O/U was ranked with a confident-looking result."""
    from drugscreen.repurposing.inputs import read_sequence_input
    from drugscreen.repurposing.repurposer import Repurposer

    rp = Repurposer.load(tiny_bundle, panel=False)
    with pytest.raises(InvalidSequenceError, match=r"sequence: \d+% of its 100 residues are unknown or ambiguous \(.*\); at most 50%"):
        rp.rank(sequence=sequence, library=library)
    with pytest.raises(InvalidSequenceError, match="record 'bad'.*unknown or ambiguous"):
        read_sequence_input(sequence=f">bad\n{sequence}\n")


def test_some_unknown_residues_warn_but_rank(caplog) -> None:
    from drugscreen.repurposing.inputs import (
        NONSTANDARD_WARN_FRACTION,
        nonstandard_fraction,
        validate_sequence,
    )

    seq = ABL1_FRAGMENT[:80] + "X" * 20  # 20 %: usable, but the model reads X as "unknown"
    with caplog.at_level(logging.WARNING, logger="drugscreen.repurposing.inputs"):
        assert validate_sequence(seq) == seq
    assert nonstandard_fraction(seq) == pytest.approx(0.2) and 0.2 > NONSTANDARD_WARN_FRACTION
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "20% of its 100 residues are unknown or ambiguous (X x20)" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="drugscreen.repurposing.inputs"):
        validate_sequence(ABL1_FRAGMENT[:95] + "XXBZU")  # 5 %: silent
        validate_sequence(ABL1_FRAGMENT)
    assert not caplog.records


@pytest.mark.shared_data
def test_every_davis_and_kiba_target_passes_without_warning(shared_data_dir, caplog) -> None:
    """The bars are far from real targets: the most non-standard residues on one is 0.8 % (DAVIS TESK1)."""
    from drugscreen.data import load_affinity
    from drugscreen.repurposing.inputs import (
        NONSTANDARD_WARN_FRACTION,
        nonstandard_fraction,
        validate_sequence,
    )

    worst = {}
    for name in ("davis", "kiba"):
        ds = load_affinity(name, shared_data_dir)
        assert len(ds.target_sequences) > 100
        with caplog.at_level(logging.WARNING, logger="drugscreen.repurposing.inputs"):
            seqs = [validate_sequence(s, name=f"{name} {t}") for s, t in zip(ds.target_sequences, ds.target_ids, strict=True)]
        worst[name] = max(nonstandard_fraction(s) for s in seqs)
    assert not [r for r in caplog.records if r.name == "drugscreen.repurposing.inputs"]
    assert worst["davis"] < 0.01 and worst["kiba"] < 0.01 < NONSTANDARD_WARN_FRACTION, worst


# ----------------------------------------------------------------------------- 3. potencies in nM


def test_ligand_potencies_in_nm_are_refused() -> None:
    """IC50 in nM (10..100000) read as pIC50 made every ligand an active."""
    from drugscreen.repurposing.inputs import load_ligands

    nm = pd.DataFrame({"smiles": [IMATINIB, NILOTINIB, "CCO"], "ic50": [10, 100, 100000]})
    with pytest.raises(InputFormatError, match=r"activity column 'ic50' has 2 of 3 values outside 0\.\.14 \(e\.g\. 100, range 10\.\.100000\).*pIC50/pKi-like.*9 - log10\(value\)"):
        load_ligands(nm, activity_column="ic50")
    with pytest.raises(InputFormatError, match="outside 0..14"):
        load_ligands(nm.assign(ic50=[7.0, 6.5, -1.0]), activity_column="ic50")
    # converted (and named as what it now is), the column reads as potencies; 0/1 labels and words
    # still read as labels (a column named "ic50" holding pIC50s is refused by its name:
    # tests/test_repurpose_arguments.py)
    ok = load_ligands(nm.assign(pic50=9 - np.log10(nm["ic50"])), activity_column="pic50")
    assert ok.labels.tolist() == [1, 1, 0]
    assert load_ligands(nm.assign(ic50=[1, 0, 0]), activity_column="ic50").labels.tolist() == [1, 0, 0]
    assert load_ligands(nm.assign(act=["active", "7.2", "inactive"]), activity_column="act").labels.tolist() == [1, 1, 0]


# ----------------------------------------------------------------------------- 4. long sequences


def test_sequence_over_the_model_limit_warns_once(tiny_bundle, library, caplog) -> None:  # noqa: F811
    from drugscreen.repurposing.repurposer import Repurposer

    rp = Repurposer.load(tiny_bundle, panel=False)
    limit = rp.affinity.model.max_len
    long = (ABL1_FRAGMENT * 5)[: limit + 200]
    with caplog.at_level(logging.WARNING, logger="drugscreen.repurposing.repurposer"):
        rp.rank(sequence=long, library=library)
    cut = [r for r in caplog.records if "longer than the sequence model's limit" in r.getMessage()]
    assert len(cut) == 1 and cut[0].levelno == logging.WARNING
    assert f"{limit + 200} residues" in cut[0].getMessage() and f"limit of {limit}" in cut[0].getMessage()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="drugscreen.repurposing.repurposer"):
        rp.rank(sequence=ABL1_FRAGMENT, library=library)
    assert "longer than the sequence model's limit" not in caplog.text


# ----------------------------------------------------------------------------- 5. FASTA BOM


def test_fasta_with_a_utf8_byte_order_mark_is_read(tmp_path) -> None:
    from drugscreen.featurizers.protein import read_fasta
    from drugscreen.repurposing.inputs import read_sequence_input

    text = f">ABL1 human\n{ABL1_FRAGMENT[:60]}\n{ABL1_FRAGMENT[60:]}\n"
    plain = tmp_path / "bom.fasta"
    plain.write_bytes(b"\xef\xbb\xbf" + text.encode())
    packed = tmp_path / "bom.fasta.gz"
    packed.write_bytes(gzip.compress(b"\xef\xbb\xbf" + text.encode()))
    for path in (plain, packed):
        assert read_sequence_input(fasta=path) == ("ABL1 human", ABL1_FRAGMENT)
        assert read_fasta(path)[0].id == "ABL1"
    assert read_sequence_input(sequence="\ufeff" + text) == ("ABL1 human", ABL1_FRAGMENT)
    assert read_sequence_input(sequence="\ufeff" + ABL1_FRAGMENT) == ("query", ABL1_FRAGMENT)


# ----------------------------------------------------------------------------- 6. empty library


def test_empty_library_says_so(tmp_path) -> None:
    from drugscreen.repurposing.repurposer import Repurposer

    rp = Repurposer(None, panel=False)
    empty = tmp_path / "empty.smi"
    empty.write_text("")
    header_only = tmp_path / "header.csv"
    header_only.write_text("id,smiles\n")
    for lib in (empty, header_only, pd.DataFrame({"smiles": []})):
        with pytest.raises(InputFormatError, match="the library is empty"):
            rp.rank(ligands=[IMATINIB], library=lib)
    with pytest.raises(InputFormatError, match=r"none of the 2 library entries could be parsed \(first: "):
        rp.rank(ligands=[IMATINIB], library=pd.DataFrame({"smiles": ["C1CC(", "xyz"]}))


# ----------------------------------------------------------------------------- 8. cosine rounding


def test_gnn_similarity_stays_within_cosine_range() -> None:
    from drugscreen.featurizers.molecule import prepare_molecule
    from drugscreen.repurposing.scoring import fingerprint_sets, ligand_components

    v = np.random.default_rng(0).normal(size=16).astype(np.float32)
    v /= np.linalg.norm(v)
    assert v @ v > 1.0  # float32 rounding: the raw cosine of a vector with itself is 1.0000001
    lib_emb = np.stack([v, -v, np.roll(v, 3)])
    mols = [prepare_molecule(s).mol for s in (IMATINIB, DASATINIB, "CCO")]
    lib_fps = fingerprint_sets(mols)
    sims, nn = ligand_components(lib_fps, fingerprint_sets(mols[:1]), lib_emb, v[None, :])
    assert sims["gnn"][0] == 1.0 and sims["gnn"][1] == pytest.approx(-1.0) and -1.0 <= sims["gnn"].min()
    assert sims["gnn"][1] < sims["gnn"][2] < sims["gnn"][0]  # order kept: a negative cosine is not flattened
    for kind in ("ecfp4", "fcfp4", "atompair"):
        assert ((0.0 <= sims[kind]) & (sims[kind] <= 1.0)).all() and sims[kind][0] == 1.0


def test_ranking_similarities_never_exceed_one(tiny_bundle, library) -> None:  # noqa: F811
    from drugscreen.repurposing.repurposer import Repurposer

    out = Repurposer.load(tiny_bundle, panel=False).rank(ligands=[IMATINIB, DASATINIB], library=library)
    sims = out[[c for c in out.columns if c.startswith("sim_")]].to_numpy(dtype=float)
    assert np.nanmax(sims) <= 1.0 and out.loc[out["id"] == "a", "sim_gnn"].item() == 1.0


# ----------------------------------------------------------------------------- 9. estimator

SMILES = [IMATINIB, NILOTINIB, DASATINIB, *OTHERS, "c1ccccc1O", "CCN", "CCCCCCCCN", "OCC(O)CO"]
LABELS = np.array([1, 1, 1, 0, 0, 0, 0, 0, 1, 0], dtype=float)


def _rf():
    from drugscreen.models import MoleculeEstimator

    return MoleculeEstimator(model="rf", model_params={"n_estimators": 5})


def test_estimator_fit_refuses_x_and_y_of_different_lengths() -> None:
    """X longer than y used to train silently on the first len(y) molecules."""
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: \[10, 8\]"):
        _rf().fit(SMILES, LABELS[:8])
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: \[8, 10\]"):
        _rf().fit(SMILES[:8], LABELS)


def test_estimator_predict_before_fit_is_not_fitted_error() -> None:
    from sklearn.exceptions import NotFittedError

    for method in ("predict", "predict_proba"):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            getattr(_rf(), method)(SMILES[:2])


def test_estimator_accepts_series_one_column_frames_and_column_arrays() -> None:
    est = _rf().fit(pd.DataFrame({"smiles": SMILES}), LABELS)
    want = est.predict_proba(SMILES)
    assert want.shape == (10, 2)
    for X in (pd.DataFrame({"smiles": SMILES}), pd.Series(SMILES, index=range(5, 15)), np.array(SMILES)[:, None], np.array(SMILES)):
        np.testing.assert_allclose(est.predict_proba(X), want)
        assert est.predict(X).shape == (10,)
    np.testing.assert_allclose(_rf().fit(np.array(SMILES)[:, None], LABELS).predict_proba(SMILES), want)
    with pytest.raises(TypeError, match="DataFrame with 2 columns \\(smiles, label\\): select the SMILES column"):
        est.predict(pd.DataFrame({"smiles": SMILES, "label": LABELS}))
    with pytest.raises(TypeError, match="DataFrame with 2 columns"):
        _rf().fit(pd.DataFrame({"smiles": SMILES, "label": LABELS}), LABELS)
    with pytest.raises(TypeError, match=r"got shape \(5, 2\)"):
        est.predict(np.array(SMILES).reshape(5, 2))
    with pytest.raises(TypeError, match="not a single string"):
        est.predict(IMATINIB)



def test_cli_summary_counts_ranked_drugs_and_invalid_rows_apart(tiny_bundle, library, tmp_path, caplog) -> None:  # noqa: F811
    """The CLI counted unparsable library rows as drugs written ('8 drugs written' for 5 ranked)."""
    from typer.testing import CliRunner

    from drugscreen.cli import app

    lib = pd.concat([library, pd.DataFrame({"smiles": ["C1CC", "not_a_smiles"], "name": ["BAD1", "BAD2"]})], ignore_index=True)
    lib_path, out = tmp_path / "library.csv", tmp_path / "ranked.csv"
    lib.to_csv(lib_path, index=False)
    caplog.set_level(logging.INFO, logger="drugscreen")
    res = CliRunner().invoke(app, ["repurpose", "--sequence", ABL1_FRAGMENT, "--library", str(lib_path),
                                   "--model", str(tiny_bundle), "--no-panel", "-o", str(out)])
    assert res.exit_code == 0, res.output
    ranked = pd.read_csv(out)
    n_ranked = int(ranked["rank"].notna().sum())
    assert (n_ranked, len(ranked) - n_ranked) == (5, 3)  # the fixture's own unparsable entry too
    # the CLI's log handler may write to the runner's output instead of propagating
    assert "5 drugs ranked, 3 invalid rows; written to" in caplog.text + res.output


def test_package_exports_repurpose() -> None:
    """``drugscreen.repurpose`` is the documented convenience function (it raised AttributeError)."""
    import drugscreen
    from drugscreen.repurposing.repurposer import repurpose

    assert drugscreen.repurpose is repurpose
    assert "repurpose" in dir(drugscreen)
