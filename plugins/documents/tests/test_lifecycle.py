"""A document's life: notifications on upload and approval, metadata changes, listing with the
seed's filters, deletion whose files go after commit through the relay (retried until done),
and the nightly report of stored files without a document."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import marcus_documents.plugin as documents_plugin
from marcus_documents.jobs import find_orphans, report_orphans
from sqlalchemy import text

import marcus
from marcus.testing import relay_for, rls_problems, sharding_problems

URL = "/api/v1/documents"


async def upload(h, user, samples, *files, **fields):
    files = files or (("a.pdf", samples.pdf),)
    response = await h.client.post(URL, headers=user.headers, **samples.form(*files, **fields))
    assert response.status_code == 201, response.text
    return response.json()


async def drain(h):
    while await relay_for(h.kernel).run_once():
        pass


async def test_upload_and_approval_notify_the_owner_as_the_seed_did(app, shop, samples):
    async with app() as h:
        doc = await upload(h, shop.alice, samples)
        await drain(h)
        for step in ("InReview", "Approved"):
            await h.client.put(f"{URL}/{doc['id']}/status", headers=shop.staff.headers, json={"status": step})
        await drain(h)
        notes = (await h.client.get("/api/v1/notifications", headers=shop.alice.headers)).json()["items"]
        assert [(n["title"], n["message"]) for n in notes] == [
            ("Document approved", "Your document has been approved."),
            ("Document uploaded", "Your document has been uploaded successfully."),
        ]
        assert [n["event"] for n in notes] == ["documents.approved", "documents.uploaded"]
        feed = (await h.client.get("/api/v1/activities", headers=shop.staff.headers)).json()["items"]
        uploaded = next(a for a in feed if a["event"] == "documents.uploaded")
        assert uploaded["type"] == "Document"
        assert uploaded["entity_id"] == doc["id"]
        assert uploaded["metadata"]["status"] == "Open"
        bob_notes = (await h.client.get("/api/v1/notifications", headers=shop.bob.headers)).json()
        assert bob_notes["total"] == 0


async def test_metadata_changes_and_their_validation(app, shop, samples):
    async with app() as h:
        doc = await upload(h, shop.alice, samples, tags="a")
        one = f"{URL}/{doc['id']}"
        changed = await h.client.patch(
            one, headers=shop.alice.headers, json={"name": "Passport", "tags": ["id, travel"], "type": "Security"}
        )
        assert changed.status_code == 200, changed.text
        assert {k: changed.json()[k] for k in ("name", "tags", "type")} == {
            "name": "Passport",
            "tags": ["id", "travel"],
            "type": "Security",
        }
        assert changed.json()["updated_at"] > doc["updated_at"]
        cleared = await h.client.patch(one, headers=shop.staff.headers, json={"description": None})
        assert cleared.json()["description"] is None
        for body, field in (({}, "body"), ({"name": None}, "body.name"), ({"type": "Nope"}, "body.type")):
            refused = await h.client.patch(one, headers=shop.alice.headers, json=body)
            assert refused.status_code == 422, body
            assert refused.json()["errors"][0]["field"] == field


async def test_the_list_filters_searches_and_pages_like_the_seed(app, shop, samples):
    async with app() as h:
        await upload(h, shop.alice, samples, type="Invoice", name="March invoice", tags="tax,2024")
        await upload(h, shop.alice, samples, type="Profile", name="Photo", description="50% off_special", tags="me")
        await upload(h, shop.alice, samples, type="Invoice", name="April", tags="2025")

        async def names(**params):
            response = await h.client.get(URL, headers=shop.alice.headers, params=params)
            assert response.status_code == 200, response.text
            return [d["name"] for d in response.json()["items"]]

        assert await names() == ["April", "Photo", "March invoice"]
        assert await names(type="Invoice") == ["April", "March invoice"]
        assert await names(search="INVOICE") == ["March invoice"]
        assert await names(search="50%") == ["Photo"]
        assert await names(search="%") == ["Photo"], "% is searched for, not a wildcard"
        assert await names(tags="2024,2025") == ["April", "March invoice"]
        assert await names(tag="me", tags="tax") == ["Photo", "March invoice"]
        assert await names(status="Approved") == []
        assert await names(appointment_id=str(uuid.uuid4())) == []
        page = (await h.client.get(URL, headers=shop.alice.headers, params={"limit": 2, "page": 2})).json()
        assert (page["total"], page["pages"], [d["name"] for d in page["items"]]) == (3, 2, ["March invoice"])
        for params, field in (({"type": "x"}, "query.type"), ({"limit": 1000}, "query.limit")):
            bad = await h.client.get(URL, headers=shop.alice.headers, params=params)
            assert bad.status_code == 422
            assert bad.json()["errors"][0]["field"] == field


async def test_a_delete_removes_the_files_after_commit_through_the_relay(app, shop, samples, stored_keys):
    async with app() as h:
        doc = await upload(h, shop.alice, samples, ("a.pdf", samples.pdf), ("b.png", samples.png))
        keep = await upload(h, shop.alice, samples)
        assert len(await stored_keys(h, shop.org)) == 3
        deleted = await h.client.delete(f"{URL}/{doc['id']}", headers=shop.alice.headers)
        assert deleted.status_code == 204
        assert (await h.client.get(f"{URL}/{doc['id']}", headers=shop.alice.headers)).status_code == 404
        assert len(await stored_keys(h, shop.org)) == 3, "files go only once the relay runs, after commit"
        await drain(h)
        remaining = await stored_keys(h, shop.org)
        assert len(remaining) == 1
        kept = (await h.client.get(f"{URL}/{keep['id']}", headers=shop.alice.headers)).json()
        link = await h.client.get(f"{URL}/{keep['id']}/files/{kept['files'][0]['id']}/link", headers=shop.alice.headers)
        assert (await h.client.get(link.json()["url"], headers={"X-Tenant": shop.org.slug})).status_code == 200


async def test_file_removal_is_retried_until_the_storage_answers(app, shop, samples, stored_keys, monkeypatch):
    async with app() as h:
        doc = await upload(h, shop.alice, samples)
        await drain(h)
        storage = h.kernel.storage
        real_delete = storage.delete

        async def unavailable(key):
            raise marcus.Unavailable("storage down")

        monkeypatch.setattr(storage, "delete", unavailable)
        assert (await h.client.delete(f"{URL}/{doc['id']}", headers=shop.alice.headers)).status_code == 204
        await relay_for(h.kernel).run_once()
        assert len(await stored_keys(h, shop.org)) == 1
        async with h.kernel.db.platform_session() as session, session.begin():
            attempts = await session.scalar(
                text("SELECT attempts FROM event_outbox WHERE organization_id = :o AND name = 'documents.deleted'"),
                {"o": shop.org.id},
            )
            assert attempts == 1
            await session.execute(
                text("UPDATE event_outbox SET next_attempt_at = now() WHERE organization_id = :o"), {"o": shop.org.id}
            )
        monkeypatch.setattr(storage, "delete", real_delete)
        await drain(h)
        assert await stored_keys(h, shop.org) == []


async def test_the_nightly_job_reports_stored_files_without_a_document(app, shop, samples, stored_keys):
    async with app() as h:
        await upload(h, shop.alice, samples)
        storage = h.kernel.storage
        two_days_ago = int((datetime.now(UTC) - timedelta(days=2)).timestamp() * 1000)
        old_id = uuid.UUID(int=(two_days_ago << 80) | (7 << 76) | (0b10 << 62))  # a UUIDv7 of then
        stray = f"org/{shop.org.id}/documents/{old_id}/lost.pdf"
        fresh = f"org/{shop.org.id}/documents/{marcus.new_id()}/uploading.pdf"
        for key in (stray, fresh):
            await storage.put(key, _once(samples.pdf), content_type="application/pdf")
        tenant = await h.kernel.tenants.by_id(shop.org.id)
        async with h.kernel.db.tenant_transaction(shop.org.id) as session:
            assert await find_orphans(session, tenant) == [stray], "a file younger than an hour may be uploading"
            await report_orphans(session, tenant)
        await drain(h)
        feed = (await h.client.get("/api/v1/activities", headers=shop.admin.headers)).json()["items"]
        report = next(a for a in feed if a["event"] == "documents.orphans_found")
        assert report["description"] == "1 stored files belong to no document."
        assert report["metadata"]["keys"] == [stray]
        assert await storage.exists(stray), "reported, not deleted"
        assert [j.name for j in documents_plugin.JOBS] == ["documents.orphans"]


async def test_the_tables_are_under_forced_rls_and_shardable(documents_db):
    async with documents_db.db.platform_engine.connect() as conn:
        assert await rls_problems(conn) == []
        assert await sharding_problems(conn) == []


async def _once(data: bytes):
    yield data
