"""Images (avatars, the workspace logo, service and post pictures), taken and served one way.

``save_image(stage, upload, name=..., max_bytes=...)`` reads the type from the content (PNG,
JPEG or WebP; GIF too with ``gif=True``), never from the client's claim or the file name,
refuses a file over ``max_bytes`` (or over the workspace's upload limits) while it streams, and
stores it within a ``TenantFiles.staging`` block as ``org/<org>/<plugin or kernel>/<uuid>/
<name>.<ext>``, so a transaction that does not commit keeps no file.

``open_image`` and ``image_response`` stream a stored image back through ``Storage.open``:
every backend serves it the same way. Images are streamed rather than redirected to signed
URLs so that their URLs stay stable API paths, checked by the route on every request.

A refused image is a 422 naming the form field, code ``file_too_large`` or
``unsupported_file_type``: the image routes' contract, older than the kernel storage. Other
uploads (``TenantFiles.save_upload``) answer 413 / 415.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import UploadFile
from fastapi.responses import StreamingResponse

from marcus.errors import Invalid, NotFound
from marcus.storage.base import CHUNK_SIZE, Download, ObjectNotFound
from marcus.storage.files import Staging, StoredFile, TenantFiles
from marcus.storage.limits import UploadLimits
from marcus.storage.sniff import GIF, HEAD_SIZE, JPEG, PNG, WEBP, extension, sniff

IMAGE_NAMES = {PNG: "PNG", JPEG: "JPEG", WEBP: "WebP", GIF: "GIF"}
KIB, MIB = 1024, 1024 * 1024


def image_types(*, gif: bool = False) -> frozenset[str]:
    """The media types of images: PNG, JPEG and WebP, and GIF when ``gif``."""
    return frozenset({PNG, JPEG, WEBP, GIF} if gif else {PNG, JPEG, WEBP})


def image_responses(*, gif: bool = False, description: str = "The image") -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a route serving an image: 200 in one of the image types."""
    content: dict[str, Any] = {media: {} for media in IMAGE_NAMES if media in image_types(gif=gif)}
    return {200: {"content": content, "description": description}}


async def save_image(
    stage: Staging, upload: UploadFile, *, name: str, max_bytes: int, gif: bool = False, field: str = "file"
) -> StoredFile:
    """Check ``upload`` as an image and store it as ``<name>.<ext>`` (the extension of its real
    type) within ``stage``; 422 naming ``field`` before anything is stored when refused."""
    limits = stage.files.limits.narrowed(max_bytes=max_bytes, types=image_types(gif=gif))
    kind = await check_image(upload, limits, field=field)
    chunks = _capped(upload, limits.max_bytes, field)
    return await stage.put(f"{name}.{extension(kind)}", chunks, content_type=kind)


async def check_image(upload: UploadFile, limits: UploadLimits, *, field: str = "file") -> str:
    """The upload's image type, read from its first bytes; 422 when too large or not an
    accepted image (an empty file is not one)."""
    if upload.size is not None and upload.size > limits.max_bytes:
        raise _too_large(limits.max_bytes, field)
    head = await upload.read(HEAD_SIZE)
    await upload.seek(0)
    kind = sniff(head)
    if kind is None or kind not in limits.types:
        raise _unsupported(limits.types, field)
    return kind


async def open_image(files: TenantFiles, key: str | None, *, missing: NotFound) -> Download:
    """Open the stored image ``key``; ``missing`` when there is none (no key, a key outside
    this workspace and plugin, or a file that is gone)."""
    if not key:
        raise missing
    try:
        return await files.open(key)
    except ObjectNotFound as exc:
        raise missing from exc


def image_response(download: Download) -> StreamingResponse:
    """An opened image streamed to the client, as the type it was stored with (never sniffed)."""
    headers = {"X-Content-Type-Options": "nosniff"}
    if download.size is not None:
        headers["Content-Length"] = str(download.size)
    return StreamingResponse(download.chunks, media_type=download.content_type, headers=headers)


async def _capped(upload: UploadFile, max_bytes: int, field: str) -> AsyncIterator[bytes]:
    size = 0
    while chunk := await upload.read(CHUNK_SIZE):
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes, field)
        yield chunk


def _refused(detail: str, code: str, field: str) -> Invalid:
    return Invalid(detail, code=code, errors=[{"field": field, "message": detail}])


def _too_large(max_bytes: int, field: str) -> Invalid:
    size = f"{max_bytes // MIB} MiB" if max_bytes % MIB == 0 else f"{max_bytes // KIB} KiB"
    return _refused(f"The image is larger than {size}.", "file_too_large", field)


def _unsupported(types: frozenset[str], field: str) -> Invalid:
    names = [label for media, label in IMAGE_NAMES.items() if media in types]
    if not names:
        return _refused("This workspace accepts no images.", "unsupported_file_type", field)
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return _refused(f"Upload a {listed} image.", "unsupported_file_type", field)
