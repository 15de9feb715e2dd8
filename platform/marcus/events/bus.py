"""Publishing: same-transaction handlers, then an outbox row in the publisher's transaction.

``await publish(session, Booked(...), actor_id=user.id)`` inside a tenant transaction. If the
transaction rolls back, the event never happened; once it commits, the relay delivers it.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from marcus.db.base import new_id
from marcus.db.engine import BUS_KEY, ORG_KEY
from marcus.declarations import EventHandler
from marcus.events.model import EVENT_NAME, Event, EventContext
from marcus.events.outbox import OutboxEvent


class UnknownEvent(RuntimeError):
    """An event class nobody registered: add it to the plugin's ``register_event_types``."""


class EventBus:
    """Known event types and their subscribers (kernel and plugins), and the relay's wake-up."""

    def __init__(self) -> None:
        self.types: dict[str, type[Event]] = {}
        self.handlers: list[tuple[str | None, EventHandler]] = []
        self.kernel: Any = None
        self._wake = asyncio.Event()

    def add_types(self, types: Iterable[type[Event]]) -> None:
        for cls in types:
            if not EVENT_NAME.match(getattr(cls, "name", "")):
                raise ValueError(f"{cls.__name__}.name must be a dotted name like 'plugin.happened'")
            self.types[cls.name] = cls

    def subscribe(self, handler: EventHandler, *, plugin: str | None = None) -> None:
        """Add a subscriber; ``plugin`` None marks a kernel handler (runs for every tenant)."""
        self.handlers.append((plugin, handler))

    def subscribers(self, name: str, *, same_transaction: bool) -> list[tuple[str | None, EventHandler]]:
        return [
            (plugin, h)
            for plugin, h in self.handlers
            if h.same_transaction is same_transaction and h.event in (name, "*")
        ]

    def wake(self) -> None:
        """Tell the in-process relay that an event was committed."""
        self._wake.set()

    async def wait(self, seconds: float) -> None:
        """Sleep until woken or ``seconds`` passed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()


def handler_key(plugin: str | None, handler: EventHandler) -> str:
    """A stable name for a subscriber, recorded with each delivery."""
    function = handler.handler
    return f"{plugin or 'kernel'}:{function.__module__}.{function.__qualname__}"


async def publish(session: AsyncSession, event: Event, *, actor_id: uuid.UUID | None = None) -> uuid.UUID:
    """Publish ``event`` in the session's transaction; returns the event id."""
    bus: EventBus = session.info[BUS_KEY]
    if bus.types.get(event.name) is not type(event):
        raise UnknownEvent(f"event '{event.name}' ({type(event).__name__}) is not registered")
    org_id: uuid.UUID = session.info[ORG_KEY]
    event_id, now = new_id(), datetime.now(UTC)
    context = EventContext(
        event_id=event_id,
        organization_id=org_id,
        actor_id=actor_id,
        occurred_at=now,
        session=session,
        kernel=bus.kernel,
    )
    for _, subscriber in bus.subscribers(event.name, same_transaction=True):
        await subscriber.handler(event, context)
    session.add(
        OutboxEvent(
            organization_id=org_id,
            id=event_id,
            name=event.name,
            payload=event.model_dump(mode="json"),
            actor_id=actor_id,
            created_at=now,
            next_attempt_at=now,
        )
    )
    _wake_after_commit(session.sync_session, bus)
    return event_id


def _wake_after_commit(session: Session, bus: EventBus) -> None:
    if session.info.get("marcus.wake_registered"):
        return
    session.info["marcus.wake_registered"] = True
    sa_event.listen(session, "after_commit", lambda _s: bus.wake())
