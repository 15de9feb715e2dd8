"""The invoice state machine and what moves it: issuing, payments, voiding, overdue.

::

    Draft ──issue──> Pending ──payment──> PartiallyPaid ──payment──> Paid
                        │  └──payment (whole balance)────────────────> Paid
                        ├──daily job (past due)──> Overdue ──payment──> Paid
                        └──void (nothing paid)───> Void  <──void────────┘

``PartiallyPaid`` also becomes ``Overdue`` when past due; a partial payment of an overdue
invoice keeps it ``Overdue`` (it is still late). ``Paid`` and ``Void`` are final. Any other
move is a 409 naming the invoice's current status. Every write works on the invoice row
locked by ``service.get_invoice(lock=True)``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

import marcus
from marcus_invoices import links, numbering, service
from marcus_invoices.events import InvoiceIssued, InvoiceOverdue, InvoicePaid, InvoiceVoided, PaymentRecorded
from marcus_invoices.models import DRAFT, OVERDUE, PAID, PARTIALLY_PAID, PENDING, UNPAID, VOID, Invoice, Payment
from marcus_invoices.schemas import InvoiceCreate, IssueRequest, PaymentCreate, VoidRequest
from marcus_invoices.settings import InvoicesSettings
from marcus_invoices.totals import format_amount, minor_digits, round_money

TRANSITIONS: dict[str, frozenset[str]] = {
    DRAFT: frozenset({PENDING}),
    PENDING: frozenset({PARTIALLY_PAID, PAID, OVERDUE, VOID}),
    PARTIALLY_PAID: frozenset({PAID, OVERDUE}),
    OVERDUE: frozenset({PAID, VOID}),
    PAID: frozenset(),
    VOID: frozenset(),
}
VERBS = {PENDING: "issued", PAID: "paid", VOID: "voided", OVERDUE: "marked overdue", PARTIALLY_PAID: "partly paid"}


def conflict(invoice: Invoice, detail: str) -> marcus.Conflict:
    return marcus.Conflict(
        detail, code="invalid_transition", errors=[{"field": "status", "message": detail, "current": invoice.status}]
    )


def move(invoice: Invoice, to: str) -> None:
    """Set ``invoice.status`` to ``to`` if the state machine allows it (409 naming the current status)."""
    if to not in TRANSITIONS[invoice.status]:
        raise conflict(invoice, f"An invoice in status {invoice.status} cannot be {VERBS.get(to, to)}.")
    invoice.status = to
    invoice.updated_at = datetime.now(UTC)


def _event_fields(invoice: Invoice) -> dict[str, Any]:
    return {
        "entity_id": invoice.id,
        "customer_id": invoice.customer_id,
        "invoice_id": invoice.id,
        "number": invoice.number,
        "status": invoice.status,
    }


# --- issuing ---------------------------------------------------------------------------------


def _bill_to(user: marcus.User) -> dict[str, Any]:
    """The customer block as it stands when the invoice is issued (kept with the invoice)."""
    fields = ("company_name", "email", "phone", "street", "zip", "city", "country", "vat_id")
    return {"name": f"{user.first_name} {user.last_name}".strip(), **{f: getattr(user, f) or "" for f in fields}}


def _seller(tenant: marcus.Tenant, settings: InvoicesSettings) -> dict[str, Any]:
    return {
        "name": marcus.workspace_settings(tenant).name,
        "address": settings.address,
        "vat_id": settings.vat_id,
        "payment_instructions": settings.payment_instructions,
    }


def _dates(tenant: marcus.Tenant, invoice: Invoice, data: IssueRequest, terms: int) -> tuple[date, date]:
    issue = data.issue_date or invoice.issue_date or service.today_in(tenant)
    due = data.due_date or invoice.due_date or issue + timedelta(days=terms)
    if due < issue:
        raise service.invalid("due_date", "due_date may not be before issue_date.", "due_before_issue")
    return issue, due


async def _issue(
    session: AsyncSession, tenant: marcus.Tenant, invoice: Invoice, data: IssueRequest, actor: uuid.UUID
) -> None:
    """Issue a locked draft in the session's transaction: dates, snapshots, its appointment's
    completion, then its number (taken last: the workspace's counter row stays locked from there
    to the commit that follows, and nothing after it is likely to fail)."""
    if invoice.status == DRAFT and not invoice.lines:
        raise service.invalid("lines", "An invoice needs at least one line to be issued.", "no_lines")
    move(invoice, PENDING)
    settings = InvoicesSettings.of(tenant.plugins)
    invoice.issue_date, invoice.due_date = _dates(tenant, invoice, data, settings.payment_terms_days)
    invoice.bill_to, invoice.seller = _bill_to(invoice.customer), _seller(tenant, settings)
    invoice.issued_by, invoice.issued_at = actor, datetime.now(UTC)
    with session.no_autoflush:  # the row is written once, with its number
        await links.complete_appointment(session, invoice, actor_id=actor)
        invoice.number = await numbering.take_number(
            session,
            org_id=invoice.organization_id,
            pattern=settings.number_pattern,
            prefix=settings.number_prefix,
            year=invoice.issue_date.year,
        )
    await session.flush()
    event = InvoiceIssued(
        **_event_fields(invoice),
        total=format_amount(invoice.total, invoice.currency),
        currency=invoice.currency,
        due_date=invoice.due_date.isoformat(),
        appointment_id=invoice.appointment_id,
    )
    await marcus.publish(session, event, actor_id=actor)


async def issue_invoice(
    session: AsyncSession, tenant: marcus.Tenant, *, invoice: Invoice, data: IssueRequest, actor_id: uuid.UUID
) -> Invoice:
    """Issue a draft: it takes the workspace's next number and its customer is told."""
    await _issue(session, tenant, invoice, data, actor_id)
    await session.commit()
    return invoice


async def create_invoice(
    session: AsyncSession,
    tenant: marcus.Tenant,
    *,
    data: InvoiceCreate,
    actor_id: uuid.UUID,
) -> Invoice:
    """A new draft for a customer or an appointment, issued at once when ``data.issue`` (one
    transaction)."""
    if data.appointment_id is not None:
        customer_id, lines = await links.appointment_customer_and_lines(session, tenant, data=data)
    elif data.customer_id is not None:
        customer_id, lines = data.customer_id, list(data.lines or [])
    else:  # the schema already requires one of them
        raise service.invalid("customer_id", "customer_id or appointment_id is required.", "customer_required")
    customer = await service.customer_of(session, org_id=tenant.id, customer_id=customer_id)
    invoice = await service.new_draft(session, tenant, customer=customer, data=data, lines=lines)
    if data.issue:
        await _issue(session, tenant, invoice, IssueRequest(), actor_id)
    else:
        await service.created_event(session, invoice, actor_id=actor_id)
    await session.commit()
    return invoice


# --- payments --------------------------------------------------------------------------------


def _amount(invoice: Invoice, data: PaymentCreate) -> Decimal:
    balance = invoice.balance
    if data.amount is None:
        return balance
    amount = data.amount
    if amount != round_money(amount, invoice.currency):
        detail = f"{invoice.currency} amounts have at most {minor_digits(invoice.currency)} decimals."
        raise service.invalid("amount", detail, "amount_precision")
    if amount > balance:
        detail = f"The payment exceeds the balance of {format_amount(balance, invoice.currency)} {invoice.currency}."
        raise service.invalid("amount", detail, "overpayment")
    return amount


async def record_payment(
    session: AsyncSession, tenant: marcus.Tenant, *, invoice: Invoice, data: PaymentCreate, actor_id: uuid.UUID
) -> Invoice:
    """Record money received: partial payments allowed, never more than the balance. The
    balance reaching zero makes the invoice ``Paid`` (``invoices.paid``, the customer is told)."""
    if invoice.status not in UNPAID:
        raise conflict(invoice, f"An invoice in status {invoice.status} cannot take payments.")
    amount = _amount(invoice, data)
    today = service.today_in(tenant)
    if data.paid_on is not None and data.paid_on > today:
        raise service.invalid("paid_on", "A payment cannot be dated in the future.", "payment_in_future")
    payment = Payment(
        organization_id=invoice.organization_id,
        id=marcus.new_id(),
        invoice_id=invoice.id,
        amount=amount,
        paid_on=data.paid_on or today,
        method=data.method,
        reference=data.reference,
        recorded_by=actor_id,
        created_at=datetime.now(UTC),
    )
    session.add(payment)
    invoice.amount_paid += amount
    if invoice.balance == 0:
        move(invoice, PAID)
        invoice.paid_at = datetime.now(UTC)
    elif invoice.status == PENDING:
        move(invoice, PARTIALLY_PAID)
    invoice.updated_at = datetime.now(UTC)
    await session.flush()
    fields = _event_fields(invoice)
    recorded = PaymentRecorded(
        **fields,
        payment_id=payment.id,
        amount=format_amount(amount, invoice.currency),
        currency=invoice.currency,
        balance=format_amount(invoice.balance, invoice.currency),
    )
    await marcus.publish(session, recorded, actor_id=actor_id)
    if invoice.status == PAID:
        await marcus.publish(session, InvoicePaid(**fields), actor_id=actor_id)
    set_committed_value(invoice, "payments", [*invoice.payments, payment])
    await session.commit()
    return invoice


# --- voiding and overdue -------------------------------------------------------------------


def voidable(invoice: Invoice) -> bool:
    """Whether ``void_invoice`` would take ``invoice`` (pages offer the action only then)."""
    return VOID in TRANSITIONS[invoice.status] and invoice.amount_paid == 0


async def void_invoice(session: AsyncSession, *, invoice: Invoice, data: VoidRequest, actor_id: uuid.UUID) -> Invoice:
    """Cancel an issued invoice on which nothing was paid (its number stays used)."""
    if invoice.status == DRAFT:
        raise conflict(invoice, "An invoice in status Draft cannot be voided: delete the draft instead.")
    if invoice.amount_paid > 0 and invoice.status in UNPAID:
        raise conflict(invoice, f"An invoice in status {invoice.status} with payments recorded cannot be voided.")
    move(invoice, VOID)
    invoice.voided_at, invoice.void_reason = datetime.now(UTC), data.reason
    await session.flush()
    await marcus.publish(session, InvoiceVoided(**_event_fields(invoice), reason=data.reason), actor_id=actor_id)
    await session.commit()
    return invoice


async def mark_overdue(session: AsyncSession, tenant: marcus.Tenant) -> int:
    """Mark the workspace's unpaid invoices whose due date has passed (in its time zone) as
    ``Overdue`` and publish ``invoices.overdue`` for each; returns how many.

    Exactly once per invoice: the single UPDATE only takes rows never marked before
    (``overdue_at IS NULL``); a concurrent run waits on the rows this one locked, then finds
    them marked and skips them.
    """
    now = datetime.now(UTC)
    marked = await session.execute(
        update(Invoice)
        .where(
            Invoice.organization_id == tenant.id,
            Invoice.status.in_((PENDING, PARTIALLY_PAID)),
            Invoice.overdue_at.is_(None),
            Invoice.due_date < service.today_in(tenant),
        )
        .values(status=OVERDUE, overdue_at=now, updated_at=now)
        .returning(
            Invoice.id,
            Invoice.number,
            Invoice.customer_id,
            Invoice.due_date,
            Invoice.total,
            Invoice.amount_paid,
            Invoice.currency,
        )
        .execution_options(synchronize_session=False)
    )
    rows = marked.all()
    for row in rows:
        event = InvoiceOverdue(
            entity_id=row.id,
            customer_id=row.customer_id,
            invoice_id=row.id,
            number=row.number,
            status=OVERDUE,
            due_date=row.due_date.isoformat(),
            balance=format_amount(row.total - row.amount_paid, row.currency),
            currency=row.currency,
        )
        await marcus.publish(session, event)
    return len(rows)
