"""Operator authentication: a bearer token of audience ``marcus:platform`` (tenant tokens are
refused), checked against the operators table as the platform role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from marcus.auth.deps import BearerDep
from marcus.auth.tokens import decode_platform_token
from marcus.deps import KernelDep
from marcus.errors import Unauthorized
from marcus.operators.models import Operator
from marcus.operators.service import active_operator


async def get_platform_session(kernel: KernelDep) -> AsyncIterator[AsyncSession]:
    """A platform-role session (BYPASSRLS) for operator routes only."""
    async with kernel.db.platform_session() as session:
        yield session


PlatformSessionDep = Annotated[AsyncSession, Depends(get_platform_session)]


async def get_operator(kernel: KernelDep, session: PlatformSessionDep, credentials: BearerDep) -> Operator:
    """The signed-in platform operator; 401 otherwise."""
    if credentials is None:
        raise Unauthorized("Operator authentication required.")
    operator_id = decode_platform_token(kernel.settings, credentials.credentials)
    return await active_operator(session, operator_id=operator_id)


CurrentOperator = Annotated[Operator, Depends(get_operator)]
