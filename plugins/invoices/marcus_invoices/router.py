"""``/api/v1/invoices``: list and search, create (from a customer or an appointment), edit
drafts, issue, record payments, void, the branded PDF, and the accountants' CSV export.

Each route authorises with one permission; the invoice is loaded (scoped to the caller, and
locked for writes) once, in a dependency. A customer sees only their own issued invoices;
anything else is a 404.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse

import marcus
from marcus_invoices import export, lifecycle, links, pdf, service
from marcus_invoices.models import Invoice
from marcus_invoices.permissions import EXPORT, PAY, READ, WRITE
from marcus_invoices.schemas import (
    DocumentRef,
    InvoiceCreate,
    InvoicePage,
    InvoiceRead,
    InvoiceSummary,
    InvoiceUpdate,
    IssueRequest,
    PaymentCreate,
    Status,
    VoidRequest,
)
from marcus_invoices.service import InvoiceFilters

router = APIRouter(tags=["invoices"])
CanRead = Annotated[marcus.Grant, marcus.require(READ)]
CanWrite = Annotated[marcus.Grant, marcus.require(WRITE)]
CanPay = Annotated[marcus.Grant, marcus.require(PAY)]
CanExport = Annotated[marcus.Grant, marcus.require(EXPORT)]
PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}, "description": "The invoice as PDF"}}
CSV: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {}}, "description": "One row per invoice"}}


async def readable(invoice_id: uuid.UUID, grant: CanRead, session: marcus.SessionDep) -> Invoice:
    """The invoice if the caller may see it (404 otherwise)."""
    return await service.get_invoice(session, grant, invoice_id=invoice_id)


async def editable(invoice_id: uuid.UUID, grant: CanWrite, session: marcus.SessionDep) -> Invoice:
    """The invoice, locked for this request's transaction."""
    return await service.get_invoice(session, grant, invoice_id=invoice_id, lock=True)


async def payable(invoice_id: uuid.UUID, grant: CanPay, session: marcus.SessionDep) -> Invoice:
    """The invoice, locked for this request's transaction."""
    return await service.get_invoice(session, grant, invoice_id=invoice_id, lock=True)


Readable = Annotated[Invoice, Depends(readable)]
Editable = Annotated[Invoice, Depends(editable)]
Payable = Annotated[Invoice, Depends(payable)]


def invoice_filters(
    status: Annotated[Status | None, Query(description="Only invoices in this status")] = None,
    search: Annotated[
        str | None, Query(max_length=100, description="In the number and the customer's name, email and company")
    ] = None,
    customer_id: uuid.UUID | None = None,
    appointment_id: uuid.UUID | None = None,
    date_from: Annotated[date | None, Query(description="Issued on or after (YYYY-MM-DD)")] = None,
    date_to: Annotated[date | None, Query(description="Issued on or before (YYYY-MM-DD)")] = None,
) -> InvoiceFilters:
    """The list's query parameters (422 naming the parameter when one is not valid)."""
    if date_from and date_to and date_to < date_from:
        raise service.invalid("date_to", "date_to may not be before date_from.", "invalid_date_range")
    return InvoiceFilters(
        status=status,
        search=search.strip() if search else None,
        customer_id=customer_id,
        appointment_id=appointment_id,
        date_from=date_from,
        date_to=date_to,
    )


Filters = Annotated[InvoiceFilters, Depends(invoice_filters)]


@router.get("", response_model=InvoicePage)
async def list_invoices(
    grant: CanRead, session: marcus.SessionDep, paging: marcus.PageQuery, filters: Filters
) -> InvoicePage:
    """List invoices, newest first (customers: their own), with filters, search and a date range."""
    page = await service.list_invoices(session, grant, filters=filters, page=paging.page, limit=paging.limit)
    items = [InvoiceSummary.of(row) for row in page.items]
    return InvoicePage(items=items, page=page.page, limit=page.limit, total=page.total, pages=page.pages)


@router.post("", response_model=InvoiceRead, status_code=201)
async def create_invoice(
    body: InvoiceCreate, grant: CanWrite, tenant: marcus.CurrentTenant, session: marcus.SessionDep
) -> InvoiceRead:
    """Create a draft invoice (``issue: true`` issues it at once, taking its number)."""
    invoice = await lifecycle.create_invoice(session, tenant, data=body, actor_id=grant.principal.user_id)
    return InvoiceRead.of(invoice)


@router.get("/export.csv", response_class=StreamingResponse, responses=CSV)
async def export_invoices(
    grant: CanExport, tenant: marcus.CurrentTenant, session: marcus.SessionDep, filters: Filters
) -> StreamingResponse:
    """Export the workspace's invoices as CSV for the accountants (same filters as the list)."""
    return export.csv_response(session, service.listed(grant, filters), tenant=tenant)


@router.get("/{invoice_id}", response_model=InvoiceRead)
async def get_invoice(invoice: Readable) -> InvoiceRead:
    """Read one invoice with its lines and payments."""
    return InvoiceRead.of(invoice)


@router.patch("/{invoice_id}", response_model=InvoiceRead)
async def update_invoice(body: InvoiceUpdate, invoice: Editable, session: marcus.SessionDep) -> InvoiceRead:
    """Change a draft (``lines`` replaces them all); issued invoices are frozen (409)."""
    updated = await service.update_draft(session, invoice=invoice, data=body)
    return InvoiceRead.of(updated)


@router.delete("/{invoice_id}", status_code=204, response_class=Response)
async def delete_invoice(invoice: Editable, grant: CanWrite, session: marcus.SessionDep) -> None:
    """Delete a draft (issued invoices are voided instead: 409)."""
    await service.delete_draft(session, invoice=invoice, actor_id=grant.principal.user_id)


@router.post("/{invoice_id}/issue", response_model=InvoiceRead)
async def issue_invoice(
    invoice: Editable,
    grant: CanWrite,
    tenant: marcus.CurrentTenant,
    session: marcus.SessionDep,
    body: IssueRequest | None = None,
) -> InvoiceRead:
    """Issue a draft: it takes the workspace's next number and the customer is notified."""
    issued = await lifecycle.issue_invoice(
        session, tenant, invoice=invoice, data=body or IssueRequest(), actor_id=grant.principal.user_id
    )
    return InvoiceRead.of(issued)


@router.post("/{invoice_id}/payments", response_model=InvoiceRead, status_code=201)
async def create_payment(
    body: PaymentCreate, invoice: Payable, grant: CanPay, tenant: marcus.CurrentTenant, session: marcus.SessionDep
) -> InvoiceRead:
    """Record a payment (partial allowed; no amount pays the whole balance)."""
    paid = await lifecycle.record_payment(session, tenant, invoice=invoice, data=body, actor_id=grant.principal.user_id)
    return InvoiceRead.of(paid)


@router.post("/{invoice_id}/void", response_model=InvoiceRead)
async def void_invoice(
    invoice: Editable, grant: CanWrite, session: marcus.SessionDep, body: VoidRequest | None = None
) -> InvoiceRead:
    """Void an issued invoice on which nothing was paid (its number stays used)."""
    voided = await lifecycle.void_invoice(
        session, invoice=invoice, data=body or VoidRequest(), actor_id=grant.principal.user_id
    )
    return InvoiceRead.of(voided)


@router.get("/{invoice_id}/pdf", response_class=Response, responses=PDF)
async def get_invoice_pdf(
    invoice: Readable, tenant: marcus.CurrentTenant, session: marcus.SessionDep, kernel: marcus.KernelDep
) -> Response:
    """The branded invoice as PDF (rendered off the event loop)."""
    data = await pdf.invoice_pdf(invoice, tenant, kernel, release=session)
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", invoice.number or f"draft-{invoice.id}")
    headers = {"Content-Disposition": f'inline; filename="{name}.pdf"', "Cache-Control": "private, no-store"}
    return Response(data, media_type="application/pdf", headers=headers)


@router.post("/{invoice_id}/document", response_model=DocumentRef, status_code=201)
async def file_invoice(
    invoice: Editable,
    grant: CanWrite,
    tenant: marcus.CurrentTenant,
    session: marcus.SessionDep,
    kernel: marcus.KernelDep,
) -> DocumentRef:
    """File the invoice's PDF among its customer's documents (issued invoices only)."""
    links.check_fileable(invoice)
    data = await pdf.invoice_pdf(invoice, tenant, kernel)
    document = await links.file_as_document(
        session, kernel.storage, invoice=invoice, content=data, actor_id=grant.principal.user_id
    )
    return DocumentRef(document_id=document.id, url=f"/api/v1/documents/{document.id}")
