"""The kernel's portal pages: profile, notifications, dashboard, workspace settings, users and
roles, "create your workspace"; and the public and staff pages of the services and blog
plugins, with nothing of one workspace showing in another."""

from __future__ import annotations

import re

import marcus_blog.plugin as blog_plugin
import marcus_services.plugin as services_plugin
import pytest

from marcus.testing import OrganizationFactory, portal_client, relay_for, signed_in

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201"
    "5d8c2c1b0000000049454e44ae426082"
)


@pytest.fixture(scope="module")
async def pages_db(marcus_make_database):
    database = marcus_make_database([services_plugin, blog_plugin])
    yield database
    await database.dispose()


@pytest.fixture
def workspace(pages_db, tenant_factory):
    async def make(name: str = "Alpha Clinic", plugins=("services", "blog")):
        return await tenant_factory(
            database=pages_db, plugins=list(plugins), organization=OrganizationFactory.build(name=name)
        )

    return make


async def test_profile_is_edited_with_errors_next_to_fields(pages_db, workspace, user_factory, marcus_app_factory):
    org = await workspace()
    user = await user_factory(org, database=pages_db, first_name="Ann", last_name="Lee")
    async with marcus_app_factory(pages_db) as h, signed_in(h, org, user) as client:
        bad = await client.submit(
            "/profile", {"first_name": "Ann", "last_name": "Lee", "email": user.email, "zip": "1" * 30}
        )
        saved = await client.submit(
            "/profile", {"first_name": "Annie", "last_name": "Lee", "email": user.email, "city": "Lyon"}
        )
        shown = await client.get("/profile")
        wrong = await client.submit(
            "/profile/password", {"current_password": "nope-nope", "new_password": "x" * 10}, page="/profile"
        )
        changed = await client.submit(
            "/profile/password",
            {"current_password": user.password, "new_password": "a-new-password"},
            page="/profile",
        )
    assert bad.status_code == 422
    assert 'id="f-zip-error"' in bad.text
    assert saved.status_code == 303
    assert 'value="Annie"' in shown.text
    assert 'value="Lyon"' in shown.text
    assert "Your profile is saved." in shown.text
    assert wrong.status_code == 422
    assert 'id="f-current_password-error"' in wrong.text
    assert "wrong password" in wrong.text
    assert changed.status_code == 303


async def test_notifications_are_listed_and_marked_read(pages_db, workspace, user_factory, marcus_app_factory):
    org = await workspace()
    admin = await user_factory(org, database=pages_db, role="admin")
    customer = await user_factory(org, database=pages_db)
    async with marcus_app_factory(pages_db, worker=False) as h:
        for title in ("Welcome aboard", "Your invoice"):
            body = {"title": title, "message": f"{title}!", "user_ids": [str(customer.id)]}
            assert (
                await h.client.post("/api/v1/notifications/send", json=body, headers=admin.headers)
            ).status_code == 202
        while await relay_for(h.kernel).run_once():
            pass
        async with signed_in(h, org, customer) as client:
            listed = await client.get("/notifications")
            badge = re.search(r'id="unread-badge" data-unread="(\d+)"', listed.text).group(1)
            note_id = re.search(r'action="/notifications/([0-9a-f-]{36})/read"', listed.text).group(1)
            await client.submit(f"/notifications/{note_id}/read", {}, page="/notifications")
            one_read = (await client.get("/notifications/unread.json")).json()
            await client.submit("/notifications/read-all", {}, page="/notifications")
            all_read = (await client.get("/notifications/unread.json")).json()
            dashboard = await client.get("/dashboard")
    assert "Welcome aboard" in listed.text
    assert "Your invoice" in listed.text
    assert badge == "2"
    assert one_read == {"unread": 1}
    assert all_read == {"unread": 0}
    assert "Your figures" in dashboard.text
    assert "Welcome aboard" in dashboard.text


async def test_staff_dashboard_shows_workspace_figures_and_activity(
    pages_db, workspace, user_factory, marcus_app_factory
):
    org = await workspace()
    admin = await user_factory(org, database=pages_db, role="admin")
    async with marcus_app_factory(pages_db, worker=False) as h, signed_in(h, org, admin) as client:
        await client.submit(
            "/services/manage/new",
            {"name": "Massage", "price": "50", "duration_minutes": "30", "status": "active"},
        )
        while await relay_for(h.kernel).run_once():
            pass
        page = await client.get("/dashboard")
    assert page.status_code == 200
    assert '<h2 id="figures">Figures</h2>' in page.text
    assert "Users" in page.text
    assert "Massage" in page.text  # the activity feed records the new service


async def test_workspace_settings_change_branding_and_refuse_bad_values(
    pages_db, workspace, user_factory, marcus_app_factory
):
    org = await workspace()
    admin = await user_factory(org, database=pages_db, role="admin")
    form = {"name": "Gamma Spa", "slogan": "Relax", "language": "en", "time_zone": "Europe/Paris", "currency": "CHF"}
    async with marcus_app_factory(pages_db) as h, signed_in(h, org, admin) as client:
        bad = await client.submit("/settings", form | {"time_zone": "Mars/Olympus", "plugins": ["services", "blog"]})
        saved = await client.submit("/settings", form | {"plugins": ["services", "blog"]})
        home = await client.get("/")
        token = await client.csrf_token("/settings")
        files = {"logo": ("logo.png", PNG, "image/png")}
        logo = await client.post("/settings/logo", data={"csrf_token": token}, files=files)
        with_logo = await client.get("/")
        not_image = await client.post(
            "/settings/logo", data={"csrf_token": token}, files={"logo": ("x.png", b"GIF89a", "image/png")}
        )
    assert bad.status_code == 422
    assert 'id="f-time_zone-error"' in bad.text
    assert "not an IANA time zone name" in bad.text
    assert saved.status_code == 303
    assert "<h1>Gamma Spa</h1>" in home.text
    assert "Relax" in home.text
    assert logo.status_code == 303
    assert '<img class="brand-logo" src="/api/v1/settings/logo"' in with_logo.text
    assert not_image.status_code == 422
    assert 'id="f-logo-error"' in not_image.text


async def test_users_are_listed_blocked_and_given_roles(pages_db, workspace, user_factory, marcus_app_factory):
    org = await workspace()
    admin = await user_factory(org, database=pages_db, role="admin")
    staff = await user_factory(org, database=pages_db, role="staff")
    customer = await user_factory(org, database=pages_db, email="carl@example.com")
    async with marcus_app_factory(pages_db) as h:
        async with signed_in(h, org, staff) as client:
            staff_view = await client.get("/users")
            staff_block = await client.submit(f"/users/{customer.id}/block", {}, page="/users")
        async with signed_in(h, org, admin) as client:
            listed = await client.get("/users?q=carl")
            blocked = await client.submit(f"/users/{customer.id}/block", {}, page="/users")
            promoted = await client.submit(f"/users/{customer.id}/role", {"role": "staff"}, page="/users")
            after = await client.get("/users?q=carl")
        blocked_login = await h.client.get("/api/v1/me", headers=customer.headers)
    assert "carl@example.com" in staff_view.text
    assert f'action="/users/{customer.id}/block"' not in staff_view.text  # staff may look, not act
    assert staff_block.status_code == 403
    assert f"<td>{admin.email}</td>" not in listed.text
    assert "<td>carl@example.com</td>" in listed.text
    assert blocked.status_code == 303
    assert promoted.status_code == 303
    assert "Blocked" in after.text
    assert '<option value="staff" selected>' in after.text
    assert blocked_login.status_code == 401


async def test_a_business_creates_its_workspace_from_the_platform_page(pages_db, marcus_app_factory, mailbox):
    form = {
        "name": "Delta Dental",
        "slug": "delta-dental",
        "owner.first_name": "Dora",
        "owner.last_name": "Diaz",
        "owner.email": "dora@example.com",
        "owner.password": "dora-secret",
    }
    async with marcus_app_factory(pages_db) as h, portal_client(h, None) as client:
        taken_slug = await client.submit("/create-workspace", form | {"slug": "Not A Slug!"})
        created = await client.submit("/create-workspace", form)
        again = await client.submit("/create-workspace", form)
    assert taken_slug.status_code == 422
    assert 'id="f-slug-error"' in taken_slug.text
    assert created.status_code == 201
    assert "http://delta-dental.localhost/verify?email=dora%40example.com" in created.text
    assert again.status_code == 409
    assert 'id="f-slug-error"' in again.text
    assert await mailbox.on(pages_db).last_code("dora@example.com")


async def test_services_catalogue_and_staff_editing(pages_db, workspace, user_factory, marcus_app_factory):
    org = await workspace()
    admin = await user_factory(org, database=pages_db, role="admin")
    async with marcus_app_factory(pages_db) as h:
        async with signed_in(h, org, admin) as client:
            bad = await client.submit(
                "/services/manage/new",
                {"name": "", "price": "-3", "duration_minutes": "30", "status": "active"},
            )
            made = await client.submit(
                "/services/manage/new",
                {
                    "name": "Deep Tissue",
                    "price": "80.5",
                    "duration_minutes": "45",
                    "status": "active",
                    "description": "Firm.",
                },
            )
            hidden = await client.submit(
                "/services/manage/new",
                {"name": "Secret Recipe", "price": "1", "duration_minutes": "5", "status": "inactive"},
            )
            manager_view = await client.get("/services")
            edit_path = re.search(
                r'href="(/services/manage/[0-9a-f-]{36})"', (await client.get("/services/deep-tissue")).text
            ).group(1)
            clash = await client.submit(
                edit_path,
                {
                    "name": "Deep Tissue",
                    "price": "80.5",
                    "duration_minutes": "45",
                    "status": "active",
                    "slug": "secret-recipe",
                },
            )
            renamed = await client.submit(
                edit_path,
                {"name": "Deep Tissue Massage", "price": "90", "duration_minutes": "45", "status": "active"},
            )
        async with portal_client(h, org) as anonymous:
            public = await anonymous.get("/services")
            detail = await anonymous.get("/services/deep-tissue")
            secret = await anonymous.get("/services/secret-recipe")
            new_form = await anonymous.get("/services/manage/new")
    assert bad.status_code == 422
    assert 'id="f-name-error"' in bad.text
    assert 'id="f-price-error"' in bad.text
    assert made.status_code == 303
    assert made.headers["location"] == "/services/deep-tissue"
    assert hidden.status_code == 303
    assert "Secret Recipe" in manager_view.text
    assert clash.status_code == 409
    assert 'id="f-slug-error"' in clash.text
    assert renamed.status_code == 303
    assert "Deep Tissue Massage" in public.text
    assert "90.00 EUR" in public.text
    assert "Secret Recipe" not in public.text
    assert detail.status_code == 200
    assert "Firm." in detail.text
    assert "Edit" not in detail.text
    assert secret.status_code == 404
    assert new_form.status_code == 303


async def test_blog_posts_and_comments(pages_db, workspace, user_factory, marcus_app_factory):
    org = await workspace()
    admin = await user_factory(org, database=pages_db, role="admin", first_name="Ada", last_name="Writer")
    customer = await user_factory(org, database=pages_db, first_name="Cy", last_name="Reader")
    async with marcus_app_factory(pages_db) as h:
        async with signed_in(h, org, admin) as client:
            draft = await client.submit(
                "/blog/write/new", {"title": "Opening soon", "content": "Draft.", "status": "draft"}
            )
            bad = await client.submit("/blog/write/new", {"title": "Later", "content": "x", "status": "scheduled"})
            published = await client.submit(
                "/blog/write/new",
                {
                    "title": "We are open",
                    "content": "Come by!",
                    "excerpt": "News",
                    "status": "published",
                    "tags": "news, opening",
                },
            )
        async with portal_client(h, org) as anonymous:
            listing = await anonymous.get("/blog")
            draft_page = await anonymous.get("/blog/opening-soon")
            post_page = await anonymous.get("/blog/we-are-open")
            anonymous_comment = await anonymous.submit("/blog/we-are-open/comments", {"content": "Hi"}, page="/login")
        async with signed_in(h, org, customer) as client:
            empty = await client.submit("/blog/we-are-open/comments", {"content": " "}, page="/blog/we-are-open")
            commented = await client.submit(
                "/blog/we-are-open/comments", {"content": "Great news!"}, page="/blog/we-are-open"
            )
            with_comment = await client.get("/blog/we-are-open")
            write = await client.get("/blog/write/new")
    assert draft.status_code == 303
    assert bad.status_code == 422
    assert 'id="f-published_at-error"' in bad.text
    assert published.status_code == 303
    assert "We are open" in listing.text
    assert "Opening soon" not in listing.text
    assert draft_page.status_code == 404
    assert "Come by!" in post_page.text
    assert "By Ada Writer" in post_page.text
    assert 'href="/login?next=/blog/we-are-open"' in post_page.text
    assert anonymous_comment.status_code == 303
    assert anonymous_comment.headers["location"].startswith("/login?next=")
    assert empty.status_code == 422
    assert 'id="f-content-error"' in empty.text
    assert commented.status_code == 303
    assert "Great news!" in with_comment.text
    assert "Cy Reader" in with_comment.text
    assert write.status_code == 403


async def test_no_page_shows_another_workspaces_data(pages_db, workspace, user_factory, marcus_app_factory):
    alpha, beta = await workspace("Alpha Clinic"), await workspace("Beta Studio")
    alpha_admin = await user_factory(alpha, database=pages_db, role="admin", email="alpha-admin@example.com")
    beta_admin = await user_factory(beta, database=pages_db, role="admin", email="beta-admin@example.com")
    async with marcus_app_factory(pages_db, worker=False) as h:
        async with signed_in(h, alpha, alpha_admin) as client:
            await client.submit(
                "/services/manage/new",
                {"name": "Alpha Only", "price": "10", "duration_minutes": "10", "status": "active"},
            )
            await client.submit("/blog/write/new", {"title": "Alpha news", "content": "A", "status": "published"})
            alpha_cookie = client.cookies.get("marcus_access")
        while await relay_for(h.kernel).run_once():
            pass
        async with signed_in(h, beta, beta_admin) as client:
            pages = {
                path: await client.get(path)
                for path in ("/services", "/blog", "/dashboard", "/users", "/notifications")
            }
            direct = [await client.get(path) for path in ("/services/alpha-only", "/blog/alpha-news")]
        async with portal_client(h, beta) as stranger:
            # Alpha's session cookie presented at Beta's address is no session at all.
            stranger.cookies.set("marcus_access", alpha_cookie, domain=f"{beta.slug}.localhost")
            foreign = await stranger.get("/profile")
    for path, page in pages.items():
        assert page.status_code == 200, path
        for secret in ("Alpha Only", "Alpha news", "alpha-admin@example.com", "Alpha Clinic"):
            assert secret not in page.text, (path, secret)
    assert [page.status_code for page in direct] == [404, 404]
    assert foreign.status_code == 303
    assert foreign.headers["location"].startswith("/login")
