"""The seed's document routes (seed-api.md §3.4, rows 46-49) over ``marcus_documents``.

Uploads, lists, changes and deletion call the documents plugin's services: a customer sees and
changes only their own documents, links them only to their own appointment or invoice, and
cannot move a document through review (no self-approval: 403). Staff set ``status``; the seed's
direct jumps (``Open`` -> ``Approved``) go through the review steps in between. ``fileUrls``
are short-lived signed download links; ``files`` lists each file's id, name, type and size.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse
from marcus_appointments.models import Appointment
from marcus_documents import service
from marcus_documents.models import Document
from marcus_documents.permissions import CREATE, DELETE, READ, REVIEW, UPDATE
from marcus_documents.schemas import DocumentStatus, DocumentType, DocumentUpdate, DocumentUpload, clean_tags
from marcus_documents.service import DocumentFilters
from marcus_invoices.models import Invoice
from pydantic import Field, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import marcus
from marcus_compat.envelope import CompatModel, CompatRouter, SeedPage, ok, paginated, request_fields, validate
from marcus_compat.schedule import seed_service_name, seed_time, services_by_id

router = CompatRouter(prefix="/documents")
CanRead = Annotated[marcus.Grant, marcus.require(READ)]
CanCreate = Annotated[marcus.Grant, marcus.require(CREATE)]
CanUpdate = Annotated[marcus.Grant, marcus.require(UPDATE)]
CanDelete = Annotated[marcus.Grant, marcus.require(DELETE)]
Files = Annotated[marcus.TenantFiles, Depends(marcus.tenant_files("documents"))]
REVIEW_STEPS = (DocumentStatus.OPEN, DocumentStatus.IN_REVIEW, DocumentStatus.APPROVED)


# --- the seed's shape of a document ----------------------------------------------------------


async def _appointments(session: AsyncSession, org_id: uuid.UUID, ids: set[uuid.UUID]) -> dict[uuid.UUID, Any]:
    if not ids:
        return {}
    found = list(
        await session.scalars(select(Appointment).where(Appointment.organization_id == org_id, Appointment.id.in_(ids)))
    )
    services = await services_by_id(session, org_id=org_id, ids=(a.service_id for a in found))
    return {
        a.id: {
            "id": a.id,
            "appointment_no": a.number,
            "service_name": seed_service_name(services[a.service_id]) if a.service_id in services else None,
        }
        for a in found
    }


async def _invoices(session: AsyncSession, org_id: uuid.UUID, ids: set[uuid.UUID]) -> dict[uuid.UUID, Any]:
    if not ids:
        return {}
    found = await session.scalars(select(Invoice).where(Invoice.organization_id == org_id, Invoice.id.in_(ids)))
    return {i.id: {"id": i.id, "invoice_no": i.number, "amount": i.total, "currency": i.currency} for i in found}


async def document_rows(
    session: AsyncSession, files: marcus.TenantFiles, documents: Sequence[Document]
) -> list[dict[str, Any]]:
    """Documents as the seed lists them, with their appointment and invoice summaries."""
    if not documents:
        return []
    org_id = documents[0].organization_id
    appointments = await _appointments(session, org_id, {d.appointment_id for d in documents if d.appointment_id})
    invoices = await _invoices(session, org_id, {d.invoice_id for d in documents if d.invoice_id})
    rows = []
    for document in documents:
        links = [await files.signed_url(f.key, download_name=f.name) for f in document.files]
        rows.append(
            {
                "id": document.id,
                "user_id": document.owner_id,
                "name": document.name,
                "type": document.type,
                "status": document.status,
                "format": document.format,
                "size": document.size,
                "file_urls": [link.url for link in links],
                "files": [
                    {"id": f.id, "name": f.name, "content_type": f.content_type, "size": f.size} for f in document.files
                ],
                "tags": document.tags,
                "description": document.description,
                "appointment_id": document.appointment_id,
                "invoice_id": document.invoice_id,
                "appointment": appointments.get(document.appointment_id) if document.appointment_id else None,
                "invoice": invoices.get(document.invoice_id) if document.invoice_id else None,
                "created_at": seed_time(document.created_at),
                "updated_at": seed_time(document.updated_at),
            }
        )
    return rows


async def invoice_id_of(session: AsyncSession, *, org_id: uuid.UUID, value: str | None) -> uuid.UUID | None:
    """The seed matched ``invoiceId`` against an invoice's id or its number."""
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        found = await session.scalar(
            select(Invoice.id).where(Invoice.organization_id == org_id, Invoice.number == value)
        )
    if found is None:
        raise marcus.NotFound(
            "Invoice not found", code="invoice_not_found", errors=[{"field": "invoiceId", "message": "no such invoice"}]
        )
    return found


def _tags(value: Any) -> Any:
    """Tags as a list, or one comma-separated string (the seed accepted both)."""
    return [value] if isinstance(value, str) else value


# --- upload ----------------------------------------------------------------------------------


class UploadFields(CompatModel):
    """The metadata of ``POST /documents`` (in ``data`` JSON and/or plain multipart fields)."""

    type: DocumentType
    name: str | None = Field(default=None, min_length=1, max_length=200)
    appointment_id: uuid.UUID | None = None
    invoice_id: str | None = Field(default=None, max_length=100, description="An invoice's id or number")
    tags: list[str] = []
    description: str | None = Field(default=None, max_length=2000)

    _tags = field_validator("tags", mode="before")(_tags)


@router.post("")
async def create_document(
    request: Request, grant: CanCreate, tenant: marcus.CurrentTenant, session: marcus.SessionDep, files: Files
) -> JSONResponse:
    """Upload a document: 1 to 10 ``files`` with its type and metadata."""
    fields, uploads, _ = await request_fields(request, file_fields=("files", "file"))
    if not uploads:
        raise marcus.Invalid(
            "At least one file is required", code="no_files", errors=[{"field": "files", "message": "empty"}]
        )
    body = validate(UploadFields, fields)
    upload = validate(
        DocumentUpload,
        {
            "files": uploads,
            "type": body.type,
            "name": body.name,
            "tags": body.tags,
            "description": body.description,
            "appointment_id": body.appointment_id,
            "invoice_id": await invoice_id_of(session, org_id=tenant.id, value=body.invoice_id),
        },
    )
    document = await service.create_document(
        session, files, tenant=tenant, owner_id=grant.principal.user_id, upload=upload
    )
    return ok((await document_rows(session, files, [document]))[0], "Document uploaded successfully", status_code=201)


# --- list ------------------------------------------------------------------------------------


async def _number_to_id(session: AsyncSession, model: Any, org_id: uuid.UUID, number: str | None) -> uuid.UUID | None:
    if not number:
        return None
    found = await session.scalar(select(model.id).where(model.organization_id == org_id, model.number == number))
    return found or uuid.UUID(int=0)  # an unknown number matches no document


async def seed_filters(
    grant: CanRead,
    tenant: marcus.CurrentTenant,
    session: marcus.SessionDep,
    type: DocumentType | None = None,
    status: DocumentStatus | None = None,
    search: Annotated[str | None, Query(max_length=100)] = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    tags: Annotated[str | None, Query(max_length=1100)] = None,
    appointment_id: Annotated[uuid.UUID | None, Query(alias="appointmentId")] = None,
    invoice_id: Annotated[uuid.UUID | None, Query(alias="invoiceId")] = None,
    appointment_no: Annotated[str | None, Query(alias="appointmentNo", max_length=40)] = None,
    invoice_no: Annotated[str | None, Query(alias="invoiceNo", max_length=40)] = None,
    user_id: Annotated[uuid.UUID | None, Query(alias="userId")] = None,
) -> DocumentFilters:
    """The seed's filters; ``userId`` filters for staff and may only be the caller's own id for customers."""
    if grant.scope == "own" and user_id not in (None, grant.principal.user_id):
        raise marcus.Forbidden(
            "You can list only your own documents: userId cannot name another user.",
            code="user_id_override",
            errors=[{"field": "userId", "message": "not your id"}],
        )
    try:
        wanted = clean_tags([tag or "", tags or ""])
    except ValueError as exc:
        raise marcus.Invalid(str(exc), code="invalid_tags", errors=[{"field": "tags", "message": str(exc)}]) from exc
    return DocumentFilters(
        type=type,
        status=status,
        search=search.strip() if search else None,
        tags=wanted,
        owner_id=user_id,
        appointment_id=appointment_id or await _number_to_id(session, Appointment, tenant.id, appointment_no),
        invoice_id=invoice_id or await _number_to_id(session, Invoice, tenant.id, invoice_no),
    )


@router.get("")
async def list_documents(
    grant: CanRead,
    session: marcus.SessionDep,
    files: Files,
    paging: SeedPage,
    filters: Annotated[DocumentFilters, Depends(seed_filters)],
) -> JSONResponse:
    """Documents (yours, or the workspace's for staff), newest first, filtered and searched."""
    page = await service.list_documents(session, grant, filters=filters, page=paging.page, limit=paging.limit)
    rows = await document_rows(session, files, page.items)
    return paginated(rows, page=page.page, limit=page.limit, total=page.total, message="Documents fetched successfully")


# --- change and delete -----------------------------------------------------------------------


class DocumentChange(CompatModel):
    """``PATCH /documents/:id``: metadata (owner or staff) and ``status`` (staff only)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    type: DocumentType | None = None
    tags: list[str] | None = None
    description: str | None = Field(default=None, max_length=2000)
    status: DocumentStatus | None = None
    appointment_id: uuid.UUID | None = None
    invoice_id: str | None = None
    invoice_no: str | None = None
    format: str | None = None
    size: int | None = None

    _tags = field_validator("tags", mode="before")(_tags)


FIXED = {
    "appointment_id": "appointmentId",
    "invoice_id": "invoiceId",
    "invoice_no": "invoiceNo",
    "format": "format",
    "size": "size",
}


async def editable(document_id: uuid.UUID, grant: CanUpdate, session: marcus.SessionDep) -> Document:
    return await service.get_document(session, grant, document_id=document_id)


async def deletable(document_id: uuid.UUID, grant: CanDelete, session: marcus.SessionDep) -> Document:
    return await service.get_document(session, grant, document_id=document_id)


async def _may_review(grant: marcus.Grant, kernel: marcus.Kernel, session: AsyncSession) -> None:
    principal = grant.principal
    if await kernel.rbac.check(principal.org_id, principal.user_id, REVIEW, session=session) is None:
        raise marcus.Forbidden(
            "Only staff can change a document's review status: nobody approves their own upload.",
            code="review_forbidden",
            errors=[{"field": "status", "message": f"'{REVIEW}' is required"}],
        )


async def _review(session: AsyncSession, document: Document, target: DocumentStatus, actor_id: uuid.UUID) -> Document:
    """Move through the review steps to ``target`` (the seed jumped straight there)."""
    here = REVIEW_STEPS.index(DocumentStatus(document.status))
    there = REVIEW_STEPS.index(target)
    step = 1 if there > here else -1
    for index in range(here + step, there + step, step) if here != there else ():
        document = await service.change_status(session, document, status=REVIEW_STEPS[index], actor_id=actor_id)
    return document


@router.patch("/{document_id}")
async def update_document(
    request: Request,
    document: Annotated[Document, Depends(editable)],
    grant: CanUpdate,
    session: marcus.SessionDep,
    kernel: marcus.KernelDep,
    files: Files,
) -> JSONResponse:
    """Change a document's name, type, tags or description; staff also its review ``status``."""
    fields, _, _ = await request_fields(request)
    body = validate(DocumentChange, fields)
    sent = body.model_dump(exclude_unset=True)
    if not sent:
        raise marcus.Invalid(
            "No update fields provided", code="empty_update", errors=[{"field": "body", "message": "empty"}]
        )
    fixed = [FIXED[name] for name in sent if name in FIXED]
    if fixed:
        detail = f"{', '.join(fixed)} cannot be changed: links are set at upload and format/size come from the files."
        raise marcus.Invalid(detail, code="field_not_editable", errors=[{"field": f, "message": detail} for f in fixed])
    if "status" in sent:
        await _may_review(grant, kernel, session)
    metadata = {name: value for name, value in sent.items() if name in DocumentUpdate.model_fields}
    if metadata:
        document = await service.update_document(session, document, data=validate(DocumentUpdate, metadata))
    if body.status is not None:
        document = await _review(session, document, body.status, grant.principal.user_id)
    return ok((await document_rows(session, files, [document]))[0], "Document updated successfully")


@router.delete("/{document_id}")
async def delete_document(
    document: Annotated[Document, Depends(deletable)], grant: CanDelete, session: marcus.SessionDep
) -> JSONResponse:
    """Delete a document; its stored files are removed right after."""
    await service.delete_document(session, document, actor_id=grant.principal.user_id)
    return ok({"id": document.id}, "Document deleted successfully")
