"""File storage (ARCHITECTURE §9): one ``Storage`` protocol, two backends chosen by settings.

Parts: ``base`` (the protocol, ``Download``, storage errors), ``keys`` (object keys
``org/<org_id>/<plugin>/<uuid>/<safe name>``, name sanitizing), ``local`` (``LocalStorage``, a
directory, with HMAC-signed links from ``signing`` served by ``router``), ``supabase``
(``SupabaseStorage``, the supabase client run off the event loop), ``sniff`` (file types from
the content), ``limits`` (per-workspace size and type limits under the platform's ceiling),
``files`` (``TenantFiles``: what a plugin uses — checked streaming uploads, signed URLs, and
``staging`` that removes the files of a transaction that did not commit), ``images``
(``save_image`` / ``open_image`` / ``image_response``: avatars, logos and pictures, checked
from their content and streamed back from any backend) and ``http`` (``UploadRoute``:
oversize bodies refused before they are parsed).

The app's storage is ``kernel.storage``; ``open_storage(settings)`` builds it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from marcus.config import Settings
from marcus.db.engine import BUS_KEY
from marcus.storage.base import (
    Download,
    FileTooLarge,
    ObjectExists,
    ObjectNotFound,
    Storage,
    StorageUnavailable,
    UnsupportedFileType,
)
from marcus.storage.files import SignedUrl, Staging, StoredFile, TenantFiles, tenant_files, workspace_files
from marcus.storage.http import UploadRoute
from marcus.storage.images import image_response, image_responses, image_types, open_image, save_image
from marcus.storage.keys import key_created_at, object_key, safe_name, tenant_prefix
from marcus.storage.limits import UploadLimits, upload_limits
from marcus.storage.local import LocalStorage
from marcus.storage.signing import link_secret
from marcus.storage.supabase import SupabaseStorage

__all__ = [
    "Download",
    "FileTooLarge",
    "LocalStorage",
    "ObjectExists",
    "ObjectNotFound",
    "SignedUrl",
    "Staging",
    "Storage",
    "StorageUnavailable",
    "StoredFile",
    "SupabaseStorage",
    "TenantFiles",
    "UnsupportedFileType",
    "UploadLimits",
    "UploadRoute",
    "image_response",
    "image_responses",
    "image_types",
    "key_created_at",
    "object_key",
    "open_image",
    "open_storage",
    "safe_name",
    "save_image",
    "session_storage",
    "tenant_files",
    "tenant_prefix",
    "upload_limits",
    "workspace_files",
]

_opened: dict[tuple[object, ...], Storage] = {}


def open_storage(settings: Settings) -> Storage:
    """The storage these settings describe: one instance per configuration, shared by callers."""
    if settings.storage_backend == "supabase":
        key = settings.supabase_key.get_secret_value() if settings.supabase_key else ""
        identity: tuple[object, ...] = ("supabase", settings.supabase_url, key, settings.supabase_bucket)
    else:
        identity = ("local", str(settings.data_dir.resolve()), link_secret(settings))
    if identity not in _opened:
        _opened[identity] = _build(settings)
    return _opened[identity]


def _build(settings: Settings) -> Storage:
    if settings.storage_backend == "supabase":
        url, key = settings.supabase_url or "", settings.supabase_key  # both required by Settings
        return SupabaseStorage(url, key.get_secret_value() if key else "", settings.supabase_bucket)
    return LocalStorage(settings.data_dir / "storage", secret=link_secret(settings))


def session_storage(session: AsyncSession) -> Storage:
    """The storage of the app that opened ``session``: for scheduled jobs, which get a session
    and a tenant (event handlers have ``context.kernel.storage``)."""
    storage: Storage = session.info[BUS_KEY].kernel.storage
    return storage
