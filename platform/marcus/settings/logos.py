"""The workspace logo: an image (PNG, JPEG or WebP, at most 2 MiB) in the kernel storage under
``org/<org>/kernel/<uuid>/logo.<ext>``, taken and served like every image
(``marcus.storage.images``), on any backend. ``logo_bytes`` reads it for branded PDFs."""

from __future__ import annotations

import mimetypes
import uuid
from pathlib import Path

from marcus.config import Settings
from marcus.errors import NotFound
from marcus.storage import Download, LocalStorage, Storage, TenantFiles, open_image, open_storage
from marcus.storage.keys import KERNEL

NAME = "logo"
MAX_BYTES = 2 * 1024 * 1024


def logo_files(storage: Storage, org_id: uuid.UUID) -> TenantFiles:
    """The kernel's files of one workspace, for reading and removing its logo outside a request."""
    return TenantFiles(storage, org_id=org_id, plugin=KERNEL)


def _missing() -> NotFound:
    return NotFound("This workspace has no logo.", code="logo_not_found")


async def open_logo(files: TenantFiles, key: str | None) -> Download:
    """The stored logo; 404 ``logo_not_found`` when there is none."""
    return await open_image(files, key, missing=_missing())


async def logo_bytes(storage: Storage, *, org_id: uuid.UUID, key: str | None) -> bytes:
    """The logo's bytes (at most ``MAX_BYTES`` were accepted); 404 when there is none."""
    download = await open_logo(logo_files(storage, org_id), key)
    return b"".join([chunk async for chunk in download.chunks])


def locate(settings: Settings, *, org_id: uuid.UUID, key: str | None) -> tuple[Path, str]:
    """The logo's file and media type on the local backend, for ``marcus.pdf.brand`` until it
    reads ``logo_bytes`` (which works on every backend); 404 elsewhere or when there is none."""
    storage = open_storage(settings)
    if not key or not logo_files(storage, org_id).owns(key) or not isinstance(storage, LocalStorage):
        raise _missing()
    return storage.path_of(key), mimetypes.guess_type(key)[0] or "application/octet-stream"
