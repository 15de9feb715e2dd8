"""``marcus demo`` for documents: two PDFs of the demo customer, generated and stored through
the kernel storage like any upload (one already approved by staff)."""

from __future__ import annotations

import io

from fastapi import UploadFile
from sqlalchemy import select
from starlette.datastructures import Headers

import marcus
from marcus_documents.models import Document
from marcus_documents.schemas import DocumentStatus, DocumentType, DocumentUpload
from marcus_documents.service import change_status, create_document

# name, file name, type, description, table rows, approved
DOCUMENTS = (
    (
        "Welcome pack",
        "welcome-pack.pdf",
        DocumentType.PROFILE,
        "What to bring to your first session, and how we work.",
        (("Bring", "Last year's tax return"), ("Bring", "Receipts of this year"), ("Ask", "Anything at all")),
        True,
    ),
    (
        "Engagement letter",
        "engagement-letter.pdf",
        DocumentType.COMPLIANCE,
        "The terms of our work together, to sign and send back.",
        (("Scope", "Strategy and tax advice"), ("Fees", "As listed with each service"), ("Notice", "30 days")),
        False,
    ),
)


async def demo_documents(demo: marcus.DemoContext) -> list[str]:
    """Upload the demo customer's documents that are missing (found by name); what was created."""
    session, owner = demo.session, demo.customer
    query = select(Document.name).where(Document.organization_id == demo.tenant.id, Document.owner_id == owner.id)
    existing, created = set(await session.scalars(query)), []
    brand = await marcus.pdf_brand(demo.kernel, demo.tenant)
    for name, filename, kind, description, rows, approved in DOCUMENTS:
        if name in existing:
            continue
        pdf = await marcus.render_table_pdf_async(
            brand=brand,
            title=name,
            columns=[marcus.PdfColumn(title="", width=1), marcus.PdfColumn(title="", width=3)],
            rows=rows,
            subtitle=description,
        )
        upload = UploadFile(
            io.BytesIO(pdf), size=len(pdf), filename=filename, headers=Headers({"content-type": "application/pdf"})
        )
        data = DocumentUpload(files=[upload], type=kind, name=name, description=description, tags=["demo"])
        files = demo.files("documents")
        document = await create_document(session, files, tenant=demo.tenant, owner_id=owner.id, upload=data)
        if approved:  # reviewed, then approved, as staff would
            for status in (DocumentStatus.IN_REVIEW, DocumentStatus.APPROVED):
                document = await change_status(session, document, status=status, actor_id=demo.admin.id)
        created.append(f"document {filename} ({len(pdf) // 1024 + 1} KB)")
    return created
