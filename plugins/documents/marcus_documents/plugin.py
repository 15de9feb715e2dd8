"""The documents plugin's entry point: its manifest and hook implementations."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import APIRouter

import marcus
from marcus_documents.demo import demo_documents
from marcus_documents.events import EVENT_TYPES
from marcus_documents.handlers import HANDLERS
from marcus_documents.jobs import JOBS
from marcus_documents.models import Document, DocumentFile
from marcus_documents.pages import pageset
from marcus_documents.permissions import PERMISSIONS
from marcus_documents.router import router

manifest = marcus.PluginManifest(
    name="documents",
    version="1.0.0",
    description="Customers upload documents; staff review and approve them.",
    depends_on=("appointments",),
    requires_kernel=">=1.0,<2",
)


@marcus.hookimpl
def register_routers() -> APIRouter:
    return router


@marcus.hookimpl
def register_models() -> list[type[marcus.Base]]:
    return [Document, DocumentFile]


@marcus.hookimpl
def register_migrations() -> marcus.MigrationSource:
    return marcus.MigrationSource(path=Path(__file__).parent / "migrations" / "versions", branch="documents")


@marcus.hookimpl
def register_permissions() -> Sequence[marcus.Permission]:
    return PERMISSIONS


@marcus.hookimpl
def register_event_types() -> Sequence[type[marcus.Event]]:
    return EVENT_TYPES


@marcus.hookimpl
def register_event_handlers() -> Sequence[marcus.EventHandler]:
    return HANDLERS


@marcus.hookimpl
def register_jobs() -> Sequence[marcus.Job]:
    return JOBS


@marcus.hookimpl
def register_pages() -> marcus.PageSet:
    return pageset()


@marcus.hookimpl
async def demo_data(demo: marcus.DemoContext) -> Sequence[str]:
    """Two generated PDFs of the demo customer (one approved), for ``marcus demo``."""
    return await demo_documents(demo)
