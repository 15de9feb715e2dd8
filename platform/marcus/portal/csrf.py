"""CSRF protection of every portal form: a signed token bound to the browser and the host.

The browser holds a random nonce in an HttpOnly cookie; each form carries
``HMAC(key, host | nonce)`` in a hidden ``csrf_token`` field (or the ``X-CSRF-Token`` header
for scripts). A POST is accepted only when the field matches the cookie's nonce for this
host, and, when the browser sends ``Origin``, only from this very origin. Another site can
make a browser submit a form, but it can neither read the token nor set the cookie (host-only,
``__Host-`` in production), so its forged requests fail. The nonce is replaced at sign-in and
sign-out, so a token seen before cannot be replayed into the new session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request

from marcus.auth.tokens import derive_key
from marcus.config import Settings
from marcus.errors import Forbidden
from marcus.portal import cookies

FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
STATE_NONCE = "marcus_csrf_nonce"


class CsrfRefused(Forbidden):
    code = "csrf_failed"


def _sign(settings: Settings, host: str, nonce: str) -> str:
    mac = hmac.new(derive_key(settings, "portal.csrf"), f"{host.lower()}|{nonce}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def token(request: Request, settings: Settings) -> str:
    """This browser's form token for this host (a nonce cookie is issued when it has none)."""
    state = request.scope.setdefault("state", {})
    nonce = state.get(STATE_NONCE) or cookies.read(settings, request.cookies, cookies.CSRF)
    if not nonce:
        nonce = renew(request, settings)
    return _sign(settings, request.headers.get("host", ""), nonce)


def renew(request: Request, settings: Settings) -> str:
    """Issue a new nonce (at sign-in and sign-out); forms rendered before stop working."""
    nonce = secrets.token_urlsafe(24)
    state = request.scope.setdefault("state", {})
    state[STATE_NONCE] = nonce
    cookies.queue(state, cookies.header(settings, cookies.CSRF, nonce, max_age=None))
    return nonce


async def check(request: Request, settings: Settings) -> None:
    """Refuse (403) an unsafe request without this browser's token, or from another origin."""
    if request.method in SAFE_METHODS:
        return
    origin, host = request.headers.get("origin"), request.headers.get("host", "")
    if origin and urlsplit(origin).netloc.lower() != host.lower():
        raise CsrfRefused("This form was sent from another site.")
    nonce = cookies.read(settings, request.cookies, cookies.CSRF)
    sent = request.headers.get(HEADER)
    if sent is None and _has_form(request):
        value = (await request.form()).get(FIELD)
        sent = value if isinstance(value, str) else None
    if not nonce or not sent or not hmac.compare_digest(sent, _sign(settings, host, nonce)):
        raise CsrfRefused("This form has expired. Go back, reload the page and send it again.")


def _has_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))
