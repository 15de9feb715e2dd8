"""Portal sessions and security: cookies carrying the API's tokens, transparent refresh, CSRF on
every form, sign-in in one or two steps, sign-out, and the line between pages and the API."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import marcus_blog.plugin as blog_plugin
import marcus_services.plugin as services_plugin
import pytest

from marcus.testing import OrganizationFactory

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
async def portal_db(marcus_make_database):
    database = marcus_make_database([services_plugin, blog_plugin])
    yield database
    await database.dispose()


@pytest.fixture
def workspace(portal_db, tenant_factory):
    async def make(name: str = "Alpha Clinic", plugins=("services", "blog"), **settings):
        org = OrganizationFactory.build(name=name)
        org.settings = {**org.settings, **settings}
        return await tenant_factory(database=portal_db, plugins=list(plugins), organization=org)

    return make


def browser(h, org, scheme: str = "http") -> httpx.AsyncClient:
    """A browser-like client of one workspace, at its own host (cookies are per host)."""
    transport = httpx.ASGITransport(app=h.app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=f"{scheme}://{org.slug}.localhost")


async def form_token(client: httpx.AsyncClient, path: str = "/login") -> str:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    found = CSRF.search(response.text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    token = await form_token(client)
    return await client.post("/login", data={"email": email, "password": password, "csrf_token": token, "next": "/"})


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """Set-Cookie headers by cookie name."""
    return {value.split("=", 1)[0]: value for value in response.headers.get_list("set-cookie")}


async def test_home_shows_each_workspace_branding(portal_db, workspace, marcus_app_factory):
    alpha = await workspace("Alpha Clinic", slogan="Care, close to home")
    beta = await workspace("Beta Studio", slogan="Design that works")
    async with marcus_app_factory(portal_db) as h, browser(h, alpha) as a, browser(h, beta) as b:
        page_a, page_b = (await a.get("/")).text, (await b.get("/")).text
    assert "<h1>Alpha Clinic</h1>" in page_a
    assert "Care, close to home" in page_a
    assert "Beta Studio" not in page_a
    assert "Design that works" not in page_a
    assert "<h1>Beta Studio</h1>" in page_b
    assert "Alpha Clinic" not in page_b


async def test_signup_verify_and_sign_in_set_http_only_session_cookies(
    portal_db, workspace, marcus_app_factory, mailbox
):
    org = await workspace()
    email = "ann@example.com"
    async with marcus_app_factory(portal_db) as h, browser(h, org) as client:
        token = await form_token(client, "/signup")
        form = {"first_name": "Ann", "last_name": "Lee", "email": email, "password": "s3cret-pass", "csrf_token": token}
        response = await client.post("/signup", data=form)
        assert response.status_code == 303
        assert response.headers["location"] == "/verify?email=ann%40example.com"
        code = await mailbox.on(portal_db).last_code(email, org_id=org.id)

        token = await form_token(client, "/verify?email=ann%40example.com")
        response = await client.post("/verify", data={"email": email, "code": code, "csrf_token": token})
        assert response.status_code == 303
        assert "You can sign in now" in (await client.get(response.headers["location"])).text

        response = await sign_in(client, email, "s3cret-pass")
        assert response.status_code == 303
        cookies = set_cookies(response)
        for name in ("marcus_access", "marcus_refresh", "marcus_csrf"):
            assert "HttpOnly" in cookies[name]
            assert "SameSite=Lax" in cookies[name]
            assert "Path=/" in cookies[name]
            assert "Secure" not in cookies[name]  # MARCUS_ENV=test serves http://localhost
        profile = await client.get("/profile")
    assert profile.status_code == 200
    assert email in profile.text
    assert "Sign out" in profile.text


async def test_secure_cookies_use_host_prefix_when_configured(portal_db, workspace, marcus_app_factory, user_factory):
    org = await workspace()
    user = await user_factory(org, database=portal_db)
    async with marcus_app_factory(portal_db, cookie_secure=True) as h, browser(h, org, "https") as client:
        response = await sign_in(client, user.email, user.password)
        cookies = set_cookies(response)
        assert set(cookies) >= {"__Host-marcus_access", "__Host-marcus_refresh", "__Host-marcus_csrf"}
        assert all("Secure" in value and "Domain" not in value for value in cookies.values())
        assert (await client.get("/profile")).status_code == 200


async def test_forms_without_a_valid_csrf_token_are_refused(portal_db, workspace, marcus_app_factory, user_factory):
    org = await workspace()
    other = await workspace("Other")
    user = await user_factory(org, database=portal_db)
    creds = {"email": user.email, "password": user.password}
    async with marcus_app_factory(portal_db) as h, browser(h, org) as client, browser(h, other) as elsewhere:
        token = await form_token(client)
        missing = await client.post("/login", data=creds)
        forged = await client.post("/login", data=creds | {"csrf_token": token[:-2] + "xx"})
        cross_site = await client.post(
            "/login", data=creds | {"csrf_token": token}, headers={"Origin": "https://evil.example"}
        )
        # A token from another host (another workspace) does not fit this one.
        foreign = await elsewhere.post("/login", data=creds | {"csrf_token": await form_token(elsewhere)})
        stolen = await client.post("/login", data=creds | {"csrf_token": await form_token(elsewhere)})
        ok = await client.post("/login", data=creds | {"csrf_token": token}, headers={"Origin": str(client.base_url)})
    for refused in (missing, forged, cross_site, stolen):
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("text/html")
        assert "marcus_access" not in set_cookies(refused)
    assert "This form has expired" in missing.text
    assert foreign.status_code == 401  # the token fits; the account is not a member there
    assert ok.status_code == 303


async def test_cookies_never_authenticate_the_api(portal_db, workspace, marcus_app_factory, user_factory):
    org = await workspace()
    user = await user_factory(org, database=portal_db)
    async with marcus_app_factory(portal_db) as h, browser(h, org) as client:
        await sign_in(client, user.email, user.password)
        assert (await client.get("/profile")).status_code == 200
        me = await client.get("/api/v1/me")
        logout = await client.post("/api/v1/auth/logout")
        still = await client.get("/profile")
    assert me.status_code == 401
    assert me.headers["content-type"] == "application/problem+json"
    assert logout.status_code == 401
    assert still.status_code == 200


async def test_an_expired_access_cookie_is_refreshed_without_notice(
    portal_db, workspace, marcus_app_factory, user_factory
):
    org = await workspace()
    user = await user_factory(org, database=portal_db)
    async with marcus_app_factory(portal_db) as h, browser(h, org) as client:
        await sign_in(client, user.email, user.password)
        first_refresh = client.cookies.get("marcus_refresh")
        client.cookies.delete("marcus_access")  # the browser dropped it when it expired
        # Two tabs at once with the same refresh token: both stay signed in.
        page = await client.get("/profile")
        client.cookies.delete("marcus_access")
        client.cookies.set("marcus_refresh", first_refresh, domain=f"{org.slug}.localhost")
        twin = await client.get("/profile")
        renewed = set_cookies(page)
        # The rotated token works; the first one is used up for good once the grace is over.
        h.app.api.state.portal.grace._issued.clear()
        client.cookies.delete("marcus_access")
        client.cookies.set("marcus_refresh", first_refresh, domain=f"{org.slug}.localhost")
        reused = await client.get("/profile")
    assert page.status_code == 200
    assert user.email in page.text
    assert {"marcus_access", "marcus_refresh"} <= set(renewed)
    assert twin.status_code == 200
    assert reused.status_code == 303  # reuse revoked the session: back to sign in
    assert reused.headers["location"] == "/login?next=%2Fprofile"
    assert (
        'marcus_refresh=""' in set_cookies(reused)["marcus_refresh"]
        or "Max-Age=0" in set_cookies(reused)["marcus_refresh"]
    )


async def test_signing_out_ends_the_session_for_the_api_too(portal_db, workspace, marcus_app_factory, user_factory):
    org = await workspace()
    user = await user_factory(org, database=portal_db)
    async with marcus_app_factory(portal_db) as h, browser(h, org) as client:
        await sign_in(client, user.email, user.password)
        access = client.cookies.get("marcus_access")
        token = await form_token(client, "/")
        response = await client.post("/logout", data={"csrf_token": token})
        assert response.status_code == 303
        home = await client.get("/")
        api = await h.client.get("/api/v1/me", headers={"Authorization": f"Bearer {access}", "X-Tenant": org.slug})
    assert "You are signed out." in home.text
    assert "Sign in" in home.text
    assert api.status_code == 401


async def test_sign_in_takes_two_steps_where_the_workspace_wants_a_code(
    portal_db, workspace, marcus_app_factory, user_factory, mailbox
):
    org = await workspace(login_otp=True)
    user = await user_factory(org, database=portal_db)
    async with marcus_app_factory(portal_db) as h, browser(h, org) as client:
        response = await sign_in(client, user.email, user.password)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login/code?email=")
        assert "marcus_access" not in set_cookies(response)
        code_page = await client.get(response.headers["location"])
        assert "We emailed you a sign-in code." in code_page.text
        code = await mailbox.on(portal_db).last_code(user.email, org_id=org.id)
        token = CSRF.search(code_page.text).group(1)
        wrong = await client.post("/login/code", data={"email": user.email, "code": "000000", "csrf_token": token})
        right = await client.post("/login/code", data={"email": user.email, "code": code, "csrf_token": token})
        assert (await client.get("/profile")).status_code == 200
    assert wrong.status_code in (400, 401, 422)
    assert 'class="alert"' in wrong.text or "field-error" in wrong.text
    assert right.status_code == 303
    assert "marcus_access" in set_cookies(right)


async def test_forgotten_password_is_reset_with_the_emailed_code(
    portal_db, workspace, marcus_app_factory, user_factory, mailbox
):
    org = await workspace()
    user = await user_factory(org, database=portal_db)
    async with marcus_app_factory(portal_db) as h, browser(h, org) as client:
        token = await form_token(client, "/password/forgot")
        response = await client.post("/password/forgot", data={"email": user.email, "csrf_token": token})
        assert response.status_code == 303
        code = await mailbox.on(portal_db).last_code(user.email, org_id=org.id)
        token = await form_token(client, response.headers["location"])
        form = {"email": user.email, "code": code, "new_password": "brand-new-pass", "csrf_token": token}
        assert (await client.post("/password/reset", data=form)).status_code == 303
        old = await sign_in(client, user.email, user.password)
        new = await sign_in(client, user.email, "brand-new-pass")
    assert old.status_code == 401
    assert "Wrong email or password." in old.text
    assert new.status_code == 303


async def test_form_errors_show_next_to_their_field(portal_db, workspace, marcus_app_factory):
    org = await workspace()
    async with marcus_app_factory(portal_db) as h, browser(h, org) as client:
        token = await form_token(client, "/signup")
        form = {"first_name": "Ann", "last_name": "", "email": "not-an-email", "password": "short", "csrf_token": token}
        response = await client.post("/signup", data=form)
    assert response.status_code == 422
    html = response.text
    for field in ("last_name", "email", "password"):
        assert f'id="f-{field}-error"' in html
        assert re.search(rf'id="f-{field}"[^>]*aria-describedby="[^"]*f-{field}-error"[^>]*aria-invalid="true"', html)
    assert 'id="f-first_name-error"' not in html
    assert 'value="Ann"' in html  # what was typed stays
    assert 'value="short"' not in html  # passwords are never echoed


async def test_anonymous_visitors_are_sent_to_sign_in_and_brought_back(
    portal_db, workspace, marcus_app_factory, user_factory
):
    org = await workspace()
    admin = await user_factory(org, database=portal_db, role="admin")
    async with marcus_app_factory(portal_db) as h, browser(h, org) as client:
        response = await client.get("/settings")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=%2Fsettings"
        token = await form_token(client, response.headers["location"])
        creds = {"email": admin.email, "password": admin.password, "csrf_token": token}
        back = await client.post("/login", data=creds | {"next": "/settings"})
        stale = await client.post("/login", data=creds | {"next": "/"})  # signing in renewed the token
        creds["csrf_token"] = await form_token(client)
        away = await client.post("/login", data=creds | {"next": "//evil.example/x"})
    assert back.headers["location"] == "/settings"
    assert stale.status_code == 403
    assert away.headers["location"] == "/"


async def test_pages_carry_security_headers_and_errors_stay_in_their_format(portal_db, workspace, marcus_app_factory):
    org = await workspace()
    async with marcus_app_factory(portal_db) as h, browser(h, org) as client:
        home = await client.get("/")
        missing_page = await client.get("/no/such/page", headers={"Accept": "text/html,*/*;q=0.8"})
        missing_for_a_script = await client.get("/no/such/page")
        missing_api = await client.get("/api/v1/no/such/thing")
    csp = home.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert home.headers["x-frame-options"] == "DENY"
    assert home.headers["cache-control"] == "no-store"
    assert missing_page.status_code == 404
    assert missing_page.headers["content-type"].startswith("text/html")
    assert "Page not found" in missing_page.text
    assert missing_for_a_script.headers["content-type"] == "application/problem+json"
    assert missing_api.status_code == 404
    assert missing_api.headers["content-type"] == "application/problem+json"


async def test_the_websocket_takes_the_session_cookie_from_its_own_origin_only(
    portal_db, workspace, marcus_live_server, user_factory
):
    import json

    from websockets.asyncio.client import connect

    org = await workspace()
    user = await user_factory(org, database=portal_db)
    async with marcus_live_server(portal_db) as server:
        async with httpx.AsyncClient(base_url=server.url, headers={"X-Tenant": org.slug}) as client:
            token = CSRF.search((await client.get("/login")).text).group(1)
            await client.post("/login", data={"email": user.email, "password": user.password, "csrf_token": token})
            cookie = f"marcus_access={client.cookies.get('marcus_access')}"
        host = urlsplit(server.url).netloc
        url = f"ws://{host}/ws/notifications"
        headers = {"Cookie": cookie, "X-Tenant": org.slug}
        async with connect(url, additional_headers=headers, origin=f"http://{host}") as ws:
            same_origin = json.loads(await ws.recv())
        async with connect(url, additional_headers=headers, origin="https://evil.example") as ws:
            cross_site = json.loads(await ws.recv())
    assert same_origin == {"event": "connected", "data": {"userId": str(user.id), "role": "CUSTOMER"}}
    assert cross_site["event"] == "auth_error"


async def test_sign_in_pages_share_the_api_rate_limits(portal_db, workspace, marcus_app_factory, user_factory):
    org = await workspace()
    user = await user_factory(org, database=portal_db)
    limits = {"login_account": "2/600", "login_ip": "100/60"}
    async with marcus_app_factory(portal_db, rate_limits=limits) as h, browser(h, org) as client:
        api = await h.client.post(
            "/api/v1/auth/login", json={"email": user.email, "password": "wrong-one"}, headers={"X-Tenant": org.slug}
        )
        page = await sign_in(client, user.email, "wrong-one")
        limited_page = await sign_in(client, user.email, user.password)
        limited_api = await h.client.post(
            "/api/v1/auth/login", json={"email": user.email, "password": user.password}, headers={"X-Tenant": org.slug}
        )
    assert (api.status_code, page.status_code) == (401, 401)
    assert limited_page.status_code == 429
    assert "marcus_access" not in set_cookies(limited_page)
    assert limited_api.status_code == 429, "the page's attempts count against the account's API budget"
