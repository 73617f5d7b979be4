"""Setting up data on a new machine: damaged downloads and files, odd data directories, the parse cache."""

from __future__ import annotations

import io
import urllib.error
from email.message import Message

import pytest

from drugscreen.data import files
from drugscreen.data.specs import DataFile, DatasetSpec, TaskSpec
from drugscreen.exceptions import DatasetNotAvailableError

BODY = b"smiles,p_np\n" + b"".join(b"C%s,1\n" % (b"C" * (i % 7)) for i in range(200))


def _spec(url: str = "https://example.invalid/tiny.csv", rows: int = 200) -> DatasetSpec:
    return DatasetSpec(
        name="tiny",
        kind="molecule",
        description="tiny",
        category="adme",
        files=(DataFile("moleculenet/tiny.csv", url, {"shared": "0" * 64}, ("smiles", "p_np"), rows),),
        tasks=(TaskSpec("p_np", "classification"),),
        task_type="classification",
        n_tasks=1,
        rows=rows,
    )


class _Response(io.BytesIO):
    """A response whose server announced ``length`` bytes (``Content-Length``) and sent ``body``."""

    def __init__(self, body: bytes, length: int | None = None) -> None:
        super().__init__(body)
        self.headers = Message()
        if length is not None:
            self.headers["Content-Length"] = str(length)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _serve(monkeypatch, payloads: dict[str, tuple[bytes, int | None]]) -> None:
    def fake_urlopen(url, timeout=None):
        if url not in payloads:
            raise urllib.error.URLError("no network")
        return _Response(*payloads[url])

    monkeypatch.setattr(files, "urlopen", fake_urlopen)


# ----------------------------------------------------------------------------- downloads cut short


def test_download_cut_short_is_not_installed(monkeypatch, tmp_path):
    """A connection dropped at 98.5% of the file: the rows that arrived passed the row-count check and
    the partial file was installed as the dataset."""
    spec = _spec()
    _serve(monkeypatch, {spec.url: (BODY[: int(len(BODY) * 0.985)], len(BODY))})
    with pytest.raises(DatasetNotAvailableError, match="closed after .* of 1,406 bytes.*run the command again"):
        files.fetch_dataset(spec, tmp_path)
    assert list((tmp_path / "moleculenet").iterdir()) == []  # neither the file nor a temporary one


def test_complete_download_with_content_length_is_installed(monkeypatch, tmp_path):
    spec = _spec()
    _serve(monkeypatch, {spec.url: (BODY, len(BODY))})
    (path,) = files.fetch_dataset(spec, tmp_path)
    assert path.read_bytes() == BODY


def test_deepdta_download_cut_short_is_refused(monkeypatch, tmp_path):
    from drugscreen.data.catalog import get_spec

    spec = get_spec("davis")
    ligands = b'{"11": "CCO", "22": "c1ccccc1O"}'
    proteins = b'{"KA": "MKV", "KB": "MSTA", "KC": "MGG"}'
    matrix = b"10000 43.0 5\n1 10000 100\n"
    payloads = dict(zip(spec.sources, ((ligands, None), (proteins, None), (matrix[:13], len(matrix))), strict=True))
    _serve(monkeypatch, payloads)
    monkeypatch.setitem(files.DEEPDTA_COUNTS, "davis", (2, 3, 6))
    with pytest.raises(DatasetNotAvailableError, match="closed after 13 of 25 bytes"):
        files.fetch_dataset("davis", tmp_path)
    assert not (tmp_path / "dti").exists()


# ----------------------------------------------------------------------------- odd data directories


def test_data_dir_that_is_a_file_is_named_in_one_error(monkeypatch, tmp_path):
    """``--data-dir`` pointing at a file: a NotADirectoryError traceback (Python and CLI alike)."""
    from drugscreen.data import load_dataset
    from drugscreen.exceptions import DatasetError

    _serve(monkeypatch, {})
    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path / "cache"))
    not_a_dir = tmp_path / "datasets.tar"
    not_a_dir.write_bytes(b"not a folder")
    with pytest.raises(DatasetError, match=f"{not_a_dir} is a file, not a folder.*--data-dir"):
        load_dataset("bbbp", not_a_dir)
    assert not_a_dir.read_bytes() == b"not a folder"


def test_cli_fetch_into_a_file_prints_one_line(monkeypatch, tmp_path, capsys):
    import sys

    from drugscreen import cli

    _serve(monkeypatch, {})
    not_a_dir = tmp_path / "datasets.tar"
    not_a_dir.write_bytes(b"")
    monkeypatch.setattr(sys, "argv", ["drugscreen", "datasets", "fetch", "bbbp", "--data-dir", str(not_a_dir)])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error: ") and "is a file, not a folder" in err[0]


def test_read_only_data_dir_is_said_before_downloading(monkeypatch, tmp_path):
    """A read-only copy (e.g. a cluster's shared folder) lacking a file: the download ran and its
    failure to be written was reported as a failed download ("could not be downloaded from URL")."""
    from drugscreen.exceptions import DatasetError

    spec = _spec()
    calls: list[str] = []
    monkeypatch.setattr(files, "urlopen", lambda url, timeout=None: calls.append(url) or _Response(BODY))
    real_access = files.os.access
    monkeypatch.setattr(files.os, "access", lambda p, mode: False if str(p) == str(tmp_path) else real_access(p, mode))
    with pytest.raises(DatasetError, match=f"{tmp_path} is read-only\\); give --data-dir"):
        files.fetch_dataset(spec, tmp_path)
    assert calls == []  # nothing downloaded for nothing
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- files cut short


def _bbbp_rows(n: int = 200) -> bytes:
    return b"smiles,p_np\n" + b"".join(b"C%sO,%d\n" % (b"C" * (i % 9), i % 2) for i in range(n))


def test_csv_cut_short_in_the_data_dir_is_refused_with_what_to_do(monkeypatch, tmp_path):
    """An interrupted copy of BBBP.csv (1.5% of the bytes lost) loaded without a word, 3 molecules
    short, with a half row as the last molecule: other molecules, other splits."""
    from drugscreen.data import load_dataset
    from drugscreen.exceptions import DatasetError

    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path / "cache"))
    data = _bbbp_rows()
    path = tmp_path / "moleculenet" / "BBBP.csv"
    path.parent.mkdir()
    path.write_bytes(data[: int(len(data) * 0.985)])
    with pytest.raises(DatasetError, match=r"looks cut short.*datasets fetch bbbp --force"):
        load_dataset("bbbp", tmp_path)
    path.write_bytes(data.rstrip(b"\n"))  # complete, last line unterminated: fine
    assert len(load_dataset("bbbp", tmp_path)) == 200


def test_gzip_cut_short_is_refused_by_fetch_and_load(monkeypatch, tmp_path):
    """A half-copied tox21.csv.gz: `datasets fetch` said it was there (exit 0) and loading failed with
    "cannot be read as CSV (Compressed file ended ...)", which does not say what to do."""
    import gzip

    from typer.testing import CliRunner

    from drugscreen.cli import app
    from drugscreen.data import get_spec, load_dataset
    from drugscreen.exceptions import DatasetError

    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path / "cache"))
    tasks = [t.name for t in get_spec("tox21").tasks]
    text = "smiles," + ",".join(tasks) + "\n" + "".join(f"C{'C' * (i % 9)}O" + ",0" * len(tasks) + "\n" for i in range(300))
    blob = gzip.compress(text.encode())
    path = tmp_path / "moleculenet" / "tox21.csv.gz"
    path.parent.mkdir()
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(DatasetError, match=r"tox21.csv.gz looks cut short.*fetch tox21 --force"):
        load_dataset("tox21", tmp_path)
    result = CliRunner().invoke(app, ["datasets", "fetch", "tox21", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "looks cut short" in str(result.exception)


def test_download_without_length_cut_in_a_row_is_not_installed(monkeypatch, tmp_path):
    """A server that sends no Content-Length and drops the connection mid-row."""
    from drugscreen.exceptions import DatasetError

    spec = _spec()
    _serve(monkeypatch, {spec.url: (BODY[:-3], None)})
    with pytest.raises(DatasetError, match="cut short"):
        files.fetch_dataset(spec, tmp_path)
    assert list((tmp_path / "moleculenet").iterdir()) == []


# ----------------------------------------------------------------------------- fetch all


def test_fetch_all_goes_on_past_a_failure(monkeypatch, tmp_path):
    """`datasets fetch all` offline on a folder holding BBBP and FreeSolv stopped at bace (the first
    dataset it could not download): BBBP and FreeSolv were never checked nor listed."""
    from typer.testing import CliRunner

    from drugscreen.cli import app
    from drugscreen.exceptions import DatasetError

    _serve(monkeypatch, {})
    (tmp_path / "moleculenet").mkdir()
    (tmp_path / "moleculenet" / "BBBP.csv").write_text("smiles,p_np\nCCO,1\n")
    (tmp_path / "moleculenet" / "SAMPL.csv").write_text("smiles,expt\nCCO,-5.0\n")
    result = CliRunner().invoke(app, ["datasets", "fetch", "all", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert f"bbbp: {tmp_path / 'moleculenet' / 'BBBP.csv'}" in result.stdout
    assert f"freesolv: {tmp_path / 'moleculenet' / 'SAMPL.csv'}" in result.stdout
    assert "tox21: not fetched: " in result.stderr  # the last one was tried too
    assert isinstance(result.exception, DatasetError)
    assert str(result.exception).startswith("11 of 14 datasets not fetched (bace_classification, ")


def test_fetch_each_yields_errors_and_files(monkeypatch, tmp_path):
    _serve(monkeypatch, {})
    (tmp_path / "moleculenet").mkdir()
    (tmp_path / "moleculenet" / "BBBP.csv").write_text("smiles,p_np\nCCO,1\n")
    outcomes = list(files.fetch_each(["tox21", "bbbp", "BBBP"], tmp_path))
    assert [o.name for o in outcomes] == ["tox21", "bbbp"]
    assert isinstance(outcomes[0].error, DatasetNotAvailableError) and outcomes[0].paths == []
    assert outcomes[1].error is None and outcomes[1].paths == [tmp_path / "moleculenet" / "BBBP.csv"]


# ----------------------------------------------------------------------------- the parse cache


def test_parse_cache_is_not_used_after_the_parsing_code_changed(monkeypatch, tmp_path):
    """The cache key held the package version, which stayed 0.1.0 through every change of the
    standardizer: after such a change, a load returned the molecules parsed by the old code."""
    import shutil

    import drugscreen.featurizers.molecule as molecule
    from drugscreen.data import load_dataset
    from drugscreen.featurizers.molecule import ParsedMolecule

    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "moleculenet").mkdir()
    (tmp_path / "moleculenet" / "BBBP.csv").write_text("smiles,p_np\nCCO,1\nc1ccccc1O,0\n")
    assert len(load_dataset("bbbp", tmp_path)) == 2  # parsed and cached

    # the standardizer's code changes: molecules under 4 heavy atoms are now refused
    changed = tmp_path / "molecule.py"
    shutil.copyfile(molecule.__file__, changed)
    with changed.open("a") as fh:
        fh.write("\n# a changed rule: molecules under 4 heavy atoms are refused\n")
    old_prepare = molecule.prepare_molecule

    def prepare(smiles, standardizer=molecule.DEFAULT_STANDARDIZER):
        parsed = old_prepare(smiles, standardizer)
        if parsed.mol is not None and parsed.mol.GetNumAtoms() < 4:
            return ParsedMolecule(smiles, None, "", "fewer than 4 heavy atoms")
        return parsed

    monkeypatch.setattr(molecule, "__file__", str(changed))
    monkeypatch.setattr(molecule, "prepare_molecule", prepare)
    ds = load_dataset("bbbp", tmp_path)
    assert ds.smiles == ["c1ccccc1O"]
    assert [(r.row, r.reason) for r in ds.invalid] == [(0, "fewer than 4 heavy atoms")]


# ----------------------------------------------------------------------------- two processes at once


def test_two_fetches_of_one_file_at_once(monkeypatch, tmp_path):
    """Two jobs of a cluster array loading one dataset into a fresh data directory download it at the
    same time: both used the temporary name .tiny.csv.download, so the one that finished second found
    it moved away and died with FileNotFoundError."""
    spec = _spec()
    _serve(monkeypatch, {spec.url: (BODY, len(BODY))})
    real_verify = files.verify_file
    state = {"inner": False}

    def verify(path, entry, **kwargs):
        if not state["inner"]:  # between this download and its check, the other job fetches the file
            state["inner"] = True
            files.fetch_dataset(spec, tmp_path, force=True)
        return real_verify(path, entry, **kwargs)

    monkeypatch.setattr(files, "verify_file", verify)
    (path,) = files.fetch_dataset(spec, tmp_path, force=True)
    assert path.read_bytes() == BODY
    assert [p.name for p in path.parent.iterdir()] == ["tiny.csv"]


# ----------------------------------------------------------------------------- killed downloads


def test_killed_download_leftovers_are_removed_on_the_next_fetch(monkeypatch, tmp_path):
    """A download killed with kill -9 (or the OOM killer) left its hidden temporary files in the
    data directory for ever; the next fetch of that file removes those not written for an hour,
    and leaves a download that is still being written (another process's) alone."""
    import os
    import time

    spec = _spec()
    _serve(monkeypatch, {spec.url: (BODY, len(BODY))})
    folder = tmp_path / "moleculenet"
    folder.mkdir()
    old = [folder / ".tiny.csv.4242.deadbeef.download", folder / "..tiny.csv.4242.deadbeef.download.x1y2.part",
           folder / ".tiny.csv.q9w8.part"]
    running = folder / ".tiny.csv.777.cafebabe.download"
    other = folder / ".other.csv.4242.deadbeef.download"
    for path in [*old, running, other]:
        path.write_bytes(b"partial")
    long_ago = time.time() - 2 * files.STALE_DOWNLOAD_S
    for path in [*old, other]:
        os.utime(path, (long_ago, long_ago))
    (path,) = files.fetch_dataset(spec, tmp_path)
    assert path.read_bytes() == BODY
    assert sorted(p.name for p in folder.iterdir()) == sorted(["tiny.csv", running.name, other.name])
