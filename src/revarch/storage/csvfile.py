"""Make any CSV export readable by DuckDB: check the encoding, transcode if needed.

DuckDB reads only UTF-8 here, so a cp1252 export is transcoded while it is
streamed into a temporary UTF-8 copy. Nothing is held in memory but one chunk.
"""

from __future__ import annotations

import codecs
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from revarch.errors import InputError

CHUNK = 1 << 20
# A non-ASCII character other than the replacement character.
_NON_ASCII = re.compile("[^\x00-\x7f\ufffd]")


@dataclass(frozen=True)
class PreparedFile:
    """A CSV file ready for DuckDB, with the encoding it was read in."""

    original: Path
    readable: Path
    encoding: str

    @property
    def transcoded(self) -> bool:
        return self.readable != self.original


@dataclass(frozen=True)
class _Utf8Check:
    """The result of reading a file as UTF-8: its first invalid byte, and the
    first non-ASCII letter before it."""

    bad_byte: int | None = None
    bad_line: int = 0
    letter: str | None = None
    letter_line: int = 0


def _first_letter(text: str, line: int) -> tuple[str | None, int]:
    """Return the first non-ASCII character of ``text`` and its line."""
    found = None if text.isascii() else _NON_ASCII.search(text)
    if found is None:
        return None, 0
    return found.group(), line + text[: found.start()].count("\n")


def _check_utf8(path: Path) -> _Utf8Check:
    """Decode ``path`` as UTF-8 up to its first invalid byte."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 1
    letter: str | None = None
    letter_line = 0
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                valid = bytes(exc.object[: exc.start]).decode("utf-8", "replace")
                if letter is None:
                    letter, letter_line = _first_letter(valid, lines)
                lines += valid.count("\n")
                bad = exc.object[exc.start]
                return _Utf8Check(bad, lines, letter, letter_line)
            if letter is None:
                letter, letter_line = _first_letter(text, lines)
            lines += text.count("\n")
            if not chunk:
                return _Utf8Check()


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
    with path.open("rb") as handle:
        start = handle.read(2)
    if start in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        # Excel's "Unicode Text" format is UTF-16 with a byte order mark.
        return _transcoded(path, "utf-16", workdir)
    check = _check_utf8(path)
    if check.bad_byte is None:
        return PreparedFile(path, path, "utf-8")
    if check.letter is not None:
        # Read as cp1252, the UTF-8 letters above would turn into two
        # characters each (é into Ã©) without a warning.
        raise InputError(
            f"{path}, line {check.bad_line}: byte 0x{check.bad_byte:02x} is not "
            f"UTF-8, but line {check.letter_line} contains the UTF-8 letter "
            f"{check.letter!r}: the file mixes two encodings; fix the text on "
            f"line {check.bad_line} or export the file again as UTF-8"
        )
    return _transcoded(path, "cp1252", workdir)


def _transcoded(path: Path, encoding: str, workdir: Path) -> PreparedFile:
    """Return a UTF-8 copy of a file written in ``encoding``."""
    try:
        readable = _transcode(path, encoding, workdir)
    except UnicodeDecodeError as exc:
        tried = "both UTF-8 and cp1252" if encoding == "cp1252" else "UTF-16"
        raise InputError(
            f"{path}: byte 0x{exc.object[exc.start]:02x} is invalid in {tried}; "
            "export the file again as UTF-8 (CSV UTF-8 in Excel)"
        ) from exc
    return PreparedFile(path, readable, encoding)
