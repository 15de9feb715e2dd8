"""The invoices plugin's tenant tables: invoices, their lines and payments, and the number
counters. Money is ``numeric`` (amounts kept to 3 decimals, the largest ISO 4217 minor unit;
each invoice's amounts are rounded to its own currency's unit, see ``totals``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from marcus_appointments.models import Appointment
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Numeric,
    SmallInteger,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

import marcus

DRAFT, PENDING, PARTIALLY_PAID, PAID, OVERDUE, VOID = "Draft", "Pending", "PartiallyPaid", "Paid", "Overdue", "Void"
STATUSES = (DRAFT, PENDING, PARTIALLY_PAID, PAID, OVERDUE, VOID)
UNPAID = (PENDING, PARTIALLY_PAID, OVERDUE)
CASH, BANK_TRANSFER, CARD, OTHER = "Cash", "BankTransfer", "Card", "Other"
PAYMENT_TYPES = (CASH, BANK_TRANSFER)
PAYMENT_METHODS = (CASH, BANK_TRANSFER, CARD, OTHER)
Money = Numeric(18, 3)


def _fk(column: str, table: str, *, ondelete: str | None = None) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["organization_id", column], [f"{table}.organization_id", f"{table}.id"], ondelete=ondelete
    )


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Invoice(marcus.TenantScoped, marcus.Base):
    """A bill to one customer. A ``Draft`` has no number and may change; issuing it
    (``Pending``) takes its number and freezes its lines, dates and the two address blocks
    (``seller`` and ``bill_to`` snapshots); payments then move it to ``PartiallyPaid`` or
    ``Paid``; the daily job marks it ``Overdue`` once past due; ``Void`` cancels it."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("organization_id", "number"),
        # One live invoice per appointment: a voided one no longer blocks a corrected invoice.
        Index(
            "uq_invoices_organization_id_appointment_id",
            "organization_id",
            "appointment_id",
            unique=True,
            postgresql_where=text("status <> 'Void'"),
        ),
        _fk("customer_id", "users"),
        _fk("issued_by", "users"),
        _fk("appointment_id", Appointment.__tablename__),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("payment_type", PAYMENT_TYPES), name="payment_type"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency"),
        CheckConstraint("status = 'Draft' OR (number IS NOT NULL AND issue_date IS NOT NULL)", name="issued"),
        CheckConstraint("due_date IS NULL OR issue_date IS NULL OR due_date >= issue_date", name="due_date"),
        CheckConstraint("amount_paid >= 0 AND amount_paid <= total", name="amount_paid"),
        Index("ix_invoices_organization_id_created_at", "organization_id", "created_at"),
        Index("ix_invoices_organization_id_customer_id_created_at", "organization_id", "customer_id", "created_at"),
        Index("ix_invoices_organization_id_status_due_date", "organization_id", "status", "due_date"),
    )

    number: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, default=DRAFT, server_default=DRAFT)
    customer_id: Mapped[uuid.UUID]
    appointment_id: Mapped[uuid.UUID | None]
    currency: Mapped[str] = mapped_column(Text)
    issue_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    payment_type: Mapped[str] = mapped_column(Text, default=BANK_TRANSFER, server_default=BANK_TRANSFER)
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    subtotal: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    tax_total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    amount_paid: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    seller: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    bill_to: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    issued_by: Mapped[uuid.UUID | None]
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    overdue_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    void_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    lines: Mapped[list[InvoiceLine]] = relationship(lazy="raise", order_by="InvoiceLine.position", viewonly=True)
    payments: Mapped[list[Payment]] = relationship(lazy="raise", order_by="Payment.created_at", viewonly=True)
    customer: Mapped[marcus.User] = relationship(
        lazy="raise",
        viewonly=True,
        primaryjoin="and_(Invoice.organization_id == User.organization_id, Invoice.customer_id == User.id)",
        foreign_keys="[Invoice.organization_id, Invoice.customer_id]",
    )

    @property
    def balance(self) -> Decimal:
        """What is still owed (zero for drafts and void invoices)."""
        if self.status in (DRAFT, VOID):
            return Decimal(0)
        return self.total - self.amount_paid


class InvoiceLine(marcus.TenantScoped, marcus.Base):
    """One line: ``quantity x unit_price`` plus ``tax_rate`` percent, amounts rounded per line."""

    __tablename__ = "invoices_lines"
    __table_args__ = (
        _fk("invoice_id", "invoices", ondelete="CASCADE"),
        UniqueConstraint("organization_id", "invoice_id", "position"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("unit_price >= 0", name="unit_price"),
        CheckConstraint("tax_rate >= 0 AND tax_rate <= 100", name="tax_rate"),
        CheckConstraint("total = net + tax", name="total"),
    )

    invoice_id: Mapped[uuid.UUID]
    position: Mapped[int] = mapped_column(SmallInteger)
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    net: Mapped[Decimal] = mapped_column(Money)
    tax: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)


class Payment(marcus.TenantScoped, marcus.Base):
    """Money received for an invoice; partial payments add up to its ``amount_paid``."""

    __tablename__ = "invoices_payments"
    __table_args__ = (
        _fk("invoice_id", "invoices"),
        _fk("recorded_by", "users"),
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint(_in("method", PAYMENT_METHODS), name="method"),
        Index("ix_invoices_payments_organization_id_invoice_id", "organization_id", "invoice_id"),
    )

    invoice_id: Mapped[uuid.UUID]
    amount: Mapped[Decimal] = mapped_column(Money)
    paid_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(Text)
    reference: Mapped[str] = mapped_column(Text, default="", server_default="")
    recorded_by: Mapped[uuid.UUID | None]


class Counter(marcus.TenantScoped, marcus.Base):
    """The last number taken in one workspace for one period (a year, or ``all``)."""

    __tablename__ = "invoices_counters"
    __table_args__ = (UniqueConstraint("organization_id", "period"),)

    period: Mapped[str] = mapped_column(Text)
    value: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


MODELS: list[type[marcus.Base]] = [Invoice, InvoiceLine, Payment, Counter]
