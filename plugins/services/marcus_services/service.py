"""Catalogue operations: keyword-only, tenant explicit, raising domain errors; each write
publishes its event and commits.

``get_bookable_service`` is the interface the appointments plugin books against.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from fastapi import UploadFile
from sqlalchemy import false, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

import marcus
from marcus_services.events import (
    CategoryCreated,
    CategoryDeleted,
    CategoryUpdated,
    ServiceArchived,
    ServiceCreated,
    ServiceDeleted,
    ServiceImageChanged,
    ServiceUpdated,
)
from marcus_services.models import ACTIVE, ARCHIVED, INACTIVE, STATUSES, Category, Service
from marcus_services.schemas import CategoryCreate, CategoryUpdate, ServiceCreate, ServiceUpdate
from marcus_services.slugs import free_slug, lock_slugs, slug_taken, slugify

DEFAULT_CATEGORIES = ("Consulting", "Training")  # the seed's fixed categories, as starting data


# --- the booking interface -------------------------------------------------------------------


async def get_bookable_service(session: AsyncSession, *, org_id: uuid.UUID, service_id: uuid.UUID) -> Service:
    """The service to book: ``NotFound`` when the workspace has none with this id,
    ``Conflict`` when it exists but is not active (inactive or archived)."""
    service = await session.scalar(select(Service).where(Service.organization_id == org_id, Service.id == service_id))
    if service is None:
        raise marcus.NotFound(
            "No such service.", code="service_not_found", errors=[{"field": "service_id", "message": "not found"}]
        )
    if service.status != ACTIVE:
        raise marcus.Conflict(
            f"The service '{service.name}' is {service.status} and cannot be booked.",
            code="service_not_bookable",
            errors=[{"field": "service_id", "message": f"service is {service.status}"}],
        )
    return service


# --- reading ---------------------------------------------------------------------------------


def visible_statuses(status: str | None, *, manager: bool) -> list[str]:
    """The statuses a caller sees: managers any they ask for (default: not archived), everyone
    else active services only (asking for another status gives an empty list)."""
    wanted = [status] if status else ([ACTIVE, INACTIVE] if manager else [ACTIVE])
    return wanted if manager else [s for s in wanted if s == ACTIVE]


def readable_statuses(*, manager: bool) -> Sequence[str]:
    """The statuses of a single service a caller may open: managers all, everyone else active."""
    return STATUSES if manager else (ACTIVE,)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_services(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    statuses: Sequence[str],
    q: str | None = None,
    category: str | None = None,
    page: int,
    limit: int,
) -> marcus.Page[Service]:
    """One page of services by name; ``q`` searches name and description (case-insensitive),
    ``category`` is a category slug."""
    query = (
        select(Service)
        .options(joinedload(Service.category))
        .where(Service.organization_id == org_id, Service.status.in_(statuses) if statuses else false())
    )
    if q:
        pattern = f"%{_escape_like(q)}%"
        query = query.where(
            or_(Service.name.ilike(pattern, escape="\\"), Service.description.ilike(pattern, escape="\\"))
        )
    if category:
        wanted = select(Category.id).where(Category.organization_id == org_id, Category.slug == category)
        query = query.where(Service.category_id == wanted.scalar_subquery())
    return await marcus.paginate(session, query.order_by(Service.name, Service.id), page=page, limit=limit)


async def get_service(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    service_id: uuid.UUID | None = None,
    slug: str | None = None,
    statuses: Sequence[str] = STATUSES,
) -> Service:
    """One service (with its category) by id or slug among ``statuses``; 404 otherwise."""
    query = select(Service).options(joinedload(Service.category)).where(Service.organization_id == org_id)
    query = query.where(Service.id == service_id) if service_id else query.where(Service.slug == slug)
    service = await session.scalar(query.where(Service.status.in_(statuses)) if statuses else query.where(false()))
    if service is None:
        raise marcus.NotFound("No such service.", code="service_not_found")
    return service


async def _reload(session: AsyncSession, service: Service) -> Service:
    """The row as stored (server-set times, category), in the same transaction."""
    query = (
        select(Service)
        .options(joinedload(Service.category))
        .where(Service.organization_id == service.organization_id, Service.id == service.id)
        .execution_options(populate_existing=True)
    )
    loaded = await session.scalar(query)
    assert loaded is not None
    return loaded


async def _flush(session: AsyncSession, conflict: marcus.Conflict) -> None:
    """Flush; a unique or foreign key violation (a race the checks could not see) becomes ``conflict``."""
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise conflict from exc


# --- writing services ------------------------------------------------------------------------


async def _check_category(session: AsyncSession, *, org_id: uuid.UUID, category_id: uuid.UUID | None) -> None:
    if category_id is None:
        return
    found = await session.scalar(
        select(Category.id).where(Category.organization_id == org_id, Category.id == category_id)
    )
    if found is None:
        raise marcus.Invalid(
            "No such category in this workspace.",
            code="unknown_category",
            errors=[{"field": "category_id", "message": "no such category"}],
        )


def _slug_conflict(slug: str) -> marcus.Conflict:
    return marcus.Conflict(
        f"The slug '{slug}' is already used (or reserved) in this workspace.",
        code="slug_taken",
        errors=[{"field": "slug", "message": "already used"}],
    )


async def _service_slug(
    session: AsyncSession, *, org_id: uuid.UUID, wanted: str | None, name: str, exclude_id: uuid.UUID | None = None
) -> str:
    """The admin's slug if free (409 if not), else one made from the name with a free suffix."""
    await lock_slugs(session, org_id=org_id, table=Service.__tablename__)
    if wanted is None:
        base = slugify(name, fallback="service")
        return await free_slug(session, Service, org_id=org_id, base=base, exclude_id=exclude_id)
    if await slug_taken(session, Service, org_id=org_id, slug=wanted, exclude_id=exclude_id):
        raise _slug_conflict(wanted)
    return wanted


async def create_service(
    session: AsyncSession, *, org_id: uuid.UUID, actor_id: uuid.UUID, data: ServiceCreate
) -> Service:
    """Add a service; its slug comes from the name unless given."""
    await _check_category(session, org_id=org_id, category_id=data.category_id)
    service = Service(organization_id=org_id, **data.model_dump(exclude={"slug"}))
    service.slug = await _service_slug(session, org_id=org_id, wanted=data.slug, name=data.name)
    session.add(service)
    await _flush(session, _slug_conflict(service.slug))
    event = ServiceCreated(entity_id=service.id, service_name=service.name, slug=service.slug)
    await marcus.publish(session, event, actor_id=actor_id)
    service = await _reload(session, service)
    await session.commit()
    return service


async def update_service(
    session: AsyncSession, *, service: Service, actor_id: uuid.UUID, data: ServiceUpdate
) -> Service:
    """Change what was sent. Renaming keeps the slug unless ``slug`` or ``regenerate_slug`` is sent."""
    fields = data.model_dump(exclude_unset=True, exclude={"slug", "regenerate_slug"})
    if "category_id" in fields:
        await _check_category(session, org_id=service.organization_id, category_id=fields["category_id"])
    before = {name: getattr(service, name) for name in (*fields, "slug")}
    for name, value in fields.items():
        setattr(service, name, value)
    if data.slug is not None or data.regenerate_slug:
        service.slug = await _service_slug(
            session, org_id=service.organization_id, wanted=data.slug, name=service.name, exclude_id=service.id
        )
    changed = sorted(name for name, old in before.items() if getattr(service, name) != old)
    if not changed:
        return service
    await _flush(session, _slug_conflict(service.slug))
    event = ServiceUpdated(
        entity_id=service.id, service_name=service.name, slug=service.slug, changes=", ".join(changed)
    )
    await marcus.publish(session, event, actor_id=actor_id)
    service = await _reload(session, service)
    await session.commit()
    return service


async def archive_service(session: AsyncSession, *, service: Service, actor_id: uuid.UUID) -> Service:
    """Hide a service from the catalogue and from booking, keeping it for history."""
    if service.status == ARCHIVED:
        return service
    service.status = ARCHIVED
    await session.flush()
    await marcus.publish(session, ServiceArchived(entity_id=service.id, service_name=service.name), actor_id=actor_id)
    service = await _reload(session, service)
    await session.commit()
    return service


async def delete_service(session: AsyncSession, *, service: Service, actor_id: uuid.UUID) -> None:
    """Delete a service nothing refers to (409 otherwise: archive it instead); its image goes after commit."""
    event = ServiceDeleted(entity_id=service.id, service_name=service.name, image_key=service.image_key)
    await session.delete(service)
    conflict = marcus.Conflict(
        "Other records (such as appointments) refer to this service: archive it instead.", code="service_in_use"
    )
    await _flush(session, conflict)
    await marcus.publish(session, event, actor_id=actor_id)
    await session.commit()


async def replace_image(
    session: AsyncSession,
    files: marcus.TenantFiles,
    *,
    service: Service,
    actor_id: uuid.UUID,
    upload: UploadFile | None,
    max_bytes: int = 0,
) -> Service:
    """Store ``upload`` as the service's image (None removes it): the new file is removed if the
    change does not commit, the old one after it did (``events.remove_old_image``)."""
    async with files.staging(session) as stage:
        stored = await marcus.save_image(stage, upload, name="image", max_bytes=max_bytes) if upload else None
        return await _set_image(session, service=service, actor_id=actor_id, key=stored.key if stored else None)


async def open_service_image(files: marcus.TenantFiles, *, service: Service) -> marcus.Download:
    """The service's stored image; 404 when it has none."""
    missing = marcus.NotFound("This image does not exist.", code="image_not_found")
    return await marcus.open_image(files, service.image_key, missing=missing)


async def _set_image(session: AsyncSession, *, service: Service, actor_id: uuid.UUID, key: str | None) -> Service:
    old, service.image_key = service.image_key, key
    if old == key:
        return service
    await session.flush()
    event = ServiceImageChanged(entity_id=service.id, service_name=service.name, old_image_key=old)
    await marcus.publish(session, event, actor_id=actor_id)
    service = await _reload(session, service)
    await session.commit()
    return service


# --- categories ------------------------------------------------------------------------------


async def list_categories(session: AsyncSession, *, org_id: uuid.UUID, page: int, limit: int) -> marcus.Page[Category]:
    """The workspace's categories in their display order."""
    query = select(Category).where(Category.organization_id == org_id)
    return await marcus.paginate(
        session, query.order_by(Category.position, Category.name, Category.id), page=page, limit=limit
    )


async def get_category(session: AsyncSession, *, org_id: uuid.UUID, category_id: uuid.UUID) -> Category:
    category = await session.scalar(
        select(Category).where(Category.organization_id == org_id, Category.id == category_id)
    )
    if category is None:
        raise marcus.NotFound("No such category.", code="category_not_found")
    return category


async def _category_slug(
    session: AsyncSession, *, org_id: uuid.UUID, slug: str, field: str, exclude_id: uuid.UUID | None = None
) -> str:
    if await slug_taken(session, Category, org_id=org_id, slug=slug, exclude_id=exclude_id):
        raise marcus.Conflict(
            f"A category with the slug '{slug}' already exists.",
            code="category_exists",
            errors=[{"field": field, "message": "already used"}],
        )
    return slug


async def create_category(
    session: AsyncSession, *, org_id: uuid.UUID, actor_id: uuid.UUID, data: CategoryCreate
) -> Category:
    """Add a category; a name whose slug is taken is refused (409)."""
    field = "slug" if data.slug else "name"
    slug = await _category_slug(
        session, org_id=org_id, slug=data.slug or slugify(data.name, fallback="category"), field=field
    )
    category = Category(organization_id=org_id, slug=slug, **data.model_dump(exclude={"slug"}))
    session.add(category)
    await _flush(session, marcus.Conflict(f"A category with the slug '{slug}' already exists.", code="category_exists"))
    await marcus.publish(
        session, CategoryCreated(entity_id=category.id, category_name=category.name), actor_id=actor_id
    )
    await session.refresh(category)
    await session.commit()
    return category


async def update_category(
    session: AsyncSession, *, category: Category, actor_id: uuid.UUID, data: CategoryUpdate
) -> Category:
    """Change what was sent; the slug changes only when sent."""
    fields = data.model_dump(exclude_unset=True)
    if "slug" in fields:
        await _category_slug(
            session, org_id=category.organization_id, slug=fields["slug"], field="slug", exclude_id=category.id
        )
    if all(getattr(category, name) == value for name, value in fields.items()):
        return category
    for name, value in fields.items():
        setattr(category, name, value)
    await _flush(session, marcus.Conflict("That slug is already used.", code="category_exists"))
    await marcus.publish(
        session, CategoryUpdated(entity_id=category.id, category_name=category.name), actor_id=actor_id
    )
    await session.refresh(category)
    await session.commit()
    return category


async def delete_category(session: AsyncSession, *, category: Category, actor_id: uuid.UUID) -> None:
    """Delete a category no service uses (409 naming how many do)."""
    used = await session.scalar(
        select(func.count())
        .select_from(Service)
        .where(Service.organization_id == category.organization_id, Service.category_id == category.id)
    )
    in_use = marcus.Conflict(
        f"{used} service(s) use this category: move them to another category first.",
        code="category_in_use",
        errors=[{"field": "category_id", "message": "in use"}],
    )
    if used:
        raise in_use
    event = CategoryDeleted(entity_id=category.id, category_name=category.name)
    await session.delete(category)
    await _flush(session, in_use)
    await marcus.publish(session, event, actor_id=actor_id)
    await session.commit()


async def provision_categories(session: AsyncSession, *, org_id: uuid.UUID) -> None:
    """Starting categories for a workspace that has none (idempotent: safe on re-enable)."""
    if await session.scalar(select(Category.id).where(Category.organization_id == org_id).limit(1)):
        return
    rows = [
        {
            "organization_id": org_id,
            "id": marcus.new_id(),
            "name": name,
            "slug": slugify(name, fallback="category"),
            "position": i,
        }
        for i, name in enumerate(DEFAULT_CATEGORIES)
    ]
    await session.execute(insert(Category).values(rows).on_conflict_do_nothing())
