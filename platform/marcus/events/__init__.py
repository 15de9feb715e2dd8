"""Events: typed ``Event`` classes (``model``), ``publish`` inside the request transaction with
same-transaction handlers and an outbox row (``bus``), the outbox tables (``outbox``) and the
relay that delivers after commit, at least once, idempotent per subscriber (``relay``)."""

from marcus.events.bus import EventBus, publish
from marcus.events.model import Event, EventContext, Notice

__all__ = ["Event", "EventBus", "EventContext", "Notice", "publish"]
