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
