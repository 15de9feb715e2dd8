"""The issue's journey in real browsers (headless Chromium): a customer of workspace A signs
up, verifies the emailed code and books a time while another customer, looking at the same
service and day in a second browser, sees that time disappear without reloading; she
downloads her appointment's PDF, uploads a document with progress, and her notification
badge changes live as A's admin completes the appointment and invoices it; she then sees the
invoice. A member of workspace B sees none of it. Every page is screenshot
(.marcus/screenshots/) and checked for the accessibility basics; one run is at phone width."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import marcus_appointments.plugin as appointments_plugin
import marcus_documents.plugin as documents_plugin
import marcus_invoices.plugin as invoices_plugin
import marcus_services.plugin as services_plugin
import pytest

try:
    from playwright.async_api import expect
except ImportError:  # the chromium fixture skips (or, in CI, fails) the tests
    expect = None

from marcus.testing import OrganizationFactory

PASSWORD = "a-long-pass-phrase"
PLUGINS = ["services", "appointments", "documents", "invoices"]
ZONE = "Europe/Paris"
LIVE = 15_000  # ms a live update may take on a busy two-core machine
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
async def journey_db(marcus_make_database):
    database = marcus_make_database([services_plugin, appointments_plugin, documents_plugin, invoices_plugin])
    yield database
    await database.dispose()


@pytest.fixture
async def people(journey_db, tenant_factory, user_factory):
    """Workspaces A (Alpha Clinic) and B (Beta Studio): an admin each, and A's other customer."""
    orgs = {}
    for key, name in (("alpha", "Alpha Clinic"), ("beta", "Beta Studio")):
        org = OrganizationFactory.build(name=name)
        org.settings = {**org.settings, "time_zone": ZONE, "currency": "EUR"}
        orgs[key] = await tenant_factory(database=journey_db, plugins=PLUGINS, organization=org)
    admins = {key: await user_factory(org, database=journey_db, role="admin") for key, org in orgs.items()}
    dan = await user_factory(orgs["alpha"], database=journey_db, first_name="Dan", last_name="Watcher")
    beth = await user_factory(orgs["beta"], database=journey_db, first_name="Beth", last_name="Beta")
    return orgs, admins, dan, beth


async def seed_times(server_url: str, admin) -> tuple[str, str]:
    """A service with four half-hour times two days ahead (workspace time), through the API."""
    day = (datetime.now(ZoneInfo(ZONE)) + timedelta(days=2)).date().isoformat()
    async with httpx.AsyncClient(base_url=server_url, headers=admin.headers) as api:
        made = await api.post(
            "/api/v1/services", json={"name": "Physiotherapy", "price": "75.00", "duration_minutes": 30}
        )
        assert made.status_code == 201, made.text
        service_id = made.json()["id"]
        window = {"service_id": service_id, "date": day, "start_time": "09:00", "end_time": "11:00"}
        times = await api.post("/api/v1/appointments/slots/generate-day", json=window | {"duration_minutes": 30})
        assert times.status_code == 201, times.text
    return service_id, day


async def sign_in(page, base: str, email: str, password: str) -> None:
    await page.goto(f"{base}/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{base}/")


async def sign_up(page, base: str, email: str, mailbox, org) -> None:
    await page.goto(base + "/signup")
    await page.get_by_label("First name").fill("Cora")
    await page.get_by_label("Last name").fill("Lind")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign up").click()
    await page.wait_for_url(re.compile(r".*/verify\?email="))
    await page.get_by_label("Code").fill(await mailbox.last_code(email, org_id=org.id))
    await page.get_by_role("button", name="Verify").click()
    await page.wait_for_url(re.compile(r".*/login\?email="))
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{base}/")


async def test_book_watch_complete_invoice_and_isolation(
    journey_db, people, marcus_live_server, mailbox, chromium, pages
):
    orgs, admins, dan, beth = people
    alpha, email = orgs["alpha"], "cora@example.com"
    async with marcus_live_server(journey_db) as server:
        service_id, day = await seed_times(server.url, admins["alpha"])
        base = server.site(alpha)
        cora_context = await pages.context(chromium)
        cora = await cora_context.new_page()
        await sign_up(cora, base, email, mailbox.on(journey_db), alpha)

        # Cora: service -> day -> the slot grid
        await cora.get_by_role("navigation", name="Main").get_by_role("link", name="Book").click()
        await pages.check(cora, "40-book-choose-service")
        await cora.get_by_role("link", name="Physiotherapy").click()
        await cora.locator(f'a[href="?day={day}"]').click()
        await cora.wait_for_url(re.compile(rf".*day={day}"))
        await cora.wait_for_selector("body[data-live-state=connected]")
        slot_ids = await cora.locator("#slot-grid [data-slot-id]").evaluate_all(
            "items => items.map(i => i.dataset.slotId)"
        )
        assert len(slot_ids) == 4
        await pages.check(cora, "41-book-slot-grid")

        # Dan watches the same service and day in his own browser
        dan_context = await pages.context(chromium)
        watcher = await dan_context.new_page()
        await sign_in(watcher, base, dan.email, dan.password)
        await watcher.goto(f"{base}/appointments/book/{service_id}?day={day}")
        await watcher.wait_for_selector("body[data-live-state=connected]")
        assert await watcher.locator("#slot-grid [data-slot-id]").count() == 4

        # Cora books: first without the note an in-person meeting needs, then properly
        chosen = slot_ids[1]
        await cora.locator(f'label[for="slot-{chosen}"]').click()
        await cora.get_by_label("How do you want to meet?").select_option("InPerson")
        await cora.get_by_role("button", name="Book this time").click()
        assert await cora.locator("#f-note-error").is_visible()  # the error sits next to its field
        await pages.check(cora, "42-book-note-error")
        await cora.get_by_label("Note").fill("Knee, second floor please")
        await cora.get_by_role("button", name="Book this time").click()
        await cora.wait_for_url(re.compile(r".*/appointments/[0-9a-f-]{36}$"))
        appointment_url = cora.url
        assert "is booked" in await cora.locator(".flash").inner_text()

        # ... and the time disappears from Dan's grid without a reload
        await expect(watcher.locator(f'[data-slot-id="{chosen}"]')).to_have_count(0, timeout=LIVE)
        assert await watcher.locator("#slot-grid [data-slot-id]").count() == 3
        assert "just booked" in await watcher.locator("#slot-news").inner_text()
        await pages.check(watcher, "43-watcher-slot-gone")
        await dan_context.close()

        # Cora: her appointment, the PDF, the calendar file, her notification badge
        await cora.wait_for_selector("body[data-live-state=connected]")
        badge = cora.locator("#unread-badge")
        await expect(badge).to_have_text("1", timeout=LIVE)  # "Appointment created"
        number = re.search(r"APPT-\d+", await cora.locator("h1").inner_text()).group(0)
        await pages.check(cora, "44-appointment")
        async with cora.expect_download() as download_info:
            await cora.get_by_role("link", name="Download PDF").click()
        download = await download_info.value
        saved = pages.artifacts / f"{number}.pdf"
        await download.save_as(saved)
        assert saved.read_bytes().startswith(b"%PDF")
        await cora.get_by_role("link", name="Reschedule").click()
        await cora.locator(f'a[href="?day={day}"]').click()
        assert await cora.locator("#slot-grid [data-slot-id], .slot-list [data-slot-id]").count() == 3
        await pages.check(cora, "45-reschedule")
        await cora.get_by_role("navigation", name="Main").get_by_role("link", name="Appointments").click()
        assert number in await cora.locator("main").inner_text()
        await pages.check(cora, "45-my-appointments")

        # The admin of A completes the appointment and invoices it; Cora's badge follows live
        admin_context = await pages.context(chromium)
        admin = await admin_context.new_page()
        await sign_in(admin, base, admins["alpha"].email, admins["alpha"].password)
        await admin.goto(base + "/appointments/schedule")
        await pages.check(admin, "50-staff-schedule")
        await admin.get_by_role("navigation", name="Main").get_by_role("link", name="Appointments").click()
        await pages.check(admin, "51-staff-appointments")
        await admin.get_by_role("link", name=number).click()
        await admin.get_by_role("button", name="Mark as completed").click()
        await admin.wait_for_url(appointment_url)
        assert await admin.locator("#appointment-status").inner_text() == "Completed"
        await pages.check(admin, "52-staff-completed")
        await expect(badge).to_have_text("2", timeout=LIVE)  # on Cora's open page, no reload

        await admin.get_by_role("link", name="Issue an invoice").click()
        await pages.check(admin, "53-invoice-new")
        await admin.get_by_role("button", name="Create the invoice").click()
        await admin.wait_for_url(re.compile(r".*/invoices/[0-9a-f-]{36}$"))
        invoice_url = admin.url
        invoice_number = re.search(r"INV-\d{4}-\d+", await admin.locator("h1").inner_text()).group(0)
        await pages.check(admin, "54-invoice")
        await expect(badge).to_have_text("3", timeout=LIVE)  # "Invoice created"

        # Cora sees the invoice and its PDF
        await cora.get_by_role("navigation", name="Main").get_by_role("link", name="Invoices").click()
        await pages.check(cora, "47-my-invoices")
        await cora.get_by_role("link", name=invoice_number).click()
        assert "75.00" in await cora.locator("main").inner_text()
        await pages.check(cora, "48-my-invoice")
        status, head = await cora.evaluate(
            "async url => { const r = await fetch(url); const b = new Uint8Array(await r.arrayBuffer());"
            " return [r.status, String.fromCharCode(...b.slice(0, 4))]; }",
            invoice_url + "/pdf",
        )
        assert (status, head) == (200, "%PDF")

        # Cora uploads a document (the page shows the upload's progress)
        await cora.get_by_role("navigation", name="Main").get_by_role("link", name="Documents").click()
        await cora.get_by_label("Name", exact=True).fill("Referral letter")
        await cora.get_by_label("Files").set_input_files(
            files=[{"name": "referral.pdf", "mimeType": "application/pdf", "buffer": PDF}]
        )
        await cora.get_by_role("button", name="Upload").click()
        await cora.wait_for_url(re.compile(r".*/documents/[0-9a-f-]{36}$"))
        assert await cora.locator("#document-status").inner_text() == "Received"
        await pages.check(cora, "46-document")

        # The admin reviews and approves it
        await admin.goto(base + "/documents")
        await pages.check(admin, "55-staff-documents")
        await admin.get_by_role("link", name="Referral letter").click()
        await admin.get_by_role("button", name="Start review").click()
        await admin.get_by_role("button", name="Approve").click()
        assert await admin.locator("#document-status").inner_text() == "Approved"
        await pages.check(admin, "56-staff-document-approved")
        await admin_context.close()
        await cora.reload()
        assert await cora.locator("#document-status").inner_text() == "Approved"
        await cora_context.close()

        # A member of B sees none of it
        beta = server.site(orgs["beta"])
        beta_context = await pages.context(chromium)
        other = await beta_context.new_page()
        await sign_in(other, beta, beth.email, beth.password)
        seen = []
        for path in ("/appointments", "/invoices", "/documents", "/appointments/book"):
            await other.goto(beta + path)
            seen.append(await other.content())
        await pages.check(other, "60-other-workspace-appointments")
        for path in (urlsplit(appointment_url).path, urlsplit(invoice_url).path):
            response = await other.goto(beta + path)
            assert response is not None
            assert response.status == 404
        await pages.check(other, "61-other-workspace-not-found")
        await beta_context.close()
    for html in seen:
        for secret in (email, number, invoice_number, "Referral letter", "Physiotherapy"):
            assert secret not in html
    pages.assert_clean()


async def test_booking_and_appointment_pages_fit_a_phone(journey_db, people, marcus_live_server, chromium, pages):
    orgs, admins, dan, _ = people
    async with marcus_live_server(journey_db) as server:
        service_id, day = await seed_times(server.url, admins["alpha"])
        base = server.site(orgs["alpha"])
        phone = await pages.context(chromium, viewport={"width": 390, "height": 844}, is_mobile=True)
        page = await phone.new_page()
        await sign_in(page, base, dan.email, dan.password)
        await page.goto(f"{base}/appointments/book/{service_id}?day={day}")
        await pages.check(page, "70-book-phone")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
        await page.locator("#slot-grid label").first.click()
        await page.get_by_role("button", name="Book this time").click()
        await page.wait_for_url(re.compile(r".*/appointments/[0-9a-f-]{36}$"))
        await pages.check(page, "71-appointment-phone")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
        for path, name in (("/appointments", "72-appointments-phone"), ("/documents", "73-documents-phone")):
            await page.goto(base + path)
            await pages.check(page, name)
            assert await page.evaluate("document.documentElement.scrollWidth") <= 390, f"{path} scrolls sideways"
        await phone.close()
    pages.assert_clean()
