"""Admin page to import an HSDS 3 JSON file into the directory."""

from __future__ import annotations

from functools import partial

import anyio.to_thread
from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.response import Template

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.deps import AppEngine, Caller, run_unit
from backend.directory.importer import MAX_IMPORT_BYTES, import_services, read_documents
from backend.i18n import translate
from backend.web import render


@get("/admin/directory/import", name="directory.import", opt=allow(Role.ADMIN), include_in_schema=False)
async def import_page(request: Request) -> Template:
    return render(request, "directory/import.html", {"report": None, "problems": []})


@post(
    "/admin/directory/import",
    name="directory.import_file",
    opt=allow(Role.ADMIN),
    include_in_schema=False,
    request_max_body_size=MAX_IMPORT_BYTES + 1024 * 1024,
)
async def import_file(request: Request, user: Caller, engine: AppEngine) -> Template:
    """Async: the upload is read with `await`; the file is parsed before the unit begins."""
    form = await request.form()
    upload = form.get("file")
    raw = await upload.read() if isinstance(upload, UploadFile) else b""
    only_part = form.get("partial") == "1"
    documents, problems = await anyio.to_thread.run_sync(read_documents, raw or b"")
    report = None
    if not problems:
        apply = partial(import_services, user_id=user.id, partial=only_part)
        report = await run_unit(engine, apply, documents)
        problems = report.problems
    locale = request.state.locale
    shown = [
        (p.object_id, p.field, translate(locale, p.message) if p.translatable else p.message)
        for p in problems
    ]
    status = 200 if report is not None and report.applied else 422
    return render(request, "directory/import.html", {"report": report, "problems": shown}, status_code=status)


ROUTES = [import_page, import_file]
