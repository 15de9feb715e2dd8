"""The README's tour in a real browser, on the data of ``marcus demo``: the API docs, the demo
admin's dashboard, the demo customer booking a time, and the notification arriving live.

Screenshots go to the end-to-end artifact folder (.marcus/screenshots/tour-*.png); with
``MARCUS_UPDATE_SCREENSHOTS=1`` they are also written to docs/images/ for the README.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

try:
    from playwright.async_api import expect
except ImportError:  # the chromium fixture skips (or, in CI, fails) the tests
    expect = None

from marcus.demo import run_demo
from marcus.testing import OrganizationFactory

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("MARCUS_SCREENSHOTS", ROOT / ".marcus" / "screenshots"))
README_IMAGES = ROOT / "docs" / "images"
PLUGINS = ["services", "appointments", "documents", "invoices", "blog"]
VIEW = {"width": 1000, "height": 720}


@pytest.fixture(scope="module")
async def tour_db(marcus_make_database):
    database = marcus_make_database()
    yield database
    await database.dispose()


async def shoot(page, name: str, *, full_page: bool = False) -> None:
    """A 1000-pixel-wide screenshot of what the reader sees, for the README when asked to."""
    await page.screenshot(path=str(SCREENSHOTS / f"tour-{name}.png"), full_page=full_page)
    if os.environ.get("MARCUS_UPDATE_SCREENSHOTS") == "1":
        await page.screenshot(path=str(README_IMAGES / f"tour-{name}.png"), full_page=full_page)


async def sign_in(page, base: str, email: str, password: str, code) -> None:
    """Email and password, then the emailed code (the workspace asks for it, as the default one does)."""
    await page.goto(f"{base}/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(r".*/login/code.*"))
    await page.get_by_label("Code").fill(await code(email))
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{base}/")


async def test_the_readme_tour(tour_db, tenant_factory, marcus_live_server, mailbox, chromium, pages):
    org = OrganizationFactory.build(name="Northwind Advisory")
    org.settings = {**org.settings, "slogan": "Clear advice for small businesses", "login_otp": True}
    org = await tenant_factory(database=tour_db, plugins=PLUGINS, organization=org)
    async with marcus_live_server(tour_db) as server:
        report = await run_demo(server.app.kernel, slug=org.slug)
        admin, customer = report.logins
        base = server.site(org)

        async def code(email: str) -> str:
            return await mailbox.on(tour_db).last_code(email, org_id=org.id)

        visitor = await (await chromium.new_context(viewport=VIEW)).new_page()  # Swagger UI: not our markup to check
        await visitor.goto(f"{base}/docs")
        login_operation = visitor.locator('[data-path="/api/v1/auth/login"]').first
        await expect(login_operation).to_be_visible(timeout=20_000)  # Swagger UI renders every operation first
        await shoot(visitor, "1-docs")

        staff = await (await pages.context(chromium, viewport=VIEW)).new_page()
        await sign_in(staff, base, admin.email, admin.password, code)
        await staff.goto(f"{base}/dashboard")
        assert await staff.locator("h1").inner_text() == "Dashboard"
        await pages.check(staff, "tour-dashboard")
        await shoot(staff, "2-admin-dashboard")

        page = await (await pages.context(chromium, viewport=VIEW)).new_page()
        await sign_in(page, base, customer.email, customer.password, code)
        badge = page.locator("#unread-badge")
        unread = int(await badge.inner_text())
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Book").click()
        await page.get_by_role("link", name="Strategy session").click()
        await page.locator("a.day:not(.day-full)").first.click()
        await page.locator("#slot-grid input[type=radio]").first.check()
        await page.get_by_label("Note").fill("First time here: I would like to talk about pricing.")
        await pages.check(page, "tour-book")
        await shoot(page, "3-book", full_page=True)
        await page.get_by_role("button", name="Book this time").click()
        await page.wait_for_url(re.compile(rf"{re.escape(base)}/appointments/[0-9a-f-]+$"))
        assert "is booked" in await page.locator(".flash").inner_text()
        await expect(badge).to_have_text(str(unread + 1), timeout=15_000)  # pushed live, no reload
        await page.goto(f"{base}/notifications")
        assert "Appointment created" in await page.locator("#live-notifications").inner_text()
        await pages.check(page, "tour-notifications")
        await shoot(page, "4-notification")
    pages.assert_clean()
