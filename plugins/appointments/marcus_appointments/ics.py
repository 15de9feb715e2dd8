"""Calendar files (RFC 5545, with ``icalendar``): one appointment's ``.ics`` and a customer's
private feed. Times carry the workspace's time zone (with its VTIMEZONE), so calendar apps
show them right across daylight-saving changes."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from marcus_services.models import Service
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

import marcus
from marcus_appointments.models import CANCELLED, PENDING, Appointment, CalendarFeed

FEED_PAST_DAYS = 90
ICS_TYPE = "text/calendar; charset=utf-8"
STATUS = {PENDING: "TENTATIVE", CANCELLED: "CANCELLED"}


def _event(appointment: Appointment, *, service_name: str, workspace: str, zone: ZoneInfo) -> Event:
    event = Event()
    event.add("uid", f"{appointment.id}@marcus")
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", appointment.starts_at.astimezone(zone))
    event.add("dtend", appointment.ends_at.astimezone(zone))
    event.add("summary", f"{service_name} ({appointment.number})")
    event.add("description", f"{workspace} - {appointment.meeting_type}\n{appointment.note}".strip())
    event.add("status", STATUS.get(appointment.status, "CONFIRMED"))
    event.add("sequence", int(appointment.updated_at.timestamp()) if appointment.updated_at else 0)
    return event


def calendar(appointments: Sequence[tuple[Appointment, str]], *, workspace: str, zone: ZoneInfo, name: str) -> bytes:
    """A VCALENDAR with one VEVENT per (appointment, service name)."""
    cal = Calendar()
    cal.add("prodid", "-//Marcus//Appointments//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", zone.key)
    for appointment, service_name in appointments:
        cal.add_component(_event(appointment, service_name=service_name, workspace=workspace, zone=zone))
    cal.add_missing_timezones()
    data: bytes = cal.to_ical()
    return data


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def rotate_feed(session: AsyncSession, *, org_id: uuid.UUID, customer_id: uuid.UUID) -> str:
    """A new secret token for the customer's feed (the previous URL stops working)."""
    token = secrets.token_urlsafe(32)
    statement = insert(CalendarFeed).values(
        organization_id=org_id, id=marcus.new_id(), customer_id=customer_id, token_hash=_hash(token)
    )
    statement = statement.on_conflict_do_update(
        index_elements=["organization_id", "customer_id"], set_={"token_hash": statement.excluded.token_hash}
    )
    await session.execute(statement)
    await session.commit()
    return token


async def revoke_feed(session: AsyncSession, *, org_id: uuid.UUID, customer_id: uuid.UUID) -> None:
    await session.execute(
        delete(CalendarFeed).where(CalendarFeed.organization_id == org_id, CalendarFeed.customer_id == customer_id)
    )
    await session.commit()


async def feed_owner(session: AsyncSession, *, org_id: uuid.UUID, token: str) -> uuid.UUID:
    """The customer whose feed ``token`` opens; 404 for an unknown or revoked token."""
    customer = await session.scalar(
        select(CalendarFeed.customer_id).where(
            CalendarFeed.organization_id == org_id, CalendarFeed.token_hash == _hash(token)
        )
    )
    if customer is None:
        raise marcus.NotFound("No such calendar feed.", code="feed_not_found")
    return customer


def feed_window() -> datetime:
    """Feeds list appointments from this long ago on."""
    return datetime.now(UTC) - timedelta(days=FEED_PAST_DAYS)


async def with_service_names(
    session: AsyncSession, *, org_id: uuid.UUID, where: Sequence[object]
) -> list[tuple[Appointment, str]]:
    """Appointments matching ``where`` with their service's name, by start."""
    query = (
        select(Appointment, Service.name)
        .join(
            Service, (Service.organization_id == Appointment.organization_id) & (Service.id == Appointment.service_id)
        )
        .where(Appointment.organization_id == org_id, *where)  # type: ignore[arg-type]
        .order_by(Appointment.starts_at)
    )
    return [(row[0], row[1]) for row in await session.execute(query)]
