"""Test helpers for Marcus and for third-party plugins, loaded by pytest as the ``marcus``
plugin (``pytest11`` entry point).

Parts: ``plugin`` (fixtures: a PostgreSQL server, fresh migrated databases, apps and HTTP
clients with chosen plugins, tenants), ``factories`` (factory-boy factories), ``catalog``
(the schema checks every plugin's tables must pass) and ``harness`` (the app + client pair).
"""

from marcus.testing.catalog import rls_problems, sharding_problems
from marcus.testing.factories import OrganizationFactory
from marcus.testing.harness import Harness, TestDatabase, make_plugin
from marcus.testing.mailbox import Mail, Mailbox

__all__ = [
    "Harness",
    "Mail",
    "Mailbox",
    "OrganizationFactory",
    "TestDatabase",
    "make_plugin",
    "rls_problems",
    "sharding_problems",
]
