"""A failing storage backend: Marcus on Supabase Storage served by an in-test double that the
test makes answer HTTP 500 (the service failing) or 502 with an HTML page (a proxy in front of
it), for every request or only some.

* an upload gets a clean 503 problem (``storage_unavailable``, saying to retry), never a 500,
  and leaves no document row and no stored file, also when only its second file failed;
* a download link asked for meanwhile is a 503 too; once the storage answers, uploads work;
* a deleted document's files stay until the storage answers: the outbox retries the removal
  (with backoff) until it succeeds, then the event is done and the objects are gone;
* when PostgreSQL commits an upload but the connection breaks before the app hears it, the
  files are kept (the document exists with its file), never removed under a committed row.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import marcus_appointments.plugin as appointments_plugin
import marcus_documents.plugin as documents_plugin
import marcus_services.plugin as services_plugin
import psycopg
import pytest
from aiohttp import web
from sqlalchemy import text

from marcus.testing.supabase import FakeSupabaseStorage, serve_fake_supabase

URL = "/api/v1/documents"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class FailingSupabase(FakeSupabaseStorage):
    """The Supabase double, with an outage switch: ``fail(request) -> True`` answers ``status``."""

    def __init__(self) -> None:
        super().__init__()
        self.fail: Callable[[web.Request], bool] = lambda _request: False
        self.status = 500
        self.refused: list[str] = []

    def app(self) -> web.Application:
        app = super().app()
        app.middlewares.insert(0, self._outage)
        return app

    @web.middleware
    async def _outage(self, request: web.Request, handler: Callable) -> web.StreamResponse:
        if not self.fail(request):
            return await handler(request)
        self.refused.append(f"{request.method} {request.path}")
        if self.status == 500:
            body = {"statusCode": "500", "error": "internal", "message": "database connection lost"}
            return web.json_response(body, status=500)
        return web.Response(
            status=self.status, text="<html><body>502 Bad Gateway</body></html>", content_type="text/html"
        )

    def keys(self, org_id: object) -> list[str]:
        return sorted(k for k in self.objects if k.startswith(f"org/{org_id}/"))


@pytest.fixture
async def supabase() -> AsyncIterator[FailingSupabase]:
    fake = FailingSupabase()
    async with serve_fake_supabase(fake):
        yield fake


@pytest.fixture(scope="module")
async def documents_db(marcus_make_database):
    database = marcus_make_database([services_plugin, appointments_plugin, documents_plugin])
    yield database
    await database.dispose()


@pytest.fixture
async def shop(documents_db, tenant_factory, user_factory):
    org = await tenant_factory(database=documents_db, plugins=["services", "appointments", "documents"])
    return org, await user_factory(org, database=documents_db)


def form(*files: tuple[str, bytes]) -> dict:
    parts = [("files", (name, content, "application/octet-stream")) for name, content in files]
    return {"data": {"type": "Compliance"}, "files": parts}


def everything(_request: web.Request) -> bool:
    return True


@pytest.mark.parametrize("status", [500, 502])
async def test_an_upload_while_the_storage_fails_is_a_clean_503_leaving_no_row_and_no_file(
    documents_db, marcus_app_factory, supabase, shop, status
):
    org, alice = shop
    supabase.status = status
    async with marcus_app_factory(documents_db, worker=False, **supabase.settings()) as h:
        supabase.fail = everything
        failed = await h.client.post(URL, headers=alice.headers, **form(("a.pdf", PDF)))
        supabase.fail = lambda request: request.method == "POST" and request.path.endswith("/b.png")
        second_failed = await h.client.post(URL, headers=alice.headers, **form(("a.pdf", PDF), ("b.png", PNG)))
        listed_during = await h.client.get(URL, headers=alice.headers)
        keys_during = supabase.keys(org.id)
        supabase.fail = lambda _request: False
        stored = await h.client.post(URL, headers=alice.headers, **form(("c.pdf", PDF)))
        supabase.fail = everything
        link = await h.client.get(
            f"{URL}/{stored.json()['id']}/files/{stored.json()['files'][0]['id']}/link", headers=alice.headers
        )
        supabase.fail = lambda _request: False
        listed_after = await h.client.get(URL, headers=alice.headers)
    for response in (failed, second_failed, link):
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "storage_unavailable"
        assert "try again" in response.json()["detail"]
        assert "database connection lost" not in response.text
    assert any(r.endswith("/b.png") for r in supabase.refused)
    assert listed_during.json()["total"] == 0  # no document row without its files
    assert keys_during == []  # a.pdf of the second upload was stored, then removed:
    assert [r.split()[0] for r in supabase.requests if r.endswith("/a.pdf") or r.startswith("DELETE")] == [
        "POST",
        "DELETE",
    ]
    assert stored.status_code == 201
    assert listed_after.json()["total"] == 1
    assert len(supabase.keys(org.id)) == 1


async def until(check: Callable[[], object], seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():  # type: ignore[misc]
            return True
        await asyncio.sleep(0.1)
    return False


async def test_files_of_a_deleted_document_are_removed_by_the_outbox_once_the_storage_answers(
    documents_db, marcus_app_factory, supabase, shop
):
    org, alice = shop

    async def outbox() -> tuple[str, int, str | None]:
        async with documents_db.db.platform_session() as session:
            row = (
                await session.execute(
                    text(
                        "SELECT status, attempts, last_error FROM event_outbox"
                        " WHERE organization_id = :o AND name = 'documents.deleted'"
                    ),
                    {"o": org.id},
                )
            ).one()
        return row[0], row[1], row[2]

    async def failed_twice() -> bool:
        return (await outbox())[1] >= 2

    async def done() -> bool:
        return (await outbox())[0] == "done"

    async with marcus_app_factory(documents_db, relay_poll_interval=0.1, **supabase.settings()) as h:
        created = await h.client.post(URL, headers=alice.headers, **form(("a.pdf", PDF), ("b.png", PNG)))
        assert created.status_code == 201, created.text
        assert len(supabase.keys(org.id)) == 2
        supabase.fail = lambda request: request.method == "DELETE"
        deleted = await h.client.delete(f"{URL}/{created.json()['id']}", headers=alice.headers)
        assert deleted.status_code == 204
        assert await until(failed_twice), await outbox()
        status, _, last_error = await outbox()
        keys_while_failing = supabase.keys(org.id)
        supabase.fail = lambda _request: False
        assert await until(done), await outbox()
    assert status == "pending"
    assert "StorageUnavailable" in str(last_error)
    assert len(keys_while_failing) == 2  # nothing removed while the storage refused
    assert supabase.keys(org.id) == []  # removed once it answered


async def test_a_commit_whose_answer_is_lost_never_leaves_a_row_without_its_file(
    documents_db, marcus_app_factory, supabase, shop, monkeypatch
):
    """PostgreSQL commits the upload's rows, then the connection breaks before the answer
    arrives (the commit's outcome is unknown to the app): the request fails with a 503, and
    the document, if it exists, still has its file (an unneeded file would only be an orphan
    that the nightly report lists; a row without its file would be a broken document)."""
    org, alice = shop
    real_commit = psycopg.AsyncConnection.commit
    cut = {"armed": False}

    async def commit_then_lose_the_answer(self: psycopg.AsyncConnection) -> None:
        await real_commit(self)
        if cut["armed"]:
            cut["armed"] = False
            raise psycopg.OperationalError("server closed the connection unexpectedly")

    async with marcus_app_factory(documents_db, worker=False, **supabase.settings()) as h:
        monkeypatch.setattr(psycopg.AsyncConnection, "commit", commit_then_lose_the_answer)
        cut["armed"] = True
        response = await h.client.post(URL, headers=alice.headers, **form(("a.pdf", PDF)))
        monkeypatch.undo()
        listed = await h.client.get(URL, headers=alice.headers)
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "database_unavailable"
    assert listed.json()["total"] == 1  # the rows were committed ...
    assert len(supabase.keys(org.id)) == 1  # ... and their file is still there
