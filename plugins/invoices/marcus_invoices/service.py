"""Invoices: reading and searching within the caller's scope, and editing drafts.

Keyword-only; writes commit; errors are domain errors. A customer (scope ``own``) sees only
their own invoices and never drafts; staff see the workspace's. The lifecycle (issuing,
payments, voiding, overdue) is in ``lifecycle``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, and_, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, selectinload
from sqlalchemy.orm.attributes import set_committed_value

import marcus
from marcus_invoices.events import DraftDeleted, InvoiceCreated
from marcus_invoices.models import DRAFT, Invoice, InvoiceLine
from marcus_invoices.schemas import InvoiceCreate, InvoiceUpdate, LineIn
from marcus_invoices.totals import invoice_totals, line_amounts


@dataclass(frozen=True, kw_only=True)
class InvoiceFilters:
    """The list's filters (seed-api §3.5), combined with AND. ``date_from`` / ``date_to`` are
    inclusive and apply to the issue date (drafts have none, so they drop out)."""

    status: str | None = None
    search: str | None = None
    customer_id: uuid.UUID | None = None
    appointment_id: uuid.UUID | None = None
    date_from: date | None = None
    date_to: date | None = None


def zone_of(tenant: marcus.Tenant) -> tzinfo:
    """The workspace's IANA time zone (UTC should the stored name be unknown here)."""
    try:
        return ZoneInfo(marcus.workspace_settings(tenant).time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def today_in(tenant: marcus.Tenant) -> date:
    """Today's date in the workspace's time zone (due dates and overdue are local days)."""
    return datetime.now(zone_of(tenant)).date()


def invalid(field: str, detail: str, code: str) -> marcus.Invalid:
    return marcus.Invalid(detail, code=code, errors=[{"field": field, "message": detail}])


# --- reading ---------------------------------------------------------------------------------


def _visible(grant: marcus.Grant) -> Select[Invoice]:
    """Invoices the grant may see, joined with their customer (search and lists show it)."""
    query = (
        select(Invoice)
        .join(
            marcus.User,
            and_(marcus.User.organization_id == Invoice.organization_id, marcus.User.id == Invoice.customer_id),
        )
        .options(contains_eager(Invoice.customer))
        .where(Invoice.organization_id == grant.principal.org_id, grant.owner_filter(Invoice.customer_id))
    )
    if grant.scope == "own":
        query = query.where(Invoice.status != DRAFT)
    return query


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filtered(query: Select[Invoice], filters: InvoiceFilters) -> Select[Invoice]:
    """``query`` narrowed by ``filters``."""
    user = marcus.User
    equal = {
        Invoice.status: filters.status,
        Invoice.customer_id: filters.customer_id,
        Invoice.appointment_id: filters.appointment_id,
    }
    query = query.where(*(column == value for column, value in equal.items() if value is not None))
    if filters.date_from is not None:
        query = query.where(Invoice.issue_date >= filters.date_from)
    if filters.date_to is not None:
        query = query.where(Invoice.issue_date <= filters.date_to)
    if filters.search:
        pattern = _like(filters.search)
        columns = (Invoice.number, user.email, user.company_name, user.first_name, user.last_name)
        query = query.where(or_(*(column.ilike(pattern, escape="\\") for column in columns)))
    return query


def listed(grant: marcus.Grant, filters: InvoiceFilters) -> Select[Invoice]:
    """The list's statement, newest first (also what the CSV export streams)."""
    return filtered(_visible(grant), filters).order_by(Invoice.created_at.desc(), Invoice.id.desc())


async def list_invoices(
    session: AsyncSession, grant: marcus.Grant, *, filters: InvoiceFilters, page: int, limit: int
) -> marcus.Page[Invoice]:
    """One page of the invoices the caller may see."""
    return await marcus.paginate(session, listed(grant, filters), page=page, limit=limit)


async def get_invoice(
    session: AsyncSession, grant: marcus.Grant, *, invoice_id: uuid.UUID, lock: bool = False
) -> Invoice:
    """One invoice with its lines and payments, if the caller may see it (404 otherwise).

    ``lock`` holds the row until the transaction ends: every write loads its invoice this way,
    so concurrent payments or status changes of one invoice apply one after the other.
    """
    query = _visible(grant).where(Invoice.id == invoice_id)
    query = query.options(selectinload(Invoice.lines), selectinload(Invoice.payments))
    if lock:
        query = query.with_for_update(of=Invoice)
    invoice = (await session.scalars(query.execution_options(populate_existing=True))).unique().one_or_none()
    if invoice is None:
        raise marcus.NotFound("No such invoice.", code="invoice_not_found")
    return invoice


async def reload(session: AsyncSession, invoice: Invoice) -> Invoice:
    """The invoice as stored now, with its lines, payments and customer (after a write)."""
    query = (
        select(Invoice)
        .where(Invoice.organization_id == invoice.organization_id, Invoice.id == invoice.id)
        .options(selectinload(Invoice.lines), selectinload(Invoice.payments), selectinload(Invoice.customer))
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(query)).one()


# --- drafts ----------------------------------------------------------------------------------


async def customer_of(session: AsyncSession, *, org_id: uuid.UUID, customer_id: uuid.UUID) -> marcus.User:
    """A user of this workspace to bill (422 naming ``customer_id`` when there is none)."""
    user = await session.scalar(
        select(marcus.User).where(
            marcus.User.organization_id == org_id, marcus.User.id == customer_id, marcus.User.deleted_at.is_(None)
        )
    )
    if user is None:
        raise invalid("customer_id", "No such customer in this workspace.", "unknown_customer")
    return user


def build_lines(invoice: Invoice, lines: Sequence[LineIn]) -> list[InvoiceLine]:
    """Line rows with their rounded amounts; sets the invoice's totals from them."""
    rows, amounts = [], []
    for position, line in enumerate(lines, start=1):
        amount = line_amounts(
            quantity=line.quantity, unit_price=line.unit_price, tax_rate=line.tax_rate, currency=invoice.currency
        )
        amounts.append(amount)
        rows.append(
            InvoiceLine(
                organization_id=invoice.organization_id,
                id=marcus.new_id(),
                invoice_id=invoice.id,
                position=position,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                tax_rate=line.tax_rate,
                net=amount.net,
                tax=amount.tax,
                total=amount.total,
            )
        )
    totals = invoice_totals(amounts, invoice.currency)
    invoice.subtotal, invoice.tax_total, invoice.total = totals.subtotal, totals.tax, totals.total
    return rows


async def new_draft(
    session: AsyncSession,
    tenant: marcus.Tenant,
    *,
    customer: marcus.User,
    data: InvoiceCreate,
    lines: Sequence[LineIn],
) -> Invoice:
    """Add a draft and its lines to the session (flushed, not committed)."""
    now = datetime.now(UTC)
    invoice = Invoice(
        organization_id=tenant.id,
        id=marcus.new_id(),
        status=DRAFT,
        customer_id=customer.id,
        appointment_id=data.appointment_id,
        currency=marcus.workspace_settings(tenant).currency,
        issue_date=data.issue_date,
        due_date=data.due_date,
        payment_type=data.payment_type,
        notes=data.notes,
        amount_paid=Decimal(0),
        created_at=now,
        updated_at=now,
    )
    rows = build_lines(invoice, lines)
    session.add(invoice)
    await flush(session)
    session.add_all(rows)
    await session.flush()
    set_committed_value(invoice, "lines", rows)
    set_committed_value(invoice, "payments", [])
    set_committed_value(invoice, "customer", customer)
    return invoice


async def flush(session: AsyncSession) -> None:
    """Flush; the one-invoice-per-appointment index turns a second invoice into a 409."""
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None) or ""
        if "appointment" in constraint:
            raise marcus.Conflict(
                "This appointment already has an invoice.",
                code="appointment_already_invoiced",
                errors=[{"field": "appointment_id", "message": "already invoiced"}],
            ) from exc
        raise


async def created_event(session: AsyncSession, invoice: Invoice, *, actor_id: uuid.UUID) -> None:
    event = InvoiceCreated(entity_id=invoice.id, invoice_id=invoice.id, number=None, status=invoice.status)
    await marcus.publish(session, event, actor_id=actor_id)


def require_draft(invoice: Invoice, action: str) -> None:
    """409 naming the status when ``invoice`` is no longer a draft."""
    if invoice.status != DRAFT:
        detail = f"An invoice in status {invoice.status} cannot be {action}: only drafts can."
        raise marcus.Conflict(
            detail,
            code="invalid_transition",
            errors=[{"field": "status", "message": detail, "current": invoice.status}],
        )


async def update_draft(session: AsyncSession, *, invoice: Invoice, data: InvoiceUpdate) -> Invoice:
    """Change what was sent on a draft; ``lines`` replaces them all and the totals follow."""
    require_draft(invoice, "changed")
    fields = data.model_dump(exclude_unset=True, exclude={"lines"})
    if not fields and data.lines is None:
        raise invalid("body", "No update fields provided.", "empty_update")
    if "customer_id" in fields and invoice.appointment_id and fields["customer_id"] != invoice.customer_id:
        raise invalid("customer_id", "An appointment's invoice bills the appointment's customer.", "customer_mismatch")
    if "customer_id" in fields:
        await customer_of(session, org_id=invoice.organization_id, customer_id=fields["customer_id"])
    for name, value in fields.items():
        setattr(invoice, name, value)
    if invoice.due_date and invoice.issue_date and invoice.due_date < invoice.issue_date:
        raise invalid("due_date", "due_date may not be before issue_date.", "due_before_issue")
    if data.lines is not None:
        await session.execute(
            delete(InvoiceLine).where(
                InvoiceLine.organization_id == invoice.organization_id, InvoiceLine.invoice_id == invoice.id
            )
        )
        session.add_all(build_lines(invoice, data.lines))
    invoice.updated_at = datetime.now(UTC)
    await session.flush()
    invoice = await reload(session, invoice)
    await session.commit()
    return invoice


async def delete_draft(session: AsyncSession, *, invoice: Invoice, actor_id: uuid.UUID) -> None:
    """Delete a draft (issued invoices are voided instead, so numbers stay gap-free)."""
    require_draft(invoice, "deleted")
    await session.execute(
        delete(Invoice).where(Invoice.organization_id == invoice.organization_id, Invoice.id == invoice.id)
    )
    event = DraftDeleted(entity_id=invoice.id, invoice_id=invoice.id, number=None, status=DRAFT)
    await marcus.publish(session, event, actor_id=actor_id)
    await session.commit()
