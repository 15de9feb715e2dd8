"""Portal pages of invoices (mounted by the kernel through ``register_pages``).

Customers: their issued invoices, one invoice with its lines and payments, its PDF. Staff:
every invoice with a status filter and search, and the listed ones as CSV; creating an invoice
from an appointment (issuing it completes the appointment, in the same transaction); editing,
deleting (after a confirmation page) and issuing a draft; recording a payment; voiding. Every
page calls the same lifecycle and service functions as the API, with the same permissions.
"""

from __future__ import annotations

import pathlib
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from marcus_appointments.models import COMPLETED, UPCOMING, Appointment
from marcus_services.models import Service
from pydantic import BaseModel, ValidationError
from sqlalchemy import select

import marcus
from marcus_invoices import export, lifecycle, pdf, service
from marcus_invoices.models import PAYMENT_METHODS, STATUSES, Invoice
from marcus_invoices.permissions import EXPORT, PAY, READ, WRITE
from marcus_invoices.schemas import (
    MAX_LINES,
    InvoiceCreate,
    InvoiceRead,
    InvoiceSummary,
    InvoiceUpdate,
    IssueRequest,
    PaymentCreate,
    VoidRequest,
)
from marcus_invoices.service import InvoiceFilters

router = APIRouter(prefix="/invoices")
CanRead = Annotated[marcus.Grant, marcus.page_require(READ)]
CanWrite = Annotated[marcus.Grant, marcus.page_require(WRITE)]
CanPay = Annotated[marcus.Grant, marcus.page_require(PAY)]
CanExport = Annotated[marcus.Grant, marcus.page_require(EXPORT)]
StatusQuery = Annotated[str | None, Query(max_length=20)]
SearchQuery = Annotated[str | None, Query(max_length=100)]
CREATE_FIELDS = ("appointment_id", "due_date", "notes", "issue")
EDIT_FIELDS = ("lines", "due_date", "notes")
LINE_FIELDS = ("description", "quantity", "unit_price", "tax_rate")
LINE_NAME = re.compile(r"lines\.(\d{1,3})\.(description|quantity|unit_price|tax_rate)")
BLANK_LINES = 2  # empty rows the edit form offers for new lines (no JavaScript adds any)
PAYMENT_FIELDS = ("amount", "paid_on", "method", "reference")
VOID_FIELDS = ("reason",)
M = TypeVar("M", bound=BaseModel)
METHOD_LABELS = {"Cash": "Cash", "BankTransfer": "Bank transfer", "Card": "Card", "Other": "Other"}
PER_PAGE = 20


@router.get("", response_class=HTMLResponse)
async def list_invoices(
    request: Request,
    page: marcus.PageDep,
    grant: CanRead,
    status: StatusQuery = None,
    search: SearchQuery = None,
    paged: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    """Your invoices (staff: the workspace's), newest first."""
    filters = _filters(status, search)
    found = await service.list_invoices(page.db, grant, filters=filters, page=paged, limit=PER_PAGE)
    query = {"status": status or "", "search": search or ""}
    values = {
        "invoices": [InvoiceSummary.of(row) for row in found.items],
        "paging": found,
        "staff": grant.scope == "any",
        "can_write": await page.visitor.can(WRITE),
        "can_export": await page.visitor.can(EXPORT),
        "query": query,
        "statuses": [("", "Any status"), *((s, s) for s in STATUSES)],
    }
    return await marcus.render(request, "invoices/list.html", values)


@router.get("/export.csv", response_class=StreamingResponse)
async def export_invoices(
    page: marcus.PageDep, grant: CanExport, status: StatusQuery = None, search: SearchQuery = None
) -> StreamingResponse:
    """The listed invoices as CSV for the accountants (the list's filters apply)."""
    return export.csv_response(page.db, service.listed(grant, _filters(status, search)), tenant=page.workspace)


def _filters(status: str | None, search: str | None) -> InvoiceFilters:
    """The list's filters (an unknown status filters nothing, as the status menu offers none)."""
    return InvoiceFilters(status=status if status in STATUSES else None, search=(search or "").strip() or None)


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
    values = {"invoice": None, "rows": range(0), "appointments": await _billable(page)}
    return await _form_page(request, form, errors, status, values)


async def _form_page(
    request: Request, form: dict[str, Any], errors: marcus.FormErrors | None, status: int, values: dict[str, Any]
) -> HTMLResponse:
    """The invoice form (``new.html``): a new invoice's, or with ``values["invoice"]`` a draft's."""
    context = {"form": form, "errors": errors or marcus.FormErrors(), **values}
    code = 422 if errors and status == 200 else status
    return await marcus.render(request, "invoices/new.html", context, status_code=code)


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


@router.get("/{invoice_id}/edit", response_class=HTMLResponse)
async def edit_invoice(request: Request, invoice_id: uuid.UUID, page: marcus.PageDep, grant: CanWrite) -> Response:
    """The form to change a draft's lines, due date and notes."""
    invoice = await service.get_invoice(page.db, grant, invoice_id=invoice_id)
    try:
        service.require_draft(invoice, "changed")
    except marcus.MarcusError as exc:
        return await _detail_page(request, page, invoice, errors=_general(exc), status=exc.status)
    shown = InvoiceRead.of(invoice)
    return await _edit_page(request, shown, _edit_form(shown), blank=BLANK_LINES)


@router.post("/{invoice_id}/edit", response_class=HTMLResponse)
async def update_invoice(request: Request, invoice_id: uuid.UUID, page: marcus.PageDep, grant: CanWrite) -> Response:
    """Save a draft's lines (they replace the old ones), due date and notes."""
    invoice = await service.get_invoice(page.db, grant, invoice_id=invoice_id, lock=True)
    try:
        service.require_draft(invoice, "changed")
    except marcus.MarcusError as exc:
        return await _refused(request, page, grant, invoice_id, _general(exc), exc.status)
    shown, submitted = InvoiceSummary.of(invoice), marcus.form_values(await request.form())
    data, errors = _parse_edit(submitted)
    if data is None:
        return await _edit_page(request, shown, submitted, errors)
    try:
        await service.update_draft(page.db, invoice=invoice, data=data)
    except marcus.MarcusError as exc:
        await page.db.rollback()
        errors = marcus.FormErrors.of_error(exc, fields=EDIT_FIELDS)
        return await _edit_page(request, shown, submitted, errors, exc.status)
    return marcus.redirect(request, f"/invoices/{invoice_id}", notice="The draft invoice is saved.")


async def _edit_page(
    request: Request,
    invoice: InvoiceSummary,
    form: Mapping[str, Any],
    errors: marcus.FormErrors | None = None,
    status: int = 200,
    blank: int = 0,
) -> HTMLResponse:
    """The draft's form with as many line rows as ``form`` has, and ``blank`` empty ones after them."""
    count = max((int(found[1]) + 1 for found in map(LINE_NAME.fullmatch, form) if found), default=0) + blank
    values = {"invoice": invoice, "rows": range(max(count, 1)), "appointments": []}
    return await _form_page(request, dict(form), errors, status, values)


def _edit_form(invoice: InvoiceRead) -> dict[str, Any]:
    """A draft as its form's values (``lines.<row>.<field>``, as the form names them)."""
    due = invoice.due_date.isoformat() if invoice.due_date else ""
    form: dict[str, Any] = {"due_date": due, "notes": invoice.notes}
    for row, line in enumerate(invoice.lines):
        form |= {f"lines.{row}.{name}": getattr(line, name) for name in LINE_FIELDS}
    return form


def _parse_edit(submitted: Mapping[str, Any]) -> tuple[InvoiceUpdate | None, marcus.FormErrors]:
    """The draft form as an ``InvoiceUpdate``: rows left empty are dropped, empty fields of a line
    take their defaults, an empty due date clears it; errors are named by the form's rows."""
    rows: dict[int, dict[str, str]] = {}
    for name, value in submitted.items():
        found = LINE_NAME.fullmatch(name)
        if found and isinstance(value, str) and int(found[1]) < MAX_LINES + BLANK_LINES:
            rows.setdefault(int(found[1]), {})[found[2]] = value.strip()
    kept = [row for row in sorted(rows) if any(rows[row].values())]
    values = {
        "lines": [{key: text for key, text in rows[row].items() if text} for row in kept],
        "due_date": submitted.get("due_date") or None,
        "notes": submitted.get("notes", ""),
    }
    try:
        return InvoiceUpdate.model_validate(values), marcus.FormErrors()
    except ValidationError as exc:
        return None, marcus.FormErrors.of_validation(exc).renamed(_on_rows(kept))


def _on_rows(kept: list[int]) -> Callable[[str], str | None]:
    """``lines.<n>.<field>`` of the n-th line kept -> the field of its row in the form; messages
    about no field of the form (too many lines) go on top."""

    def rename(name: str) -> str | None:
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit() and parts[2] in LINE_FIELDS:
            return f"lines.{kept[int(parts[1])]}.{parts[2]}"
        return name if name in ("due_date", "notes") else None

    return rename


@router.get("/{invoice_id}/delete", response_class=HTMLResponse)
async def confirm_delete(request: Request, invoice_id: uuid.UUID, page: marcus.PageDep, grant: CanWrite) -> Response:
    """Ask before deleting a draft (a page of its own: no JavaScript needed)."""
    invoice = await service.get_invoice(page.db, grant, invoice_id=invoice_id)
    try:
        service.require_draft(invoice, "deleted")
    except marcus.MarcusError as exc:
        return await _detail_page(request, page, invoice, errors=_general(exc), status=exc.status)
    return await marcus.render(request, "invoices/delete.html", {"invoice": InvoiceSummary.of(invoice)})


@router.post("/{invoice_id}/delete", response_class=HTMLResponse)
async def delete_invoice(request: Request, invoice_id: uuid.UUID, page: marcus.PageDep, grant: CanWrite) -> Response:
    """Delete a draft for good (issued invoices are voided instead)."""
    invoice = await service.get_invoice(page.db, grant, invoice_id=invoice_id, lock=True)
    try:
        await service.delete_draft(page.db, invoice=invoice, actor_id=grant.principal.user_id)
    except marcus.MarcusError as exc:
        return await _refused(request, page, grant, invoice_id, _general(exc), exc.status)
    return marcus.redirect(request, "/invoices", notice="The draft invoice is deleted.")


@router.post("/{invoice_id}/issue", response_class=HTMLResponse)
async def issue_invoice(request: Request, invoice_id: uuid.UUID, page: marcus.PageDep, grant: CanWrite) -> Response:
    """Issue a draft: it takes its number and the customer is told."""
    invoice = await service.get_invoice(page.db, grant, invoice_id=invoice_id, lock=True)
    try:
        await lifecycle.issue_invoice(
            page.db, page.workspace, invoice=invoice, data=IssueRequest(), actor_id=grant.principal.user_id
        )
    except marcus.MarcusError as exc:
        return await _refused(request, page, grant, invoice_id, _general(exc), exc.status)
    return marcus.redirect(request, f"/invoices/{invoice_id}", notice=f"Invoice {invoice.number} is issued.")


@router.post("/{invoice_id}/payments", response_class=HTMLResponse)
async def record_payment(request: Request, invoice_id: uuid.UUID, page: marcus.PageDep, grant: CanPay) -> Response:
    """Record money received (no amount: the whole balance)."""

    async def pay(invoice: Invoice, data: PaymentCreate) -> str:
        actor = grant.principal.user_id
        await lifecycle.record_payment(page.db, page.workspace, invoice=invoice, data=data, actor_id=actor)
        return "The payment is recorded."

    return await _invoice_form(request, page, grant, invoice_id, PaymentCreate, PAYMENT_FIELDS, pay)


@router.post("/{invoice_id}/void", response_class=HTMLResponse)
async def void_invoice(request: Request, invoice_id: uuid.UUID, page: marcus.PageDep, grant: CanWrite) -> Response:
    """Void an issued invoice on which nothing was paid (its number stays used)."""

    async def void(invoice: Invoice, data: VoidRequest) -> str:
        await lifecycle.void_invoice(page.db, invoice=invoice, data=data, actor_id=grant.principal.user_id)
        return f"Invoice {invoice.number} is void."

    return await _invoice_form(request, page, grant, invoice_id, VoidRequest, VOID_FIELDS, void)


async def _invoice_form(
    request: Request,
    page: marcus.PageState,
    grant: marcus.Grant,
    invoice_id: uuid.UUID,
    model: type[M],
    fields: tuple[str, ...],
    act: Callable[[Invoice, M], Awaitable[str]],
) -> Response:
    """A form on the invoice's page: validated into ``model``, then ``act`` (which returns the
    notice); field errors and refusals are shown on the page, the invoice read afresh."""
    invoice = await service.get_invoice(page.db, grant, invoice_id=invoice_id, lock=True)
    submitted = marcus.form_values(await request.form())
    data, errors = marcus.parse_form(model, submitted, fields=fields)
    if data is None:
        return await _detail_page(request, page, invoice, submitted, errors)
    try:
        notice = await act(invoice, data)
    except marcus.MarcusError as exc:
        errors = marcus.FormErrors.of_error(exc, fields=fields)
        return await _refused(request, page, grant, invoice_id, errors, exc.status, submitted)
    return marcus.redirect(request, f"/invoices/{invoice_id}", notice=notice)


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
    can_write = await page.visitor.can(WRITE)
    values = {
        "invoice": InvoiceRead.of(invoice),
        "can_write": can_write,
        "can_void": can_write and lifecycle.voidable(invoice),
        "can_pay": await page.visitor.can(PAY),
        "methods": [(m, METHOD_LABELS[m]) for m in PAYMENT_METHODS],
        "method_labels": METHOD_LABELS,
        "form": {"method": "BankTransfer"} | (form or {}),
        "errors": errors or marcus.FormErrors(),
    }
    code = 422 if errors and status == 200 else status
    return await marcus.render(request, "invoices/detail.html", values, status_code=code)


def _general(exc: marcus.MarcusError) -> marcus.FormErrors:
    """A refusal about the invoice as a whole (its status), shown on top of the page."""
    return marcus.FormErrors().add(None, exc.detail)


def pageset() -> marcus.PageSet:
    """What ``register_pages`` returns: the router, the templates folder, the menu entry."""
    return marcus.PageSet(
        router=router,
        templates=pathlib.Path(__file__).parent / "templates",
        menu=(marcus.MenuEntry(label="Invoices", path="/invoices", permission=READ),),
    )
