"""``TenantFiles``: one workspace's and one plugin's part of the storage, as plugins use it.

Every key it makes or accepts starts with ``org/<org_id>/<plugin>/``; a key of another
workspace (or plugin) is "not found", whoever passes it. Uploads are checked against the
workspace's limits before anything is stored (size 413, type from the content 415), then
streamed in chunks, counted again, and removed if the count goes over. ``staging(session)``
removes what was stored for a request whose transaction did not commit, and what the request
released (files its rows stopped naming) once it did. ``discard`` removes a file a row no
longer names, from an event handler after the change committed.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import UploadFile
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession

from marcus.deps import CurrentTenant, KernelDep
from marcus.errors import DATABASE_UNAVAILABLE, Invalid
from marcus.kernel import Kernel
from marcus.storage.base import CHUNK_SIZE, Download, FileTooLarge, ObjectNotFound, Storage, UnsupportedFileType
from marcus.storage.keys import check_key, object_key, tenant_prefix
from marcus.storage.limits import UploadLimits, upload_limits
from marcus.storage.sniff import HEAD_SIZE, ZIP, extension, office_type, sniff
from marcus.tenancy.resolver import Tenant

log = logging.getLogger("marcus.storage")
NO_UPLOADS = UploadLimits(max_bytes=0, types=frozenset())


@dataclass(frozen=True, kw_only=True)
class StoredFile:
    """What was stored for one upload: its key, the client's file name, type and size."""

    key: str
    name: str
    content_type: str
    size: int

    @property
    def extension(self) -> str:
        """The usual extension of the content's type (``pdf``, ``docx`` ...), not the client's."""
        return extension(self.content_type)


@dataclass(frozen=True, kw_only=True)
class SignedUrl:
    """A download URL that works without credentials until ``expires_at``."""

    url: str
    expires_at: datetime


def display_name(name: str | None, *, default: str = "file") -> str:
    """A client's file name fit to show: base name only, no control characters, at most 255."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in base if c.isprintable()).strip()
    return cleaned[:255] or default


class TenantFiles:
    """Storage seen by one plugin in one workspace, with that workspace's upload limits."""

    def __init__(
        self,
        storage: Storage,
        *,
        org_id: uuid.UUID,
        plugin: str,
        limits: UploadLimits = NO_UPLOADS,
        link_ttl: int = 300,
    ) -> None:
        """``limits`` default to accepting nothing: outside a request (event handlers, jobs)
        files are read, listed and removed, not uploaded."""
        self.storage = storage
        self.org_id = org_id
        self.plugin = plugin
        self.prefix = tenant_prefix(org_id, plugin)
        self.limits = limits
        self.link_ttl = link_ttl

    def owns(self, key: str) -> bool:
        """Whether ``key`` is a well-formed key inside this workspace's and plugin's prefix."""
        try:
            check_key(key)
        except Invalid:
            return False
        return key.startswith(self.prefix)

    def _own(self, key: str) -> str:
        if not self.owns(key):
            raise ObjectNotFound("No such file.")
        return key

    def new_key(self, name: str) -> str:
        """A fresh key ``org/<org>/<plugin>/<uuid7>/<safe name>`` for a file called ``name``."""
        return object_key(self.org_id, self.plugin, name)

    async def put(self, name: str, chunks: AsyncIterable[bytes], *, content_type: str) -> StoredFile:
        """Store a stream (already checked by the caller) under a new key for ``name``."""
        key = self.new_key(name)
        size = await self.storage.put(key, chunks, content_type=content_type)
        return StoredFile(key=key, name=display_name(name), content_type=content_type, size=size)

    async def check_upload(self, upload: UploadFile, *, field: str) -> str:
        """The upload's media type, read from its content; 413 / 415 / 422 naming ``field``."""
        if upload.size is not None and upload.size > self.limits.max_bytes:
            raise _too_large(self.limits, field)
        head = await upload.read(HEAD_SIZE)
        await upload.seek(0)
        if not head:
            raise Invalid("The file is empty.", code="file_empty", errors=[{"field": field, "message": "empty file"}])
        kind = sniff(head, name=upload.filename or "")
        if kind == ZIP:
            kind = await asyncio.to_thread(office_type, upload.file)
        if kind is None or kind not in self.limits.types:
            allowed = ", ".join(sorted(self.limits.types))
            detail = f"This kind of file is not accepted here. Allowed: {allowed}."
            raise UnsupportedFileType(detail, errors=[{"field": field, "message": detail, "type": kind}])
        return kind

    async def save_upload(self, upload: UploadFile, *, field: str, content_type: str | None = None) -> StoredFile:
        """Check (unless ``content_type`` says it was) and store an upload, streaming it in chunks."""
        kind = content_type or await self.check_upload(upload, field=field)
        await upload.seek(0)
        return await self.put(upload.filename or "file", _counted(upload, self.limits, field), content_type=kind)

    async def open(self, key: str) -> Download:
        return await self.storage.open(self._own(key))

    async def delete(self, key: str) -> None:
        await self.storage.delete(self._own(key))

    async def exists(self, key: str) -> bool:
        return self.owns(key) and await self.storage.exists(key)

    async def discard(self, key: str | None) -> None:
        """Remove a file no row names any more (a replaced image, a deleted row's file); idempotent.

        For keys read back from rows and events, not from clients: None is nothing to do, and a
        key outside this workspace's and plugin's prefix is logged and left alone rather than
        refused (an event handler would retry it forever). Storage errors propagate: the relay
        retries them.
        """
        if key is None:
            return
        if not self.owns(key):
            log.warning("not removing %s: outside %s", key, self.prefix)
            return
        await self.storage.delete(key)

    async def list_keys(self) -> list[str]:
        """Every key stored by this plugin for this workspace."""
        return await self.storage.list_keys(self.prefix)

    async def signed_url(
        self, key: str, *, download_name: str | None = None, expires_in: int | None = None
    ) -> SignedUrl:
        """A short-lived download URL (``MARCUS_SIGNED_URL_TTL`` seconds unless told)."""
        seconds = expires_in if expires_in is not None else self.link_ttl
        url = await self.storage.signed_url(self._own(key), expires_in=seconds, download_name=download_name)
        return SignedUrl(url=url, expires_at=datetime.now(UTC) + timedelta(seconds=seconds))

    @asynccontextmanager
    async def staging(self, session: AsyncSession) -> AsyncIterator[Staging]:
        """Store files for rows written in ``session``: unless the session commits inside the
        block, everything stored through the yielded ``Staging`` is removed on the way out; if it
        commits, the files given to ``stage.release`` are. If the connection breaks during the
        commit (its outcome unknown), the stored files are kept.

        ``async with files.staging(session) as stage: stored = await stage.save_upload(...);
        stage.release(row.key); row.key = stored.key; await session.commit()``
        """
        stage = Staging(self)
        committing = committed = outcome_unknown = False

        def begin_commit(_session: Any) -> None:
            nonlocal committing
            committing = True

        def mark(_session: Any) -> None:
            nonlocal committed
            committed = True

        sync_session = session.sync_session
        sa_event.listen(sync_session, "before_commit", begin_commit)
        sa_event.listen(sync_session, "after_commit", mark)
        try:
            yield stage
        except DATABASE_UNAVAILABLE:
            # The connection broke during COMMIT: the server may have committed the rows. Keep
            # their files: an unneeded one is an orphan the nightly report lists, a row without
            # its file would be a broken record.
            outcome_unknown = committing and not committed
            raise
        finally:
            sa_event.remove(sync_session, "before_commit", begin_commit)
            sa_event.remove(sync_session, "after_commit", mark)
            if outcome_unknown and stage.keys:
                log.warning("commit outcome unknown (connection lost): keeping %d stored file(s)", len(stage.keys))
            elif not committed and stage.keys:
                await asyncio.shield(self._discard(list(stage.keys)))
            elif committed and stage.released:
                await asyncio.shield(self._release(list(stage.released)))

    async def _discard(self, keys: list[str]) -> None:
        for key in keys:
            try:
                await self.storage.delete(key)
            except Exception:
                log.exception("could not remove %s after a failed transaction (the orphan report will list it)", key)

    async def _release(self, keys: list[str]) -> None:
        for key in keys:
            try:
                await self.discard(key)
            except Exception:
                log.exception("could not remove %s after its change committed (it stays as an orphan)", key)


class Staging:
    """The files stored within one ``TenantFiles.staging`` block, and those it released."""

    def __init__(self, files: TenantFiles) -> None:
        self.files = files
        self.keys: list[str] = []
        self.released: list[str] = []

    async def save_upload(self, upload: UploadFile, *, field: str, content_type: str | None = None) -> StoredFile:
        stored = await self.files.save_upload(upload, field=field, content_type=content_type)
        self.keys.append(stored.key)
        return stored

    async def put(self, name: str, chunks: AsyncIterable[bytes], *, content_type: str) -> StoredFile:
        stored = await self.files.put(name, chunks, content_type=content_type)
        self.keys.append(stored.key)
        return stored

    def release(self, key: str | None) -> None:
        """Remove ``key`` (a file the block's rows stop naming) once the session commits; keep it
        if it does not. Best effort, after the change is safe: a failure is logged, not raised.
        Where a module has an event handler for the change, ``TenantFiles.discard`` there is
        durable instead (the outbox retries it)."""
        if key:
            self.released.append(key)


def _too_large(limits: UploadLimits, field: str) -> FileTooLarge:
    detail = f"The file is larger than {limits.max_bytes // 1024} KiB."
    return FileTooLarge(detail, errors=[{"field": field, "message": detail, "max_bytes": limits.max_bytes}])


async def _counted(upload: UploadFile, limits: UploadLimits, field: str) -> AsyncIterator[bytes]:
    size = 0
    while chunk := await upload.read(CHUNK_SIZE):
        size += len(chunk)
        if size > limits.max_bytes:
            raise _too_large(limits, field)
        yield chunk


def tenant_files(plugin: str) -> Callable[..., Coroutine[Any, Any, TenantFiles]]:
    """A dependency giving ``plugin``'s ``TenantFiles`` for the request's workspace.

    ``Files = Annotated[TenantFiles, Depends(tenant_files("documents"))]``
    """
    tenant_prefix(uuid.UUID(int=0), plugin)  # refuse a bad plugin name at import, not per request

    async def dependency(tenant: CurrentTenant, kernel: KernelDep) -> TenantFiles:
        return workspace_files(kernel, tenant, plugin)

    return dependency


def workspace_files(kernel: Kernel, tenant: Tenant, plugin: str) -> TenantFiles:
    """``plugin``'s ``TenantFiles`` in ``tenant``'s workspace, with its upload limits: what
    ``tenant_files`` gives a route, for code that holds the kernel and the tenant instead."""
    settings = kernel.settings
    limits = upload_limits(settings, tenant)
    return TenantFiles(kernel.storage, org_id=tenant.id, plugin=plugin, limits=limits, link_ttl=settings.signed_url_ttl)
