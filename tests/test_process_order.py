"""Stage order without a process definition: the CRM's order comes first."""

from __future__ import annotations

import csv

from revarch.importers.base import ImportOptions
from revarch.importers.pipeline import import_pipeline
from revarch.process import compute_funnel
from revarch.workspace import Workspace

from .conftest import real_data


def test_maven_funnel_follows_crm_order(workspace: Workspace) -> None:
    folder = real_data("maven-crm-opportunities")
    path = folder / "sales_pipeline.csv"
    import_pipeline(workspace, path, "maven-crm", ImportOptions())
    with path.open(newline="", encoding="utf-8") as handle:
        stages = [row["deal_stage"] for row in csv.DictReader(handle)]
    funnel = compute_funnel(workspace)
    assert [stage.label for stage in funnel.stages] == ["Prospecting", "Engaging"]
    engaging = funnel.stages[1]
    assert engaging.advanced == stages.count("Won")
    assert engaging.lost == stages.count("Lost")
    assert engaging.open == stages.count("Engaging")
