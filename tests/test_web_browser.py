"""The web app in a real browser: Playwright drives Debian's Chromium.

The test starts ``revarch serve`` on a free loopback port and stops it.
Without Chromium or Playwright it skips, except under CI (CI=true), where it
fails.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from revarch.workspace import open_workspace
from tests.browser import chromium
from tests.web_support import (
    PASSWORD,
    add_users,
    copy_workspace,
    demo_template,  # noqa: F401 - the session fixture
    find_team,
)

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def playwright_api() -> Any:
    """Return Playwright's sync API, or skip (fail under CI) without it."""
    try:
        from playwright import sync_api
    except ImportError:
        reason = "the playwright package is not installed"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason)
        pytest.skip(reason)
    return sync_api


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"revarch serve exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url + "/login", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"revarch serve did not respond at {url} within 60 s")


@pytest.fixture(scope="module")
def server(
    demo_template: Path,  # noqa: F811 - the fixture imported above
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Path]]:
    chromium()
    playwright_api()
    folder = copy_workspace(demo_template, tmp_path_factory.mktemp("browser") / "ws")
    add_users(folder, find_team(folder))
    port = free_port()
    log = (folder.parent / "server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "revarch",
            "-w",
            str(folder),
            "serve",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        yield url, folder
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def page(
    server: tuple[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    api = playwright_api()
    profile = tmp_path_factory.mktemp("chromium-profile")
    with api.sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            str(profile),
            executable_path=chromium(),
            args=FLAGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
        )
        tab = context.new_page()
        tab.set_default_timeout(60_000)
        yield tab
        context.close()


def shoot(page: Any, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def test_browser_flow(
    server: tuple[str, Path],
    page: Any,
    demo_template: Path,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    url, _ = server

    page.goto(url + "/")
    page.fill("#name", "ada")
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(url + "/dashboard")
    assert "week" in page.locator("h1").inner_text()
    frame = page.frame_locator("iframe.report-frame")
    assert frame.locator("svg").first.is_visible()
    shoot(page, tmp_path, "1-dashboard")

    page.goto(url + "/forecasts")
    rows_before = page.locator("#submissions tbody tr").count()
    page.fill("#period", "2025-Q2")
    page.fill("#amount", "98765")
    page.click("#forecast-form button[type=submit]")
    page.wait_for_selector("p.notice")
    assert "Recorded the forecast" in page.locator("p.notice").inner_text()
    assert page.locator("#submissions tbody tr").count() == rows_before + 1
    assert "98,765" in page.locator("#submissions tbody tr").first.inner_text()
    shoot(page, tmp_path, "2-forecast")

    page.goto(url + "/inspection")
    first = page.locator("form.inspect").first
    opportunity = first.get_attribute("id")
    first.locator("select[name=answer-budget]").select_option("no")
    first.locator("button[type=submit]").click()
    page.wait_for_selector("p.notice")
    assert opportunity in page.locator("p.notice").inner_text()
    saved = page.locator(f"form.inspect[id='{opportunity}'] select[name=answer-budget]")
    assert saved.input_value() == "no"
    shoot(page, tmp_path, "3-inspection")

    with_imports = page.request.get(url + "/data.json").json()["imports"]
    broken = tmp_path / "broken-scores.csv"
    broken.write_text(
        "person_id,person_name,kind,skill,assessed_on,score,rater\n"
        "someone,,seller,Hunting,2025-03-20,not-a-score,\n",
        encoding="utf-8",
    )
    page.goto(url + "/data/upload")
    page.select_option("#kind", "assessments")
    page.set_input_files("#files", str(broken))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#error-files")
    assert "not-a-score" in page.locator("#error-files").inner_text()
    assert "nothing was changed" in page.content()
    shoot(page, tmp_path, "4-upload-error")
    assert page.request.get(url + "/data.json").json()["imports"] == with_imports
    with open_workspace(demo_template) as workspace:
        assert len(with_imports) == len(workspace.store.list_imports())
