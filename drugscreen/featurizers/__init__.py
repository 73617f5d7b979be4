"""Featurizers: molecules and protein sequences into model inputs.

Submodules are imported on first use so that ``import drugscreen`` stays light.
"""

from drugscreen.featurizers.base import FEATURIZERS, build_featurizer, check_featurizer_config
from drugscreen.featurizers.graph import GraphFeaturizer, MolGraph, collate
from drugscreen.featurizers.molecule import (
    ParsedMolecule,
    Standardizer,
    parse_smiles,
    prepare_molecule,
    prepare_molecules,
)

__all__ = [
    "FEATURIZERS",
    "GraphFeaturizer",
    "MolGraph",
    "ParsedMolecule",
    "Standardizer",
    "build_featurizer",
    "check_featurizer_config",
    "collate",
    "parse_smiles",
    "prepare_molecule",
    "prepare_molecules",
]
