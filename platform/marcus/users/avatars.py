"""Avatar images: the type is read from the content (PNG, JPEG or WebP magic bytes, never the
client's claim), the size is capped while reading, and the image is kept in the kernel storage
(``marcus.storage``) under ``org/<org>/kernel/<uuid>/avatar.<ext>``."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import UploadFile

from marcus.config import Settings
from marcus.errors import Invalid, Unavailable
from marcus.storage import LocalStorage, object_key, open_storage, tenant_prefix

CHUNK = 64 * 1024
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}


def sniff(head: bytes) -> str | None:
    """The image kind from the first bytes: ``png``, ``jpg``, ``webp`` or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def _invalid(detail: str, code: str) -> Invalid:
    return Invalid(detail, code=code, errors=[{"field": "file", "message": detail}])


async def read_image(upload: UploadFile, *, max_bytes: int) -> tuple[bytes, str]:
    """The upload's bytes and kind; 422 naming ``file`` when too big, empty or not an image."""
    data = bytearray()
    while chunk := await upload.read(CHUNK):
        data += chunk
        if len(data) > max_bytes:
            raise _invalid(f"The image is larger than {max_bytes // 1024} KiB.", "file_too_large")
    kind = sniff(bytes(data[:16]))
    if kind is None:
        raise _invalid("Upload a PNG, JPEG or WebP image.", "unsupported_file_type")
    return bytes(data), kind


def storage_root(settings: Settings) -> Path:
    return settings.data_dir / "storage"


async def store(settings: Settings, *, org_id: uuid.UUID, data: bytes, kind: str) -> str:
    """Write the image; returns its storage key."""
    key = object_key(org_id, "kernel", f"avatar.{kind}")
    await open_storage(settings).put(key, _once(data), content_type=MEDIA_TYPES[kind])
    return key


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def locate(settings: Settings, *, org_id: uuid.UUID, key: str) -> tuple[Path, str]:
    """The file and media type of a stored avatar; refuses keys outside the workspace's folder."""
    if not key.startswith(tenant_prefix(org_id, "kernel")) or ".." in key:
        raise Invalid("Not an avatar of this workspace.", code="bad_avatar_key")
    storage = open_storage(settings)
    if not isinstance(storage, LocalStorage):  # the avatar route serves a file path
        raise Unavailable("Avatars are served from local storage only.", code="avatar_unavailable")
    return storage.path_of(key), MEDIA_TYPES[key.rsplit(".", 1)[-1]]
