"""The ``appointments`` plugin: availability, slots, safe booking, the appointment lifecycle,
attachments, PDF and calendar exports, live slot updates. The only module the kernel loads."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

import marcus
from marcus_appointments.attachments import AttachmentsRemoved, delete_files
from marcus_appointments.demo import demo_appointments
from marcus_appointments.events import EVENT_TYPES
from marcus_appointments.models import MODELS, Appointment, CalendarFeed, Counter, Override, Rule, Slot
from marcus_appointments.namespace import LIST_HANDLERS, AppointmentsNamespace, attach_kernel
from marcus_appointments.pages import pageset
from marcus_appointments.permissions import PERMISSIONS
from marcus_appointments.router import router, uploads
from marcus_appointments.settings import AppointmentsSettings

manifest = marcus.PluginManifest(
    name="appointments",
    version="1.0.0",
    description="Availability, slots, bookings enforced by the database, lifecycle, PDF and calendar exports",
    depends_on=("services",),
    settings_model=AppointmentsSettings,
    requires_kernel=">=1.0,<2",
)


@marcus.hookimpl
def register_routers() -> Sequence[APIRouter]:
    return [router, uploads]


@marcus.hookimpl
def register_models() -> list[type[marcus.Base]]:
    return MODELS


@marcus.hookimpl
def register_migrations() -> marcus.MigrationSource:
    return marcus.MigrationSource(path=Path(__file__).parent / "migrations" / "versions", branch="appointments")


@marcus.hookimpl
def register_permissions() -> list[marcus.Permission]:
    return PERMISSIONS


@marcus.hookimpl
def register_event_types() -> list[type[marcus.Event]]:
    return [*EVENT_TYPES, AttachmentsRemoved]


@marcus.hookimpl
def register_event_handlers() -> list[marcus.EventHandler]:
    return [marcus.EventHandler(event=AttachmentsRemoved.name, handler=delete_files), *LIST_HANDLERS]


@marcus.hookimpl
def register_pages() -> marcus.PageSet:
    return pageset()


@marcus.hookimpl
def register_socketio_namespaces() -> list[Any]:
    return [AppointmentsNamespace()]


@marcus.hookimpl
def plugin_lifespan(app: Any) -> Any:
    """Hand this app's kernel to its ``/appointments`` namespace (for the service check of ``watch``)."""

    @asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        attach_kernel(app)
        yield

    return lifespan()


@marcus.hookimpl
async def purge_tenant_data(session: AsyncSession, organization: marcus.Organization) -> None:
    """Delete the workspace's appointments, slots, rules and counters (files go with the storage purge)."""
    for model in (CalendarFeed, Appointment, Slot, Override, Rule, Counter):
        await session.execute(delete(model).where(model.organization_id == organization.id))


@marcus.hookimpl
async def demo_data(demo: marcus.DemoContext) -> list[str]:
    """Weekly hours, two weeks of slots and the demo customer's bookings, for ``marcus demo``."""
    return await demo_appointments(demo)
