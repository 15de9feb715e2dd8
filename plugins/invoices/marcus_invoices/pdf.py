"""The branded invoice PDF (reportlab, A4).

``snapshot`` (async side) turns an invoice, its workspace and the logo's bytes into an
``InvoicePdf`` of plain strings; ``render`` (CPU work, run with ``asyncio.to_thread``) lays
it out: the business (logo, name, address, VAT id), the customer block, the invoice facts
(number, dates, payment type, currency), the lines with their tax, a tax summary per rate,
the totals and what was paid, the payment instructions and notes; every page has a footer
with the number and the page. A draft says so in its title and has no number yet.
"""

from __future__ import annotations

import asyncio
import io
import weakref
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.enums import TA_RIGHT  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.lib.utils import ImageReader  # type: ignore[import-untyped]
from reportlab.pdfbase.pdfmetrics import stringWidth  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]
from reportlab.platypus import Flowable, Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncSession

import marcus
from marcus_invoices.models import DRAFT, Invoice
from marcus_invoices.schemas import plain
from marcus_invoices.settings import InvoicesSettings
from marcus_invoices.totals import LineAmounts, format_amount, minor_digits, round_money, tax_breakdown

MARGIN = 16 * mm
WIDTH = A4[0] - 2 * MARGIN
LOGO_BOX = (45 * mm, 20 * mm)
GREY = colors.HexColor("#666666")
RULE = colors.HexColor("#cccccc")
SHADE = colors.HexColor("#f2f2f2")
PAYMENT_TYPES = {"Cash": "Cash", "BankTransfer": "Bank transfer"}
TOTAL = "Total"
DESCRIPTION_WIDTH = WIDTH - 110 * mm

BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=9, leading=11.5)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=10, textColor=GREY)
NAME = ParagraphStyle("name", parent=BODY, fontName="Helvetica-Bold", fontSize=13, leading=16)
TITLE = ParagraphStyle("title", parent=BODY, fontName="Helvetica-Bold", fontSize=18, leading=22, alignment=TA_RIGHT)
HEAD = ParagraphStyle("head", parent=BODY, fontName="Helvetica-Bold", fontSize=9.5, leading=12, spaceBefore=4)


@dataclass(frozen=True, kw_only=True)
class Party:
    """A name and its address lines (business or customer)."""

    name: str
    lines: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class PdfLine:
    description: str
    quantity: str
    unit_price: str
    tax_rate: str
    net: str


@dataclass(frozen=True, kw_only=True)
class InvoicePdf:
    """Everything the page shows, as text: rendering needs no database and no event loop."""

    title: str
    reference: str
    seller: Party
    slogan: str
    logo: bytes | None
    bill_to: Party
    facts: tuple[tuple[str, str], ...]
    lines: tuple[PdfLine, ...]
    totals: tuple[tuple[str, str], ...]
    payment_instructions: str
    notes: str
    watermark: str | None


def _address(block: dict[str, Any]) -> tuple[str, ...]:
    """A customer snapshot as printed lines, empty parts left out."""
    city = " ".join(p for p in (block.get("zip"), block.get("city")) if p)
    vat = f"VAT id: {block['vat_id']}" if block.get("vat_id") else ""
    parts = (block.get("company_name"), block.get("street"), city, block.get("country"), block.get("email"), vat)
    return tuple(str(p) for p in parts if p)


def _seller_lines(block: dict[str, Any]) -> tuple[str, ...]:
    lines = [line.strip() for line in str(block.get("address") or "").splitlines() if line.strip()]
    if block.get("vat_id"):
        lines.append(f"VAT id: {block['vat_id']}")
    return tuple(lines)


def _rate(rate: Decimal) -> str:
    return f"{plain(rate)} %"


def _unit_price(value: Decimal, currency: str) -> str:
    """In the currency's digits, or with more when the price has them (``0.0125``)."""
    if value == round_money(value, currency):
        return format_amount(value, currency)
    return plain(value, at_least=minor_digits(currency))


def _money(amount: Decimal, currency: str) -> str:
    return f"{format_amount(amount, currency)} {currency}"


def _blocks(
    invoice: Invoice, tenant: marcus.Tenant, settings: InvoicesSettings
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(seller, bill_to): the snapshots taken at issue, or today's values for a draft."""
    if invoice.seller is not None and invoice.bill_to is not None:
        return invoice.seller, invoice.bill_to
    user = invoice.customer
    fields = ("company_name", "email", "street", "zip", "city", "country", "vat_id")
    bill_to = {"name": f"{user.first_name} {user.last_name}".strip(), **{f: getattr(user, f) for f in fields}}
    seller = {
        "name": marcus.workspace_settings(tenant).name,
        "address": settings.address,
        "vat_id": settings.vat_id,
        "payment_instructions": settings.payment_instructions,
    }
    return seller, bill_to


def _facts(invoice: Invoice) -> tuple[tuple[str, str], ...]:
    facts = [
        ("Invoice no.", invoice.number or "(draft)"),
        ("Issue date", invoice.issue_date.isoformat() if invoice.issue_date else "-"),
        ("Due date", invoice.due_date.isoformat() if invoice.due_date else "-"),
        ("Payment", PAYMENT_TYPES.get(invoice.payment_type, invoice.payment_type)),
        ("Currency", invoice.currency),
        ("Status", invoice.status),
    ]
    return tuple(facts)


def _totals(invoice: Invoice) -> tuple[tuple[str, str], ...]:
    """Subtotal, the tax per rate, the total (``TOTAL``), then what was paid and what is due."""
    c = invoice.currency
    amounts = [(line.tax_rate, LineAmounts(net=line.net, tax=line.tax, total=line.total)) for line in invoice.lines]
    taxes = [(f"Tax {_rate(r)} on {format_amount(net, c)}", _money(tax, c)) for r, net, tax in tax_breakdown(amounts)]
    rows = [("Subtotal", _money(invoice.subtotal, c)), *(taxes or [("Tax", _money(invoice.tax_total, c))])]
    rows.append((TOTAL, _money(invoice.total, c)))
    if invoice.amount_paid:
        rows += [("Paid", _money(invoice.amount_paid, c)), ("Balance due", _money(invoice.balance, c))]
    return tuple(rows)


def snapshot(
    invoice: Invoice, tenant: marcus.Tenant, settings: InvoicesSettings, *, brand: marcus.PdfBrand
) -> InvoicePdf:
    """The page's content for ``invoice`` (lines, payments and customer loaded), branded with
    the workspace's logo and slogan (``marcus.pdf_brand``)."""
    seller, bill_to = _blocks(invoice, tenant, settings)
    c = invoice.currency
    return InvoicePdf(
        title="Draft invoice" if invoice.status == DRAFT else "Invoice",
        reference=invoice.number or "",
        seller=Party(name=str(seller.get("name") or brand.name), lines=_seller_lines(seller)),
        slogan=brand.slogan,
        logo=brand.logo,
        bill_to=Party(name=str(bill_to.get("name") or ""), lines=_address(bill_to)),
        facts=_facts(invoice),
        lines=tuple(
            PdfLine(
                description=line.description,
                quantity=plain(line.quantity),
                unit_price=_unit_price(line.unit_price, c),
                tax_rate=_rate(line.tax_rate),
                net=format_amount(line.net, c),
            )
            for line in invoice.lines
        ),
        totals=_totals(invoice),
        payment_instructions=str(seller.get("payment_instructions") or ""),
        notes=invoice.notes,
        watermark={"Draft": "DRAFT", "Void": "VOID"}.get(invoice.status),
    )


# reportlab is pure Python: a render in a worker thread holds the GIL, so renders in several
# threads never run in parallel, they only take turns with the event loop's thread (which then
# waits up to the 5 ms switch interval per turn and per rendering thread). One render at a time
# per event loop costs no throughput and keeps the loop's waits short (benchmarks/README.md).
RENDER_SLOTS = 1
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def _render_slot() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    if loop not in _slots:
        _slots[loop] = asyncio.Semaphore(RENDER_SLOTS)
    return _slots[loop]


async def render_off_loop(content: InvoicePdf) -> bytes:
    """``render`` in a worker thread (``asyncio.to_thread``), one render at a time per loop."""
    async with _render_slot():
        return await asyncio.to_thread(render, content)


async def invoice_pdf(
    invoice: Invoice, tenant: marcus.Tenant, kernel: marcus.Kernel, *, release: AsyncSession | None = None
) -> bytes:
    """The invoice's PDF, rendered off the event loop so it keeps serving other requests.

    ``release``: a read-only request's session, whose transaction ends before the render, so
    PDF requests waiting for their turn do not hold database connections.
    """
    brand = await marcus.pdf_brand(kernel, tenant)
    content = snapshot(invoice, tenant, InvoicesSettings.of(tenant.plugins), brand=brand)
    if release is not None:
        await release.commit()  # nothing was written: this returns the connection to the pool
    return await render_off_loop(content)


# --- rendering (no I/O, no event loop) ------------------------------------------------------


def _p(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _logo(data: bytes | None) -> Flowable | None:
    if not data:
        return None
    try:
        width, height = ImageReader(io.BytesIO(data)).getSize()
    except Exception:  # an unreadable logo must not cost the invoice
        return None
    scale = min(LOGO_BOX[0] / width, LOGO_BOX[1] / height)
    return Image(io.BytesIO(data), width=width * scale, height=height * scale, hAlign="LEFT")


def _header(doc: InvoicePdf) -> Table:
    left: list[Flowable] = [f for f in (_logo(doc.logo),) if f is not None]
    left += [_p(doc.seller.name, NAME)]
    left += [_p(line, SMALL) for line in (doc.slogan, *doc.seller.lines) if line]
    facts = Table(
        [[_p(label, SMALL), _p(value)] for label, value in doc.facts], colWidths=[26 * mm, 42 * mm], hAlign="RIGHT"
    )
    facts.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    right = [_p(doc.title, TITLE), Spacer(1, 3 * mm), facts]
    table = Table([[left, right]], colWidths=[WIDTH - 72 * mm, 72 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, -1), 0)]))
    return table


def _bill_to(doc: InvoicePdf) -> list[Flowable]:
    return [_p("Bill to", HEAD), _p(doc.bill_to.name, BODY), *(_p(line, BODY) for line in doc.bill_to.lines)]


def _description(text: str) -> str | Paragraph:
    """Plain text when it fits on one line (cheap to lay out), a wrapping paragraph otherwise."""
    if "\n" not in text and stringWidth(text, "Helvetica", 9) <= DESCRIPTION_WIDTH - 12:
        return text
    return _p(text)


def _lines(doc: InvoicePdf) -> Table:
    header = ["Description", "Qty", "Unit price", "Tax", "Amount"]
    rows: list[list[Any]] = [header]
    rows += [[_description(x.description), x.quantity, x.unit_price, x.tax_rate, x.net] for x in doc.lines]
    table = Table(rows, colWidths=[DESCRIPTION_WIDTH, 18 * mm, 32 * mm, 22 * mm, 38 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
                ("FONT", (1, 1), (-1, -1), "Helvetica", 9),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
            ]
        )
    )
    return table


def _totals_table(doc: InvoicePdf) -> Table:
    rows = [[label, value] for label, value in doc.totals]
    table = Table(rows, colWidths=[62 * mm, 38 * mm], hAlign="RIGHT")
    total_row = next(i for i, (label, _) in enumerate(doc.totals) if label == TOTAL)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 9),
                ("ALIGN", (0, 0), (-1, -1), "RIGHT"),
                ("FONT", (0, total_row), (-1, total_row), "Helvetica-Bold", 11),
                ("LINEABOVE", (0, total_row), (-1, total_row), 0.75, colors.black),
            ]
        )
    )
    return table


def _story(doc: InvoicePdf) -> list[Flowable]:
    story: list[Flowable] = [_header(doc), Spacer(1, 8 * mm), *_bill_to(doc), Spacer(1, 8 * mm)]
    story += [_lines(doc), Spacer(1, 4 * mm), _totals_table(doc)]
    if doc.payment_instructions:
        story += [Spacer(1, 8 * mm), _p("Payment", HEAD), _p(doc.payment_instructions)]
    if doc.notes:
        story += [Spacer(1, 4 * mm), _p("Notes", HEAD), _p(doc.notes)]
    return story


def _page(doc: InvoicePdf) -> Any:
    def draw(canvas: Canvas, template: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(GREY)
        footer = " · ".join(
            p for p in (doc.seller.name, f"{doc.title} {doc.reference}".strip(), f"page {template.page}") if p
        )
        canvas.drawCentredString(A4[0] / 2, 9 * mm, footer)
        if doc.watermark:
            canvas.setFont("Helvetica-Bold", 90)
            canvas.setFillColor(colors.Color(0.8, 0.8, 0.8, alpha=0.35))
            canvas.translate(A4[0] / 2, A4[1] / 2)
            canvas.rotate(35)
            canvas.drawCentredString(0, 0, doc.watermark)
        canvas.restoreState()

    return draw


def render(doc: InvoicePdf) -> bytes:
    """The PDF's bytes. CPU-bound: call it with ``asyncio.to_thread`` from async code."""
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"{doc.title} {doc.reference}".strip(),
        author=doc.seller.name,
    )
    template.build(_story(doc), onFirstPage=_page(doc), onLaterPages=_page(doc))
    return buffer.getvalue()
