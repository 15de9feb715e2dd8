"""Object keys: ``org/<org_id>/<plugin>/<uuid>/<safe name>``.

A key is built by the kernel, never taken from a client: the name part is sanitized (no
directories, no ``..``, no control characters, ASCII only), so the tenant's prefix cannot be
escaped whatever the uploaded file was called. ``check_key`` refuses any other shape.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import UTC, datetime

from marcus.db.base import new_id
from marcus.declarations import PLUGIN_NAME
from marcus.errors import Invalid

SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_KEY = 1024
MAX_NAME = 120
KERNEL = "kernel"


class InvalidKey(Invalid):
    """A key or prefix of a shape storage never makes (absolute, ``..``, hidden or odd characters)."""

    code = "invalid_file_key"


def safe_name(name: str, *, default: str = "file") -> str:
    """``name`` made safe as the last part of a key: its base name only, in ``[A-Za-z0-9._-]``.

    ``"../../etc/passwd"`` -> ``"passwd"``, ``"Résumé 2024.pdf"`` -> ``"Resume-2024.pdf"``,
    ``".."`` -> ``"file"``.
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    base = ascii_name.replace("\\", "/").rsplit("/", 1)[-1]
    base = UNSAFE.sub("-", base).lstrip(".-_").rstrip(".-")
    if len(base) > MAX_NAME:
        stem, dot, ext = base.rpartition(".")
        base = stem[: MAX_NAME - len(ext) - 1] + dot + ext if dot and len(ext) <= 16 else base[:MAX_NAME]
    return base or default


def check_key(key: str) -> str:
    """``key`` when it is a relative key of safe segments; ``InvalidKey`` otherwise."""
    parts = key.split("/")
    if not key or len(key) > MAX_KEY or not all(SEGMENT.match(p) for p in parts):
        raise InvalidKey("Not a storage key.", errors=[{"field": "key", "message": "not a storage key"}])
    return key


def check_prefix(prefix: str) -> str:
    """A folder prefix: safe segments ending with ``/``."""
    if not prefix.endswith("/"):
        raise InvalidKey("A prefix ends with '/'.", errors=[{"field": "prefix", "message": "must end with '/'"}])
    check_key(prefix[:-1])
    return prefix


def tenant_prefix(org_id: uuid.UUID, plugin: str | None = None) -> str:
    """``org/<org_id>/`` or, for one plugin (or ``kernel``), ``org/<org_id>/<plugin>/``."""
    if plugin is None:
        return f"org/{org_id}/"
    if plugin != KERNEL and not PLUGIN_NAME.match(plugin):
        raise ValueError(f"'{plugin}' is not a plugin name")
    return f"org/{org_id}/{plugin}/"


def object_key(org_id: uuid.UUID, plugin: str, name: str) -> str:
    """A new key for a file called ``name``: ``org/<org_id>/<plugin>/<uuid7>/<safe name>``."""
    return f"{tenant_prefix(org_id, plugin)}{new_id()}/{safe_name(name)}"


def key_created_at(key: str) -> datetime | None:
    """When a key made by ``object_key`` was made (its UUIDv7's time), else None."""
    parts = key.split("/")
    if len(parts) != 5:
        return None
    try:
        ident = uuid.UUID(parts[3])
    except ValueError:
        return None
    if ident.version != 7:
        return None
    return datetime.fromtimestamp((ident.int >> 80) / 1000, tz=UTC)
