"""An example plugin defined inside the tests: projects and tasks on tenant tables, a router,
a migration branch and permissions, exactly as a real plugin declares them."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ForeignKeyConstraint, Index, Text, select
from sqlalchemy.orm import Mapped, mapped_column

import marcus
from marcus import Base, CurrentTenant, NotFound, SessionDep, TenantScoped

manifest = marcus.PluginManifest(name="example", version="1.0.0", description="Projects and tasks (test plugin)")


class Project(TenantScoped, Base):
    __tablename__ = "example_projects"

    name: Mapped[str] = mapped_column(Text)


class Task(TenantScoped, Base):
    __tablename__ = "example_tasks"
    __table_args__ = (
        ForeignKeyConstraint(
            ["organization_id", "project_id"], ["example_projects.organization_id", "example_projects.id"]
        ),
        Index("ix_example_tasks_organization_id_project_id", "organization_id", "project_id"),
    )

    project_id: Mapped[uuid.UUID]
    title: Mapped[str] = mapped_column(Text)


class ProjectCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class ProjectRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str


router = APIRouter(tags=["example"])


async def owned_project(project_id: uuid.UUID, session: SessionDep, tenant: CurrentTenant) -> Project:
    project = await session.scalar(
        select(Project).where(Project.organization_id == tenant.id, Project.id == project_id)
    )
    if project is None:
        raise NotFound("No such project.")
    return project


@router.get("/projects", response_model=list[ProjectRead])
async def list_projects(session: SessionDep, tenant: CurrentTenant) -> list[Project]:
    """List the workspace's projects."""
    return list(
        await session.scalars(select(Project).where(Project.organization_id == tenant.id).order_by(Project.name))
    )


@router.post("/projects", response_model=ProjectRead, status_code=201)
async def create_project(body: ProjectCreate, session: SessionDep) -> Project:
    """Create a project."""
    project = Project(name=body.name)
    session.add(project)
    await session.commit()
    return project


@router.get("/projects/{project_id}", response_model=ProjectRead)
async def get_project(project: Annotated[Project, Depends(owned_project)]) -> Project:
    """Read one project."""
    return project


@marcus.hookimpl
def register_routers() -> APIRouter:
    return router


@marcus.hookimpl
def register_models() -> list[type[Base]]:
    return [Project, Task]


@marcus.hookimpl
def register_migrations() -> marcus.MigrationSource:
    return marcus.MigrationSource(path=Path(__file__).parent / "versions", branch="example")


@marcus.hookimpl
def register_permissions() -> list[marcus.Permission]:
    return [
        marcus.Permission(
            name="example.project:read",
            description="See projects",
            grants={"customer": "own", "staff": "any"},
        ),
        marcus.Permission(name="example.project:write", description="Create projects", grants={"staff": "any"}),
    ]
