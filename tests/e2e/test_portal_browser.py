"""The portal in a real browser (headless Chromium): a customer of one workspace signs up,
verifies the emailed code, signs in, reads the services and the blog, comments, and watches
the notification badge change live; staff pages work for the workspace's admin; a member of
another workspace sees none of it. Every page visited is screenshot (.marcus/screenshots/)
and checked for the accessibility basics (axe-core and our own checks)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import httpx
import marcus_blog.plugin as blog_plugin
import marcus_services.plugin as services_plugin
import pytest

try:
    from playwright.async_api import expect
except ImportError:  # the chromium fixture skips (or, in CI, fails) the tests
    expect = None

from marcus.testing import OrganizationFactory

PASSWORD = "a-long-pass-phrase"


@pytest.fixture(scope="module")
async def e2e_db(marcus_make_database):
    database = marcus_make_database([services_plugin, blog_plugin])
    yield database
    await database.dispose()


@pytest.fixture
async def two_workspaces(e2e_db, tenant_factory, user_factory):
    """Alpha (with a service and a published post) and Beta (with its own service)."""
    orgs = {}
    for name, slogan in (("Alpha Clinic", "Care, close to home"), ("Beta Studio", "Design that works")):
        org = OrganizationFactory.build(name=name)
        org.settings = {**org.settings, "slogan": slogan, "time_zone": "Europe/Paris"}
        orgs[name.split()[0].lower()] = await tenant_factory(
            database=e2e_db, plugins=["services", "blog"], organization=org
        )
    admins = {
        key: await user_factory(org, database=e2e_db, role="admin", first_name="Ada", last_name=key.title())
        for key, org in orgs.items()
    }
    return orgs, admins


async def seed(server_url: str, admin, *, service: str, post: str | None = None) -> None:
    """Content made through the API, as the workspace's admin would."""
    async with httpx.AsyncClient(base_url=server_url, headers=admin.headers) as api:
        body = {"name": service, "price": "75.00", "duration_minutes": 50, "description": f"{service}, done well."}
        assert (await api.post("/api/v1/services", json=body)).status_code == 201
        if post:
            body = {
                "title": post,
                "content": "We now open on Saturdays.",
                "excerpt": "New hours",
                "status": "published",
            }
            assert (await api.post("/api/v1/blog/posts", json=body)).status_code == 201


async def sign_in(page, base: str, email: str, password: str) -> None:
    await page.goto(f"{base}/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{base}/")


async def test_a_customer_signs_up_reads_and_sees_notifications_live(
    e2e_db, two_workspaces, marcus_live_server, mailbox, chromium, pages
):
    orgs, admins = two_workspaces
    alpha = orgs["alpha"]
    email = "cora@example.com"
    async with marcus_live_server(e2e_db) as server:
        await seed(server.url, admins["alpha"], service="Physiotherapy", post="Open on Saturdays")
        base = server.site(alpha)
        context = await pages.context(chromium)
        page = await context.new_page()

        await page.goto(base + "/")
        assert await page.locator("h1").inner_text() == "Alpha Clinic"
        assert await page.get_by_text("Care, close to home").first.is_visible()
        await pages.check(page, "01-home")

        await page.get_by_role("link", name="Create an account").click()
        await page.get_by_label("First name").fill("Cora")
        await page.get_by_label("Last name").fill("Lind")
        await page.get_by_label("Email").fill("not-an-email")
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign up").click()
        assert await page.locator("#f-email-error").is_visible()  # the error sits next to its field
        await pages.check(page, "02-signup-error")
        await page.get_by_label("Email").fill(email)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign up").click()
        await page.wait_for_url(f"{base}/verify?email=cora%40example.com")
        await pages.check(page, "03-verify")

        code = await mailbox.on(e2e_db).last_code(email, org_id=alpha.id)
        await page.get_by_label("Code").fill(code)
        await page.get_by_role("button", name="Verify").click()
        await page.wait_for_url(f"{base}/login?email=cora%40example.com")
        assert "You can sign in now" in await page.locator(".flash").inner_text()
        await pages.check(page, "04-login")
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(f"{base}/")
        assert "Welcome back, cora@example.com." in await page.locator("main").inner_text()

        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Services").click()
        await page.get_by_role("link", name="Physiotherapy").click()
        assert "75.00 EUR" in await page.locator("main").inner_text()
        await pages.check(page, "05-service")
        await page.goto(base + "/services")
        await pages.check(page, "06-services")

        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Blog").click()
        await pages.check(page, "07-blog")
        await page.get_by_role("link", name="Open on Saturdays").click()
        await page.get_by_label("Your comment").fill("See you on Saturday!")
        await page.get_by_role("button", name="Post the comment").click()
        await page.wait_for_url(f"{base}/blog/open-on-saturdays#comments")
        assert "See you on Saturday!" in await page.locator("#comments").inner_text()
        await pages.check(page, "08-post")

        await page.goto(base + "/dashboard")
        await page.wait_for_selector("body[data-live-state=connected]")
        badge = page.locator("#unread-badge")
        assert await badge.inner_text() == "0"
        user_id = await _user_id(server.url, admins["alpha"], email)
        async with httpx.AsyncClient(base_url=server.url, headers=admins["alpha"].headers) as api:
            note = {"title": "Your results are ready", "message": "Ask us at the desk.", "user_ids": [user_id]}
            assert (await api.post("/api/v1/notifications/send", json=note)).status_code == 202
        await expect(badge).to_have_text("1", timeout=15_000)  # no reload: the WebSocket pushed it
        assert "Your results are ready" in await page.locator("#live-notifications").inner_text()
        assert "Your results are ready" in await page.locator("#live-region").inner_text()
        assert await page.locator("[data-live-unread]").inner_text() == "1"
        await pages.check(page, "09-dashboard-live-badge")

        await page.get_by_role("link", name="Notifications").click()
        await page.wait_for_url(base + "/notifications")
        await page.locator("#live-notifications button").click()
        await expect(page.locator("#unread-badge")).to_have_text("0")
        await pages.check(page, "10-notifications")

        phone = await pages.context(chromium, viewport={"width": 390, "height": 844}, is_mobile=True)
        mobile = await phone.new_page()
        await mobile.goto(base + "/services")
        await pages.check(mobile, "11-services-phone")
        width = await mobile.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, "the page scrolls sideways on a phone"
        await phone.close()
        await context.close()
    pages.assert_clean()


async def test_staff_pages_in_the_browser(e2e_db, two_workspaces, marcus_live_server, chromium, pages):
    orgs, admins = two_workspaces
    alpha, admin = orgs["alpha"], admins["alpha"]
    async with marcus_live_server(e2e_db) as server:
        await seed(server.url, admin, service="Massage")
        base = server.site(alpha)
        context = await pages.context(chromium)
        page = await context.new_page()
        await sign_in(page, base, admin.email, admin.password)
        await page.goto(base + "/dashboard")
        assert await page.locator("h1").inner_text() == "Dashboard"
        await pages.check(page, "20-staff-dashboard")
        await page.goto(base + "/settings")
        await page.get_by_label("Slogan").fill("Care, seven days a week")
        await page.get_by_role("button", name="Save settings").click()
        await page.wait_for_url(base + "/settings")
        assert "Care, seven days a week" in await page.locator(".slogan").inner_text()
        await pages.check(page, "21-settings")
        await page.goto(base + "/users")
        await pages.check(page, "22-users")
        await page.goto(base + "/services")
        await page.get_by_role("link", name="New service").click()
        await page.get_by_label("Price (EUR)").fill("lots")
        await page.get_by_role("button", name="Add the service").click()
        assert await page.locator("#f-name-error").is_visible()
        assert await page.locator("#f-price-error").is_visible()
        await pages.check(page, "23-service-form-errors")
        await page.goto(base + "/blog/write/new")
        await pages.check(page, "24-blog-editor")
        await page.goto(base + "/profile")
        await pages.check(page, "25-profile")
        await context.close()

        platform = await pages.context(chromium)
        page = await platform.new_page()
        await page.goto(f"http://localhost:{urlsplit(server.url).port}/create-workspace")
        await pages.check(page, "26-create-workspace")
        await platform.close()
    pages.assert_clean()


async def test_a_member_of_another_workspace_sees_none_of_it(
    e2e_db, two_workspaces, marcus_live_server, chromium, pages
):
    orgs, admins = two_workspaces
    async with marcus_live_server(e2e_db) as server:
        await seed(server.url, admins["alpha"], service="Alpha Secret Therapy", post="Alpha private news")
        await seed(server.url, admins["beta"], service="Beta Branding")
        base = server.site(orgs["beta"])
        context = await pages.context(chromium)
        page = await context.new_page()
        await sign_in(page, base, admins["beta"].email, admins["beta"].password)
        seen = []
        for path in ("/", "/services", "/blog", "/dashboard", "/users", "/notifications"):
            await page.goto(base + path)
            seen.append(await page.content())
        await pages.check(page, "30-other-workspace")
        await page.goto(base + "/services")
        assert "Beta Branding" in await page.locator("main").inner_text()
        await pages.check(page, "31-other-workspace-services")
        direct = await page.goto(base + "/services/alpha-secret-therapy")
        assert direct is not None
        assert direct.status == 404
        assert await page.locator("h1").inner_text() == "Page not found"
        await pages.check(page, "32-not-found")
        await context.close()
    for html in seen:
        for secret in ("Alpha Clinic", "Alpha Secret Therapy", "Alpha private news", admins["alpha"].email):
            assert secret not in html
    pages.assert_clean()


async def _user_id(server_url: str, admin, email: str) -> str:
    async with httpx.AsyncClient(base_url=server_url, headers=admin.headers) as api:
        for _ in range(20):
            found = (await api.get("/api/v1/users", params={"q": email})).json()["items"]
            if found:
                return str(found[0]["id"])
            await asyncio.sleep(0.1)
    raise AssertionError(f"no user {email}")
