"""Python API review (session 16): what a pipeline or notebook calling ``drugscreen`` hit.

Each test names what the user saw before the fix. The tests use the tiny bundle.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem
from screen_fixtures import TINY_BUNDLE

from drugscreen.bundle import load_bundle
from drugscreen.domain import ecfp4_packed, max_tanimoto, unpack_bits
from drugscreen.screening.screener import Screener

pytestmark = pytest.mark.skipif(not (TINY_BUNDLE / "config.json").is_file(), reason="tiny bundle fixture missing")

SMILES = ["CCO", "c1ccccc1O", "C1CC", "c1ccncc1"]


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener.load(TINY_BUNDLE, profile=None)


def test_fingerprints_of_another_width_are_refused_not_scored() -> None:
    """Unpacked bits ((n, 2048) instead of packed (n, 256)) given to ``max_tanimoto`` or
    ``ModelBundle.applicability``: up to 32 queries ended in NumPy's "operands could not be
    broadcast together with shapes (43040,32) (256,)", more than 32 gave wrong similarities
    without a word (0.2 for a training molecule whose similarity is 1)."""
    bundle = load_bundle(TINY_BUNDLE)
    mols = [Chem.MolFromSmiles(s) for s in ("CCO", "c1ccccc1O")]
    packed = ecfp4_packed(mols)
    width = bundle.train_fps.shape[1]
    assert packed.shape[1] == width
    expected = max_tanimoto(packed, bundle.train_fps)
    for n in (1, 40):  # the popcount path for a few queries, the prepared reference beyond
        bits = np.repeat(unpack_bits(packed).astype(np.uint8), n, axis=0)
        with pytest.raises(ValueError, match=f"{bits.shape[1]} bytes per row.*{width}.*packbits"):
            max_tanimoto(bits, bundle.train_fps)
        with pytest.raises(ValueError, match="packbits"):
            bundle.applicability(bits)
        with pytest.raises(ValueError, match="0/1 bits"):  # a bool array is bits, whatever its width
            max_tanimoto(np.repeat(packed, n, axis=0).astype(bool), bundle.train_fps)
        with pytest.raises(ValueError, match="bytes per row"):
            max_tanimoto(np.repeat(packed, n, axis=0), bundle.train_fps[:, : width // 2].copy())
        np.testing.assert_array_equal(max_tanimoto(np.repeat(packed, n, axis=0), bundle.train_fps), np.repeat(expected, n))


def test_predict_smiles_takes_what_screener_score_takes_or_refuses_it() -> None:
    """``bundle.predict_smiles(frame)`` predicted the column name ``"smiles"`` as a molecule (one
    NaN row for a two-row frame), a column vector ``(n, 1)`` (``frame[["smiles"]].to_numpy()``)
    gave NaN for every row, UTF-8 bytes (an HDF5 column) were all invalid, and a dict predicted
    its keys, all without a word; ``Screener.score`` reads or refuses each of these."""
    bundle = load_bundle(TINY_BUNDLE)
    ref = bundle.predict_smiles(["CCO", "c1ccncc1"])
    assert np.isfinite(ref.mean).all()
    for given in (np.array([["CCO"], ["c1ccncc1"]]), [b"CCO", b"c1ccncc1"], np.array([b"CCO", b"c1ccncc1"])):
        got = bundle.predict_smiles(given)
        np.testing.assert_array_equal(got.mean, ref.mean)
        np.testing.assert_array_equal(got.in_domain, ref.in_domain)
    frame = pd.DataFrame({"smiles": ["CCO", "c1ccncc1"]})
    with pytest.raises(TypeError, match=r"DataFrame.*frame\['smiles'\]"):
        bundle.predict_smiles(frame)
    np.testing.assert_array_equal(bundle.predict_smiles(frame["smiles"]).mean, ref.mean)
    for wrong, what in (({"a": "CCO"}, "dict"), ({"CCO"}, "set"), (np.array([["CCO", "x"]]), r"shape \(1, 2\)")):
        with pytest.raises(TypeError, match=what):
            bundle.predict_smiles(wrong)
    one = bundle.predict_smiles(np.array("CCO"))  # a 0-d array is one SMILES
    np.testing.assert_allclose(one.mean, ref.mean[:1], rtol=1e-6)  # alone: the last digits may differ (predict pads nothing)


def test_score_iter_takes_numpy_batch_sizes_and_array_chunks(screener) -> None:
    """``score_iter(rows, batch_size=np.int64(2))`` (a size computed with NumPy) was refused,
    "batch_size must be a positive integer, not np.int64(2)", and the chunks of
    ``np.array_split(smiles, k)`` were refused, "item 0 is a ndarray"; both are scored now."""
    ref = screener.score(SMILES)
    parts = list(screener.score_iter(SMILES, batch_size=np.int64(3)))
    assert [len(p) for p in parts] == [3, 1]
    chunks = np.array_split(np.array(SMILES, dtype=object), 2)
    for given in (chunks, [np.array(SMILES)[:, None]]):  # 1-D chunks, and a column vector
        out = pd.concat(list(screener.score_iter(given)))
        assert out.index.tolist() == [0, 1, 2, 3] and out["id"].tolist() == [0, 1, 2, 3]
        assert out["valid"].tolist() == ref["valid"].tolist()
        np.testing.assert_array_equal(out["has_N"].to_numpy(), ref["has_N"].to_numpy())
    with pytest.raises(TypeError, match=r"shape \(1, 2\)"):
        list(screener.score_iter([np.array([["CCO", "x"]])]))
    for bad in (np.float64(2.0), True, 0):
        with pytest.raises(Exception, match="positive integer"):
            list(screener.score_iter(SMILES, batch_size=bad))


def test_score_of_something_that_is_not_smiles_says_what_score_takes(screener) -> None:
    """``score(None)`` (a variable not yet set in a notebook) and ``score(5)`` raised Python's
    bare "'NoneType' object is not iterable", which names neither score nor what it takes."""
    for bad, what in ((None, "None"), (5, "int"), (2.5, "float")):
        with pytest.raises(TypeError, match=rf"score\(\) takes SMILES strings .*got {what}"):
            screener.score(bad)
    assert screener.score(np.str_("CCO"))["valid"].tolist() == [True]  # one NumPy string is one molecule


def test_screener_load_takes_a_bundle_already_loaded(screener) -> None:
    """``Screener.load(panel=bundle)`` with a bundle loaded by ``drugscreen.load_bundle`` (to look
    at its tasks first) raised "expected str, bytes or os.PathLike object, not ModelBundle"."""
    bundle = load_bundle(TINY_BUNDLE)
    s = Screener.load(panel=bundle, profile=None)
    assert s.bundle is bundle
    pd.testing.assert_frame_equal(s.score(SMILES), screener.score(SMILES))
    with pytest.raises(TypeError, match="panel= takes .*got int"):
        Screener.load(panel=5)


def test_a_bundle_path_starting_with_a_tilde_is_the_home_folder(tmp_path, monkeypatch) -> None:
    """``load_bundle("~/runs/mine")`` (as ``pd.read_csv("~/...")`` takes it) said "model bundle
    /work/main/~/runs/mine does not exist": the ``~`` was read as a folder of the current one."""
    import shutil

    monkeypatch.setenv("HOME", str(tmp_path))
    shutil.copytree(TINY_BUNDLE, tmp_path / "runs" / "mine")
    bundle = load_bundle("~/runs/mine")
    assert bundle.path == (tmp_path / "runs" / "mine").resolve()
    s = Screener.load(panel="~/runs/mine", profile=None)
    assert s.score(["CCO"])["valid"].tolist() == [True]


def test_one_molecule_is_not_scored_as_a_whole_batch_of_copies(screener, monkeypatch) -> None:
    """``score([smiles])`` padded the model batch (256 graphs) with copies of the molecule, so
    each one-molecule call ran 256 of it through every member: 30 approved drugs one call
    each took 32.9 s with the shipped panel against 1.6 s in one call. The padding is a
    small fixed graph now, and the numbers stay those of the molecule among others."""
    drug = "CC(C)Cc1ccc(cc1)[C@@H](C)C(=O)O"  # ibuprofen, 15 heavy atoms
    atoms = Chem.MolFromSmiles(drug).GetNumAtoms()
    seen: list[int] = []
    predict = screener.bundle.predict

    def counting(graphs, *args, **kwargs):
        seen.append(sum(int(g.x.shape[0]) for g in graphs))
        return predict(graphs, *args, **kwargs)

    monkeypatch.setattr(screener.bundle, "predict", counting)
    alone = screener.score([drug])
    assert len(seen) == 1 and seen[0] <= atoms + 2 * (screener.batch_size - 1)  # not 256 x 15 atoms
    among = screener.score(["CCO", drug, "c1ccccc1O", "C1CC"] * 20)
    row = among.iloc[[1]].reset_index(drop=True)
    cols = [c for c in alone.columns if c not in ("id", "rank")]
    pd.testing.assert_frame_equal(alone[cols], row[cols])  # bit for bit


def test_the_forests_are_not_run_on_copies_of_one_fingerprint(monkeypatch) -> None:
    """The shipped panel's ECFP4 forests walked every row of a padded model batch, 256 rows
    for one molecule (86 of the 280 ms a one-molecule ``score`` call took); rows with the same
    fingerprint (the padding, repeated molecules) are now walked once, with the same values."""
    from drugscreen.bundle import installed_models

    if "panel" not in [m.name for m in installed_models()]:
        pytest.skip("the shipped panel is not installed")
    s = Screener.load(endpoints="hiv,tox21_nr_ar")
    forest = s.bundle.forest
    assert forest is not None
    rows: list[int] = []
    walk = forest.predict

    def counting(X, *args, **kwargs):
        rows.append(len(X))
        return walk(X, *args, **kwargs)

    drug = "CC(C)Cc1ccc(cc1)[C@@H](C)C(=O)O"
    alone = s.score([drug])
    monkeypatch.setattr(forest, "predict", counting)
    again = s.score([drug])
    assert rows == [2]  # the molecule and the padding, not 256 rows
    among = s.score(["CCO", drug, "c1ccccc1O", drug] * 10)
    assert rows[1] == 4  # three distinct molecules and the padding
    cols = [c for c in alone.columns if c not in ("id", "rank")]
    pd.testing.assert_frame_equal(again[cols], alone[cols])
    for i in (1, 3, 39):
        pd.testing.assert_frame_equal(among.iloc[[i]].reset_index(drop=True)[cols], alone[cols])


def test_submodules_are_reached_from_the_package_after_a_plain_import() -> None:
    """After ``import drugscreen`` alone (a fresh notebook), ``drugscreen.bundle.installed_models()``,
    ``drugscreen.domain.max_tanimoto`` or ``except drugscreen.exceptions.BundleError`` raised
    "module 'drugscreen' has no attribute 'bundle'": the submodules the docs name had to be
    imported by hand first. They load on first use now, and importing the package stays light."""
    import subprocess
    import sys

    code = (
        "import sys, drugscreen\n"
        "light = sorted(m for m in ('torch', 'rdkit', 'sklearn', 'pandas', 'numpy') if m in sys.modules)\n"
        "print(light)\n"
        "print(drugscreen.exceptions.BundleError.__name__, callable(drugscreen.bundle.installed_models),\n"
        "      callable(drugscreen.domain.max_tanimoto), drugscreen.screening.Screener is drugscreen.Screener)\n"
        "print({'bundle', 'domain', 'exceptions', 'screening'} <= set(dir(drugscreen)), 'bundle' in drugscreen.__all__)\n"
        "try:\n"
        "    drugscreen.no_such_thing\n"
        "except AttributeError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.splitlines() == [
        "[]",
        "BundleError True True True",
        "True False",
        "module 'drugscreen' has no attribute 'no_such_thing'",
    ]


def test_an_index_named_like_an_output_column_is_renamed_as_input_columns_are(screener, tmp_path) -> None:
    """A frame indexed by its ids (``frame.set_index("id")``) came back with an index named
    ``id`` beside the new ``id`` column: ``out.reset_index()`` raised "cannot insert id, already
    exists", ``out.groupby("id")`` "'id' is both an index level and a column label, which is
    ambiguous", and ``to_csv`` wrote two ``id`` columns. The index name takes ``_input``, as an
    input column with an output column's name does; its labels stay."""
    frame = pd.DataFrame({"id": ["a", "b", "c", "d"], "smiles": SMILES}).set_index("id")
    for given in (frame, frame["smiles"]):
        out = screener.score(given)
        assert out.index.tolist() == ["a", "b", "c", "d"] and out.index.name == "id_input"
        assert out["id"].tolist() == ["a", "b", "c", "d"]
        assert out.reset_index()["id_input"].tolist() == ["a", "b", "c", "d"]
        assert out.groupby("id").size().tolist() == [1, 1, 1, 1]
        assert given.index.name == "id"  # the caller's own frame is left as it was
    parts = list(screener.score_iter([frame.iloc[:2], frame.iloc[2:]]))
    assert pd.concat(parts)["id"].tolist() == ["a", "b", "c", "d"]
    levels = frame.set_index(pd.MultiIndex.from_tuples([(1, "a"), (1, "b"), (2, "c"), (2, "d")], names=["batch", "valid"]))
    out = screener.score(levels)
    assert list(out.index.names) == ["batch", "valid_input"] and out["valid"].tolist() == [True, True, False, True]
    untouched = screener.score(frame.rename_axis("compound"))
    assert untouched.index.name == "compound"


def test_load_panel_takes_one_name_as_one_bundle(monkeypatch, tmp_path) -> None:
    """``load_panel("panel")`` read the string as its letters and raised "unknown model bundle
    'p'"; one name (or path) is one bundle, as ``predict_smiles("CCO")`` is one molecule."""
    import shutil

    from drugscreen.bundle import load_panel

    shutil.copytree(TINY_BUNDLE, tmp_path / "tiny")
    monkeypatch.setenv("DRUGSCREEN_MODELS_DIR", str(tmp_path))
    one = load_panel("tiny")
    assert [b.name for b in one] == ["tiny"]
    assert [b.path for b in load_panel(tmp_path / "tiny")] == [(tmp_path / "tiny").resolve()]
    assert [b.path for b in load_panel(["tiny"])] == [b.path for b in one]


def test_a_featurizer_that_refuses_the_padding_still_scores(monkeypatch) -> None:
    """A featurizer of one's own that cannot take ethane (the small graph that fills a model
    batch) falls back to repeating the chunk's molecules, with the same numbers."""
    s = Screener.load(TINY_BUNDLE, profile=None)
    ref = s.score(SMILES)
    own = s.featurizer

    def picky(mol):
        if mol.GetNumAtoms() < 3:
            raise ValueError("needs three atoms")
        return own(mol)

    fresh = Screener.load(TINY_BUNDLE, profile=None)
    monkeypatch.setattr(fresh, "featurizer", picky)
    out = fresh.score(SMILES)
    assert fresh._padding() is None
    pd.testing.assert_frame_equal(out, ref)


def test_endpoints_of_the_wrong_type_say_what_endpoints_takes() -> None:
    """``Screener.load(endpoints=5)`` raised Python's bare "'int' object is not iterable"."""
    with pytest.raises(TypeError, match=r"endpoints= takes endpoint names .*got int"):
        Screener.load(TINY_BUNDLE, endpoints=5, profile=None)
    s = Screener.load(TINY_BUNDLE, endpoints=np.array(["has_N"]), profile=None)
    assert [e.name for e in s.endpoints] == ["has_N"]


def test_ecfp4_packed_says_it_takes_molecules() -> None:
    """``ecfp4_packed(["CCO"])`` (SMILES for molecules) ended in Boost.Python's "ArgumentError:
    Python argument types in FingerprintGenerator64.GetFingerprintAsNumPy(..., str) did not
    match C++ signature", and one molecule in "object of type 'Mol' has no len()"."""
    mol = Chem.MolFromSmiles("CCO")
    with pytest.raises(TypeError, match=r"RDKit molecules .*Chem.MolFromSmiles.*item 1 is a str \('CCO'\)"):
        ecfp4_packed([mol, "CCO"])
    np.testing.assert_array_equal(ecfp4_packed(mol), ecfp4_packed([mol]))  # one molecule, one row
    assert ecfp4_packed([None, mol]).shape == (2, 256)


def test_screening_submodules_are_reached_after_a_plain_import() -> None:
    """``drugscreen.screening.profiles.rank_scores`` (which the ``score_iter`` docstring points to)
    raised "module 'drugscreen.screening' has no attribute 'profiles'" after ``import drugscreen``."""
    import subprocess
    import sys

    code = (
        "import drugscreen\n"
        "print(callable(drugscreen.screening.profiles.rank_scores), drugscreen.screening.run.__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "drugscreen.screening.run"]
