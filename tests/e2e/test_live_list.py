"""The staff's appointments list, live, in real browsers (headless Chromium): the admin watches
the list while a customer books through the API, and the new row appears without a reload,
announced politely, focus where it was; a burst of bookings costs the list a few fetches, not
one each. Another customer's open list hears that something changed, never what: no number,
no name. Screenshot (.marcus/screenshots/) and checked for accessibility like every page."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import marcus_appointments.plugin as appointments_plugin
import marcus_services.plugin as services_plugin
import pytest

try:
    from playwright.async_api import expect
except ImportError:  # the chromium fixture skips (or, in CI, fails) the tests
    expect = None

from marcus.testing import OrganizationFactory

ZONE = "Europe/Paris"
LIVE = 15_000  # ms a live update may take on a busy two-core machine
BURST = 10
# What the page's WebSocket hears, kept for the test (portal.js re-dispatches every frame).
RECORD_JS = """
() => {
  window.heard = [];
  document.addEventListener("marcus:live", (e) => window.heard.push(JSON.stringify(e.detail)));
  window.notReloaded = true;
}
"""


@pytest.fixture(scope="module")
async def live_list_db(marcus_make_database):
    database = marcus_make_database([services_plugin, appointments_plugin])
    yield database
    await database.dispose()


@pytest.fixture
async def clinic(live_list_db, tenant_factory, user_factory):
    """A workspace with its admin and two customers, Cora and Dan."""
    org = OrganizationFactory.build(name="Alpha Clinic")
    org.settings = {**org.settings, "time_zone": ZONE, "currency": "EUR"}
    org = await tenant_factory(database=live_list_db, plugins=["services", "appointments"], organization=org)
    admin = await user_factory(org, database=live_list_db, role="admin")
    cora = await user_factory(org, database=live_list_db, first_name="Cora", last_name="Lind")
    dan = await user_factory(org, database=live_list_db, first_name="Dan", last_name="Booker")
    return org, admin, cora, dan


async def seed_times(server_url: str, admin, count: int) -> list[str]:
    """A service with ``count`` half-hour times two days ahead, through the API; their ids."""
    day = (datetime.now(ZoneInfo(ZONE)) + timedelta(days=2)).date().isoformat()
    async with httpx.AsyncClient(base_url=server_url, headers=admin.headers) as api:
        made = await api.post("/api/v1/services", json={"name": "Osteopathy", "price": "60.00", "duration_minutes": 30})
        assert made.status_code == 201, made.text
        service_id = made.json()["id"]
        end = 9 * 60 + 30 * count
        window = {
            "service_id": service_id,
            "date": day,
            "start_time": "09:00",
            "end_time": f"{end // 60:02d}:{end % 60:02d}",
        }
        times = await api.post("/api/v1/appointments/slots/generate-day", json=window | {"duration_minutes": 30})
        assert times.status_code == 201, times.text
        listed = await api.get(f"/api/v1/appointments/slots?service_id={service_id}&date={day}")
        assert listed.status_code == 200, listed.text
    return [slot["id"] for slot in listed.json()]


async def book(server_url: str, customer, slot_id: str) -> dict:
    async with httpx.AsyncClient(base_url=server_url, headers=customer.headers) as api:
        made = await api.post("/api/v1/appointments", json={"slot_id": slot_id, "meeting_type": "Virtual"})
    assert made.status_code == 201, made.text
    return dict(made.json())


async def sign_in(page, base: str, email: str, password: str) -> None:
    await page.goto(f"{base}/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{base}/")


async def test_staff_see_new_bookings_on_their_list_without_reloading(
    live_list_db, clinic, marcus_live_server, chromium, pages
):
    org, admin, cora, dan = clinic
    async with marcus_live_server(live_list_db) as server:
        slot_ids = await seed_times(server.url, admin, count=2 + BURST)
        first = await book(server.url, cora, slot_ids[0])
        base = server.site(org)

        # The admin opens the appointments list, her focus on Cora's appointment
        admin_context = await pages.context(chromium)
        staff = await admin_context.new_page()
        fetches: list[str] = []
        staff.on("request", lambda r: fetches.append(r.url) if "fragment=rows" in r.url else None)
        await sign_in(staff, base, admin.email, admin.password)
        await staff.get_by_role("navigation", name="Main").get_by_role("link", name="Appointments").click()
        await staff.wait_for_selector("body[data-live-state=connected]")
        await staff.evaluate(RECORD_JS)
        assert await staff.locator("#appointment-rows [data-number]").count() == 1
        await staff.get_by_role("link", name=first["number"]).focus()

        # Cora's own list is open too
        cora_context = await pages.context(chromium)
        other = await cora_context.new_page()
        await sign_in(other, base, cora.email, cora.password)
        await other.goto(base + "/appointments")
        await other.wait_for_selector("body[data-live-state=connected]")
        await other.evaluate(RECORD_JS)

        # Dan books through the API: his row appears on the admin's list, announced
        dans = await book(server.url, dan, slot_ids[1])
        row = staff.locator(f'#appointment-rows [data-number="{dans["number"]}"]')
        await expect(row).to_have_count(1, timeout=LIVE)
        await expect(staff.locator("#list-news")).to_have_text(f"1 new booking: {dans['number']}.", timeout=LIVE)
        assert "Dan Booker" in await staff.locator("#appointment-rows").inner_text()
        assert await staff.evaluate("window.notReloaded") is True
        focused = await staff.evaluate("document.activeElement.getAttribute('data-number')")
        assert focused == first["number"]
        assert await staff.locator("tr.row-new").count() == 1
        await pages.check(staff, "60-staff-list-live")

        # A burst of bookings: a few fetches, not one each
        before = len(fetches)
        await asyncio.gather(*(book(server.url, cora, slot_id) for slot_id in slot_ids[2:]))
        await expect(staff.locator("#appointment-rows [data-number]")).to_have_count(2 + BURST, timeout=LIVE)
        await asyncio.sleep(2)  # any fetch still to come
        assert 1 <= len(fetches) - before <= BURST // 2, fetches[before:]
        assert await staff.evaluate("window.notReloaded") is True
        await pages.check(staff, "61-staff-list-after-burst")

        # Cora's page heard that something changed, never what; her list is her own
        heard = await other.evaluate("window.heard")
        assert any(json.loads(frame)["event"] == "appointments:list_changed" for frame in heard)
        assert all(json.loads(frame)["data"] == {} for frame in heard if "list_changed" in frame)
        assert dans["number"] not in "".join(heard)
        assert "Dan" not in "".join(heard)
        assert dans["id"] not in "".join(heard)
        assert await other.locator("[data-live-list]").count() == 0
        assert dans["number"] not in await other.locator("main").inner_text()
        assert re.search(r"APPT-\d+", await staff.locator("#appointment-rows").inner_text())
        await pages.check(other, "62-customer-list-unchanged")
        await admin_context.close()
        await cora_context.close()
    pages.assert_clean()
