"""The relay: drains the outbox after commit and delivers each event to its subscribers.

Claims pending events as the platform role with ``FOR NO KEY UPDATE SKIP LOCKED`` (several
relays never take the same event; the lock still lets the delivery rows reference it), then
runs each subscriber in its own tenant transaction that also records the delivery. A crash at
any point loses nothing: undelivered events stay pending, delivered subscribers are skipped.
Failures are retried with exponential backoff and recorded; one subscriber's failure never
skips another.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from marcus.db.base import new_id
from marcus.db.engine import Database
from marcus.events.bus import EventBus, handler_key
from marcus.events.model import EventContext
from marcus.events.outbox import DONE, FAILED, PENDING, EventDelivery, OutboxEvent
from marcus.tenancy.resolver import TenantResolver

log = logging.getLogger("marcus.events.relay")


class Relay:
    """Delivers committed events; ``run_once`` for one batch, ``run`` until stopped."""

    def __init__(
        self,
        bus: EventBus,
        db: Database,
        tenants: TenantResolver,
        *,
        batch: int = 100,
        max_attempts: int = 10,
        poll_interval: float = 1.0,
    ) -> None:
        self.bus, self.db, self.tenants = bus, db, tenants
        self.batch, self.max_attempts, self.poll_interval = batch, max_attempts, poll_interval

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; woken by commits in this process, polling otherwise."""
        while not stop.is_set():
            try:
                if await self.run_once() == self.batch:
                    continue
            except Exception:
                log.exception("outbox relay pass failed; retrying")
            await self.bus.wait(self.poll_interval)

    async def run_once(self) -> int:
        """Deliver one batch of due events; returns how many were claimed."""
        async with self.db.platform_session() as session, session.begin():
            due = (
                select(OutboxEvent)
                .where(OutboxEvent.status == PENDING, OutboxEvent.next_attempt_at <= datetime.now(UTC))
                .order_by(OutboxEvent.next_attempt_at, OutboxEvent.id)
                .limit(self.batch)
                .with_for_update(skip_locked=True, key_share=True)
            )
            rows = list(await session.scalars(due))
            for row in rows:
                self._record(row, await self._deliver(row))
        return len(rows)

    def _record(self, row: OutboxEvent, errors: list[str]) -> None:
        now = datetime.now(UTC)
        if not errors:
            row.status, row.delivered_at, row.last_error = DONE, now, None
            return
        row.attempts += 1
        row.last_error = "; ".join(errors)[:2000]
        if row.attempts >= self.max_attempts:
            row.status = FAILED
            log.error("event %s (%s) failed for good: %s", row.id, row.name, row.last_error)
        else:
            delay = min(2**row.attempts, 300) * (0.75 + random.random() / 2)
            row.next_attempt_at = now + timedelta(seconds=delay)

    async def _deliver(self, row: OutboxEvent) -> list[str]:
        cls = self.bus.types.get(row.name)
        if cls is None:
            return [f"no event type '{row.name}' is registered (plugin uninstalled?)"]
        event = cls.model_validate(row.payload)
        enabled = await self.tenants.plugins_of(row.organization_id)
        errors = []
        for plugin, subscriber in self.bus.subscribers(row.name, same_transaction=False):
            if plugin is not None and plugin not in enabled:
                continue
            key = handler_key(plugin, subscriber)
            try:
                await self._run_handler(row, key, subscriber.handler, event)
            except Exception as exc:
                log.warning("subscriber %s failed on event %s", key, row.id, exc_info=exc)
                errors.append(f"{key}: {type(exc).__name__}: {exc}")
        return errors

    async def _run_handler(self, row: OutboxEvent, key: str, handler: object, event: object) -> None:
        async with self.db.tenant_transaction(row.organization_id) as session:
            claim = (
                insert(EventDelivery)
                .values(organization_id=row.organization_id, id=new_id(), event_id=row.id, handler=key)
                .on_conflict_do_nothing()
                .returning(EventDelivery.id)
            )
            if (await session.execute(claim)).first() is None:
                return  # delivered before a crash: idempotent by event id
            context = EventContext(
                event_id=row.id,
                organization_id=row.organization_id,
                actor_id=row.actor_id,
                occurred_at=row.created_at,
                session=session,
                kernel=self.bus.kernel,
            )
            await handler(event, context)  # type: ignore[operator]
