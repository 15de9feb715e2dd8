"""Comments: signed-in readers comment on published posts; moderators hide, show and delete;
authors delete their own and nobody else's."""

from __future__ import annotations

POSTS = "/api/v1/blog/posts"
COMMENTS = "/api/v1/blog/comments"


async def public_comments(blog, shop, post) -> list[dict]:
    response = await blog.client.get(f"{POSTS}/{post['id']}/comments", headers=blog.anonymous(shop.org))
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_signed_in_readers_comment_on_published_posts_only(blog, shop):
    post = await blog.post(shop.admin, status="published")
    draft = await blog.post(shop.admin, title="Draft")
    comment = await blog.comment(shop.alice, post, "  Great read  ")
    assert comment["content"] == "Great read"
    assert comment["author"] == {"id": str(shop.alice.id), "name": "Alice Example"}
    await blog.comment(shop.staff, post, "Thanks!")

    anonymous = await blog.client.post(
        f"{POSTS}/{post['id']}/comments", json={"content": "spam"}, headers=blog.anonymous(shop.org)
    )
    assert anonymous.status_code == 401
    on_draft = await blog.client.post(
        f"{POSTS}/{draft['id']}/comments", json={"content": "x"}, headers=shop.bob.headers
    )
    assert on_draft.status_code == 404
    staff_on_draft = await blog.client.post(
        f"{POSTS}/{draft['id']}/comments", json={"content": "x"}, headers=shop.staff.headers
    )
    assert (staff_on_draft.status_code, staff_on_draft.json()["code"]) == (409, "post_not_published")
    for body, field in (
        ({"content": ""}, "body.content"),
        ({"content": "x", "user_id": str(shop.bob.id)}, "body.user_id"),
    ):
        bad = await blog.client.post(f"{POSTS}/{post['id']}/comments", json=body, headers=shop.bob.headers)
        assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, field)

    listed = await public_comments(blog, shop, post)
    assert [c["content"] for c in listed] == ["Great read", "Thanks!"]
    detail = await blog.client.get(f"{POSTS}/{post['id']}", headers=blog.anonymous(shop.org))
    assert detail.json()["comment_count"] == 2


async def test_customers_delete_their_own_comments_not_others(blog, shop):
    post = await blog.post(shop.admin, status="published")
    alices = await blog.comment(shop.alice, post, "Alice was here")
    bobs = await blog.comment(shop.bob, post, "Bob was here")

    refused = await blog.client.delete(f"{COMMENTS}/{alices['id']}", headers=shop.bob.headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_your_comment")
    assert (await blog.client.delete(f"{COMMENTS}/{alices['id']}", headers=blog.anonymous(shop.org))).status_code == 401
    assert (await blog.client.delete(f"{COMMENTS}/{bobs['id']}", headers=shop.bob.headers)).status_code == 204
    assert (await blog.client.delete(f"{COMMENTS}/{bobs['id']}", headers=shop.bob.headers)).status_code == 404
    assert [c["id"] for c in await public_comments(blog, shop, post)] == [alices["id"]]
    assert (await blog.client.post(f"{COMMENTS}/{alices['id']}/hide", headers=shop.bob.headers)).status_code == 403


async def test_moderators_hide_show_and_delete_any_comment(blog, shop):
    post = await blog.post(shop.admin, status="published")
    rude = await blog.comment(shop.alice, post, "Something rude")
    kind = await blog.comment(shop.bob, post, "Something kind")

    hidden = await blog.client.post(f"{COMMENTS}/{rude['id']}/hide", headers=shop.staff.headers)
    assert (hidden.status_code, hidden.json()["hidden"]) == (200, True)
    assert [c["id"] for c in await public_comments(blog, shop, post)] == [kind["id"]]
    as_author = await blog.client.get(f"{POSTS}/{post['id']}/comments", headers=shop.alice.headers)
    assert [c["id"] for c in as_author.json()["items"]] == [kind["id"]]
    assert (await blog.client.get(f"{POSTS}/{post['id']}", headers=shop.bob.headers)).json()["comment_count"] == 1
    assert (await blog.client.delete(f"{COMMENTS}/{rude['id']}", headers=shop.alice.headers)).status_code == 404

    staff_view = await blog.client.get(f"{POSTS}/{post['id']}/comments", headers=shop.staff.headers)
    assert [(c["id"], c["hidden"]) for c in staff_view.json()["items"]] == [(rude["id"], True), (kind["id"], False)]
    queue = await blog.client.get(f"{COMMENTS}?hidden=true", headers=shop.staff.headers)
    assert [c["id"] for c in queue.json()["items"]] == [rude["id"]]
    assert (await blog.client.get(COMMENTS, headers=shop.alice.headers)).status_code == 403

    shown = await blog.client.post(f"{COMMENTS}/{rude['id']}/unhide", headers=shop.admin.headers)
    assert shown.json()["hidden"] is False
    assert len(await public_comments(blog, shop, post)) == 2
    assert (await blog.client.delete(f"{COMMENTS}/{kind['id']}", headers=shop.staff.headers)).status_code == 204
    assert [c["id"] for c in await public_comments(blog, shop, post)] == [rude["id"]]

    await blog.deliver()
    activity = await blog.client.get("/api/v1/activities?event=blog.comment_moderated", headers=shop.admin.headers)
    assert sorted(a["metadata"]["action"] for a in activity.json()["items"]) == ["deleted", "hidden", "shown again"]


async def test_a_post_with_comments_can_be_deleted(blog, shop):
    post = await blog.post(shop.admin, status="published")
    comment = await blog.comment(shop.alice, post)
    assert (await blog.client.delete(f"{POSTS}/{post['id']}", headers=shop.admin.headers)).status_code == 204
    assert (await blog.client.delete(f"{COMMENTS}/{comment['id']}", headers=shop.admin.headers)).status_code == 404
    assert (await blog.client.get(f"{COMMENTS}?post_id={post['id']}", headers=shop.admin.headers)).json()["total"] == 0
