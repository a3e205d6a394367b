"""The JSON API against its own OpenAPI document, with Schemathesis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from revarch.web import WebConfig, create_app
from tests.web_support import copy_workspace, demo_template  # noqa: F401

EXAMPLES = 12
# A value of the right type can still name nothing (week 2025-W99, an unknown
# pipeline, stage or seller): the API returns 400 or 404 with the reason, as
# its document lists. So a schema-valid request may get 2xx, 400 or 404, and
# anything else (a 422 the schema did not announce, a 5xx) fails.
# The first dashboard request builds the week's report, which takes seconds
# on a busy 2-core machine, so requests may take longer than the default 10 s.
CONFIG = """
request-timeout = 120

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "404"]
"""


@pytest.fixture(scope="module")
def app(
    demo_template: Path,  # noqa: F811 - the fixture imported above
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Any]:
    """The app on a copy of the demo, without users (loopback, local admin)."""
    folder = copy_workspace(demo_template, tmp_path_factory.mktemp("api") / "ws")
    application = create_app(WebConfig(workspace=folder))
    with TestClient(application):
        yield application


@pytest.fixture(scope="module")
def api_schema(app: Any) -> Any:
    config = schemathesis.config.SchemathesisConfig.from_str(CONFIG)
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=config)


def test_api_conforms(api_schema: Any) -> None:
    """Call every JSON operation with generated parameters; every check passes."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 14
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            case.call_and_validate()

        check()


def test_openapi_document(app: Any) -> None:
    document = TestClient(app).get("/openapi.json").json()
    assert document["info"]["title"] == "revarch"
    operations = [op for path in document["paths"].values() for op in path.values()]
    assert all(op.get("summary") for op in operations)
    assert len(document["paths"]) >= 14
