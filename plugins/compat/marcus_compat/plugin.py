"""Entry point of the compat plugin: mounts the seed's routes at their original root paths
(``register_root_routers``) for workspaces that enable it. The plugin has no tables of its own:
every route calls the kernel's or a feature plugin's services."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

import marcus
from marcus_compat import (
    appointments,
    blog,
    catalogue,
    documents,
    feed,
    invoices,
    root,
    schedule,
    support,
    users,
    workspace,
)

manifest = marcus.PluginManifest(
    name="compat",
    version="1.0.0",
    description="The single-business backend's API (seed-api.md) at its original paths, for existing clients",
    depends_on=("services", "blog", "documents", "appointments", "invoices"),
    requires_kernel=">=1.1,<2",
)


@marcus.hookimpl
def register_root_routers() -> Sequence[APIRouter]:
    return [
        root.router,
        users.router,
        support.router,
        schedule.router,
        appointments.router,
        feed.router,
        blog.router,
        documents.router,
        invoices.router,
        catalogue.router,
        workspace.router,
    ]
