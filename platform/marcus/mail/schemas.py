"""Mail schemas: outbox entries as admins see them (never the body: it may hold a code) and
dev-mailbox messages (development only)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict


class MailMessageRead(BaseModel):
    """An outbox entry: where it goes, its state and last error."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    recipient: str
    subject: str
    template: str
    status: Literal["pending", "sent", "failed"]
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    sent_at: datetime | None
    created_at: datetime


class DevMailRead(BaseModel):
    """A message from the local dev mailbox, bodies included."""

    id: str
    to: str
    subject: str
    date: str
    text: str
    html: str
