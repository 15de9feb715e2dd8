"""Rules, overrides and slots: idempotent generation, listing, enabling, disabling, deleting.

Generation inserts with ``ON CONFLICT DO NOTHING`` on the slots' unique key, so running it
twice (or twice at once) creates nothing new. A slot with live bookings (Pending or
Upcoming) cannot be disabled or deleted: cancel them first.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from marcus_services.service import get_bookable_service
from sqlalchemy import Select, delete, exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

import marcus
from marcus_appointments.availability import PlannedSlot, Window, day_slots, plan
from marcus_appointments.models import ACTIVE, Appointment, Override, Rule, Slot
from marcus_appointments.schemas import GenerateDay, GenerateRange, OverrideCreate, RuleCreate

MAX_RANGE_DAYS = 366
MAX_SLOTS = 20_000
INSERT_CHUNK = 1000


def zone_of(tenant: marcus.Tenant) -> ZoneInfo:
    """The workspace's IANA time zone (UTC if the stored name is unknown)."""
    try:
        return ZoneInfo(marcus.workspace_settings(tenant).time_zone)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _invalid(field: str, message: str, code: str = "invalid") -> marcus.Invalid:
    return marcus.Invalid(message, code=code, errors=[{"field": field, "message": message}])


# --- rules and overrides --------------------------------------------------------------------


async def create_rule(session: AsyncSession, *, org_id: uuid.UUID, data: RuleCreate) -> Rule:
    """A weekly rule of an existing service of this workspace."""
    await get_bookable_service(session, org_id=org_id, service_id=data.service_id)
    rule = Rule(organization_id=org_id, **data.model_dump())
    session.add(rule)
    await _commit(session, field="body.staff_id")
    return rule


async def list_rules(session: AsyncSession, *, org_id: uuid.UUID, service_id: uuid.UUID | None) -> list[Rule]:
    query = select(Rule).where(Rule.organization_id == org_id)
    if service_id:
        query = query.where(Rule.service_id == service_id)
    return list(await session.scalars(query.order_by(Rule.service_id, Rule.weekday, Rule.start_time)))


async def delete_rule(session: AsyncSession, *, org_id: uuid.UUID, rule_id: uuid.UUID) -> None:
    """Remove a rule (slots already generated stay)."""
    gone = await session.execute(delete(Rule).where(Rule.organization_id == org_id, Rule.id == rule_id))
    if not gone.rowcount:  # type: ignore[attr-defined]
        raise marcus.NotFound("No such availability rule.", code="rule_not_found")
    await session.commit()


async def create_override(session: AsyncSession, *, org_id: uuid.UUID, data: OverrideCreate) -> Override:
    await get_bookable_service(session, org_id=org_id, service_id=data.service_id)
    override = Override(organization_id=org_id, **data.model_dump())
    session.add(override)
    await _commit(session, field="body.staff_id")
    return override


async def list_overrides(session: AsyncSession, *, org_id: uuid.UUID, service_id: uuid.UUID | None) -> list[Override]:
    query = select(Override).where(Override.organization_id == org_id)
    if service_id:
        query = query.where(Override.service_id == service_id)
    return list(await session.scalars(query.order_by(Override.day, Override.start_time)))


async def delete_override(session: AsyncSession, *, org_id: uuid.UUID, override_id: uuid.UUID) -> None:
    gone = await session.execute(delete(Override).where(Override.organization_id == org_id, Override.id == override_id))
    if not gone.rowcount:  # type: ignore[attr-defined]
        raise marcus.NotFound("No such override.", code="override_not_found")
    await session.commit()


async def _commit(session: AsyncSession, *, field: str) -> None:
    from sqlalchemy.exc import IntegrityError

    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise _invalid(field, "No such staff member in this workspace.", "staff_not_found") from exc


# --- generation -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Generation:
    created: int
    existing: int
    service_id: uuid.UUID


async def generate_range(
    session: AsyncSession, *, org_id: uuid.UUID, zone: ZoneInfo, data: GenerateRange, actor_id: uuid.UUID
) -> Generation:
    """Create the slots the service's rules and overrides give for the local days ``from``..``to``
    (past instants skipped); existing slots are left as they are."""
    if data.end < data.start:
        raise _invalid("body.to", "`to` must not be before `from`.")
    if (data.end - data.start).days >= MAX_RANGE_DAYS:
        raise _invalid("body.to", f"Generate at most {MAX_RANGE_DAYS} days at a time.")
    await get_bookable_service(session, org_id=org_id, service_id=data.service_id)
    rules = list(
        await session.scalars(select(Rule).where(Rule.organization_id == org_id, Rule.service_id == data.service_id))
    )
    overrides = await session.scalars(
        select(Override).where(
            Override.organization_id == org_id,
            Override.service_id == data.service_id,
            Override.day.between(data.start, data.end),
        )
    )
    planned = plan(start=data.start, end=data.end, rules=rules, overrides=list(overrides), zone=zone)
    return await _insert(session, org_id=org_id, service_id=data.service_id, planned=planned, actor_id=actor_id)


async def generate_day(
    session: AsyncSession, *, org_id: uuid.UUID, zone: ZoneInfo, data: GenerateDay, actor_id: uuid.UUID
) -> Generation:
    """The seed's one-day generation (in the workspace's time zone); past days are refused."""
    today = datetime.now(zone).date()
    if data.date < today:
        raise _invalid("body.date", "Slots cannot be generated for a past day.", "date_in_past")
    await get_bookable_service(session, org_id=org_id, service_id=data.service_id)
    window = Window(
        start=data.start_time,
        end=data.end_time,
        slot_minutes=data.duration_minutes,
        capacity=data.capacity,
        staff_id=data.staff_id,
    )
    planned = list(day_slots(data.date, window, zone))
    if not planned:
        raise _invalid("body.end_time", "No slots can be generated for this window.", "no_slots")
    return await _insert(session, org_id=org_id, service_id=data.service_id, planned=planned, actor_id=actor_id)


async def _insert(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    service_id: uuid.UUID,
    planned: Sequence[PlannedSlot],
    actor_id: uuid.UUID,
) -> Generation:
    now = datetime.now(UTC)
    future = [p for p in planned if p.starts_at > now]
    if len(future) > MAX_SLOTS:
        raise _invalid("body.to", f"That would be more than {MAX_SLOTS} slots; generate a shorter range.")
    created = 0
    for first in range(0, len(future), INSERT_CHUNK):
        rows = [_row(org_id, service_id, p, actor_id) for p in future[first : first + INSERT_CHUNK]]
        statement = insert(Slot).values(rows).on_conflict_do_nothing().returning(Slot.id)
        try:
            created += len((await session.execute(statement)).all())
        except Exception as exc:
            await session.rollback()
            if "staff_id" in str(getattr(exc, "orig", exc)):
                raise _invalid("body.staff_id", "No such staff member in this workspace.", "staff_not_found") from exc
            raise
    await session.commit()
    return Generation(created=created, existing=len(future) - created, service_id=service_id)


def _row(org_id: uuid.UUID, service_id: uuid.UUID, slot: PlannedSlot, actor_id: uuid.UUID) -> dict[str, Any]:
    return {
        "organization_id": org_id,
        "id": marcus.new_id(),
        "service_id": service_id,
        "staff_id": slot.staff_id,
        "starts_at": slot.starts_at,
        "ends_at": slot.ends_at,
        "capacity": slot.capacity,
        "created_by": actor_id,
    }


# --- reading and administering slots --------------------------------------------------------


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where a local day starts and the next one starts."""
    start = datetime.combine(day, time(), tzinfo=zone)
    return start.astimezone(UTC), datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)


async def list_slots(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    service_id: uuid.UUID,
    start: datetime,
    end: datetime,
    only_open: bool = False,
) -> list[Slot]:
    """A service's slots starting in ``[start, end)``, by start time."""
    query: Select[Slot] = select(Slot).where(
        Slot.organization_id == org_id, Slot.service_id == service_id, Slot.starts_at >= start, Slot.starts_at < end
    )
    if only_open:
        query = query.where(Slot.enabled, Slot.booked < Slot.capacity)
    return list(await session.scalars(query.order_by(Slot.starts_at, Slot.staff_id).limit(MAX_SLOTS)))


async def get_slot(session: AsyncSession, *, org_id: uuid.UUID, slot_id: uuid.UUID) -> Slot:
    slot = await session.scalar(select(Slot).where(Slot.organization_id == org_id, Slot.id == slot_id))
    if slot is None:
        raise marcus.NotFound("No such slot.", code="slot_not_found")
    return slot


def _busy(field: str, action: str) -> marcus.Conflict:
    return marcus.Conflict(
        f"This slot has live bookings; cancel them before {action} it.",
        code="slot_has_bookings",
        errors=[{"field": field, "message": "slot has live (Pending or Upcoming) bookings"}],
    )


async def _locked_free(session: AsyncSession, *, org_id: uuid.UUID, slot_ids: Select[uuid.UUID]) -> list[Slot]:
    """Lock the slots (a booking of them waits), then look for live bookings with a fresh
    snapshot: nothing can book them between the check and the change."""
    locked = list(
        await session.scalars(
            select(Slot).where(Slot.organization_id == org_id, Slot.id.in_(slot_ids)).with_for_update()
        )
    )
    live = exists().where(
        Appointment.organization_id == org_id,
        Appointment.slot_id.in_([s.id for s in locked]),
        Appointment.status.in_(ACTIVE),
    )
    if locked and await session.scalar(select(live)):
        await session.rollback()
        return []
    return locked


async def set_enabled(session: AsyncSession, *, org_id: uuid.UUID, slot_id: uuid.UUID, enabled: bool) -> Slot:
    """Enable or disable a slot; disabling one with live bookings is a 409."""
    if enabled:
        slot = await get_slot(session, org_id=org_id, slot_id=slot_id)
    else:
        slots = await _locked_free(session, org_id=org_id, slot_ids=select(Slot.id).where(Slot.id == slot_id))
        if not slots:
            await get_slot(session, org_id=org_id, slot_id=slot_id)  # 404 when it does not exist
            raise _busy("body.enabled", "disabling")
        slot = slots[0]
    slot.enabled = enabled
    await session.commit()
    return slot


async def delete_slot(session: AsyncSession, *, org_id: uuid.UUID, slot_id: uuid.UUID) -> Slot:
    """Delete a slot without live bookings (appointments that used it keep their times)."""
    slots = await _locked_free(session, org_id=org_id, slot_ids=select(Slot.id).where(Slot.id == slot_id))
    if not slots:
        await get_slot(session, org_id=org_id, slot_id=slot_id)
        raise _busy("path.slot_id", "deleting")
    await session.delete(slots[0])
    await session.commit()
    return slots[0]


async def delete_day(
    session: AsyncSession, *, org_id: uuid.UUID, service_id: uuid.UUID, day: date, zone: ZoneInfo
) -> list[Slot]:
    """The seed's "delete a day's slots": all or nothing, refused if any has live bookings."""
    start, end = day_bounds(day, zone)
    of_day = select(Slot.id).where(
        Slot.organization_id == org_id, Slot.service_id == service_id, Slot.starts_at >= start, Slot.starts_at < end
    )
    count = await session.scalar(select(func.count()).select_from(of_day.subquery()))
    slots = await _locked_free(session, org_id=org_id, slot_ids=of_day)
    if count and not slots:
        raise _busy("query.date", "deleting")
    if slots:
        await session.execute(delete(Slot).where(Slot.organization_id == org_id, Slot.id.in_([s.id for s in slots])))
    await session.commit()
    return slots
