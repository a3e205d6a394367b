"""Storage: the only package that touches DuckDB."""

from revarch.storage.store import (
    Finding,
    ImportResult,
    RawFile,
    Store,
    TableCounts,
    TableLoad,
)

__all__ = ["Finding", "ImportResult", "RawFile", "Store", "TableCounts", "TableLoad"]
