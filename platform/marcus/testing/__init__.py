"""Test helpers for Marcus and for third-party plugins, loaded by pytest as the ``marcus``
plugin (``pytest11`` entry point).

Parts: ``plugin`` (fixtures: a PostgreSQL server, fresh migrated databases, apps and HTTP
clients with chosen plugins, tenants), ``factories`` (factory-boy factories), ``catalog``
(the schema checks every plugin's tables must pass), ``harness`` (the app + client pair),
``users`` (signed-in users), ``portal`` (``portal_client(h, org)`` and ``signed_in(h, org,
user)``: a client of the portal's pages that submits forms with their CSRF token),
``server`` (a real uvicorn server), ``processes`` (``marcus`` commands as subprocesses),
``outage`` (a private PostgreSQL and Redis a test may stop) and ``mailbox`` (sent mail);
``relay_for(kernel).run_once()`` delivers committed events on demand; ``run_demo(kernel,
slug=...)`` runs ``marcus demo`` on a workspace (to test a plugin's ``demo_data``).
"""

from marcus.demo import run_demo
from marcus.jobs import JobRunner
from marcus.testing.catalog import rls_problems, sharding_problems
from marcus.testing.factories import OrganizationFactory
from marcus.testing.harness import Harness, TestDatabase, make_plugin
from marcus.testing.mailbox import Mail, Mailbox
from marcus.testing.portal import PortalClient, portal_client, signed_in
from marcus.testing.users import TestUser, create_user
from marcus.worker import relay_for

__all__ = [
    "Harness",
    "JobRunner",
    "Mail",
    "Mailbox",
    "OrganizationFactory",
    "PortalClient",
    "TestDatabase",
    "TestUser",
    "create_user",
    "make_plugin",
    "portal_client",
    "relay_for",
    "rls_problems",
    "run_demo",
    "sharding_problems",
    "signed_in",
]
