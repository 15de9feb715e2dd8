"""What happens to the catalogue. The seed notifies nobody about services, so each event
records an activity entry only (``notify=False``); image files are removed after commit."""

from __future__ import annotations

import marcus

SERVICE, CATEGORY = "Service", "Service category"


class ServiceCreated(marcus.Event):
    name = "services.created"
    notice = marcus.Notice(
        type=SERVICE, title="Service created", message="Service '{service_name}' was added.", notify=False
    )
    service_name: str
    slug: str


class ServiceUpdated(marcus.Event):
    name = "services.updated"
    notice = marcus.Notice(
        type=SERVICE, title="Service updated", message="Service '{service_name}' changed: {changes}.", notify=False
    )
    service_name: str
    slug: str
    changes: str


class ServiceArchived(marcus.Event):
    name = "services.archived"
    notice = marcus.Notice(
        type=SERVICE, title="Service archived", message="Service '{service_name}' was archived.", notify=False
    )
    service_name: str


class ServiceDeleted(marcus.Event):
    name = "services.deleted"
    notice = marcus.Notice(
        type=SERVICE, title="Service deleted", message="Service '{service_name}' was deleted.", notify=False
    )
    service_name: str
    image_key: str | None = None


class ServiceImageChanged(marcus.Event):
    name = "services.image_changed"
    notice = marcus.Notice(
        type=SERVICE, title="Service image changed", message="Service '{service_name}' has a new image.", notify=False
    )
    service_name: str
    old_image_key: str | None = None


class CategoryCreated(marcus.Event):
    name = "services.category_created"
    notice = marcus.Notice(
        type=CATEGORY, title="Category created", message="Category '{category_name}' was added.", notify=False
    )
    category_name: str


class CategoryUpdated(marcus.Event):
    name = "services.category_updated"
    notice = marcus.Notice(
        type=CATEGORY, title="Category updated", message="Category '{category_name}' changed.", notify=False
    )
    category_name: str


class CategoryDeleted(marcus.Event):
    name = "services.category_deleted"
    notice = marcus.Notice(
        type=CATEGORY, title="Category deleted", message="Category '{category_name}' was deleted.", notify=False
    )
    category_name: str


EVENT_TYPES: tuple[type[marcus.Event], ...] = (
    ServiceCreated,
    ServiceUpdated,
    ServiceArchived,
    ServiceDeleted,
    ServiceImageChanged,
    CategoryCreated,
    CategoryUpdated,
    CategoryDeleted,
)


async def remove_old_image(event: ServiceDeleted | ServiceImageChanged, ctx: marcus.EventContext) -> None:
    """After the change committed: delete the image file nothing points to any more (idempotent)."""
    key = event.image_key if isinstance(event, ServiceDeleted) else event.old_image_key
    files = marcus.TenantFiles(ctx.kernel.storage, org_id=ctx.organization_id, plugin="services")
    await files.discard(key)
