"""Portal pages of the catalogue (mounted by the kernel through ``register_pages``).

Public: the catalogue (search, category filter) and a service's page. Staff with
``services.service:write``: creating and editing services, archiving them. Every page calls
the same service functions as the API; managers also see inactive services.
"""

from __future__ import annotations

import pathlib
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

import marcus
from marcus_services import service
from marcus_services.models import ACTIVE, STATUSES, Service
from marcus_services.permissions import SERVICE_WRITE
from marcus_services.schemas import ServiceCreate, ServiceRead, ServiceUpdate
from marcus_services.slugs import MAX_LENGTH, SLUG_PATTERN

router = APIRouter(prefix="/services")
CanWrite = Annotated[marcus.Grant, marcus.page_require(SERVICE_WRITE)]
FIELDS = ("name", "description", "category_id", "status", "price", "duration_minutes", "slug")
PER_PAGE = 24
BOOKING_PERMISSION = "appointments.appointment:create"  # declared by the appointments plugin


def _read(row: Service, tenant: marcus.Tenant) -> ServiceRead:
    return ServiceRead.of(row, currency=marcus.workspace_settings(tenant).currency)


@router.get("", response_class=HTMLResponse)
async def catalogue(
    request: Request,
    page: marcus.PageDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
    category: Annotated[str | None, Query(max_length=MAX_LENGTH)] = None,
    number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    """The catalogue: active services (managers also inactive ones), searchable."""
    manager = await page.visitor.can(SERVICE_WRITE)
    found = await service.list_services(
        page.db,
        org_id=page.workspace.id,
        statuses=service.visible_statuses(None, manager=manager),
        q=q or None,
        category=category or None,
        page=number,
        limit=PER_PAGE,
    )
    categories = await service.list_categories(page.db, org_id=page.workspace.id, page=1, limit=100)
    values = {
        "services": [_read(row, page.workspace) for row in found.items],
        "paging": found,
        "categories": categories.items,
        "query": {"q": q or "", "category": category or ""},
        "manager": manager,
    }
    return await marcus.render(request, "services/catalogue.html", values)


@router.get("/manage/new", response_class=HTMLResponse)
async def new_service(request: Request, page: marcus.PageDep, _: CanWrite) -> HTMLResponse:
    """The form for a new service."""
    return await _edit_page(request, page, None, {"status": ACTIVE, "duration_minutes": "60"})


@router.post("/manage/new", response_class=HTMLResponse)
async def create_service(request: Request, page: marcus.PageDep, grant: CanWrite) -> Response:
    """Add a service to the catalogue."""
    submitted = marcus.form_values(await request.form())
    data, errors = marcus.parse_form(ServiceCreate, submitted, fields=FIELDS)
    if data is None:
        return await _edit_page(request, page, None, submitted, errors)
    try:
        row = await service.create_service(
            page.db, org_id=page.workspace.id, actor_id=grant.principal.user_id, data=data
        )
    except marcus.MarcusError as exc:
        return await _edit_page(request, page, None, submitted, marcus.FormErrors.of_error(exc), exc.status)
    return marcus.redirect(request, f"/services/{row.slug}", notice=f"{row.name} is in the catalogue.")


@router.get("/manage/{service_id}", response_class=HTMLResponse)
async def edit_service(request: Request, service_id: uuid.UUID, page: marcus.PageDep, _: CanWrite) -> HTMLResponse:
    """The form to change a service."""
    row = await service.get_service(page.db, org_id=page.workspace.id, service_id=service_id)
    values = {name: getattr(row, name) for name in FIELDS}
    return await _edit_page(request, page, row, {k: "" if v is None else str(v) for k, v in values.items()})


@router.post("/manage/{service_id}", response_class=HTMLResponse)
async def update_service(request: Request, service_id: uuid.UUID, page: marcus.PageDep, grant: CanWrite) -> Response:
    """Save changes to a service (its slug stays unless a new one is typed)."""
    row = await service.get_service(page.db, org_id=page.workspace.id, service_id=service_id)
    submitted = marcus.form_values(await request.form())
    values: dict[str, Any] = {k: v for k, v in submitted.items() if k in FIELDS and v != ""}
    values["category_id"] = submitted.get("category_id") or None  # an emptied select removes the category
    if values.get("slug") == row.slug:
        del values["slug"]
    data, errors = marcus.parse_form(ServiceUpdate, values)
    if data is None:
        return await _edit_page(request, page, row, submitted, errors)
    try:
        row = await service.update_service(page.db, service=row, actor_id=grant.principal.user_id, data=data)
    except marcus.MarcusError as exc:
        return await _edit_page(request, page, row, submitted, marcus.FormErrors.of_error(exc), exc.status)
    return marcus.redirect(request, f"/services/{row.slug}", notice="Saved.")


@router.post("/manage/{service_id}/archive")
async def archive_service(request: Request, service_id: uuid.UUID, page: marcus.PageDep, grant: CanWrite) -> Response:
    """Archive a service: gone from the catalogue, kept for history."""
    row = await service.get_service(page.db, org_id=page.workspace.id, service_id=service_id)
    await service.archive_service(page.db, service=row, actor_id=grant.principal.user_id)
    return marcus.redirect(request, "/services", notice=f"{row.name} is archived.")


async def _can_book(page: marcus.PageState) -> bool:
    """Whether to offer "Book a time": the appointments plugin (when the workspace has it) books
    at /appointments/book/<service id>; a visitor who is not signed in is asked to sign in there,
    a signed-in one without the booking permission (staff) would be refused."""
    if not page.workspace.has_plugin("appointments"):
        return False
    return not page.visitor.signed_in or await page.visitor.can(BOOKING_PERMISSION)


@router.get("/{slug}", response_class=HTMLResponse)
async def service_page(
    request: Request,
    slug: Annotated[str, Path(pattern=SLUG_PATTERN, max_length=MAX_LENGTH)],
    page: marcus.PageDep,
) -> HTMLResponse:
    """One service: description, duration and price."""
    manager = await page.visitor.can(SERVICE_WRITE)
    row = await service.get_service(
        page.db, org_id=page.workspace.id, slug=slug, statuses=service.readable_statuses(manager=manager)
    )
    bookable = row.status == "active" and await _can_book(page)
    return await marcus.render(
        request,
        "services/detail.html",
        {"service": _read(row, page.workspace), "manager": manager, "bookable": bookable},
    )


async def _edit_page(
    request: Request,
    page: marcus.PageState,
    row: Service | None,
    form: dict[str, Any],
    errors: marcus.FormErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    categories = await service.list_categories(page.db, org_id=page.workspace.id, page=1, limit=100)
    values = {
        "service": row,
        "form": form,
        "errors": errors or marcus.FormErrors(),
        "categories": [("", "No category"), *((str(c.id), c.name) for c in categories.items)],
        "statuses": list(STATUSES),
        "currency": marcus.workspace_settings(page.workspace).currency,
    }
    code = 422 if errors and status == 200 else status
    return await marcus.render(request, "services/edit.html", values, status_code=code)


def pageset() -> marcus.PageSet:
    """What ``register_pages`` returns: the router, the templates folder, the menu entry."""
    return marcus.PageSet(
        router=router,
        templates=pathlib.Path(__file__).parent / "templates",
        menu=(marcus.MenuEntry(label="Services", path="/services"),),
    )
