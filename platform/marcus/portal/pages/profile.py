"""Your profile: view and edit it, change your email (confirmed by a code sent to the new
address) and your password (your other sessions end)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from marcus.auth import service as auth
from marcus.auth.models import User
from marcus.auth.schemas import PasswordChange
from marcus.errors import MarcusError
from marcus.portal.forms import FormErrors, form_values, parse_form
from marcus.portal.shell import LoginRequired, PageDep, SignedInDep, redirect, render
from marcus.users import service
from marcus.users.schemas import EmailChangeVerify, UserUpdate

router = APIRouter()
FIELDS = ("first_name", "last_name", "email", "phone", "company_name", "street", "city", "zip", "country", "vat_id")


def _values(user: User) -> dict[str, Any]:
    return {name: getattr(user, name) or "" for name in FIELDS}


async def _page(
    request: Request,
    page: PageDep,
    *,
    form: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    password_errors: FormErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    principal = page.visitor.principal
    if principal is None:
        raise LoginRequired("Sign in to see this page.")
    user = await service.get_user(page.db, org_id=principal.org_id, user_id=principal.user_id)
    values = {
        "user": user,
        "roles": await service.user_roles(page.db, user=user),
        "form": form if form is not None else _values(user),
        "errors": errors or FormErrors(),
        "password_errors": password_errors or FormErrors(),
    }
    return await render(request, "portal/profile.html", values, status_code=status)


@router.get("/profile", response_class=HTMLResponse)
async def profile(request: Request, page: PageDep, _: SignedInDep) -> HTMLResponse:
    """Your profile and account."""
    return await _page(request, page)


@router.post("/profile", response_class=HTMLResponse)
async def update_profile(request: Request, page: PageDep, principal: SignedInDep) -> Response:
    """Save your profile; a new email address waits for the code sent to it."""
    submitted = form_values(await request.form())
    # An emptied optional field clears it; the names cannot be emptied.
    values = {k: (v if v != "" else None) for k, v in submitted.items() if k in FIELDS}
    try:
        data = UserUpdate.model_validate(values)
    except ValidationError as exc:
        return await _page(request, page, form=submitted, errors=FormErrors.of_validation(exc), status=422)
    try:
        _, pending = await service.update_profile(
            page.db, page.kernel.settings, tenant=page.workspace, principal=principal, data=data
        )
    except MarcusError as exc:
        return await _page(request, page, form=submitted, errors=FormErrors.of_error(exc), status=exc.status)
    notice = f"Saved. Enter the code we sent to {pending} to switch to it." if pending else "Your profile is saved."
    return redirect(request, "/profile", notice=notice)


@router.post("/profile/email", response_class=HTMLResponse)
async def confirm_email(request: Request, page: PageDep, principal: SignedInDep) -> Response:
    """Confirm your new email address with the code sent to it."""
    data, _ = parse_form(EmailChangeVerify, await request.form())
    if data is None:
        return redirect(request, "/profile", notice="Enter the six-digit code.")
    try:
        await service.confirm_email_change(page.db, page.kernel.settings, principal=principal, code=data.code)
    except MarcusError as exc:
        return redirect(request, "/profile", notice=exc.detail)
    return redirect(request, "/profile", notice="Your email address is changed.")


@router.post("/profile/password", response_class=HTMLResponse)
async def change_password(request: Request, page: PageDep, principal: SignedInDep) -> Response:
    """Change your password; your other sessions end."""
    data, errors = parse_form(PasswordChange, await request.form())
    if data is None:
        return await _page(request, page, password_errors=errors, status=422)
    try:
        await auth.change_password(
            page.db,
            page.kernel.settings,
            principal=principal,
            current_password=data.current_password,
            new_password=data.new_password,
        )
    except MarcusError as exc:
        return await _page(request, page, password_errors=FormErrors.of_error(exc), status=exc.status)
    return redirect(request, "/profile", notice="Your password is changed; your other sessions have ended.")
