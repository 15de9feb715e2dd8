"""The seed's schedule routes (seed-api.md §3.2, rows 23-26) over ``marcus_appointments.slots``.

``serviceName`` names a service of the workspace: its id, its slug, its name, or the seed's
spelling of its slug (``SAP_CONSULTING_SESSION`` for ``sap-consulting-session``); responses
spell it that way and add ``serviceId``. Times are the workspace's time zone (UTC for the
default workspace, as the seed). Deliberate differences (docs/compat.md): past days and
booked slots are refused, a slot's status never contradicts its bookings, and a day whose
slots have live bookings is not deleted.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Self

from fastapi import Query, Request
from fastapi.responses import JSONResponse
from marcus_appointments import slots
from marcus_appointments.booking import SlotState
from marcus_appointments.models import AVAILABLE, BOOKED, DISABLED, Slot
from marcus_appointments.namespace import announce, announce_generated
from marcus_appointments.permissions import SCHEDULE, SLOTS_READ
from marcus_appointments.schemas import GenerateDay
from marcus_services.models import Service
from marcus_services.slugs import slugify
from pydantic import Field, model_validator
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

import marcus
from marcus_compat.envelope import CompatModel, CompatRouter, ok, request_fields, validate

router = CompatRouter(prefix="/schedule")
CanSchedule = Annotated[marcus.Grant, marcus.require(SCHEDULE)]
CanSeeSlots = Annotated[marcus.Grant, marcus.require(SLOTS_READ)]
SLOT_STATUSES = (AVAILABLE, BOOKED, DISABLED)


# --- helpers shared with the other compat modules --------------------------------------------


def seed_time(value: datetime | None) -> str | None:
    """An instant as the seed wrote it: UTC with milliseconds and ``Z``."""
    if value is None:
        return None
    utc = value.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def seed_service_name(service: Service) -> str:
    """The seed's spelling of a service: its slug in upper snake case."""
    return service.slug.upper().replace("-", "_")


async def resolve_service(
    session: AsyncSession, *, org_id: uuid.UUID, name: str, field: str = "serviceName"
) -> Service:
    """The workspace's service named by ``name`` (id, slug, seed spelling or name); 404 otherwise."""
    wanted = name.strip()
    candidates = [
        Service.slug == wanted,
        Service.slug == slugify(wanted, fallback="-"),
        func.lower(Service.name) == wanted.lower(),
    ]
    with contextlib.suppress(ValueError):
        candidates.append(Service.id == uuid.UUID(wanted))
    query = select(Service).where(Service.organization_id == org_id, or_(*candidates)).order_by(Service.id)
    found = list(await session.scalars(query))
    if found:  # an exact id, then an exact slug, wins over a looser match
        return min(found, key=lambda s: (str(s.id) != wanted, s.slug != wanted))
    raise marcus.NotFound(
        f"No service named '{wanted}' in this workspace.",
        code="service_not_found",
        errors=[{"field": field, "message": "no such service"}],
    )


async def services_by_id(
    session: AsyncSession, *, org_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Service]:
    """The services with these ids (one statement)."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.scalars(select(Service).where(Service.organization_id == org_id, Service.id.in_(wanted)))
    return {service.id: service for service in rows}


def slot_summary(slot: Slot) -> dict[str, Any]:
    """The seed's ``slot`` object of an appointment: ``{startTime, endTime, status}``."""
    return {"start_time": seed_time(slot.starts_at), "end_time": seed_time(slot.ends_at), "status": slot.status}


def slot_row(slot: Slot, service: Service | None) -> dict[str, Any]:
    """A slot as ``GET /schedule/slots`` lists it (the seed's fields first)."""
    return {
        "id": slot.id,
        **slot_summary(slot),
        "service_id": slot.service_id,
        "service_name": seed_service_name(service) if service else None,
        "capacity": slot.capacity,
        "booked": slot.booked,
    }


# --- request bodies --------------------------------------------------------------------------


class GenerateSlots(CompatModel):
    """``POST /schedule/generate``: back-to-back slots of ``durationMin`` in a window of one day."""

    service_name: str = Field(min_length=1, max_length=200)
    day: date = Field(alias="date", description="YYYY-MM-DD, not in the past")
    start_time: time = Field(description="HH:mm")
    end_time: time = Field(description="HH:mm, after startTime")
    duration_min: int = Field(ge=1, le=1440)

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.end_time <= self.start_time:
            raise ValueError("endTime must be after startTime")
        return self


class SlotStatusChange(CompatModel):
    status: str = Field(description="Available or Disabled (Booked comes from bookings)")


DateQuery = Annotated[date, Query(alias="date", description="YYYY-MM-DD")]
ServiceQuery = Annotated[str, Query(alias="serviceName", min_length=1, max_length=200)]


# --- routes ----------------------------------------------------------------------------------


@router.get("/slots")
async def list_slots(
    _: CanSeeSlots, tenant: marcus.CurrentTenant, session: marcus.SessionDep, service_name: ServiceQuery, day: DateQuery
) -> JSONResponse:
    """One service's slots of one day, by start time (every status)."""
    service = await resolve_service(session, org_id=tenant.id, name=service_name)
    start, end = slots.day_bounds(day, slots.zone_of(tenant))
    found = await slots.list_slots(session, org_id=tenant.id, service_id=service.id, start=start, end=end)
    return ok([slot_row(slot, service) for slot in found], "Slots fetched successfully")


@router.post("/generate")
async def generate_slots(
    request: Request,
    grant: CanSchedule,
    tenant: marcus.CurrentTenant,
    session: marcus.SessionDep,
    kernel: marcus.KernelDep,
) -> JSONResponse:
    """Generate one day's slots of a service (409 when the day already has some)."""
    fields = (await request_fields(request))[0]
    body = validate(GenerateSlots, fields)
    service = await resolve_service(session, org_id=tenant.id, name=body.service_name)
    zone = slots.zone_of(tenant)
    start, end = slots.day_bounds(body.day, zone)
    if await slots.list_slots(session, org_id=tenant.id, service_id=service.id, start=start, end=end):
        raise marcus.Conflict(
            "Slots already exist for this date & service",
            code="slots_exist",
            errors=[{"field": "date", "message": "this day already has slots for this service"}],
        )
    data = GenerateDay(
        service_id=service.id,
        date=body.day,
        start_time=body.start_time,
        end_time=body.end_time,
        duration_minutes=body.duration_min,
    )
    done = await slots.generate_day(session, org_id=tenant.id, zone=zone, data=data, actor_id=grant.principal.user_id)
    await announce_generated(kernel, tenant.id, service.id, done.created)
    return ok({"result": {"count": done.created}}, "Slots generated successfully", status_code=201)


def _status_refusal(slot: Slot, wanted: str) -> marcus.MarcusError | None:
    """Why setting ``wanted`` is refused, or None: a slot's status must match its bookings."""
    if wanted not in SLOT_STATUSES:
        return marcus.Invalid(
            "Invalid status , must be one of Available, Booked, Disabled",
            code="invalid_status",
            errors=[{"field": "status", "message": "must be Available, Booked or Disabled"}],
        )
    if wanted == slot.status:
        return marcus.Conflict(f"Slot is already {wanted}", code="same_status")
    if wanted == BOOKED:
        return marcus.Conflict(
            "A slot becomes Booked only through a booking.",
            code="slot_status_from_bookings",
            errors=[{"field": "status", "message": "Booked is set by booking the slot"}],
        )
    if wanted == AVAILABLE and slot.booked >= slot.capacity:
        return marcus.Conflict(
            "This slot is booked; cancel its appointment to make it available.",
            code="slot_has_bookings",
            errors=[{"field": "status", "message": "the slot's seats are taken"}],
        )
    return None


@router.patch("/slots/{slot_id}")
async def update_slot(
    slot_id: uuid.UUID,
    request: Request,
    _: CanSchedule,
    tenant: marcus.CurrentTenant,
    session: marcus.SessionDep,
    kernel: marcus.KernelDep,
) -> JSONResponse:
    """Disable a slot or make a disabled one available again (never contradicting its bookings)."""
    fields = (await request_fields(request))[0]
    body = validate(SlotStatusChange, fields)
    slot = await slots.get_slot(session, org_id=tenant.id, slot_id=slot_id)
    refusal = _status_refusal(slot, body.status)
    if refusal is not None:
        raise refusal
    slot = await slots.set_enabled(session, org_id=tenant.id, slot_id=slot_id, enabled=body.status == AVAILABLE)
    await announce(kernel, tenant.id, SlotState.of(slot))
    service = (await services_by_id(session, org_id=tenant.id, ids=[slot.service_id])).get(slot.service_id)
    return ok(slot_row(slot, service), f"Slot {body.status} updated successfully")


@router.delete("/slots")
async def delete_day_slots(
    _: CanSchedule,
    tenant: marcus.CurrentTenant,
    session: marcus.SessionDep,
    kernel: marcus.KernelDep,
    service_name: ServiceQuery,
    day: DateQuery,
) -> JSONResponse:
    """Delete a service's slots of one day (409 when any has a live booking)."""
    service = await resolve_service(session, org_id=tenant.id, name=service_name)
    zone = slots.zone_of(tenant)
    try:
        gone = await slots.delete_day(session, org_id=tenant.id, service_id=service.id, day=day, zone=zone)
    except marcus.Conflict as exc:
        raise marcus.Conflict("Cannot delete slots with booked appointments", code=exc.code, errors=exc.errors) from exc
    await announce(kernel, tenant.id, *(SlotState.of(slot, deleted=True) for slot in gone))
    return ok({"deleted_count": len(gone)}, "Slots deleted successfully")
