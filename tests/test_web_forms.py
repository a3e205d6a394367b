"""The web forms: valid input is stored; invalid input shows errors, stores nothing."""

from __future__ import annotations

import html
import io
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from revarch.diagnosis.answers import load_respondents
from revarch.framework import FUNCTIONS
from revarch.leadership import list_forecasts
from revarch.leadership.inspection import latest_answers
from revarch.web import WebConfig, create_app
from revarch.workspace import open_workspace
from tests.web_support import (
    add_users,
    copy_workspace,
    csrf_from,
    demo_template,  # noqa: F401 - the session fixture
    find_team,
    login,
)


@pytest.fixture(scope="module")
def folder(
    demo_template: Path,  # noqa: F811 - the fixture imported above
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    target = copy_workspace(demo_template, tmp_path_factory.mktemp("forms") / "ws")
    add_users(target, find_team(target))
    return target


@pytest.fixture(scope="module")
def client(folder: Path) -> Iterator[TestClient]:
    app = create_app(WebConfig(workspace=folder))
    with TestClient(app) as client:
        login(client, "ada")
        yield client


def snapshot(folder: Path) -> dict[str, Any]:
    """Return every imported table and the records people enter."""
    with open_workspace(folder) as workspace:
        store = workspace.store
        state = dict(store.snapshot())
        for table in (
            "forecasts",
            "inspection_answers",
            "diagnosis_answers",
            "imports",
        ):
            state[table] = store.count(table)
    state["yaml"] = (folder / "revarch.yaml").read_text(encoding="utf-8")
    return state


def token(client: TestClient, path: str) -> str:
    return csrf_from(client.get(path).text)


# -- forecasts --------------------------------------------------------------------


def test_forecast_valid_recorded(client: TestClient, folder: Path) -> None:
    manager = client.get("/forecasts.json").json()["managers"][0]["id"]
    with open_workspace(folder) as workspace:
        before = len(list_forecasts(workspace, manager=manager))
    response = client.post(
        "/forecasts",
        data={
            "csrf_token": token(client, "/forecasts"),
            "manager": manager,
            "period": "2025-Q2",
            "amount": "123,456",
        },
    )
    assert response.status_code == 200
    assert "Recorded the forecast" in response.text
    # 2025-Q2 closed before the demo's as-of date, so the forecast is late.
    assert "Warning:" in response.text
    assert "late" in response.text
    with open_workspace(folder) as workspace:
        rows = list_forecasts(workspace, manager=manager)
    assert len(rows) == before + 1
    assert rows[-1]["period"] == "2025-Q2"
    assert rows[-1]["amount"] == 123456.0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "lots", "invalid amount 'lots'"),
        ("amount", "-5", "use a number of 0 or more"),
        ("amount", "1e308", "above 1,000,000,000,000"),
        ("period", "2025-Q9", "invalid period '2025-Q9'"),
        ("currency", "dollars", "invalid currency 'dollars'"),
        ("period", "", "missing; fill it in"),
    ],
    ids=[
        "amount-text",
        "amount-negative",
        "amount-huge",
        "period-invalid",
        "currency",
        "period-empty",
    ],
)
def test_forecast_invalid_nothing_saved(
    client: TestClient, folder: Path, field: str, value: str, message: str
) -> None:
    manager = client.get("/forecasts.json").json()["managers"][0]["id"]
    data = {"manager": manager, "period": "2025-Q2", "amount": "1000", field: value}
    before = snapshot(folder)
    response = client.post(
        "/forecasts", data={**data, "csrf_token": token(client, "/forecasts")}
    )
    assert response.status_code == 400
    error = response.text.split(f'id="error-{field}"', 1)
    assert len(error) == 2, response.text
    assert message in html.unescape(error[1].split("</p>", 1)[0])
    assert snapshot(folder) == before


def test_forecast_without_csrf_rejected(client: TestClient, folder: Path) -> None:
    before = snapshot(folder)
    response = client.post(
        "/forecasts", data={"manager": "x", "period": "2025-Q2", "amount": "1"}
    )
    assert response.status_code == 403
    assert snapshot(folder) == before


def test_forecast_manager_submits_own(folder: Path) -> None:
    app = create_app(WebConfig(workspace=folder))
    team = find_team(folder)
    with TestClient(app) as manager:
        login(manager, "max")
        others = [m for m in manager.get("/forecasts.json").json()["managers"]]
        assert [m["id"] for m in others] == [team.manager]
        response = manager.post(
            "/forecasts",
            data={
                "csrf_token": token(manager, "/forecasts"),
                "manager": "someone-else",
                "period": "2025-Q2",
                "amount": "5000",
            },
        )
    assert response.status_code == 200
    with open_workspace(folder) as workspace:
        rows = list_forecasts(workspace)
    assert (
        rows
        and max(rows, key=lambda r: r["submitted_at"])["manager_id"] == team.manager
    )


def test_forecast_value_escaped(client: TestClient) -> None:
    response = client.post(
        "/forecasts",
        data={
            "csrf_token": token(client, "/forecasts"),
            "manager": "x",
            "period": "<script>alert(1)</script>",
            "amount": "1",
        },
    )
    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


# -- inspection -------------------------------------------------------------------


def test_inspection_answer_recorded(client: TestClient, folder: Path) -> None:
    row = client.get("/inspection.json").json()["rows"][0]
    response = client.post(
        "/inspection/answers",
        data={
            "csrf_token": token(client, "/inspection"),
            "opportunity": row["id"],
            "answer-budget": "no",
            "answer-timeline": "yes",
        },
    )
    assert response.status_code == 200
    with open_workspace(folder) as workspace:
        answers = latest_answers(workspace)
    assert answers[(row["id"], "budget")]["answer"] == "no"
    assert answers[(row["id"], "timeline")]["answer"] == "yes"
    assert answers[(row["id"], "budget")]["answered_by"] == "ada"
    shown = client.get("/inspection.json").json()["rows"]
    again = next(r for r in shown if r["id"] == row["id"])
    assert again["answers"]["budget"] == "no"


def test_inspection_invalid_nothing_saved(client: TestClient, folder: Path) -> None:
    row = client.get("/inspection.json").json()["rows"][0]
    before = snapshot(folder)
    response = client.post(
        "/inspection/answers",
        data={
            "csrf_token": token(client, "/inspection"),
            "opportunity": row["id"],
            "answer-reason": "yes",
            "answer-budget": "maybe",
        },
    )
    assert response.status_code == 400
    assert f'id="error-{row["id"]}-budget"' in response.text
    assert "invalid answer &#39;maybe&#39;" in response.text
    assert snapshot(folder) == before


def test_inspection_unlisted_opportunity(client: TestClient, folder: Path) -> None:
    before = snapshot(folder)
    response = client.post(
        "/inspection/answers",
        data={
            "csrf_token": token(client, "/inspection"),
            "opportunity": "006nothing",
            "answer-budget": "yes",
        },
    )
    assert response.status_code == 403
    assert snapshot(folder) == before


# -- diagnosis questionnaire ------------------------------------------------------


def answers_for(number: int) -> dict[str, str]:
    return {
        "function": str(number),
        "role": "sales leader",
        "formal_process": "yes" if number % 2 else "no",
        "depends_on_one_person": "no",
        "measured": "yes",
        "rating": str(1 + number % 5),
        "notes": f"notes for {number}",
    }


def test_questionnaire_invalid_nothing_saved(client: TestClient, folder: Path) -> None:
    before = snapshot(folder)
    data = {**answers_for(1), "rating": "7", "measured": ""}
    response = client.post(
        "/diagnosis/questionnaire",
        data={**data, "csrf_token": token(client, "/diagnosis/questionnaire")},
    )
    assert response.status_code == 400
    assert 'id="error-rating"' in response.text
    assert 'id="error-measured"' in response.text
    assert snapshot(folder) == before


def test_questionnaire_resumes_and_completes(client: TestClient, folder: Path) -> None:
    for number in (1, 2):
        response = client.post(
            "/diagnosis/questionnaire",
            data={
                **answers_for(number),
                "csrf_token": token(client, "/diagnosis/questionnaire"),
            },
        )
        assert response.status_code == 200
    page = client.get("/diagnosis/questionnaire").text
    assert f"#3 {FUNCTIONS[2].name}" in page
    with open_workspace(folder) as workspace:
        person = next(r for r in load_respondents(workspace) if r.name == "ada")
    assert not person.complete
    assert sorted(person.answers) == [1, 2]
    assert person.answers[2].rating == 3
    for function in FUNCTIONS[2:]:
        client.post(
            "/diagnosis/questionnaire",
            data={
                **answers_for(function.number),
                "csrf_token": token(client, "/diagnosis/questionnaire"),
            },
        )
    assert "is complete" in client.get("/diagnosis/questionnaire").text
    respondents = client.get("/diagnosis.json").json()["respondents"]
    assert ("ada", True) in [(r["name"], r["complete"]) for r in respondents]


def test_questionnaire_stale_function(client: TestClient, folder: Path) -> None:
    before = snapshot(folder)
    response = client.post(
        "/diagnosis/questionnaire",
        data={
            **answers_for(5),
            "function": "99",
            "csrf_token": token(client, "/diagnosis/questionnaire"),
        },
    )
    assert response.status_code == 409
    assert snapshot(folder) == before


# -- process definition -----------------------------------------------------------


def definition_form(client: TestClient) -> dict[str, str]:
    """Return the form's current values, as a browser would submit them."""
    process = client.get("/process/definition.json").json()["process"]
    data = {"csrf_token": token(client, "/process/definition")}
    for index, stage in enumerate(process["stages"]):
        prefix = f"stages-{index}-"
        data[prefix + "id"] = stage["id"]
        data[prefix + "label"] = stage["label"]
        data[prefix + "aliases"] = ", ".join(stage["aliases"])
        data[prefix + "entry_criteria"] = "\n".join(stage["entry_criteria"])
        data[prefix + "exit_criteria"] = "\n".join(stage["exit_criteria"])
        data[prefix + "required_activities"] = "\n".join(
            " | ".join([a["name"], a["type"] or "", ", ".join(a["subject_contains"])])
            for a in stage["required_activities"]
        )
        data[prefix + "expected_conversion"] = str(stage["expected_conversion"] or "")
        data[prefix + "expected_days"] = str(stage["expected_days"] or "")
    for key in ("won_labels", "lost_labels", "pipelines"):
        data[key] = ", ".join(process[key])
    return data


def test_definition_saved(client: TestClient, folder: Path) -> None:
    data = definition_form(client)
    data["stages-1-expected_days"] = "21.5"
    data["stages-1-exit_criteria"] = "Budget confirmed\nChampion named"
    response = client.post("/process/definition", data=data)
    assert response.status_code == 200
    assert "Saved the process" in response.text
    settings = yaml.safe_load((folder / "revarch.yaml").read_text(encoding="utf-8"))
    stage = settings["process"]["stages"][1]
    assert stage["expected_days"] == 21.5
    assert stage["exit_criteria"] == ["Budget confirmed", "Champion named"]
    assert "Process check" in response.text


def test_definition_round_trip_unchanged(client: TestClient, folder: Path) -> None:
    before = yaml.safe_load((folder / "revarch.yaml").read_text(encoding="utf-8"))
    response = client.post("/process/definition", data=definition_form(client))
    assert response.status_code == 200
    after = yaml.safe_load((folder / "revarch.yaml").read_text(encoding="utf-8"))
    assert after["process"] == before["process"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("stages-2-expected_conversion", "1.5", "less than or equal to 1"),
        ("stages-0-id", "Bad Id", "should match pattern"),
        ("stages-3-expected_days", "soon", "valid number"),
        ("stages-1-required_activities", "Call | telegram", "activity 1, type"),
    ],
    ids=["conversion", "id", "days", "activity-type"],
)
def test_definition_invalid_nothing_saved(
    client: TestClient, folder: Path, field: str, value: str, message: str
) -> None:
    data = definition_form(client)
    data[field] = value
    before = (folder / "revarch.yaml").read_bytes()
    response = client.post("/process/definition", data=data)
    assert response.status_code == 400
    after_field = response.text.split(f'id="error-{field}"', 1)
    assert len(after_field) == 2, response.text[:2000]
    assert message in html.unescape(after_field[1].split("</p>", 1)[0])
    assert f'value="{value}"' in response.text or value in response.text
    assert (folder / "revarch.yaml").read_bytes() == before


def test_definition_manager_cannot_save(folder: Path) -> None:
    app = create_app(WebConfig(workspace=folder))
    with TestClient(app) as manager:
        login(manager, "max")
        before = (folder / "revarch.yaml").read_bytes()
        response = manager.post(
            "/process/definition", data={"csrf_token": token(manager, "/sellers")}
        )
    assert response.status_code == 403
    assert (folder / "revarch.yaml").read_bytes() == before


# -- uploads ----------------------------------------------------------------------


def wait_for(client: TestClient, location: str) -> dict[str, Any]:
    """Poll an import job until it ends; return its JSON."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = client.get(f"{location}.json").json()
        if job["status"] != "running":
            return job
        time.sleep(0.2)
    raise AssertionError(f"the import at {location} did not end in 120 s")


def upload(
    client: TestClient, kind: str, files: list[tuple[str, bytes]], **fields: str
):
    data = {"csrf_token": token(client, "/data/upload"), "kind": kind, **fields}
    parts = [("files", (name, body, "text/csv")) for name, body in files]
    return client.post("/data/upload", data=data, files=parts, follow_redirects=False)


ASSESSMENT_HEADER = "person_id,person_name,kind,skill,assessed_on,score,rater\n"


def test_upload_assessments_imported(client: TestClient, folder: Path) -> None:
    team = find_team(folder)
    body = ASSESSMENT_HEADER + f"{team.seller},,seller,Hunting,2025-03-20,88,\n"
    response = upload(client, "assessments", [("new-scores.csv", body.encode())])
    assert response.status_code == 303
    job = wait_for(client, response.headers["location"])
    assert job["status"] == "done", job
    assert job["result"]["inserted"] == 1
    page = client.get(response.headers["location"]).text
    assert "1 inserted" in page
    imports = client.get("/data.json").json()["imports"]
    assert imports[-1]["import_source"] == "assessments:new-scores.csv"
    assert not list((folder / ".uploads").glob("*/*"))


def test_upload_broken_file_nothing_changed(client: TestClient, folder: Path) -> None:
    team = find_team(folder)
    body = ASSESSMENT_HEADER + f"{team.seller},,seller,Hunting,2025-03-31,lots,\n"
    before = snapshot(folder)
    response = upload(client, "assessments", [("broken.csv", body.encode())])
    job = wait_for(client, response.headers["location"])
    assert job["status"] == "failed"
    assert "lots" in job["error"]
    assert str(folder) not in job["error"]
    page = client.get(response.headers["location"]).text
    assert 'id="error-files"' in page
    assert "nothing was changed" in page
    assert snapshot(folder) == before


def test_upload_salesforce_zip_reimport(client: TestClient, folder: Path) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted((folder / "export").glob("*.csv")):
            if path.name != "assessments.csv":
                bundle.write(path, f"export/{path.name}")
    before = snapshot(folder)
    response = upload(client, "salesforce", [("export.zip", archive.getvalue())])
    job = wait_for(client, response.headers["location"])
    assert job["status"] == "done", job
    assert job["result"]["source"] == "salesforce:export"
    assert job["result"]["inserted"] == 0
    assert job["result"]["deleted"] == 0
    after = snapshot(folder)
    assert after["imports"] == before["imports"] + 1
    assert {k: v for k, v in after.items() if k != "imports"} == {
        k: v for k, v in before.items() if k != "imports"
    }


@pytest.mark.parametrize(
    ("kind", "files", "field", "message"),
    [
        ("assessments", [], "files", "no file chosen"),
        ("assessments", [("a.txt", b"x")], "files", "is not a .csv or .zip file"),
        ("nonsense", [("a.csv", b"x")], "kind", "invalid kind"),
        ("assessments", [("a.csv", b"x"), ("b.csv", b"y")], "files", "exactly one CSV"),
        ("pipeline", [("a.csv", b"x")], "mapping", "choose a preset"),
    ],
    ids=["no-file", "not-csv", "kind", "two-files", "no-mapping"],
)
def test_upload_form_errors(
    client: TestClient,
    folder: Path,
    kind: str,
    files: list[tuple[str, bytes]],
    field: str,
    message: str,
) -> None:
    before = snapshot(folder)
    response = upload(client, kind, files)
    assert response.status_code == 400
    error = response.text.split(f'id="error-{field}"', 1)
    assert len(error) == 2
    assert message in html.unescape(error[1].split("</p>", 1)[0])
    assert snapshot(folder) == before


def test_upload_zip_traversal_rejected(client: TestClient, folder: Path) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("../../escape.csv", "a,b\n1,2\n")
    before = snapshot(folder)
    response = upload(client, "csv", [("evil.zip", archive.getvalue())])
    assert response.status_code == 400
    assert "points outside the upload" in response.text
    assert not (folder.parent / "escape.csv").exists()
    assert not (folder / "escape.csv").exists()
    assert snapshot(folder) == before


def test_upload_name_cannot_escape(client: TestClient, folder: Path) -> None:
    body = ASSESSMENT_HEADER + "x,,seller,Hunting,2025-03-31,lots,\n"
    response = upload(client, "assessments", [("../../../outside.csv", body.encode())])
    wait_for(client, response.headers["location"])
    assert not (folder.parent / "outside.csv").exists()
    assert not (folder.parents[1] / "outside.csv").exists()


def test_upload_over_limit_413(folder: Path) -> None:
    app = create_app(WebConfig(workspace=folder, max_upload_bytes=1024))
    with TestClient(app) as small:
        login(small, "ada")
        before = snapshot(folder)
        response = upload(small, "assessments", [("big.csv", b"x" * 5000)])
    assert response.status_code == 413
    assert snapshot(folder) == before


@pytest.mark.realdata
def test_upload_pipeline_with_sellers_file(tmp_path: Path) -> None:
    from revarch.workspace import init_workspace
    from tests.conftest import real_data

    source = real_data("maven-crm-opportunities")
    init_workspace(tmp_path / "ws", name="Maven")
    app = create_app(WebConfig(workspace=tmp_path / "ws"))
    files = [
        (name, (source / name).read_bytes())
        for name in ("sales_pipeline.csv", "sales_teams.csv")
    ]
    with open((source / "sales_pipeline.csv"), newline="", encoding="utf-8") as handle:
        rows = sum(1 for _ in handle) - 1
    with TestClient(app) as local:
        response = upload(local, "pipeline", files, mapping="maven-crm")
        assert response.status_code == 303, response.text[:500]
        job = wait_for(local, response.headers["location"])
    assert job["status"] == "done", job
    assert job["result"]["importer"] == "pipeline"
    assert job["result"]["source"] == "pipeline:sales_pipeline.csv"
    tables = {t["table"]: t for t in job["result"]["tables"]}
    assert tables["opportunities"]["inserted"] == rows
