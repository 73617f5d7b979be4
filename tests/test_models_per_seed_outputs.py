"""A training output with one bundle per seed (``train --split random --seeds 0,1 -o runs/ms``)
under ``$DRUGSCREEN_MODELS_DIR``: ``models list`` did not show its bundles and ``models info ms``
said "unknown model bundle 'ms'"; only the path ``runs/ms`` named the seeds' bundles."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from screen_fixtures import TINY_BUNDLE
from typer.testing import CliRunner

from drugscreen.bundle import installed_models, load_bundle
from drugscreen.cli import app
from drugscreen.exceptions import BundleError

pytestmark = pytest.mark.skipif(not (TINY_BUNDLE / "config.json").is_file(), reason="tiny bundle fixture missing")


@pytest.fixture
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "runs"
    for seed in (0, 1):
        shutil.copytree(TINY_BUNDLE, root / "ms" / f"seed{seed}")
    shutil.copytree(TINY_BUNDLE, root / "single")
    monkeypatch.setenv("DRUGSCREEN_MODELS_DIR", str(root))
    return root


def test_the_seeds_bundles_are_listed_and_loaded_by_name(runs: Path) -> None:
    names = [m.name for m in installed_models()]
    assert {"ms/seed0", "ms/seed1", "single"} <= set(names) and "ms" not in names
    assert load_bundle("ms/seed1").path.resolve() == (runs / "ms" / "seed1").resolve()
    with pytest.raises(BundleError, match=r"one bundle per seed: give .*seed0 or .*seed1"):
        load_bundle("ms")


def test_models_list_and_info_show_them(runs: Path) -> None:
    listed = CliRunner().invoke(app, ["models", "list"])
    assert listed.exit_code == 0 and "ms/seed0" in listed.output and "ms/seed1" in listed.output
    info = CliRunner().invoke(app, ["models", "info", "ms/seed0"])
    assert info.exit_code == 0, info.output


def test_a_missing_path_is_still_named_as_missing(runs: Path, tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="no_such_run"):
        load_bundle("no_such_run/seed0")
