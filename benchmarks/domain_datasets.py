"""Record, in a trained panel, which datasets each training fingerprint comes from.

    DRUGSCREEN_DATA_DIR=../shared/datasets python benchmarks/domain_datasets.py \
        [--bundle drugscreen/resources/models/panel]

Bundles trained since `drugscreen train` records it (``config["domain"]["datasets"]`` and a
``datasets`` tensor in ``train_fps.safetensors``) need nothing; this adds it to one trained
before, such as the shipped panel, without retraining: the panel's training data are rebuilt
(same datasets, same deterministic scaffold splits, same leak removal, as
``benchmarks/domain_evidence.py`` does), and each of the bundle's training fingerprints is marked
with every dataset whose rebuilt training part holds that exact fingerprint. A fingerprint that
no rebuilt dataset holds (a molecule that standardizes otherwise today than when the panel was
trained) keeps no dataset and is counted. ``train_fps.safetensors`` is rewritten with the same
``fps`` tensor, ``config.json``'s checksum of it and ``domain.datasets`` are updated, and the
model card gets the sentence a new bundle's card has; the weights and everything else stay as
they are.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", default=str(ROOT / "drugscreen" / "resources" / "models" / "panel"),
                    help="bundle directory to update in place")
    args = ap.parse_args()

    from drugscreen.bundle import CONFIG_FILE, FPS_FILE, load_bundle, write_train_fps
    from drugscreen.domain import distinct_fingerprints
    from drugscreen.jsonio import write_json
    from drugscreen.training.data import build_training_data

    bundle = load_bundle(args.bundle)
    tcfg = bundle.config["training"]["config"]
    data = build_training_data(list(tcfg["dataset"]), split=tcfg.get("split", "scaffold"))
    names = [d.name for d in data.datasets]
    rebuilt, member = distinct_fingerprints(data.train.fps, data.train.dataset_index, len(names))
    by_row = {row.tobytes(): m for row, m in zip(rebuilt, member, strict=True)}
    fps = bundle.train_fps
    membership = np.zeros((len(fps), len(names)), dtype=np.uint8)
    unmatched = 0
    for i, row in enumerate(fps):
        m = by_row.get(row.tobytes())
        if m is None:
            unmatched += 1
        else:
            membership[i] = m
    shipped = {row.tobytes() for row in fps}
    new = sum(1 for key in by_row if key not in shipped)

    path = Path(args.bundle)
    sha = write_train_fps(path, fps, membership, names)
    config = json.loads((path / CONFIG_FILE).read_text())
    config["files"][FPS_FILE] = sha
    config["domain"]["datasets"] = names
    write_json(path / CONFIG_FILE, config)
    load_bundle(path)  # checksums verified again
    card = path / "MODEL_CARD.md"  # not checksummed: the card's sentence on it, as a new bundle's has
    if card.is_file():
        from drugscreen.training.card import dataset_domain_lines

        text = card.read_text()
        sentence = dataset_domain_lines(config["domain"])[-1]
        head = next((line for line in text.splitlines() if line.startswith("Max Tanimoto (ECFP4")), None)
        if head is not None and sentence not in text:
            card.write_text(text.replace(head, f"{head}\n\n{sentence}", 1))

    print(f"{path}: {len(fps):,} training fingerprints; datasets recorded for {len(fps) - unmatched:,}, "
          f"{unmatched} matching no rebuilt training molecule; {new} rebuilt fingerprints not in the bundle")
    for j, name in enumerate(names):
        print(f"  {name:22s} {int(membership[:, j].sum()):6,d} fingerprints")


if __name__ == "__main__":
    main()
