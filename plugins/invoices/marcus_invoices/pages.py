"""Portal pages of invoices (mounted by the kernel through ``register_pages``).

Customers: their issued invoices, one invoice with its lines and payments, its PDF. Staff:
every invoice with a status filter and search; creating an invoice from an appointment
(issuing it completes the appointment, in the same transaction); issuing a draft; recording
a payment. Every page calls the same lifecycle and service functions as the API.
"""

from __future__ import annotations

import pathlib
import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from marcus_appointments.models import COMPLETED, UPCOMING, Appointment
from marcus_services.models import Service
from sqlalchemy import select

import marcus
from marcus_invoices import lifecycle, pdf, service
from marcus_invoices.models import PAYMENT_METHODS, STATUSES, Invoice
from marcus_invoices.permissions import PAY, READ, WRITE
from marcus_invoices.schemas import InvoiceCreate, InvoiceRead, InvoiceSummary, IssueRequest, PaymentCreate
from marcus_invoices.service import InvoiceFilters

router = APIRouter(prefix="/invoices")
CanRead = Annotated[marcus.Grant, marcus.page_require(READ)]
CanWrite = Annotated[marcus.Grant, marcus.page_require(WRITE)]
CanPay = Annotated[marcus.Grant, marcus.page_require(PAY)]
CREATE_FIELDS = ("appointment_id", "due_date", "notes", "issue")
PAYMENT_FIELDS = ("amount", "paid_on", "method", "reference")
METHOD_LABELS = {"Cash": "Cash", "BankTransfer": "Bank transfer", "Card": "Card", "Other": "Other"}
PER_PAGE = 20


@router.get("", response_class=HTMLResponse)
async def list_invoices(
    request: Request,
    page: marcus.PageDep,
    grant: CanRead,
    status: Annotated[str | None, Query(max_length=20)] = None,
    search: Annotated[str | None, Query(max_length=100)] = None,
    paged: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    """Your invoices (staff: the workspace's), newest first."""
    filters = InvoiceFilters(status=status if status in STATUSES else None, search=(search or "").strip() or None)
    found = await service.list_invoices(page.db, grant, filters=filters, page=paged, limit=PER_PAGE)
    query = {"status": status or "", "search": search or ""}
    values = {
        "invoices": [InvoiceSummary.of(row) for row in found.items],
        "paging": found,
        "staff": grant.scope == "any",
        "can_write": await page.visitor.can(WRITE),
        "query": query,
        "statuses": [("", "Any status"), *((s, s) for s in STATUSES)],
    }
    return await marcus.render(request, "invoices/list.html", values)


@router.get("/new", response_class=HTMLResponse)
async def new_invoice(
    request: Request,
    page: marcus.PageDep,
    _: CanWrite,
    appointment_id: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    """The form to invoice an appointment."""
    return await _new_page(request, page, {"appointment_id": appointment_id or "", "issue": "1"})


@router.post("/new", response_class=HTMLResponse)
async def create_invoice(request: Request, page: marcus.PageDep, grant: CanWrite) -> Response:
    """Create the appointment's invoice (issued at once unless kept as a draft)."""
    submitted = marcus.form_values(await request.form())
    values = dict(submitted) | {"issue": submitted.get("issue") == "1"}
    if not submitted.get("appointment_id"):
        return await _new_page(
            request, page, submitted, marcus.FormErrors().add("appointment_id", "Choose an appointment.")
        )
    data, errors = marcus.parse_form(InvoiceCreate, values, fields=CREATE_FIELDS)
    if data is None or errors:
        return await _new_page(request, page, submitted, _on_fields(errors, CREATE_FIELDS))
    try:
        invoice = await lifecycle.create_invoice(page.db, page.workspace, data=data, actor_id=grant.principal.user_id)
    except marcus.MarcusError as exc:
        await page.db.rollback()
        errors = marcus.FormErrors.of_error(exc, fields=CREATE_FIELDS)
        return await _new_page(request, page, submitted, errors, exc.status)
    notice = f"Invoice {invoice.number} is issued." if invoice.number else "The draft invoice is saved."
    return marcus.redirect(request, f"/invoices/{invoice.id}", notice=notice)


async def _new_page(
    request: Request,
    page: marcus.PageState,
    form: dict[str, Any],
    errors: marcus.FormErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    values = {"form": form, "errors": errors or marcus.FormErrors(), "appointments": await _billable(page)}
    code = 422 if errors and status == 200 else status
    return await marcus.render(request, "invoices/new.html", values, status_code=code)


async def _billable(page: marcus.PageState) -> list[tuple[str, str]]:
    """Upcoming and completed appointments without an invoice, as (id, label) choices."""
    org, user = page.workspace.id, marcus.User
    query = (
        select(Appointment.id, Appointment.number, Appointment.starts_at, Service.name, user.first_name, user.last_name)
        .join(
            Service, (Service.organization_id == Appointment.organization_id) & (Service.id == Appointment.service_id)
        )
        .join(user, (user.organization_id == Appointment.organization_id) & (user.id == Appointment.customer_id))
        .where(
            Appointment.organization_id == org,
            Appointment.status.in_((UPCOMING, COMPLETED)),
            Appointment.invoice_id.is_(None),
        )
        .order_by(Appointment.starts_at.desc())
        .limit(200)
    )
    zone = service.zone_of(page.workspace)
    choices = [("", "Choose an appointment")]
    for row in await page.db.execute(query):
        when = row.starts_at.astimezone(zone).strftime("%d %b %Y %H:%M")
        choices.append((str(row.id), f"{row.number} · {row.name} · {row.first_name} {row.last_name} · {when}"))
    return choices


def _on_fields(errors: marcus.FormErrors, fields: tuple[str, ...]) -> marcus.FormErrors:
    """Errors of fields the form shows stay there; others (the model's own checks) go on top."""
    return errors.renamed(lambda name: name if name in fields else None)


@router.get("/{invoice_id}", response_class=HTMLResponse)
async def read_invoice(request: Request, invoice_id: uuid.UUID, page: marcus.PageDep, grant: CanRead) -> Response:
    """One invoice: lines, totals, payments."""
    invoice = await service.get_invoice(page.db, grant, invoice_id=invoice_id)
    return await _detail_page(request, page, invoice)


@router.post("/{invoice_id}/issue", response_class=HTMLResponse)
async def issue_invoice(request: Request, invoice_id: uuid.UUID, page: marcus.PageDep, grant: CanWrite) -> Response:
    """Issue a draft: it takes its number and the customer is told."""
    invoice = await service.get_invoice(page.db, grant, invoice_id=invoice_id, lock=True)
    try:
        await lifecycle.issue_invoice(
            page.db, page.workspace, invoice=invoice, data=IssueRequest(), actor_id=grant.principal.user_id
        )
    except marcus.MarcusError as exc:
        return await _refused(request, page, grant, invoice_id, marcus.FormErrors().add(None, exc.detail), exc.status)
    return marcus.redirect(request, f"/invoices/{invoice_id}", notice=f"Invoice {invoice.number} is issued.")


@router.post("/{invoice_id}/payments", response_class=HTMLResponse)
async def record_payment(request: Request, invoice_id: uuid.UUID, page: marcus.PageDep, grant: CanPay) -> Response:
    """Record money received (no amount: the whole balance)."""
    invoice = await service.get_invoice(page.db, grant, invoice_id=invoice_id, lock=True)
    submitted = marcus.form_values(await request.form())
    data, errors = marcus.parse_form(PaymentCreate, submitted, fields=PAYMENT_FIELDS)
    if data is None:
        return await _detail_page(request, page, invoice, submitted, errors)
    try:
        await lifecycle.record_payment(
            page.db, page.workspace, invoice=invoice, data=data, actor_id=grant.principal.user_id
        )
    except marcus.MarcusError as exc:
        errors = marcus.FormErrors.of_error(exc, fields=PAYMENT_FIELDS)
        return await _refused(request, page, grant, invoice_id, errors, exc.status, submitted)
    return marcus.redirect(request, f"/invoices/{invoice_id}", notice="The payment is recorded.")


@router.get("/{invoice_id}/pdf")
async def invoice_pdf(invoice_id: uuid.UUID, page: marcus.PageDep, grant: CanRead) -> Response:
    """The branded invoice as PDF."""
    invoice = await service.get_invoice(page.db, grant, invoice_id=invoice_id)
    data = await pdf.invoice_pdf(invoice, page.workspace, page.kernel, release=page.db)
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", invoice.number or f"draft-{invoice.id}")
    headers = {"Content-Disposition": f'inline; filename="{name}.pdf"'}
    return Response(data, media_type="application/pdf", headers=headers)


async def _refused(
    request: Request,
    page: marcus.PageState,
    grant: marcus.Grant,
    invoice_id: uuid.UUID,
    errors: marcus.FormErrors,
    status: int,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    """A refused change: nothing of it is kept; the invoice is read afresh and the reason shown."""
    await page.db.rollback()
    invoice = await service.get_invoice(page.db, grant, invoice_id=invoice_id)
    return await _detail_page(request, page, invoice, form, errors, status)


async def _detail_page(
    request: Request,
    page: marcus.PageState,
    invoice: Invoice,
    form: dict[str, Any] | None = None,
    errors: marcus.FormErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    values = {
        "invoice": InvoiceRead.of(invoice),
        "can_write": await page.visitor.can(WRITE),
        "can_pay": await page.visitor.can(PAY),
        "methods": [(m, METHOD_LABELS[m]) for m in PAYMENT_METHODS],
        "method_labels": METHOD_LABELS,
        "form": form or {"method": "BankTransfer"},
        "errors": errors or marcus.FormErrors(),
    }
    code = 422 if errors and status == 200 else status
    return await marcus.render(request, "invoices/detail.html", values, status_code=code)


def pageset() -> marcus.PageSet:
    """What ``register_pages`` returns: the router, the templates folder, the menu entry."""
    return marcus.PageSet(
        router=router,
        templates=pathlib.Path(__file__).parent / "templates",
        menu=(marcus.MenuEntry(label="Invoices", path="/invoices", permission=READ),),
    )
