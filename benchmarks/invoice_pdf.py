"""What an invoice PDF costs, and proof that rendering it leaves the event loop free.

Three parts:

* **render**: ``marcus_invoices.pdf.snapshot`` + ``render`` (what a request does in its worker
  thread) for a one-page invoice (3 lines, logo, payment instructions) and a 200-line invoice,
  in memory, ``-n`` renders each after a warm-up: p50 / p99 / max, pages and size;
* **API**: ``GET /api/v1/invoices/{id}/pdf`` end to end (tenant resolution, token, permission,
  three queries, render in a thread, response) on a scratch database, in-process over ASGI;
* **event loop**: a ticker asks to wake every 2 ms and records how late it wakes (the loop's
  lag), and ``GET /api/v1/invoices/{id}`` (JSON, four queries) is timed, first on an idle app,
  then while ``--concurrency`` clients keep requesting the 200-line PDF, then (the control)
  while the same renders run ON the loop instead of in a thread, and, for comparison, in a
  one-process pool (off the GIL; not what Marcus does).

    .venv/bin/python benchmarks/invoice_pdf.py [-n 300] [--long-n 40] [--concurrency 4] [--seconds 4]

Server: ``MARCUS_BENCH_DATABASE_URL`` (a superuser URL), else the embedded PostgreSQL under
``.marcus/bench``. Prints markdown on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import io
import multiprocessing
import os
import re
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from _common import say, server_url
from PIL import Image
from sqlalchemy.orm.attributes import set_committed_value

import marcus
from marcus.testing.harness import TestDatabase, create_database, create_tenant, drop_database, running_app
from marcus.testing.users import create_user

TARGET_MS = 50.0
SETTINGS = {
    "address": "Hauptstrasse 1\n10115 Berlin\nGermany",
    "vat_id": "DE123456789",
    "payment_instructions": "IBAN DE02 1203 0000 0000 2020 51 - BIC BYLADEM1001 - reference: the invoice number",
}


def plugins() -> list[Any]:
    import marcus_appointments.plugin as appointments
    import marcus_documents.plugin as documents
    import marcus_invoices.plugin as invoices
    import marcus_services.plugin as services

    return [services, appointments, documents, invoices]


def percentiles(ms: list[float]) -> tuple[float, float, float, float]:
    ordered = sorted(ms)
    at = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return at(0.5), at(0.95), at(0.99), ordered[-1]


def logo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (360, 120), (31, 58, 95)).save(buffer, format="PNG")
    return buffer.getvalue()


# --- render only ------------------------------------------------------------------------------


def in_memory_invoice(lines: int) -> tuple[Any, marcus.Tenant, Any, marcus.PdfBrand]:
    """An issued invoice with ``lines`` lines, its workspace and brand, built without a database."""
    from marcus_invoices.models import Invoice
    from marcus_invoices.schemas import LineIn
    from marcus_invoices.service import build_lines
    from marcus_invoices.settings import InvoicesSettings

    org = uuid.uuid4()
    tenant = marcus.Tenant(
        id=org, slug="bench", name="Hein Consulting", status="active", settings={"currency": "EUR"}, plugins={}
    )
    customer = marcus.User(
        organization_id=org,
        id=uuid.uuid4(),
        email="alice@example.com",
        first_name="Alice",
        last_name="Example",
        company_name="Example Ltd",
        street="Baker Street 221b",
        zip="NW1",
        city="London",
    )
    today = date.today()
    invoice = Invoice(
        organization_id=org,
        id=uuid.uuid4(),
        number="INV-2026-0001",
        status="Pending",
        customer_id=customer.id,
        currency="EUR",
        issue_date=today,
        due_date=today + timedelta(days=14),
        payment_type="BankTransfer",
        notes="Thank you for your business.",
        amount_paid=Decimal(0),
        seller=None,
        bill_to=None,
    )
    items = [
        LineIn(
            description=f"Consulting, session {n + 1}",
            quantity=Decimal(3),
            unit_price=Decimal("33.33"),
            tax_rate=Decimal(19),
        )
        for n in range(lines)
    ]
    set_committed_value(invoice, "lines", build_lines(invoice, items))
    set_committed_value(invoice, "customer", customer)
    brand = marcus.PdfBrand(name="Hein Consulting", slogan="Tax advice since 1990", logo=logo())
    return invoice, tenant, InvoicesSettings(**SETTINGS), brand


def time_renders(lines: int, n: int) -> tuple[list[float], int, int]:
    """Milliseconds of ``n`` snapshot + render runs (after 5 warm-ups), pages, bytes."""
    from marcus_invoices import pdf

    invoice, tenant, settings, brand = in_memory_invoice(lines)
    for _ in range(5):
        data = pdf.render(pdf.snapshot(invoice, tenant, settings, brand=brand))
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        data = pdf.render(pdf.snapshot(invoice, tenant, settings, brand=brand))
        samples.append((time.perf_counter() - start) * 1000)
    return samples, len(re.findall(rb"/Type /Page[^s]", data)), len(data)


# --- through the API --------------------------------------------------------------------------


async def setup(database: TestDatabase, client: Any) -> tuple[dict[str, str], str, str]:
    """A workspace with invoices, its admin, a one-page and a 200-line issued invoice."""
    org = await create_tenant(
        database,
        plugins={"services": {}, "appointments": {}, "documents": {}, "invoices": SETTINGS},
        organization=marcus.Organization(
            slug=f"bench-{uuid.uuid4().hex[:8]}", name="Hein Consulting", status="active", settings={"currency": "EUR"}
        ),
    )
    admin = await create_user(database, org, role="admin")
    customer = await create_user(database, org, role="customer", first_name="Alice", last_name="Example")
    headers = admin.headers
    ids = []
    for count in (3, 200):
        lines = [
            {"description": f"Consulting, session {n + 1}", "quantity": "3", "unit_price": "33.33", "tax_rate": "19"}
            for n in range(count)
        ]
        body = {"customer_id": str(customer.id), "issue": True, "lines": lines}
        response = await client.post("/api/v1/invoices", json=body, headers=headers)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return headers, ids[0], ids[1]


async def timed(call: Callable[[], Awaitable[Any]], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


async def under_load(
    light: Callable[[], Awaitable[Any]], load: Callable[[], Awaitable[Any]] | None, clients: int, seconds: float
) -> tuple[list[float], list[float], int]:
    """(loop lag ms, light request ms, loads done) while ``clients`` loops run ``load``."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    lags: list[float] = []
    done = 0

    async def ticker() -> None:
        while not stop.is_set():
            start = loop.time()
            await asyncio.sleep(0.002)
            lags.append(max(0.0, (loop.time() - start - 0.002) * 1000))

    async def worker() -> None:
        nonlocal done
        while not stop.is_set() and load is not None:
            await load()
            done += 1

    async def prober() -> list[float]:
        samples = []
        while not stop.is_set():
            start = time.perf_counter()
            await light()
            samples.append((time.perf_counter() - start) * 1000)
            await asyncio.sleep(0.01)
        return samples

    tasks = [asyncio.create_task(ticker()), *(asyncio.create_task(worker()) for _ in range(clients if load else 0))]
    probe = asyncio.create_task(prober())
    await asyncio.sleep(seconds)
    stop.set()
    light_ms = await probe
    await asyncio.gather(*tasks)
    return lags, light_ms, done


def render_on_loop(invoice_pdf: Any) -> Callable[[], Awaitable[None]]:
    """The control: the same render, but blocking the loop (what ``asyncio.to_thread`` avoids)."""
    from marcus_invoices import pdf

    async def load() -> None:
        pdf.render(invoice_pdf)
        await asyncio.sleep(0)

    return load


def render_like_marcus(invoice_pdf: Any) -> Callable[[], Awaitable[None]]:
    """What the PDF route does after loading the invoice: a thread, one render at a time."""
    from marcus_invoices import pdf

    async def load() -> None:
        await pdf.render_off_loop(invoice_pdf)

    return load


def render_in_threads(invoice_pdf: Any) -> Callable[[], Awaitable[None]]:
    """For comparison: ``asyncio.to_thread`` with no limit on concurrent renders."""
    from marcus_invoices import pdf

    async def load() -> None:
        await asyncio.to_thread(pdf.render, invoice_pdf)

    return load


def render_in_process(invoice_pdf: Any, pool: concurrent.futures.Executor) -> Callable[[], Awaitable[None]]:
    """For comparison (not what Marcus does): the same render in a one-process pool, off the GIL."""
    from marcus_invoices import pdf

    async def load() -> None:
        await asyncio.get_running_loop().run_in_executor(pool, pdf.render, invoice_pdf)

    return load


async def measure_api(args: argparse.Namespace, database: TestDatabase) -> list[str]:
    from marcus_invoices import pdf

    lines: list[str] = []
    async with running_app(database) as h:
        client = h.client
        headers, short_id, long_id = await setup(database, client)

        async def get(path: str) -> None:
            response = await client.get(path, headers=headers)
            assert response.status_code == 200, response.text

        short_pdf = lambda: get(f"/api/v1/invoices/{short_id}/pdf")  # noqa: E731
        long_pdf = lambda: get(f"/api/v1/invoices/{long_id}/pdf")  # noqa: E731
        light = lambda: get(f"/api/v1/invoices/{short_id}")  # noqa: E731
        await timed(short_pdf, 10)
        await timed(light, 20)
        say(f"API: {args.n} one-page PDFs, {args.long_n} 200-line PDFs, one after the other")
        api_short, api_long = await timed(short_pdf, args.n), await timed(long_pdf, args.long_n)
        lines += [
            "| through the API (`GET .../pdf`) | requests | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) |",
            "|---|---:|---:|---:|---:|---:|",
            "| one-page invoice (3 lines) | {} | {:.1f} | {:.1f} | {:.1f} | {:.1f} |".format(
                len(api_short), *percentiles(api_short)
            ),
            "| 200-line invoice | {} | {:.1f} | {:.1f} | {:.1f} | {:.1f} |".format(
                len(api_long), *percentiles(api_long)
            ),
            "",
        ]
        invoice, tenant, settings, brand = in_memory_invoice(200)
        content = pdf.snapshot(invoice, tenant, settings, brand=brand)
        pool = concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        await asyncio.get_running_loop().run_in_executor(pool, pdf.render, content)  # start it before timing
        k = args.concurrency
        cases = [
            ("idle (no PDF requests)", None),
            (f"API: {k} clients requesting the 200-line PDF (load, query, render, respond)", long_pdf),
            (f"render only, as Marcus does: a thread, one at a time ({k} callers)", render_like_marcus(content)),
            (f"render only, a thread each, no limit ({k} callers)", render_in_threads(content)),
            (f"control: render only, ON the loop ({k} callers)", render_on_loop(content)),
            (f"comparison: render only, 1-process pool ({k} callers)", render_in_process(content, pool)),
        ]
        lines += [
            f"Event loop while PDFs render ({args.seconds:.0f} s per case; ticker every 2 ms; the light request is "
            "`GET /api/v1/invoices/{id}`, JSON, one at a time every 10 ms):",
            "",
            "| case | PDFs done | loop lag p50 (ms) | lag p99 (ms) | lag max (ms) "
            "| light request p50 (ms) | p99 (ms) | max (ms) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for label, load in cases:
            say(f"event loop: {label}")
            lags, light_ms, done = await under_load(light, load, args.concurrency, args.seconds)
            lag, req = percentiles(lags), percentiles(light_ms)
            lines.append(
                f"| {label} | {done} | {lag[0]:.2f} | {lag[2]:.2f} | {lag[3]:.1f} "
                f"| {req[0]:.1f} | {req[2]:.1f} | {req[3]:.1f} |"
            )
        pool.shutdown()
    return lines


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="renders / requests of the one-page invoice")
    parser.add_argument("--long-n", type=int, default=40, help="renders / requests of the 200-line invoice")
    parser.add_argument("--concurrency", type=int, default=4, help="clients requesting PDFs in the event-loop case")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each event-loop case")
    args = parser.parse_args()

    load_before = os.getloadavg()
    say(f"render only: {args.n} one-page and {args.long_n} 200-line invoices")
    short, short_pages, short_bytes = time_renders(3, args.n)
    long, long_pages, long_bytes = time_renders(200, args.long_n)
    p50 = percentiles(short)[0]
    lines = [
        "## invoice_pdf — invoice PDF render time, and the event loop while PDFs render",
        "",
        f"Taken {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `-n {args.n} --long-n {args.long_n} "
        f"--concurrency {args.concurrency} --seconds {args.seconds:g}`.",
        "",
        "| render only (`snapshot` + `render`, in memory) | renders | pages | size "
        "| p50 (ms) | p95 (ms) | p99 (ms) | max (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        "| one-page invoice (3 lines, logo) | {} | {} | {:.1f} KiB | {:.1f} | {:.1f} | {:.1f} | {:.1f} |".format(
            len(short), short_pages, short_bytes / 1024, *percentiles(short)
        ),
        "| 200-line invoice | {} | {} | {:.1f} KiB | {:.1f} | {:.1f} | {:.1f} | {:.1f} |".format(
            len(long), long_pages, long_bytes / 1024, *percentiles(long)
        ),
        "",
        f"- Target: a one-page invoice in ≤ {TARGET_MS:.0f} ms: p50 {p50:.1f} ms, "
        f"{'meets' if percentiles(short)[2] <= TARGET_MS else 'misses'} it at p99 ({percentiles(short)[2]:.1f} ms).",
        "",
    ]
    url, where = server_url()
    say(f"scratch database on the {where}")
    database = create_database(url, plugins(), tenant_cache_ttl=5.0)
    try:
        lines += [f"API and event loop on the {where}, in-process over ASGI (httpx), tenant cache 5 s.", ""]
        lines += await measure_api(args, database)
    finally:
        await database.dispose()
        drop_database(database.admin_url)
    load_after = os.getloadavg()
    lines += [
        "",
        f"1-minute load average {load_before[0]:.2f} before, {load_after[0]:.2f} after, on {os.cpu_count()} CPUs "
        "(the benchmark itself keeps about one busy while it runs).",
    ]
    print("\n".join(lines))
    mean = statistics.fmean(short)
    say(f"done (one-page mean {mean:.1f} ms)")


if __name__ == "__main__":
    asyncio.run(main())
