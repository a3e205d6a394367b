"""Uploaded CRM exports and assessment files: checked, stored, imported.

Files land in a fresh folder under the workspace's ``.uploads``; their names
are reduced to a plain base name and a zip archive is unpacked only when
every entry stays inside that folder. The import runs in a background thread
through the same importer as ``revarch import``, so it is all or nothing,
and the folder is removed afterwards.
"""

from __future__ import annotations

import logging
import re
import secrets
import shutil
import threading
import zipfile
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from revarch.errors import InputError
from revarch.web.state import ImportJob, WebState

log = logging.getLogger(__name__)

UPLOADS = ".uploads"
KINDS = {
    "salesforce": "Salesforce Data Export or report export (CSV files or one .zip)",
    "hubspot": "HubSpot deals export from the UI (one CSV) or Fivetran tables",
    "pipeline": "Flat opportunity CSV through a mapping (plus its sellers file)",
    "csv": "CSV files in revarch's own table layout",
    "assessments": "Skill assessments (one CSV)",
}
SINGLE_FILE = ("assessments",)
SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")
MAX_ZIP_ENTRIES = 200
MAX_JOBS_KEPT = 50


@dataclass
class UploadForm:
    """The upload form's values, and the errors per field."""

    kind: str = ""
    source: str = ""
    partial: bool = False
    timezone: str = ""
    order: str = ""
    mapping: str = ""
    files: list[tuple[str, Any]] = field(default_factory=list)
    mapping_file: tuple[str, Any] | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def shown(self) -> dict[str, str]:
        """Return the text fields, to fill the form in again."""
        return {
            "kind": self.kind,
            "source": self.source,
            "partial": "1" if self.partial else "",
            "timezone": self.timezone,
            "order": self.order,
            "mapping": self.mapping,
        }


def safe_name(filename: str) -> str:
    """Return a file's base name with only plain characters, or '' if none remain."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = SAFE_NAME.sub("_", base).strip(" .")
    return cleaned[:120]


def check_form(form: UploadForm, presets: list[str]) -> None:
    """Fill ``form.errors`` with what is wrong before anything is stored."""
    errors = form.errors
    if form.kind not in KINDS:
        errors["kind"] = f"invalid kind {form.kind!r}: choose one of {', '.join(KINDS)}"
    names = [safe_name(name) for name, _ in form.files]
    if not form.files:
        errors["files"] = "no file chosen; choose the export's CSV files or a .zip"
    elif any(not n.lower().endswith((".csv", ".zip")) for n in names):
        bad = next(
            n
            for n, s in zip([f for f, _ in form.files], names, strict=True)
            if not s.lower().endswith((".csv", ".zip"))
        )
        errors["files"] = f"{bad!r} is not a .csv or .zip file"
    elif len(set(names)) != len(names):
        errors["files"] = "two files have the same name; upload each file once"
    elif form.kind in SINGLE_FILE and (
        len(names) != 1 or names[0].lower().endswith(".zip")
    ):
        errors["files"] = f"a {form.kind} import takes exactly one CSV file"
    if form.kind == "pipeline" and not form.mapping and form.mapping_file is None:
        errors["mapping"] = (
            f"choose a preset ({', '.join(presets)}) or upload a mapping file"
        )
    if form.mapping and form.mapping not in presets:
        errors["mapping"] = (
            f"unknown preset {form.mapping!r}; the presets are {', '.join(presets)}"
        )
    if form.timezone and form.timezone not in zoneinfo.available_timezones():
        errors["timezone"] = (
            f"unknown timezone {form.timezone!r}: use an IANA name such as "
            "'UTC' or 'Europe/Berlin'"
        )
    if form.order not in ("", "day", "month"):
        errors["order"] = "choose day-first, month-first or detect"
    if form.source and safe_name(form.source) != form.source:
        errors["source"] = (
            f"invalid source name {form.source!r}: use letters, digits, '.', '_', "
            "'-' and spaces"
        )


def folder_name(form: UploadForm) -> str:
    """Name the upload folder as the CLI's default source would be named.

    A given source name wins, then the name of a single zip archive.
    """
    if form.source:
        return form.source
    names = [safe_name(name) for name, _ in form.files]
    if len(names) == 1 and names[0].lower().endswith(".zip"):
        return names[0][:-4] or "upload"
    return "upload"


def store_files(workspace: Path, form: UploadForm, limit: int) -> Path:
    """Copy the uploads into a new folder under the workspace; return the folder."""
    folder = workspace / UPLOADS / secrets.token_hex(8) / folder_name(form)
    folder.mkdir(parents=True)
    try:
        for name, upload in form.files:
            target = folder / safe_name(name)
            _copy(upload, target, limit)
            if target.suffix.lower() == ".zip":
                unpack(target, folder, limit)
                target.unlink()
        if form.mapping_file is not None:
            _copy(form.mapping_file[1], folder.parent / "mapping.yaml", limit)
    except BaseException:
        shutil.rmtree(folder.parent, ignore_errors=True)
        raise
    return folder


def _copy(upload: Any, target: Path, limit: int) -> None:
    written = 0
    with target.open("wb") as out:
        while chunk := upload.file.read(1 << 20):
            written += len(chunk)
            if written > limit:
                raise InputError(f"{target.name} is larger than the upload limit")
            out.write(chunk)


def unpack(archive: Path, folder: Path, limit: int) -> None:
    """Unpack the CSV files of a zip archive flat into ``folder``, within ``limit``."""
    try:
        with zipfile.ZipFile(archive) as source:
            entries = [e for e in source.infolist() if not e.is_dir()]
            if len(entries) > MAX_ZIP_ENTRIES:
                raise InputError(
                    f"{archive.name} has more than {MAX_ZIP_ENTRIES} files"
                )
            if sum(e.file_size for e in entries) > limit:
                raise InputError(
                    f"{archive.name} unpacks to more than the upload limit"
                )
            for entry in entries:
                _extract(source, entry, folder)
    except zipfile.BadZipFile as exc:
        raise InputError(f"{archive.name} is not a valid zip archive ({exc})") from exc


def _extract(source: zipfile.ZipFile, entry: zipfile.ZipInfo, folder: Path) -> None:
    name = safe_name(entry.filename)
    parts = Path(entry.filename.replace("\\", "/")).parts
    if entry.filename.startswith("/") or ".." in parts or not name:
        raise InputError(
            f"the archive entry {entry.filename!r} points outside the upload"
        )
    if not name.lower().endswith(".csv") or "__MACOSX" in parts:
        return
    target = folder / name
    if target.exists():
        raise InputError(f"the archive holds two files named {name!r}; keep one")
    with source.open(entry) as stream, target.open("wb") as out:
        shutil.copyfileobj(stream, out)


def _pipeline_file(files: list[Path], mapping: str) -> Path:
    """Return the opportunity CSV among the uploads; the others are the mapping's.

    The mapping's sellers file must be one of the uploaded files, so it can
    name no path outside the upload folder.
    """
    from revarch.importers.mapping import locate_mapping, read_mapping

    spec = read_mapping(locate_mapping(mapping))
    helper = spec.sellers.file if spec.sellers is not None else None
    if helper is not None and (
        Path(helper).is_absolute() or ".." in Path(helper).parts
    ):
        raise InputError(
            f"the mapping's sellers.file {helper!r} points outside the upload; name "
            "a file uploaded with the opportunity CSV"
        )
    main = [path for path in files if path.name != helper]
    if len(main) != 1:
        beside = f" plus the mapping's sellers file {helper}" if helper else ""
        raise InputError(
            f"a pipeline import takes one opportunity CSV{beside}; got "
            f"{', '.join(path.name for path in files)}"
        )
    return main[0]


def _target(folder: Path, kind: str, mapping: str) -> Path:
    files = sorted(folder.glob("*.csv"))
    if kind == "pipeline":
        return _pipeline_file(files, mapping)
    if kind in SINGLE_FILE or (kind == "hubspot" and len(files) == 1):
        if len(files) != 1:
            raise InputError(f"a {kind} import takes exactly one CSV file")
        return files[0]
    return folder


def _importer(kind: str, mapping: str) -> Callable[..., Any]:
    """Return a function (workspace, path, options) for the kind of upload."""
    if kind == "salesforce":
        from revarch.importers.salesforce import import_salesforce

        return import_salesforce
    if kind == "hubspot":
        from revarch.importers.hubspot import import_hubspot

        return import_hubspot
    if kind == "csv":
        from revarch.importers.csvtables import import_tables

        return import_tables
    if kind == "assessments":
        from revarch.talent.assessments import import_assessments

        return import_assessments
    from revarch.importers.pipeline import import_pipeline

    return lambda workspace, path, options: import_pipeline(
        workspace, path, mapping, options
    )


def start_import(
    state: WebState, user: str, form: UploadForm, folder: Path
) -> ImportJob:
    """Start importing ``folder`` in a background thread; return its job."""
    job = ImportJob(
        id=secrets.token_urlsafe(12),
        user=user,
        kind=form.kind,
        files=[safe_name(name) for name, _ in form.files],
        form=form.shown(),
    )
    state.jobs[job.id] = job
    while len(state.jobs) > MAX_JOBS_KEPT:
        state.jobs.pop(next(iter(state.jobs)))
    thread = threading.Thread(
        target=_run,
        args=(state, job, form, folder),
        name=f"import-{job.id}",
        daemon=True,
    )
    thread.start()
    return job


def _run(state: WebState, job: ImportJob, form: UploadForm, folder: Path) -> None:
    from revarch.importers.base import ImportOptions

    mapping = form.mapping
    if form.mapping_file is not None:
        mapping = str(folder.parent / "mapping.yaml")
    options = ImportOptions(
        source=form.source or None,
        partial=form.partial,
        timezone=form.timezone or None,
        order=form.order or None,  # type: ignore[arg-type]
        progress=job.progress,
    )
    try:
        with state.use() as workspace:
            importer = _importer(form.kind, mapping)
            result = importer(workspace, _target(folder, form.kind, mapping), options)
        job.result = result.to_dict()
        job.status = "done"
        state.wrote()
        log.info("import job %s (%s) finished", job.id, form.kind)
    except InputError as exc:
        job.error = (
            str(exc).replace(f"{folder.parent}/", "").replace(str(folder.parent), "")
        )
        job.status = "failed"
        log.warning("import job %s (%s) failed: %s", job.id, form.kind, job.error)
    except Exception:
        job.error = (
            "the import failed with an internal error; the server log has details"
        )
        job.status = "failed"
        log.exception("import job %s (%s) failed", job.id, form.kind)
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)
