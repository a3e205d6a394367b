"""Import HubSpot deals: a folder of Fivetran tables or a UI deals export."""

from __future__ import annotations

from pathlib import Path

from revarch.errors import InputError
from revarch.importers.base import ImportOptions
from revarch.importers.hubspot_fivetran import import_fivetran
from revarch.importers.hubspot_ui import import_ui_deals
from revarch.storage import ImportResult
from revarch.workspace import Workspace

EXPECTED = (
    "expected a folder of HubSpot tables synced by Fivetran (with deal.csv or "
    "deal_data.csv) or a deals CSV exported from the HubSpot UI"
)


def import_hubspot(
    workspace: Workspace, path: Path, options: ImportOptions
) -> ImportResult:
    """Import HubSpot deals from ``path``: a Fivetran folder or a UI deals CSV."""
    if not path.exists():
        raise InputError(f"{path}: not found; {EXPECTED}")
    if path.is_dir():
        return import_fivetran(workspace, path, options)
    if path.suffix.lower() != ".csv":
        raise InputError(
            f"{path}: not a CSV file; {EXPECTED}. Export the deals view as CSV"
        )
    return import_ui_deals(workspace, path, options)
