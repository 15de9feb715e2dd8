"""Portal pages of documents (mounted by the kernel through ``register_pages``).

Customers: their documents with their review status, uploading (the page's script sends the
form itself to show the upload's progress; without it the form posts as usual), downloading
each file through a short-lived signed link. Staff (``documents.document:review``): every
document, filtered, and moving one through review (Open -> InReview -> Approved). The same
service functions as the API, with the same grants; the upload body is capped before parsing.
"""

from __future__ import annotations

import pathlib
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from marcus_appointments.models import ACTIVE, COMPLETED, Appointment
from pydantic import ValidationError
from sqlalchemy import select

import marcus
from marcus_documents import service
from marcus_documents.models import Document
from marcus_documents.permissions import CREATE, DELETE, READ, REVIEW
from marcus_documents.schemas import DocumentStatus, DocumentType, DocumentUpload
from marcus_documents.service import TRANSITIONS, DocumentFilters

router = APIRouter(prefix="/documents", route_class=marcus.UploadRoute)
CanRead = Annotated[marcus.Grant, marcus.page_require(READ)]
CanCreate = Annotated[marcus.Grant, marcus.page_require(CREATE)]
CanDelete = Annotated[marcus.Grant, marcus.page_require(DELETE)]
CanReview = Annotated[marcus.Grant, marcus.page_require(REVIEW)]
Files = Annotated[marcus.TenantFiles, Depends(marcus.tenant_files("documents"))]
STATUS_LABELS = {"Open": "Received", "InReview": "In review", "Approved": "Approved"}
UPLOAD_FIELDS = ("type", "name", "tags", "description", "appointment_id", "files")
PER_PAGE = 20


@router.get("", response_class=HTMLResponse)
async def list_documents(
    request: Request,
    page: marcus.PageDep,
    grant: CanRead,
    status: Annotated[str | None, Query(max_length=20)] = None,
    search: Annotated[str | None, Query(max_length=100)] = None,
    paged: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    """Your documents (staff: the workspace's) and the upload form."""
    return await _list_page(request, page, grant, status, search, paged)


async def _list_page(
    request: Request,
    page: marcus.PageState,
    grant: marcus.Grant,
    status: str | None = None,
    search: str | None = None,
    paged: int = 1,
    *,
    form: dict[str, Any] | None = None,
    errors: marcus.FormErrors | None = None,
    code: int = 200,
) -> HTMLResponse:
    statuses = [s.value for s in DocumentStatus]
    filters = DocumentFilters(status=status if status in statuses else None, search=(search or "").strip() or None)
    found = await service.list_documents(page.db, grant, filters=filters, page=paged, limit=PER_PAGE)
    query = {"status": status or "", "search": search or ""}
    values = {
        "documents": found.items,
        "paging": found,
        "staff": grant.scope == "any",
        "query": query,
        "statuses": [("", "Any status"), *((s, STATUS_LABELS[s]) for s in statuses)],
        "labels": STATUS_LABELS,
        "can_upload": await page.visitor.can(CREATE),
        "types": [(t.value, t.value) for t in DocumentType],
        "appointments": await _own_appointments(page),
        "form": form or {"type": DocumentType.PROFILE.value},
        "errors": errors or marcus.FormErrors(),
    }
    return await marcus.render(request, "documents/list.html", values, status_code=code)


async def _own_appointments(page: marcus.PageState) -> list[tuple[str, str]]:
    """The visitor's own appointments a document may belong to, as (id, label) choices."""
    principal = page.visitor.principal
    choices = [("", "None")]
    if principal is None:
        return choices
    query = (
        select(Appointment.id, Appointment.number, Appointment.starts_at)
        .where(
            Appointment.organization_id == page.workspace.id,
            Appointment.customer_id == principal.user_id,
            Appointment.status.in_((*ACTIVE, COMPLETED)),
        )
        .order_by(Appointment.starts_at.desc())
        .limit(50)
    )
    return choices + [(str(r.id), f"{r.number} ({r.starts_at:%d %b %Y})") for r in await page.db.execute(query)]


@router.post("", response_class=HTMLResponse)
async def upload_document(request: Request, page: marcus.PageDep, grant: CanCreate, files: Files) -> Response:
    """Upload a document: its files and what it is."""
    form = await request.form()
    submitted = marcus.form_values(form)
    chosen = marcus.chosen_files(form)
    upload, errors = _upload(submitted, chosen)
    if upload is None:
        return await _list_page(request, page, grant, form=submitted, errors=errors, code=422)
    try:
        document = await service.create_document(
            page.db, files, tenant=page.workspace, owner_id=grant.principal.user_id, upload=upload
        )
    except marcus.MarcusError as exc:
        await page.db.rollback()
        return await _list_page(request, page, grant, form=submitted, errors=_shown(exc), code=exc.status)
    return marcus.redirect(request, f"/documents/{document.id}", notice=f"“{document.name}” is uploaded.")


def _upload(submitted: dict[str, Any], chosen: list[Any]) -> tuple[DocumentUpload | None, marcus.FormErrors]:
    values = {k: v for k, v in submitted.items() if k in UPLOAD_FIELDS and v != ""}
    tags = values.pop("tags", "")
    try:
        upload = DocumentUpload.model_validate(values | {"files": chosen, "tags": [tags] if tags else []})
    except ValidationError as exc:
        errors = marcus.FormErrors.of_validation(exc)
        return None, errors.items_as_one("files")
    return upload, marcus.FormErrors()


def _shown(exc: marcus.MarcusError) -> marcus.FormErrors:
    return marcus.FormErrors.of_error(exc, fields=UPLOAD_FIELDS).items_as_one("files")


@router.get("/{document_id}", response_class=HTMLResponse)
async def read_document(request: Request, document_id: uuid.UUID, page: marcus.PageDep, grant: CanRead) -> Response:
    """One document: its files, status and review actions."""
    document = await service.get_document(page.db, grant, document_id=document_id)
    return await _detail_page(request, page, document)


@router.get("/{document_id}/files/{file_id}")
async def download_file(
    document_id: uuid.UUID, file_id: uuid.UUID, page: marcus.PageDep, grant: CanRead, files: Files
) -> Response:
    """Download one file: a redirect to its short-lived signed link."""
    document = await service.get_document(page.db, grant, document_id=document_id)
    link = await service.download_link(files, document, file_id=file_id)
    return RedirectResponse(link.url, status_code=303)


@router.post("/{document_id}/status", response_class=HTMLResponse)
async def change_status(request: Request, document_id: uuid.UUID, page: marcus.PageDep, grant: CanReview) -> Response:
    """Move the document one review step."""
    document = await service.get_document(page.db, grant, document_id=document_id)
    wanted = marcus.form_values(await request.form()).get("status", "")
    if wanted not in {s.value for s in DocumentStatus}:
        errors = marcus.FormErrors().add(None, "Choose a review step.")
        return await _detail_page(request, page, document, errors, 422)
    try:
        await service.change_status(page.db, document, status=DocumentStatus(wanted), actor_id=grant.principal.user_id)
    except marcus.MarcusError as exc:
        await page.db.rollback()
        document = await service.get_document(page.db, grant, document_id=document_id)
        return await _detail_page(request, page, document, marcus.FormErrors().add(None, exc.detail), exc.status)
    return marcus.redirect(request, f"/documents/{document_id}", notice=f"Now {STATUS_LABELS[wanted].lower()}.")


@router.post("/{document_id}/delete", response_class=HTMLResponse)
async def delete_document(request: Request, document_id: uuid.UUID, page: marcus.PageDep, grant: CanDelete) -> Response:
    """Delete the document and its files."""
    document = await service.get_document(page.db, grant, document_id=document_id)
    await service.delete_document(page.db, document, actor_id=grant.principal.user_id)
    return marcus.redirect(request, "/documents", notice=f"“{document.name}” is deleted.")


async def _detail_page(
    request: Request,
    page: marcus.PageState,
    document: Document,
    errors: marcus.FormErrors | None = None,
    code: int = 200,
) -> HTMLResponse:
    review = await page.visitor.can(REVIEW)
    values = {
        "document": document,
        "labels": STATUS_LABELS,
        "next_steps": sorted(TRANSITIONS[document.status]) if review else [],
        "can_delete": await page.visitor.can(DELETE),
        "errors": errors or marcus.FormErrors(),
    }
    return await marcus.render(request, "documents/detail.html", values, status_code=code)


def pageset() -> marcus.PageSet:
    """What ``register_pages`` returns: the router, the templates folder, the menu entry."""
    return marcus.PageSet(
        router=router,
        templates=pathlib.Path(__file__).parent / "templates",
        menu=(marcus.MenuEntry(label="Documents", path="/documents", permission=READ),),
    )
