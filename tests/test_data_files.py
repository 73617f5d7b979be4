"""Data-directory resolution, checks, atomic download and the offline error."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import sys
import urllib.error
from pathlib import Path

import pytest

from drugscreen.data import files
from drugscreen.data.catalog import get_spec
from drugscreen.data.specs import DataFile, DatasetSpec, TaskSpec
from drugscreen.exceptions import DatasetError, DatasetNotAvailableError

CSV = b"smiles,p_np\nCCO,1\nc1ccccc1,0\nCC(=O)O,1\n"


def _spec(rows: int = 3, sha: str = "0" * 64) -> DatasetSpec:
    return DatasetSpec(
        name="tiny",
        kind="molecule",
        description="tiny",
        category="adme",
        files=(
            DataFile(
                "moleculenet/tiny.csv",
                "https://example.invalid/tiny.csv",
                {"shared": sha},
                ("smiles", "p_np"),
                rows,
            ),
        ),
        tasks=(TaskSpec("p_np", "classification"),),
        task_type="classification",
        n_tasks=1,
        rows=rows,
    )


class _Response(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _serve(monkeypatch, payloads: dict[str, bytes]) -> list[str]:
    calls: list[str] = []

    def fake_urlopen(url, timeout=None):
        calls.append(url)
        if url not in payloads:
            raise urllib.error.URLError("no network")
        return _Response(payloads[url])

    monkeypatch.setattr(files, "urlopen", fake_urlopen)
    return calls


def test_resolution_order(monkeypatch, tmp_path):
    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DRUGSCREEN_DATA_DIR", raising=False)
    assert files.resolve_data_dir() == tmp_path / "cache"
    monkeypatch.setenv("DRUGSCREEN_DATA_DIR", str(tmp_path / "env"))
    assert files.resolve_data_dir() == tmp_path / "env"
    assert files.resolve_data_dir(tmp_path / "explicit") == tmp_path / "explicit"


def test_atomic_write_leaves_nothing_on_error(tmp_path):
    target = tmp_path / "sub" / "f.bin"
    with pytest.raises(RuntimeError):
        with files.atomic_write(target) as fh:
            fh.write(b"half")
            raise RuntimeError("boom")
    assert not target.exists()
    assert list(target.parent.iterdir()) == []
    with files.atomic_write(target) as fh:
        fh.write(b"whole")
    assert target.read_bytes() == b"whole"


def test_verify_file_checksum_columns_rows(tmp_path):
    path = tmp_path / "tiny.csv"
    path.write_bytes(CSV)
    digest = hashlib.sha256(CSV).hexdigest()
    assert files.verify_file(path, _spec(sha=digest).files[0]) == digest
    assert (
        files.verify_file(path, _spec().files[0]) == digest
    )  # unknown checksum: columns + rows ok
    with pytest.raises(DatasetError, match="rows"):
        files.verify_file(path, _spec(rows=1000).files[0])
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"smiles,other\nCCO,1\n")
    with pytest.raises(DatasetError, match="missing column"):
        files.verify_file(bad, _spec(rows=1).files[0])


def test_download_verifies_and_writes(monkeypatch, tmp_path):
    spec = _spec()
    calls = _serve(monkeypatch, {spec.url: CSV})
    paths = files.fetch_dataset(spec, tmp_path)
    assert paths == [tmp_path / "moleculenet" / "tiny.csv"]
    assert paths[0].read_bytes() == CSV
    files.fetch_dataset(spec, tmp_path)  # present: no second download
    assert calls == [spec.url]
    assert [p.name for p in (tmp_path / "moleculenet").iterdir()] == ["tiny.csv"]


def test_download_failing_checks_leaves_no_file(monkeypatch, tmp_path):
    spec = _spec(rows=500)
    _serve(monkeypatch, {spec.url: CSV})
    with pytest.raises(DatasetError, match="rows"):
        files.fetch_dataset(spec, tmp_path)
    assert list((tmp_path / "moleculenet").iterdir()) == []


def test_offline_error_names_url_path_and_env(monkeypatch, tmp_path):
    _serve(monkeypatch, {})
    with pytest.raises(DatasetNotAvailableError) as info:
        files.fetch_dataset("tox21", tmp_path)
    msg = str(info.value)
    assert "\n" not in msg
    assert "https://deepchemdata.s3-us-west-1.amazonaws.com/datasets/tox21.csv.gz" in msg
    assert str(tmp_path / "moleculenet" / "tox21.csv.gz") in msg
    assert "DRUGSCREEN_DATA_DIR" in msg


def test_cli_fetch_offline_prints_one_line(monkeypatch, tmp_path, capsys):
    from drugscreen import cli

    _serve(monkeypatch, {})
    monkeypatch.setenv("DRUGSCREEN_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["drugscreen", "datasets", "fetch", "tox21"])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert (
        err[0].startswith("Error: ")
        and "tox21.csv.gz" in err[0]
        and "DRUGSCREEN_DATA_DIR" in err[0]
    )
    assert "Traceback" not in err[0]


def test_deepdta_download_is_converted(monkeypatch, tmp_path):
    """DAVIS download path: JSON ligands/proteins + Kd matrix -> drugs/targets/affinities."""
    spec = get_spec("davis")
    ligands = json.dumps({"11": "CCO", "22": "c1ccccc1O"}).encode()
    proteins = json.dumps({"KA": "MKV", "KB": "MSTA", "KC": "MGG"}).encode()
    matrix = b"10000 43.0 5\n1 10000 100\n"
    _serve(monkeypatch, dict(zip(spec.sources, (ligands, proteins, matrix), strict=True)))
    monkeypatch.setitem(files.DEEPDTA_COUNTS, "davis", (2, 3, 6))
    drugs, targets, aff = files.fetch_dataset("davis", tmp_path)
    assert drugs.read_text().splitlines() == ["drug_id,smiles", "11,CCO", "22,c1ccccc1O"]
    assert targets.read_text().splitlines()[1:] == ["KA,MKV", "KB,MSTA", "KC,MGG"]
    rows = gzip.decompress(aff.read_bytes()).decode().splitlines()
    assert rows[0] == "drug_id,target_id,kd_nM,pKd"
    assert rows[1] == "11,KA,10000.0,5.0"
    assert rows[4] == "22,KA,1.0,9.0"

    from drugscreen.data import load_affinity

    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(tmp_path / "cache"))
    ds = load_affinity("davis", tmp_path)
    assert ds.n_drugs == 2 and ds.n_targets == 3 and len(ds) == 6
    assert ds.value[0] == pytest.approx(5.0) and ds.value[3] == pytest.approx(9.0)


def test_deepdta_matrix_shape_is_checked():
    with pytest.raises(DatasetError, match="expected 2 drugs x 1 targets"):
        files._convert_deepdta("kiba", b'{"a": "C", "b": "N"}', b'{"t": "M"}', b"1.0\n")


def test_library_is_always_available(tmp_path):
    assert files.is_available(get_spec("approved_drugs"), tmp_path)
    assert not files.is_available(get_spec("tox21"), tmp_path)
    (path,) = files.fetch_dataset("approved_drugs", tmp_path)
    assert Path(path).is_file()
