"""Shared pytest fixtures and marker handling (kept small on purpose).

- ``shared_data`` tests are skipped unless ``DRUGSCREEN_DATA_DIR`` names an existing folder
  (CI points it at ``../shared/datasets``); the ``shared_data_dir`` fixture returns that folder.
- ``deepchem`` tests are skipped when deepchem is not installed (it is only checked for, never
  imported, here).
- ``tiny_data``: the tiny dataset's training data (random split, seed 0), built once per
  module with its own feature cache.
- The ``drugscreen`` logger is restored after every test: invoking the CLI (``cli.main()`` or
  ``CliRunner().invoke(app, ...)``) configures it with a handler on the test's captured stderr,
  which is closed once that test ends and would break logging in later tests.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path

import pytest


def _shared_dir() -> Path | None:
    value = os.environ.get("DRUGSCREEN_DATA_DIR")
    if value and Path(value).is_dir():
        return Path(value)
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    no_data = pytest.mark.skip(reason="DRUGSCREEN_DATA_DIR unset or missing (../shared/datasets)")
    no_deepchem = pytest.mark.skip(reason="deepchem is not installed")
    have_data = _shared_dir() is not None
    have_deepchem = importlib.util.find_spec("deepchem") is not None
    for item in items:
        if not have_data and "shared_data" in item.keywords:
            item.add_marker(no_data)
        if not have_deepchem and "deepchem" in item.keywords:
            item.add_marker(no_deepchem)


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The shared datasets folder (``$DRUGSCREEN_DATA_DIR``); skips the test when absent."""
    path = _shared_dir()
    if path is None:
        pytest.skip("DRUGSCREEN_DATA_DIR unset or missing (../shared/datasets)")
    return path


@pytest.fixture(autouse=True)
def _restore_drugscreen_logging():
    logger = logging.getLogger("drugscreen")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:] = saved[0]
    logger.setLevel(saved[1])
    logger.propagate = saved[2]


# Once Ray has been started in this process (tests/test_ray_engine.py), the interpreter's own
# teardown after the last test has been seen to segfault now and then (1 of 3 CI-like runs on
# this machine, after "N passed" was printed), turning a green run red. When Ray was imported,
# end the process with pytest's exit status as soon as pytest itself is done, skipping that
# teardown. Test outcomes are unaffected: they are all reported by then.
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


_EXIT_STATUS = pytest.StashKey[int]()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    import sys

    if "ray" not in sys.modules or _EXIT_STATUS not in config.stash:
        return
    try:
        import ray

        if ray.is_initialized():
            ray.shutdown()
    except Exception:  # noqa: BLE001 - best effort before leaving
        pass
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(config.stash[_EXIT_STATUS])


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory):
    """Training data of :func:`tiny_data.tiny_dataset` (96 molecules), random split, seed 0."""
    from tiny_data import tiny_dataset

    from drugscreen.training.data import build_training_data

    cache = tmp_path_factory.mktemp("features")
    return build_training_data([tiny_dataset(96)], split="random", seed=0, cache_dir=str(cache))


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A test's own ``DRUGSCREEN_CACHE_DIR`` (``tmp_path / "cache"``): nothing read from or left in
    the user's cache. Use with ``pytestmark = pytest.mark.usefixtures("own_cache")``."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("DRUGSCREEN_CACHE_DIR", str(cache))
    return cache
