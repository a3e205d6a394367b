"""The Python API guide's example runs and prints what it promises."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from revarch.importers.base import ImportOptions
from revarch.importers.pipeline import import_pipeline
from revarch.workspace import init_workspace, open_workspace
from tests.conftest import REPO

GUIDE = REPO / "docs" / "python-api.md"

# A few opportunities in the Maven layout. Closed in the first half of 2017:
# X1 won, X2 lost, X3 won, so the team win rate is 2/3.
PIPELINE = """\
opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value
X1,Ann Lee,GTX Basic,Acme,Won,2017-01-05,2017-02-01,500
X2,Ann Lee,GTX Basic,Acme,Lost,2017-01-10,2017-03-01,0
X3,Bo Chen,MG Special,Beta,Won,2017-02-01,2017-04-15,60
X4,Bo Chen,MG Special,Beta,Engaging,2017-05-01,,
X5,Bo Chen,GTX Basic,Beta,Won,2017-03-01,2017-07-10,550
"""
TEAMS = """\
sales_agent,manager,regional_office
Ann Lee,Mia Park,East
Bo Chen,Mia Park,West
"""


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.S)


@pytest.fixture
def acme(tmp_path: Path) -> Path:
    """A folder holding the workspace ``acme`` the guide opens."""
    (tmp_path / "sales_pipeline.csv").write_text(PIPELINE, encoding="utf-8")
    (tmp_path / "sales_teams.csv").write_text(TEAMS, encoding="utf-8")
    init_workspace(tmp_path / "acme", name="Acme")
    with open_workspace(tmp_path / "acme") as ws:
        import_pipeline(
            ws, tmp_path / "sales_pipeline.csv", "maven-crm", ImportOptions()
        )
    return tmp_path


def test_guide_example_runs(
    acme: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocks = _python_blocks(GUIDE.read_text(encoding="utf-8"))
    assert len(blocks) == 1
    monkeypatch.chdir(acme)
    exec(compile(blocks[0], str(GUIDE), "exec"), {"__name__": "guide"})
    output = capsys.readouterr().out
    assert "'since': '2017-01-01'" in output
    assert f"team win rate: {round(2 / 3, 6)}" in output
    assert "Ann Lee" in output
    assert "error: invalid --by 'colour'" in output
    assert "error: no quotas for --period 2017-Q3" in output
