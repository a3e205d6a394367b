"""Every page of the web app and its JSON twin, through a real client, by role."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from revarch.leadership import build_one_on_one, compute_inspection, list_forecasts
from revarch.leadership.people import People
from revarch.report.build import build_report
from revarch.web import WebConfig, create_app
from revarch.web.render import jsonable
from revarch.workspace import open_workspace
from tests.web_support import (
    PASSWORD,
    Team,
    add_users,
    assert_same,
    copy_workspace,
    demo_template,  # noqa: F401 - the session fixture
    find_team,
    login,
)

FUNNEL_MEASURES = {
    "reached": "reached",
    "advanced": "advanced",
    "lost": "lost",
    "still_open": "open",
}
PAGES = [
    "/dashboard",
    "/sellers",
    "/process",
    "/process/definition",
    "/talent",
    "/diagnosis",
    "/diagnosis/roadmap",
    "/diagnosis/audits",
    "/forecasts",
    "/inspection",
    "/comp",
    "/data",
]


@dataclass
class Site:
    folder: Path
    team: Team
    app: object

    def client(self, user: str | None = None) -> TestClient:
        client = TestClient(self.app)
        if user is not None:
            login(client, user)
        return client


@pytest.fixture(scope="module")
def site(
    demo_template: Path,  # noqa: F811 - the fixture imported above
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Site]:
    folder = copy_workspace(demo_template, tmp_path_factory.mktemp("web") / "ws")
    team = find_team(folder)
    add_users(folder, team)
    app = create_app(WebConfig(workspace=folder))
    with TestClient(app):
        yield Site(folder, team, app)


@pytest.fixture(scope="module")
def admin(site: Site) -> TestClient:
    return site.client("ada")


@pytest.mark.parametrize("path", PAGES)
def test_page_and_json_twin(admin: TestClient, path: str) -> None:
    page = admin.get(path)
    assert page.status_code == 200, page.text[:500]
    assert page.headers["content-type"].startswith("text/html")
    assert f'href="{path}.json' in page.text
    twin = admin.get(f"{path}.json")
    assert twin.status_code == 200, twin.text[:500]
    assert twin.headers["content-type"] == "application/json"
    assert isinstance(twin.json(), dict)


def test_dashboard_json_is_report(site: Site, admin: TestClient) -> None:
    data = admin.get("/dashboard.json").json()
    with open_workspace(site.folder) as workspace:
        expected = build_report(workspace, generated_at=data["generated_at"])
    assert_same(data, json.loads(json.dumps(jsonable(expected))))


def test_dashboard_week_picker(admin: TestClient) -> None:
    week = admin.get("/dashboard.json?week=2025-W10").json()
    assert week["week"]["id"] == "2025-W10"
    page = admin.get("/dashboard?week=2025-W10").text
    assert '<option value="2025-W10" selected>' in page
    assert 'src="/dashboard/report?week=2025-W10"' in page


def test_dashboard_printable_report(admin: TestClient) -> None:
    page = admin.get("/dashboard/report?week=2025-W10")
    assert page.status_code == 200
    assert "week 2025-W10" in page.text
    assert "<svg" in page.text


def test_dashboard_invalid_week(admin: TestClient) -> None:
    response = admin.get("/dashboard.json?week=2025-W99")
    assert response.status_code == 400
    assert "2025-W99" in response.json()["detail"]
    assert "invalid week '2025-W99'" in response.json()["detail"]
    assert "--week" not in response.json()["detail"]
    page = admin.get("/dashboard?week=2025-W99")
    assert page.status_code == 400
    assert "2025-W99" in page.text


def test_seller_page_is_one_on_one(site: Site, admin: TestClient) -> None:
    seller = site.team.seller
    data = admin.get(f"/sellers/{seller}.json").json()
    with open_workspace(site.folder) as workspace:
        expected = build_one_on_one(workspace, seller)
    assert_same(data, json.loads(json.dumps(jsonable(expected))))
    page = admin.get(f"/sellers/{seller}").text
    assert expected["seller_name"] in page
    assert expected["week"]["id"] in page


def test_seller_unknown_id(admin: TestClient) -> None:
    response = admin.get("/sellers/no-such-id.json")
    assert response.status_code == 404
    assert "no-such-id" in response.json()["detail"]


def test_sellers_list_matches_table(site: Site, admin: TestClient) -> None:
    rows = admin.get("/sellers.json").json()["rows"]
    with open_workspace(site.folder) as workspace:
        people = People.read(workspace)
    assert {r["seller"] for r in rows} == {p.id for p in people.sellers()}


def test_process_drilldown_counts(admin: TestClient) -> None:
    data = admin.get("/process.json").json()
    for stage in data["velocity"]["stages"]:
        listed = admin.get(
            f"/process/opportunities.json?stage={stage['stage']}&measure=visits"
        ).json()
        assert listed["count"] == len(listed["rows"])
        assert {r["stage"] for r in listed["rows"]} <= {stage["stage"]}
        assert sum(r["visits"] for r in listed["rows"]) >= stage["visits"]
    for stage in data["stalls"]["stages"]:
        listed = admin.get(
            f"/process/opportunities.json?stage={stage['stage']}&measure=stalled"
        ).json()
        assert listed["count"] == stage["stalled"]


def test_process_funnel_drilldown_counts(admin: TestClient) -> None:
    data = admin.get("/process.json").json()
    for stage in data["funnel"]["stages"]:
        for measure, key in FUNNEL_MEASURES.items():
            listed = admin.get(
                f"/process/opportunities.json?stage={stage['stage']}&measure={measure}"
            ).json()
            assert listed["count"] == stage[key], (stage["stage"], measure)
            ids = [row["id"] for row in listed["rows"]]
            assert len(ids) == len(set(ids))
    first = data["funnel"]["stages"][0]
    page = admin.get(f"/process/opportunities?stage={first['stage']}&measure=lost")
    assert page.status_code == 200
    listed = admin.get(
        f"/process/opportunities.json?stage={first['stage']}&measure=lost"
    ).json()
    for row in listed["rows"][:5]:
        assert str(escape(row["name"] or row["id"])) in page.text


def test_process_transition_drilldown_counts(admin: TestClient) -> None:
    data = admin.get("/process.json").json()
    for move in data["transitions"]["transitions"][:6]:
        listed = admin.get(
            f"/process/opportunities.json?stage={move['from']}&measure=moves"
            f"&to={move['to']}"
        ).json()
        assert listed["count"] == move["count"], move
    page = admin.get("/process").text
    assert "measure=moves&amp;to=" in page
    response = admin.get("/process/opportunities.json?stage=x&measure=moves")
    assert response.status_code == 404
    first = data["funnel"]["stages"][0]["stage"]
    response = admin.get(f"/process/opportunities.json?stage={first}&measure=moves")
    assert response.status_code == 400
    assert "measure=moves needs the stage moved to" in response.text


def test_process_drilldown_unknown_stage(admin: TestClient) -> None:
    response = admin.get("/process/opportunities.json?stage=nope&measure=reached")
    assert response.status_code == 404
    assert "stage 'nope' not found" in response.text


def test_process_page_links_numbers(admin: TestClient) -> None:
    page = admin.get("/process").text
    assert "/process/opportunities?stage=" in page
    for measure in ("visits", *FUNNEL_MEASURES):
        assert f"measure={measure}" in page


def test_forecasts_json_lists_submissions(site: Site, admin: TestClient) -> None:
    data = admin.get("/forecasts.json").json()
    with open_workspace(site.folder) as workspace:
        stored = list_forecasts(workspace)
    assert len(data["submissions"]) == len(stored)
    assert data["accuracy"]["managers"]


def test_inspection_json_rows(site: Site, admin: TestClient) -> None:
    data = admin.get("/inspection.json").json()
    with open_workspace(site.folder) as workspace:
        expected = compute_inspection(workspace).to_dict()
    assert [r["id"] for r in data["rows"]] == [r["id"] for r in expected["rows"]]


def test_openapi_lists_json_twins(admin: TestClient) -> None:
    paths = admin.get("/openapi.json").json()["paths"]
    for path in PAGES:
        assert f"{path}.json" in paths
        assert path not in paths
    assert "/sellers/{seller}.json" in paths


def test_static_css_served(admin: TestClient) -> None:
    response = admin.get("/static/app.css")
    assert response.status_code == 200
    assert "text/css" in response.headers["content-type"]


def test_pages_reference_no_outside_asset(admin: TestClient) -> None:
    for path in PAGES:
        page = admin.get(path).text
        assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert "https://" not in page


# -- roles ----------------------------------------------------------------------


def test_anonymous_html_redirects_to_login(site: Site) -> None:
    response = site.client().get("/dashboard", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/dashboard"


def test_anonymous_json_is_401(site: Site) -> None:
    response = site.client().get("/dashboard.json")
    assert response.status_code == 401


def test_seller_sees_own_page(site: Site) -> None:
    client = site.client("sam")
    assert client.get(f"/sellers/{site.team.seller}").status_code == 200
    assert client.get(f"/sellers/{site.team.seller}.json").status_code == 200
    home = client.get("/", follow_redirects=False)
    assert home.headers["location"] == f"/sellers/{site.team.seller}"


def test_seller_other_page_forbidden(site: Site) -> None:
    client = site.client("sam")
    assert client.get(f"/sellers/{site.team.outsider}").status_code == 403
    assert client.get(f"/sellers/{site.team.outsider}.json").status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_seller_other_pages_forbidden(site: Site, path: str) -> None:
    client = site.client("otto")
    assert client.get(path).status_code == 403
    assert client.get(f"{path}.json").status_code == 403


def test_manager_sees_team_only(site: Site) -> None:
    client = site.client("max")
    assert client.get(f"/sellers/{site.team.seller}.json").status_code == 200
    assert client.get(f"/sellers/{site.team.outsider}.json").status_code == 403
    rows = client.get("/sellers.json").json()["rows"]
    assert site.team.outsider not in {r["seller"] for r in rows}
    assert site.team.seller in {r["seller"] for r in rows}


def test_manager_forecasts_own_rows(site: Site) -> None:
    data = site.client("max").get("/forecasts.json").json()
    assert {r["manager_id"] for r in data["submissions"]} <= {site.team.manager}
    assert {m["id"] for m in data["managers"]} == {site.team.manager}


def test_manager_cannot_upload(site: Site) -> None:
    assert site.client("max").get("/data/upload").status_code == 403


def test_manager_inspection_team_only(site: Site, admin: TestClient) -> None:
    with open_workspace(site.folder) as workspace:
        team = People.read(workspace).team_of(site.team.manager) | {site.team.manager}
    rows = site.client("max").get("/inspection.json").json()["rows"]
    assert {r["seller"] for r in rows} <= team


# -- sessions and headers ---------------------------------------------------------


def test_login_wrong_password(site: Site) -> None:
    client = site.client()
    page = client.get("/login").text
    from tests.web_support import csrf_from

    response = client.post(
        "/login",
        data={"name": "ada", "password": "wrong", "csrf_token": csrf_from(page)},
    )
    assert response.status_code == 400
    assert "unknown name or wrong password" in response.text
    assert client.get("/dashboard.json").status_code == 401


def test_login_throttled_after_failures(site: Site) -> None:
    client = site.client()
    from tests.web_support import csrf_from

    token = csrf_from(client.get("/login").text)
    for _ in range(5):
        client.post(
            "/login", data={"name": "max", "password": "x", "csrf_token": token}
        )
    response = client.post(
        "/login", data={"name": "max", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 400
    assert "too many failed attempts" in response.text


def test_login_without_csrf_rejected(site: Site) -> None:
    response = site.client().post("/login", data={"name": "ada", "password": PASSWORD})
    assert response.status_code == 403


def test_login_next_stays_local(site: Site) -> None:
    client = site.client()
    from tests.web_support import csrf_from

    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login",
        data={
            "name": "ada",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_session_cookie_flags(site: Site) -> None:
    client = site.client()
    response = client.get("/login")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie


def test_session_cookie_secure_with_tls(site: Site) -> None:
    app = create_app(WebConfig(workspace=site.folder, tls=True))
    cookie = TestClient(app).get("/login").headers["set-cookie"].lower()
    assert "; secure" in cookie


def test_forged_cookie_ignored(site: Site) -> None:
    client = site.client()
    client.cookies.set("revarch_session", "eyJ1IjoiYWRhIn0.forged.sig")
    assert client.get("/dashboard.json").status_code == 401


def test_logout_ends_session(site: Site) -> None:
    client = site.client("ada")
    from tests.web_support import csrf_from

    token = csrf_from(client.get("/sellers").text)
    client.post("/logout", data={"csrf_token": token})
    assert client.get("/dashboard.json").status_code == 401


def test_security_headers(admin: TestClient) -> None:
    headers = admin.get("/sellers").headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_login_page_escapes_next(site: Site) -> None:
    page = site.client().get('/login?next=/"><script>alert(1)</script>').text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page or "&#34;&gt;&lt;script" in page
