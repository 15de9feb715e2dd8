"""Forgotten password: ask for a code, then set a new password with it (every session ends)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from marcus.auth.calls import AuthCallDep
from marcus.auth.schemas import PasswordForgot, PasswordReset
from marcus.errors import MarcusError
from marcus.portal.forms import FormErrors, form_values, parse_form
from marcus.portal.shell import redirect, render

router = APIRouter()
Email = Annotated[str, Query(max_length=320)]


@router.get("/password/forgot", response_class=HTMLResponse)
async def forgot_form(request: Request) -> HTMLResponse:
    """Ask for a password-reset code."""
    return await render(request, "portal/password_forgot.html")


@router.post("/password/forgot", response_class=HTMLResponse)
async def forgot(request: Request, auth: AuthCallDep) -> Response:
    """Email a reset code (the answer is the same whether the account exists or not)."""
    form = await request.form()
    data, errors = parse_form(PasswordForgot, form)
    if data is None:
        values = {"form": form_values(form), "errors": errors}
        return await render(request, "portal/password_forgot.html", values, status_code=422)
    try:
        await auth.forgot_password(email=data.email)
    except MarcusError as exc:
        values = {"form": form_values(form), "errors": FormErrors.of_error(exc)}
        return await render(request, "portal/password_forgot.html", values, status_code=exc.status)
    notice = "If an account uses this address, a reset code is on its way."
    return redirect(request, "/password/reset?" + urlencode({"email": data.email}), notice=notice)


@router.get("/password/reset", response_class=HTMLResponse)
async def reset_form(request: Request, email: Email = "") -> HTMLResponse:
    """Set a new password with the emailed code."""
    return await render(request, "portal/password_reset.html", {"form": {"email": email}})


@router.post("/password/reset", response_class=HTMLResponse)
async def reset(request: Request, auth: AuthCallDep) -> Response:
    """Set the new password; then sign in with it."""
    form = await request.form()
    data, errors = parse_form(PasswordReset, form)
    if data is None:
        values = {"form": form_values(form), "errors": errors}
        return await render(request, "portal/password_reset.html", values, status_code=422)
    try:
        await auth.reset_password(email=data.email, code=data.code, new_password=data.new_password)
    except MarcusError as exc:
        values = {"form": form_values(form), "errors": FormErrors.of_error(exc)}
        return await render(request, "portal/password_reset.html", values, status_code=exc.status)
    notice = "Your password is changed. Sign in with the new one."
    return redirect(request, "/login?" + urlencode({"email": data.email}), notice=notice)
