"""Entry point of the invoices plugin: its manifest and hook implementations."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

import marcus
from marcus_invoices.demo import demo_invoices
from marcus_invoices.events import EVENT_TYPES
from marcus_invoices.jobs import JOBS
from marcus_invoices.models import MODELS, Counter, Invoice, InvoiceLine, Payment
from marcus_invoices.pages import pageset
from marcus_invoices.permissions import PERMISSIONS
from marcus_invoices.router import router
from marcus_invoices.settings import InvoicesSettings

manifest = marcus.PluginManifest(
    name="invoices",
    version="1.0.0",
    description="Invoices with line items and tax, per-workspace numbering, payments, overdue reminders and PDFs",
    depends_on=("services", "appointments", "documents"),
    settings_model=InvoicesSettings,
    requires_kernel=">=1.0,<2",
)


@marcus.hookimpl
def register_routers() -> APIRouter:
    return router


@marcus.hookimpl
def register_models() -> list[type[marcus.Base]]:
    return MODELS


@marcus.hookimpl
def register_migrations() -> marcus.MigrationSource:
    return marcus.MigrationSource(path=Path(__file__).parent / "migrations" / "versions", branch="invoices")


@marcus.hookimpl
def register_permissions() -> list[marcus.Permission]:
    return PERMISSIONS


@marcus.hookimpl
def register_event_types() -> list[type[marcus.Event]]:
    return EVENT_TYPES


@marcus.hookimpl
def register_jobs() -> list[marcus.Job]:
    return JOBS


@marcus.hookimpl
def register_pages() -> marcus.PageSet:
    return pageset()


@marcus.hookimpl
async def purge_tenant_data(session: AsyncSession, organization: marcus.Organization) -> None:
    """Delete the workspace's payments, lines, invoices and counters."""
    for model in (Payment, InvoiceLine, Invoice, Counter):
        await session.execute(delete(model).where(model.organization_id == organization.id))


@marcus.hookimpl
async def demo_data(demo: marcus.DemoContext) -> list[str]:
    """An issued invoice for the demo customer's completed appointment, for ``marcus demo``."""
    return await demo_invoices(demo)
