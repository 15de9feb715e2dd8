"""FastAPI dependencies shared by the kernel and plugins, with ``Annotated`` aliases.

The kernel's own dependencies reach the kernel with ``kernel_of(request)`` instead of taking
``KernelDep``: FastAPI walks a shared sub-dependency's whole sub-tree again at every place it
is declared (its cache only saves the call), so each extra edge here is paid on every request
of every route (docs/decisions.md §30).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from marcus.errors import NotFound
from marcus.kernel import Kernel
from marcus.logs import tenant_var
from marcus.tenancy.resolver import Tenant


def kernel_of(request: Request) -> Kernel:
    """The kernel state of the app serving this request (a plain function, not a dependency)."""
    kernel: Kernel = request.app.state.kernel
    return kernel


async def get_kernel(request: Request) -> Kernel:
    """The kernel state of the app serving this request."""
    return kernel_of(request)


KernelDep = Annotated[Kernel, Depends(get_kernel)]


async def get_tenant(request: Request) -> Tenant:
    """The workspace this request is for (Host, then X-Tenant, then the default); 404 if none."""
    tenant = await kernel_of(request).tenants.resolve(request.headers.get("host"), request.headers.get("x-tenant"))
    tenant_var.set(tenant.slug)
    return tenant


CurrentTenant = Annotated[Tenant, Depends(get_tenant)]


async def get_session(request: Request, tenant: CurrentTenant) -> AsyncIterator[AsyncSession]:
    """One tenant-bound session per request; callers commit what they change."""
    async with kernel_of(request).db.tenant_session(tenant.id) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


def plugin_enabled(plugin: str) -> Callable[[Tenant], Coroutine[Any, Any, None]]:
    """A dependency answering 404 when the request's tenant has not enabled ``plugin``."""

    async def check(tenant: CurrentTenant) -> None:
        if not tenant.has_plugin(plugin):
            raise NotFound(f"'{plugin}' is not enabled for this workspace", code="plugin_not_enabled")

    return check
