"""Make any CSV export readable by DuckDB: check the encoding, transcode if needed.

DuckDB reads only UTF-8 here, so a cp1252 export is transcoded while it is
streamed into a temporary UTF-8 copy. Nothing is held in memory but one chunk.
"""

from __future__ import annotations

import codecs
import tempfile
from dataclasses import dataclass
from pathlib import Path

from revarch.errors import InputError

CHUNK = 1 << 20


@dataclass(frozen=True)
class PreparedFile:
    """A CSV file ready for DuckDB, with the encoding it was read in."""

    original: Path
    readable: Path
    encoding: str

    @property
    def transcoded(self) -> bool:
        return self.readable != self.original


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return False
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _transcode(path: Path, encoding: str, workdir: Path) -> Path:
    target = Path(tempfile.mkstemp(suffix=".csv", dir=workdir)[1])
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as source, target.open("w", encoding="utf-8") as sink:
        while chunk := source.read(CHUNK):
            sink.write(decoder.decode(chunk))
        sink.write(decoder.decode(b"", final=True))
    return target


def prepare_csv(path: Path, workdir: Path) -> PreparedFile:
    """Check that ``path`` is a non-empty CSV file and return a UTF-8 version."""
    if not path.exists():
        raise InputError(f"{path}: file not found; check the path")
    if not path.is_file():
        raise InputError(f"{path}: is a folder, expected a CSV file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty; export it again")
    if _is_utf8(path):
        return PreparedFile(path, path, "utf-8")
    try:
        readable = _transcode(path, "cp1252", workdir)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: byte 0x{exc.object[exc.start]:02x} is invalid in both "
            "UTF-8 and cp1252; export the file again as UTF-8 (CSV UTF-8 in "
            "Excel)"
        ) from exc
    return PreparedFile(path, readable, "cp1252")
