"""Service images until the kernel storage lands: the type is read from the content (PNG,
JPEG or WebP magic bytes, never the client's claim), the size is capped while reading, and
the file is kept under ``data_dir/storage`` with the storage's key layout
``org/<org>/services/<uuid>/image.<ext>`` — the way avatars are kept. ``save_image``,
``image_file`` and ``remove_image`` are the only functions that touch files, so moving to
``marcus.storage`` changes this module alone."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path

from fastapi import UploadFile

import marcus

CHUNK = 64 * 1024
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
KEY = re.compile(r"^org/(?P<org>[0-9a-f-]{36})/services/[0-9a-f-]{36}/image\.(?P<kind>png|jpg|webp)$")


def sniff(head: bytes) -> str | None:
    """The image kind from its first bytes: ``png``, ``jpg``, ``webp`` or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def _invalid(detail: str, code: str) -> marcus.Invalid:
    return marcus.Invalid(detail, code=code, errors=[{"field": "file", "message": detail}])


async def _read(upload: UploadFile, max_bytes: int) -> bytes:
    data = bytearray()
    while chunk := await upload.read(CHUNK):
        data += chunk
        if len(data) > max_bytes:
            raise _invalid(f"The image is larger than {max_bytes // 1024} KiB.", "file_too_large")
    return bytes(data)


def _path(kernel: marcus.Kernel, key: str) -> Path:
    return Path(kernel.settings.data_dir) / "storage" / key


async def save_image(kernel: marcus.Kernel, *, org_id: uuid.UUID, upload: UploadFile, max_bytes: int) -> str:
    """Check and store an uploaded image; returns its key. 422 naming ``file`` when refused."""
    data = await _read(upload, max_bytes)
    kind = sniff(data[:16])
    if kind is None:
        raise _invalid("Upload a PNG, JPEG or WebP image.", "unsupported_file_type")
    key = f"org/{org_id}/services/{uuid.uuid4()}/image.{kind}"
    await asyncio.to_thread(_write, _path(kernel, key), data)
    return key


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def image_file(kernel: marcus.Kernel, *, org_id: uuid.UUID, key: str) -> tuple[Path, str]:
    """The file and media type of a stored image of this workspace (404 when it is gone)."""
    match = KEY.match(key)
    if match is None or match["org"] != str(org_id):
        raise marcus.NotFound("This image does not exist.", code="image_not_found")
    path = _path(kernel, key)
    if not path.is_file():
        raise marcus.NotFound("This image does not exist.", code="image_not_found")
    return path, MEDIA_TYPES[match["kind"]]


async def remove_image(kernel: marcus.Kernel, *, org_id: uuid.UUID, key: str) -> None:
    """Delete a stored image of this workspace; nothing happens when it is already gone."""
    match = KEY.match(key)
    if match is None or match["org"] != str(org_id):
        return
    path = _path(kernel, key)
    await asyncio.to_thread(path.unlink, missing_ok=True)
    await asyncio.to_thread(_prune, path.parent)


def _prune(folder: Path) -> None:
    try:
        folder.rmdir()  # only when empty
    except OSError:
        return
