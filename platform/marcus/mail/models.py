"""The mail outbox: one row per message, written in the sender's transaction, drained after commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from marcus.db.base import Base, TenantScoped

PENDING, SENT, FAILED = "pending", "sent", "failed"
STATUSES = (PENDING, SENT, FAILED)


class MailMessage(TenantScoped, Base):
    """A message to send: rendered at enqueue time, retried with backoff, ``failed`` after N attempts."""

    __tablename__ = "mail_messages"
    __table_args__ = (
        Index("ix_mail_messages_organization_id_status_created_at", "organization_id", "status", "created_at"),
        Index(
            "ix_mail_messages_organization_id_next_attempt_at_pending",
            "organization_id",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    recipient: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    template: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, default=PENDING, server_default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
