"""The portal's cookies: the session (the API's access and refresh tokens), the CSRF nonce and
the one-shot flash message.

Every cookie is HttpOnly, SameSite=Lax, host-only and on path ``/``. With secure cookies
(``Settings.secure_cookies``, on in production) they are also ``Secure`` and carry the
``__Host-`` prefix, which browsers accept only from the host itself over HTTPS and never with
a ``Domain``: a sibling subdomain cannot plant or overwrite them.

Responses get their cookies from ``queue``: the portal middleware adds what a request queued
to whatever response it ends with (a page, a redirect, an error page).
"""

from __future__ import annotations

from collections.abc import Mapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

from marcus.config import Settings

ACCESS = "marcus_access"
REFRESH = "marcus_refresh"
CSRF = "marcus_csrf"
FLASH = "marcus_flash"
SECURE_PREFIX = "__Host-"
PENDING = "marcus_portal_cookies"


def name(settings: Settings, base: str) -> str:
    """The cookie's name under these settings (``__Host-`` prefixed when secure)."""
    return SECURE_PREFIX + base if settings.secure_cookies else base


def read(settings: Settings, cookies: Mapping[str, str], base: str) -> str | None:
    """The value of cookie ``base`` as these settings name it."""
    return cookies.get(name(settings, base)) or None


def header(settings: Settings, base: str, value: str, *, max_age: int | None) -> str:
    """A ``Set-Cookie`` value; ``max_age=0`` deletes the cookie, ``None`` makes it last the browser session."""
    jar: SimpleCookie = SimpleCookie()
    key = name(settings, base)
    jar[key] = value
    morsel = jar[key]
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    if settings.secure_cookies:
        morsel["secure"] = True
    if max_age is not None:
        morsel["max-age"] = str(max_age)
    return morsel.OutputString()


def queue(scope_state: dict[str, Any], cookie: str) -> None:
    """Remember a ``Set-Cookie`` value for the response of this request (the middleware sends it)."""
    scope_state.setdefault(PENDING, []).append(cookie)


def websocket_token(settings: Settings, headers: Mapping[str, str], cookies: Mapping[str, str]) -> str | None:
    """The session's access token for a browser WebSocket, only when it is same-origin.

    Browsers send cookies with a WebSocket handshake whatever page opened it; checking that
    ``Origin`` names this very host refuses cross-site WebSocket hijacking.
    """
    token = read(settings, cookies, ACCESS)
    origin, host = headers.get("origin"), headers.get("host")
    if not token or not origin or not host or urlsplit(origin).netloc.lower() != host.lower():
        return None
    return token
