"""``/api/v1/documents``: upload, list, read, change, review, download links, delete.

Each route authorises with one permission; the document is loaded (and scoped to the
caller) once, in a dependency. Request bodies are capped before parsing (``UploadRoute``).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Response, status

from marcus import (
    CurrentPrincipal,
    CurrentTenant,
    Grant,
    Invalid,
    Page,
    PageQuery,
    SessionDep,
    TenantFiles,
    UploadRoute,
    require,
    tenant_files,
)
from marcus_documents import service
from marcus_documents.models import Document
from marcus_documents.permissions import CREATE, DELETE, READ, REVIEW, UPDATE
from marcus_documents.schemas import (
    DocumentRead,
    DocumentStatus,
    DocumentType,
    DocumentUpdate,
    DocumentUpload,
    DownloadLink,
    StatusChange,
    clean_tags,
)
from marcus_documents.service import DocumentFilters

router = APIRouter(tags=["documents"], route_class=UploadRoute)
Files = Annotated[TenantFiles, Depends(tenant_files("documents"))]
CanRead = Annotated[Grant, require(READ)]
CanCreate = Annotated[Grant, require(CREATE)]
CanUpdate = Annotated[Grant, require(UPDATE)]
CanDelete = Annotated[Grant, require(DELETE)]
CanReview = Annotated[Grant, require(REVIEW)]
UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"description": "A file is over the workspace's size limit"},
    415: {"description": "A file's content is not an accepted type"},
}


async def readable(document_id: uuid.UUID, session: SessionDep, grant: CanRead) -> Document:
    return await service.get_document(session, grant, document_id=document_id)


async def editable(document_id: uuid.UUID, session: SessionDep, grant: CanUpdate) -> Document:
    return await service.get_document(session, grant, document_id=document_id)


async def deletable(document_id: uuid.UUID, session: SessionDep, grant: CanDelete) -> Document:
    return await service.get_document(session, grant, document_id=document_id)


async def reviewable(document_id: uuid.UUID, session: SessionDep, grant: CanReview) -> Document:
    return await service.get_document(session, grant, document_id=document_id)


def document_filters(
    type: DocumentType | None = None,
    status: DocumentStatus | None = None,
    search: Annotated[str | None, Query(max_length=100, description="In name and description")] = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    tags: Annotated[str | None, Query(max_length=1100, description="Comma-separated: any of them")] = None,
    owner_id: uuid.UUID | None = None,
    appointment_id: uuid.UUID | None = None,
    invoice_id: uuid.UUID | None = None,
) -> DocumentFilters:
    """The list's query parameters; tags from ``tag`` and ``tags`` together."""
    try:
        wanted = clean_tags([tag or "", tags or ""])
    except ValueError as exc:
        raise Invalid(str(exc), errors=[{"field": "query.tags", "message": str(exc)}]) from exc
    return DocumentFilters(
        type=type,
        status=status,
        search=search.strip() if search else None,
        tags=wanted,
        owner_id=owner_id,
        appointment_id=appointment_id,
        invoice_id=invoice_id,
    )


@router.post("", response_model=DocumentRead, status_code=status.HTTP_201_CREATED, responses=UPLOAD_ERRORS)
async def create_document(
    body: Annotated[DocumentUpload, Form(media_type="multipart/form-data")],
    grant: CanCreate,
    session: SessionDep,
    files: Files,
    tenant: CurrentTenant,
) -> Document:
    """Upload a document: 1 to 10 files with a type, a name, tags, a description and optionally
    the uploader's own appointment or invoice it belongs to."""
    return await service.create_document(session, files, tenant=tenant, owner_id=grant.principal.user_id, upload=body)


@router.get("", response_model=Page[DocumentRead])
async def list_documents(
    grant: CanRead,
    session: SessionDep,
    paging: PageQuery,
    filters: Annotated[DocumentFilters, Depends(document_filters)],
) -> Page[Document]:
    """List documents (yours, or the workspace's for staff), newest first, filtered and searched."""
    return await service.list_documents(session, grant, filters=filters, page=paging.page, limit=paging.limit)


@router.get("/{document_id}", response_model=DocumentRead)
async def get_document(document: Annotated[Document, Depends(readable)]) -> Document:
    """Read one document."""
    return document


@router.patch("/{document_id}", response_model=DocumentRead)
async def update_document(
    body: DocumentUpdate, document: Annotated[Document, Depends(editable)], session: SessionDep
) -> Document:
    """Change a document's name, type, tags or description."""
    return await service.update_document(session, document, data=body)


@router.put("/{document_id}/status", response_model=DocumentRead, responses={409: {"description": "Not a next step"}})
async def change_document_status(
    body: StatusChange,
    document: Annotated[Document, Depends(reviewable)],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> Document:
    """Move a document through review: Open -> InReview -> Approved (staff only)."""
    return await service.change_status(session, document, status=body.status, actor_id=principal.user_id)


@router.get("/{document_id}/files/{file_id}/link", response_model=DownloadLink)
async def get_download_link(
    file_id: uuid.UUID, document: Annotated[Document, Depends(readable)], files: Files
) -> DownloadLink:
    """A short-lived signed URL downloading one file of the document."""
    link = await service.download_link(files, document, file_id=file_id)
    return DownloadLink(url=link.url, expires_at=link.expires_at)


@router.delete("/{document_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_document(
    document: Annotated[Document, Depends(deletable)], session: SessionDep, principal: CurrentPrincipal
) -> None:
    """Delete a document; its files are removed right after."""
    await service.delete_document(session, document, actor_id=principal.user_id)
