"""Read the mail Marcus queued, straight from the outbox (sent or not): the ``mailbox`` fixture.

async def test_signup(mailbox, ...):
    code = await mailbox.last_code("ann@example.com")
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from marcus.mail.models import MailMessage
from marcus.testing.harness import TestDatabase

CODE = re.compile(r"^\s+(\d{6})\s*$", re.MULTILINE)  # the code stands alone on its line


@dataclass(frozen=True, kw_only=True)
class Mail:
    """One queued message."""

    id: uuid.UUID
    org_id: uuid.UUID
    to: str
    subject: str
    text: str
    html: str
    template: str
    status: str
    created_at: datetime

    @property
    def code(self) -> str:
        """The six-digit code in the text body (AssertionError when there is none)."""
        found = CODE.search(self.text)
        assert found, f"no code in the mail {self.subject!r}"
        return found.group(1)


class Mailbox:
    """The outbox of one test database, newest messages last."""

    def __init__(self, database: TestDatabase) -> None:
        self.database = database

    def on(self, database: TestDatabase) -> Mailbox:
        """The mailbox of another test database."""
        return Mailbox(database)

    async def messages(self, to: str | None = None, *, org_id: uuid.UUID | None = None) -> list[Mail]:
        """Queued messages, oldest first, optionally to one address and/or of one workspace."""
        statement = select(MailMessage).order_by(MailMessage.created_at, MailMessage.id)
        if to is not None:
            statement = statement.where(func.lower(MailMessage.recipient) == to.lower())
        if org_id is not None:
            statement = statement.where(MailMessage.organization_id == org_id)
        async with self.database.db.platform_session() as session:
            rows = list(await session.scalars(statement))
        return [
            Mail(
                id=r.id,
                org_id=r.organization_id,
                to=r.recipient,
                subject=r.subject,
                text=r.body_text,
                html=r.body_html,
                template=r.template,
                status=r.status,
                created_at=r.created_at,
            )
            for r in rows
        ]

    async def last(self, to: str, *, org_id: uuid.UUID | None = None) -> Mail:
        """The newest message to ``to`` (AssertionError when none was queued)."""
        found = await self.messages(to, org_id=org_id)
        assert found, f"no mail was queued for {to}"
        return found[-1]

    async def last_code(self, to: str, *, org_id: uuid.UUID | None = None) -> str:
        """The code in the newest message to ``to``."""
        return (await self.last(to, org_id=org_id)).code
