"""Live slot updates on the Socket.IO namespace ``/appointments``.

The kernel authenticates each connection and saves its tenant and principal. A client asks
to ``watch`` a service (``{"service_id": ...}``); the server checks the service exists in the
caller's workspace and puts the socket in a room it names itself,
``appointments:<org>:service:<service>``. Every booking, cancellation, reschedule and slot
change (enable / disable = hold, delete, generation) is emitted there as ``slot:changed``
(or ``slots:generated``). A client never names a room.

The same frames reach the workspace's open portal pages through the kernel's WebSocket
(``marcus.push_to_pages``: ``appointments:slot_changed`` / ``appointments:slots_generated``),
where the booking page's script updates its slot grid. Slot availability is what every
signed-in member of the workspace may read (``appointments.slot:read``).

Every appointment event (booked, cancelled, rescheduled, completed, approved, no-show), from
the API, the pages or another plugin (an invoice completing an appointment), also reaches the
workspace's pages, once committed, as ``appointments:list_changed`` with an empty payload:
the staff's appointments list then fetches its rows again (``?fragment=rows``, through the
same grant as the page) and says what changed. ``push_to_pages`` reaches every open page of
the workspace, customers' too, so the frame names nothing: no appointment, number, customer or
kind of change (a customer must not learn another customer's appointment). All it tells a
customer's page is "some appointment of the workspace changed just now": for bookings,
cancellations and moves the slot frames above say as much already; for approvals,
completions and no-shows, only that something happened, never what or to whom. It is sent
by the outbox relay's subscriber ``list_changed`` (after commit, at least once; one more
delivery per event), registered by ``plugin.register_event_handlers``.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import socketio
from marcus_services.models import Service
from sqlalchemy import select

import marcus
from marcus_appointments.booking import SlotState
from marcus_appointments.events import EVENT_TYPES

NAMESPACE = "/appointments"
LIST_CHANGED = "appointments:list_changed"
log = logging.getLogger("marcus_appointments")


def service_room(org_id: uuid.UUID, service_id: uuid.UUID) -> str:
    return f"appointments:{org_id}:service:{service_id}"


def slot_frame(state: SlotState) -> dict[str, Any]:
    status = "Disabled" if not state.enabled else ("Booked" if state.booked >= state.capacity else "Available")
    return {
        "slot_id": str(state.id),
        "service_id": str(state.service_id),
        "booked": state.booked,
        "capacity": state.capacity,
        "available": max(0, state.capacity - state.booked) if state.enabled else 0,
        "status": "Deleted" if state.deleted else status,
    }


async def announce(kernel: Any, org_id: uuid.UUID, *states: SlotState | None) -> None:
    """Emit ``slot:changed`` for each changed slot to the watchers of its service, and to the
    workspace's open portal pages (never raises)."""
    for state in states:
        if state is None:
            continue
        frame = slot_frame(state)
        try:
            await kernel.sio.emit("slot:changed", frame, to=service_room(org_id, state.service_id), namespace=NAMESPACE)
            await marcus.push_to_pages(kernel, org_id, "appointments:slot_changed", frame)
        except Exception:  # a live update is a courtesy: the change itself is committed
            log.warning("could not emit a slot update", exc_info=True)


async def announce_generated(kernel: Any, org_id: uuid.UUID, service_id: uuid.UUID, created: int) -> None:
    """Tell the service's watchers and the workspace's pages that new slots exist."""
    if created:
        frame = {"service_id": str(service_id), "created": created}
        try:
            await kernel.sio.emit("slots:generated", frame, to=service_room(org_id, service_id), namespace=NAMESPACE)
            await marcus.push_to_pages(kernel, org_id, "appointments:slots_generated", frame)
        except Exception:
            log.warning("could not emit a slot generation", exc_info=True)


async def list_changed(event: marcus.Event, ctx: marcus.EventContext) -> None:
    """Relay subscriber of every appointment event: tell the workspace's open pages that its
    appointments changed, saying nothing about which (never raises)."""
    try:
        await marcus.push_to_pages(ctx.kernel, ctx.organization_id, LIST_CHANGED, {})
    except Exception:  # a live update is a courtesy: the change itself is committed
        log.warning("could not push an appointments list change", exc_info=True)


LIST_HANDLERS = [marcus.EventHandler(event=cls.name, handler=list_changed) for cls in EVENT_TYPES]


class AppointmentsNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """``watch`` / ``unwatch`` a service's availability. ``kernel`` is attached at startup."""

    def __init__(self) -> None:
        super().__init__(NAMESPACE)
        self.kernel: Any = None

    async def on_watch(self, sid: str, data: Any) -> dict[str, Any]:
        """Join the service's room when it exists in the caller's workspace."""
        service_id = _service_id(data)
        if service_id is None:
            return {"ok": False, "error": "service_id: a service id is required", "field": "service_id"}
        session = await self.get_session(sid)
        org_id = session["tenant"].id
        if not await self._exists(org_id, service_id):
            return {"ok": False, "error": "service_id: no such service", "field": "service_id"}
        await self.enter_room(sid, service_room(org_id, service_id))
        return {"ok": True, "service_id": str(service_id)}

    async def on_unwatch(self, sid: str, data: Any) -> dict[str, Any]:
        service_id = _service_id(data)
        if service_id is not None:
            session = await self.get_session(sid)
            await self.leave_room(sid, service_room(session["tenant"].id, service_id))
        return {"ok": True}

    async def _exists(self, org_id: uuid.UUID, service_id: uuid.UUID) -> bool:
        query = select(Service.id).where(Service.organization_id == org_id, Service.id == service_id)
        async with self.kernel.db.tenant_session(org_id) as db:
            return await db.scalar(query) is not None


def _service_id(data: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(data.get("service_id"))) if isinstance(data, dict) else None
    except ValueError:
        return None


def attach_kernel(kernel: Any) -> None:
    """Give this app's namespace its kernel (the registration hook takes no arguments)."""
    namespace = kernel.sio.namespace_handlers.get(NAMESPACE)
    if isinstance(namespace, AppointmentsNamespace):
        namespace.kernel = kernel
