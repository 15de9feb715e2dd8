"""How a message leaves: SMTP with STARTTLS when ``MARCUS_SMTP_HOST`` is set, else a local dev
mailbox of ``.eml`` files under ``data_dir/mail/<organization id>/``."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol

from marcus.config import Settings


@dataclass(frozen=True, kw_only=True)
class Outgoing:
    """A message ready to deliver, with the outbox row it came from."""

    id: uuid.UUID
    org_id: uuid.UUID
    message: EmailMessage


class Transport(Protocol):
    async def deliver(self, outgoing: Outgoing) -> None:
        """Deliver or raise; the sender retries on any exception."""


def build_message(settings: Settings, *, id: uuid.UUID, to: str, subject: str, text: str, html: str) -> EmailMessage:
    """A multipart/alternative message (text first, then HTML)."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(idstring=id.hex, domain=settings.base_domain)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


class SmtpTransport:
    """SMTP submission (STARTTLS unless disabled), one connection per message, in a thread."""

    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.user = settings.smtp_user
        self.password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        self.starttls = settings.smtp_starttls
        self.timeout = settings.smtp_timeout

    async def deliver(self, outgoing: Outgoing) -> None:
        await asyncio.to_thread(self._send, outgoing.message)

    def _send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.ehlo()
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)


class DevMailbox:
    """Writes each message as ``<time>-<id>.eml`` in a folder per workspace (development)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def deliver(self, outgoing: Outgoing) -> None:
        await asyncio.to_thread(self._write, outgoing)

    def _write(self, outgoing: Outgoing) -> None:
        folder = self.directory / str(outgoing.org_id)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        (folder / f"{stamp}-{outgoing.id.hex}.eml").write_bytes(outgoing.message.as_bytes())

    def latest(self, org_id: uuid.UUID, limit: int) -> list[tuple[str, EmailMessage]]:
        """The newest ``limit`` messages of a workspace: (file stem, parsed message)."""
        folder = self.directory / str(org_id)
        files = sorted(folder.glob("*.eml"), reverse=True)[:limit] if folder.is_dir() else []
        parser = BytesParser(policy=policy.default)
        return [(f.stem, parser.parsebytes(f.read_bytes())) for f in files]


def mailbox_dir(settings: Settings) -> Path:
    return settings.data_dir / "mail"


def make_transport(settings: Settings) -> Transport:
    """SMTP when configured, else the dev mailbox."""
    return SmtpTransport(settings) if settings.smtp_host else DevMailbox(mailbox_dir(settings))
