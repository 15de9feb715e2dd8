"""The branded invoice PDF: it renders (poppler's ``pdftoppm``), shows the right total and
everything an invoice must say (``pdftotext``), carries the workspace's logo, runs over pages
for long invoices, and is only for those who may see the invoice."""

from __future__ import annotations

import asyncio
import io
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

pytestmark = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("pdftotext")), reason="needs poppler-utils (pdftoppm, pdftotext)"
)
SETTINGS = {
    "address": "Hauptstraße 1\n10115 Berlin\nGermany",
    "vat_id": "DE123456789",
    "payment_instructions": "IBAN DE02 1203 0000 0000 2020 51, reference: your invoice number",
}


def run(*command: str) -> bytes:
    return subprocess.run(command, check=True, capture_output=True, timeout=60).stdout


def pdf_text(content: bytes, tmp_path: Path, mode: str = "-layout") -> str:
    path = tmp_path / "invoice.pdf"
    path.write_bytes(content)
    return run("pdftotext", mode, str(path), "-").decode()


def png_logo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (240, 80), (31, 58, 95)).save(buffer, format="PNG")
    return buffer.getvalue()


async def get_pdf(invoices, user, invoice) -> bytes:
    response = await invoices.client.get(f"{invoices.API}/{invoice['id']}/pdf", headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert f'filename="{invoice["number"]}.pdf"' in response.headers["content-disposition"]
    return response.content


async def test_the_pdf_renders_with_the_right_total_and_the_branding(invoices, make_shop, tmp_path):
    shop = await make_shop(name="Hein Consulting", **SETTINGS)
    logo = await invoices.client.put(
        "/api/v1/settings/logo", files={"file": ("logo.png", png_logo(), "image/png")}, headers=shop.owner.headers
    )
    assert logo.status_code == 200, logo.text
    await invoices.sql(
        shop,
        "UPDATE users SET company_name = 'Example Ltd', street = 'Baker Street 221b', zip = 'NW1', city = 'London',"
        " country = 'United Kingdom', vat_id = 'GB999' WHERE id = :id",
        id=shop.alice.id,
    )
    invoice = await invoices.issued(shop, payment_type="BankTransfer", notes="Thank you for your business.")
    content = await get_pdf(invoices, shop.alice, invoice)
    assert content.startswith(b"%PDF")

    (tmp_path / "invoice.pdf").write_bytes(content)
    run("pdftoppm", "-png", "-r", "40", str(tmp_path / "invoice.pdf"), str(tmp_path / "page"))
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 1
    with Image.open(pages[0]) as page:
        assert page.size == (331, 468)  # A4 at 40 dpi
        assert page.convert("L").getextrema()[0] < 100  # something dark was drawn
    assert b"/Subtype /Image" in content  # the logo

    text = pdf_text(content, tmp_path)
    for expected in (
        "Hein Consulting",
        "Hauptstraße 1",
        "VAT id: DE123456789",
        invoice["number"],
        invoice["issue_date"],
        invoice["due_date"],
        "Bank transfer",
        "Alice Example",
        "Example Ltd",
        "Baker Street 221b",
        "NW1 London",
        "VAT id: GB999",
        "Consulting",
        "33.33",
        "Tax 19 % on 99.99",
        "19.00 EUR",
        "IBAN DE02 1203 0000 0000 2020 51",
        "Thank you for your business.",
    ):
        assert expected in text, expected
    assert [line.split()[-2:] for line in text.splitlines() if line.strip().startswith("Total")] == [["118.99", "EUR"]]


async def test_payments_show_on_the_pdf(invoices, shop, tmp_path):
    invoice = await invoices.issued(shop)
    await invoices.post(shop.admin, f"/{invoice['id']}/payments", {"amount": "100"})
    text = pdf_text(await get_pdf(invoices, shop.admin, invoice), tmp_path)
    assert "100.00 EUR" in text
    assert "Balance due" in text
    assert "18.99 EUR" in text
    assert "PartiallyPaid" in text


async def test_a_200_line_invoice_runs_over_pages(invoices, shop, tmp_path):
    lines = [
        {"description": f"Line {n}", "quantity": "1", "unit_price": "1.10", "tax_rate": "19"} for n in range(1, 201)
    ]
    invoice = await invoices.issued(shop, lines=lines)
    assert invoice["total"] == "262.00"  # 200 x (1.10 + 0.21)
    text = pdf_text(await get_pdf(invoices, shop.admin, invoice), tmp_path)
    pages = text.count("\f")
    assert pages >= 3
    assert f"Invoice {invoice['number']} · page {pages}" in text  # the footer of the last page
    assert "Line 1 " in text
    assert "Line 200" in text
    assert "262.00 EUR" in text


async def test_a_draft_pdf_says_it_is_a_draft(invoices, shop, tmp_path):
    draft = await invoices.create(shop.admin, shop.alice)
    response = await invoices.client.get(f"{invoices.API}/{draft['id']}/pdf", headers=shop.admin.headers)
    assert response.status_code == 200
    assert f'filename="draft-{draft["id"]}.pdf"' in response.headers["content-disposition"]
    text = pdf_text(response.content, tmp_path)
    assert "Draft invoice" in text
    assert "(draft)" in text
    assert "DRAFT" in pdf_text(response.content, tmp_path, "-raw").splitlines()  # the watermark


async def test_rendering_leaves_the_event_loop_free(invoices, shop, monkeypatch):
    """Renders run in worker threads, and the loop keeps ticking while they do."""
    from marcus_invoices import pdf

    renders: list[tuple[int, float, float]] = []
    real_render = pdf.render

    def recorded(content):
        start = time.monotonic()
        data = real_render(content)
        renders.append((threading.get_ident(), start, time.monotonic()))
        return data

    monkeypatch.setattr(pdf, "render", recorded)
    lines = [{"description": f"Item {n}", "quantity": "2", "unit_price": "3.50"} for n in range(200)]
    invoice = await invoices.issued(shop, lines=lines)
    ticks: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        while not stop.is_set():
            await asyncio.sleep(0.002)
            ticks.append(time.monotonic())

    task = asyncio.create_task(ticker())
    responses = await asyncio.gather(
        *(invoices.client.get(f"{invoices.API}/{invoice['id']}/pdf", headers=shop.admin.headers) for _ in range(3))
    )
    stop.set()
    await task
    assert [r.status_code for r in responses] == [200] * 3
    assert len(renders) == 3
    assert threading.get_ident() not in {thread for thread, _, _ in renders}
    during = [t for t in ticks if any(start < t < end for _, start, end in renders)]
    assert during, "the event loop never ran while a PDF was rendering"
