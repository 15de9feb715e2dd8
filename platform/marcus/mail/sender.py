"""The mail sender: a background task that drains the outbox as the platform role.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` (several replicas never send one message
twice at the same time), delivered, and marked ``sent``; a failure is retried after
``mail_retry_base * 2**(attempts-1)`` seconds and marked ``failed`` after ``mail_max_attempts``.
The task is woken after every commit that queued mail and polls every ``mail_poll_interval``
seconds as a fallback (mail queued by another replica, retries coming due).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from marcus.config import Settings
from marcus.db.engine import Database
from marcus.mail.models import FAILED, PENDING, SENT, MailMessage
from marcus.mail.service import register_waker, unregister_waker
from marcus.mail.transports import Outgoing, Transport, build_message, make_transport

log = logging.getLogger("marcus.mail")
BATCH = 20
MAX_BACKOFF = 6 * 3600.0


class MailSender:
    """Owns the drain loop; ``start``/``stop`` are called from the app lifespan."""

    def __init__(self, db: Database, settings: Settings, transport: Transport | None = None) -> None:
        self.db = db
        self.settings = settings
        self.transport = transport or make_transport(settings)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def wake(self) -> None:
        """Drain now (called after a commit that queued mail)."""
        self._wake.set()

    async def start(self) -> None:
        self._stopping = False
        register_waker(self)
        self._task = asyncio.create_task(self._run(), name="marcus-mail-sender")

    async def stop(self) -> None:
        """Finish the message being sent, then end the task."""
        unregister_waker(self)
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=10)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await self.drain()
            except Exception:
                log.exception("mail sender: draining the outbox failed; retrying later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.mail_poll_interval)

    async def drain(self) -> int:
        """Deliver every due message; returns how many were handled (sent or given up)."""
        handled = 0
        while True:
            batch = await self._drain_batch()
            handled += batch
            if batch < BATCH or self._stopping:
                return handled

    async def _drain_batch(self) -> int:
        async with self.db.platform_session() as session, session.begin():
            rows = list(
                await session.scalars(
                    select(MailMessage)
                    .where(MailMessage.status == PENDING, MailMessage.next_attempt_at <= datetime.now(UTC))
                    .order_by(MailMessage.next_attempt_at)
                    .limit(BATCH)
                    .with_for_update(skip_locked=True)
                )
            )
            for row in rows:
                await self._deliver(row)
        return len(rows)

    async def _deliver(self, row: MailMessage) -> None:
        message = build_message(
            self.settings, id=row.id, to=row.recipient, subject=row.subject, text=row.body_text, html=row.body_html
        )
        row.attempts += 1
        try:
            await self.transport.deliver(Outgoing(id=row.id, org_id=row.organization_id, message=message))
        except Exception as exc:
            row.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if row.attempts >= self.settings.mail_max_attempts:
                row.status = FAILED
                log.warning("mail %s failed for good after %d attempts", row.id, row.attempts)
            else:
                delay = min(self.settings.mail_retry_base * 2 ** (row.attempts - 1), MAX_BACKOFF)
                row.next_attempt_at = datetime.now(UTC) + timedelta(seconds=delay)
            return
        row.status, row.sent_at, row.last_error = SENT, datetime.now(UTC), None
