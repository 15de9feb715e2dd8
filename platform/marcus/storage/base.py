"""The ``Storage`` protocol every backend implements, what ``open`` returns, and storage errors."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from marcus.errors import Conflict, MarcusError, NotFound, Unavailable

CHUNK_SIZE = 64 * 1024


class ObjectNotFound(NotFound):
    """No object under this key (or not one the caller may see): 404."""

    code = "file_not_found"


class ObjectExists(Conflict):
    """An object already has this key; storage never overwrites: 409."""

    code = "file_exists"


class StorageUnavailable(Unavailable):
    """The backend could not be reached or refused the request: 503, retried by the relay."""

    code = "storage_unavailable"


class FileTooLarge(MarcusError):
    """An upload is over the workspace's size limit: 413, refused before anything is kept."""

    status, code, title = 413, "file_too_large", "File too large"


class UnsupportedFileType(MarcusError):
    """An upload's content is not one of the workspace's allowed types: 415."""

    status, code, title = 415, "unsupported_file_type", "Unsupported file type"


@dataclass(frozen=True, kw_only=True)
class Download:
    """An opened object: its size (when known), its media type, and its bytes as chunks.

    ``chunks`` can be read once; it releases the backend's resources when exhausted.
    """

    key: str
    size: int | None
    content_type: str
    chunks: AsyncIterator[bytes]


class Storage(Protocol):
    """Where files live. Keys are relative paths (``marcus.storage.keys.check_key``); every
    method refuses another shape of key. Implementations run blocking work off the event loop.
    """

    backend: str

    async def put(self, key: str, chunks: AsyncIterable[bytes], *, content_type: str) -> int:
        """Store the stream under ``key``; returns the number of bytes stored.

        Never overwrites (``ObjectExists``). If ``chunks`` raises (a size limit, a client that
        went away), nothing stays stored under ``key`` and the error propagates.
        """
        ...

    async def open(self, key: str) -> Download:
        """Open ``key`` for reading; ``ObjectNotFound`` before any byte when it is missing."""
        ...

    async def delete(self, key: str) -> None:
        """Remove ``key``; removing a missing object is not an error (deletes are retried)."""
        ...

    async def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        ...

    async def list_keys(self, prefix: str) -> list[str]:
        """Every key under the folder ``prefix`` (which ends with ``/``), sorted."""
        ...

    async def signed_url(self, key: str, *, expires_in: int, download_name: str | None = None) -> str:
        """A URL that downloads ``key`` without credentials for ``expires_in`` seconds.

        ``download_name`` makes it an attachment with that file name. The local backend's URLs
        are paths on the workspace's own host (``/api/v1/files/<token>``); ``ObjectNotFound``
        when nothing is stored under ``key``.
        """
        ...
