"""Kernel storage: one contract suite run against both backends — the local directory and
Supabase Storage, the latter through an HTTP server started in the test that speaks the part
of the Storage API the ``supabase`` client uses, the way the real server answers (errors as
HTTP 400 with the logical status as a string in the body, signed URLs relative to the storage
base, paths under ``<url>/storage/v1/object/...``). Then keys, type sniffing, limits, and the
local signed links' binding to their workspace."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import secrets
import time
import uuid
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from types import SimpleNamespace

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from sqlalchemy import text

from marcus.config import Settings
from marcus.errors import install_error_handlers
from marcus.storage import (
    LocalStorage,
    ObjectExists,
    ObjectNotFound,
    Storage,
    StorageUnavailable,
    SupabaseStorage,
    TenantFiles,
    UploadRoute,
    key_created_at,
    object_key,
    open_storage,
    safe_name,
    upload_limits,
)
from marcus.storage.keys import InvalidKey
from marcus.storage.sniff import CSV, DOCX, GIF, JPEG, PDF, PNG, TEXT, WEBP, XLSX, ZIP, office_type, sniff
from marcus.testing import relay_for
from marcus.testing.harness import create_tenant, running_app
from marcus.testing.supabase import BUCKET, SUPABASE_KEY, FakeSupabaseStorage

# --------------------------------------------------------------------------------------------
# A Supabase Storage server, in the test (marcus.testing.supabase, the ``marcus_supabase`` fixture)
# --------------------------------------------------------------------------------------------


@pytest.fixture
def supabase_server(marcus_supabase: FakeSupabaseStorage) -> tuple[str, FakeSupabaseStorage]:
    return marcus_supabase.url, marcus_supabase


# --------------------------------------------------------------------------------------------
# Both backends behind one fixture
# --------------------------------------------------------------------------------------------


@dataclass
class Backend:
    """A storage under test, a fresh folder for this test's keys, and how to GET a signed URL."""

    name: str
    storage: Storage
    folder: str
    fetch: Callable[[str], Awaitable[httpx.Response]]

    def key(self, name: str = "file.bin") -> str:
        return f"{self.folder}{uuid.uuid4()}/{name}"


@pytest.fixture(scope="module")
async def local_app(marcus_database):
    """Marcus (its local storage and the signed-link route) and a workspace for the keys."""
    org = await create_tenant(marcus_database)
    async with running_app(marcus_database, worker=False) as harness:
        yield harness, org


@pytest.fixture(params=["local", "supabase"])
async def backend(request, local_app, supabase_server) -> Backend:
    harness, org = local_app
    folder = f"org/{org.id}/contract/{uuid.uuid4()}/"
    if request.param == "local":

        async def fetch_local(url: str) -> httpx.Response:
            return await harness.client.get(url, headers={"X-Tenant": org.slug})

        return Backend("local", harness.kernel.storage, folder, fetch_local)
    url, _ = supabase_server

    async def fetch_remote(signed: str) -> httpx.Response:
        async with httpx.AsyncClient() as client:
            return await client.get(signed)

    return Backend("supabase", SupabaseStorage(url, SUPABASE_KEY, BUCKET), folder, fetch_remote)


async def chunks_of(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def read_all(storage: Storage, key: str) -> tuple[bytes, int, str]:
    download = await storage.open(key)
    parts = [chunk async for chunk in download.chunks]
    return b"".join(parts), len(parts), download.content_type


# --------------------------------------------------------------------------------------------
# The contract
# --------------------------------------------------------------------------------------------


async def test_put_then_open_returns_the_bytes_type_and_size(backend: Backend):
    key = backend.key("report.pdf")
    assert not await backend.storage.exists(key)
    size = await backend.storage.put(key, chunks_of(b"%PDF-1.7 hello"), content_type="application/pdf")
    assert size == 14
    assert await backend.storage.exists(key)
    download = await backend.storage.open(key)
    assert download.content_type.startswith("application/pdf")
    assert download.size == 14
    assert b"".join([c async for c in download.chunks]) == b"%PDF-1.7 hello"


async def test_large_objects_stream_in_chunks(backend: Backend):
    data = secrets.token_bytes(3 * 1024 * 1024 + 17)
    key = backend.key("big.bin")
    assert await backend.storage.put(key, chunks_of(data), content_type="application/octet-stream") == len(data)
    content, parts, _ = await read_all(backend.storage, key)
    assert content == data
    assert parts > 1, "read as a stream, not one blob"


async def test_put_never_overwrites(backend: Backend):
    key = backend.key()
    await backend.storage.put(key, chunks_of(b"first"), content_type="text/plain")
    with pytest.raises(ObjectExists):
        await backend.storage.put(key, chunks_of(b"second"), content_type="text/plain")
    assert (await read_all(backend.storage, key))[0] == b"first"


async def test_a_failing_stream_leaves_nothing_stored(backend: Backend):
    key = backend.key()

    async def broken() -> AsyncIterator[bytes]:
        yield b"x" * 100_000
        raise RuntimeError("client went away")

    with pytest.raises(RuntimeError, match="went away"):
        await backend.storage.put(key, broken(), content_type="text/plain")
    assert not await backend.storage.exists(key)
    assert await backend.storage.list_keys(backend.folder) == []


async def test_missing_objects_are_not_found_and_delete_is_idempotent(backend: Backend):
    key = backend.key()
    with pytest.raises(ObjectNotFound):
        await backend.storage.open(key)
    with pytest.raises(ObjectNotFound):
        await backend.storage.signed_url(key, expires_in=60)
    await backend.storage.delete(key)  # nothing there: fine
    await backend.storage.put(key, chunks_of(b"x"), content_type="text/plain")
    await backend.storage.delete(key)
    await backend.storage.delete(key)
    assert not await backend.storage.exists(key)


async def test_list_keys_returns_every_key_under_a_folder(backend: Backend):
    inside = [f"{backend.folder}a/{n}" for n in ("1.txt", "2.txt")] + [f"{backend.folder}a/deep/er/3.txt"]
    outside = f"{backend.folder}b/4.txt"
    for key in [*inside, outside]:
        await backend.storage.put(key, chunks_of(b"x"), content_type="text/plain")
    assert await backend.storage.list_keys(f"{backend.folder}a/") == sorted(inside)
    assert len(await backend.storage.list_keys(backend.folder)) == 4
    assert await backend.storage.list_keys(f"{backend.folder}nothing/") == []


async def test_a_signed_url_downloads_without_credentials(backend: Backend):
    key = backend.key("cv.pdf")
    await backend.storage.put(key, chunks_of(b"%PDF-1.4 cv"), content_type="application/pdf")
    url = await backend.storage.signed_url(key, expires_in=60, download_name="cv.pdf")
    response = await backend.fetch(url)
    assert response.status_code == 200
    assert response.content == b"%PDF-1.4 cv"
    assert response.headers["content-type"].startswith("application/pdf")
    assert "attachment" in response.headers["content-disposition"]
    assert "cv.pdf" in response.headers["content-disposition"]


async def test_an_expired_signed_url_is_refused(backend: Backend):
    key = backend.key()
    await backend.storage.put(key, chunks_of(b"secret"), content_type="text/plain")
    url = await backend.storage.signed_url(key, expires_in=1)
    await asyncio.sleep(1.2)
    response = await backend.fetch(url)
    assert 400 <= response.status_code < 500
    assert b"secret" not in response.content


async def test_a_tampered_signed_url_is_refused(backend: Backend):
    key = backend.key()
    await backend.storage.put(key, chunks_of(b"secret"), content_type="text/plain")
    url = await backend.storage.signed_url(key, expires_in=60)
    tampered = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    response = await backend.fetch(tampered)
    assert 400 <= response.status_code < 500
    assert b"secret" not in response.content


@pytest.mark.parametrize(
    "bad", ["../escape.txt", "/etc/passwd", "a/../../b", "a//b", "a/./b", ".meta/x", "a/b\x00c", "a\\b", "", "a/"]
)
async def test_keys_that_could_escape_are_refused(backend: Backend, bad: str):
    with pytest.raises(InvalidKey):
        await backend.storage.put(bad, chunks_of(b"x"), content_type="text/plain")
    with pytest.raises(InvalidKey):
        await backend.storage.exists(bad)
    with pytest.raises(InvalidKey):
        await backend.storage.delete(bad)


# --------------------------------------------------------------------------------------------
# Supabase specifics: the double behaves like the server, and failures are storage errors
# --------------------------------------------------------------------------------------------


async def test_the_server_double_answers_like_supabase(supabase_server):
    url, fake = supabase_server
    headers = {"Authorization": f"Bearer {SUPABASE_KEY}", "apiKey": SUPABASE_KEY}
    async with httpx.AsyncClient(base_url=f"{url}/storage/v1") as client:
        missing = await client.get(f"/object/info/{BUCKET}/no/such.txt", headers=headers)
        assert missing.status_code == 400
        assert missing.json()["statusCode"] == "404"
    storage = SupabaseStorage(url, SUPABASE_KEY, BUCKET)
    key = f"org/{uuid.uuid4()}/contract/{uuid.uuid4()}/x.txt"
    await storage.put(key, chunks_of(b"x"), content_type="text/plain")
    sign = ["object", "sign", BUCKET, *key.split("/")]
    raw = await asyncio.to_thread(lambda: storage._bucket()._request("POST", sign, json={"expiresIn": "60"}))
    assert raw.json()["signedURL"].startswith(f"/object/sign/{BUCKET}/")
    assert (await storage.signed_url(key, expires_in=60)).startswith(f"{url}/storage/v1/object/sign/{BUCKET}/org/")
    assert any(r.startswith("POST /storage/v1/object/attachments/org/") for r in fake.requests)


async def test_a_refused_or_unreachable_supabase_is_a_storage_error(supabase_server):
    url, _ = supabase_server
    with pytest.raises(StorageUnavailable):
        await SupabaseStorage(url, "wrong-key", BUCKET).exists("org/x/y.txt")
    with pytest.raises(StorageUnavailable):
        await SupabaseStorage(url, SUPABASE_KEY, "no-such-bucket").put(
            "a/b.txt", chunks_of(b"x"), content_type="text/plain"
        )
    with pytest.raises(StorageUnavailable):
        await SupabaseStorage("http://127.0.0.1:9", SUPABASE_KEY, BUCKET).exists("org/x/y.txt")


def test_settings_choose_the_backend(tmp_path):
    local = open_storage(Settings(data_dir=tmp_path))
    assert isinstance(local, LocalStorage)
    assert local.root == tmp_path / "storage"
    assert open_storage(Settings(data_dir=tmp_path)) is local, "one instance per configuration"
    remote = open_storage(
        Settings(
            storage_backend="supabase", supabase_url="https://x.supabase.co", supabase_key="k", supabase_bucket="b"
        )
    )
    assert isinstance(remote, SupabaseStorage)
    assert remote.bucket == "b"
    with pytest.raises(ValueError, match="MARCUS_SUPABASE_URL"):
        Settings(storage_backend="supabase")


# --------------------------------------------------------------------------------------------
# Keys and names
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("/etc/shadow", "shadow"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("..", "file"),
        ("", "file"),
        (".hidden", "hidden"),
        ("Résumé 2024 (final).pdf", "Resume-2024-final-.pdf"),
        ("a\x00b\nc.txt", "a-b-c.txt"),
        ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
    ],
)
def test_safe_names_cannot_leave_their_folder(given, safe):
    assert safe_name(given) == safe


def test_object_keys_carry_the_tenant_the_plugin_and_their_time():
    org = uuid.uuid4()
    key = object_key(org, "documents", "../../../other-org/x.pdf")
    parts = key.split("/")
    assert parts[:3] == ["org", str(org), "documents"]
    assert parts[4] == "x.pdf"
    assert len(parts) == 5
    made = key_created_at(key)
    assert made is not None
    assert abs(made.timestamp() - time.time()) < 5
    with pytest.raises(ValueError, match="plugin name"):
        object_key(org, "../x", "a")


# --------------------------------------------------------------------------------------------
# Types from content
# --------------------------------------------------------------------------------------------


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("head", "name", "kind"),
    [
        (b"%PDF-1.7\n", "x.bin", PDF),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "x.pdf", PNG),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "x", JPEG),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "x", WEBP),
        (b"GIF89a\x01\x00", "x", GIF),
        (b"hello\tworld\r\n", "notes.pdf", TEXT),
        (b"a,b\n1,2\n", "data.CSV", CSV),
        ("h\u00e9llo".encode()[:-1], "cut.txt", TEXT),  # a UTF-8 sequence cut at the end of the head
        (b"PK\x03\x04\x14\x00", "x.docx", ZIP),
        (b"MZ\x90\x00\x03\x00", "setup.pdf", None),
        (b"\x7fELF\x02\x01\x01\x00", "x.txt", None),
        (b"text with a \x00 NUL", "x.txt", None),
        (b"\xff\xfe\xfd not utf-8", "x.txt", None),
        (b"", "x.txt", None),
    ],
)
def test_sniff_reads_the_type_from_the_content(head, name, kind):
    assert sniff(head, name=name) == kind


def test_office_files_are_told_apart_by_their_table_of_contents():
    assert office_type(io.BytesIO(_zip("[Content_Types].xml", "word/document.xml"))) == DOCX
    assert office_type(io.BytesIO(_zip("xl/workbook.xml", "[Content_Types].xml"))) == XLSX
    assert office_type(io.BytesIO(_zip("word/document.xml"))) == ZIP
    assert office_type(io.BytesIO(b"PK\x03\x04 not really a zip")) == ZIP


def test_workspace_limits_only_narrow_the_platform_ceiling():
    from marcus.tenancy.resolver import Tenant

    settings = Settings(upload_max_bytes=5000)

    def tenant(uploads):
        return Tenant(id=uuid.uuid4(), slug="t", name="T", status="active", settings={"uploads": uploads})

    assert upload_limits(settings, None).max_bytes == 5000
    narrowed = upload_limits(settings, tenant({"max_bytes": 1000, "types": ["application/pdf", "video/mp4"]}))
    assert narrowed.max_bytes == 1000
    assert narrowed.types == {"application/pdf"}
    assert upload_limits(settings, tenant({"max_bytes": 10**9})).max_bytes == 5000
    assert upload_limits(settings, tenant({"max_bytes": "lots"})) == upload_limits(settings, None)


# --------------------------------------------------------------------------------------------
# One workspace's files, and local links bound to their workspace
# --------------------------------------------------------------------------------------------


async def test_a_workspace_cannot_reach_another_workspaces_key(local_app, marcus_database):
    harness, org_a = local_app
    org_b = await create_tenant(marcus_database)
    files_a = TenantFiles(harness.kernel.storage, org_id=org_a.id, plugin="documents")
    files_b = TenantFiles(harness.kernel.storage, org_id=org_b.id, plugin="documents")
    stored = await files_a.put("a.txt", chunks_of(b"A's secret"), content_type="text/plain")
    for attempt in (files_b.open, files_b.delete, files_b.signed_url):
        with pytest.raises(ObjectNotFound):
            await attempt(stored.key)
    assert not await files_b.exists(stored.key)
    for forged in (f"{files_b.prefix}../../{org_a.id}/documents/x", f"{files_b.prefix}x/../../y"):
        with pytest.raises(ObjectNotFound):
            await files_b.open(forged)
    assert await files_a.exists(stored.key)
    assert stored.key not in await files_b.list_keys()


async def test_staging_releases_replaced_files_only_once_the_change_commits(local_app, marcus_database):
    harness, org = local_app
    files = TenantFiles(harness.kernel.storage, org_id=org.id, plugin="documents")
    old = await files.put("old.txt", chunks_of(b"old"), content_type="text/plain")
    async with marcus_database.db.platform_session() as session:
        with pytest.raises(RuntimeError):
            async with files.staging(session) as stage:
                failed = await stage.put("new.txt", chunks_of(b"new"), content_type="text/plain")
                stage.release(old.key)
                raise RuntimeError("the change did not commit")
        assert (await files.exists(old.key), await files.exists(failed.key)) == (True, False)
        async with files.staging(session) as stage:
            new = await stage.put("new.txt", chunks_of(b"new"), content_type="text/plain")
            stage.release(old.key)
            stage.release(None)
            await session.execute(text("SELECT 1"))
            await session.commit()
    assert (await files.exists(old.key), await files.exists(new.key)) == (False, True)


async def test_discard_removes_only_this_workspaces_files_and_is_idempotent(local_app, marcus_database):
    harness, org_a = local_app
    org_b = await create_tenant(marcus_database)
    files_a = TenantFiles(harness.kernel.storage, org_id=org_a.id, plugin="documents")
    files_b = TenantFiles(harness.kernel.storage, org_id=org_b.id, plugin="documents")
    stored = await files_a.put("a.txt", chunks_of(b"A"), content_type="text/plain")
    await files_b.discard(stored.key)  # a key from elsewhere: logged and left, not raised
    await files_b.discard(None)
    assert await files_a.exists(stored.key)
    await files_a.discard(stored.key)
    await files_a.discard(stored.key)
    assert not await files_a.exists(stored.key)


async def test_a_local_link_works_only_on_its_own_workspace_and_only_while_valid(local_app, marcus_database):
    harness, org_a = local_app
    org_b = await create_tenant(marcus_database)
    files_a = TenantFiles(harness.kernel.storage, org_id=org_a.id, plugin="documents")
    stored = await files_a.put("a.txt", chunks_of(b"A's secret"), content_type="text/plain")
    link = await files_a.signed_url(stored.key, download_name="a.txt")
    get = harness.client.get
    own = await get(link.url, headers={"X-Tenant": org_a.slug})
    assert own.status_code == 200
    assert own.content == b"A's secret"
    assert own.headers["x-content-type-options"] == "nosniff"
    elsewhere = await get(link.url, headers={"X-Tenant": org_b.slug})
    assert elsewhere.status_code == 404
    assert b"secret" not in elsewhere.content
    token = link.url.rsplit("/", 1)[1]
    payload, signature = token.split(".")
    forged_payload = base64.urlsafe_b64encode(
        json.dumps({"k": stored.key.replace(str(org_a.id), str(org_b.id)), "e": 2**40, "n": None}).encode()
    ).rstrip(b"=")
    tampered = await get(f"/api/v1/files/{forged_payload.decode()}.{signature}", headers={"X-Tenant": org_b.slug})
    assert tampered.status_code == 403
    assert tampered.json()["code"] == "file_link_invalid"
    flipped = await get(f"/api/v1/files/{payload}.{signature[:-2]}xx", headers={"X-Tenant": org_a.slug})
    assert flipped.status_code == 403
    expired = await files_a.signed_url(stored.key, expires_in=-1)
    late = await get(expired.url, headers={"X-Tenant": org_a.slug})
    assert late.status_code == 403
    assert late.json()["code"] == "file_link_expired"
    garbage = await get("/api/v1/files/not-a-token", headers={"X-Tenant": org_a.slug})
    assert garbage.status_code == 403


async def test_an_upload_route_stops_reading_a_body_without_length_past_the_ceiling():
    router = APIRouter(route_class=UploadRoute)
    received: list[int] = []

    @router.post("/upload")
    async def upload(request: Request) -> dict[str, int]:
        received.append(len(await request.body()))
        return {"size": received[-1]}

    api = FastAPI()
    install_error_handlers(api)
    api.include_router(router)
    api.state.kernel = SimpleNamespace(settings=Settings(upload_max_bytes=1024))
    ceiling = 1024 * 10 + 1024 * 1024

    async def body(total: int) -> AsyncIterator[bytes]:
        for _ in range(total // 65536 + 1):
            yield b"x" * 65536

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://t") as client:
        small = await client.post("/upload", content=b"x" * 1000)
        assert small.json() == {"size": 1000}
        declared = await client.post("/upload", content=b"x" * (ceiling + 1))
        assert declared.status_code == 413
        assert declared.json()["code"] == "request_too_large"
        streamed = await client.post("/upload", content=body(ceiling + 65536))
        assert "content-length" not in streamed.request.headers
        assert streamed.status_code == 413
    assert received == [1000], "the handler never saw an oversize body"


# --------------------------------------------------------------------------------------------
# Kernel images (avatars, the logo) on the Supabase backend
# --------------------------------------------------------------------------------------------

PNG_IMAGE = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG_IMAGE = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def _kernel_images(fake: FakeSupabaseStorage, org_id: uuid.UUID, name: str) -> list[str]:
    prefix = f"org/{org_id}/kernel/"
    return sorted(k for k in fake.objects if k.startswith(prefix) and k.rsplit("/", 1)[-1].startswith(name))


async def test_avatars_and_logos_round_trip_through_supabase(
    marcus_database, marcus_supabase, tenant_factory, user_factory
):
    org = await tenant_factory()
    admin = await user_factory(org, role="admin")
    async with running_app(marcus_database, worker=False, **marcus_supabase.settings()) as h:
        assert h.kernel.storage.backend == "supabase"
        for content, media_type, extension in ((PNG_IMAGE, "image/png", "png"), (JPEG_IMAGE, "image/jpeg", "jpg")):
            files = {"file": ("me.bin", content, "application/octet-stream")}
            uploaded = await h.client.put("/api/v1/me/avatar", files=files, headers=admin.headers)
            assert uploaded.status_code == 200, uploaded.text
            avatar = await h.client.get(uploaded.json()["avatar_url"], headers=admin.headers)
            assert (avatar.status_code, avatar.headers["content-type"], avatar.content) == (200, media_type, content)
            assert avatar.headers["x-content-type-options"] == "nosniff"
            stored = _kernel_images(marcus_supabase, org.id, "avatar.")
            assert [key.rsplit("/", 1)[-1] for key in stored] == [f"avatar.{extension}"]  # the replaced one is gone

        public = {"X-Tenant": org.slug}
        logo = await h.client.put("/api/v1/settings/logo", files={"file": ("l.png", PNG_IMAGE)}, headers=admin.headers)
        assert logo.status_code == 200, logo.text
        served = await h.client.get("/api/v1/settings/logo", headers=public)
        assert (served.status_code, served.headers["content-type"], served.content) == (200, "image/png", PNG_IMAGE)
        assert len(_kernel_images(marcus_supabase, org.id, "logo.")) == 1
        removed = await h.client.delete("/api/v1/settings/logo", headers=admin.headers)
        assert removed.json()["logo_url"] is None
        while await relay_for(h.kernel).run_once():
            pass
        assert _kernel_images(marcus_supabase, org.id, "logo.") == []
        assert (await h.client.get("/api/v1/settings/logo", headers=public)).status_code == 404
