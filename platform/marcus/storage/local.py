"""``LocalStorage``: objects as files under one directory (``data_dir/storage`` by default).

An object is the file ``<root>/<key>``; its media type is kept beside it in
``<root>/.meta/<key>.json``. A write goes to a hidden part file first and is linked into
place only when complete, never over an existing object, so readers never see half a file.
Signed URLs are HMAC-signed links served by the kernel route ``GET /api/v1/files/{token}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import mimetypes
import os
import time
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import IO

from marcus.storage.base import CHUNK_SIZE, Download, ObjectExists, ObjectNotFound
from marcus.storage.keys import InvalidKey, check_key, check_prefix
from marcus.storage.signing import sign_link

META = ".meta"
LINK_PATH = "/api/v1/files/"


class LocalStorage:
    """Files under ``root``; blocking file work runs in threads."""

    backend = "local"

    def __init__(self, root: Path, *, secret: bytes, link_path: str = LINK_PATH) -> None:
        self.root = root
        self._secret = secret
        self._link_path = link_path

    def path_of(self, key: str) -> Path:
        """The file of ``key`` (which exists or not); a key resolving outside the root is refused."""
        path = self.root / check_key(key)
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise InvalidKey("Not a storage key.")
        return path

    def _meta_of(self, key: str) -> Path:
        return self.root / META / f"{key}.json"

    async def put(self, key: str, chunks: AsyncIterable[bytes], *, content_type: str) -> int:
        path = self.path_of(key)
        if await asyncio.to_thread(path.exists):
            raise ObjectExists("A file is already stored under this key.")
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        part = path.with_name(f".{uuid.uuid4().hex}.part")
        handle: IO[bytes] = await asyncio.to_thread(part.open, "xb")
        size = 0
        try:
            async for chunk in chunks:
                await asyncio.to_thread(handle.write, chunk)
                size += len(chunk)
            await asyncio.to_thread(handle.close)
            await asyncio.to_thread(self._publish, part, path, key, {"content_type": content_type, "size": size})
        finally:
            await asyncio.to_thread(_discard, handle, part)
        return size

    def _publish(self, part: Path, path: Path, key: str, meta: dict[str, object]) -> None:
        try:
            os.link(part, path)  # atomic, and fails instead of replacing an existing object
        except FileExistsError as exc:
            raise ObjectExists("A file is already stored under this key.") from exc
        try:
            meta_path = self._meta_of(key)
            meta_path.parent.mkdir(parents=True, exist_ok=True)
            meta_path.write_text(json.dumps(meta))
        except OSError:
            path.unlink(missing_ok=True)
            raise

    async def open(self, key: str) -> Download:
        path = self.path_of(key)
        try:
            handle: IO[bytes] = await asyncio.to_thread(path.open, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectNotFound("No such file.") from exc
        size = (await asyncio.to_thread(os.fstat, handle.fileno())).st_size
        content_type = await asyncio.to_thread(self._content_type, key)
        return Download(key=key, size=size, content_type=content_type, chunks=_read(handle))

    def _content_type(self, key: str) -> str:
        try:
            return str(json.loads(self._meta_of(key).read_text())["content_type"])
        except (OSError, ValueError, KeyError):
            return mimetypes.guess_type(key)[0] or "application/octet-stream"

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._delete, self.path_of(key), key)

    def _delete(self, path: Path, key: str) -> None:
        path.unlink(missing_ok=True)
        self._meta_of(key).unlink(missing_ok=True)
        for folder in (path.parent, self._meta_of(key).parent):
            with contextlib.suppress(OSError):
                folder.rmdir()  # the object's own <uuid> folder, when now empty

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path_of(key).is_file)

    async def list_keys(self, prefix: str) -> list[str]:
        folder = self.root / check_prefix(prefix)
        return await asyncio.to_thread(self._walk, folder)

    def _walk(self, folder: Path) -> list[str]:
        keys = []
        for directory, subdirs, files in os.walk(folder):
            subdirs[:] = [d for d in subdirs if not d.startswith(".")]
            base = Path(directory).relative_to(self.root).as_posix()
            keys += [f"{base}/{name}" for name in files if not name.startswith(".")]
        return sorted(keys)

    async def signed_url(self, key: str, *, expires_in: int, download_name: str | None = None) -> str:
        if not await self.exists(key):
            raise ObjectNotFound("No such file.")
        token = sign_link(self._secret, key=key, expires_at=int(time.time()) + expires_in, download_name=download_name)
        return self._link_path + token


async def _read(handle: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK_SIZE):
            yield chunk
    finally:
        await asyncio.to_thread(handle.close)


def _discard(handle: IO[bytes], part: Path) -> None:
    handle.close()
    part.unlink(missing_ok=True)
