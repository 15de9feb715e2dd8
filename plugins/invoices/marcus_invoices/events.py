"""Invoice events. ``invoices.issued`` and ``invoices.paid`` carry the seed's notifications
(seed-api §4.6: "Invoice created" / "Invoice paid", to the invoice's customer);
``invoices.overdue`` is new (the seed never marked invoices overdue). The others record
staff work in the activity feed and notify nobody."""

from __future__ import annotations

import uuid

from marcus import Event, Notice

ACTIVITY = "Invoice"


class InvoiceEvent(Event):
    """What every invoice event says: which invoice, its number (None for a draft) and status."""

    invoice_id: uuid.UUID
    number: str | None
    status: str


class InvoiceCreated(InvoiceEvent):
    """Staff started a draft (customers do not see drafts)."""

    name = "invoices.created"
    notice = Notice(type=ACTIVITY, title="Invoice drafted", message="A draft invoice was created.", notify=False)


class InvoiceIssued(InvoiceEvent):
    """A draft was issued: it has its number and is awaiting payment. The seed's INVOICE_CREATED."""

    name = "invoices.issued"
    notice = Notice(type=ACTIVITY, title="Invoice created", message="A new invoice has been issued.")
    total: str
    currency: str
    due_date: str
    appointment_id: uuid.UUID | None = None


class PaymentRecorded(InvoiceEvent):
    """Money was received (the invoice may still be partly unpaid)."""

    name = "invoices.payment_recorded"
    notice = Notice(
        type=ACTIVITY,
        title="Payment recorded",
        message="A payment of {amount} {currency} was recorded for invoice {number}.",
        notify=False,
    )
    payment_id: uuid.UUID
    amount: str
    currency: str
    balance: str


class InvoicePaid(InvoiceEvent):
    """The balance reached zero. The seed's INVOICE_PAID."""

    name = "invoices.paid"
    notice = Notice(type=ACTIVITY, title="Invoice paid", message="Your invoice has been marked as paid.")


class InvoiceOverdue(InvoiceEvent):
    """The daily job found it unpaid after its due date (once per invoice)."""

    name = "invoices.overdue"
    notice = Notice(
        type=ACTIVITY, title="Invoice overdue", message="Your invoice {number} was due on {due_date} and is overdue."
    )
    due_date: str
    balance: str
    currency: str


class InvoiceVoided(InvoiceEvent):
    """An issued invoice was cancelled; nothing is owed any more."""

    name = "invoices.voided"
    notice = Notice(type=ACTIVITY, title="Invoice voided", message="Your invoice {number} has been cancelled.")
    reason: str | None = None


class DraftDeleted(InvoiceEvent):
    """A draft was thrown away (issued invoices are voided, never deleted: numbers stay gap-free)."""

    name = "invoices.draft_deleted"
    notice = Notice(type=ACTIVITY, title="Draft deleted", message="A draft invoice was deleted.", notify=False)


class AttachedAsDocument(InvoiceEvent):
    """The invoice's PDF was filed among the customer's documents."""

    name = "invoices.attached"
    notice = Notice(type=ACTIVITY, title="Invoice filed", message="Invoice {number} is available in your documents.")
    document_id: uuid.UUID


EVENT_TYPES: list[type[Event]] = [
    InvoiceCreated,
    InvoiceIssued,
    PaymentRecorded,
    InvoicePaid,
    InvoiceOverdue,
    InvoiceVoided,
    DraftDeleted,
    AttachedAsDocument,
]
