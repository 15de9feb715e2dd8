"""Who sees and changes what: customers their own documents only (404 otherwise), staff the
workspace's; only staff move a document through review — a customer never approves, not even
their own; downloads through signed links that stay in their workspace."""

from __future__ import annotations

import time

URL = "/api/v1/documents"


async def upload(h, user, samples, **fields):
    response = await h.client.post(URL, headers=user.headers, **samples.form(("a.pdf", samples.pdf), **fields))
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_customer_cannot_read_or_change_another_customers_document(app, shop, samples):
    async with app() as h:
        mine = await upload(h, shop.alice, samples)
        other = f"{URL}/{mine['id']}"
        bob = shop.bob.headers
        assert (await h.client.get(other, headers=bob)).status_code == 404
        assert (await h.client.patch(other, headers=bob, json={"name": "mine now"})).status_code == 404
        assert (await h.client.delete(other, headers=bob)).status_code == 404
        link = await h.client.get(f"{other}/files/{mine['files'][0]['id']}/link", headers=bob)
        assert link.status_code == 404
        assert (await h.client.get(URL, headers=bob)).json()["total"] == 0
        filtered = await h.client.get(URL, headers=bob, params={"owner_id": str(shop.alice.id)})
        assert filtered.json()["total"] == 0, "a customer's scope is not widened by a filter"
        assert (await h.client.get(other, headers=shop.alice.headers)).json()["name"] == "a.pdf"


async def test_staff_see_and_filter_the_whole_workspace(app, shop, samples):
    async with app() as h:
        await upload(h, shop.alice, samples)
        await upload(h, shop.bob, samples)
        assert (await h.client.get(URL, headers=shop.staff.headers)).json()["total"] == 2
        only_bob = await h.client.get(URL, headers=shop.staff.headers, params={"owner_id": str(shop.bob.id)})
        assert [d["owner_id"] for d in only_bob.json()["items"]] == [str(shop.bob.id)]


async def test_a_customer_cannot_approve_even_their_own_document(app, shop, samples):
    async with app() as h:
        doc = await upload(h, shop.alice, samples)
        status_url = f"{URL}/{doc['id']}/status"
        for step in ("InReview", "Approved"):
            refused = await h.client.put(status_url, headers=shop.alice.headers, json={"status": step})
            assert refused.status_code == 403
            assert refused.json()["errors"][0]["permission"] == "documents.document:review"
        sneaky = await h.client.patch(f"{URL}/{doc['id']}", headers=shop.alice.headers, json={"status": "Approved"})
        assert sneaky.status_code == 422
        assert sneaky.json()["errors"][0]["field"] == "body.status"
        assert (await h.client.get(f"{URL}/{doc['id']}", headers=shop.alice.headers)).json()["status"] == "Open"


async def test_staff_move_a_document_through_review_one_step_at_a_time(app, shop, samples):
    async with app() as h:
        doc = await upload(h, shop.alice, samples)
        status_url = f"{URL}/{doc['id']}/status"
        skip = await h.client.put(status_url, headers=shop.staff.headers, json={"status": "Approved"})
        assert skip.status_code == 409
        assert skip.json()["errors"][0]["field"] == "body.status"
        for step in ("InReview", "Approved"):
            moved = await h.client.put(status_url, headers=shop.staff.headers, json={"status": step})
            assert moved.status_code == 200, moved.text
            assert moved.json()["status"] == step
        again = await h.client.put(status_url, headers=shop.admin.headers, json={"status": "Approved"})
        assert again.status_code == 200, "the same status again changes nothing"
        bad = await h.client.put(status_url, headers=shop.staff.headers, json={"status": "Done"})
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "body.status"


async def test_another_workspace_cannot_reach_a_document_or_its_file(app, shop, make_shop, samples):
    other = await make_shop()
    async with app() as h:
        doc = await upload(h, shop.alice, samples)
        for user in (other.admin, other.alice):
            assert (await h.client.get(f"{URL}/{doc['id']}", headers=user.headers)).status_code == 404
        foreign_token = {**shop.alice.headers, "X-Tenant": other.org.slug}
        assert (await h.client.get(f"{URL}/{doc['id']}", headers=foreign_token)).status_code == 401
        link = await h.client.get(f"{URL}/{doc['id']}/files/{doc['files'][0]['id']}/link", headers=shop.alice.headers)
        url = link.json()["url"]
        assert (await h.client.get(url, headers={"X-Tenant": shop.org.slug})).content == samples.pdf
        elsewhere = await h.client.get(url, headers={"X-Tenant": other.org.slug})
        assert elsewhere.status_code == 404
        tampered = await h.client.get(url[:-4] + "AAAA", headers={"X-Tenant": shop.org.slug})
        assert tampered.status_code == 403


async def test_an_expired_download_link_is_refused(app, shop, samples, monkeypatch):
    async with app(signed_url_ttl=60) as h:
        doc = await upload(h, shop.alice, samples)
        link = await h.client.get(f"{URL}/{doc['id']}/files/{doc['files'][0]['id']}/link", headers=shop.alice.headers)
        assert link.status_code == 200
        url = link.json()["url"]
        real = time.time
        monkeypatch.setattr(time, "time", lambda: real() + 61)
        late = await h.client.get(url, headers={"X-Tenant": shop.org.slug})
        monkeypatch.undo()
        assert late.status_code == 403
        assert late.json()["code"] == "file_link_expired"
        assert (await h.client.get(url, headers={"X-Tenant": shop.org.slug})).status_code == 200
