"""Post images: the type is read from the content (PNG, JPEG, WebP or GIF magic bytes, never
the client's claim) and the size is capped while reading.

Files land under ``data_dir/storage/org/<org>/blog/<uuid>/image.<ext>``, the same layout as
the kernel's avatars, until the kernel storage exists; ``store``, ``locate`` and ``discard``
are the only functions that touch the disk, so moving to it changes this module only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from pathlib import Path

from fastapi import UploadFile

from marcus import Invalid

log = logging.getLogger("marcus.blog")
CHUNK = 64 * 1024
MAX_BYTES = 5 * 1024 * 1024
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"}


def sniff(head: bytes) -> str | None:
    """The image kind from the first bytes, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def _invalid(detail: str, code: str) -> Invalid:
    return Invalid(detail, code=code, errors=[{"field": "file", "message": detail}])


async def read_image(upload: UploadFile, *, max_bytes: int = MAX_BYTES) -> tuple[bytes, str]:
    """The upload's bytes and kind; 422 naming ``file`` when too big, empty or not an image."""
    data = bytearray()
    while chunk := await upload.read(CHUNK):
        data += chunk
        if len(data) > max_bytes:
            raise _invalid(f"The image is larger than {max_bytes // (1024 * 1024)} MiB.", "file_too_large")
    kind = sniff(bytes(data[:16]))
    if kind is None:
        raise _invalid("Upload a PNG, JPEG, WebP or GIF image.", "unsupported_file_type")
    return bytes(data), kind


def _root(data_dir: Path) -> Path:
    return data_dir / "storage"


async def store(data_dir: Path, *, org_id: uuid.UUID, data: bytes, kind: str) -> str:
    """Write the image; returns its storage key."""
    key = f"org/{org_id}/blog/{uuid.uuid4()}/image.{kind}"
    await asyncio.to_thread(_write, _root(data_dir) / key, data)
    return key


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def locate(data_dir: Path, *, org_id: uuid.UUID, key: str) -> tuple[Path, str] | None:
    """The file and media type of a stored image of this workspace, or None when it is gone."""
    kind = key.rsplit(".", 1)[-1]
    if not key.startswith(f"org/{org_id}/blog/") or ".." in key or kind not in MEDIA_TYPES:
        return None
    path = _root(data_dir) / key
    return (path, MEDIA_TYPES[kind]) if path.is_file() else None


async def discard(data_dir: Path, *, org_id: uuid.UUID, key: str | None) -> None:
    """Remove a stored image after the row that named it changed (best effort: logged, never raised)."""
    if key is None or not key.startswith(f"org/{org_id}/blog/") or ".." in key:
        return
    path = _root(data_dir) / key
    try:
        await asyncio.to_thread(_remove, path)
    except OSError:
        log.warning("could not remove blog image %s", key)


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()
