"""Portal pages of appointments (mounted by the kernel through ``register_pages``).

Customers: book (``booking_pages``: service -> day -> a slot grid that updates live as others
book or cancel, then meeting type and note), their appointments (``appointment_pages``:
details, files (upload, download through a signed link, remove), cancel, reschedule, the PDF
and the calendar file). Staff: every appointment with filters, approve, complete, no-show and
cancel; the schedule (``schedule_pages``: rules, closures and special days, generation,
enabling and disabling slots). Every action calls the same services as the API with the same
grants, and announces slot changes exactly as the API does.
"""

from __future__ import annotations

import pathlib

from fastapi import APIRouter

import marcus
from marcus_appointments import appointment_pages, booking_pages, schedule_pages
from marcus_appointments.permissions import BOOK, READ, SCHEDULE


def page_router() -> APIRouter:
    """The three page routers as one, static paths (``/book``, ``/schedule``) before
    ``/{appointment_id}``, which would otherwise take them."""
    router = APIRouter()
    for part in (booking_pages.router, schedule_pages.router, appointment_pages.router):
        router.routes.extend(part.routes)
    return router


def pageset() -> marcus.PageSet:
    """What ``register_pages`` returns: the router, the templates folder, the menu entries."""
    return marcus.PageSet(
        router=page_router(),
        templates=pathlib.Path(__file__).parent / "templates",
        menu=(
            marcus.MenuEntry(label="Book", path="/appointments/book", permission=BOOK),
            marcus.MenuEntry(label="Appointments", path="/appointments", permission=READ),
            marcus.MenuEntry(label="Schedule", path="/appointments/schedule", permission=SCHEDULE),
        ),
    )
