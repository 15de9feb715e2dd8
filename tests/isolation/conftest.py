"""Fixtures of the tenant-isolation matrix: one app with every installed plugin, and three
seeded workspaces on it — A (the victim: its rows carry the markers the matrix looks for),
B (the attacker workspace: its admin and its tokens) and C (the sandbox where the write
controls run, so A stays untouched).

The route table (``routes.py``), the case generator (``matrix.py``) and the seeding
(``seed.py``) are sibling modules loaded by path (test modules cannot import each other under ``--import-mode=importlib``); cases are
generated from the app's OpenAPI schema at collection time (``pytest_generate_tests``).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from marcus.plugins import discover
from marcus.testing import create_user
from marcus.testing.harness import create_tenant, running_app

HERE = Path(__file__).parent


def _load(name: str) -> ModuleType:
    """Import ``tests/isolation/<name>.py`` once, as ``marcus_isolation_<name>``."""
    module_name = f"marcus_isolation_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, HERE / f"{name}.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]


seed = _load("seed")
routes = _load("routes")  # before matrix, which imports it
matrix = _load("matrix")

# The matrix runs with permission decisions cached (as in production; the policy does not
# change during the run) and without rate limits (hundreds of denied requests are the point).
APP_SETTINGS = {"worker": False, "tenant_cache_ttl": 5.0, "rate_limit_enabled": False}


@dataclass
class World:
    """The running app, the database, the three workspaces and the tenant tables."""

    h: Any
    database: Any
    a: Any
    b: Any
    c: Any
    tables: list[str]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``case`` with every (operation, role) of the matrix built from the schema."""
    if "case" in metafunc.fixturenames:
        kind = metafunc.definition.get_closest_marker("matrix_kind")
        wanted = kind.args[0] if kind else "read"
        cases = [c for c in matrix.cases(matrix.openapi()) if c.kind == wanted]
        metafunc.parametrize("case", cases, ids=[c.id for c in cases])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "matrix_kind(kind): which cases of the isolation matrix a test takes")


async def _workspace(database: Any, tag: str) -> Any:
    """A workspace with every installed plugin enabled, a custom domain and one user per role."""
    plugins = [name for name, _ in discover()]
    org = await create_tenant(database, plugins=plugins, domains=[f"{seed.marker(tag, 'dom')}.test"])
    people = {}
    for name, role in (
        ("owner", "owner"),
        ("admin", "admin"),
        ("staff", "staff"),
        ("alice", "customer"),
        ("bob", "customer"),
    ):
        email = f"{seed.marker(tag, name)}@example.com"
        people[name] = await create_user(database, org, role=role, email=email, first_name=name.title())
    return seed.Workspace(tag=tag, org=org, **people)


async def _objects(database: Any, ws: Any) -> None:
    """Ids the routes take that the seeding steps do not return (people, the mail message, the host)."""
    from sqlalchemy import text

    ws.objects |= {f"{name}_id": str(getattr(ws, name).id) for name in ("owner", "admin", "staff", "alice", "bob")}
    async with database.db.platform_session() as session:
        found = await session.execute(
            text("SELECT id::text FROM mail_messages WHERE organization_id = :o LIMIT 1"), {"o": ws.org.id}
        )
        ws.objects["message_id"] = found.scalar_one()
        domain = await session.execute(
            text("SELECT domain FROM organization_domains WHERE organization_id = :o LIMIT 1"), {"o": ws.org.id}
        )
        ws.objects["domain"] = domain.scalar_one()


@pytest.fixture(scope="session")
async def world(marcus_database: Any) -> AsyncIterator[World]:
    """The app on ``marcus_database`` with workspaces A, B and C seeded through the API."""
    async with running_app(marcus_database, **APP_SETTINGS) as h:
        tables = await seed.tenant_tables(marcus_database)
        spaces = [await _workspace(marcus_database, tag) for tag in ("a", "b", "c")]
        for ws in spaces:
            await seed.Seeder(h, ws).run()
            await _objects(marcus_database, ws)
            await seed.collect_markers(marcus_database, ws, tables)
        yield World(h, marcus_database, *spaces, tables)


@pytest.fixture(name="matrix", scope="session")
def matrix_fixture() -> ModuleType:
    """The route table and case generator (``matrix.py``)."""
    return matrix


@pytest.fixture(name="routes", scope="session")
def routes_fixture() -> ModuleType:
    """The route table (``routes.py``)."""
    return routes


@pytest.fixture(name="seed", scope="session")
def seed_fixture() -> ModuleType:
    """The seeding steps, the fixture table and the digests (``seed.py``)."""
    return seed
