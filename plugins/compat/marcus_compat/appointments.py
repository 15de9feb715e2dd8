"""The seed's appointment routes (seed-api.md §3.3, rows 27-35) over ``marcus_appointments``.

Booking, the lifecycle and attachments call the appointments plugin's services, so its rules
hold here too: one statement claims the seat (a double booking is a 409), a customer sees and
changes only their own appointments (anyone else's is a 404), ``userId`` cannot name someone
else for a customer, a cancelled slot can be booked again, past slots are refused.

An attachment is ``{id, fileName, fileUrl, filePath, contentType, size}``: ``fileUrl`` is a
short-lived signed download link ending in ``#<attachment id>``, so ``DELETE .../attachments``
still finds the file by a URL obtained earlier (``fileUrls`` may also hold ids or ``filePath``s).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Annotated, Any, Self, cast

from fastapi import Depends, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from marcus_appointments import attachments, booking, pdf, service, slots
from marcus_appointments.booking import BookingRequest
from marcus_appointments.models import IN_PERSON, Appointment, Slot
from marcus_appointments.namespace import announce
from marcus_appointments.permissions import BOOK, CANCEL, MANAGE, READ, UPDATE
from marcus_appointments.schemas import MAX_NOTE, AppointmentStatus, MeetingType
from marcus_appointments.settings import AppointmentsSettings
from pydantic import Field, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import marcus
from marcus_compat.envelope import (
    CompatModel,
    CompatRouter,
    SeedPage,
    ok,
    paginated,
    raw,
    request_fields,
    validate,
)
from marcus_compat.schedule import resolve_service, seed_service_name, seed_time, services_by_id, slot_summary

router = CompatRouter(prefix="/appointments")
CanRead = Annotated[marcus.Grant, marcus.require(READ)]
CanBook = Annotated[marcus.Grant, marcus.require(BOOK)]
CanUpdate = Annotated[marcus.Grant, marcus.require(UPDATE)]
Files = Annotated[marcus.TenantFiles, Depends(marcus.tenant_files("appointments"))]
ALL_LIMIT = 1000  # GET /appointments/all: the newest 1,000 (the seed had no cap)
PAGE = 100


def as_uploads(uploads: Sequence[Any]) -> list[UploadFile]:
    """The form's files as FastAPI's ``UploadFile`` type (the same objects: FastAPI's class only adds typing)."""
    return cast(list[UploadFile], list(uploads))


# --- the seed's shape of an appointment ------------------------------------------------------


async def attachment_rows(files: marcus.TenantFiles, entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Attachments as the seed lists them, each with a fresh signed ``fileUrl``."""
    rows = []
    for entry in entries:
        link = await files.signed_url(entry["key"], download_name=entry.get("name"))
        rows.append(
            {
                "id": entry["id"],
                "file_name": entry.get("name"),
                "file_url": f"{link.url}#{entry['id']}",
                "file_path": entry["key"],
                "content_type": entry.get("content_type"),
                "size": entry.get("size"),
            }
        )
    return rows


def _get(row: Appointment | Mapping[str, Any], name: str) -> Any:
    return row[name] if isinstance(row, Mapping) else getattr(row, name)


async def appointment_rows(
    session: AsyncSession, files: marcus.TenantFiles, rows: Sequence[Appointment | Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Appointments in the seed's shape, with their service's seed name and slot summary
    (two statements for the whole list)."""
    if not rows:
        return []
    org_id = _get(rows[0], "organization_id")
    services = await services_by_id(session, org_id=org_id, ids=(_get(r, "service_id") for r in rows))
    slot_ids = {_get(r, "slot_id") for r in rows} - {None}
    by_id: dict[uuid.UUID, Slot] = {}
    if slot_ids:
        found = await session.scalars(select(Slot).where(Slot.organization_id == org_id, Slot.id.in_(slot_ids)))
        by_id = {slot.id: slot for slot in found}
    result = []
    for row in rows:
        service_row = services.get(_get(row, "service_id"))
        slot = by_id.get(_get(row, "slot_id"))
        result.append(
            {
                "id": _get(row, "id"),
                "appointment_no": _get(row, "number"),
                "user_id": _get(row, "customer_id"),
                "service_name": seed_service_name(service_row) if service_row else None,
                "service_id": _get(row, "service_id"),
                "slot_id": _get(row, "slot_id"),
                "scheduled_at": seed_time(_get(row, "starts_at")),
                "ends_at": seed_time(_get(row, "ends_at")),
                "meeting_type": _get(row, "meeting_type"),
                "status": _get(row, "status"),
                "note": _get(row, "note"),
                "attachments": await attachment_rows(files, _get(row, "attachments") or []),
                "created_at": seed_time(_get(row, "created_at")),
                "updated_at": seed_time(_get(row, "updated_at")),
                "slot": slot_summary(slot) if slot else None,
            }
        )
    return result


async def one_row(session: AsyncSession, files: marcus.TenantFiles, appointment: Appointment) -> dict[str, Any]:
    return (await appointment_rows(session, files, [appointment]))[0]


async def settings_of(tenant: marcus.CurrentTenant) -> AppointmentsSettings:
    return AppointmentsSettings.of(tenant.plugins)


Settings = Annotated[AppointmentsSettings, Depends(settings_of)]


async def readable(appointment_id: uuid.UUID, grant: CanRead, session: marcus.SessionDep) -> Appointment:
    """The appointment if the caller may see it (404 otherwise, whether it exists or not)."""
    return await service.get_appointment(session, grant, appointment_id=appointment_id)


async def updatable(appointment_id: uuid.UUID, grant: CanUpdate, session: marcus.SessionDep) -> Appointment:
    return await service.get_appointment(session, grant, appointment_id=appointment_id)


Readable = Annotated[Appointment, Depends(readable)]
Updatable = Annotated[Appointment, Depends(updatable)]


# --- booking ---------------------------------------------------------------------------------


class BookAppointment(CompatModel):
    """``POST /appointments`` (JSON, or multipart ``data`` + up to 10 ``files``)."""

    service_name: str = Field(min_length=1, max_length=200)
    slot_id: uuid.UUID
    meeting_type: MeetingType
    note: str = Field(default="", max_length=MAX_NOTE)
    user_id: uuid.UUID | None = Field(default=None, description="Staff only: book for this customer")

    @model_validator(mode="after")
    def _note(self) -> Self:
        if self.meeting_type == IN_PERSON and not self.note.strip():
            raise ValueError("Additional note is required for in-person meeting")
        return self


@router.post("")
async def create_appointment(
    request: Request,
    grant: CanBook,
    tenant: marcus.CurrentTenant,
    session: marcus.SessionDep,
    kernel: marcus.KernelDep,
    files: Files,
    settings: Settings,
) -> JSONResponse:
    """Book a slot (409 when it is taken), optionally with up to 10 files."""
    fields, uploads, _ = await request_fields(request, file_fields=("files",))
    body = validate(BookAppointment, fields)
    chosen = await resolve_service(session, org_id=tenant.id, name=body.service_name)
    wanted = BookingRequest.by(
        grant,
        customer_id=body.user_id,
        field="userId",
        code="user_id_override",
        slot_id=body.slot_id,
        meeting_type=body.meeting_type.value,
        note=body.note,
        service_id=chosen.id,
    )
    if uploads:
        booked = await attachments.book_with_files(
            session,
            kernel.events,
            files,
            org_id=tenant.id,
            request=wanted,
            uploads=as_uploads(uploads),
            settings=settings,
        )
    else:
        booked = await booking.book(session, kernel.events, org_id=tenant.id, request=wanted, settings=settings)
    await announce(kernel, tenant.id, booked.slot)
    return ok(await one_row(session, files, booked.appointment), "Appointment created successfully", status_code=201)


# --- lists and the export ------------------------------------------------------------------


def _own_filter(grant: marcus.Grant, user_id: uuid.UUID | None) -> None:
    if grant.scope == "own" and user_id not in (None, grant.principal.user_id):
        raise marcus.Forbidden(
            "You can list only your own appointments: userId cannot name another user.",
            code="user_id_override",
            errors=[{"field": "userId", "message": "not your id"}],
        )


@router.get("/export/pdf", response_class=Response)
async def export_appointments_pdf(
    grant: CanRead, tenant: marcus.CurrentTenant, session: marcus.SessionDep, kernel: marcus.KernelDep
) -> Response:
    """Your appointments (staff: the workspace's) as a PDF."""
    rows = await pdf.export_rows(session, grant, filters=service.Filters())
    await session.rollback()  # release the connection before rendering
    brand = await marcus.pdf_brand(kernel, tenant)
    data = await asyncio.to_thread(pdf.render, rows, brand=brand, zone=slots.zone_of(tenant))
    name = f"appointments-{grant.principal.user_id}.pdf"
    return Response(
        data, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


async def seed_filters(
    tenant: marcus.CurrentTenant,
    session: marcus.SessionDep,
    service_name: Annotated[str | None, Query(alias="serviceName", max_length=200)] = None,
    status: AppointmentStatus | None = None,
    meeting_type: Annotated[MeetingType | None, Query(alias="meetingType")] = None,
    slot_id: Annotated[uuid.UUID | None, Query(alias="slotId")] = None,
    appointment_no: Annotated[str | None, Query(alias="appointmentNo", max_length=40)] = None,
    user_id: Annotated[uuid.UUID | None, Query(alias="userId")] = None,
) -> service.Filters:
    """The seed's exact-match filters (bad values: 400 naming the parameter)."""
    service_id = None
    if service_name:
        service_id = (await resolve_service(session, org_id=tenant.id, name=service_name)).id
    return service.Filters(
        status=status.value if status else None,
        meeting_type=meeting_type.value if meeting_type else None,
        service_id=service_id,
        slot_id=slot_id,
        number=appointment_no,
        customer_id=user_id,
    )


SeedFilters = Annotated[service.Filters, Depends(seed_filters)]


@router.get("")
async def list_appointments(
    grant: CanRead, session: marcus.SessionDep, files: Files, paging: SeedPage, filters: SeedFilters
) -> JSONResponse:
    """Appointments (yours, or the workspace's for staff), latest start first, paginated."""
    _own_filter(grant, filters.customer_id)
    page = await service.list_appointments(session, grant, filters=filters, page=paging.page, limit=paging.limit)
    rows = await appointment_rows(session, files, page.items)
    return paginated(
        rows, page=page.page, limit=page.limit, total=page.total, message="Appointments fetched successfully"
    )


@router.get("/all")
async def list_all_appointments(grant: CanRead, session: marcus.SessionDep, files: Files) -> JSONResponse:
    """Every appointment you may see (the newest 1,000), latest start first, unpaginated."""
    items: list[Any] = []
    for number in range(1, ALL_LIMIT // PAGE + 1):
        page = await service.list_appointments(session, grant, filters=service.Filters(), page=number, limit=PAGE)
        items.extend(page.items)
        if number >= page.pages:
            break
    return ok(await appointment_rows(session, files, items), "Appointments fetched successfully")


# --- one appointment -------------------------------------------------------------------------


@router.get("/{appointment_id}")
async def get_appointment(appointment: Readable, session: marcus.SessionDep, files: Files) -> JSONResponse:
    """One appointment, raw (no envelope, as the seed); 404 when it is not yours."""
    return raw(await one_row(session, files, appointment))


class Action(StrEnum):
    UPDATE = "update"
    CANCEL = "cancel"
    COMPLETE = "complete"


class AppointmentChange(CompatModel):
    action: Action
    meeting_type: MeetingType | None = None
    note: str | None = Field(default=None, max_length=MAX_NOTE)


async def _grant(
    permission: str, grant: marcus.Grant, kernel: marcus.Kernel, session: AsyncSession, appointment: Appointment
) -> marcus.Grant:
    """The caller's grant of ``permission`` for this action on ``appointment`` (403 naming the
    permission when they lack it, 404 when its scope does not reach the appointment)."""
    principal = grant.principal
    scope = await kernel.rbac.check(principal.org_id, principal.user_id, permission, session=session)
    if scope is None:
        raise marcus.Forbidden(
            f"You lack the permission '{permission}'.",
            code="permission_denied",
            errors=[{"field": "action", "message": f"'{permission}' is required"}],
        )
    granted = marcus.Grant(principal=principal, permission=permission, scope=scope)
    if not granted.covers(appointment.customer_id):
        raise marcus.NotFound("No such appointment.", code="appointment_not_found")
    return granted


@router.patch("/{appointment_id}")
async def update_appointment(
    request: Request,
    appointment: Readable,
    grant: CanRead,
    session: marcus.SessionDep,
    kernel: marcus.KernelDep,
    files: Files,
    settings: Settings,
) -> JSONResponse:
    """``action``: ``update`` (meeting type, note), ``cancel`` (frees the slot) or ``complete`` (staff)."""
    fields, _, _ = await request_fields(request)
    body = validate(AppointmentChange, fields)
    if body.action == Action.UPDATE:
        if body.meeting_type is None and body.note is None:
            raise marcus.Invalid(
                "No update fields provided", code="empty_update", errors=[{"field": "body", "message": "empty"}]
            )
        await _grant(UPDATE, grant, kernel, session, appointment)
        kind = body.meeting_type.value if body.meeting_type else None
        done = await service.update_details(session, appointment, meeting_type=kind, note=body.note)
        message = "Appointment updated successfully"
    elif body.action == Action.CANCEL:
        cancelling = await _grant(CANCEL, grant, kernel, session, appointment)
        done, freed = await service.cancel(session, appointment, grant=cancelling, settings=settings)
        await announce(kernel, done.organization_id, freed)
        message = "Appointment cancelled successfully"
    else:
        managing = await _grant(MANAGE, grant, kernel, session, appointment)
        done = await service.complete(session, appointment, actor_id=managing.principal.user_id)
        message = "Appointment completed successfully"
    return ok(await one_row(session, files, done), message)


@router.get("/{appointment_id}/attachments")
async def list_attachments(appointment: Readable, files: Files) -> JSONResponse:
    """The appointment's files, each with a short-lived download link."""
    return ok(await attachment_rows(files, appointment.attachments), "Attachments fetched successfully")


async def _attachments_body(appointment: Appointment, files: marcus.TenantFiles) -> dict[str, Any]:
    return {"id": appointment.id, "attachments": await attachment_rows(files, appointment.attachments)}


@router.post("/{appointment_id}/attachments")
async def add_attachments(
    request: Request, appointment: Updatable, session: marcus.SessionDep, files: Files
) -> JSONResponse:
    """Attach 1 to 10 ``files`` (checked against the workspace's size and type limits)."""
    _, uploads, _ = await request_fields(request, file_fields=("files", "file"))
    if not uploads:
        raise marcus.Invalid("No files provided", code="no_files", errors=[{"field": "files", "message": "empty"}])
    done = await attachments.add(session, files, appointment, uploads=as_uploads(uploads))
    return ok(await _attachments_body(done, files), "Attachments added successfully", status_code=201)


class AttachmentRemoval(CompatModel):
    file_urls: list[str] = Field(min_length=1, max_length=100, description="fileUrl, filePath or id of each file")


def _matches(entry: Mapping[str, Any], given: str) -> bool:
    """Whether ``given`` (a ``fileUrl`` we handed out, a ``filePath`` or an id) names ``entry``."""
    ident = str(entry.get("id"))
    return given in (ident, entry.get("key")) or given.rpartition("#")[2] == ident


@router.delete("/{appointment_id}/attachments")
async def delete_attachments(
    request: Request, appointment: Updatable, grant: CanUpdate, session: marcus.SessionDep, files: Files
) -> JSONResponse:
    """Remove the files named in ``fileUrls`` (JSON body, or repeated query parameters); unknown
    ones are ignored; the stored files are deleted after the commit."""
    fields, _, sent = await request_fields(request)
    if not sent and "fileUrls" in request.query_params:
        fields = {"fileUrls": request.query_params.getlist("fileUrls")}
    body = validate(AttachmentRemoval, fields)
    wanted = [e["id"] for e in appointment.attachments if any(_matches(e, given) for given in body.file_urls)]
    for attachment_id in wanted:
        appointment = await attachments.remove(
            session, appointment, attachment_id=uuid.UUID(attachment_id), actor_id=grant.principal.user_id
        )
    return ok(await _attachments_body(appointment, files), "Attachments removed successfully")
