"""Data quality: the check findings, the import history and file uploads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from revarch.errors import InputError
from revarch.web.auth import check_csrf, require_role, state_of
from revarch.web.render import render, twin
from revarch.web.routes.common import form_text
from revarch.web.uploads import KINDS, UploadForm, check_form, start_import, store_files
from revarch.workspace import Workspace

router = APIRouter(tags=["data"])

MAX_FILES = 200


def _quality(workspace: Workspace) -> dict[str, Any]:
    from revarch.quality import check_workspace

    return {
        "check": check_workspace(workspace),
        "imports": workspace.store.list_imports(),
    }


@twin(
    router,
    "/data",
    "data.html.j2",
    summary="Data-quality findings and the import history",
)
def data(request: Request) -> dict[str, Any]:
    """Show what `revarch check` finds and every import so far."""
    require_role(request, "admin", "manager")
    return state_of(request).cached(("quality",), _quality)


def _presets() -> list[str]:
    from revarch.importers.mapping import list_presets

    return list_presets()


def _upload_page(
    request: Request, form: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    context = {"kinds": KINDS, "presets": _presets(), "form": form, "errors": errors}
    return render(request, "upload.html.j2", context, status=status)


@router.get("/data/upload", include_in_schema=False)
def upload_page(request: Request) -> Response:
    """Show the upload form."""
    require_role(request, "admin")
    return _upload_page(request, {}, {})


def _read_form(raw: Any) -> UploadForm:
    files = [
        (item.filename or "", item)
        for item in raw.getlist("files")
        if isinstance(item, UploadFile) and item.filename
    ]
    mapping_file = raw.get("mapping_file")
    has_mapping = isinstance(mapping_file, UploadFile) and bool(mapping_file.filename)
    return UploadForm(
        kind=form_text(raw, "kind"),
        source=form_text(raw, "source"),
        partial=form_text(raw, "partial") == "1",
        timezone=form_text(raw, "timezone"),
        order=form_text(raw, "order"),
        mapping=form_text(raw, "mapping"),
        files=files,
        mapping_file=(mapping_file.filename, mapping_file) if has_mapping else None,
    )


@router.post("/data/upload", include_in_schema=False)
async def upload(request: Request) -> Response:
    """Check the form, store the files and start the import; then show its progress."""
    user = require_role(request, "admin")
    async with request.form(max_files=MAX_FILES, max_fields=50) as raw:
        check_csrf(request, form_text(raw, "csrf_token"))
        form = _read_form(raw)
        check_form(form, _presets())
        if form.errors:
            return _upload_page(request, form.shown(), form.errors, status=400)
        state = state_of(request)
        try:
            folder = await run_in_threadpool(
                store_files, state.path, form, state.config.max_upload_bytes
            )
        except InputError as exc:
            return _upload_page(request, form.shown(), {"files": str(exc)}, status=400)
        job = start_import(state, user.name, form, folder)
    return RedirectResponse(f"/data/jobs/{job.id}", status_code=303)


JobPath = Annotated[str, Path(description="Import job id.", max_length=64)]


def _job_extras(request: Request, job: dict[str, Any]) -> dict[str, Any]:
    found = state_of(request).jobs[job["id"]]
    errors = {"files": job["error"]} if job["error"] else {}
    return {
        "kinds": KINDS,
        "presets": _presets(),
        "form": found.form,
        "errors": errors,
    }


@twin(
    router,
    "/data/jobs/{job}",
    "job.html.j2",
    summary="Progress and result of one upload's import",
    decorate=_job_extras,
)
def job(request: Request, job: JobPath) -> dict[str, Any]:
    """Report how far an import is, and its summary or error once it ends."""
    require_role(request, "admin")
    found = state_of(request).jobs.get(job)
    if found is None:
        raise HTTPException(
            404, f"no import job {job!r}; it ended before the server restarted"
        )
    return found.to_dict()
