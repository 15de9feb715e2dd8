"""Workspace logos, stored like avatars until the kernel storage lands: the type read from the
content (PNG, JPEG or WebP), the size capped while reading, the file under
``data_dir/storage/org/<org>/kernel/<uuid>/logo.<ext>``."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path

from fastapi import UploadFile

from marcus.config import Settings
from marcus.errors import NotFound
from marcus.users.avatars import MEDIA_TYPES, read_image, storage_root

MAX_BYTES = 2 * 1024 * 1024
KEY = re.compile(r"^org/(?P<org>[0-9a-f-]{36})/kernel/[0-9a-f-]{36}/logo\.(?P<kind>png|jpg|webp)$")


async def save(settings: Settings, *, org_id: uuid.UUID, upload: UploadFile) -> str:
    """Check and store an uploaded logo; returns its key (422 naming ``file`` when refused)."""
    data, kind = await read_image(upload, max_bytes=MAX_BYTES)
    key = f"org/{org_id}/kernel/{uuid.uuid4()}/logo.{kind}"
    await asyncio.to_thread(_write, storage_root(settings) / key, data)
    return key


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def locate(settings: Settings, *, org_id: uuid.UUID, key: str | None) -> tuple[Path, str]:
    """The logo file of this workspace and its media type; 404 when there is none."""
    match = KEY.match(key or "")
    path = storage_root(settings) / (key or "")
    if match is None or match["org"] != str(org_id) or not path.is_file():
        raise NotFound("This workspace has no logo.", code="logo_not_found")
    return path, MEDIA_TYPES[match["kind"]]


async def remove(settings: Settings, *, org_id: uuid.UUID, key: str) -> None:
    """Delete a logo file of this workspace; nothing happens when it is already gone."""
    match = KEY.match(key)
    if match is None or match["org"] != str(org_id):
        return
    path = storage_root(settings) / key
    await asyncio.to_thread(path.unlink, missing_ok=True)
    await asyncio.to_thread(_prune, path.parent)


def _prune(folder: Path) -> None:
    try:
        folder.rmdir()  # only when empty
    except OSError:
        return
