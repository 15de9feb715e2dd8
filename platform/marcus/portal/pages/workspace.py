"""Workspace settings for owners and admins: name, slogan, language, time zone, currency,
the logo, and which plugins are on. Changes go through the settings service, so they are
validated, recorded in the activity feed and effective on the next request."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from marcus.errors import MarcusError
from marcus.portal.forms import FormErrors, form_values
from marcus.portal.shell import PageDep, page_require, redirect, render
from marcus.rbac import Grant
from marcus.settings import service
from marcus.settings.currencies import ISO_4217
from marcus.settings.schemas import WorkspaceSettingsUpdate

router = APIRouter()
CanManage = Annotated[Grant, page_require("kernel.settings:manage")]
FIELDS = ("name", "slogan", "language", "time_zone", "currency")


@cache
def _time_zones() -> list[str]:
    return sorted(zoneinfo.available_timezones())


async def _page(
    request: Request,
    page: PageDep,
    grant: Grant,
    *,
    form: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    current = await service.read_settings(page.db, page.kernel, org_id=grant.principal.org_id)
    plugins = await service.list_plugins(page.db, page.kernel, org_id=grant.principal.org_id)
    values = {
        "current": current,
        "plugins": plugins,
        "form": form if form is not None else current.model_dump(include=set(FIELDS)),
        "errors": errors or FormErrors(),
        "time_zones": _time_zones(),
        "currencies": sorted(ISO_4217),
    }
    return await render(request, "portal/settings.html", values, status_code=status)


@router.get("/settings", response_class=HTMLResponse)
async def settings_page(request: Request, page: PageDep, grant: CanManage) -> HTMLResponse:
    """The workspace's settings."""
    return await _page(request, page, grant)


@router.post("/settings", response_class=HTMLResponse)
async def update_settings(request: Request, page: PageDep, grant: CanManage) -> Response:
    """Save settings and plugin toggles."""
    form = await request.form()
    submitted = form_values(form)
    checked = set(form.getlist("plugins"))
    values: dict[str, Any] = {k: submitted.get(k, "") for k in FIELDS}
    values["plugins"] = {name: name in checked for name in page.kernel.plugins.names}
    try:
        data = WorkspaceSettingsUpdate.model_validate(values)
    except ValidationError as exc:
        return await _page(request, page, grant, form=submitted, errors=FormErrors.of_validation(exc), status=422)
    try:
        await service.update_settings(
            page.db, page.kernel, org_id=grant.principal.org_id, actor_id=grant.principal.user_id, data=data
        )
    except MarcusError as exc:
        return await _page(request, page, grant, form=submitted, errors=FormErrors.of_error(exc), status=exc.status)
    return redirect(request, "/settings", notice="Settings saved.")


@router.post("/settings/logo", response_class=HTMLResponse)
async def upload_logo(request: Request, page: PageDep, grant: CanManage) -> Response:
    """Upload the logo (PNG, JPEG or WebP), or remove it."""
    form = await request.form()
    upload = form.get("logo")
    remove = form.get("remove") == "1"
    if not remove and not (isinstance(upload, UploadFile) and upload.filename):
        errors = FormErrors().add("logo", "Choose an image file.")
        return await _page(request, page, grant, errors=errors, status=422)
    try:
        await service.replace_logo(
            page.db,
            page.kernel,
            org_id=grant.principal.org_id,
            actor_id=grant.principal.user_id,
            upload=None if remove else upload,  # type: ignore[arg-type]
        )
    except MarcusError as exc:
        errors = FormErrors().add("logo", exc.errors[0]["message"] if exc.errors else exc.detail)
        return await _page(request, page, grant, errors=errors, status=exc.status)
    return redirect(request, "/settings", notice="Logo removed." if remove else "Logo saved.")
