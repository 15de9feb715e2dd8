"""``SupabaseStorage``: objects in one Supabase Storage bucket through the ``supabase`` client.

The client is synchronous, so every call runs in a thread. Uploads are spooled to a temporary
file first (the client sends a file, and the stream's size must be checked before anything is
stored), then sent without upsert. Downloads stream from a short-lived signed URL.

The real server answers most errors with HTTP 400 and the logical status as a string in the
body (``"statusCode":"404"``); the client raises ``StorageApiError`` carrying it, which is
mapped here to ``ObjectNotFound`` / ``ObjectExists`` / ``StorageUnavailable``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import threading
import warnings
from collections.abc import AsyncIterable, AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from marcus.errors import MarcusError
from marcus.storage.base import CHUNK_SIZE, Download, ObjectExists, ObjectNotFound, StorageUnavailable
from marcus.storage.keys import check_key, check_prefix

if TYPE_CHECKING:
    from storage3._sync.file_api import SyncBucketProxy

log = logging.getLogger("marcus.storage.supabase")
T = TypeVar("T")
PAGE = 1000
OPEN_LINK_SECONDS = 60
MISSING_OBJECT = frozenset({"not_found", "NoSuchKey"})


class SupabaseStorage:
    """One bucket of a Supabase project (use the server-side key and a private bucket)."""

    backend = "supabase"

    def __init__(self, url: str, key: str, bucket: str, *, timeout: float = 30.0) -> None:
        self.url, self.bucket = url, bucket
        self._key = key
        self._timeout = timeout
        self._files: SyncBucketProxy | None = None
        self._lock = threading.Lock()

    def _bucket(self) -> SyncBucketProxy:
        with self._lock:
            if self._files is None:
                from supabase import create_client  # heavy import, only for this backend

                with warnings.catch_warnings():  # the client passes its own deprecated options
                    warnings.simplefilter("ignore", DeprecationWarning)
                    self._files = create_client(self.url, self._key).storage.from_(self.bucket)
            return self._files

    async def _call(self, key: str, action: Callable[[SyncBucketProxy], T]) -> T:
        try:
            return await asyncio.to_thread(lambda: action(self._bucket()))
        except MarcusError:
            raise
        except Exception as exc:
            raise _mapped(exc, key) from exc

    async def put(self, key: str, chunks: AsyncIterable[bytes], *, content_type: str) -> int:
        check_key(key)
        descriptor, name = await asyncio.to_thread(tempfile.mkstemp, prefix="marcus-upload-")
        spool = Path(name)
        try:
            size = await _spool(descriptor, chunks)
            options: Any = {"content-type": content_type, "x-upsert": "false"}
            await self._call(key, lambda files: files.upload(key, spool, options))
        finally:
            await asyncio.to_thread(spool.unlink, missing_ok=True)
        return size

    async def open(self, key: str) -> Download:
        url = await self.signed_url(key, expires_in=OPEN_LINK_SECONDS)
        client = httpx.AsyncClient(timeout=self._timeout)
        try:
            response = await client.send(client.build_request("GET", url), stream=True)
            if response.status_code != httpx.codes.OK:
                body = await response.aread()
                raise _from_body(response.status_code, body, key)
        except BaseException:
            await client.aclose()
            raise
        length = response.headers.get("content-length")
        return Download(
            key=key,
            size=int(length) if length else None,
            content_type=response.headers.get("content-type", "application/octet-stream"),
            chunks=_stream(client, response),
        )

    async def delete(self, key: str) -> None:
        check_key(key)
        await self._call(key, lambda files: files.remove([key]))

    async def exists(self, key: str) -> bool:
        check_key(key)
        return await self._call(key, lambda files: files.exists(key))

    async def list_keys(self, prefix: str) -> list[str]:
        check_prefix(prefix)
        return sorted(await self._call(prefix, lambda files: _walk(files, prefix.rstrip("/"))))

    async def signed_url(self, key: str, *, expires_in: int, download_name: str | None = None) -> str:
        check_key(key)
        options: Any = {"download": download_name} if download_name else None
        signed = await self._call(key, lambda files: files.create_signed_url(key, expires_in, options))
        return str(signed["signedURL"])


async def _spool(descriptor: int, chunks: AsyncIterable[bytes]) -> int:
    size = 0
    with os.fdopen(descriptor, "wb") as spool:
        async for chunk in chunks:
            await asyncio.to_thread(spool.write, chunk)
            size += len(chunk)
    return size


async def _stream(client: httpx.AsyncClient, response: httpx.Response) -> AsyncIterator[bytes]:
    try:
        async for chunk in response.aiter_bytes(CHUNK_SIZE):
            yield chunk
    finally:
        await response.aclose()
        await client.aclose()


def _walk(files: SyncBucketProxy, folder: str) -> list[str]:
    """Every object under ``folder``: the list API shows one level (folders have no id)."""
    keys: list[str] = []
    offset = 0
    while True:
        entries = files.list(folder, {"limit": PAGE, "offset": offset})
        for entry in entries:
            path = f"{folder}/{entry['name']}"
            keys += [path] if entry.get("id") else _walk(files, path)
        if len(entries) < PAGE:
            return keys
        offset += PAGE


def _status(exc: Exception) -> str:
    return str(getattr(exc, "status", "") or "")


def _mapped(exc: Exception, key: str) -> MarcusError:
    from storage3.exceptions import StorageApiError

    if isinstance(exc, StorageApiError):
        return _by_status(_status(exc), str(exc.code), key)
    log.warning("Supabase Storage call failed for %s: %s", key, type(exc).__name__)
    return StorageUnavailable("File storage is unreachable; try again shortly.")


def _from_body(http_status: int, body: bytes, key: str) -> MarcusError:
    import json

    try:
        data = json.loads(body)
        return _by_status(str(data.get("statusCode") or http_status), str(data.get("error", "")), key)
    except (ValueError, AttributeError):
        return _by_status(str(http_status), "", key)


def _by_status(status: str, error: str, key: str) -> MarcusError:
    """A missing object is ``not_found`` (a missing bucket is also a 404, but a configuration error)."""
    if status == "404" and error in MISSING_OBJECT:
        return ObjectNotFound("No such file.")
    if status == "409":
        return ObjectExists("A file is already stored under this key.")
    log.warning("Supabase Storage refused a request for %s: %s %s", key, status, error)
    return StorageUnavailable("File storage refused the request; try again shortly.")
