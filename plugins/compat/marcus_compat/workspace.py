"""``/admin-general`` (seed §3.10, rows 64-66): the workspace settings, on the kernel's settings
service. Bodies are raw (no envelope) as the seed's were, because its clients read them so;
errors keep the compat error shape.

Mapping: ``platformName`` is the workspace name, ``timezone`` its IANA time zone (validated),
``currency`` an ISO 4217 code (validated), ``logo`` the logo URL. The module flags are real:
``isBlogModuleEnabled`` / ``isServiceModuleEnabled`` say whether the blog / services plugins are
enabled, and toggling them enables or disables those plugins (refused with a clear 400 while a
plugin that needs them, such as compat itself, is enabled).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BeforeValidator

import marcus
from marcus_compat.envelope import CompatModel, CompatRouter, raw, request_fields, validate

router = CompatRouter(prefix="/admin-general")
CanManage = Annotated[marcus.Grant, marcus.require("kernel.settings:manage")]
FLAGS = {"is_blog_module_enabled": "blog", "is_service_module_enabled": "services"}


def _flag(value: Any) -> Any:
    """The seed accepted booleans and the strings "true"/"1" (and so "false"/"0")."""
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "false", "0"):
        return value.strip().lower() in ("true", "1")
    return value


Flag = Annotated[bool, BeforeValidator(_flag)]


class SettingsIn(CompatModel):
    platform_name: str | None = None
    slogan: str | None = None
    language: str | None = None
    timezone: str | None = None
    currency: str | None = None


class ToggleIn(CompatModel):
    is_blog_module_enabled: Flag | None = None
    is_service_module_enabled: Flag | None = None


def seed_settings(read: Any, org_id: Any) -> dict[str, Any]:
    """The seed's settings row, from the workspace settings."""
    return {
        "id": org_id,
        "platform_name": read.name,
        "slogan": read.slogan,
        "language": read.language,
        "timezone": read.time_zone,
        "currency": read.currency,
        "logo": read.logo_url or "",
        "is_blog_module_enabled": "blog" in read.plugins,
        "is_service_module_enabled": "services" in read.plugins,
    }


@router.get("", summary="Workspace settings (raw body)")
async def read_settings(
    tenant: marcus.CurrentTenant, session: marcus.SessionDep, kernel: marcus.KernelDep
) -> JSONResponse:
    """The workspace's name, slogan, language, time zone, currency, logo and module flags."""
    read = await marcus.settings_service.read_settings(session, kernel, org_id=tenant.id)
    return raw(seed_settings(read, tenant.id))


@router.patch("/update", summary="Change workspace settings (raw body; multipart fields + optional logo)")
async def update_settings(
    request: Request,
    grant: CanManage,
    tenant: marcus.CurrentTenant,
    session: marcus.SessionDep,
    kernel: marcus.KernelDep,
) -> JSONResponse:
    """Change name, slogan, language, time zone or currency, and/or upload the logo."""
    fields, uploads, _ = await request_fields(request, file_fields=("file",))
    if len(uploads) > 1:
        raise marcus.Invalid(
            "Send one logo.", code="too_many_files", errors=[{"field": "file", "message": "one image"}]
        )
    data = validate(SettingsIn, fields)
    values = {
        "name": data.platform_name,
        "slogan": data.slogan,
        "language": data.language,
        "time_zone": data.timezone,
        "currency": data.currency,
    }
    update = validate(
        marcus.settings_schemas.WorkspaceSettingsUpdate, {k: v for k, v in values.items() if v is not None}
    )
    actor = grant.principal
    read = await marcus.settings_service.update_settings(
        session, kernel, org_id=tenant.id, actor_id=actor.user_id, data=update
    )
    if uploads:
        read = await marcus.settings_service.replace_logo(
            session, kernel, org_id=tenant.id, actor_id=actor.user_id, upload=uploads[0]
        )
    return raw(seed_settings(read, tenant.id))


@router.patch("/toggle", summary="Enable or disable the blog and services modules (raw body)")
async def toggle_modules(
    body: ToggleIn, grant: CanManage, tenant: marcus.CurrentTenant, session: marcus.SessionDep, kernel: marcus.KernelDep
) -> JSONResponse:
    """Enable or disable the blog and services plugins for this workspace."""
    toggles = {FLAGS[name]: value for name, value in body.model_dump(exclude_none=True).items()}
    update = marcus.settings_schemas.WorkspaceSettingsUpdate(plugins=toggles)
    read = await marcus.settings_service.update_settings(
        session, kernel, org_id=tenant.id, actor_id=grant.principal.user_id, data=update
    )
    return raw(seed_settings(read, tenant.id))
