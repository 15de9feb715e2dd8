"""``/api/v1/services``: the public catalogue and its administration.

Reading is public: anonymous callers and customers see active services only; holders of
``services.service:write`` see every status. Writing needs the write permissions (401
without a token, 403 without the permission). Prices leave as ``"120.00"`` plus the
workspace currency.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Query, Response, UploadFile
from fastapi.responses import StreamingResponse

import marcus
from marcus_services import service
from marcus_services.models import Category, Service
from marcus_services.permissions import CATEGORY_WRITE, SERVICE_WRITE
from marcus_services.schemas import (
    CategoryCreate,
    CategoryPage,
    CategoryRead,
    CategoryUpdate,
    ServiceCreate,
    ServicePage,
    ServiceRead,
    ServiceUpdate,
    Status,
)
from marcus_services.settings import ServicesSettings
from marcus_services.slugs import MAX_LENGTH, SLUG_PATTERN

router = APIRouter(tags=["services"], route_class=marcus.UploadRoute)
CanWrite = Annotated[marcus.Grant, marcus.require(SERVICE_WRITE)]
CanWriteCategories = Annotated[marcus.Grant, marcus.require(CATEGORY_WRITE)]
SlugPath = Annotated[str, Path(pattern=SLUG_PATTERN, max_length=MAX_LENGTH, description="The service's slug")]
Files = Annotated[marcus.TenantFiles, Depends(marcus.tenant_files("services"))]


@dataclass(frozen=True)
class Viewer:
    """Who reads the catalogue: ``manager`` also sees inactive and archived services."""

    manager: bool


async def get_viewer(
    principal: marcus.OptionalPrincipal, kernel: marcus.KernelDep, session: marcus.SessionDep
) -> Viewer:
    """Anonymous callers and customers are not managers; a token, when sent, must be valid."""
    if principal is None:
        return Viewer(manager=False)
    scope = await kernel.rbac.check(principal.org_id, principal.user_id, SERVICE_WRITE, session=session)
    return Viewer(manager=scope is not None)


ViewerDep = Annotated[Viewer, Depends(get_viewer)]


async def managed_service(
    service_id: uuid.UUID, _: CanWrite, tenant: marcus.CurrentTenant, session: marcus.SessionDep
) -> Service:
    """The service a manager acts on, whatever its status (404 when not in this workspace)."""
    return await service.get_service(session, org_id=tenant.id, service_id=service_id)


async def managed_category(
    category_id: uuid.UUID, _: CanWriteCategories, tenant: marcus.CurrentTenant, session: marcus.SessionDep
) -> Category:
    """The category a manager acts on (404 when not in this workspace)."""
    return await service.get_category(session, org_id=tenant.id, category_id=category_id)


ManagedService = Annotated[Service, Depends(managed_service)]
ManagedCategory = Annotated[Category, Depends(managed_category)]


def _read(row: Service, tenant: marcus.Tenant) -> ServiceRead:
    return ServiceRead.of(row, currency=marcus.workspace_settings(tenant).currency)


# --- categories (before /{slug}, which would otherwise match "categories") --------------------


@router.get("/categories", response_model=CategoryPage)
async def list_categories(
    tenant: marcus.CurrentTenant, session: marcus.SessionDep, paging: marcus.PageQuery
) -> marcus.Page[Category]:
    """List the workspace's service categories (public)."""
    return await service.list_categories(session, org_id=tenant.id, page=paging.page, limit=paging.limit)


@router.post("/categories", response_model=CategoryRead, status_code=201)
async def create_category(body: CategoryCreate, grant: CanWriteCategories, session: marcus.SessionDep) -> Category:
    """Create a category (its slug comes from the name unless given)."""
    principal = grant.principal
    return await service.create_category(session, org_id=principal.org_id, actor_id=principal.user_id, data=body)


@router.patch("/categories/{category_id}", response_model=CategoryRead)
async def update_category(
    body: CategoryUpdate, category: ManagedCategory, grant: CanWriteCategories, session: marcus.SessionDep
) -> Category:
    """Rename, describe, reorder or re-slug a category."""
    return await service.update_category(session, category=category, actor_id=grant.principal.user_id, data=body)


@router.delete("/categories/{category_id}", status_code=204, response_class=Response)
async def delete_category(category: ManagedCategory, grant: CanWriteCategories, session: marcus.SessionDep) -> None:
    """Delete a category no service uses (409 while one does)."""
    await service.delete_category(session, category=category, actor_id=grant.principal.user_id)


# --- services ---------------------------------------------------------------------------------


@router.get("", response_model=ServicePage)
async def list_services(
    viewer: ViewerDep,
    tenant: marcus.CurrentTenant,
    session: marcus.SessionDep,
    paging: marcus.PageQuery,
    q: Annotated[str | None, Query(max_length=100, description="Search name and description")] = None,
    category: Annotated[str | None, Query(pattern=SLUG_PATTERN, max_length=MAX_LENGTH, description="Slug")] = None,
    status: Annotated[Status | None, Query(description="Managers only; others see active services")] = None,
) -> ServicePage:
    """List the catalogue (search, category and status filters; paginated)."""
    statuses = service.visible_statuses(status, manager=viewer.manager)
    page = await service.list_services(
        session, org_id=tenant.id, statuses=statuses, q=q, category=category, page=paging.page, limit=paging.limit
    )
    items = [_read(row, tenant) for row in page.items]
    return ServicePage(items=items, page=page.page, limit=page.limit, total=page.total, pages=page.pages)


@router.post("", response_model=ServiceRead, status_code=201)
async def create_service(
    body: ServiceCreate, grant: CanWrite, tenant: marcus.CurrentTenant, session: marcus.SessionDep
) -> ServiceRead:
    """Add a service to the catalogue."""
    created = await service.create_service(session, org_id=tenant.id, actor_id=grant.principal.user_id, data=body)
    return _read(created, tenant)


@router.get("/{slug}", response_model=ServiceRead)
async def get_service(
    slug: SlugPath, viewer: ViewerDep, tenant: marcus.CurrentTenant, session: marcus.SessionDep
) -> ServiceRead:
    """Read one service by its slug (public: active services only)."""
    statuses = service.readable_statuses(manager=viewer.manager)
    found = await service.get_service(session, org_id=tenant.id, slug=slug, statuses=statuses)
    return _read(found, tenant)


@router.patch("/{service_id}", response_model=ServiceRead)
async def update_service(
    body: ServiceUpdate, row: ManagedService, grant: CanWrite, tenant: marcus.CurrentTenant, session: marcus.SessionDep
) -> ServiceRead:
    """Change a service; renaming keeps its slug unless ``regenerate_slug`` (or a new ``slug``) is sent."""
    updated = await service.update_service(session, service=row, actor_id=grant.principal.user_id, data=body)
    return _read(updated, tenant)


@router.post("/{service_id}/archive", response_model=ServiceRead)
async def archive_service(
    row: ManagedService, grant: CanWrite, tenant: marcus.CurrentTenant, session: marcus.SessionDep
) -> ServiceRead:
    """Archive a service: gone from the catalogue and from booking, kept for history."""
    return _read(await service.archive_service(session, service=row, actor_id=grant.principal.user_id), tenant)


@router.delete("/{service_id}", status_code=204, response_class=Response)
async def delete_service(row: ManagedService, grant: CanWrite, session: marcus.SessionDep) -> None:
    """Delete a service (409 while appointments or other records refer to it: archive it instead)."""
    await service.delete_service(session, service=row, actor_id=grant.principal.user_id)


@router.put("/{service_id}/image", response_model=ServiceRead)
async def upload_service_image(
    file: Annotated[UploadFile, File(description="PNG, JPEG or WebP")],
    row: ManagedService,
    grant: CanWrite,
    tenant: marcus.CurrentTenant,
    session: marcus.SessionDep,
    files: Files,
) -> ServiceRead:
    """Upload the service's image (PNG, JPEG or WebP; size-limited per workspace)."""
    limit = ServicesSettings.of(tenant.plugins).image_max_bytes
    updated = await service.replace_image(
        session, files, service=row, actor_id=grant.principal.user_id, upload=file, max_bytes=limit
    )
    return _read(updated, tenant)


@router.delete("/{service_id}/image", response_model=ServiceRead)
async def delete_service_image(
    row: ManagedService,
    grant: CanWrite,
    tenant: marcus.CurrentTenant,
    session: marcus.SessionDep,
    files: Files,
) -> ServiceRead:
    """Remove the service's image."""
    updated = await service.replace_image(session, files, service=row, actor_id=grant.principal.user_id, upload=None)
    return _read(updated, tenant)


@router.get("/{service_id}/image", response_class=StreamingResponse, responses=marcus.image_responses())
async def get_service_image(
    service_id: uuid.UUID,
    viewer: ViewerDep,
    tenant: marcus.CurrentTenant,
    session: marcus.SessionDep,
    files: Files,
) -> StreamingResponse:
    """The service's image (public for active services)."""
    statuses = service.readable_statuses(manager=viewer.manager)
    found = await service.get_service(session, org_id=tenant.id, service_id=service_id, statuses=statuses)
    return marcus.image_response(await service.open_service_image(files, service=found))
