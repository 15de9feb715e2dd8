"""``Event``: a typed, immutable fact with a dotted past-tense name (``appointments.booked``)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_.]*$")


@dataclass(frozen=True, kw_only=True)
class Notice:
    """How an event appears to people: an activity of ``type`` and a notification.

    ``title`` and ``message`` may name payload fields: ``"Your appointment is now {status}."``.
    The event's ``customer_id`` is notified; ``broadcast`` notifies every active user of the
    workspace instead; ``notify=False`` records the activity only.
    """

    type: str
    title: str
    message: str
    broadcast: bool = False
    notify: bool = True


class Event(BaseModel):
    """Base of every event. Subclasses set ``name`` and declare the payload as fields.

    ``class Booked(Event): name = "appointments.booked"; notice = Notice(...); appointment_id: uuid.UUID``
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ClassVar[str]
    notice: ClassVar[Notice | None] = None
    customer_id: uuid.UUID | None = None
    """The user the event concerns (a booking's customer): who is notified, whose activity it is."""
    entity_id: uuid.UUID | None = None
    """The row the event is about (the appointment, the invoice ...), shown in the activity feed."""


@dataclass(frozen=True, kw_only=True)
class EventContext:
    """What a handler receives with the event: its envelope and a session bound to its tenant.

    Same-transaction handlers get the publisher's session; relay handlers get a fresh tenant
    session whose transaction also records the delivery, so each subscriber's effect happens once.
    """

    event_id: uuid.UUID
    organization_id: uuid.UUID
    actor_id: uuid.UUID | None
    occurred_at: datetime
    session: AsyncSession
    kernel: Any
