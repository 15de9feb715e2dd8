"""A Supabase Storage server for tests: ``serve_fake_supabase()`` runs, over HTTP on
127.0.0.1, the part of the Storage API the ``supabase`` client uses, answering the way the real
server does (errors as HTTP 400 with the logical status as a string in the body, signed URLs
relative to the storage base, paths under ``<url>/storage/v1/object/...``). Objects live in
memory (``fake.objects``); ``fake.settings()`` points a Marcus app at it.

Behind the ``marcus_supabase`` fixture: ``marcus_app_factory(database, **marcus_supabase.settings())``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

from aiohttp import BodyPartReader, web
from pydantic import SecretStr

SUPABASE_KEY = "service-role-key-for-tests"
BUCKET = "attachments"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error(status: str, error: str, message: str) -> web.Response:
    """The real server's error: HTTP 400, the logical status as a string in the body."""
    body = {"statusCode": status, "error": error, "message": message}
    return web.json_response(body, status=400)


def _not_found() -> web.Response:
    return _error("404", "not_found", "Object not found")


class FakeSupabaseStorage:
    """Objects in memory, one bucket, the routes storage3's sync bucket API calls."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.secret = secrets.token_bytes(16)
        self.requests: list[str] = []
        self.url = ""

    def settings(self) -> dict[str, Any]:
        """Settings overrides making a Marcus app store its files here."""
        return {
            "storage_backend": "supabase",
            "supabase_url": self.url,
            "supabase_key": SecretStr(SUPABASE_KEY),
            "supabase_bucket": BUCKET,
        }

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._auth], client_max_size=64 * 1024 * 1024)
        base = "/storage/v1/object"
        app.router.add_post(base + "/sign/{bucket}/{path:.+}", self.sign)
        app.router.add_get(base + "/sign/{bucket}/{path:.+}", self.signed_download)
        app.router.add_post(base + "/list/{bucket}", self.list)
        app.router.add_get(base + "/info/{bucket}/{path:.+}", self.info)
        app.router.add_delete(base + "/{bucket}", self.remove)
        app.router.add_post(base + "/{bucket}/{path:.+}", self.upload)
        app.router.add_get(base + "/{bucket}/{path:.+}", self.download)
        return app

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.requests.append(f"{request.method} {request.path}")
        if request.match_info.get("bucket", BUCKET) != BUCKET:
            return _error("404", "Bucket not found", "Bucket not found")
        public = request.method == "GET" and request.path.startswith("/storage/v1/object/sign/")
        if not public and request.headers.get("Authorization") != f"Bearer {SUPABASE_KEY}":
            return _error("403", "Unauthorized", "invalid signature")
        return await handler(request)

    def _token(self, path: str, expires: int) -> str:
        payload = json.dumps({"url": f"{BUCKET}/{path}", "exp": expires}).encode()
        mac = hmac.new(self.secret, payload, hashlib.sha256).hexdigest()
        return base64.urlsafe_b64encode(payload).decode() + "." + mac

    async def upload(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        reader = await request.multipart()
        content, content_type = b"", "application/octet-stream"
        async for part in reader:
            if isinstance(part, BodyPartReader) and part.name == "file":
                content_type = part.headers.get("Content-Type", content_type)
                content = await part.read()
        if path in self.objects and request.headers.get("x-upsert") != "true":
            return _error("409", "Duplicate", "The resource already exists")
        self.objects[path] = (content, content_type)
        return web.json_response({"Key": f"{BUCKET}/{path}", "Id": str(uuid.uuid4())})

    async def download(self, request: web.Request) -> web.Response:
        found = self.objects.get(request.match_info["path"])
        if found is None:
            return _not_found()
        return web.Response(body=found[0], headers={"Content-Type": found[1]})

    async def info(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        if path not in self.objects:
            return _not_found()
        content, content_type = self.objects[path]
        return web.json_response({"name": path, "size": len(content), "content_type": content_type})

    async def remove(self, request: web.Request) -> web.Response:
        body = await request.json()
        gone = [self.objects.pop(p) and {"name": p, "bucket_id": BUCKET} for p in body["prefixes"] if p in self.objects]
        return web.json_response(gone)

    async def list(self, request: web.Request) -> web.Response:
        body = await request.json()
        folder = body.get("prefix", "").strip("/")
        start = f"{folder}/" if folder else ""
        entries: dict[str, dict[str, object]] = {}
        for path, (content, content_type) in self.objects.items():
            if not path.startswith(start):
                continue
            name, _, rest = path[len(start) :].partition("/")
            if rest:
                entries[name] = {"name": name, "id": None, "metadata": None}
            else:
                meta = {"size": len(content), "mimetype": content_type}
                entries[name] = {"name": name, "id": str(uuid.uuid4()), "metadata": meta}
        offset, limit = int(body.get("offset", 0)), int(body.get("limit", 100))
        return web.json_response([entries[n] for n in sorted(entries)][offset : offset + limit])

    async def sign(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        if path not in self.objects:
            return _not_found()
        body = await request.json()
        token = self._token(path, int(time.time()) + int(body["expiresIn"]))
        return web.json_response({"signedURL": f"/object/sign/{BUCKET}/{quote(path)}?token={token}"})

    async def signed_download(self, request: web.Request) -> web.Response:
        path, token = request.match_info["path"], request.query.get("token", "")
        encoded, _, mac = token.partition(".")
        try:
            payload = base64.urlsafe_b64decode(encoded)
        except ValueError:
            return _error("400", "InvalidJWT", "invalid token")
        expected = hmac.new(self.secret, payload, hashlib.sha256).hexdigest()
        claims = json.loads(payload) if hmac.compare_digest(mac, expected) else None
        if claims is None or claims["url"] != f"{BUCKET}/{path}":
            return _error("400", "InvalidJWT", "invalid signature")
        if claims["exp"] <= time.time():
            return _error("400", "InvalidJWT", "jwt expired")
        if path not in self.objects:
            return _not_found()
        content, content_type = self.objects[path]
        headers = {"Content-Type": content_type}
        if "download" in request.query:
            headers["Content-Disposition"] = f'attachment; filename="{request.query["download"] or path}"'
        return web.Response(body=content, headers=headers)


@asynccontextmanager
async def serve_fake_supabase(fake: FakeSupabaseStorage | None = None) -> AsyncIterator[FakeSupabaseStorage]:
    """``fake`` (a new ``FakeSupabaseStorage`` by default, or a subclass's instance) listening on
    a free port of 127.0.0.1 (its ``url``) until exit."""
    fake = fake or FakeSupabaseStorage()
    runner = web.AppRunner(fake.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    fake.url = f"http://{host}:{port}"
    try:
        yield fake
    finally:
        await runner.cleanup()
