"""Python API review (session 10): what a pipeline calling ``drugscreen`` from its own code hit.

Each test names what the user saw before the fix. The Screener tests use the tiny bundle.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from screen_fixtures import TINY_BUNDLE

from drugscreen.exceptions import InvalidMoleculeError
from drugscreen.screening.screener import Screener

pytestmark = pytest.mark.skipif(not (TINY_BUNDLE / "config.json").is_file(), reason="tiny bundle fixture missing")

SMILES = ["CCO", "c1ccccc1O", "C1CC", "c1ccncc1"]


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener.load(TINY_BUNDLE, profile=None)


def test_a_frame_without_a_header_is_scored_by_its_integer_column_label(screener) -> None:
    """A frame read with ``header=None`` (column labels 0, 1) raised a bare ``KeyError: '0'``
    for ``smiles_col="0"``, and ``smiles_col=0`` was ignored ("no SMILES column found")."""
    frame = pd.DataFrame({0: SMILES, 1: ["a", "b", "c", "d"]})
    ref = screener.score(SMILES)
    for col in (0, "0"):
        out = screener.score(frame, smiles_col=col)
        assert out[0].tolist() == SMILES and out[1].tolist() == ["a", "b", "c", "d"]  # labels kept as they were
        assert out["valid"].tolist() == [True, True, False, True]
        np.testing.assert_array_equal(out["has_N"].to_numpy(), ref["has_N"].to_numpy())
    named = screener.score(frame, smiles_col=0, id_col=1)
    assert named["id"].tolist() == ["a", "b", "c", "d"]
    parts = list(screener.score_iter([frame], smiles_col=0))
    assert parts[0]["valid"].tolist() == [True, True, False, True]


def test_a_column_vector_is_scored_and_other_2d_arrays_are_refused(screener) -> None:
    """``frame[["smiles"]].to_numpy()`` (shape (n, 1)) scored each row as the text "['CCO']", so
    every molecule came back invalid with a syntax error; a 2-D table did the same."""
    ref = screener.score(SMILES)
    col = screener.score(np.array(SMILES, dtype=object).reshape(-1, 1))
    assert col["smiles"].tolist() == SMILES and col["valid"].tolist() == [True, True, False, True]
    np.testing.assert_array_equal(col["has_N"].to_numpy(), ref["has_N"].to_numpy())
    one = screener.score(np.array("CCO"))  # a 0-d array: one SMILES
    assert one["smiles"].tolist() == ["CCO"] and one["valid"].tolist() == [True]
    with pytest.raises(TypeError, match=r"1-D sequence of SMILES.*shape \(2, 2\)"):
        screener.score(np.array([["CCO", "a"], ["CCN", "b"]]))


def test_bytes_are_read_as_text_and_numbers_are_refused_by_their_type(screener) -> None:
    """SMILES as bytes (an HDF5 or binary Parquet column, ``np.bytes_``) were all invalid with
    "syntax error while parsing: b'CCO'"; a number was reported as a SMILES syntax error, and a
    NumPy float NaN as one too, where ``float("nan")`` is an empty SMILES."""
    cells = [b"CCO", np.bytes_(b"c1ccncc1"), bytearray(b"c1ccccc1O"), b"\xff\xfe", 5, np.float32("nan"), pd.NaT, "CCO"]
    out = screener.score(pd.Series(cells, dtype=object))
    assert out["valid"].tolist() == [True, True, True, False, False, False, False, True]
    assert out["smiles_std"].tolist()[:3] == ["CCO", "c1ccncc1", "Oc1ccccc1"]
    assert out["has_N"].iloc[0] == out["has_N"].iloc[-1]
    errors = out["error"].tolist()
    assert errors[3] == "not a SMILES string: bytes that are not UTF-8 text"
    assert errors[4] == "not a SMILES string: int (5)"
    assert errors[5] == errors[6] == screener.score([None])["error"].iloc[0]  # empty, as None is
    assert out["smiles"].tolist()[0] == b"CCO"  # the input column as it was
    streamed = pd.concat(list(screener.score_iter(iter([b"CCO", np.float64("nan"), "CCN"]), batch_size=8)))
    assert streamed["valid"].tolist() == [True, False, True]


def test_score_iter_keeps_the_labels_of_labelled_chunks_as_ids(screener, tmp_path) -> None:
    """``score_iter(pd.read_csv(path, index_col="name", chunksize=2))`` replaced each chunk's index
    by row numbers, so the compound names (not a column of the chunk) were nowhere in the output,
    while ``score()`` of the same frame gave them as ``id``."""
    path = tmp_path / "lib.csv"
    pd.DataFrame({"name": ["eth", "phe", "bad", "pyr"], "smiles": SMILES}).to_csv(path, index=False)
    parts = list(screener.score_iter(pd.read_csv(path, index_col="name", chunksize=2)))
    out = pd.concat(parts)
    assert out["id"].tolist() == ["eth", "phe", "bad", "pyr"]
    assert list(out.index) == [0, 1, 2, 3]  # still the running position
    whole = screener.score(pd.read_csv(path, index_col="name"))
    assert whole["id"].tolist() == out["id"].tolist()
    np.testing.assert_array_equal(out["has_N"].to_numpy(), whole["has_N"].to_numpy())
    # a filtered frame's labels too; row-numbered chunks keep their running numbers
    frame = pd.DataFrame({"smiles": SMILES})
    kept = list(screener.score_iter([frame[frame.smiles != "C1CC"], frame]))
    assert kept[0]["id"].tolist() == [0, 1, 3] and kept[1]["id"].tolist() == [3, 4, 5, 6]
    with pytest.raises(InvalidMoleculeError, match="row bad"):
        list(screener.score_iter(pd.read_csv(path, index_col="name", chunksize=2), on_invalid="raise"))


# ----------------------------------------------------------------------------- ModelBundle.predict_smiles


@pytest.fixture(scope="module")
def tiny():
    from drugscreen.bundle import load_bundle

    return load_bundle(TINY_BUNDLE)


def test_predict_smiles_takes_one_string_as_one_molecule_and_any_iterable(tiny) -> None:
    """``predict_smiles("CCO")`` returned three rows, the predictions of "C", "C" and "O"; a
    generator raised a bare ``TypeError: object of type 'generator' has no len()``, and
    ``batch_size=0`` a bare ``ValueError`` from ``range()``."""
    from drugscreen.exceptions import ConfigError

    ref = tiny.predict_smiles(SMILES)
    one = tiny.predict_smiles("CCO")
    assert one.mean.shape == (1, 2)
    np.testing.assert_array_equal(one.mean[0], tiny.predict_smiles(["CCO"]).mean[0])
    gen = tiny.predict_smiles(s for s in SMILES)
    np.testing.assert_array_equal(gen.mean, ref.mean)
    np.testing.assert_array_equal(gen.in_domain, ref.in_domain)
    with pytest.raises(TypeError, match="bytes"):
        tiny.predict_smiles(b"CCO")
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ConfigError, match="batch_size must be a positive integer"):
            tiny.predict_smiles(SMILES, batch_size=bad)


def test_predict_smiles_puts_inorganic_molecules_outside_the_domain_as_the_screener_does(tiny) -> None:
    """With the shipped panel, ``predict_smiles(["O", "O=C=O"])`` said water and CO2 were in the
    domain (water's similarity to the training set is 1) where ``Screener.score`` flags both out
    of it, "inorganic: ..."; a pipeline filtering on ``in_domain`` kept them. Here every
    molecule's similarity reaches the threshold (threshold 0), as water's does in the panel."""
    from drugscreen.bundle import ModelBundle

    config = {**tiny.config, "domain": {**tiny.config["domain"], "threshold": 0.0}}
    everywhere = ModelBundle(tiny.path, config)
    mols = ["O", "O=C=O", "CCO", "C1CC"]
    pred = everywhere.predict_smiles(mols)
    assert pred.in_domain.tolist() == [False, False, True, False]
    assert pred.out_of_range[0].startswith("inorganic: no carbon atom")
    assert pred.out_of_range[1].startswith("inorganic: carbon only as")
    assert not pred.out_of_range[2].startswith("inorganic") and pred.out_of_range[3] == ""
    scored = Screener(everywhere, profile=None).score(mols)
    assert scored["in_domain"].tolist()[:3] == pred.in_domain.tolist()[:3]
    assert scored["out_of_range"].tolist()[:3] == pred.out_of_range[:3]


# ----------------------------------------------------------------------------- MoleculeEstimator

FIT_SMILES = ["CCO", "c1ccccc1O", "CCN", "CCCl", "c1ccncc1", "CC(=O)O", "CCOC", "CCCCO", "CCCN", "c1ccccc1N"] * 2
FIT_Y = np.array([0.0, 1.0] * 10)


def test_fit_leaves_the_callers_torch_threads_and_random_stream_alone() -> None:
    """After ``MoleculeEstimator(...).fit``, the whole process ran torch on one thread (the
    estimator's ``num_threads``) and torch's global generator was reseeded with
    ``random_state``, so the caller's own torch code slowed down and its random draws repeated."""
    import torch

    from drugscreen.models import MoleculeEstimator

    before = torch.get_num_threads()
    want = 2 if before != 2 else 3
    torch.set_num_threads(want)
    try:
        torch.manual_seed(1234)
        torch.rand(4)
        expected = torch.rand(4)  # the draw that follows the first one
        torch.manual_seed(1234)
        torch.rand(4)
        est = MoleculeEstimator(model="fp_mlp", epochs=1, num_threads=1).fit(FIT_SMILES, FIT_Y)
        assert torch.get_num_threads() == want
        assert torch.equal(torch.rand(4), expected)
        first = est.predict_proba(FIT_SMILES[:3])
        again = MoleculeEstimator(model="fp_mlp", epochs=1, num_threads=1).fit(FIT_SMILES, FIT_Y)
        np.testing.assert_array_equal(again.predict_proba(FIT_SMILES[:3]), first)  # still seeded by random_state
    finally:
        torch.set_num_threads(before)


def test_random_state_none_or_a_random_state_fits_as_in_scikit_learn() -> None:
    """``MoleculeEstimator(random_state=None).fit`` (scikit-learn's "unseeded") raised
    "ConfigError: seeds must be integers such as 0,1,2, not [None]", naming a setting the
    estimator does not have; a ``RandomState`` was refused the same way."""
    from drugscreen.exceptions import ConfigError
    from drugscreen.models import MoleculeEstimator

    for model in ("rf", "fp_mlp"):
        est = MoleculeEstimator(model=model, epochs=1, random_state=None, model_params={"n_estimators": 5} if model == "rf" else None)
        assert est.fit(FIT_SMILES, FIT_Y).predict_proba(FIT_SMILES[:2]).shape == (2, 2)
        assert isinstance(est.seed_, int) and est.get_params()["random_state"] is None  # the parameter is left as given
    a = MoleculeEstimator(model="fp_mlp", epochs=1, random_state=np.random.RandomState(7)).fit(FIT_SMILES, FIT_Y)
    b = MoleculeEstimator(model="fp_mlp", epochs=1, random_state=np.random.RandomState(7)).fit(FIT_SMILES, FIT_Y)
    assert a.seed_ == b.seed_
    np.testing.assert_array_equal(a.predict_proba(FIT_SMILES), b.predict_proba(FIT_SMILES))
    assert MoleculeEstimator(model="rf", random_state=np.int64(3), model_params={"n_estimators": 5}).fit(FIT_SMILES, FIT_Y).seed_ == 3
    with pytest.raises(ConfigError, match="random_state must be an integer, None or a numpy RandomState"):
        MoleculeEstimator(model="rf", random_state="0").fit(FIT_SMILES, FIT_Y)


# ----------------------------------------------------------------------------- package exports


def test_package_exports_load_bundle_and_the_estimator_lazily() -> None:
    """``drugscreen.load_bundle`` and ``drugscreen.MoleculeEstimator``, the inference and training
    entry points of the Python API, raised AttributeError (only the submodules had them), and
    ``from drugscreen.bundle import *`` also exported ``json``, ``np`` and ``Path``."""
    import subprocess
    import sys

    import drugscreen
    import drugscreen.bundle
    from drugscreen.models.estimator import MoleculeEstimator

    assert drugscreen.load_bundle is drugscreen.bundle.load_bundle
    assert drugscreen.MoleculeEstimator is MoleculeEstimator
    assert {"load_bundle", "MoleculeEstimator"} <= set(drugscreen.__all__) <= set(dir(drugscreen))
    assert {"load_bundle", "ModelBundle", "Prediction"} <= set(drugscreen.bundle.__all__)
    assert not {"json", "np", "Path", "os"} & set(drugscreen.bundle.__all__)
    # still lazy: importing the package loads none of the heavy dependencies
    code = "import sys, drugscreen; print(sorted(m for m in ('torch', 'rdkit', 'sklearn', 'pandas', 'numpy') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"


# ----------------------------------------------------------------------------- exceptions


def test_errors_with_arguments_survive_pickling_to_reach_the_caller_from_a_worker() -> None:
    """``InvalidMoleculeError`` and ``UnknownNameError`` could be pickled but not unpickled
    (``__init__`` missing 'smiles' and 'reason'), so ``cross_val_score(est, smiles, y, n_jobs=2)``
    on an invalid SMILES failed with joblib's "BrokenProcessPool: A result has failed to
    un-serialize" (a ``multiprocessing.Pool`` can hang) instead of the error naming the row."""
    import pickle

    from drugscreen.exceptions import DrugscreenError, InvalidMoleculeError, UnknownNameError

    bad = InvalidMoleculeError("m2", "C1CC", "unclosed ring")
    back = pickle.loads(pickle.dumps(bad))
    assert type(back) is InvalidMoleculeError and isinstance(back, DrugscreenError | ValueError)
    assert (back.index, back.smiles, back.reason, str(back)) == ("m2", "C1CC", "unclosed ring", str(bad))
    unknown = UnknownNameError("model", "gin", ["gine", "dmpnn"])
    back = pickle.loads(pickle.dumps(unknown))
    assert type(back) is UnknownNameError and isinstance(back, KeyError)
    assert (back.kind, back.name, back.choices, back.suggestions, str(back)) == (
        "model", "gin", ["dmpnn", "gine"], unknown.suggestions, str(unknown))


def test_cross_val_score_in_worker_processes_reports_the_invalid_molecule() -> None:
    """The same through joblib's worker processes, as a pipeline meets it."""
    from sklearn.model_selection import cross_val_score

    from drugscreen.exceptions import InvalidMoleculeError
    from drugscreen.models import MoleculeEstimator

    smiles = [*FIT_SMILES[:9], "C1CC"] * 2
    with pytest.raises(InvalidMoleculeError, match="C1CC"):
        cross_val_score(MoleculeEstimator(model="rf", model_params={"n_estimators": 3}), smiles, FIT_Y, cv=2, n_jobs=2,
                        error_score="raise")


def test_api_column_errors_name_the_python_keyword() -> None:
    """Errors raised from Screener.score told Python callers to use --smiles-column."""
    import pandas as pd
    from screen_fixtures import TINY_BUNDLE

    from drugscreen.exceptions import InputFormatError
    from drugscreen.screening.screener import Screener

    s = Screener.load(TINY_BUNDLE)
    with pytest.raises(InputFormatError, match="name it with smiles_col=") as err:
        s.score(pd.DataFrame({"structure": ["CCO"]}))
    assert "--smiles-column" not in str(err.value)
    with pytest.raises(InputFormatError, match="choose one with smiles_col="):
        s.score(pd.DataFrame({"smiles": ["CCO"], "SMILES": ["CCN"]}))


def test_a_lone_deuterium_atom_writes_nothing_to_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    """RDKit printed 'not removing hydrogen atom without neighbors' for [2H] while standardizing."""
    from drugscreen.featurizers.molecule import prepare_molecule

    prepare_molecule("[2H]")
    prepare_molecule("[2H][2H]")
    assert "hydrogen" not in capfd.readouterr().err


def test_column_arguments_with_a_list_or_series_are_refused() -> None:
    """score(series, id_col="name") ignored id_col silently: the ids were the Series's index."""
    s = Screener.load(TINY_BUNDLE)
    with pytest.raises(TypeError, match="id_col= names a column of a DataFrame; a Series has none"):
        s.score(pd.Series(["CCO", "CCN"]), id_col="name")
    with pytest.raises(TypeError, match="smiles_col= names a column of a DataFrame; a list has none"):
        s.score(["CCO"], smiles_col="smiles")
    assert s.score(pd.DataFrame({"smiles": ["CCO"], "name": ["x"]}), id_col="name")["id"].tolist() == ["x"]


def test_thresholds_beyond_0_1_on_a_probability_are_refused() -> None:
    """thresholds = [5, 80] (percent) on a probability gave every molecule the same desirability:
    the objective silently changed nothing in the ranking."""
    from drugscreen.exceptions import ConfigError
    from drugscreen.screening.profiles import Profile

    def profile(endpoint: str, thresholds: str) -> Profile:
        return Profile.from_toml(f'name = "mine"\naggregate = "mean"\n[[objectives]]\nendpoint = "{endpoint}"\n'
                f'direction = "up"\nthresholds = {thresholds}\n')

    with pytest.raises(ConfigError, match=r"'has_N' scores probabilities .*\[5\.0, 80\.0\] \(as fractions: \[0\.05, 0\.8\]\?\)"):
        Screener.load(TINY_BUNDLE, profile=profile("has_N", "[5, 80]"))
    assert Screener.load(TINY_BUNDLE, profile=profile("has_N", "[0.05, 0.8]")).profile is not None
    assert Screener.load(TINY_BUNDLE, profile=profile("logp_Crippen", "[5, 80]")).profile is not None  # not a probability
