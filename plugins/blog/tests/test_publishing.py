"""Publication: scheduled posts go public through the ``blog.publish_due`` job, and every post
announces itself (``blog.published``, broadcast) exactly once; disabled workspaces get 404."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from marcus_blog import plugin as blog_plugin
from sqlalchemy import text

POSTS = "/api/v1/blog/posts"


async def published_notifications(blog, user) -> list[dict]:
    response = await blog.client.get("/api/v1/notifications?event=blog.published", headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def make_due(blog, shop, post_id: str) -> None:
    """Move a scheduled post's time into the past and the job's next run to now (time passes)."""
    async with blog.h.kernel.db.tenant_transaction(shop.org.id) as session:
        await session.execute(
            text("UPDATE blog_posts SET published_at = now() - interval '1 second' WHERE id = :id"), {"id": post_id}
        )
    async with blog.h.kernel.db.platform_session() as session, session.begin():
        await session.execute(
            text(
                "UPDATE job_schedules SET next_run_at = now() WHERE organization_id = :org AND job = 'blog.publish_due'"
            ),
            {"org": shop.org.id},
        )


async def test_a_scheduled_post_goes_public_when_the_job_runs_and_notifies_once(blog, shop):
    when = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    post = await blog.post(shop.admin, title="Launch day", status="scheduled", published_at=when)
    by_slug = f"{POSTS}/by-slug/{post['slug']}"
    assert await blog.run_jobs() >= 1  # due at once: runs, publishes nothing yet
    await blog.deliver()
    assert (await blog.client.get(by_slug, headers=blog.anonymous(shop.org))).status_code == 404
    assert (await blog.client.get(POSTS, headers=blog.anonymous(shop.org))).json()["total"] == 0
    assert await published_notifications(blog, shop.alice) == []

    await make_due(blog, shop, post["id"])
    assert (await blog.client.get(by_slug, headers=blog.anonymous(shop.org))).status_code == 404  # not before the job
    await blog.run_jobs()
    await blog.deliver()
    public = await blog.client.get(by_slug, headers=blog.anonymous(shop.org))
    assert public.status_code == 200
    assert public.json()["status"] == "published"
    assert [p["id"] for p in (await blog.client.get(POSTS, headers=blog.anonymous(shop.org))).json()["items"]] == [
        post["id"]
    ]

    await make_due(blog, shop, post["id"])
    await blog.run_jobs()  # a second run finds nothing to publish
    await blog.deliver()
    for customer in (shop.alice, shop.bob):
        notes = await published_notifications(blog, customer)
        assert len(notes) == 1
        assert (notes[0]["title"], notes[0]["message"]) == ("New blog post", "A new blog post is now available.")
        assert notes[0]["metadata"]["post_id"] == post["id"]


async def test_publishing_at_once_announces_once_whatever_happens_next(blog, shop):
    post = await blog.post(shop.admin, title="Hot news", status="published")
    url = f"{POSTS}/{post['id']}"
    await blog.client.patch(url, json={"title": "Hotter news"}, headers=shop.admin.headers)
    await blog.client.patch(url, json={"status": "draft"}, headers=shop.admin.headers)
    await blog.client.patch(url, json={"status": "published"}, headers=shop.admin.headers)
    draft = await blog.post(shop.admin, title="Later")
    await blog.deliver()
    notes = await published_notifications(blog, shop.alice)
    assert [n["metadata"]["post_id"] for n in notes] == [post["id"]]

    await blog.client.patch(f"{POSTS}/{draft['id']}", json={"status": "published"}, headers=shop.admin.headers)
    await blog.deliver()
    assert len(await published_notifications(blog, shop.bob)) == 2

    activity = await blog.client.get(f"/api/v1/activities?entity_id={post['id']}", headers=shop.admin.headers)
    events = sorted(a["event"] for a in activity.json()["items"])
    assert events.count("blog.published") == 1
    assert "blog.post_created" in events
    assert "blog.post_updated" in events
    own = await blog.client.get("/api/v1/activities", headers=shop.alice.headers)
    assert all(not a["event"].startswith("blog.post_") for a in own.json()["items"])  # staff changes stay staff's


async def test_a_workspace_without_the_blog_gets_404_others_keep_it(blog, shop, tenant_factory, user_factory, blog_db):
    plain = await tenant_factory(database=blog_db)
    owner = await user_factory(plain, database=blog_db, role="owner")
    await blog.post(shop.admin, status="published")
    requests = [
        ("GET", POSTS, None),
        ("GET", "/api/v1/blog/tags", None),
        ("POST", POSTS, {"title": "t", "content": "c"}),
        ("GET", f"{POSTS}/by-slug/hello-world", None),
    ]
    for method, url, body in requests:
        for headers in (owner.headers, blog.anonymous(plain)):
            response = await blog.client.request(method, url, json=body, headers=headers)
            assert response.status_code == 404, (method, url, response.text)
            assert response.json()["code"] == "plugin_not_enabled"
    enabled = await blog.client.get(POSTS, headers=blog.anonymous(shop.org))
    assert (enabled.status_code, enabled.json()["total"]) == (200, 1)


async def test_disabling_the_blog_hides_it_and_pauses_its_schedule(blog, shop):
    when = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    post = await blog.post(shop.admin, title="Paused", status="scheduled", published_at=when)
    await make_due(blog, shop, post["id"])
    await set_blog_enabled(blog, shop, enabled=False)
    assert (await blog.client.get(POSTS, headers=shop.admin.headers)).status_code == 404
    await blog.run_jobs()
    async with blog.h.kernel.db.tenant_transaction(shop.org.id) as session:
        status = await session.scalar(text("SELECT status FROM blog_posts WHERE id = :id"), {"id": post["id"]})
    assert status == "scheduled"  # the job did not run for a workspace that disabled the blog

    await set_blog_enabled(blog, shop, enabled=True)
    await make_due(blog, shop, post["id"])
    await blog.run_jobs()
    public = await blog.client.get(f"{POSTS}/{post['id']}", headers=blog.anonymous(shop.org))
    assert public.json()["status"] == "published"


async def set_blog_enabled(blog, shop, *, enabled: bool) -> None:
    async with blog.h.kernel.db.platform_session() as session, session.begin():
        await session.execute(
            text("UPDATE organization_plugins SET enabled = :on WHERE organization_id = :org AND plugin = 'blog'"),
            {"on": enabled, "org": shop.org.id},
        )
    blog.h.kernel.tenants.invalidate()


async def test_purging_a_workspace_removes_its_posts_and_comments(blog, shop):
    post = await blog.post(shop.admin, status="published")
    await blog.comment(shop.alice, post)
    async with blog.h.kernel.db.tenant_transaction(shop.org.id) as session:
        await blog_plugin.purge_tenant_data(session=session, organization=shop.org)
    async with blog.h.kernel.db.tenant_transaction(shop.org.id) as session:
        counts = (
            await session.execute(
                text("SELECT (SELECT count(*) FROM blog_posts), (SELECT count(*) FROM blog_comments)")
            )
        ).one()
    assert tuple(counts) == (0, 0)
