"""The ``blog`` plugin: posts with categories, tags, images and scheduled publication, and
reader comments with moderation. The only module the kernel loads: manifest and hooks."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from marcus_blog.demo import demo_posts
from marcus_blog.events import EVENT_TYPES
from marcus_blog.jobs import JOBS
from marcus_blog.models import BlogComment, BlogPost
from marcus_blog.pages import pageset
from marcus_blog.permissions import PERMISSIONS
from marcus_blog.router import api_router
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

import marcus

manifest = marcus.PluginManifest(
    name="blog",
    version="1.0.0",
    description="Blog posts with scheduled publication, and reader comments with moderation",
    requires_kernel=">=1.0,<2",
)


@marcus.hookimpl
def register_routers() -> APIRouter:
    return api_router()


@marcus.hookimpl
def register_models() -> list[type[marcus.Base]]:
    return [BlogPost, BlogComment]


@marcus.hookimpl
def register_migrations() -> marcus.MigrationSource:
    return marcus.MigrationSource(path=Path(__file__).parent / "migrations" / "versions", branch="blog")


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
    """Delete the workspace's comments and posts (image files go with the kernel storage's purge)."""
    await session.execute(delete(BlogComment).where(BlogComment.organization_id == organization.id))
    await session.execute(delete(BlogPost).where(BlogPost.organization_id == organization.id))


@marcus.hookimpl
async def demo_data(demo: marcus.DemoContext) -> list[str]:
    """Three published posts, for ``marcus demo``."""
    return await demo_posts(demo)
