"""The approved-drug library shipped with drugscreen (ChEMBL, CC BY-SA 3.0; see its LICENSE.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from drugscreen.exceptions import DatasetError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["APPROVED_DRUGS_SHA256", "approved_drugs", "approved_drugs_path"]

APPROVED_DRUGS_SHA256 = "178af407342a1d24180df1dba3e43f940a0907cc95a11c0b5d8a5e9c2db09a83"
_COLUMNS = ["molecule_chembl_id", "pref_name", "first_approval", "molecule_type", "smiles"]


def approved_drugs_path() -> Path:
    """Path of the shipped ``chembl_approved_drugs.csv`` inside the installed package."""
    from importlib.resources import files

    path = Path(str(files("drugscreen") / "resources" / "approved" / "chembl_approved_drugs.csv"))
    if not path.is_file():
        raise DatasetError(
            f"the approved-drug list is missing from the installation ({path}); reinstall drugscreen"
        )
    return path


def approved_drugs() -> pd.DataFrame:
    """The ChEMBL approved small-molecule drugs (2,628 rows), as shipped with drugscreen.

    Returns
    -------
    pandas.DataFrame
        Columns ``molecule_chembl_id, pref_name, first_approval, molecule_type, smiles``, in
        the file's order. ``first_approval`` is a nullable integer year. SMILES are not parsed
        here; :func:`drugscreen.data.load_dataset("approved_drugs")` parses them and reports
        failures.

    Notes
    -----
    ChEMBL data are CC BY-SA 3.0 (EMBL-EBI); cite Zdrazil et al., Nucleic Acids Res. 2024.
    """
    import pandas as pd

    df = pd.read_csv(
        approved_drugs_path(), dtype={"molecule_chembl_id": str, "pref_name": str, "smiles": str}
    )
    missing = [c for c in _COLUMNS if c not in df.columns]
    if missing:
        raise DatasetError(f"approved-drug list lacks column(s) {missing}")
    df["first_approval"] = df["first_approval"].astype("Int64")
    return df
