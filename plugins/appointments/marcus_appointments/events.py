"""Appointment events. Each carries a ``Notice``: the kernel turns it into the activity entry
and the customer's notification (the seed's texts, seed-api §4.6), pushed live."""

from __future__ import annotations

import uuid
from datetime import datetime

from marcus import Event, Notice

ACTIVITY = "Appointment"
STATUS_TITLE = "Appointment status updated"
STATUS_MESSAGE = "Your appointment status is now {status}."


class AppointmentEvent(Event):
    """What every appointment event says about the appointment."""

    appointment_id: uuid.UUID
    number: str
    status: str
    service_id: uuid.UUID
    starts_at: datetime


class Booked(AppointmentEvent):
    """A customer booked a slot (status Upcoming, or Pending when staff approval is required)."""

    name = "appointments.booked"
    notice = Notice(type=ACTIVITY, title="Appointment created", message="Your appointment has been created.")
    slot_id: uuid.UUID
    meeting_type: str


class Cancelled(AppointmentEvent):
    """The customer or staff cancelled; the seat is free again."""

    name = "appointments.cancelled"
    notice = Notice(type=ACTIVITY, title=STATUS_TITLE, message=STATUS_MESSAGE)
    reason: str | None = None


class Rescheduled(AppointmentEvent):
    """Moved to another slot in one transaction."""

    name = "appointments.rescheduled"
    notice = Notice(type=ACTIVITY, title="Appointment rescheduled", message="Your appointment {number} has been moved.")
    previous_starts_at: datetime
    slot_id: uuid.UUID


class Completed(AppointmentEvent):
    """Staff completed it (directly or by invoicing it: ``invoice_id``)."""

    name = "appointments.completed"
    notice = Notice(type=ACTIVITY, title=STATUS_TITLE, message=STATUS_MESSAGE)
    invoice_id: uuid.UUID | None = None


class Approved(AppointmentEvent):
    """Staff approved a Pending booking: it is Upcoming."""

    name = "appointments.approved"
    notice = Notice(type=ACTIVITY, title=STATUS_TITLE, message=STATUS_MESSAGE)


class MarkedNoShow(AppointmentEvent):
    """The customer did not come (recorded in the activity feed, nobody notified)."""

    name = "appointments.no_show"
    notice = Notice(
        type=ACTIVITY, title="No-show", message="Appointment {number} was marked as a no-show.", notify=False
    )


EVENT_TYPES: list[type[Event]] = [Booked, Cancelled, Rescheduled, Completed, Approved, MarkedNoShow]
