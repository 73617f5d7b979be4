"""A training run's output directory: what a run writes there, refusing to mix runs or to
overwrite other files, and removing what an interrupted run left behind."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from drugscreen.exceptions import ConfigError
from drugscreen.training.config import TrainConfig

logger = logging.getLogger(__name__)


#: Top-level names a training run writes into its output directory (besides ``seed<N>/``).
_RUN_OUTPUTS = ("config.json", "MODEL_CARD.md", "train_fps.safetensors", "forest.safetensors", "metrics.json",
                "train_config.json", "history.json", "runs")
_CHECKPOINTS = ".checkpoints"


def _holds_run(path: Path) -> bool:
    """Whether the directory ``path`` holds a training run: every run writes ``train_config.json``
    (an interrupted one holds ``.checkpoints/``)."""
    return (path / "train_config.json").is_file() or (path / _CHECKPOINTS).is_dir()


def _is_run_output(path: Path) -> bool:
    name = path.name
    if name in _RUN_OUTPUTS or (name.startswith("member_") and name.endswith(".safetensors")) or name.endswith(".invalid.csv"):
        return True
    # a per-seed sub-run of a random-type split with several seeds
    return path.is_dir() and name.startswith("seed") and name[4:].isdigit() and _holds_run(path)


def _listing(entries: list[Path]) -> str:
    return ", ".join(e.name + ("/" if e.is_dir() else "") for e in entries[:5]) + (", ..." if len(entries) > 5 else "")


def prepare_output_dir(output_dir: str | os.PathLike[str], overwrite: bool = False) -> Path:
    """Check (and with ``overwrite`` clear) a training output directory; mark it as in progress.

    A missing or empty directory is used as is. A directory holding ``.checkpoints/`` is an
    interrupted run: it is resumed (checkpoints of another configuration are ignored member by
    member). Anything else (a finished run, or unrelated files) is refused unless ``overwrite``,
    which first removes the previous run's outputs (bundle files, metrics, ``runs/``,
    ``seed<N>/``); other files are left alone. A previous run is recognized by its
    ``train_config.json`` (at the top or in ``seed<N>/``): files with a run's names in a
    directory that holds no run (a ``config.json`` or ``runs/`` of the user's) are never
    removed, and ``overwrite`` is refused there, since the run would write over them.

    Raises
    ------
    ConfigError
        ``output_dir`` is a file, or holds a finished run or other files and ``overwrite`` is
        off, or holds files with a run's names that no run wrote.
    """
    out = Path(output_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"output {out} is a file, not a directory")
    entries = sorted(out.iterdir()) if out.is_dir() else []
    resuming = (out / _CHECKPOINTS).is_dir()
    if entries and not resuming:
        previous = (out / "train_config.json").is_file() or any(
            e.is_dir() and e.name.startswith("seed") and e.name[4:].isdigit() and _holds_run(e) for e in entries
        )
        ours = [e for e in entries if _is_run_output(e)]
        if not overwrite:
            what = "a finished training run" if previous else "other files"
            raise ConfigError(
                f"output directory {out} already holds {what} ({_listing(entries)}); pass --overwrite to replace "
                "the previous run's outputs, or choose another --output"
            )
        if ours and not previous:
            raise ConfigError(
                f"output directory {out} holds {_listing(ours)}, which no training run wrote there (it has no "
                "train_config.json); --overwrite removes only a previous run's outputs and the run would write over "
                "these: choose another --output"
            )
        for e in ours:
            if e.is_dir():
                shutil.rmtree(e)
            else:
                e.unlink()
        logger.info("--overwrite: removed the previous run's outputs in %s (%d entries)", out, len(ours))
    (out / _CHECKPOINTS).mkdir(parents=True, exist_ok=True)  # marks the run as in progress
    return out


def _nothing_written(out: Path) -> bool:
    """Whether ``out`` holds only the empty in-progress marker."""
    ck = out / _CHECKPOINTS
    return [p.name for p in out.iterdir()] == [_CHECKPOINTS] and ck.is_dir() and not any(ck.iterdir())


def _remove_stale_seed_runs(out: Path, config: TrainConfig) -> None:
    """Remove the ``seed<N>/`` folders of the interrupted run this one resumed that are not its own.

    A random-type split with several seeds writes one sub-run per seed. Resuming it with other
    ``--seeds`` (or another split) leaves the dropped seeds' folders, half-trained checkpoints or
    bundles of a configuration no record mentions, beside the finished run; they go, as the
    checkpoints of other options do, with a warning naming them. (:func:`prepare_output_dir`
    lets only an interrupted run of ours, or an emptied folder, reach here.)
    """
    own = {f"seed{s}" for s in config.seeds} if config.split != "scaffold" and len(config.seeds) > 1 else set()
    stale = [e for e in sorted(out.iterdir()) if _is_run_output(e) and e.is_dir() and e.name.startswith("seed")
             and e.name not in own]
    for e in stale:
        shutil.rmtree(e, ignore_errors=True)
    if stale:
        logger.warning(
            "removed %s, left by the interrupted run this one resumed: not among this run's seeds (%s)",
            ", ".join(e.name + "/" for e in stale), ",".join(str(s) for s in config.seeds),
        )
