"""``/service`` (seed §3.9, rows 59-63) on the services plugin.

Mapping: the seed's ``category`` (``Consulting`` / ``Training``) is the workspace category with
that name's slug; ``status`` ``Active`` / ``Inactive`` (``Archived`` too). The seed's services
had no price or duration, which Marcus needs for bookings: ``price`` (default ``0.00``) and
``durationMinutes`` (default 60) are optional extra fields. Differences: no author row in the
output (§9.6), a renamed service keeps its slug, not-found is 404, a service still booked is 409.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, Query, Request, status
from fastapi.responses import JSONResponse
from marcus_services import service
from marcus_services.permissions import SERVICE_WRITE
from marcus_services.schemas import ServiceCreate, ServiceUpdate
from marcus_services.settings import ServicesSettings
from pydantic import Field

import marcus
from marcus_compat.envelope import CompatModel, CompatRouter, SeedPage, ok, paginated, pascal, request_fields, validate

router = CompatRouter(prefix="/service")
CanWrite = Annotated[marcus.Grant, marcus.require(SERVICE_WRITE)]
Files = Annotated[marcus.TenantFiles, Depends(marcus.tenant_files("services"))]
DEFAULT_PRICE, DEFAULT_DURATION = Decimal("0.00"), 60


class ServiceIn(CompatModel):
    name: Annotated[str, Field(min_length=1)]
    description: Annotated[str, Field(min_length=1)]
    category: Annotated[str, Field(min_length=1, max_length=100)]
    status: Annotated[str, Field(pattern="^(?i:active|inactive)$")] = "Active"
    price: Decimal = DEFAULT_PRICE
    duration_minutes: int = DEFAULT_DURATION


class ServiceUpdateIn(CompatModel):
    name: Annotated[str, Field(min_length=1)] | None = None
    description: Annotated[str, Field(min_length=1)] | None = None
    category: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    price: Decimal | None = None
    duration_minutes: int | None = None


def seed_service(row: Any, tenant: marcus.Tenant) -> dict[str, Any]:
    """The seed's service object (plus price, currency and duration)."""
    return {
        "id": row.id,
        "name": row.name,
        "slug": row.slug,
        "description": row.description,
        "category": row.category.name if row.category else None,
        "status": pascal(row.status),
        "image": f"/api/v1/services/{row.id}/image" if row.image_key else None,
        "price": f"{row.price:.2f}",
        "currency": marcus.workspace_settings(tenant).currency,
        "duration_minutes": row.duration_minutes,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


async def _manager(request: Request, principal: Any, session: Any) -> bool:
    if principal is None:
        return False
    kernel: marcus.Kernel = request.app.state.kernel
    return await kernel.rbac.check(principal.org_id, principal.user_id, SERVICE_WRITE, session=session) is not None


async def _category_id(session: Any, tenant: marcus.Tenant, name: str) -> uuid.UUID:
    page = await service.list_categories(session, org_id=tenant.id, page=1, limit=100)
    for category in page.items:
        if name.strip().lower() in (category.name.lower(), category.slug):
            return category.id
    raise marcus.Invalid(
        f"Unknown category '{name}'.", code="unknown_category", errors=[{"field": "category", "message": "unknown"}]
    )


def _one_file(uploads: list[Any], *, required: bool) -> Any:
    if len(uploads) > 1:
        raise marcus.Invalid(
            "Send one image.", code="too_many_files", errors=[{"field": "file", "message": "one image"}]
        )
    if required and not uploads:
        raise marcus.Invalid(
            "File is required", code="validation_error", errors=[{"field": "file", "message": "required"}]
        )
    return uploads[0] if uploads else None


@router.get("", summary="The service catalogue")
async def list_services(
    request: Request,
    principal: marcus.OptionalPrincipal,
    session: marcus.SessionDep,
    tenant: marcus.CurrentTenant,
    paging: SeedPage,
    search_term: Annotated[str | None, Query(alias="searchTerm", max_length=100)] = None,
    category: Annotated[str | None, Query(max_length=100)] = None,
    status_: Annotated[str | None, Query(alias="status", pattern="^(?i:active|inactive|archived)$")] = None,
) -> JSONResponse:
    """Active services (admins: any status they ask for), by name; ``searchTerm``, ``category``, ``status``."""
    manager = await _manager(request, principal, session)
    statuses = service.visible_statuses(status_.lower() if status_ else None, manager=manager)
    page = await service.list_services(
        session,
        org_id=tenant.id,
        statuses=statuses,
        q=search_term or None,
        category=category.strip().lower() if category else None,
        page=paging.page,
        limit=paging.limit,
    )
    items = [seed_service(row, tenant) for row in page.items]
    return paginated(
        items, page=paging.page, limit=paging.limit, total=page.total, message="Services Retrieved Successfully"
    )


@router.get("/{slug}", summary="One service by slug")
async def get_service(
    slug: str,
    request: Request,
    principal: marcus.OptionalPrincipal,
    session: marcus.SessionDep,
    tenant: marcus.CurrentTenant,
) -> JSONResponse:
    """A service by its slug (the public: active ones); 404 otherwise."""
    statuses = service.readable_statuses(manager=await _manager(request, principal, session))
    row = await service.get_service(session, org_id=tenant.id, slug=slug, statuses=statuses)
    return ok(seed_service(row, tenant), "Service Retrieved Successfully")


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a service (multipart data + file)")
async def create_service(
    request: Request, grant: CanWrite, session: marcus.SessionDep, tenant: marcus.CurrentTenant, files: Files
) -> JSONResponse:
    """Add a service with its image."""
    fields, uploads, _ = await request_fields(request, file_fields=("file",))
    upload = _one_file(uploads, required=True)
    data = validate(ServiceIn, fields)
    values = {
        "name": data.name,
        "description": data.description,
        "category_id": await _category_id(session, tenant, data.category),
        "status": data.status.lower(),
        "price": data.price,
        "duration_minutes": data.duration_minutes,
    }
    created = await service.create_service(
        session, org_id=tenant.id, actor_id=grant.principal.user_id, data=validate(ServiceCreate, values)
    )
    limit = ServicesSettings.of(tenant.plugins).image_max_bytes
    try:
        created = await service.replace_image(
            session, files, service=created, actor_id=grant.principal.user_id, upload=upload, max_bytes=limit
        )
    except Exception:
        await service.delete_service(session, service=created, actor_id=grant.principal.user_id)
        raise
    return ok(seed_service(created, tenant), "Service Created Successfully", 201)


@router.patch("/update-service/{service_id}", summary="Edit a service (multipart data and/or file)")
async def update_service(
    service_id: uuid.UUID,
    request: Request,
    grant: CanWrite,
    session: marcus.SessionDep,
    tenant: marcus.CurrentTenant,
    files: Files,
) -> JSONResponse:
    """Change name, description, category, price or duration, and/or the image."""
    fields, uploads, _ = await request_fields(request, file_fields=("file",))
    upload = _one_file(uploads, required=False)
    if not fields and upload is None:
        raise marcus.Invalid("No update data provided", code="empty_update")
    data = validate(ServiceUpdateIn, fields)
    row = await service.get_service(session, org_id=tenant.id, service_id=service_id)
    changes: dict[str, Any] = data.model_dump(exclude_none=True, exclude={"category"})
    if data.category is not None:
        changes["category_id"] = await _category_id(session, tenant, data.category)
    if changes:
        row = await service.update_service(
            session, service=row, actor_id=grant.principal.user_id, data=validate(ServiceUpdate, changes)
        )
    if upload is not None:
        limit = ServicesSettings.of(tenant.plugins).image_max_bytes
        row = await service.replace_image(
            session, files, service=row, actor_id=grant.principal.user_id, upload=upload, max_bytes=limit
        )
    return ok(seed_service(row, tenant), "Service Updated Successfully")


@router.delete("/{slug}", summary="Delete a service (admin)")
async def delete_service(
    slug: str, grant: CanWrite, session: marcus.SessionDep, tenant: marcus.CurrentTenant
) -> JSONResponse:
    """Delete a service nothing refers to (409 while appointments do: archive it instead)."""
    row = await service.get_service(session, org_id=tenant.id, slug=slug)
    await service.delete_service(session, service=row, actor_id=grant.principal.user_id)
    return ok(None, "Service Deleted Successfully")
