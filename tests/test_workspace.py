"""Creating, opening and validating workspaces."""

from __future__ import annotations

from pathlib import Path

import pytest

from revarch.config import read_settings
from revarch.errors import ConfigError, InputError, WorkspaceNotFoundError
from revarch.workspace import init_workspace, open_workspace


def test_init_writes_settings_and_database(tmp_path: Path) -> None:
    init_workspace(
        tmp_path / "acme", name="Acme", currency="EUR", timezone="Europe/Berlin"
    )
    ws = open_workspace(tmp_path / "acme")
    assert ws.settings.company.name == "Acme"
    assert ws.settings.company.currency == "EUR"
    assert ws.settings.company.timezone == "Europe/Berlin"
    assert ws.settings.thresholds.inspection_min_amount == 50_000
    assert ws.store.count("opportunities") == 0
    ws.close()
    assert (tmp_path / "acme" / "revarch.duckdb").is_file()


def test_init_refuses_existing_workspace(tmp_path: Path) -> None:
    init_workspace(tmp_path / "acme")
    with pytest.raises(InputError, match="already a workspace"):
        init_workspace(tmp_path / "acme")


def test_open_outside_workspace_names_init(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceNotFoundError, match="revarch init"):
        open_workspace(tmp_path)


def test_unknown_key_names_file_and_key(tmp_path: Path) -> None:
    init_workspace(tmp_path / "acme")
    config = tmp_path / "acme" / "revarch.yaml"
    config.write_text(config.read_text() + "\nsurprise: 1\n")
    with pytest.raises(ConfigError) as caught:
        read_settings(config)
    message = str(caught.value)
    assert str(config) in message
    assert "surprise: unknown key" in message


def test_invalid_value_lists_allowed_values(tmp_path: Path) -> None:
    init_workspace(tmp_path / "acme")
    config = tmp_path / "acme" / "revarch.yaml"
    text = config.read_text().replace("measure: bookings", "measure: vibes")
    config.write_text(text)
    with pytest.raises(ConfigError) as caught:
        read_settings(config)
    message = str(caught.value)
    assert "performance.measure" in message
    assert "'bookings' or 'attainment'" in message
    assert "'vibes'" in message


def test_as_of_accepts_unquoted_date(tmp_path: Path) -> None:
    import datetime as dt

    init_workspace(tmp_path / "acme")
    config = tmp_path / "acme" / "revarch.yaml"
    config.write_text(config.read_text().replace("as_of: null", "as_of: 2025-02-28"))
    assert read_settings(config).as_of == dt.date(2025, 2, 28)


def test_as_of_rejects_impossible_date(tmp_path: Path) -> None:
    init_workspace(tmp_path / "acme")
    config = tmp_path / "acme" / "revarch.yaml"
    config.write_text(config.read_text().replace("as_of: null", "as_of: '2025-02-30'"))
    with pytest.raises(ConfigError, match="as_of"):
        read_settings(config)


def test_binary_settings_file_is_an_error(tmp_path: Path) -> None:
    init_workspace(tmp_path / "acme")
    config = tmp_path / "acme" / "revarch.yaml"
    config.write_bytes(b"\xff\xfe\x00garbage\x81")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        read_settings(config)


def test_init_on_a_file_is_an_error(tmp_path: Path) -> None:
    target = tmp_path / "afile"
    target.write_text("x")
    with pytest.raises(InputError, match="is a file, not a folder"):
        init_workspace(target)
