"""Posts: slugs, who sees what, filters and pagination, writing rights, validation, images."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

POSTS = "/api/v1/blog/posts"


def soon(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


async def test_slugs_are_unique_per_workspace_and_stable_on_rename(blog, shop, tenant_factory, user_factory, blog_db):
    other = await tenant_factory(database=blog_db, plugins=["blog"])
    other_admin = await user_factory(other, database=blog_db, role="admin")
    mine = await blog.post(shop.admin, title="Consulting", status="published")
    theirs = await blog.post(other_admin, title="Consulting", status="published")
    assert mine["slug"] == theirs["slug"] == "consulting"  # same slug in two workspaces
    second = await blog.post(shop.admin, title="Consulting!")
    assert second["slug"] == "consulting-2"

    for org, post in ((shop.org, mine), (other, theirs)):
        found = await blog.client.get(f"{POSTS}/by-slug/consulting", headers=blog.anonymous(org))
        assert found.status_code == 200
        assert found.json()["id"] == post["id"]

    renamed = await blog.client.patch(f"{POSTS}/{mine['id']}", json={"title": "Advice"}, headers=shop.admin.headers)
    assert (renamed.json()["title"], renamed.json()["slug"]) == ("Advice", "consulting")
    regenerated = await blog.client.patch(
        f"{POSTS}/{mine['id']}", json={"regenerate_slug": True}, headers=shop.admin.headers
    )
    assert regenerated.json()["slug"] == "advice"
    taken = await blog.client.patch(f"{POSTS}/{mine['id']}", json={"slug": "consulting-2"}, headers=shop.admin.headers)
    assert taken.status_code == 409
    assert taken.json()["errors"][0]["field"] == "body.slug"
    clash = await blog.client.post(
        POSTS, json={"title": "X", "content": "y", "slug": "advice"}, headers=shop.admin.headers
    )
    assert clash.status_code == 409
    assert clash.json()["code"] == "slug_taken"


async def test_concurrent_posts_with_one_title_get_distinct_slugs(blog, shop):
    results = await asyncio.gather(*(blog.post(shop.admin, title="Café & Co: 2026!") for _ in range(5)))
    slugs = sorted(p["slug"] for p in results)
    assert slugs == ["cafe-co-2026", "cafe-co-2026-2", "cafe-co-2026-3", "cafe-co-2026-4", "cafe-co-2026-5"]


async def test_readers_see_only_published_posts_staff_see_all(blog, shop):
    draft = await blog.post(shop.admin, title="Draft plans")
    scheduled = await blog.post(shop.admin, title="Coming soon", status="scheduled", published_at=soon(hours=1))
    published = await blog.post(shop.admin, title="Out now", status="published")
    own_draft = await blog.post(shop.staff, title="Staff draft")

    anonymous = (await blog.client.get(POSTS, headers=blog.anonymous(shop.org))).json()
    assert [p["id"] for p in anonymous["items"]] == [published["id"]]
    customer = (await blog.client.get(POSTS, headers=shop.alice.headers)).json()
    assert [p["id"] for p in customer["items"]] == [published["id"]]
    staff = (await blog.client.get(POSTS, headers=shop.staff.headers)).json()
    assert staff["total"] == 4
    mine = (await blog.client.get(f"{POSTS}?mine=true", headers=shop.staff.headers)).json()
    assert [p["id"] for p in mine["items"]] == [own_draft["id"]]
    drafts = (await blog.client.get(f"{POSTS}?status=draft", headers=shop.admin.headers)).json()
    assert {p["id"] for p in drafts["items"]} == {draft["id"], own_draft["id"]}
    assert (await blog.client.get(f"{POSTS}?mine=true", headers=blog.anonymous(shop.org))).status_code == 401

    for post in (draft, scheduled):
        path = f"{POSTS}/by-slug/{post['slug']}"
        assert (await blog.client.get(path, headers=blog.anonymous(shop.org))).status_code == 404
        assert (await blog.client.get(path, headers=shop.alice.headers)).status_code == 404
        assert (await blog.client.get(path, headers=shop.staff.headers)).status_code == 200
        assert (await blog.client.get(f"{POSTS}/{post['id']}", headers=shop.bob.headers)).status_code == 404
    public = await blog.client.get(f"{POSTS}/by-slug/out-now", headers=blog.anonymous(shop.org))
    assert public.json()["author"] == {"id": str(shop.admin.id), "name": "Adam Example"}


async def test_search_filters_and_pagination(blog, shop):
    await blog.post(
        shop.admin, title="React hooks", categories=["Programming"], tags=["React", "JS"], status="published"
    )
    await blog.post(shop.admin, title="CSS grids", excerpt="Layouts 100% done", tags=["css"], status="published")
    await blog.post(shop.admin, title="Design week", categories=["Design", "programming"], status="published")
    await blog.post(shop.admin, title="React draft", tags=["react"])

    async def titles(query: str) -> list[str]:
        response = await blog.client.get(f"{POSTS}?{query}", headers=blog.anonymous(shop.org))
        assert response.status_code == 200, response.text
        return sorted(p["title"] for p in response.json()["items"])

    assert await titles("q=react") == ["React hooks"]
    assert await titles("q=100%25") == ["CSS grids"]  # a literal %, not a wildcard
    assert await titles("q=_") == []
    assert await titles("category=PROGRAMMING") == ["Design week", "React hooks"]
    assert await titles("tag=react") == ["React hooks"]
    assert await titles("tag=react&category=design") == []

    first = (await blog.client.get(f"{POSTS}?limit=2&page=1", headers=blog.anonymous(shop.org))).json()
    second = (await blog.client.get(f"{POSTS}?limit=2&page=2", headers=blog.anonymous(shop.org))).json()
    assert (first["total"], first["pages"], len(first["items"]), len(second["items"])) == (3, 2, 2, 1)
    assert not {p["id"] for p in first["items"]} & {p["id"] for p in second["items"]}

    tags = (await blog.client.get("/api/v1/blog/tags", headers=blog.anonymous(shop.org))).json()
    assert tags == [{"name": "css", "posts": 1}, {"name": "JS", "posts": 1}, {"name": "React", "posts": 1}]
    categories = (await blog.client.get("/api/v1/blog/categories", headers=blog.anonymous(shop.org))).json()
    assert categories[0] == {"name": "Programming", "posts": 2}

    for bad, field in (("limit=1000", "query.limit"), ("status=secret", "query.status"), ("page=0", "query.page")):
        response = await blog.client.get(f"{POSTS}?{bad}", headers=blog.anonymous(shop.org))
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == field


async def test_writers_edit_their_own_posts_admins_any(blog, shop):
    admins = await blog.post(shop.admin, title="Admin post", status="published")
    staffs = await blog.post(shop.staff, title="Staff post")
    assert (
        await blog.client.post(POSTS, json={"title": "t", "content": "c"}, headers=shop.alice.headers)
    ).status_code == 403
    edit = {"title": "Changed"}
    assert (
        await blog.client.patch(f"{POSTS}/{admins['id']}", json=edit, headers=shop.staff.headers)
    ).status_code == 403
    assert (
        await blog.client.patch(f"{POSTS}/{staffs['id']}", json=edit, headers=shop.staff.headers)
    ).status_code == 200
    assert (
        await blog.client.patch(f"{POSTS}/{staffs['id']}", json=edit, headers=shop.owner.headers)
    ).status_code == 200
    assert (await blog.client.delete(f"{POSTS}/{admins['id']}", headers=shop.staff.headers)).status_code == 403
    assert (await blog.client.delete(f"{POSTS}/{staffs['id']}", headers=shop.alice.headers)).status_code == 403
    assert (await blog.client.delete(f"{POSTS}/{staffs['id']}", headers=shop.staff.headers)).status_code == 204
    assert (await blog.client.get(f"{POSTS}/{staffs['id']}", headers=shop.admin.headers)).status_code == 404


async def test_status_changes_and_schedule_rules(blog, shop):
    post = await blog.post(shop.admin, title="Plans", published_at=soon(days=3))
    assert (post["status"], post["published_at"] is not None) == ("draft", True)
    url = f"{POSTS}/{post['id']}"
    scheduled = await blog.client.patch(url, json={"status": "scheduled"}, headers=shop.admin.headers)
    assert scheduled.json()["status"] == "scheduled"
    now = await blog.client.patch(url, json={"status": "published"}, headers=shop.admin.headers)
    assert now.json()["status"] == "published"
    assert datetime.fromisoformat(now.json()["published_at"]) <= datetime.now(UTC)
    back = await blog.client.patch(url, json={"status": "draft"}, headers=shop.admin.headers)
    assert back.json()["status"] == "draft"
    backdated = await blog.client.patch(
        url, json={"status": "published", "published_at": "2020-01-01T09:00:00+01:00"}, headers=shop.admin.headers
    )
    assert backdated.json()["published_at"] == "2020-01-01T08:00:00Z"


async def test_bad_input_is_a_422_naming_the_field(blog, shop):
    cases = [
        ({"content": "no title"}, "body.title"),
        ({"title": "  ", "content": "x"}, "body.title"),
        ({"title": "t", "content": "c", "status": "scheduled"}, "body.published_at"),
        ({"title": "t", "content": "c", "status": "scheduled", "published_at": soon(hours=-1)}, "body.published_at"),
        ({"title": "t", "content": "c", "status": "published", "published_at": soon(days=1)}, "body.published_at"),
        ({"title": "t", "content": "c", "published_at": "2030-01-01T10:00:00"}, "body.published_at"),
        ({"title": "t", "content": "c", "status": "live"}, "body.status"),
        ({"title": "t", "content": "c", "author_id": str(shop.alice.id)}, "body.author_id"),
        ({"title": "t", "content": "c", "slug": "Not A Slug"}, "body.slug"),
        ({"title": "t", "content": "c", "tags": ["x" * 41]}, "body.tags.0"),
        ({"title": "t", "content": "c", "tags": [f"t{i}" for i in range(11)]}, "body.tags"),
    ]
    for body, field in cases:
        response = await blog.client.post(POSTS, json=body, headers=shop.admin.headers)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert field in [e["field"] for e in response.json()["errors"]], (body, response.json())
    post = await blog.post(shop.admin)
    for body, field in (({"title": None}, "body.title"), ({"announced_at": soon()}, "body.announced_at")):
        response = await blog.client.patch(f"{POSTS}/{post['id']}", json=body, headers=shop.admin.headers)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == field
    bad_id = await blog.client.patch(f"{POSTS}/not-a-uuid", json={}, headers=shop.admin.headers)
    assert bad_id.status_code == 422
    assert bad_id.json()["errors"][0]["field"] == "path.post_id"


async def test_labels_are_trimmed_and_deduplicated(blog, shop):
    post = await blog.post(shop.admin, tags=[" Web  Dev ", "web dev", "UX"], categories=["News", "news"])
    assert post["tags"] == ["Web Dev", "UX"]
    assert post["categories"] == ["News"]


async def test_post_images_are_checked_stored_and_served(blog, shop):
    post = await blog.post(shop.admin, status="published")
    url = f"{POSTS}/{post['id']}/image"
    files = {"file": ("cover.png", blog.PNG, "image/png")}
    uploaded = await blog.client.put(url, files=files, headers=shop.admin.headers)
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["image_url"] == url
    served = await blog.client.get(url, headers=blog.anonymous(shop.org))
    assert (served.status_code, served.headers["content-type"], served.content) == (200, "image/png", blog.PNG)
    assert served.headers["x-content-type-options"] == "nosniff"

    fake = {"file": ("cover.png", b"<svg onload=alert(1)>", "image/png")}
    refused = await blog.client.put(url, files=fake, headers=shop.admin.headers)
    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (422, "file")
    huge = {"file": ("big.png", blog.PNG + b"\x00" * (5 * 1024 * 1024), "image/png")}
    too_big = await blog.client.put(url, files=huge, headers=shop.admin.headers)
    assert (too_big.status_code, too_big.json()["code"]) == (422, "file_too_large")
    missing = await blog.client.put(url, headers=shop.admin.headers)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "body.file"
    assert (await blog.client.put(url, files=files, headers=shop.alice.headers)).status_code == 403

    draft = await blog.post(shop.admin)
    draft_url = f"{POSTS}/{draft['id']}/image"
    assert (await blog.client.put(draft_url, files=files, headers=shop.admin.headers)).status_code == 200
    assert (await blog.client.get(draft_url, headers=blog.anonymous(shop.org))).status_code == 404
    assert (await blog.client.get(draft_url, headers=shop.staff.headers)).status_code == 200

    removed = await blog.client.delete(url, headers=shop.admin.headers)
    assert removed.json()["image_url"] is None
    assert (await blog.client.get(url, headers=blog.anonymous(shop.org))).status_code == 404
    stored = list((blog.h.kernel.settings.data_dir / "storage" / "org" / str(shop.org.id) / "blog").glob("*/*"))
    assert len(stored) == 1  # only the draft's image is left: replaced and removed files are gone


async def test_workspaces_cannot_reach_each_others_posts(blog, shop, tenant_factory, user_factory, blog_db):
    other = await tenant_factory(database=blog_db, plugins=["blog"])
    intruder = await user_factory(other, database=blog_db, role="owner")
    post = await blog.post(shop.admin, status="published")
    for method in ("GET", "PATCH", "DELETE"):
        response = await blog.client.request(method, f"{POSTS}/{post['id']}", json={}, headers=intruder.headers)
        assert response.status_code == 404
    wrong_tenant = {**intruder.headers, "X-Tenant": shop.org.slug}
    assert (await blog.client.get(POSTS, headers=wrong_tenant)).status_code == 401
