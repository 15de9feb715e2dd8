"""API resources of the invoices plugin. Money leaves as a decimal string in the invoice
currency's digits (``"118.99"``) next to its ISO 4217 ``currency``, never as a float; it
comes in as a decimal string (or a JSON number, read as its decimal text)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator, model_validator

import marcus
from marcus_invoices.models import Invoice, InvoiceLine, Payment
from marcus_invoices.totals import format_amount

API = "/api/v1/invoices"
MAX_LINES = 500
Status = Literal["Draft", "Pending", "PartiallyPaid", "Paid", "Overdue", "Void"]
PaymentType = Literal["Cash", "BankTransfer"]
PaymentMethod = Literal["Cash", "BankTransfer", "Card", "Other"]
Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Notes = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Quantity = Annotated[Decimal, Field(gt=0, le=Decimal("1000000000"), decimal_places=4, examples=["3"])]
UnitPrice = Annotated[
    Decimal, Field(ge=0, le=Decimal("100000000000000"), decimal_places=4, description="Net price of one unit")
]
TaxRate = Annotated[Decimal, Field(ge=0, le=100, decimal_places=4, description="Percent, e.g. 19", examples=["19"])]
PositiveAmount = Annotated[Decimal, Field(gt=0, le=Decimal("100000000000000"), decimal_places=3)]
AmountText = Annotated[str, Field(description="Decimal string in the currency's digits", examples=["118.99"])]


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: Description
    quantity: Quantity = Decimal(1)
    unit_price: UnitPrice
    tax_rate: TaxRate = Decimal(0)


class _Patch(BaseModel):
    """A partial update: absent fields stay as they are; ``null`` only clears what may be empty."""

    model_config = ConfigDict(extra="forbid")
    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.NULLABLE:
            raise ValueError("may not be null (leave the field out to keep its value)")
        return value


def _check_dates(issue: date | None, due: date | None) -> None:
    if issue is not None and due is not None and due < issue:
        raise ValueError("due_date may not be before issue_date")


class InvoiceCreate(BaseModel):
    """A new invoice: for a customer, or for an appointment (its customer, and a line for its
    service unless lines are given). ``issue: true`` issues it at once (it takes its number)."""

    model_config = ConfigDict(extra="forbid")

    customer_id: uuid.UUID | None = Field(default=None, description="Required unless appointment_id is given")
    appointment_id: uuid.UUID | None = Field(default=None, description="One invoice per appointment")
    lines: list[LineIn] | None = Field(default=None, max_length=MAX_LINES)
    issue_date: date | None = Field(default=None, description="Defaults to the day it is issued (workspace time)")
    due_date: date | None = Field(default=None, description="Defaults to issue date + the payment terms")
    payment_type: PaymentType = "BankTransfer"
    notes: Notes = ""
    issue: bool = Field(default=False, description="Issue it right away instead of keeping a draft")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.customer_id is None and self.appointment_id is None:
            raise ValueError("customer_id or appointment_id is required")
        _check_dates(self.issue_date, self.due_date)
        return self


class InvoiceUpdate(_Patch):
    """Changes to a draft (issued invoices are frozen: void and re-issue instead)."""

    NULLABLE = frozenset({"issue_date", "due_date"})

    customer_id: uuid.UUID | None = None
    lines: list[LineIn] | None = Field(default=None, max_length=MAX_LINES, description="Replaces every line")
    issue_date: date | None = None
    due_date: date | None = None
    payment_type: PaymentType | None = None
    notes: Notes | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_dates(self.issue_date, self.due_date)
        return self


class IssueRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    issue_date: date | None = Field(default=None, description="Defaults to the draft's, else today (workspace time)")
    due_date: date | None = Field(default=None, description="Defaults to the draft's, else issue date + terms")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_dates(self.issue_date, self.due_date)
        return self


class VoidRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class PaymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: PositiveAmount | None = Field(default=None, description="Defaults to the whole balance")
    paid_on: date | None = Field(default=None, description="Defaults to today (workspace time)")
    method: PaymentMethod = "BankTransfer"
    reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


class CustomerRef(BaseModel):
    id: uuid.UUID
    name: str
    email: str
    company_name: str | None


class LineRead(BaseModel):
    position: int
    description: str
    quantity: str = Field(examples=["3"])
    unit_price: str = Field(examples=["33.33"])
    tax_rate: str = Field(examples=["19"])
    net: AmountText
    tax: AmountText
    total: AmountText

    @classmethod
    def of(cls, line: InvoiceLine, currency: str) -> LineRead:
        return cls(
            position=line.position,
            description=line.description,
            quantity=plain(line.quantity),
            unit_price=plain(line.unit_price, at_least=2),
            tax_rate=plain(line.tax_rate),
            net=format_amount(line.net, currency),
            tax=format_amount(line.tax, currency),
            total=format_amount(line.total, currency),
        )


class PaymentRead(BaseModel):
    id: uuid.UUID
    amount: AmountText
    paid_on: date
    method: PaymentMethod
    reference: str
    created_at: datetime

    @classmethod
    def of(cls, payment: Payment, currency: str) -> PaymentRead:
        return cls(
            id=payment.id,
            amount=format_amount(payment.amount, currency),
            paid_on=payment.paid_on,
            method=payment.method,  # a PaymentMethod: the table checks it
            reference=payment.reference,
            created_at=payment.created_at,
        )


class InvoiceSummary(BaseModel):
    """An invoice as lists show it."""

    id: uuid.UUID
    number: str | None = Field(description="None while a draft", examples=["INV-2026-0001"])
    status: Status
    customer: CustomerRef
    appointment_id: uuid.UUID | None
    currency: str = Field(description="ISO 4217", examples=["EUR"])
    issue_date: date | None
    due_date: date | None
    payment_type: PaymentType
    subtotal: AmountText
    tax_total: AmountText
    total: AmountText
    amount_paid: AmountText
    balance: AmountText
    pdf_url: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def fields_of(cls, invoice: Invoice) -> dict[str, Any]:
        money = {
            name: format_amount(getattr(invoice, name), invoice.currency)
            for name in ("subtotal", "tax_total", "total", "amount_paid", "balance")
        }
        user = invoice.customer
        return {
            "id": invoice.id,
            "number": invoice.number,
            "status": invoice.status,
            "customer": CustomerRef(
                id=user.id,
                name=f"{user.first_name} {user.last_name}".strip(),
                email=user.email,
                company_name=user.company_name,
            ),
            "appointment_id": invoice.appointment_id,
            "currency": invoice.currency,
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date,
            "payment_type": invoice.payment_type,
            "pdf_url": f"{API}/{invoice.id}/pdf",
            "created_at": invoice.created_at,
            "updated_at": invoice.updated_at,
            **money,
        }

    @classmethod
    def of(cls, invoice: Invoice) -> InvoiceSummary:
        return cls(**cls.fields_of(invoice))


class InvoiceRead(InvoiceSummary):
    """An invoice with its lines and payments."""

    notes: str
    lines: list[LineRead]
    payments: list[PaymentRead]
    issued_at: datetime | None
    paid_at: datetime | None
    overdue_at: datetime | None
    voided_at: datetime | None
    void_reason: str | None

    @classmethod
    def of(cls, invoice: Invoice) -> InvoiceRead:
        currency = invoice.currency
        return cls(
            **cls.fields_of(invoice),
            notes=invoice.notes,
            lines=[LineRead.of(line, currency) for line in invoice.lines],
            payments=[PaymentRead.of(p, currency) for p in invoice.payments],
            issued_at=invoice.issued_at,
            paid_at=invoice.paid_at,
            overdue_at=invoice.overdue_at,
            voided_at=invoice.voided_at,
            void_reason=invoice.void_reason,
        )


class DocumentRef(BaseModel):
    """The document an invoice's PDF was filed as (``/api/v1/documents/{id}``)."""

    document_id: uuid.UUID
    url: str


def plain(value: Decimal, *, at_least: int = 0) -> str:
    """A stored decimal without trailing zeros (``3.0000`` -> ``3``), keeping ``at_least`` digits."""
    text = f"{value.normalize():f}"
    digits = len(text.partition(".")[2])
    return f"{value:.{max(digits, at_least)}f}"


InvoicePage = marcus.Page[InvoiceSummary]
