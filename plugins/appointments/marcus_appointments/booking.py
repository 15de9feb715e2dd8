"""Booking in ONE SQL statement: claim a seat of the slot, take the workspace's next number,
insert the appointment and its ``appointments.booked`` outbox row, all or nothing.

The claim is a conditional ``UPDATE ... SET booked = booked + 1 WHERE booked < capacity``:
concurrent bookings of the last seat queue on the slot's row lock and all but one find no row
(``CHECK (booked <= capacity)`` backs it). Only when nothing was claimed does a second
statement find out why (404, 409 taken, 409 disabled, 422 in the past ...).

The outbox row is the one ``marcus.publish`` writes, inserted by the statement itself (one
round trip less, and shorter locks on the slot and the counter). When some plugin subscribes
to ``appointments.booked`` in the publisher's transaction, the booking falls back to
``marcus.publish`` so those subscribers run.

The statement and its ``COMMIT`` go to the server together (psycopg pipeline mode): the
workspace's counter row, which keeps the numbers gap-free, is then locked only while the
server runs the statement and commits, never while the reply travels back and waits for the
event loop to send ``COMMIT`` (which under load serialized a busy workspace's bookings behind
its slowest one). See docs/decisions.md §24.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

import marcus
from marcus_appointments.events import Booked
from marcus_appointments.models import PENDING, UPCOMING, Appointment, Slot
from marcus_appointments.settings import AppointmentsSettings

_CLAIM = """
WITH claim AS (
    UPDATE appointments_slots AS s SET booked = s.booked + 1
    WHERE s.organization_id = :org AND s.id = :slot AND s.enabled AND s.booked < s.capacity
      AND s.starts_at > :earliest AND s.starts_at <= :latest
      AND (CAST(:service AS uuid) IS NULL OR s.service_id = CAST(:service AS uuid))
      AND (SELECT v.status FROM services AS v WHERE v.organization_id = s.organization_id AND v.id = s.service_id)
          = 'active'  /* a subplan, not a join: the slot is found by its primary key whatever the statistics */
    RETURNING s.service_id, s.staff_id, s.starts_at, s.ends_at, s.booked, s.capacity
), counter AS (
    INSERT INTO appointments_counters AS c (organization_id, id, name, value)
    SELECT :org, :counter_id, 'appointment', 1 FROM claim
    ON CONFLICT (organization_id, name) DO UPDATE SET value = c.value + 1
    RETURNING c.value
), appointment AS (
    INSERT INTO appointments (organization_id, id, number, customer_id, service_id, slot_id, staff_id,
                              starts_at, ends_at, meeting_type, status, note, price, attachments)
    SELECT :org, :id,
           'APPT-' || lpad(CAST(counter.value AS text), greatest(6, length(CAST(counter.value AS text))), '0'),
           :customer, claim.service_id, :slot, claim.staff_id, claim.starts_at, claim.ends_at,
           :meeting_type, :status, :note,
           (SELECT v.price FROM services AS v WHERE v.organization_id = :org AND v.id = claim.service_id),
           CAST(:attachments AS jsonb)
    FROM claim, counter
    RETURNING *
)"""
_OUTBOX = """, outbox AS (
    INSERT INTO {outbox} (organization_id, id, name, payload, actor_id, created_at, next_attempt_at)
    SELECT :org, :event_id, :event_name,
           CAST(:payload AS jsonb)
             || jsonb_build_object('number', a.number, 'service_id', a.service_id, 'starts_at', a.starts_at),
           :actor, now(), now()
    FROM appointment AS a
)"""
_RESULT = """
SELECT a.*, claim.booked AS slot_booked, claim.capacity AS slot_capacity FROM appointment AS a, claim"""
BOOK = text(_CLAIM + _RESULT)
BOOK_AND_PUBLISH = text(_CLAIM + _OUTBOX.format(outbox=marcus.OutboxEvent.__tablename__) + _RESULT)
_PIPELINED = marcus.psycopg_sql(BOOK_AND_PUBLISH)
WHY = text("""
SELECT s.enabled, s.booked, s.capacity, s.starts_at, s.service_id, v.status AS service_status, v.name,
       EXISTS (SELECT 1 FROM appointments a
               WHERE a.organization_id = s.organization_id AND a.slot_id = s.id AND a.customer_id = :customer
                 AND a.status IN ('Pending', 'Upcoming')) AS mine
FROM appointments_slots s JOIN services v ON v.organization_id = s.organization_id AND v.id = s.service_id
WHERE s.organization_id = :org AND s.id = :slot""")
COLUMNS = [c.key for c in Appointment.__table__.columns]


@dataclass(frozen=True, kw_only=True)
class SlotState:
    """What a live update says about a slot after a change."""

    id: uuid.UUID
    service_id: uuid.UUID
    booked: int
    capacity: int
    enabled: bool = True
    deleted: bool = False

    @classmethod
    def of(cls, slot: Slot, *, deleted: bool = False) -> SlotState:
        return cls(
            id=slot.id,
            service_id=slot.service_id,
            booked=slot.booked,
            capacity=slot.capacity,
            enabled=slot.enabled,
            deleted=deleted,
        )


@dataclass(frozen=True, kw_only=True)
class Booking:
    appointment: Appointment
    slot: SlotState


@dataclass(frozen=True, kw_only=True)
class BookingRequest:
    """A checked request to book: who for, which slot, how."""

    customer_id: uuid.UUID
    actor_id: uuid.UUID
    slot_id: uuid.UUID
    meeting_type: str
    note: str = ""
    service_id: uuid.UUID | None = None
    attachments: tuple[dict[str, Any], ...] = ()

    @classmethod
    def by(
        cls,
        grant: marcus.Grant,
        *,
        customer_id: uuid.UUID | None,
        field: str = "body.customer_id",
        code: str = "not_your_booking",
        **how: Any,
    ) -> BookingRequest:
        """The caller's booking: for themselves, or for ``customer_id`` when they may book for
        anyone (scope ``any``: staff); a customer naming someone else is a 403 naming ``field``."""
        me = grant.principal.user_id
        if customer_id not in (None, me) and grant.scope != "any":
            raise marcus.Forbidden(
                "You may book only for yourself.",
                code=code,
                errors=[{"field": field, "message": "must be your own id (or left out)"}],
            )
        return cls(customer_id=customer_id or me, actor_id=me, **how)


async def book(
    session: AsyncSession,
    bus: Any,
    *,
    org_id: uuid.UUID,
    request: BookingRequest,
    settings: AppointmentsSettings,
) -> Booking:
    """Book ``request.slot_id`` in one statement and commit; domain errors explain a refusal.

    The session's transaction ends here either way. Without same-transaction subscribers the
    statement is sent with its ``COMMIT``, so whatever the session did before in that
    transaction (the API routes only read) is committed even when the slot is refused.
    """
    now = datetime.now(UTC)
    appointment_id, event_id = marcus.new_id(), marcus.new_id()
    status = PENDING if settings.approval_required else UPCOMING
    in_statement = not bus.subscribers(Booked.name, same_transaction=True)
    params = {
        "org": org_id,
        "slot": request.slot_id,
        "service": request.service_id,
        "customer": request.customer_id,
        "actor": request.actor_id,
        "earliest": now + timedelta(minutes=settings.min_notice_minutes),
        "latest": now + timedelta(days=settings.max_days_ahead),
        "counter_id": marcus.new_id(),
        "id": appointment_id,
        "meeting_type": request.meeting_type,
        "status": status,
        "note": request.note,
        "attachments": json.dumps(list(request.attachments)),
        "event_id": event_id,
        "event_name": Booked.name,
        "payload": json.dumps(_payload(request, appointment_id, status)),
    }
    if in_statement:
        row = await _book_and_commit(session, params)
    else:
        row = await _book_in_transaction(session, params)
    if row is None:
        await _refusal(session, org_id=org_id, request=request, now=now, settings=settings)
    assert row is not None
    appointment = Appointment(**{name: row[name] for name in COLUMNS})
    if in_statement:
        bus.wake()  # what publish() arranges: the in-process relay delivers at once
    else:
        await marcus.publish(session, booked_event(appointment), actor_id=request.actor_id)
        await session.commit()
    state = SlotState(
        id=request.slot_id, service_id=appointment.service_id, booked=row["slot_booked"], capacity=row["slot_capacity"]
    )
    return Booking(appointment=appointment, slot=state)


async def _book_and_commit(session: AsyncSession, params: dict[str, Any]) -> dict[str, Any] | None:
    """The booking statement and ``COMMIT`` in one round trip; the transaction is over on return.

    ``session.connection()`` begins the transaction and binds the tenant as always; the
    statement then goes straight to psycopg (the session's own connection) in pipeline mode.
    """
    raw = await marcus.psycopg_connection(session)
    cursor = raw.cursor(row_factory=dict_row)
    try:
        async with raw.pipeline():  # both sent together, answered after one Sync at the block's end
            await cursor.execute(_PIPELINED, params)
            await raw.execute("COMMIT")
        row = await cursor.fetchone()
    except psycopg.IntegrityError as exc:
        await session.rollback()
        raise _integrity(str(exc)) from exc
    finally:
        await cursor.close()
    # The session's transaction ends too (nothing left to send): as a commit when the booking
    # was made, as a rollback when nothing was claimed, so after-commit work (files staged for
    # the booking, live pushes) happens only for a booking.
    await (session.commit() if row is not None else session.rollback())
    return row


async def _book_in_transaction(session: AsyncSession, params: dict[str, Any]) -> Any:
    """The booking statement inside the session's transaction (same-transaction subscribers run next)."""
    try:
        connection = await session.connection()  # Core, not the ORM: a plain statement needs no unit of work
        return (await connection.execute(BOOK, params)).mappings().first()
    except IntegrityError as exc:
        await session.rollback()
        raise _integrity(str(exc.orig)) from exc


def _payload(request: BookingRequest, appointment_id: uuid.UUID, status: str) -> dict[str, Any]:
    """The event's fields known before the statement; it adds number, service and start."""
    return {
        "customer_id": str(request.customer_id),
        "entity_id": str(appointment_id),
        "appointment_id": str(appointment_id),
        "status": status,
        "slot_id": str(request.slot_id),
        "meeting_type": request.meeting_type,
    }


def booked_event(appointment: Appointment) -> Booked:
    assert appointment.slot_id is not None
    return Booked(
        customer_id=appointment.customer_id,
        entity_id=appointment.id,
        appointment_id=appointment.id,
        number=appointment.number,
        status=appointment.status,
        service_id=appointment.service_id,
        starts_at=appointment.starts_at,
        slot_id=appointment.slot_id,
        meeting_type=appointment.meeting_type,
    )


def _integrity(message: str) -> marcus.MarcusError:
    if "uq_appointments_active_slot_customer" in message:
        return already_booked()
    if "customer_id" in message:
        return marcus.Invalid(
            "No such customer in this workspace.",
            code="customer_not_found",
            errors=[{"field": "body.customer_id", "message": "not found"}],
        )
    return slot_taken()


def slot_taken() -> marcus.Conflict:
    return marcus.Conflict(
        "This slot is already booked. Pick another time.",
        code="slot_taken",
        errors=[{"field": "body.slot_id", "message": "no seat left in this slot"}],
    )


def already_booked() -> marcus.Conflict:
    return marcus.Conflict(
        "You already have a booking for this slot.",
        code="already_booked",
        errors=[{"field": "body.slot_id", "message": "already booked by this customer"}],
    )


async def _refusal(
    session: AsyncSession, *, org_id: uuid.UUID, request: BookingRequest, now: datetime, settings: AppointmentsSettings
) -> None:
    """Nothing was claimed: say why, as precisely as the slot's row allows."""
    why = (
        await session.execute(WHY, {"org": org_id, "slot": request.slot_id, "customer": request.customer_id})
    ).first()
    await session.rollback()
    field = "body.slot_id"
    if why is None:
        raise marcus.NotFound("No such slot.", code="slot_not_found", errors=[{"field": field, "message": "not found"}])
    if request.service_id is not None and why.service_id != request.service_id:
        raise marcus.Invalid(
            "This slot belongs to another service.",
            code="service_mismatch",
            errors=[{"field": "body.service_id", "message": "does not match the slot's service"}],
        )
    if why.service_status != "active":
        raise marcus.Conflict(
            f"The service '{why.name}' is {why.service_status} and cannot be booked.",
            code="service_not_bookable",
            errors=[{"field": field, "message": f"service is {why.service_status}"}],
        )
    if not why.enabled:
        raise marcus.Conflict(
            "This slot is disabled.", code="slot_disabled", errors=[{"field": field, "message": "disabled"}]
        )
    if why.mine:
        raise already_booked()
    _check_time(why.starts_at, now=now, settings=settings, field=field)
    raise slot_taken()


def _check_time(starts_at: datetime, *, now: datetime, settings: AppointmentsSettings, field: str) -> None:
    if starts_at <= now:
        raise marcus.Invalid(
            "This slot is in the past.", code="slot_in_past", errors=[{"field": field, "message": "starts in the past"}]
        )
    if starts_at <= now + timedelta(minutes=settings.min_notice_minutes):
        raise marcus.Invalid(
            f"Bookings need {settings.min_notice_minutes} minutes' notice.",
            code="too_short_notice",
            errors=[{"field": field, "message": "starts too soon"}],
        )
    if starts_at > now + timedelta(days=settings.max_days_ahead):
        raise marcus.Invalid(
            f"Bookings open {settings.max_days_ahead} days ahead.",
            code="too_far_ahead",
            errors=[{"field": field, "message": "starts too far ahead"}],
        )
