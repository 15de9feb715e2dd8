"""CSV export of a workspace's invoices for its accountants: one row per invoice, amounts as
plain decimals in the invoice's currency (a ``currency`` column beside them), dates as ISO
8601, times in the workspace's time zone. Streamed in batches from a server-side cursor, so
a year of invoices never sits in memory. Cells starting with ``= + - @`` (other than numbers)
get a leading apostrophe so a spreadsheet does not run them as formulas."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, tzinfo

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import StreamingResponse

import marcus
from marcus_invoices.models import Invoice
from marcus_invoices.service import zone_of
from marcus_invoices.totals import format_amount

BATCH = 500
COLUMNS = (
    "number",
    "status",
    "issue_date",
    "due_date",
    "customer_name",
    "customer_email",
    "company_name",
    "customer_vat_id",
    "currency",
    "subtotal",
    "tax",
    "total",
    "paid",
    "balance",
    "payment_type",
    "paid_at",
    "created_at",
    "invoice_id",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(text: str | None) -> str:
    value = text or ""
    return "'" + value if value.startswith(FORMULA_START) else value


def _time(value: datetime | None, zone: tzinfo) -> str:
    return value.astimezone(zone).isoformat(timespec="seconds") if value else ""


def row(invoice: Invoice, zone: tzinfo) -> list[str]:
    """One invoice as a CSV row (``COLUMNS``); the customer block is the one on the invoice."""
    user = invoice.customer
    billed = invoice.bill_to or {}
    name = billed.get("name") or f"{user.first_name} {user.last_name}".strip()
    c = invoice.currency
    return [
        invoice.number or "",
        invoice.status,
        invoice.issue_date.isoformat() if invoice.issue_date else "",
        invoice.due_date.isoformat() if invoice.due_date else "",
        _safe(name),
        _safe(billed.get("email") or user.email),
        _safe(billed.get("company_name") or user.company_name),
        _safe(billed.get("vat_id") or user.vat_id),
        c,
        format_amount(invoice.subtotal, c),
        format_amount(invoice.tax_total, c),
        format_amount(invoice.total, c),
        format_amount(invoice.amount_paid, c),
        format_amount(invoice.balance, c),
        invoice.payment_type,
        _time(invoice.paid_at, zone),
        _time(invoice.created_at, zone),
        str(invoice.id),
    ]


def _lines(rows: Sequence[Sequence[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


async def csv_chunks(session: AsyncSession, statement: Select[Invoice], *, tenant: marcus.Tenant) -> AsyncIterator[str]:
    """The header, then the rows of ``statement`` in batches of ``BATCH``."""
    zone = zone_of(tenant)
    yield _lines([COLUMNS])
    result = await session.stream_scalars(statement.execution_options(yield_per=BATCH))
    async for batch in result.partitions():
        yield _lines([row(invoice, zone) for invoice in batch])


def csv_response(session: AsyncSession, statement: Select[Invoice], *, tenant: marcus.Tenant) -> StreamingResponse:
    """The rows of ``statement`` as a streamed ``invoices-<workspace>.csv`` download (API and portal)."""
    headers = {"Content-Disposition": f'attachment; filename="invoices-{tenant.slug}.csv"'}
    chunks = csv_chunks(session, statement, tenant=tenant)
    return StreamingResponse(chunks, media_type="text/csv; charset=utf-8", headers=headers)
