"""Print HTML to PDF with Debian's headless Chromium, for page-count tests."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-pdf-header-footer",
)


def chromium() -> str:
    """Return the Chromium executable, or skip (fail under CI) without it."""
    path = shutil.which("chromium")
    if path:
        return path
    reason = "Debian's chromium package is not installed (apt-get install chromium)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason)
    pytest.skip(reason)


def print_pdf(html: Path, pdf: Path, *, paper: str | None = None) -> Path:
    """Print ``html`` to ``pdf``; ``paper`` ('A4' or 'letter') forces the page size."""
    source = html
    if paper is not None:
        text = html.read_text(encoding="utf-8")
        page = f"@page {{ size: {paper} landscape;"
        text = text.replace("@page { size: landscape;", page)
        source = html.with_name(f"{html.stem}-{paper}.html")
        source.write_text(text, encoding="utf-8")
    profile = pdf.parent / f"chromium-profile-{pdf.stem}"
    subprocess.run(
        [
            chromium(),
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={pdf}",
            source.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return pdf


def count_pages(pdf: Path) -> int:
    """Count the page objects of a PDF file."""
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
