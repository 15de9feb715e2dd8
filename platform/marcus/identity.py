"""Wiring of the identity kernel parts into ``create_app``: their routers (auth, profile, users,
mail, onboarding, platform operators, and the dev mailbox in dev only) and their lifespan
(the rate limiter's connections); the mail sender runs with the background worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter

from marcus.auth.router import router as auth_router
from marcus.config import Settings
from marcus.kernel import Kernel
from marcus.mail.router import dev_router
from marcus.mail.router import router as mail_router
from marcus.onboarding.router import router as onboarding_router
from marcus.operators.router import router as platform_router
from marcus.users.router import me_router, users_router


def identity_routers(settings: Settings) -> list[APIRouter]:
    """The routers to mount under ``/api/v1``; ``/dev/mail`` only when ``MARCUS_ENV=dev``."""
    routers = [auth_router, me_router, users_router, mail_router, onboarding_router, platform_router]
    return [*routers, dev_router] if settings.env == "dev" else routers


@asynccontextmanager
async def identity_lifespan(kernel: Kernel) -> AsyncIterator[None]:
    """Close the rate limiter's connections at shutdown (the mail sender runs in the worker)."""
    try:
        yield
    finally:
        await kernel.limiter.close()
