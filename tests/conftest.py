"""Kernel test fixtures: the in-test example plugin and a database migrated with it."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import ModuleType

import pytest
import pytest_asyncio

from marcus.testing import TestDatabase

EXAMPLE = Path(__file__).parent / "example_plugin" / "plugin.py"


@pytest.fixture(scope="session")
def example_plugin() -> ModuleType:
    """The example plugin module (imported once: its models join the shared metadata)."""
    name = "marcus_tests_example_plugin"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, EXAMPLE)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest_asyncio.fixture(scope="session")
async def example_database(
    marcus_make_database: Callable[..., TestDatabase], example_plugin: ModuleType
) -> AsyncIterator[TestDatabase]:
    """A database migrated with the kernel and the example plugin."""
    database = marcus_make_database([example_plugin])
    yield database
    await database.dispose()


@pytest.fixture
def redis_url() -> str:
    """MARCUS_TEST_REDIS_URL; Redis tests skip without it, except in CI where they are required."""
    import os

    url = os.environ.get("MARCUS_TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("MARCUS_TEST_REDIS_URL must be set in CI: the multi-replica tests are required")
        pytest.skip("set MARCUS_TEST_REDIS_URL to run the multi-replica tests")
    return url
