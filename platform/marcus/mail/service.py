"""``send_mail``: render a template and queue the message in the caller's transaction.

Nothing is sent before the transaction commits; after commit the sender is woken at once
(and polls as a fallback), so a rolled-back registration never mails a code.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from marcus.db.base import new_id
from marcus.errors import Invalid, NotFound
from marcus.mail.models import FAILED, PENDING, MailMessage

TEMPLATES = Path(__file__).parent / "templates"
SUBJECTS = {
    "verification_code": "Verify your account",
    "login_code": "Your sign-in code",
    "password_reset": "Reset your password",
    "email_change": "Confirm your new email address",
    "notification": "New notification",
}
_QUEUED = "marcus.mail.queued"
_wakers: weakref.WeakSet[Any] = weakref.WeakSet()


class TenantLike(Protocol):
    """What a message needs of its workspace: the id (row owner) and the name (subject line)."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def name(self) -> str: ...


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The template environment: HTML autoescaped, undefined variables an error."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render(template: str, context: Mapping[str, Any], *, tenant_name: str) -> tuple[str, str, str]:
    """(subject, text body, html body) of ``template`` with ``context``."""
    if template not in SUBJECTS:
        raise Invalid(f"Unknown mail template '{template}'.", code="unknown_mail_template")
    values = {**context, "tenant_name": tenant_name}
    env = environment()
    try:
        text = env.get_template(f"{template}.txt").render(values)
        html = env.get_template(f"{template}.html").render(values)
    except TemplateNotFound as exc:  # pragma: no cover - packaging error
        raise Invalid(f"Mail template file missing: {exc.name}", code="unknown_mail_template") from exc
    subject = " ".join(f"{tenant_name}: {SUBJECTS[template]}".split())  # no CR/LF in a header
    return subject, text, html


async def send_mail(
    session: AsyncSession, *, to: str, template: str, context: Mapping[str, Any], tenant: TenantLike
) -> uuid.UUID:
    """Queue ``template`` rendered with ``context`` for ``to`` in the session's transaction.

    Returns the message id. The caller commits; the sender delivers after the commit.
    """
    subject, text, html = render(template, context, tenant_name=tenant.name)
    message = MailMessage(
        id=new_id(),
        organization_id=tenant.id,
        recipient=to,
        subject=subject,
        body_text=text,
        body_html=html,
        template=template,
        status=PENDING,
    )
    session.add(message)
    session.sync_session.info[_QUEUED] = True
    return message.id


async def retry_message(session: AsyncSession, *, org_id: uuid.UUID, message_id: uuid.UUID) -> MailMessage:
    """Put a failed message back in the queue, due now, with a fresh attempt budget."""
    message = await session.scalar(
        select(MailMessage).where(MailMessage.organization_id == org_id, MailMessage.id == message_id)
    )
    if message is None:
        raise NotFound("No such message.", code="mail_not_found")
    if message.status != FAILED:
        raise Invalid("Only a failed message can be retried.", code="mail_not_failed")
    await session.execute(
        update(MailMessage)
        .where(MailMessage.organization_id == org_id, MailMessage.id == message_id)
        .values(status=PENDING, attempts=0, next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    session.sync_session.info[_QUEUED] = True
    await session.commit()
    await session.refresh(message)
    return message


def register_waker(waker: Any) -> None:
    """Call ``waker.wake()`` after every commit that queued mail (held weakly)."""
    _wakers.add(waker)


def unregister_waker(waker: Any) -> None:
    _wakers.discard(waker)


@event.listens_for(Session, "after_commit")
def _wake_senders(session: Session) -> None:
    if session.info.pop(_QUEUED, False):
        for waker in list(_wakers):
            waker.wake()


@event.listens_for(Session, "after_soft_rollback")
def _forget_queued(session: Session, _previous: Any) -> None:
    session.info.pop(_QUEUED, None)
