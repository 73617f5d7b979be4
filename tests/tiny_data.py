"""Tiny molecule datasets written by the tests themselves (no shared data needed).

Molecules are built from a few scaffolds and substituents; labels are simple functions of
structure (a classification task "has a nitrogen" with a few labels missing, and a
regression task "Crippen logP"), so a small model can learn them in a few epochs.
"""

from __future__ import annotations

import numpy as np

SCAFFOLDS = ["c1ccccc1{}", "c1ccncc1{}", "C1CCCCC1{}", "c1ccc2ccccc2c1{}", "C1CCNCC1{}", "c1ccoc1{}", "c1ccsc1{}", "O=C1CCCN1{}"]
SUBSTITUENTS = ["C", "CC", "CCC", "O", "N", "Cl", "F", "C(=O)O", "C(=O)N", "OC", "CN", "C#N", "CCO", "Br", "S"]


def tiny_smiles(n: int = 80) -> list[str]:
    """``n`` distinct valid SMILES (deterministic)."""
    out = [s.format(r) for s in SCAFFOLDS for r in SUBSTITUENTS]
    return out[:n]


def tiny_dataset(n: int = 80, name: str = "tiny", with_regression: bool = True):
    """A :class:`drugscreen.data.MoleculeDataset` with 1-2 tasks and some missing labels."""
    from rdkit import Chem
    from rdkit.Chem import Crippen

    from drugscreen.data import MoleculeDataset, TaskSpec
    from drugscreen.featurizers.molecule import prepare_molecule

    smiles = tiny_smiles(n)
    parsed = [prepare_molecule(s) for s in smiles]
    has_n = np.array([float(any(a.GetSymbol() == "N" for a in p.mol.GetAtoms())) for p in parsed])
    has_n[::7] = np.nan  # sparse labels
    cols = [has_n]
    tasks = [TaskSpec("has_N", "classification", "1 = contains nitrogen", "neutral")]
    if with_regression:
        cols.append(np.array([Crippen.MolLogP(Chem.MolFromSmiles(p.smiles_std)) for p in parsed]))
        tasks.append(TaskSpec("logp", "regression", "Crippen logP", "neutral"))
    return MoleculeDataset(
        name=name,
        smiles=smiles,
        smiles_std=[p.smiles_std for p in parsed],
        y=np.stack(cols, axis=1),
        tasks=tasks,
        task_type="classification" if not with_regression else "regression",
        rows=np.arange(len(smiles)),
        invalid=[],
        sha256="0" * 64,
    )


def tiny_train_config(**overrides):
    """A :class:`~drugscreen.training.config.TrainConfig` for the tiny dataset: a 16-wide GINE,
    batch 16, one seed; ``overrides`` replace any key (``split``, ``epochs``, ...)."""
    from drugscreen.training.config import TrainConfig

    base = dict(dataset=["tiny"], model="gine", split="random", seeds=[0], epochs=6, patience=6, batch_size=16,
                lr=3e-3, model_params={"hidden": 16, "depth": 2, "head_hidden": 16})
    base.update(overrides)
    return TrainConfig(**base)


def write_assay_table(path, n: int = 96, ids: bool = False):
    """A user's table of ``n`` tiny molecules at ``path``: ``SMILES``, ``has_N`` (0/1) and ``logp``
    columns (and ``compound_id`` first with ``ids``); returns ``path``."""
    import pandas as pd

    ds = tiny_dataset(n)
    columns = {"compound_id": [f"c{i}" for i in range(n)]} if ids else {}
    frame = pd.DataFrame({**columns, "SMILES": ds.smiles, "has_N": ds.y[:, 0], "logp": ds.y[:, 1]})
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


def write_config(folder, body: str):
    """``body`` written to ``folder/cfg.toml`` (the folder made); returns the file."""
    folder.mkdir(parents=True, exist_ok=True)
    cfg = folder / "cfg.toml"
    cfg.write_text(body)
    return cfg
