"""``marcus demo`` for appointments: weekly availability for the demo services, two weeks of
slots, and a few bookings of the demo customer (one of them completed)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from marcus_services.models import Service
from sqlalchemy import select

import marcus
from marcus_appointments.booking import BookingRequest, book
from marcus_appointments.models import IN_PERSON, PENDING, VIRTUAL, Appointment, Rule, Slot
from marcus_appointments.schemas import GenerateRange, RuleCreate
from marcus_appointments.service import approve, complete
from marcus_appointments.settings import AppointmentsSettings
from marcus_appointments.slots import create_rule, generate_range, zone_of

DAYS = 14
WEEKDAYS = (0, 1, 2, 3, 4)
# service slug -> (weekdays, start, end, slot minutes, buffer minutes, capacity)
HOURS = {
    "strategy-session": (WEEKDAYS, time(9), time(17), 60, 0, 1),
    "tax-review": (WEEKDAYS, time(9), time(13), 45, 15, 1),
    "team-workshop": ((1, 3), time(9), time(12), 180, 0, 12),
}
# which of the customer's upcoming slots to book (the n-th future slot of the service), meeting type
BOOKINGS = (("strategy-session", 1, VIRTUAL), ("tax-review", 6, IN_PERSON), ("strategy-session", 12, IN_PERSON))


async def demo_appointments(demo: marcus.DemoContext) -> list[str]:
    """Availability, slots and bookings that are missing; what was created."""
    services = await _services(demo)
    created = await _rules(demo, services)
    created += await _slots(demo, services)
    created += await _bookings(demo, services)
    return created


async def _services(demo: marcus.DemoContext) -> dict[str, Service]:
    query = select(Service).where(Service.organization_id == demo.tenant.id, Service.slug.in_(HOURS))
    return {s.slug: s for s in await demo.session.scalars(query)}


async def _rules(demo: marcus.DemoContext, services: dict[str, Service]) -> list[str]:
    """Weekly hours for each demo service that has none yet."""
    org_id, created = demo.tenant.id, []
    ruled = set(await demo.session.scalars(select(Rule.service_id).where(Rule.organization_id == org_id)))
    for slug, service in services.items():
        if service.id in ruled:
            continue
        weekdays, start, end, minutes, buffer, capacity = HOURS[slug]
        for weekday in weekdays:
            data = RuleCreate(
                service_id=service.id,
                weekday=weekday,
                start_time=start,
                end_time=end,
                slot_minutes=minutes,
                buffer_minutes=buffer,
                capacity=capacity,
            )
            await create_rule(demo.session, org_id=org_id, data=data)
        created.append(f"weekly hours of {service.name}")
    return created


async def _slots(demo: marcus.DemoContext, services: dict[str, Service]) -> list[str]:
    """Slots for the next two weeks (generation leaves existing slots alone)."""
    zone = zone_of(demo.tenant)
    today, count = datetime.now(zone).date(), 0
    for service in services.values():
        data = GenerateRange(service_id=service.id, start=today, end=today + timedelta(days=DAYS - 1))
        done = await generate_range(demo.session, org_id=demo.tenant.id, zone=zone, data=data, actor_id=demo.admin.id)
        count += done.created
    await demo.session.commit()
    return [f"{count} slots over the next {DAYS} days"] if count else []


async def _bookings(demo: marcus.DemoContext, services: dict[str, Service]) -> list[str]:
    """The customer's bookings, when they have none: three upcoming, the first one then completed."""
    org_id, customer = demo.tenant.id, demo.customer
    mine = select(Appointment.id).where(Appointment.organization_id == org_id, Appointment.customer_id == customer.id)
    if await demo.session.scalar(mine.limit(1)) is not None:
        return []
    settings = AppointmentsSettings.of(demo.tenant.plugins)
    created = []
    for slug, nth, meeting_type in BOOKINGS:
        if slug not in services or (slot_id := await _future_slot(demo, services[slug], nth, settings)) is None:
            continue
        request = BookingRequest(
            customer_id=customer.id, actor_id=customer.id, slot_id=slot_id, meeting_type=meeting_type
        )
        booking = await book(demo.session, demo.kernel.events, org_id=org_id, request=request, settings=settings)
        created.append(f"booking {booking.appointment.number} ({services[slug].name})")
    if created:
        first = await demo.session.scalar(
            select(Appointment)
            .where(Appointment.organization_id == org_id, Appointment.customer_id == customer.id)
            .order_by(Appointment.number)
            .limit(1)
        )
        assert first is not None
        if first.status == PENDING:  # the workspace wants bookings approved
            first = await approve(demo.session, first, actor_id=demo.admin.id)
        done = await complete(demo.session, first, actor_id=demo.admin.id)
        created.append(f"booking {done.number} completed")
    return created


async def _future_slot(
    demo: marcus.DemoContext, service: Service, nth: int, settings: AppointmentsSettings
) -> uuid.UUID | None:
    """The id of the ``nth`` bookable future slot of ``service`` (or the last one there is)."""
    earliest = datetime.now(UTC) + timedelta(minutes=settings.min_notice_minutes + 60)
    query = (
        select(Slot.id)
        .where(
            Slot.organization_id == demo.tenant.id,
            Slot.service_id == service.id,
            Slot.enabled,
            Slot.booked < Slot.capacity,
            Slot.starts_at > earliest,
        )
        .order_by(Slot.starts_at)
        .limit(nth)
    )
    ids = list(await demo.session.scalars(query))
    return ids[-1] if ids else None
