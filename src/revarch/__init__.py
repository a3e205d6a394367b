"""revarch: the SMARTSCALING revenue system on a company's own CRM data."""

from __future__ import annotations

import importlib
from typing import Any

from revarch.workspace import Workspace, init_workspace, open_workspace

__version__ = "0.1.0"

# Analyses are imported on first use, so `import revarch` (and the CLI's
# start) does not load Ibis and DuckDB.
_ANALYSES = {
    "compute_metrics": "revarch.metrics",
    "compute_coverage": "revarch.metrics",
    "compute_funnel": "revarch.process",
    "compute_transitions": "revarch.process",
    "compute_velocity": "revarch.process",
    "compute_stalls": "revarch.process",
    "compute_trend": "revarch.process",
}

__all__ = [
    "Workspace",
    "__version__",
    "init_workspace",
    "open_workspace",
    *_ANALYSES,
]


def __getattr__(name: str) -> Any:
    module = _ANALYSES.get(name)
    if module is None:
        raise AttributeError(f"module 'revarch' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
