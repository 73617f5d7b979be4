"""Featurizers: molecules and protein sequences into model inputs.

``import drugscreen`` does not import this package (so the CLI starts fast); importing it
loads RDKit and numpy but not torch (torch is imported by :func:`collate` and
:func:`max_tanimoto` when called).

Modules: ``molecule`` (parsing, standardization), ``graph`` (GNN graphs), ``fingerprints``
(Morgan/ECFP, FCFP, atom pairs, MACCS, packed bits, bulk Tanimoto), ``descriptors`` (RDKit
2D descriptors, the cheap ``fast_descriptors`` set, a JSON-saved scaler), ``protein``
(sequence validation, FASTA, integer and k-mer encodings) and ``batch`` (many inputs, one
result or error each, optional processes).
"""

from drugscreen.featurizers.base import FEATURIZERS, build_featurizer, check_featurizer_config
from drugscreen.featurizers.batch import BatchResult, featurize
from drugscreen.featurizers.descriptors import (
    FAST_DESCRIPTORS,
    FAST_DESCRIPTORS_V2,
    DescriptorScaler,
    FastDescriptors,
    RDKitDescriptors,
    nonfinite_report,
)
from drugscreen.featurizers.fingerprints import (
    AtomPairFingerprint,
    MACCSFingerprint,
    MorganFingerprint,
    TanimotoReference,
    max_tanimoto,
    pack_bits,
    tanimoto_matrix,
    unpack_bits,
)
from drugscreen.featurizers.graph import GraphFeaturizer, MolGraph, collate
from drugscreen.featurizers.molecule import (
    DEFAULT_STANDARDIZER,
    ParsedMolecule,
    Standardizer,
    parse_smiles,
    prepare_molecule,
    prepare_molecules,
)
from drugscreen.featurizers.protein import (
    AMINO_ACIDS,
    FastaRecord,
    KmerComposition,
    ProteinIntegerEncoder,
    nonstandard_residues,
    parse_fasta,
    read_fasta,
    validate_sequence,
)

__all__ = [
    "AMINO_ACIDS",
    "DEFAULT_STANDARDIZER",
    "FAST_DESCRIPTORS",
    "FAST_DESCRIPTORS_V2",
    "FEATURIZERS",
    "AtomPairFingerprint",
    "BatchResult",
    "DescriptorScaler",
    "FastDescriptors",
    "FastaRecord",
    "GraphFeaturizer",
    "KmerComposition",
    "MACCSFingerprint",
    "MolGraph",
    "MorganFingerprint",
    "ParsedMolecule",
    "ProteinIntegerEncoder",
    "RDKitDescriptors",
    "Standardizer",
    "TanimotoReference",
    "build_featurizer",
    "check_featurizer_config",
    "collate",
    "featurize",
    "max_tanimoto",
    "nonfinite_report",
    "nonstandard_residues",
    "pack_bits",
    "parse_fasta",
    "parse_smiles",
    "prepare_molecule",
    "prepare_molecules",
    "read_fasta",
    "tanimoto_matrix",
    "unpack_bits",
    "validate_sequence",
]
