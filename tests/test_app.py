"""The app shell: health, readiness, problem details, request ids, settings and role safety."""

from __future__ import annotations

import pytest
from fastapi import APIRouter
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import create_async_engine

import marcus
from marcus.app import UnsafeDatabaseRole
from marcus.config import Settings
from marcus.testing import make_plugin


async def test_healthz_and_readyz(marcus_client):
    assert (await marcus_client.get("/healthz")).json() == {"status": "ok"}
    ready = await marcus_client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}


async def test_readyz_is_503_while_the_database_is_unreachable(marcus_app):
    real = marcus_app.kernel.db.app_engine
    marcus_app.kernel.db.app_engine = create_async_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        response = await marcus_app.client.get("/readyz")
    finally:
        await marcus_app.kernel.db.app_engine.dispose()
        marcus_app.kernel.db.app_engine = real
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert "127.0.0.1" not in response.text


async def test_openapi_lists_routes_with_summaries(example_database, marcus_app_factory):
    async with marcus_app_factory(example_database) as h:
        schema = (await h.client.get("/openapi.json")).json()
        docs = await h.client.get("/docs")
    assert docs.status_code == 200
    assert "/healthz" in schema["paths"]
    project = schema["paths"]["/api/v1/example/projects"]["post"]
    assert project["description"] == "Create a project."
    assert "ProjectRead" in str(project["responses"]["201"])


async def test_unknown_route_and_method_are_problems(marcus_client):
    missing = await marcus_client.get("/no/such/thing")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert set(missing.json()) >= {"type", "title", "status", "detail", "code"}
    wrong = await marcus_client.delete("/healthz")
    assert wrong.status_code == 405
    assert wrong.json()["code"] == "method_not_allowed"


async def test_request_id_is_echoed_or_made(marcus_client):
    given = await marcus_client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await marcus_client.get("/healthz")
    assert len(made.headers["x-request-id"]) == 32
    problem = await marcus_client.get("/nowhere", headers={"X-Request-ID": "trace-me"})
    assert problem.json()["request_id"] == "trace-me"


async def test_unexpected_errors_are_500_problems_without_internals(example_database, marcus_app_factory):
    router = APIRouter()

    @router.get("/boom")
    async def boom() -> dict[str, str]:
        """Fail."""
        raise RuntimeError("secret password=hunter2 in SELECT * FROM users")

    plugin = make_plugin(marcus.PluginManifest(name="boom", version="1"), register_routers=lambda: router)
    async with marcus_app_factory(example_database, plugins=[plugin]) as h:
        # The plugin is installed but enabled nowhere: 404 before the handler runs.
        assert (await h.client.get("/api/v1/boom/boom")).status_code == 404
        h.kernel.tenants.invalidate()
        async with h.kernel.db.platform_session() as session, session.begin():
            from sqlalchemy import select

            from marcus.tenancy import service
            from marcus.tenancy.models import Organization

            org = await session.scalar(select(Organization).where(Organization.slug == "default"))
            if org is None:
                org = await service.create_organization(session, h.kernel.plugins, slug="default", name="Default")
            await service.bind(session, org.id)
            await service.set_plugins(session, h.kernel.plugins, org, {"boom": {}})
        response = await h.client.get("/api/v1/boom/boom", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    assert response.json()["request_id"] == response.headers["x-request-id"]
    body = response.json()
    assert body["code"] == "internal_error"
    assert "hunter2" not in response.text
    assert "SELECT" not in response.text


async def test_serving_as_an_unsafe_role_is_refused(example_database, marcus_app_factory):
    with pytest.raises(UnsafeDatabaseRole, match="superuser"):
        async with marcus_app_factory(example_database, app_database_url=example_database.admin_url):
            pass


def test_settings_refuse_placeholder_secret_in_prod(monkeypatch):
    monkeypatch.setenv("MARCUS_ENV", "prod")
    with pytest.raises(ValidationError, match="MARCUS_SECRET_KEY"):
        Settings()
    monkeypatch.setenv("MARCUS_SECRET_KEY", "a-real-secret-of-enough-length-0123456789")
    assert Settings().env == "prod"


def test_settings_refuse_wildcard_cors(monkeypatch):
    monkeypatch.setenv("MARCUS_CORS_ORIGINS", '["*"]')
    with pytest.raises(ValidationError, match="CORS"):
        Settings()


async def test_only_the_owner_records_migrations(marcus_database):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    async with marcus_database.db.app_engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM alembic_version"))).scalar() >= 1
        with pytest.raises(DBAPIError, match="permission denied"):
            await conn.execute(text("DELETE FROM alembic_version"))
