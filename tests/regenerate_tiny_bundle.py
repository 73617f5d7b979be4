"""Regenerate tests/data/tiny_bundle: a 2-member GINE bundle trained on tiny toy data.

Run from the repository root after a deliberate bundle-format change::

    python tests/regenerate_tiny_bundle.py

The bundle has two tasks (``has_N`` classification, ``logp`` regression), ECFP4 hybrid
input and float16 weights; it is tiny (a few hundred KB) and used by the screening tests.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from tiny_data import tiny_dataset  # noqa: E402

from drugscreen.training.config import TrainConfig  # noqa: E402
from drugscreen.training.data import build_training_data  # noqa: E402
from drugscreen.training.trainer import train_on_data  # noqa: E402


def build(out: Path) -> Path:
    config = TrainConfig(
        dataset=["tiny"], model="gine", split="random", seeds=[0, 1], ensemble=1, epochs=4, patience=4,
        batch_size=16, lr=3e-3, model_params={"hidden": 16, "depth": 2, "head_hidden": 16, "extra_hidden": 8},
        extra_features="ecfp", weights_dtype="float16", name="tiny", description="Tiny test bundle (toy data; not a real model).",
    )
    with tempfile.TemporaryDirectory() as cache:
        data = build_training_data([tiny_dataset(96)], split="random", seed=0, cache_dir=cache)
        result = train_on_data(data, config, out)
    assert result.bundle_path is not None
    for extra in ("runs", "history.json", "metrics.json", "train_config.json"):
        p = out / extra
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()
    return out


if __name__ == "__main__":
    target = HERE / "data" / "tiny_bundle"
    if target.exists():
        shutil.rmtree(target)
    print(build(target))
