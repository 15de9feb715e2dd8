"""Fixtures of the seed §9 regression tests: a workspace with every installed plugin enabled,
its people, and the checks the tests share (``shop.forge``, ``shop.assert_no_secrets``,
``shop.is_problem``, ``shop.portal_client`` ...)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import text

from marcus.plugins import load_plugins
from marcus.testing import OrganizationFactory, TestUser, relay_for
from marcus.testing.harness import running_app

API = "/api/v1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SECRET_KEYS = {"password", "password_hash", "passwordhash", "otp", "otp_code", "otpcode", "code_hash", "token_hash"}


def forge(claims: dict[str, Any], key: bytes | str = b"k" * 32, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def secret_keys(value: Any) -> set[str]:
    """Keys anywhere in a JSON document that would carry a password, a hash or a code."""
    if isinstance(value, dict):
        found = {k for k in value if k.lower().replace("-", "_") in SECRET_KEYS}
        return found.union(*(secret_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(secret_keys(v) for v in value))
    return set()


def assert_no_secrets(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    assert "$argon2" not in response.text, response.request.url
    if "json" in response.headers.get("content-type", ""):
        assert not secret_keys(response.json()), (response.request.url, secret_keys(response.json()))


def is_problem(response: httpx.Response, status: int) -> bool:
    return response.status_code == status and response.headers["content-type"] == "application/problem+json"


async def portal_sign_in(client: httpx.AsyncClient, user: TestUser) -> None:
    token = CSRF.search((await client.get("/login")).text)
    assert token, "no CSRF token on /login"
    form = {"email": user.email, "password": user.password, "csrf_token": token.group(1), "next": "/"}
    signed_in = await client.post("/login", data=form)
    assert signed_in.status_code in (302, 303), signed_in.text


@dataclass
class Shop:
    """A workspace with every installed plugin enabled and its people."""

    org: Any
    admin: TestUser
    staff: TestUser
    alice: TestUser
    bob: TestUser
    h: Any
    compat: bool

    forge = staticmethod(forge)
    assert_no_secrets = staticmethod(assert_no_secrets)
    is_problem = staticmethod(is_problem)
    portal_sign_in = staticmethod(portal_sign_in)

    async def portal_client(self) -> httpx.AsyncClient:
        """A browser-like client at this workspace's portal host."""
        transport = httpx.ASGITransport(app=self.h.app, raise_app_exceptions=False)
        return httpx.AsyncClient(transport=transport, base_url=f"http://{self.org.slug}.localhost")

    @property
    def anonymous(self) -> dict[str, str]:
        return {"X-Tenant": self.org.slug}

    def seed_auth(self, user: TestUser) -> dict[str, str]:
        """The seed's header: the bare token (its clients never send ``Bearer``)."""
        return {"Authorization": user.access_token, "X-Tenant": self.org.slug}

    def require_compat(self) -> None:
        if not self.compat:
            pytest.skip("the compat plugin (issue #9) is not installed yet: its seed-path assertions wait for it")

    async def call(self, method: str, path: str, who: TestUser | None = None, **kwargs: Any) -> httpx.Response:
        headers = who.headers if who is not None else self.anonymous
        return await self.h.client.request(method, path, headers=headers | kwargs.pop("headers", {}), **kwargs)

    async def service(self, **fields: Any) -> dict[str, Any]:
        body = {"name": f"Consulting {uuid.uuid4().hex[:6]}", "price": "120.00", "duration_minutes": 60} | fields
        response = await self.call("POST", f"{API}/services", self.admin, json=body)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def slots(self, *, count: int = 4, days_ahead: int = 3, service_id: str | None = None) -> list[dict]:
        service_id = service_id or (await self.service())["id"]
        day = (datetime.now(UTC) + timedelta(days=days_ahead)).date().isoformat()
        end = 9 * 60 + 30 * count
        body = {
            "service_id": service_id,
            "date": day,
            "start_time": "09:00",
            "end_time": f"{end // 60:02d}:{end % 60:02d}",
            "duration_minutes": 30,
        }
        made = await self.call("POST", f"{API}/appointments/slots/generate-day", self.admin, json=body)
        assert made.status_code == 201, made.text
        listed = await self.call("GET", f"{API}/appointments/slots?service_id={service_id}&date={day}", self.admin)
        assert listed.status_code == 200, listed.text
        return listed.json()  # type: ignore[no-any-return]

    async def book(self, user: TestUser, slot_id: str) -> httpx.Response:
        return await self.call(
            "POST", f"{API}/appointments", user, json={"slot_id": slot_id, "meeting_type": "Virtual"}
        )

    async def post(self, **fields: Any) -> dict[str, Any]:
        body = {"title": f"Post {uuid.uuid4().hex[:6]}", "content": "Body", "status": "published"} | fields
        response = await self.call("POST", f"{API}/blog/posts", self.admin, json=body)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def upload(self, user: TestUser, *files: tuple[str, bytes], **fields: Any) -> httpx.Response:
        parts = [("files", (name, content, "application/octet-stream")) for name, content in files]
        return await self.call("POST", f"{API}/documents", user, data={"type": "Compliance", **fields}, files=parts)

    async def deliver(self) -> None:
        while await relay_for(self.h.kernel).run_once():
            pass

    async def sql(self, statement: str, **params: Any) -> list[Any]:
        async with self.h.kernel.db.tenant_transaction(self.org.id) as session:
            result = await session.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []


@pytest.fixture(scope="module")
def installed(marcus_database: Any) -> list[str]:
    return load_plugins(marcus_database.plugins).names


@pytest.fixture
async def shop(marcus_database: Any, tenant_factory: Any, user_factory: Any, installed: list[str]) -> Any:
    organization = OrganizationFactory.build()
    organization.settings = {**organization.settings, "time_zone": "UTC", "currency": "EUR"}
    org = await tenant_factory(organization=organization, plugins=installed)
    people = [await user_factory(org, role=r) for r in ("admin", "staff", "customer", "customer")]
    async with running_app(marcus_database, worker=False) as h:
        yield Shop(org, *people, h=h, compat="compat" in installed)
