"""Documents: upload (checked, staged, evented), list and search, read, change, review, delete.

Keyword-only; each write commits; errors are domain errors. The caller's ``Grant`` applies its
scope as SQL: a customer (scope ``own``) sees only their documents, staff the workspace's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Select, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from marcus import Conflict, Grant, Invalid, NotFound, Page, SignedUrl, Tenant, TenantFiles, new_id, paginate, publish
from marcus_documents.events import DocumentApproved, DocumentDeleted, DocumentUploaded
from marcus_documents.links import check_links
from marcus_documents.models import Document, DocumentFile
from marcus_documents.schemas import DocumentStatus, DocumentUpdate, DocumentUpload

OPEN, IN_REVIEW, APPROVED = DocumentStatus.OPEN, DocumentStatus.IN_REVIEW, DocumentStatus.APPROVED
TRANSITIONS: dict[str, set[str]] = {OPEN: {IN_REVIEW}, IN_REVIEW: {APPROVED, OPEN}, APPROVED: {IN_REVIEW}}


@dataclass(frozen=True, kw_only=True)
class DocumentFilters:
    """The list's filters (seed-api §3.4): all optional, combined with AND; tags match any."""

    type: str | None = None
    status: str | None = None
    search: str | None = None
    tags: list[str] = field(default_factory=list)
    owner_id: uuid.UUID | None = None
    appointment_id: uuid.UUID | None = None
    invoice_id: uuid.UUID | None = None


async def create_document(
    session: AsyncSession, files: TenantFiles, *, tenant: Tenant, owner_id: uuid.UUID, upload: DocumentUpload
) -> Document:
    """Check the links (the owner's own appointment / invoice, 404 otherwise) and every file
    (413 / 415) before anything is stored, store them, write the rows and the
    ``documents.uploaded`` event in one transaction; if it fails, the files are removed."""
    links = {"appointment_id": upload.appointment_id, "invoice_id": upload.invoice_id}
    await check_links(session, tenant, owner_id=owner_id, links=links)
    kinds = [await files.check_upload(f, field=f"body.files.{i}") for i, f in enumerate(upload.files)]
    async with files.staging(session) as stage:
        stored = [
            await stage.save_upload(f, field=f"body.files.{i}", content_type=kind)
            for i, (f, kind) in enumerate(zip(upload.files, kinds, strict=True))
        ]
        document = Document(
            id=new_id(),
            owner_id=owner_id,
            name=upload.name or stored[0].name,
            type=upload.type,
            status=OPEN,
            format=stored[0].extension,
            size=sum(s.size for s in stored),
            tags=upload.tags,
            description=upload.description,
            appointment_id=upload.appointment_id,
            invoice_id=upload.invoice_id,
        )
        session.add(document)
        await session.flush()
        rows = [
            DocumentFile(
                document_id=document.id, position=i, key=s.key, name=s.name, content_type=s.content_type, size=s.size
            )
            for i, s in enumerate(stored)
        ]
        session.add_all(rows)
        event = DocumentUploaded(customer_id=owner_id, entity_id=document.id, document_id=document.id, status=OPEN)
        await publish(session, event, actor_id=owner_id)
        await session.commit()
    set_committed_value(document, "files", rows)
    return document


def _visible(grant: Grant) -> Select[Document]:
    return (
        select(Document)
        .where(Document.organization_id == grant.principal.org_id, grant.owner_filter(Document.owner_id))
        .options(selectinload(Document.files))
    )


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(query: Select[Document], filters: DocumentFilters) -> Select[Document]:
    equal = {
        Document.type: filters.type,
        Document.status: filters.status,
        Document.owner_id: filters.owner_id,
        Document.appointment_id: filters.appointment_id,
        Document.invoice_id: filters.invoice_id,
    }
    query = query.where(*(column == value for column, value in equal.items() if value is not None))
    if filters.search:
        pattern = _like(filters.search)
        query = query.where(
            or_(Document.name.ilike(pattern, escape="\\"), Document.description.ilike(pattern, escape="\\"))
        )
    if filters.tags:
        query = query.where(Document.tags.overlap(filters.tags))
    return query


async def list_documents(
    session: AsyncSession, grant: Grant, *, filters: DocumentFilters, page: int, limit: int
) -> Page[Document]:
    """Newest first, within the caller's scope."""
    query = _filtered(_visible(grant), filters).order_by(Document.created_at.desc(), Document.id.desc())
    return await paginate(session, query, page=page, limit=limit)


async def get_document(session: AsyncSession, grant: Grant, *, document_id: uuid.UUID) -> Document:
    """One document the caller may see with this grant; 404 otherwise, whether it exists or not."""
    document = await session.scalar(_visible(grant).where(Document.id == document_id))
    if document is None:
        raise NotFound("No such document.", code="document_not_found")
    return document


async def update_document(session: AsyncSession, document: Document, *, data: DocumentUpdate) -> Document:
    """Change the metadata given (at least one field)."""
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        raise Invalid("No update fields provided.", code="empty_update", errors=[{"field": "body", "message": "empty"}])
    for name, value in changes.items():
        setattr(document, name, value)
    document.updated_at = datetime.now(UTC)
    await session.commit()
    return document


async def change_status(
    session: AsyncSession, document: Document, *, status: DocumentStatus, actor_id: uuid.UUID
) -> Document:
    """Move one review step (staff only, by permission); approving tells the owner."""
    if status == document.status:
        return document
    if status not in TRANSITIONS[document.status]:
        detail = f"A document in status {document.status} cannot move to {status}."
        raise Conflict(detail, code="invalid_transition", errors=[{"field": "body.status", "message": detail}])
    document.status, document.updated_at = status, datetime.now(UTC)
    if status == APPROVED:
        approved = DocumentApproved(customer_id=document.owner_id, entity_id=document.id, status=APPROVED)
        await publish(session, approved, actor_id=actor_id)
    await session.commit()
    return document


async def delete_document(session: AsyncSession, document: Document, *, actor_id: uuid.UUID) -> None:
    """Delete the rows now; the files go after commit (``documents.deleted``, retried by the relay)."""
    await session.execute(
        delete(Document).where(Document.organization_id == document.organization_id, Document.id == document.id)
    )
    keys = [f.key for f in document.files]
    await publish(session, DocumentDeleted(entity_id=document.id, keys=keys), actor_id=actor_id)
    await session.commit()


async def download_link(files: TenantFiles, document: Document, *, file_id: uuid.UUID) -> SignedUrl:
    """A short-lived signed URL for one file of the document."""
    stored = next((f for f in document.files if f.id == file_id), None)
    if stored is None:
        raise NotFound("No such file in this document.", code="file_not_found")
    return await files.signed_url(stored.key, download_name=stored.name)
