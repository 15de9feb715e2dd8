"""``/api/v1/auth``: registration, login (with an optional emailed second step), tokens,
logout, password reset and change. Abuse-prone routes go through ``AuthCall``, which rate limits
them per IP and account."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from marcus.auth import service
from marcus.auth.calls import AuthCallDep
from marcus.auth.deps import CurrentPrincipal
from marcus.auth.schemas import (
    AcceptedRead,
    CodeResend,
    CodeVerify,
    LoginChallengeRead,
    LoginCreate,
    PasswordChange,
    PasswordForgot,
    PasswordReset,
    RefreshCreate,
    RegistrationCreate,
    TokenRead,
    UserRead,
)
from marcus.auth.sessions import IssuedTokens, rotate
from marcus.deps import CurrentTenant, KernelDep, SessionDep

router = APIRouter(prefix="/auth", tags=["auth"])


def _tokens(issued: IssuedTokens) -> TokenRead:
    return TokenRead(access_token=issued.access_token, refresh_token=issued.refresh_token, expires_in=issued.expires_in)


@router.post("/register", response_model=UserRead, status_code=status.HTTP_201_CREATED)
async def register(body: RegistrationCreate, auth: AuthCallDep) -> UserRead:
    """Create an account (role customer) and email a verification code."""
    return UserRead.of(await auth.register(body), roles=[service.CUSTOMER])


@router.post("/verify", response_model=UserRead)
async def verify_registration(body: CodeVerify, auth: AuthCallDep) -> UserRead:
    """Verify the email address with the emailed code."""
    return UserRead.of(await auth.verify_registration(email=body.email, code=body.code))


@router.post("/resend", response_model=AcceptedRead, status_code=status.HTTP_202_ACCEPTED)
async def resend_code(body: CodeResend, auth: AuthCallDep) -> AcceptedRead:
    """Send a new registration or sign-in code (at most one a minute)."""
    await auth.resend_code(email=body.email, purpose=body.purpose)
    return AcceptedRead(detail="If a code is due for this address, a new one is on its way.")


@router.post(
    "/login",
    response_model=TokenRead | LoginChallengeRead,
    responses={202: {"model": LoginChallengeRead, "description": "A sign-in code was emailed"}},
)
async def login(body: LoginCreate, response: Response, auth: AuthCallDep) -> TokenRead | LoginChallengeRead:
    """Sign in with email and password: tokens, or 202 when an emailed code must follow."""
    result = await auth.login(email=body.email, password=body.password)
    if isinstance(result, service.LoginChallenge):
        response.status_code = status.HTTP_202_ACCEPTED
        return LoginChallengeRead(expires_in=result.expires_in)
    return _tokens(result)


@router.post("/login/verify", response_model=TokenRead)
async def verify_login(body: CodeVerify, auth: AuthCallDep) -> TokenRead:
    """Finish signing in with the emailed code."""
    return _tokens(await auth.verify_login(email=body.email, code=body.code))


@router.post("/refresh", response_model=TokenRead)
async def refresh_tokens(
    body: RefreshCreate, session: SessionDep, tenant: CurrentTenant, kernel: KernelDep
) -> TokenRead:
    """Exchange a refresh token (single use) for a new token pair."""
    return _tokens(await rotate(session, kernel.settings, org_id=tenant.id, refresh_token=body.refresh_token))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def logout(principal: CurrentPrincipal, session: SessionDep) -> None:
    """End this session."""
    await service.logout(session, principal=principal)


@router.post("/logout-all", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def logout_all(principal: CurrentPrincipal, session: SessionDep) -> None:
    """End every session of the caller."""
    await service.logout_everywhere(session, principal=principal)


@router.post("/password/forgot", response_model=AcceptedRead, status_code=status.HTTP_202_ACCEPTED)
async def forgot_password(body: PasswordForgot, auth: AuthCallDep) -> AcceptedRead:
    """Email a password-reset code (the answer is the same whether the account exists or not)."""
    await auth.forgot_password(email=body.email)
    return AcceptedRead(detail="If an account uses this address, a reset code is on its way.")


@router.post("/password/reset", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def reset_password(body: PasswordReset, auth: AuthCallDep) -> None:
    """Set a new password with the emailed code; every session ends."""
    await auth.reset_password(email=body.email, code=body.code, new_password=body.new_password)


@router.post("/password/change", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def change_password(
    body: PasswordChange, principal: CurrentPrincipal, session: SessionDep, kernel: KernelDep
) -> None:
    """Change your password; your other sessions end."""
    await service.change_password(
        session,
        kernel.settings,
        principal=principal,
        current_password=body.current_password,
        new_password=body.new_password,
    )
