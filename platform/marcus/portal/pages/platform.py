"""The platform's own page: "create your workspace" (self-serve onboarding). It belongs to no
workspace, so it has its own context (no visitor, the platform's plain layout) and answers
with a link to the new workspace's address, where its owner verifies the emailed code."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from marcus.errors import MarcusError
from marcus.onboarding.schemas import OrganizationCreate
from marcus.onboarding.service import sign_up
from marcus.portal.forms import FormErrors, form_values
from marcus.portal.shell import page_state, render
from marcus.ratelimit import client_ip

router = APIRouter()
OWNER_FIELDS = ("email", "password", "first_name", "last_name")


def workspace_url(request: Request, slug: str, base_domain: str) -> str:
    """The new workspace's address: its subdomain of the base domain, same scheme and port."""
    port = f":{request.url.port}" if request.url.port else ""
    return f"{request.url.scheme}://{slug}.{base_domain}{port}"


@router.get("/create-workspace", response_class=HTMLResponse)
async def create_workspace_form(request: Request) -> HTMLResponse:
    """Sign up a business: its workspace and its owner account."""
    return await render(request, "portal/create_workspace.html")


@router.post("/create-workspace", response_class=HTMLResponse)
async def create_workspace(request: Request) -> HTMLResponse:
    """Provision the workspace and its owner; the owner verifies the emailed code next."""
    submitted = form_values(await request.form())
    values: dict[str, Any] = {"name": submitted.get("name", ""), "slug": submitted.get("slug", "")}
    values["owner"] = {k: submitted.get(f"owner.{k}", "") for k in OWNER_FIELDS}
    kernel = page_state(request).kernel
    try:
        data = OrganizationCreate.model_validate(values)
        await kernel.limiter.check("signup_ip", client_ip(request))
        org, owner = await sign_up(kernel.db, kernel.plugins, kernel.settings, data=data)
    except ValidationError as exc:
        return await _again(request, submitted, FormErrors.of_validation(exc), 422)
    except MarcusError as exc:
        errors = FormErrors().add("slug", exc.detail) if exc.code == "slug_taken" else FormErrors.of_error(exc)
        return await _again(request, submitted, errors, exc.status)
    kernel.tenants.invalidate()
    url = workspace_url(request, org.slug, kernel.settings.base_domain)
    verify = f"{url}/verify?{urlencode({'email': owner.email})}"
    return await render(
        request, "portal/workspace_created.html", {"org": org, "url": url, "verify": verify}, status_code=201
    )


async def _again(request: Request, form: dict[str, Any], errors: FormErrors, status: int) -> HTMLResponse:
    return await render(request, "portal/create_workspace.html", {"form": form, "errors": errors}, status_code=status)
