"""``/user...``: registration, the two-step login, password flows, profile and admin user
management (seed-api.md §3.1, rows 2-22), on the kernel's identity services.

Every flow is the kernel's secure one (hashed, attempt-limited codes; rate limits; verified
tokens; sessions revoked on password change, reset, block and delete). The seed's holes are
refused with a clear error: ``temp-login`` is gone (410), privileged fields are refused at
registration and in profile updates, ``change-password`` needs the caller's token.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import EmailStr, Field

import marcus
from marcus_compat.envelope import CompatModel, CompatRouter, SeedPage, ok, paginated, request_fields, validate
from marcus_compat.people import load_seed_user, marcus_role, profile_values, refuse_privileged, seed_user

router = CompatRouter(prefix="/user")
CanRead = Annotated[marcus.Grant, marcus.require("kernel.user:read")]
CanWrite = Annotated[marcus.Grant, marcus.require("kernel.user:write")]


class EmailIn(CompatModel):
    email: EmailStr


class CodeIn(CompatModel):
    email: EmailStr
    otp: Annotated[str, Field(pattern=r"^\d{6}$")]


class LoginIn(CompatModel):
    email: EmailStr
    password: Annotated[str, Field(min_length=1, max_length=256)]


class PasswordChangeIn(CompatModel):
    email: EmailStr | None = None
    old_password: Annotated[str, Field(min_length=1, max_length=256)]
    new_password: str


class PasswordResetIn(CompatModel):
    email: EmailStr
    otp: Annotated[str, Field(pattern=r"^\d{6}$")]
    new_password: str


class RoleIn(CompatModel):
    role: Annotated[str, Field(min_length=1, max_length=60)]


async def _me(session: marcus.SessionDep, principal: marcus.Principal) -> dict[str, Any]:
    user = await marcus.users_service.get_user(session, org_id=principal.org_id, user_id=principal.user_id)
    return await load_seed_user(session, user)


def _tokens(issued: Any) -> dict[str, Any]:
    return {"access_token": issued.access_token, "refresh_token": issued.refresh_token, "expires_in": issued.expires_in}


# --- registration ---------------------------------------------------------------------------


@router.post("", status_code=status.HTTP_201_CREATED, summary="Register (multipart data + file, or JSON)")
async def register(request: Request, auth: marcus.AuthCallDep) -> JSONResponse:
    """Create a customer account and email the verification code; privileged fields are refused."""
    fields, files, _ = await request_fields(request)
    if files:
        raise marcus.Invalid(
            "No picture is accepted at registration; upload it with PATCH /user/update-profile once signed in.",
            code="upload_not_accepted",
            errors=[{"field": "file", "message": "not accepted at registration"}],
        )
    refuse_privileged(fields, where="registration", allowed=("password",))
    user = await auth.register(validate(marcus.auth_schemas.RegistrationCreate, profile_values(fields)))
    body = await load_seed_user(auth.session, user, ["customer"])
    return ok(body, "User Created Successfully, Please check your email to verify your account", 201)


@router.post("/resend-register-otp", status_code=status.HTTP_201_CREATED, summary="Resend the registration code")
async def resend_register_otp(body: EmailIn, auth: marcus.AuthCallDep) -> JSONResponse:
    """Email a new registration code when one is due (same answer for unknown addresses)."""
    await auth.resend_code(email=body.email.lower(), purpose="register")
    return ok(None, "If this account awaits verification, a new code is on its way.", 201)


@router.post("/verify-register-otp", status_code=status.HTTP_201_CREATED, summary="Verify the registration code")
async def verify_register_otp(body: CodeIn, auth: marcus.AuthCallDep) -> JSONResponse:
    """Mark the account verified with the emailed code."""
    user = await auth.verify_registration(email=body.email.lower(), code=body.otp)
    return ok(await load_seed_user(auth.session, user), "User Verified Successfully", 201)


# --- login ----------------------------------------------------------------------------------


@router.post("/login", status_code=status.HTTP_201_CREATED, summary="Login step 1: password, then an emailed code")
async def login(body: LoginIn, auth: marcus.AuthCallDep) -> JSONResponse:
    """Check the password and email the sign-in code (tokens at once if the workspace has no code step)."""
    result = await auth.login(email=body.email.lower(), password=body.password)
    if isinstance(result, marcus.auth_service.LoginChallenge):
        return ok(None, "OTP sent to your email, please verify to login", 201)
    return ok(_tokens(result), "User Logged In Successfully", 201)


@router.post("/resend-login-otp", status_code=status.HTTP_201_CREATED, summary="Resend the sign-in code")
async def resend_login_otp(body: EmailIn, auth: marcus.AuthCallDep) -> JSONResponse:
    """Email a new sign-in code when a login is pending (same answer otherwise)."""
    await auth.resend_code(email=body.email.lower(), purpose="login")
    return ok(None, "If a sign-in is pending for this account, a new code is on its way.", 201)


@router.post("/verify-login-otp", status_code=status.HTTP_201_CREATED, summary="Login step 2: the code for tokens")
async def verify_login_otp(body: CodeIn, auth: marcus.AuthCallDep) -> JSONResponse:
    """Exchange the emailed code for ``access_token`` (and a ``refresh_token``)."""
    issued = await auth.verify_login(email=body.email.lower(), code=body.otp)
    return ok(_tokens(issued), "User Verified Successfully", 201)


class Gone(marcus.MarcusError):
    status, code, title = 410, "gone", "Gone"


@router.post("/temp-login", status_code=status.HTTP_410_GONE, summary="Removed: password-less login")
async def temp_login() -> JSONResponse:
    """Gone: it issued a token for any e-mail without a password (seed §9.2)."""
    raise Gone(
        "POST /user/temp-login is gone: it signed anyone in without a password. "
        "Sign in with POST /user/login, then POST /user/verify-login-otp.",
        code="temp_login_removed",
    )


# --- passwords ------------------------------------------------------------------------------


@router.post("/change-password", status_code=status.HTTP_201_CREATED, summary="Change your password")
async def change_password(
    body: PasswordChangeIn, principal: marcus.CurrentPrincipal, session: marcus.SessionDep, kernel: marcus.KernelDep
) -> JSONResponse:
    """Change the caller's password (token required); their other sessions end."""
    if body.email is not None and body.email.lower() != principal.email.lower():
        raise marcus.Forbidden("You can change only your own password.", code="not_your_account")
    data = validate(
        marcus.auth_schemas.PasswordChange,
        {"current_password": body.old_password, "new_password": body.new_password},
    )
    await marcus.auth_service.change_password(
        session,
        kernel.settings,
        principal=principal,
        current_password=data.current_password,
        new_password=data.new_password,
    )
    return ok(None, "Password Changed Successfully", 201)


@router.post("/forgotten-password", status_code=status.HTTP_201_CREATED, summary="Email a password-reset code")
async def forgotten_password(body: EmailIn, auth: marcus.AuthCallDep) -> JSONResponse:
    """Email a reset code (the answer is the same whether the account exists or not)."""
    await auth.forgot_password(email=body.email.lower())
    return ok(None, "If an account uses this address, a reset code is on its way.", 201)


@router.post(
    "/verify-forgotten-password-otp", status_code=status.HTTP_201_CREATED, summary="Set a new password with the code"
)
async def verify_forgotten_password_otp(body: PasswordResetIn, auth: marcus.AuthCallDep) -> JSONResponse:
    """Set a new password with the emailed code; every session ends."""
    data = validate(
        marcus.auth_schemas.PasswordReset,
        {"email": body.email, "code": body.otp, "new_password": body.new_password},
    )
    await auth.reset_password(email=data.email, code=data.code, new_password=data.new_password)
    return ok(None, "Password Reset Successfully", 201)


# --- own account ----------------------------------------------------------------------------


@router.get("/me", summary="Your profile")
async def get_me(principal: marcus.CurrentPrincipal, session: marcus.SessionDep) -> JSONResponse:
    """The caller's profile (no password hash, no codes)."""
    return ok(await _me(session, principal), "User Retrieved Successfully")


@router.get("/dashboard-statics", summary="Your login, registration and password-change times")
async def dashboard_statics(principal: marcus.CurrentPrincipal, session: marcus.SessionDep) -> JSONResponse:
    """When the caller last signed in, registered and changed their password."""
    me = await _me(session, principal)
    keys = ("last_password_change_time", "login_time", "registration_time")
    return ok({key: me[key] for key in keys}, "User Statics Retrieved Successfully")


@router.patch("/update-profile", summary="Update your profile (multipart data and/or file)")
async def update_profile(
    request: Request,
    principal: marcus.CurrentPrincipal,
    session: marcus.SessionDep,
    tenant: marcus.CurrentTenant,
    kernel: marcus.KernelDep,
) -> JSONResponse:
    """Change whitelisted profile fields and/or the picture; role, flags and password are refused."""
    fields, files, _ = await request_fields(request, file_fields=("file",))
    if not fields and not files:
        raise marcus.Invalid("No update data provided", code="empty_update")
    if len(files) > 1:
        raise marcus.Invalid("Send one picture.", code="too_many_files", errors=[{"field": "file", "message": "one"}])
    refuse_privileged(fields, where="a profile update")
    message = "Profile Updated Successfully"
    if fields:
        data = validate(marcus.users_schemas.UserUpdate, profile_values(fields))
        _, pending = await marcus.users_service.update_profile(
            session, kernel.settings, tenant=tenant, principal=principal, data=data
        )
        if pending:
            message += "; confirm the new e-mail address with the code sent to it"
    if files:
        await marcus.users_service.set_avatar(session, kernel, tenant=tenant, principal=principal, upload=files[0])
    return ok(await _me(session, principal), message)


@router.delete("/delete-myself-account", summary="Delete your account")
async def delete_myself(principal: marcus.CurrentPrincipal, session: marcus.SessionDep) -> JSONResponse:
    """Soft-delete the caller's account; every session ends at once."""
    await marcus.users_service.soft_delete(session, org_id=principal.org_id, user_id=principal.user_id)
    return ok(None, "User Deleted Successfully")


# --- admin ----------------------------------------------------------------------------------


@router.get("", summary="List users (admin)")
async def list_users(
    grant: CanRead,
    tenant: marcus.CurrentTenant,
    session: marcus.SessionDep,
    paging: SeedPage,
    is_blocked: Annotated[str | None, Query(alias="isBlocked", pattern="^(true|false)$")] = None,
) -> JSONResponse:
    """The workspace's users (not deleted), newest first; ``isBlocked=true|false``."""
    page, roles = await marcus.users_service.list_users(
        session,
        org_id=tenant.id,
        blocked=None if is_blocked is None else is_blocked == "true",
        page=paging.page,
        limit=paging.limit,
    )
    items = [seed_user(user, roles.get(user.id, [])) for user in page.items]
    return paginated(
        items, page=paging.page, limit=paging.limit, total=page.total, message="Users Retrieved Successfully"
    )


@router.post("/create-user-without-otp", status_code=status.HTTP_201_CREATED, summary="Create a verified user (admin)")
async def create_user_without_otp(
    request: Request,
    grant: CanWrite,
    tenant: marcus.CurrentTenant,
    session: marcus.SessionDep,
    kernel: marcus.KernelDep,
) -> JSONResponse:
    """Create a verified user with a role (``CUSTOMER``, ``ADMIN`` or a Marcus role)."""
    fields, _, _ = await request_fields(request, file_fields=())
    values = profile_values(fields)
    if isinstance(values.get("role"), str):
        values["role"] = marcus_role(values["role"])
    data = validate(marcus.users_schemas.UserCreate, values)
    user = await marcus.users_service.admin_create_user(session, kernel.settings, org_id=tenant.id, data=data)
    return ok(await load_seed_user(session, user), "User Created Successfully", 201)


@router.patch("/block-user/{user_id}", summary="Block a user (admin)")
async def block_user(user_id: uuid.UUID, grant: CanWrite, session: marcus.SessionDep) -> JSONResponse:
    """Block a user: their sessions end at once."""
    await marcus.users_service.set_blocked(session, actor=grant.principal, user_id=user_id, blocked=True)
    return ok(None, "User Blocked Successfully")


@router.patch("/unblock-user/{user_id}", summary="Unblock a user (admin)")
async def unblock_user(user_id: uuid.UUID, grant: CanWrite, session: marcus.SessionDep) -> JSONResponse:
    """Unblock a user."""
    await marcus.users_service.set_blocked(session, actor=grant.principal, user_id=user_id, blocked=False)
    return ok(None, "User Unblocked Successfully")


@router.patch("/change-role/{user_id}", summary="Change a user's role (admin)")
async def change_role(user_id: uuid.UUID, body: RoleIn, grant: CanWrite, session: marcus.SessionDep) -> JSONResponse:
    """Give a user exactly one role (``CUSTOMER``, ``ADMIN`` or a Marcus role)."""
    user, roles = await marcus.users_service.change_role(
        session, actor=grant.principal, user_id=user_id, role=marcus_role(body.role)
    )
    return ok(await load_seed_user(session, user, roles), "User Role Changed Successfully")


@router.delete("/delete-user/{user_id}", summary="Delete a user (admin)")
async def delete_user(user_id: uuid.UUID, grant: CanWrite, session: marcus.SessionDep) -> JSONResponse:
    """Soft-delete a user; their sessions end at once."""
    await marcus.users_service.delete_user(session, actor=grant.principal, user_id=user_id)
    return ok(None, "User Deleted Successfully")
