"""Signed links of the local backend: ``<payload>.<signature>``, both base64url.

The payload names the key, the expiry and the download name; the HMAC-SHA256 signature is
made with a key derived from ``MARCUS_SECRET_KEY`` for this purpose only. The key carries the
tenant (``org/<org_id>/...``), so the route serving a link checks it against the request's
workspace: a link of tenant A does not work on tenant B's host.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from marcus.config import Settings
from marcus.errors import Forbidden

PURPOSE = b"marcus.storage.signed-links.v1"


class LinkInvalid(Forbidden):
    """A link whose signature does not match (tampered, or made with another secret)."""

    code = "file_link_invalid"


class LinkExpired(Forbidden):
    """A link past its expiry."""

    code = "file_link_expired"


@dataclass(frozen=True, kw_only=True)
class Link:
    key: str
    expires_at: int
    download_name: str | None


def link_secret(settings: Settings) -> bytes:
    """The signing key of links: derived from the app secret, used for nothing else."""
    return hmac.new(settings.secret_key.get_secret_value().encode(), PURPOSE, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_link(secret: bytes, *, key: str, expires_at: int, download_name: str | None) -> str:
    """A token for ``key`` valid until ``expires_at`` (Unix seconds)."""
    payload = json.dumps({"k": key, "e": expires_at, "n": download_name}, separators=(",", ":")).encode()
    signature = hmac.new(secret, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(signature)}"


def read_link(secret: bytes, token: str, *, now: float | None = None) -> Link:
    """The link in ``token``; ``LinkInvalid`` when tampered, ``LinkExpired`` when too old (403)."""
    try:
        encoded, _, given = token.partition(".")
        payload, signature = _unb64(encoded), _unb64(given)
    except (binascii.Error, ValueError) as exc:
        raise LinkInvalid("This download link is not valid.") from exc
    if not hmac.compare_digest(signature, hmac.new(secret, payload, hashlib.sha256).digest()):
        raise LinkInvalid("This download link is not valid.")
    data = json.loads(payload)
    link = Link(key=str(data["k"]), expires_at=int(data["e"]), download_name=data.get("n"))
    if link.expires_at <= (time.time() if now is None else now):
        raise LinkExpired("This download link has expired; ask for a new one.")
    return link
