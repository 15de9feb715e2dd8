"""Appointments: reading (scoped by the caller's grant), the lifecycle, and the interface the
invoices plugin uses. Keyword-only; writes commit (except ``complete_from_invoice``, which
runs in its caller's transaction); errors are domain errors.

Lifecycle (seed-api §3.3, with approval and no-show added):
Pending -> Upcoming (staff approve) -> Completed (staff, or an invoice) | NoShow (staff, after
the start); Pending / Upcoming -> Cancelled (customer before the cut-off, or staff). Every
transition is a guarded ``UPDATE ... WHERE status IN (...)``: two concurrent changes cannot both
win. Cancelling frees the seat in the same transaction; rescheduling claims the new seat,
moves the appointment and frees the old seat in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

import marcus
from marcus_appointments.booking import SlotState, _check_time, already_booked, slot_taken
from marcus_appointments.events import Approved, Cancelled, Completed, MarkedNoShow, Rescheduled
from marcus_appointments.models import (
    ACTIVE,
    CANCELLED,
    COMPLETED,
    IN_PERSON,
    NO_SHOW,
    PENDING,
    UPCOMING,
    Appointment,
    Slot,
)
from marcus_appointments.settings import AppointmentsSettings

MAX_LIMIT = 100  # as the kernel's PageQuery caps it


@dataclass(frozen=True, kw_only=True)
class Filters:
    """List filters (seed-api §3.3 plus a date range), combined with AND."""

    status: str | None = None
    meeting_type: str | None = None
    service_id: uuid.UUID | None = None
    slot_id: uuid.UUID | None = None
    number: str | None = None
    customer_id: uuid.UUID | None = None
    starts_from: datetime | None = None
    starts_before: datetime | None = None

    def given(self) -> dict[str, Any]:
        """The filters set, by name: the statement's parameters."""
        return {name: value for name, value in vars(self).items() if value is not None}

    def where(self) -> list[ColumnElement[bool]]:
        """The filters set, as conditions with their values bound."""
        return [_condition(name, bindparam(name, value)) for name, value in self.given().items()]


def _condition(name: str, value: BindParameter[Any]) -> ColumnElement[bool]:
    """The condition of the filter ``name`` on the parameter ``value``."""
    if name == "starts_from":
        return Appointment.starts_at >= value
    if name == "starts_before":
        return Appointment.starts_at < value
    column: ColumnElement[Any] = getattr(Appointment, name)
    return column == value


def visible(grant: marcus.Grant) -> Select[Appointment]:
    """The appointments the caller may see: a customer's own, or the workspace's."""
    return select(Appointment).where(
        Appointment.organization_id == grant.principal.org_id, grant.owner_filter(Appointment.customer_id)
    )


async def list_appointments(
    session: AsyncSession, grant: marcus.Grant, *, filters: Filters, page: int, limit: int
) -> marcus.Page[Any]:
    """Newest start first (the seed's ``scheduledAt desc``), as ``marcus.Page`` of row dicts.

    One statement: the page's rows each carry the total (an uncorrelated subquery, evaluated
    once); only a page past the end needs a second statement for the total. Both are compiled
    once per combination of filters and run straight on psycopg (docs/decisions.md §31).
    """
    limit, page = max(1, min(limit, MAX_LIMIT)), max(1, page)
    given = filters.given()
    params = {**given, "org": grant.principal.org_id, "caller": grant.principal.user_id}
    page_sql, count_sql = _list_sql(grant, tuple(given))
    rows = await marcus.fetch_dicts(session, page_sql, {**params, "limit": limit, "offset": (page - 1) * limit})
    total = rows[0]["total"] if rows else (await marcus.fetch_dicts(session, count_sql, params))[0]["total"]
    return marcus.Page.of(rows, page=page, limit=limit, total=total)


# (grant scope, filters given) -> (page SQL, count SQL): at most 2 scopes x 2^8 combinations.
_LIST_SQL: dict[tuple[str, tuple[str, ...]], tuple[str, str]] = {}


def _list_sql(grant: marcus.Grant, filtered: tuple[str, ...]) -> tuple[str, str]:
    """The list's page statement and count statement for the grant's scope and the filters
    named, compiled once each, with ``%(name)s`` parameters: ``org``, ``caller`` (used by the
    ``own`` scope), each filter's name, ``limit`` and ``offset``."""
    key = (grant.scope, filtered)
    if key not in _LIST_SQL:
        where = [
            Appointment.organization_id == bindparam("org"),
            grant.owner_filter(Appointment.customer_id, caller=bindparam("caller")),
            *(_condition(name, bindparam(name)) for name in filtered),
        ]
        counting = select(func.count().label("total")).select_from(Appointment).where(*where)
        page = (
            select(*Appointment.__table__.columns, counting.scalar_subquery().label("total"))
            .where(*where)
            .order_by(Appointment.starts_at.desc(), Appointment.id.desc())
            .limit(bindparam("limit"))
            .offset(bindparam("offset"))
        )
        _LIST_SQL[key] = marcus.psycopg_sql(page), marcus.psycopg_sql(counting)
    return _LIST_SQL[key]


async def get_appointment(session: AsyncSession, grant: marcus.Grant, *, appointment_id: uuid.UUID) -> Appointment:
    """One appointment the caller may see; 404 otherwise, whether it exists or not."""
    appointment = await session.scalar(visible(grant).where(Appointment.id == appointment_id))
    if appointment is None:
        raise marcus.NotFound("No such appointment.", code="appointment_not_found")
    return appointment


# --- lifecycle ------------------------------------------------------------------------------


def _not_in(appointment: Appointment, allowed: Sequence[str], action: str) -> marcus.Conflict:
    wanted = " or ".join(allowed)
    return marcus.Conflict(
        f"Only {wanted} appointments can be {action}; this one is {appointment.status}.",
        code="wrong_status",
        errors=[{"field": "status", "message": f"is {appointment.status}"}],
    )


async def _move(
    session: AsyncSession,
    appointment: Appointment,
    *,
    allowed: Sequence[str],
    action: str,
    conditions: Sequence[ColumnElement[bool]] = (),
    **values: Any,
) -> Appointment:
    """``UPDATE`` the appointment if it is still in ``allowed`` (and ``conditions`` hold)."""
    statement = (
        update(Appointment)
        .where(
            Appointment.organization_id == appointment.organization_id,
            Appointment.id == appointment.id,
            Appointment.status.in_(allowed),
            *conditions,
        )
        .values(updated_at=func.now(), **values)
        .returning(Appointment)
    )
    refusal = _not_in(appointment, allowed, action)  # before a rollback expires the object
    moved = await session.scalar(statement, execution_options={"populate_existing": True})
    if moved is None:
        await session.rollback()
        raise refusal
    return moved


async def _seat(session: AsyncSession, *, org_id: uuid.UUID, slot_id: uuid.UUID | None, delta: int) -> SlotState | None:
    if slot_id is None:
        return None
    row = (
        await session.execute(
            update(Slot)
            .where(Slot.organization_id == org_id, Slot.id == slot_id)
            .values(booked=Slot.booked + delta)
            .returning(Slot.id, Slot.service_id, Slot.booked, Slot.capacity, Slot.enabled),
            execution_options={"synchronize_session": False},
        )
    ).first()
    return SlotState(id=row[0], service_id=row[1], booked=row[2], capacity=row[3], enabled=row[4]) if row else None


def _fields(appointment: Appointment) -> dict[str, Any]:
    return {
        "customer_id": appointment.customer_id,
        "entity_id": appointment.id,
        "appointment_id": appointment.id,
        "number": appointment.number,
        "status": appointment.status,
        "service_id": appointment.service_id,
        "starts_at": appointment.starts_at,
    }


async def cancel(
    session: AsyncSession,
    appointment: Appointment,
    *,
    grant: marcus.Grant,
    settings: AppointmentsSettings,
    reason: str | None = None,
) -> tuple[Appointment, SlotState | None]:
    """Cancel and free the seat. Customers (scope ``own``) must do it before the cut-off."""
    conditions: list[ColumnElement[bool]] = []
    cutoff = timedelta(hours=settings.cancellation_cutoff_hours)
    if grant.scope == "own" and cutoff:
        if appointment.starts_at - cutoff <= datetime.now(UTC):
            raise marcus.Conflict(
                f"Appointments can be cancelled up to {settings.cancellation_cutoff_hours} hours before they start.",
                code="cancellation_cutoff",
                errors=[{"field": "starts_at", "message": "within the cancellation cut-off"}],
            )
        conditions.append(Appointment.starts_at > func.now() + cutoff)
    done = await _move(
        session,
        appointment,
        allowed=ACTIVE,
        action="cancelled",
        conditions=conditions,
        status=CANCELLED,
        cancelled_at=func.now(),
        cancelled_by=grant.principal.user_id,
        cancel_reason=reason,
    )
    state = await _seat(session, org_id=done.organization_id, slot_id=done.slot_id, delta=-1)
    await marcus.publish(session, Cancelled(**_fields(done), reason=reason), actor_id=grant.principal.user_id)
    await session.commit()
    return done, state


async def approve(session: AsyncSession, appointment: Appointment, *, actor_id: uuid.UUID) -> Appointment:
    """Pending -> Upcoming (staff)."""
    done = await _move(session, appointment, allowed=(PENDING,), action="approved", status=UPCOMING)
    await marcus.publish(session, Approved(**_fields(done)), actor_id=actor_id)
    await session.commit()
    return done


async def complete(
    session: AsyncSession, appointment: Appointment, *, actor_id: uuid.UUID, invoice_id: uuid.UUID | None = None
) -> Appointment:
    """Upcoming -> Completed (staff); the seat stays taken, as in the seed."""
    done = await _move(
        session,
        appointment,
        allowed=(UPCOMING,),
        action="completed",
        status=COMPLETED,
        completed_at=func.now(),
        invoice_id=invoice_id,
    )
    await marcus.publish(session, Completed(**_fields(done), invoice_id=invoice_id), actor_id=actor_id)
    await session.commit()
    return done


async def mark_no_show(session: AsyncSession, appointment: Appointment, *, actor_id: uuid.UUID) -> Appointment:
    """Upcoming -> NoShow (staff), once the appointment has started."""
    if appointment.starts_at > datetime.now(UTC):
        raise marcus.Conflict(
            "An appointment can be marked as a no-show only once it has started.",
            code="not_started",
            errors=[{"field": "starts_at", "message": "in the future"}],
        )
    done = await _move(
        session,
        appointment,
        allowed=(UPCOMING,),
        action="marked as no-show",
        conditions=[Appointment.starts_at <= func.now()],
        status=NO_SHOW,
    )
    await marcus.publish(session, MarkedNoShow(**_fields(done)), actor_id=actor_id)
    await session.commit()
    return done


async def update_details(
    session: AsyncSession, appointment: Appointment, *, meeting_type: str | None, note: str | None
) -> Appointment:
    """Change the meeting type and/or note of a Pending or Upcoming appointment (no event, as the seed)."""
    kind = meeting_type or appointment.meeting_type
    text = appointment.note if note is None else note
    if kind == IN_PERSON and not text.strip():
        raise marcus.Invalid(
            "A note is required for an in-person meeting.",
            code="note_required",
            errors=[{"field": "body.note", "message": "required for an in-person meeting"}],
        )
    done = await _move(session, appointment, allowed=ACTIVE, action="updated", meeting_type=kind, note=text)
    await session.commit()
    return done


async def reschedule(
    session: AsyncSession,
    appointment: Appointment,
    *,
    slot_id: uuid.UUID,
    actor_id: uuid.UUID,
    settings: AppointmentsSettings,
) -> tuple[Appointment, SlotState, SlotState | None]:
    """Move to another free slot of the same service in one transaction: the new seat is
    claimed, the appointment moved and the old seat freed, or nothing changes."""
    if slot_id == appointment.slot_id:
        raise marcus.Invalid(
            "That is the appointment's current slot.",
            code="same_slot",
            errors=[{"field": "body.slot_id", "message": "already this appointment's slot"}],
        )
    if appointment.status not in ACTIVE:
        raise _not_in(appointment, ACTIVE, "rescheduled")
    org_id, now = appointment.organization_id, datetime.now(UTC)
    claim = (
        update(Slot)
        .where(
            Slot.organization_id == org_id,
            Slot.id == slot_id,
            Slot.service_id == appointment.service_id,
            Slot.enabled,
            Slot.booked < Slot.capacity,
            Slot.starts_at > now + timedelta(minutes=settings.min_notice_minutes),
            Slot.starts_at <= now + timedelta(days=settings.max_days_ahead),
        )
        .values(booked=Slot.booked + 1)
        .returning(Slot)
    )
    new_slot = await session.scalar(claim, execution_options={"populate_existing": True})
    if new_slot is None:
        await _reschedule_refusal(session, appointment, slot_id=slot_id, now=now, settings=settings)
    assert new_slot is not None
    previous, old_slot = appointment.starts_at, appointment.slot_id  # _move refreshes the object
    try:
        moved = await _move(
            session,
            appointment,
            allowed=ACTIVE,
            action="rescheduled",
            conditions=[Appointment.slot_id == old_slot] if old_slot else [],
            slot_id=new_slot.id,
            staff_id=new_slot.staff_id,
            starts_at=new_slot.starts_at,
            ends_at=new_slot.ends_at,
        )
    except IntegrityError as exc:
        await session.rollback()
        raise already_booked() from exc
    old = await _seat(session, org_id=org_id, slot_id=old_slot, delta=-1)
    event = Rescheduled(**_fields(moved), previous_starts_at=previous, slot_id=new_slot.id)
    await marcus.publish(session, event, actor_id=actor_id)
    await session.commit()
    return moved, SlotState.of(new_slot), old


async def _reschedule_refusal(
    session: AsyncSession,
    appointment: Appointment,
    *,
    slot_id: uuid.UUID,
    now: datetime,
    settings: AppointmentsSettings,
) -> None:
    found = await session.execute(
        select(Slot.service_id, Slot.enabled, Slot.starts_at).where(
            Slot.organization_id == appointment.organization_id, Slot.id == slot_id
        )
    )
    slot, service_id = found.first(), appointment.service_id
    await session.rollback()
    field = "body.slot_id"
    if slot is None:
        raise marcus.NotFound("No such slot.", code="slot_not_found", errors=[{"field": field, "message": "not found"}])
    if slot.service_id != service_id:
        raise marcus.Invalid(
            "An appointment can only move to a slot of the same service.",
            code="service_mismatch",
            errors=[{"field": field, "message": "slot of another service"}],
        )
    if not slot.enabled:
        raise marcus.Conflict(
            "This slot is disabled.", code="slot_disabled", errors=[{"field": field, "message": "disabled"}]
        )
    _check_time(slot.starts_at, now=now, settings=settings, field=field)
    raise slot_taken()


# --- the invoices plugin's interface --------------------------------------------------------


async def get_for_invoice(session: AsyncSession, *, org_id: uuid.UUID, appointment_id: uuid.UUID) -> Appointment:
    """The appointment an invoice is for (any status); ``NotFound`` naming ``appointment_id``."""
    appointment = await session.scalar(
        select(Appointment).where(Appointment.organization_id == org_id, Appointment.id == appointment_id)
    )
    if appointment is None:
        raise marcus.NotFound(
            "No such appointment.",
            code="appointment_not_found",
            errors=[{"field": "appointment_id", "message": "not found"}],
        )
    return appointment


async def complete_from_invoice(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    appointment_id: uuid.UUID,
    invoice_id: uuid.UUID,
    actor_id: uuid.UUID | None,
) -> Appointment:
    """Mark the appointment Completed because ``invoice_id`` bills it, in the CALLER's
    transaction (no commit): the invoice and the completion happen together or not at all.

    Idempotent: an appointment already Completed only records the invoice. Upcoming ones are
    completed and ``appointments.completed`` (with ``invoice_id``) is published. Pending,
    Cancelled and NoShow ones are a ``Conflict`` naming ``appointment_id``.
    """
    appointment = await get_for_invoice(session, org_id=org_id, appointment_id=appointment_id)
    where = (Appointment.organization_id == org_id, Appointment.id == appointment_id)
    if appointment.status == COMPLETED:
        statement = update(Appointment).where(*where).values(invoice_id=invoice_id).returning(Appointment)
        return (await session.scalars(statement, execution_options={"populate_existing": True})).one()
    statement = (
        update(Appointment)
        .where(*where, Appointment.status == UPCOMING)
        .values(status=COMPLETED, completed_at=func.now(), invoice_id=invoice_id, updated_at=func.now())
        .returning(Appointment)
    )
    done = await session.scalar(statement, execution_options={"populate_existing": True})
    if done is None:
        raise marcus.Conflict(
            f"Appointment {appointment.number} is {appointment.status} and cannot be invoiced as completed.",
            code="wrong_status",
            errors=[{"field": "appointment_id", "message": f"is {appointment.status}"}],
        )
    await marcus.publish(session, Completed(**_fields(done), invoice_id=invoice_id), actor_id=actor_id)
    return done
