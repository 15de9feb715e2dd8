"""Blog test fixtures: a database migrated with the kernel and the blog only, a workspace with
the blog enabled and one user per role, the app on that database, and small helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from marcus_blog import plugin as blog_plugin

from marcus.testing import Harness, JobRunner, TestUser, relay_for


@pytest.fixture(scope="session")
async def blog_db(marcus_make_database):
    database = marcus_make_database([blog_plugin])
    yield database
    await database.dispose()


@dataclass
class Shop:
    """A workspace with the blog enabled and one signed-in user per role."""

    org: Any
    owner: TestUser
    admin: TestUser
    staff: TestUser
    alice: TestUser
    bob: TestUser


@pytest.fixture
async def shop(blog_db, tenant_factory, user_factory) -> Shop:
    org = await tenant_factory(database=blog_db, plugins=["blog"])

    async def user(role: str, first: str) -> TestUser:
        return await user_factory(org, database=blog_db, role=role, first_name=first, last_name="Example")

    return Shop(
        org=org,
        owner=await user("owner", "Olga"),
        admin=await user("admin", "Adam"),
        staff=await user("staff", "Stan"),
        alice=await user("customer", "Alice"),
        bob=await user("customer", "Bob"),
    )


class Blog:
    """The app under test (``h``, ``client``) with helpers for blog tests."""

    PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

    def __init__(self, harness: Harness) -> None:
        self.h = harness
        self.client = harness.client

    @staticmethod
    def anonymous(org: Any) -> dict[str, str]:
        return {"X-Tenant": org.slug}

    async def post(self, user: TestUser, **fields: Any) -> dict[str, Any]:
        """Create a post as ``user`` (201 asserted) and return it."""
        body = {"title": "Hello world", "content": "Body text", **fields}
        response = await self.client.post("/api/v1/blog/posts", json=body, headers=user.headers)
        assert response.status_code == 201, response.text
        return response.json()

    async def comment(self, user: TestUser, post: dict[str, Any], content: str = "Nice post") -> dict[str, Any]:
        url = f"/api/v1/blog/posts/{post['id']}/comments"
        response = await self.client.post(url, json={"content": content}, headers=user.headers)
        assert response.status_code == 201, response.text
        return response.json()

    async def deliver(self) -> None:
        """Run the outbox relay until every committed event is delivered."""
        while await relay_for(self.h.kernel).run_once():
            pass

    async def run_jobs(self) -> int:
        return await JobRunner(self.h.kernel).run_due()


@pytest.fixture
async def blog(blog_db, marcus_app_factory):
    async with marcus_app_factory(blog_db, worker=False) as harness:
        yield Blog(harness)
