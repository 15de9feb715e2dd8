"""Signing up, verifying the emailed code, signing in (two steps where the workspace wants an
emailed code) and out. Every page calls the same rate-limited identity flows (``AuthCall``) as
the API; the pages only turn forms into those calls and the results into cookies and redirects."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from marcus.auth import service
from marcus.auth.calls import AuthCallDep
from marcus.auth.schemas import CodeResend, CodeVerify, LoginCreate, RegistrationCreate
from marcus.errors import MarcusError
from marcus.portal.forms import FormErrors, form_values, parse_form
from marcus.portal.shell import PageDep, redirect, render, safe_next
from marcus.portal.visitor import sign_in, sign_out

router = APIRouter()
Next = Annotated[str | None, Query(alias="next", max_length=500)]
Email = Annotated[str, Query(max_length=320)]


async def _form_page(
    request: Request, template: str, form: FormData | dict[str, str], errors: FormErrors, status: int = 422
) -> HTMLResponse:
    return await render(request, template, {"form": form_values(form), "errors": errors}, status_code=status)


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next_: Next = None, email: Email = "") -> HTMLResponse:
    """The sign-in form."""
    return await render(request, "portal/login.html", {"form": {"email": email, "next": safe_next(next_)}})


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, auth: AuthCallDep) -> Response:
    """Check email and password: signed in, or on to the emailed code when the workspace asks for it."""
    form = await request.form()
    data, errors = parse_form(LoginCreate, form)
    if data is None:
        return await _form_page(request, "portal/login.html", form, errors)
    target = safe_next(str(form.get("next") or ""))
    try:
        result = await auth.login(email=data.email, password=data.password)
    except MarcusError as exc:
        return await _form_page(request, "portal/login.html", form, FormErrors.of_error(exc), exc.status)
    if isinstance(result, service.LoginChallenge):
        return redirect(
            request,
            "/login/code?" + urlencode({"email": data.email, "next": target}),
            notice="We emailed you a sign-in code.",
        )
    sign_in(request, auth.settings, result)
    return redirect(request, target)


@router.get("/login/code", response_class=HTMLResponse)
async def login_code_form(request: Request, email: Email = "", next_: Next = None) -> HTMLResponse:
    """The second sign-in step: the emailed code."""
    return await render(request, "portal/login_code.html", {"form": {"email": email, "next": safe_next(next_)}})


@router.post("/login/code", response_class=HTMLResponse)
async def login_code(request: Request, auth: AuthCallDep) -> Response:
    """Finish signing in with the emailed code."""
    form = await request.form()
    data, errors = parse_form(CodeVerify, form)
    if data is None:
        return await _form_page(request, "portal/login_code.html", form, errors)
    try:
        tokens = await auth.verify_login(email=data.email, code=data.code)
    except MarcusError as exc:
        return await _form_page(request, "portal/login_code.html", form, FormErrors.of_error(exc), exc.status)
    sign_in(request, auth.settings, tokens)
    return redirect(request, safe_next(str(form.get("next") or "")))


@router.post("/logout")
async def logout(request: Request, page: PageDep) -> Response:
    """Sign out: this browser's session ends everywhere it is checked."""
    if page.visitor.principal is not None and page.db is not None:
        await service.logout(page.db, principal=page.visitor.principal)
    sign_out(request, page.kernel.settings)
    return redirect(request, "/", notice="You are signed out.")


@router.get("/signup", response_class=HTMLResponse)
async def signup_form(request: Request) -> HTMLResponse:
    """The sign-up form."""
    return await render(request, "portal/signup.html")


@router.post("/signup", response_class=HTMLResponse)
async def signup(request: Request, auth: AuthCallDep) -> Response:
    """Create a customer account; a code goes to the address."""
    form = await request.form()
    data, errors = parse_form(
        RegistrationCreate, form, fields=("email", "password", "first_name", "last_name", "phone")
    )
    if data is None:
        return await _form_page(request, "portal/signup.html", form, errors)
    try:
        await auth.register(data)
    except MarcusError as exc:
        return await _form_page(request, "portal/signup.html", form, FormErrors.of_error(exc), exc.status)
    return redirect(request, "/verify?" + urlencode({"email": data.email}), notice=f"We sent a code to {data.email}.")


@router.get("/verify", response_class=HTMLResponse)
async def verify_form(request: Request, email: Email = "") -> HTMLResponse:
    """Enter the code that verifies the email address."""
    return await render(request, "portal/verify.html", {"form": {"email": email}})


@router.post("/verify", response_class=HTMLResponse)
async def verify(request: Request, auth: AuthCallDep) -> Response:
    """Verify the address with the emailed code."""
    form = await request.form()
    data, errors = parse_form(CodeVerify, form)
    if data is None:
        return await _form_page(request, "portal/verify.html", form, errors)
    try:
        await auth.verify_registration(email=data.email, code=data.code)
    except MarcusError as exc:
        return await _form_page(request, "portal/verify.html", form, FormErrors.of_error(exc), exc.status)
    return redirect(
        request, "/login?" + urlencode({"email": data.email}), notice="Your address is verified. You can sign in now."
    )


@router.post("/resend", response_class=HTMLResponse)
async def resend(request: Request, auth: AuthCallDep) -> Response:
    """Send a new registration or sign-in code (at most one a minute)."""
    form = await request.form()
    data, errors = parse_form(CodeResend, form)
    back = "/login/code" if form.get("purpose") == "login" else "/verify"
    if data is None:
        return await _form_page(request, "portal/verify.html", form, errors)
    try:
        await auth.resend_code(email=data.email, purpose=data.purpose)
    except MarcusError as exc:
        return redirect(request, f"{back}?{urlencode({'email': data.email})}", notice=exc.detail)
    notice = "If a code is due for this address, a new one is on its way."
    return redirect(request, f"{back}?{urlencode({'email': data.email})}", notice=notice)
