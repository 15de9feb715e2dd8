"""FastAPI dependencies shared by the kernel and plugins, with ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from marcus.errors import NotFound
from marcus.kernel import Kernel
from marcus.logs import tenant_var
from marcus.tenancy.resolver import Tenant


async def get_kernel(request: Request) -> Kernel:
    """The kernel state of the app serving this request."""
    kernel: Kernel = request.app.state.kernel
    return kernel


KernelDep = Annotated[Kernel, Depends(get_kernel)]


async def get_tenant(request: Request, kernel: KernelDep) -> Tenant:
    """The workspace this request is for (Host, then X-Tenant, then the default); 404 if none."""
    tenant = await kernel.tenants.resolve(request.headers.get("host"), request.headers.get("x-tenant"))
    tenant_var.set(tenant.slug)
    return tenant


CurrentTenant = Annotated[Tenant, Depends(get_tenant)]


async def get_session(tenant: CurrentTenant, kernel: KernelDep) -> AsyncIterator[AsyncSession]:
    """One tenant-bound session per request; callers commit what they change."""
    async with kernel.db.tenant_session(tenant.id) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


def plugin_enabled(plugin: str) -> Callable[[Tenant], Coroutine[Any, Any, None]]:
    """A dependency answering 404 when the request's tenant has not enabled ``plugin``."""

    async def check(tenant: CurrentTenant) -> None:
        if not tenant.has_plugin(plugin):
            raise NotFound(f"'{plugin}' is not enabled for this workspace", code="plugin_not_enabled")

    return check
