"""Entry point of the services plugin: the catalogue of bookable services and their categories.

Other plugins book against it through ``marcus_services.service.get_bookable_service`` and
reference ``services (organization_id, id)`` with a composite foreign key.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

import marcus
from marcus_services import service
from marcus_services.demo import demo_services
from marcus_services.events import EVENT_TYPES, ServiceDeleted, ServiceImageChanged, remove_old_image
from marcus_services.models import Category, Service
from marcus_services.pages import pageset
from marcus_services.permissions import PERMISSIONS
from marcus_services.router import router
from marcus_services.settings import ServicesSettings

manifest = marcus.PluginManifest(
    name="services",
    version="1.0.0",
    description="Services catalogue: bookable services with prices, durations, images and categories",
    settings_model=ServicesSettings,
    requires_kernel=">=1.0,<2",
)


@marcus.hookimpl
def register_routers() -> APIRouter:
    return router


@marcus.hookimpl
def register_models() -> list[type[marcus.Base]]:
    return [Category, Service]


@marcus.hookimpl
def register_migrations() -> marcus.MigrationSource:
    return marcus.MigrationSource(path=Path(__file__).parent / "migrations" / "versions", branch="services")


@marcus.hookimpl
def register_permissions() -> list[marcus.Permission]:
    return list(PERMISSIONS)


@marcus.hookimpl
def register_event_types() -> list[type[marcus.Event]]:
    return list(EVENT_TYPES)


@marcus.hookimpl
def register_event_handlers() -> list[marcus.EventHandler]:
    return [
        marcus.EventHandler(event=ServiceDeleted.name, handler=remove_old_image),
        marcus.EventHandler(event=ServiceImageChanged.name, handler=remove_old_image),
    ]


@marcus.hookimpl
def register_pages() -> marcus.PageSet:
    return pageset()


@marcus.hookimpl
async def provision_tenant(session: AsyncSession, organization: marcus.Organization) -> None:
    """Starting categories (the seed's Consulting and Training) for a workspace that has none."""
    await service.provision_categories(session, org_id=organization.id)


@marcus.hookimpl
async def demo_data(demo: marcus.DemoContext) -> list[str]:
    """Three services with prices, for ``marcus demo``."""
    return await demo_services(demo)
