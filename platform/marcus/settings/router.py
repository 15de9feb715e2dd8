"""``/api/v1/settings``: the workspace's settings. Reading is public; changing them, the logo
and the enabled plugins needs ``kernel.settings:manage`` (owners and admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import StreamingResponse

from marcus.deps import CurrentTenant, KernelDep, SessionDep
from marcus.rbac import Grant, require
from marcus.settings import service
from marcus.settings.schemas import PluginRead, WorkspaceSettingsRead, WorkspaceSettingsUpdate
from marcus.storage import UploadRoute, image_response, image_responses

router = APIRouter(prefix="/settings", tags=["settings"], route_class=UploadRoute)
CanManage = Annotated[Grant, require("kernel.settings:manage")]
LOGO = image_responses(description="The logo") | {404: {"description": "No logo"}}


@router.get("", response_model=WorkspaceSettingsRead)
async def read_settings(tenant: CurrentTenant, session: SessionDep, kernel: KernelDep) -> WorkspaceSettingsRead:
    """The workspace's name, slogan, language, time zone, currency, logo and enabled plugins."""
    return await service.read_settings(session, kernel, org_id=tenant.id)


@router.patch("", response_model=WorkspaceSettingsRead)
async def update_settings(
    body: WorkspaceSettingsUpdate, grant: CanManage, session: SessionDep, kernel: KernelDep
) -> WorkspaceSettingsRead:
    """Change settings and enable or disable plugins (validated; effective at once)."""
    return await service.update_settings(
        session, kernel, org_id=grant.principal.org_id, actor_id=grant.principal.user_id, data=body
    )


@router.get("/plugins", response_model=list[PluginRead])
async def list_plugins(grant: CanManage, session: SessionDep, kernel: KernelDep) -> list[PluginRead]:
    """Every installed plugin and whether this workspace enabled it."""
    return await service.list_plugins(session, kernel, org_id=grant.principal.org_id)


@router.put("/logo", response_model=WorkspaceSettingsRead)
async def upload_logo(
    file: Annotated[UploadFile, File(description="PNG, JPEG or WebP, at most 2 MiB")],
    grant: CanManage,
    session: SessionDep,
    kernel: KernelDep,
) -> WorkspaceSettingsRead:
    """Upload the workspace logo (PNG, JPEG or WebP, size-limited)."""
    return await service.replace_logo(
        session, kernel, org_id=grant.principal.org_id, actor_id=grant.principal.user_id, upload=file
    )


@router.delete("/logo", response_model=WorkspaceSettingsRead)
async def delete_logo(grant: CanManage, session: SessionDep, kernel: KernelDep) -> WorkspaceSettingsRead:
    """Remove the workspace logo."""
    return await service.replace_logo(
        session, kernel, org_id=grant.principal.org_id, actor_id=grant.principal.user_id, upload=None
    )


@router.get("/logo", response_class=StreamingResponse, responses=LOGO)
async def read_logo(tenant: CurrentTenant, session: SessionDep, kernel: KernelDep) -> StreamingResponse:
    """The workspace logo image (public)."""
    return image_response(await service.open_logo(session, kernel, org_id=tenant.id))
