"""Anonymous callers change nothing; public responses carry no secret of any user; every
route is in the OpenAPI schema with typed models and a summary."""

from __future__ import annotations

import json
import re

from fastapi.routing import APIRoute
from marcus_blog.router import router
from sqlalchemy import text

POSTS = "/api/v1/blog/posts"
PREFIX = "/api/v1/blog"
SECRET_KEYS = {"email", "password", "password_hash", "code", "code_hash", "token", "access_token", "refresh_token"}


def declared_operations() -> set[tuple[str, str]]:
    """(method, path) of every route the blog's router declares, as mounted by the kernel."""
    return {(m, PREFIX + r.path) for r in router.routes if isinstance(r, APIRoute) for m in r.methods}


async def test_anonymous_callers_cannot_write_or_delete_anything(blog, shop):
    post = await blog.post(shop.admin, title="Keep me", status="published", tags=["keep"])
    comment = await blog.comment(shop.alice, post, "Keep me too")
    ids = {"post_id": post["id"], "comment_id": comment["id"], "slug": post["slug"]}
    writes = sorted((m, path) for m, path in declared_operations() if m not in {"GET", "HEAD"})
    assert len(writes) == 9
    for method, path in writes:
        url = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)
        for extra in (
            {"json": {"title": "Pwned", "content": "x"}},
            {"files": {"file": ("a.png", blog.PNG, "image/png")}},
        ):
            response = await blog.client.request(method, url, headers=blog.anonymous(shop.org), **extra)
            assert response.status_code == 401, (method, url, response.text)
    moderation = await blog.client.get(f"{PREFIX}/comments", headers=blog.anonymous(shop.org))
    assert moderation.status_code == 401

    after = (await blog.client.get(f"{POSTS}/{post['id']}", headers=blog.anonymous(shop.org))).json()
    assert (after["title"], after["slug"], after["comment_count"], after["image_url"]) == (
        "Keep me",
        "keep-me",
        1,
        None,
    )
    assert (await blog.client.get(POSTS, headers=blog.anonymous(shop.org))).json()["total"] == 1


async def test_public_responses_carry_no_emails_hashes_or_codes(blog, shop, blog_db, mailbox):
    forgot = await blog.client.post(
        "/api/v1/auth/password/forgot", json={"email": shop.alice.email}, headers=blog.anonymous(shop.org)
    )
    assert forgot.status_code == 202
    code = await mailbox.on(blog_db).last_code(shop.alice.email, org_id=shop.org.id)
    post = await blog.post(shop.admin, status="published", tags=["t"], categories=["c"])
    await blog.comment(shop.alice, post, "First")
    await blog.comment(shop.bob, post, "Second")
    hidden = await blog.comment(shop.bob, post, "Third")
    await blog.client.post(f"{PREFIX}/comments/{hidden['id']}/hide", headers=shop.staff.headers)
    async with blog_db.db.platform_session() as session:
        rows = (
            await session.execute(
                text("SELECT email, password_hash FROM users WHERE organization_id = :org"), {"org": shop.org.id}
            )
        ).all()
    secrets = {value for row in rows for value in row if value} | {f'"{code}"', "$argon2"}
    assert len(secrets) >= 12

    urls = [
        POSTS,
        f"{POSTS}?q=hello",
        f"{POSTS}/{post['id']}",
        f"{POSTS}/by-slug/{post['slug']}",
        f"{POSTS}/{post['id']}/comments",
        f"{PREFIX}/tags",
        f"{PREFIX}/categories",
    ]
    bodies = []
    for headers in (blog.anonymous(shop.org), shop.bob.headers, shop.staff.headers):
        for url in urls:
            response = await blog.client.get(url, headers=headers)
            assert response.status_code == 200, (url, response.text)
            bodies.append(response.text)
    bodies.append((await blog.client.get(f"{PREFIX}/comments", headers=shop.admin.headers)).text)
    for body in bodies:
        assert not [s for s in secrets if s in body], body
        assert not SECRET_KEYS & set(_keys(json.loads(body)))
    assert "Third" not in "".join(bodies[: 2 * len(urls)])  # the hidden comment: not for readers


def _keys(value: object) -> list[str]:
    if isinstance(value, dict):
        return [k for key, item in value.items() for k in (key, *_keys(item))]
    if isinstance(value, list):
        return [k for item in value for k in _keys(item)]
    return []


async def test_openapi_lists_every_route_with_models_and_summaries(blog):
    schema = (await blog.client.get("/openapi.json")).json()
    operations = {
        (method.upper(), path): op
        for path, item in schema["paths"].items()
        if path.startswith(PREFIX)
        for method, op in item.items()
    }
    assert set(operations) == declared_operations()
    assert len(operations) == 17
    for (method, path), op in operations.items():
        assert op["summary"].endswith("."), (method, path)  # the docstring's one line, not FastAPI's name
        assert "\n" not in op["summary"]
        assert op["tags"] == ["blog"]
        ok = {code: r for code, r in op["responses"].items() if code.startswith("2")}
        assert len(ok) == 1, (method, path)
        code, response = next(iter(ok.items()))
        if code == "204":
            continue
        content = response["content"]
        if path.endswith("/image") and method == "GET":
            assert set(content) == {"image/png", "image/jpeg", "image/webp", "image/gif"}
            continue
        typed = content["application/json"]["schema"]
        assert "$ref" in typed or typed.get("type") == "array", (method, path, typed)
        if method in {"POST", "PATCH", "PUT"} and "hide" not in path:
            body = op["requestBody"]["content"]
            assert "$ref" in next(iter(body.values()))["schema"], (method, path)
    components = schema["components"]["schemas"]
    assert components["PostRead"]["properties"]["author"] == {"$ref": "#/components/schemas/AuthorRead"}
    assert components["CommentRead"]["properties"]["author"] == {"$ref": "#/components/schemas/AuthorRead"}
    assert set(components["AuthorRead"]["properties"]) == {"id", "name"}
