"""The seed's invoice routes (seed-api.md §3.5, rows 50-55) over ``marcus_invoices``.

A seed invoice is one amount for one appointment. ``POST /invoices`` creates a Marcus invoice
for the appointment with one line of ``amount`` and issues it at once (it takes the workspace's
next number and completes the appointment, in one transaction); ``status: "Paid"`` then records
a payment of the whole amount. Issued invoices are frozen, as in Marcus: ``PATCH`` can mark one
paid but not rewrite it, and ``DELETE`` voids it (its number stays used) — only a draft is
really deleted. ``Overdue`` is set by the daily overdue job, never by a client. ``amount`` is a
JSON number (the seed's type) next to the invoice's ISO 4217 ``currency``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from marcus_appointments import service as appointments
from marcus_appointments.models import Appointment
from marcus_invoices import lifecycle, pdf, service
from marcus_invoices.models import DRAFT, PAID, PENDING, Invoice
from marcus_invoices.permissions import READ, WRITE
from marcus_invoices.schemas import InvoiceCreate, InvoiceUpdate, IssueRequest, LineIn, PaymentCreate, VoidRequest
from marcus_invoices.service import InvoiceFilters
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import marcus
from marcus_compat.envelope import CompatModel, CompatRouter, SeedPage, ok, paginated, request_fields, validate
from marcus_compat.schedule import seed_service_name, seed_time, services_by_id

router = CompatRouter(prefix="/invoices")
CanRead = Annotated[marcus.Grant, marcus.require(READ)]
CanWrite = Annotated[marcus.Grant, marcus.require(WRITE)]
SeedStatus = Literal["Paid", "Pending", "Overdue"]
PaymentType = Literal["Cash", "BankTransfer"]
Amount = Annotated[Decimal, Field(ge=0, le=Decimal("100000000000000"), decimal_places=2)]


def seed_day(value: date | None) -> str | None:
    """A calendar day as the seed's timestamps (midnight UTC)."""
    return f"{value.isoformat()}T00:00:00.000Z" if value else None


def _day(value: datetime | None, tenant: marcus.Tenant) -> date | None:
    """The workspace's day of an instant the client sent (a bare date is midnight there)."""
    if value is None:
        return None
    return value.astimezone(service.zone_of(tenant)).date() if value.tzinfo else value.date()


# --- the seed's shape of an invoice ----------------------------------------------------------


def _user(user: marcus.User, *, full: bool) -> dict[str, Any]:
    fields = {
        "id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "company_name": user.company_name,
    }
    if full:
        fields |= {"street": user.street, "city": user.city, "zip": user.zip, "country": user.country}
        fields["phone_number"] = user.phone
    return fields


async def _context(session: AsyncSession, invoices: Sequence[Invoice]) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """The invoices' appointments (seed summaries) and issuers, in three statements at most."""
    org_id = invoices[0].organization_id
    ids = {i.appointment_id for i in invoices} - {None}
    found = list(
        await session.scalars(select(Appointment).where(Appointment.organization_id == org_id, Appointment.id.in_(ids)))
        if ids
        else []
    )
    services = await services_by_id(session, org_id=org_id, ids=(a.service_id for a in found))
    summaries = {
        a.id: {
            "id": a.id,
            "appointment_no": a.number,
            "service_name": seed_service_name(services[a.service_id]) if a.service_id in services else None,
            "scheduled_at": seed_time(a.starts_at),
            "status": a.status,
        }
        for a in found
    }
    issuers = {i.issued_by for i in invoices} - {None}
    users: Sequence[marcus.User] = []
    if issuers:
        query = select(marcus.User).where(marcus.User.organization_id == org_id, marcus.User.id.in_(issuers))
        users = list(await session.scalars(query))
    names = {u.id: f"{u.first_name} {u.last_name}".strip() or u.email for u in users}
    return summaries, names


async def invoice_rows(
    session: AsyncSession, invoices: Sequence[Invoice], *, full: bool = False
) -> list[dict[str, Any]]:
    """Invoices in the seed's shape (``full``: the customer's address, lines and payments too)."""
    if not invoices:
        return []
    summaries, issuers = await _context(session, invoices)
    rows = []
    for invoice in invoices:
        row = {
            "id": invoice.id,
            "invoice_no": invoice.number,
            "user_id": invoice.customer_id,
            "appointment_id": invoice.appointment_id,
            "amount": invoice.total,
            "currency": invoice.currency,
            "amount_paid": invoice.amount_paid,
            "balance": invoice.balance,
            "status": invoice.status,
            "payment_type": invoice.payment_type,
            "issued_by": issuers.get(invoice.issued_by) if invoice.issued_by else None,
            "issued_at": seed_time(invoice.issued_at),
            "issue_date": seed_day(invoice.issue_date),
            "due_date": seed_day(invoice.due_date),
            "created_at": seed_time(invoice.created_at),
            "updated_at": seed_time(invoice.updated_at),
            "user": _user(invoice.customer, full=full),
            "appointment": summaries.get(invoice.appointment_id) if invoice.appointment_id else None,
        }
        if full:
            row["lines"] = [
                {
                    "description": line.description,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "total": line.total,
                }
                for line in invoice.lines
            ]
            row["payments"] = [
                {"id": p.id, "amount": p.amount, "paid_on": p.paid_on.isoformat(), "method": p.method}
                for p in invoice.payments
            ]
        rows.append(row)
    return rows


async def one_row(session: AsyncSession, invoice: Invoice) -> dict[str, Any]:
    return (await invoice_rows(session, [await service.reload(session, invoice)], full=True))[0]


async def readable(invoice_id: uuid.UUID, grant: CanRead, session: marcus.SessionDep) -> Invoice:
    """The invoice if the caller may see it (customers: their own issued ones; 404 otherwise)."""
    return await service.get_invoice(session, grant, invoice_id=invoice_id)


async def editable(invoice_id: uuid.UUID, grant: CanWrite, session: marcus.SessionDep) -> Invoice:
    """The invoice, locked for this request's transaction."""
    return await service.get_invoice(session, grant, invoice_id=invoice_id, lock=True)


Readable = Annotated[Invoice, Depends(readable)]
Editable = Annotated[Invoice, Depends(editable)]


def _no_overdue(status: str | None) -> None:
    if status == "Overdue":
        raise marcus.Invalid(
            "Overdue is set by the daily overdue check once the due date has passed, not by a client.",
            code="status_not_settable",
            errors=[{"field": "status", "message": "Overdue cannot be set"}],
        )


async def _pay(
    session: AsyncSession, tenant: marcus.Tenant, invoice: Invoice, method: str, actor: uuid.UUID
) -> Invoice:
    """Record the whole balance as paid (``invoices.paid`` tells the customer)."""
    data = PaymentCreate(method=method)  # a PaymentType is a PaymentMethod
    return await lifecycle.record_payment(session, tenant, invoice=invoice, data=data, actor_id=actor)


# --- create ----------------------------------------------------------------------------------


class InvoiceFields(CompatModel):
    """``POST /invoices``: one amount for one appointment."""

    appointment_id: uuid.UUID
    amount: Amount
    status: SeedStatus
    payment_type: PaymentType
    issued_by: str | None = Field(default=None, max_length=200, description="Ignored: the issuer is the caller")
    issued_at: datetime | None = Field(default=None, description="Issue day (default today)")
    due_date: datetime


@router.post("")
async def create_invoice(
    request: Request, grant: CanWrite, tenant: marcus.CurrentTenant, session: marcus.SessionDep
) -> JSONResponse:
    """Issue an invoice for an appointment (409 when it already has one)."""
    fields, _, _ = await request_fields(request)
    body = validate(InvoiceFields, fields)
    _no_overdue(body.status)
    actor = grant.principal.user_id
    appointment = await appointments.get_for_invoice(session, org_id=tenant.id, appointment_id=body.appointment_id)
    line = LineIn(description=f"Appointment {appointment.number}", unit_price=body.amount)
    data = validate(
        InvoiceCreate,
        {
            "appointment_id": body.appointment_id,
            "lines": [line],
            "issue_date": _day(body.issued_at, tenant),
            "due_date": _day(body.due_date, tenant),
            "payment_type": body.payment_type,
            "issue": True,
        },
    )
    invoice = await lifecycle.create_invoice(session, tenant, data=data, actor_id=actor)
    if body.status == PAID:
        invoice = await _pay(session, tenant, invoice, body.payment_type, actor)
    return ok(await one_row(session, invoice), "Invoice created successfully", status_code=201)


# --- read ------------------------------------------------------------------------------------


def _date_param(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise marcus.Invalid(
            f"{name} must be a valid date", code="invalid_date", errors=[{"field": name, "message": "not a date"}]
        ) from None


def seed_filters(
    status: Annotated[str | None, Query(max_length=20)] = None,
    search: Annotated[str | None, Query(max_length=100)] = None,
    from_date: Annotated[str | None, Query(alias="fromDate", max_length=40)] = None,
    to_date: Annotated[str | None, Query(alias="toDate", max_length=40)] = None,
) -> InvoiceFilters:
    """The seed's filters; ``fromDate`` / ``toDate`` bound the issue day (inclusive)."""
    known = ("Draft", "Pending", "PartiallyPaid", "Paid", "Overdue", "Void")
    if status is not None and status not in known:
        raise marcus.Invalid(
            f"status must be one of {', '.join(known)}",
            code="invalid_status",
            errors=[{"field": "status", "message": "unknown status"}],
        )
    return InvoiceFilters(
        status=status,
        search=search.strip() if search else None,
        date_from=_date_param(from_date, "fromDate"),
        date_to=_date_param(to_date, "toDate"),
    )


@router.get("")
async def list_invoices(
    grant: CanRead,
    session: marcus.SessionDep,
    paging: SeedPage,
    filters: Annotated[InvoiceFilters, Depends(seed_filters)],
) -> JSONResponse:
    """Invoices (customers: their own issued ones), newest first, filtered and searched."""
    page = await service.list_invoices(session, grant, filters=filters, page=paging.page, limit=paging.limit)
    rows = await invoice_rows(session, page.items)
    return paginated(rows, page=page.page, limit=page.limit, total=page.total, message="Invoices fetched successfully")


@router.get("/{invoice_id}")
async def get_invoice(invoice: Readable, session: marcus.SessionDep) -> JSONResponse:
    """One invoice with its customer, appointment, lines and payments."""
    return ok((await invoice_rows(session, [invoice], full=True))[0], "Invoice fetched successfully")


@router.get("/{invoice_id}/pdf", response_class=Response)
async def get_invoice_pdf(
    invoice: Readable, tenant: marcus.CurrentTenant, session: marcus.SessionDep, kernel: marcus.KernelDep
) -> Response:
    """The branded invoice as an A4 PDF."""
    data = await pdf.invoice_pdf(invoice, tenant, kernel, release=session)
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", invoice.number or f"draft-{invoice.id}")
    headers = {"Content-Disposition": f'attachment; filename="{name}.pdf"', "Cache-Control": "private, no-store"}
    return Response(data, media_type="application/pdf", headers=headers)


# --- change and delete -----------------------------------------------------------------------


class InvoiceChange(CompatModel):
    """``PATCH /invoices/:id``: a draft's fields, or ``status`` (Pending issues a draft, Paid pays)."""

    invoice_no: str | None = None
    amount: Amount | None = None
    status: SeedStatus | None = None
    payment_type: PaymentType | None = None
    issued_by: str | None = Field(default=None, max_length=200)
    issued_at: datetime | None = None
    due_date: datetime | None = None


def _draft_changes(invoice: Invoice, body: InvoiceChange, tenant: marcus.Tenant) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if body.amount is not None:
        description = invoice.lines[0].description if invoice.lines else "Invoice"
        changes["lines"] = [LineIn(description=description, unit_price=body.amount)]
    if body.payment_type is not None:
        changes["payment_type"] = body.payment_type
    if body.issued_at is not None:
        changes["issue_date"] = _day(body.issued_at, tenant)
    if body.due_date is not None:
        changes["due_date"] = _day(body.due_date, tenant)
    return changes


async def _to_status(
    session: AsyncSession, tenant: marcus.Tenant, grant: marcus.Grant, invoice: Invoice, status: str
) -> Invoice:
    """Issue a draft (Pending or Paid), then pay it (Paid); other moves are the state machine's 409."""
    actor = grant.principal.user_id
    if invoice.status == DRAFT:
        invoice = await service.get_invoice(session, grant, invoice_id=invoice.id, lock=True)
        invoice = await lifecycle.issue_invoice(session, tenant, invoice=invoice, data=IssueRequest(), actor_id=actor)
    elif status == PENDING and invoice.status != PENDING:
        raise lifecycle.conflict(invoice, f"An invoice in status {invoice.status} cannot go back to Pending.")
    if status == PAID:
        invoice = await service.get_invoice(session, grant, invoice_id=invoice.id, lock=True)
        invoice = await _pay(session, tenant, invoice, invoice.payment_type, actor)
    return invoice


@router.patch("/{invoice_id}")
async def update_invoice(
    request: Request, invoice: Editable, grant: CanWrite, tenant: marcus.CurrentTenant, session: marcus.SessionDep
) -> JSONResponse:
    """Change a draft, issue it (``Pending``) or mark an invoice paid (``Paid``); issued invoices are frozen (409)."""
    fields, _, _ = await request_fields(request)
    body = validate(InvoiceChange, fields)
    sent = body.model_dump(exclude_unset=True)
    if not sent:
        raise marcus.Invalid(
            "No update fields provided", code="empty_update", errors=[{"field": "body", "message": "empty"}]
        )
    if "invoice_no" in sent:
        raise marcus.Invalid(
            "Invoice numbers come from the workspace's numbering and cannot be set.",
            code="field_not_editable",
            errors=[{"field": "invoiceNo", "message": "cannot be set"}],
        )
    _no_overdue(body.status)
    changes = _draft_changes(invoice, body, tenant)
    if changes:
        invoice = await service.update_draft(session, invoice=invoice, data=validate(InvoiceUpdate, changes))
    if body.status is not None:
        invoice = await _to_status(session, tenant, grant, invoice, body.status)
    return ok(await one_row(session, invoice), "Invoice updated successfully")


@router.delete("/{invoice_id}")
async def delete_invoice(invoice: Editable, grant: CanWrite, session: marcus.SessionDep) -> JSONResponse:
    """Delete a draft; void an issued invoice (its number stays used; 409 once money was paid)."""
    actor = grant.principal.user_id
    if invoice.status == DRAFT:
        await service.delete_draft(session, invoice=invoice, actor_id=actor)
        return ok({"id": invoice.id, "status": "Deleted"}, "Invoice deleted successfully")
    reason = "Deleted through the single-business API"
    voided = await lifecycle.void_invoice(session, invoice=invoice, data=VoidRequest(reason=reason), actor_id=actor)
    return ok(await one_row(session, voided), "Invoice voided successfully: issued invoices keep their number")
