"""Portal pages in tests, without a browser: a client at a workspace's own host (the portal's
cookies are per host) that reads the CSRF token from the page a form is on and submits the
form with it, and one already signed in through the login form.

    async with marcus_app_factory(database) as h, signed_in(h, org, user) as client:
        page = await client.get("/loyalty")
        saved = await client.submit("/loyalty", {"points": "5"})  # token from /loyalty
        refused = await client.submit("/loyalty/1/delete", {}, page="/loyalty/1")
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx

from marcus.tenancy.models import Organization
from marcus.testing.harness import Harness
from marcus.testing.users import TestUser

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


class PortalClient(httpx.AsyncClient):
    """An HTTP client that fills in forms the way a browser does."""

    async def csrf_token(self, path: str) -> str:
        """The form token on the page at ``path`` (which must answer 200 and hold a form)."""
        page = await self.get(path)
        if page.status_code != 200:
            raise AssertionError(f"GET {path} answered {page.status_code}: {page.text}")
        found = CSRF_INPUT.search(page.text)
        if found is None:
            raise AssertionError(f"no CSRF token on {path}")
        return found.group(1)

    async def submit(
        self, path: str, form: Mapping[str, Any], *, page: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        """POST ``form`` to ``path`` with the token of ``page`` (default: ``path``), the page it is on."""
        token = await self.csrf_token(page or path)
        return await self.post(path, data={**form, "csrf_token": token}, **kwargs)


def portal_client(harness: Harness, org: Organization | None = None) -> PortalClient:
    """A client of ``org``'s pages at ``<slug>.localhost`` (no org: the platform's, at ``localhost``)."""
    transport = httpx.ASGITransport(app=harness.app, raise_app_exceptions=False)
    host = f"{org.slug}.localhost" if org is not None else "localhost"
    return PortalClient(transport=transport, base_url=f"http://{host}")


@asynccontextmanager
async def signed_in(harness: Harness, org: Organization, user: TestUser) -> AsyncIterator[PortalClient]:
    """A client of ``org``'s pages signed in as ``user`` through the login form."""
    async with portal_client(harness, org) as client:
        form = {"email": user.email, "password": user.password}
        response = await client.submit("/login", form)
        if response.status_code != 303:
            raise AssertionError(f"signing in as {user.email} answered {response.status_code}: {response.text}")
        yield client
