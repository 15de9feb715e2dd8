"""Mail routes: the outbox for admins (``/mail``) and the dev mailbox (``/dev/mail``, dev only)."""

from __future__ import annotations

import asyncio
import uuid
from email.message import EmailMessage
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlalchemy import select

from marcus.deps import CurrentTenant, KernelDep, SessionDep
from marcus.mail.models import MailMessage
from marcus.mail.schemas import DevMailRead, MailMessageRead
from marcus.mail.service import retry_message
from marcus.mail.transports import DevMailbox, mailbox_dir
from marcus.pagination import Page, PageQuery, paginate
from marcus.rbac import Grant, require

router = APIRouter(prefix="/mail", tags=["mail"])
dev_router = APIRouter(prefix="/dev", tags=["dev"])


@router.get("/messages", response_model=Page[MailMessageRead])
async def list_mail_messages(
    session: SessionDep,
    tenant: CurrentTenant,
    paging: PageQuery,
    _: Annotated[Grant, require("kernel.mail:read")],
    status: Literal["pending", "sent", "failed"] | None = None,
) -> Page[MailMessage]:
    """List the workspace's outgoing mail, newest first (filter by status, e.g. failed)."""
    statement = select(MailMessage).where(MailMessage.organization_id == tenant.id)
    if status is not None:
        statement = statement.where(MailMessage.status == status)
    statement = statement.order_by(MailMessage.created_at.desc(), MailMessage.id.desc())
    return await paginate(session, statement, page=paging.page, limit=paging.limit)


@router.post("/messages/{message_id}/retry", response_model=MailMessageRead)
async def retry_mail_message(
    message_id: uuid.UUID,
    session: SessionDep,
    tenant: CurrentTenant,
    _: Annotated[Grant, require("kernel.settings:manage")],
) -> MailMessage:
    """Queue a failed message again."""
    return await retry_message(session, org_id=tenant.id, message_id=message_id)


@dev_router.get("/mail", response_model=list[DevMailRead])
async def list_dev_mail(
    tenant: CurrentTenant, kernel: KernelDep, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> list[DevMailRead]:
    """Latest messages of this workspace in the local dev mailbox (MARCUS_ENV=dev only)."""
    mailbox = DevMailbox(mailbox_dir(kernel.settings))
    found = await asyncio.to_thread(mailbox.latest, tenant.id, limit)
    return [_dev_mail(stem, message) for stem, message in found]


def _dev_mail(stem: str, message: EmailMessage) -> DevMailRead:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return DevMailRead(
        id=stem,
        to=str(message["To"]),
        subject=str(message["Subject"]),
        date=str(message["Date"]),
        text=text.get_content() if text is not None else "",
        html=html.get_content() if html is not None else "",
    )
