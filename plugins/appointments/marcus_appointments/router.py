"""``/api/v1/appointments``: availability (staff), slots, booking, the lifecycle, exports.

Thin routes: parse, authorise with one ``require``, call one service function, return a
schema. The appointment is found (and scoped to the caller) once, in a dependency; a customer
asking for someone else's appointment gets 404. Static paths come before ``/{appointment_id}``.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile, status
from fastapi import Path as FastAPIPath

import marcus
from marcus import CurrentTenant, Grant, KernelDep, Page, PageQuery, SessionDep, require
from marcus_appointments import attachments, booking, ics, pdf, service, slots
from marcus_appointments.booking import BookingRequest, SlotState
from marcus_appointments.models import Appointment, Override, Rule, Slot
from marcus_appointments.namespace import announce, announce_generated
from marcus_appointments.permissions import BOOK, CANCEL, MANAGE, READ, RESCHEDULE, SCHEDULE, SLOTS_READ, UPDATE
from marcus_appointments.schemas import (
    AppointmentCreate,
    AppointmentRead,
    AppointmentStatus,
    AppointmentUpdate,
    Attachment,
    CalendarFeedRead,
    Cancel,
    DownloadLink,
    Generated,
    GenerateDay,
    GenerateRange,
    MeetingType,
    OverrideCreate,
    OverrideRead,
    Reschedule,
    RuleCreate,
    RuleRead,
    SlotChange,
    SlotRead,
    SlotsDeleted,
)
from marcus_appointments.settings import AppointmentsSettings

router = APIRouter(tags=["appointments"])
uploads = APIRouter(tags=["appointments"], route_class=marcus.UploadRoute)
CanRead = Annotated[Grant, require(READ)]
CanBook = Annotated[Grant, require(BOOK)]
CanUpdate = Annotated[Grant, require(UPDATE)]
CanCancel = Annotated[Grant, require(CANCEL)]
CanReschedule = Annotated[Grant, require(RESCHEDULE)]
CanManage = Annotated[Grant, require(MANAGE)]
CanSchedule = Annotated[Grant, require(SCHEDULE)]
CanSeeSlots = Annotated[Grant, require(SLOTS_READ)]
Files = Annotated[marcus.TenantFiles, Depends(marcus.tenant_files("appointments"))]
NO_CONTENT: dict[str, Any] = {"status_code": status.HTTP_204_NO_CONTENT, "response_class": Response}
BOOKING_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such slot"},
    409: {"description": "The slot is taken, disabled, or already booked by this customer"},
    422: {"description": "Invalid input, or a slot in the past / too soon / too far ahead"},
}


async def settings_of(tenant: CurrentTenant) -> AppointmentsSettings:
    """The workspace's settings of this plugin (async: a plain ``def`` would run in a thread)."""
    return AppointmentsSettings.of(tenant.plugins)


Settings = Annotated[AppointmentsSettings, Depends(settings_of)]


# --- availability (staff) ------------------------------------------------------------------


@router.get("/rules", response_model=list[RuleRead])
async def list_rules(
    _: CanSchedule, tenant: CurrentTenant, session: SessionDep, service_id: uuid.UUID | None = None
) -> list[Rule]:
    """List the weekly availability rules (of one service)."""
    return await slots.list_rules(session, org_id=tenant.id, service_id=service_id)


@router.post("/rules", response_model=RuleRead, status_code=status.HTTP_201_CREATED)
async def create_rule(body: RuleCreate, _: CanSchedule, tenant: CurrentTenant, session: SessionDep) -> Rule:
    """Add a weekly availability rule (local hours of the workspace's time zone)."""
    return await slots.create_rule(session, org_id=tenant.id, data=body)


@router.delete("/rules/{rule_id}", **NO_CONTENT)
async def delete_rule(rule_id: uuid.UUID, _: CanSchedule, tenant: CurrentTenant, session: SessionDep) -> None:
    """Remove a weekly rule (generated slots stay)."""
    await slots.delete_rule(session, org_id=tenant.id, rule_id=rule_id)


@router.get("/overrides", response_model=list[OverrideRead])
async def list_overrides(
    _: CanSchedule, tenant: CurrentTenant, session: SessionDep, service_id: uuid.UUID | None = None
) -> list[Override]:
    """List date overrides and closures."""
    return await slots.list_overrides(session, org_id=tenant.id, service_id=service_id)


@router.post("/overrides", response_model=OverrideRead, status_code=status.HTTP_201_CREATED)
async def create_override(body: OverrideCreate, _: CanSchedule, tenant: CurrentTenant, session: SessionDep) -> Override:
    """Close a day (or part of it), or open it with its own hours."""
    return await slots.create_override(session, org_id=tenant.id, data=body)


@router.delete("/overrides/{override_id}", **NO_CONTENT)
async def delete_override(override_id: uuid.UUID, _: CanSchedule, tenant: CurrentTenant, session: SessionDep) -> None:
    """Remove a date override."""
    await slots.delete_override(session, org_id=tenant.id, override_id=override_id)


@router.post("/slots/generate", response_model=Generated, status_code=status.HTTP_201_CREATED)
async def generate_slots(
    body: GenerateRange, grant: CanSchedule, tenant: CurrentTenant, session: SessionDep, kernel: KernelDep
) -> Generated:
    """Create a service's slots for a range of days from its rules (idempotent)."""
    done = await slots.generate_range(
        session, org_id=tenant.id, zone=slots.zone_of(tenant), data=body, actor_id=grant.principal.user_id
    )
    await announce_generated(kernel, tenant.id, done.service_id, done.created)
    return Generated(created=done.created, existing=done.existing)


@router.post("/slots/generate-day", response_model=Generated, status_code=status.HTTP_201_CREATED)
async def generate_day_slots(
    body: GenerateDay, grant: CanSchedule, tenant: CurrentTenant, session: SessionDep, kernel: KernelDep
) -> Generated:
    """Create one day's back-to-back slots in a window (the seed's generation; idempotent)."""
    done = await slots.generate_day(
        session, org_id=tenant.id, zone=slots.zone_of(tenant), data=body, actor_id=grant.principal.user_id
    )
    await announce_generated(kernel, tenant.id, done.service_id, done.created)
    return Generated(created=done.created, existing=done.existing)


def _local(value: date | datetime | None, tenant: marcus.Tenant, *, end: bool = False) -> datetime | None:
    """A query bound as an instant: a plain date is that local day (``end``: the day after)."""
    if value is None:
        return None
    zone = slots.zone_of(tenant)
    if not isinstance(value, datetime):
        value = datetime.combine(value + timedelta(days=1) if end else value, time())
    return value if value.tzinfo else value.replace(tzinfo=zone)


@router.get("/slots", response_model=list[SlotRead])
async def list_slots(
    _: CanSeeSlots,
    tenant: CurrentTenant,
    session: SessionDep,
    service_id: uuid.UUID,
    day: Annotated[date | None, Query(alias="date", description="One local day")] = None,
    start: Annotated[date | datetime | None, Query(alias="from", description="From this day or instant")] = None,
    end: Annotated[date | datetime | None, Query(alias="to", description="To this day (inclusive) or instant")] = None,
    available: Annotated[bool, Query(description="Only slots with a free seat")] = False,
) -> list[Slot]:
    """A service's slots of one day or a range (at most 20,000), by start time."""
    if day is not None:
        lower, upper = slots.day_bounds(day, slots.zone_of(tenant))
    else:
        lower = _local(start, tenant) or datetime.now(slots.zone_of(tenant))
        upper = _local(end, tenant, end=True) or lower + timedelta(days=31)
    return await slots.list_slots(
        session, org_id=tenant.id, service_id=service_id, start=lower, end=upper, only_open=available
    )


@router.patch("/slots/{slot_id}", response_model=SlotRead)
async def update_slot(
    slot_id: uuid.UUID, body: SlotChange, _: CanSchedule, tenant: CurrentTenant, session: SessionDep, kernel: KernelDep
) -> Slot:
    """Enable or disable a slot (refused while it has live bookings)."""
    slot = await slots.set_enabled(session, org_id=tenant.id, slot_id=slot_id, enabled=body.enabled)
    await announce(kernel, tenant.id, SlotState.of(slot))
    return slot


@router.delete("/slots/{slot_id}", **NO_CONTENT)
async def delete_slot(
    slot_id: uuid.UUID, _: CanSchedule, tenant: CurrentTenant, session: SessionDep, kernel: KernelDep
) -> None:
    """Delete a slot without live bookings."""
    slot = await slots.delete_slot(session, org_id=tenant.id, slot_id=slot_id)
    await announce(kernel, tenant.id, SlotState.of(slot, deleted=True))


@router.delete("/slots", response_model=SlotsDeleted)
async def delete_day_slots(
    _: CanSchedule,
    tenant: CurrentTenant,
    session: SessionDep,
    kernel: KernelDep,
    service_id: uuid.UUID,
    day: Annotated[date, Query(alias="date")],
) -> SlotsDeleted:
    """Delete a service's slots of one local day (none if any has live bookings)."""
    gone = await slots.delete_day(session, org_id=tenant.id, service_id=service_id, day=day, zone=slots.zone_of(tenant))
    await announce(kernel, tenant.id, *(SlotState.of(s, deleted=True) for s in gone))
    return SlotsDeleted(deleted=len(gone))


# --- booking, lists and exports --------------------------------------------------------------


@router.post("", response_model=AppointmentRead, status_code=status.HTTP_201_CREATED, responses=BOOKING_ERRORS)
async def create_appointment(
    body: AppointmentCreate,
    grant: CanBook,
    tenant: CurrentTenant,
    session: SessionDep,
    kernel: KernelDep,
    settings: Settings,
) -> Appointment:
    """Book a slot (409 with a problem body when it is taken)."""
    booked = await booking.book(
        session,
        kernel.events,
        org_id=tenant.id,
        request=BookingRequest.by(
            grant,
            customer_id=body.customer_id,
            slot_id=body.slot_id,
            meeting_type=body.meeting_type.value,
            note=body.note,
            service_id=body.service_id,
        ),
        settings=settings,
    )
    await announce(kernel, tenant.id, booked.slot)
    return booked.appointment


async def appointment_filters(
    tenant: CurrentTenant,
    status: AppointmentStatus | None = None,
    meeting_type: MeetingType | None = None,
    service_id: uuid.UUID | None = None,
    slot_id: uuid.UUID | None = None,
    number: Annotated[str | None, Query(max_length=40)] = None,
    customer_id: uuid.UUID | None = None,
    start: Annotated[
        date | datetime | None, Query(alias="from", description="Starting from this day or instant")
    ] = None,
    end: Annotated[
        date | datetime | None, Query(alias="to", description="Starting by this day (inclusive) or instant")
    ] = None,
) -> service.Filters:
    """The list's filters; bad values are a 422 naming the parameter."""
    return service.Filters(
        status=status.value if status else None,
        meeting_type=meeting_type.value if meeting_type else None,
        service_id=service_id,
        slot_id=slot_id,
        number=number,
        customer_id=customer_id,
        starts_from=_local(start, tenant),
        starts_before=_local(end, tenant, end=True),
    )


FiltersDep = Annotated[service.Filters, Depends(appointment_filters)]


def _own_filter(grant: Grant, filters: service.Filters) -> None:
    """Customers see their own appointments only: asking for another customer's is refused."""
    if grant.scope == "own" and filters.customer_id not in (None, grant.principal.user_id):
        raise marcus.Forbidden(
            "You can list only your own appointments.",
            code="customer_filter_forbidden",
            errors=[{"field": "query.customer_id", "message": "not your id"}],
        )


@router.get("", response_model=Page[AppointmentRead])
async def list_appointments(
    grant: CanRead, session: SessionDep, paging: PageQuery, filters: FiltersDep
) -> Page[Appointment]:
    """List appointments (yours, or the workspace's for staff), newest start first."""
    _own_filter(grant, filters)
    return await service.list_appointments(session, grant, filters=filters, page=paging.page, limit=paging.limit)


@router.get(
    "/export/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The PDF"}},
)
async def export_appointments_pdf(
    grant: CanRead, tenant: CurrentTenant, session: SessionDep, kernel: KernelDep, filters: FiltersDep
) -> Response:
    """Your appointments (staff: the workspace's, filtered) as a branded PDF."""
    _own_filter(grant, filters)
    rows = await pdf.export_rows(session, grant, filters=filters)
    await session.rollback()  # release the connection before rendering
    brand = await marcus.pdf_brand(kernel, tenant)
    zone = slots.zone_of(tenant)
    data = await asyncio.to_thread(pdf.render, rows, brand=brand, zone=zone)
    name = f"appointments-{grant.principal.user_id}.pdf"
    return Response(
        data, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post("/calendar-feed", response_model=CalendarFeedRead, status_code=status.HTTP_201_CREATED)
async def create_calendar_feed(
    request: Request, grant: CanRead, tenant: CurrentTenant, session: SessionDep
) -> CalendarFeedRead:
    """A private calendar URL of your appointments (a new one replaces the previous)."""
    token = await ics.rotate_feed(session, org_id=tenant.id, customer_id=grant.principal.user_id)
    return CalendarFeedRead(url=str(request.url_for("read_calendar_feed", token=token)))


@router.delete("/calendar-feed", **NO_CONTENT)
async def delete_calendar_feed(grant: CanRead, tenant: CurrentTenant, session: SessionDep) -> None:
    """Stop your calendar feed: its URL no longer works."""
    await ics.revoke_feed(session, org_id=tenant.id, customer_id=grant.principal.user_id)


@router.get(
    "/calendar/{token}.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "iCalendar feed"}},
)
async def read_calendar_feed(
    token: Annotated[str, FastAPIPath(max_length=100)], tenant: CurrentTenant, session: SessionDep
) -> Response:
    """A customer's calendar feed (no sign-in: the secret token in the URL is the key)."""
    customer_id = await ics.feed_owner(session, org_id=tenant.id, token=token)
    rows = await ics.with_service_names(
        session,
        org_id=tenant.id,
        where=[Appointment.customer_id == customer_id, Appointment.starts_at >= ics.feed_window()],
    )
    name = f"{marcus.workspace_settings(tenant).name} appointments"
    data = ics.calendar(rows, workspace=tenant.name, zone=slots.zone_of(tenant), name=name)
    return Response(data, media_type=ics.ICS_TYPE)


# --- one appointment ---------------------------------------------------------------------------


async def readable(appointment_id: uuid.UUID, grant: CanRead, session: SessionDep) -> Appointment:
    return await service.get_appointment(session, grant, appointment_id=appointment_id)


async def updatable(appointment_id: uuid.UUID, grant: CanUpdate, session: SessionDep) -> Appointment:
    return await service.get_appointment(session, grant, appointment_id=appointment_id)


async def cancellable(appointment_id: uuid.UUID, grant: CanCancel, session: SessionDep) -> Appointment:
    return await service.get_appointment(session, grant, appointment_id=appointment_id)


async def reschedulable(appointment_id: uuid.UUID, grant: CanReschedule, session: SessionDep) -> Appointment:
    return await service.get_appointment(session, grant, appointment_id=appointment_id)


async def manageable(appointment_id: uuid.UUID, grant: CanManage, session: SessionDep) -> Appointment:
    return await service.get_appointment(session, grant, appointment_id=appointment_id)


Readable = Annotated[Appointment, Depends(readable)]
Updatable = Annotated[Appointment, Depends(updatable)]
Manageable = Annotated[Appointment, Depends(manageable)]


@router.get("/{appointment_id}", response_model=AppointmentRead)
async def get_appointment(appointment: Readable) -> Appointment:
    """Read one appointment (404 if it is not yours)."""
    return appointment


@router.patch("/{appointment_id}", response_model=AppointmentRead)
async def update_appointment(body: AppointmentUpdate, appointment: Updatable, session: SessionDep) -> Appointment:
    """Change the meeting type or note of a Pending or Upcoming appointment."""
    kind = body.meeting_type.value if body.meeting_type else None
    return await service.update_details(session, appointment, meeting_type=kind, note=body.note)


@router.post("/{appointment_id}/cancel", response_model=AppointmentRead)
async def cancel_appointment(
    appointment: Annotated[Appointment, Depends(cancellable)],
    grant: CanCancel,
    session: SessionDep,
    kernel: KernelDep,
    settings: Settings,
    body: Cancel | None = None,
) -> Appointment:
    """Cancel (customers: before the workspace's cut-off); the slot is free again."""
    done, freed = await service.cancel(
        session, appointment, grant=grant, settings=settings, reason=body.reason if body else None
    )
    await announce(kernel, done.organization_id, freed)
    return done


@router.post("/{appointment_id}/reschedule", response_model=AppointmentRead, responses=BOOKING_ERRORS)
async def reschedule_appointment(
    body: Reschedule,
    appointment: Annotated[Appointment, Depends(reschedulable)],
    grant: CanReschedule,
    session: SessionDep,
    kernel: KernelDep,
    settings: Settings,
) -> Appointment:
    """Move to another free slot of the same service, in one transaction."""
    moved, taken, freed = await service.reschedule(
        session, appointment, slot_id=body.slot_id, actor_id=grant.principal.user_id, settings=settings
    )
    await announce(kernel, moved.organization_id, taken, freed)
    return moved


@router.post("/{appointment_id}/approve", response_model=AppointmentRead)
async def approve_appointment(appointment: Manageable, grant: CanManage, session: SessionDep) -> Appointment:
    """Approve a Pending booking (staff approval mode)."""
    return await service.approve(session, appointment, actor_id=grant.principal.user_id)


@router.post("/{appointment_id}/complete", response_model=AppointmentRead)
async def complete_appointment(appointment: Manageable, grant: CanManage, session: SessionDep) -> Appointment:
    """Mark an Upcoming appointment Completed."""
    return await service.complete(session, appointment, actor_id=grant.principal.user_id)


@router.post("/{appointment_id}/no-show", response_model=AppointmentRead)
async def mark_no_show(appointment: Manageable, grant: CanManage, session: SessionDep) -> Appointment:
    """Record that the customer did not come (after the start)."""
    return await service.mark_no_show(session, appointment, actor_id=grant.principal.user_id)


@router.get(
    "/{appointment_id}/calendar.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "iCalendar file"}},
)
async def export_appointment_ics(appointment: Readable, tenant: CurrentTenant, session: SessionDep) -> Response:
    """This appointment as an iCalendar (.ics) file, in the workspace's time zone."""
    rows = await ics.with_service_names(session, org_id=tenant.id, where=[Appointment.id == appointment.id])
    data = ics.calendar(rows, workspace=tenant.name, zone=slots.zone_of(tenant), name=appointment.number)
    disposition = f'attachment; filename="{appointment.number}.ics"'
    return Response(data, media_type=ics.ICS_TYPE, headers={"Content-Disposition": disposition})


@router.get("/{appointment_id}/attachments", response_model=list[Attachment])
async def list_attachments(appointment: Readable) -> list[dict[str, Any]]:
    """The appointment's files."""
    return appointment.attachments


@uploads.post("/{appointment_id}/attachments", response_model=AppointmentRead, status_code=status.HTTP_201_CREATED)
async def add_attachments(
    appointment: Updatable,
    session: SessionDep,
    files: Files,
    upload: Annotated[list[UploadFile], File(alias="files", description="1 to 10 files")],
) -> Appointment:
    """Attach files (checked against the workspace's size and type limits)."""
    return await attachments.add(session, files, appointment, uploads=upload)


@router.get("/{appointment_id}/attachments/{attachment_id}/link", response_model=DownloadLink)
async def get_attachment_link(attachment_id: uuid.UUID, appointment: Readable, files: Files) -> DownloadLink:
    """A short-lived signed URL downloading one attachment."""
    link = await attachments.link(files, appointment, attachment_id=attachment_id)
    return DownloadLink(url=link.url, expires_at=link.expires_at)


@router.delete("/{appointment_id}/attachments/{attachment_id}", response_model=AppointmentRead)
async def delete_attachment(
    attachment_id: uuid.UUID, appointment: Updatable, grant: CanUpdate, session: SessionDep
) -> Appointment:
    """Remove one attachment (its file is deleted right after)."""
    return await attachments.remove(session, appointment, attachment_id=attachment_id, actor_id=grant.principal.user_id)
