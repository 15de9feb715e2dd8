"""One appointment's pages: details (meeting type and note), its files (upload, download
through a short-lived signed link, remove), cancel, reschedule to another free time of the
same service, the PDF and the calendar file; staff approve, complete and mark a no-show.
The appointment is always found through the caller's grant: someone else's is a 404.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

import marcus
from marcus_appointments import attachments, ics, service, slots
from marcus_appointments.booking_pages import (
    DAYS_SHOWN,
    MEETING_LABELS,
    Day,
    days_and_chosen,
    local_today,
    meeting_options,
    page_settings,
    pdf_response,
    people,
    service_names,
)
from marcus_appointments.models import IN_PERSON, Appointment
from marcus_appointments.namespace import announce
from marcus_appointments.permissions import CANCEL, MANAGE, READ, RESCHEDULE, SCHEDULE, UPDATE
from marcus_appointments.schemas import AppointmentUpdate, Cancel, Reschedule

router = APIRouter(prefix="/appointments")
CanRead = Annotated[marcus.Grant, marcus.page_require(READ)]
CanUpdate = Annotated[marcus.Grant, marcus.page_require(UPDATE)]
CanCancel = Annotated[marcus.Grant, marcus.page_require(CANCEL)]
CanReschedule = Annotated[marcus.Grant, marcus.page_require(RESCHEDULE)]
CanManage = Annotated[marcus.Grant, marcus.page_require(MANAGE)]
Files = Annotated[marcus.TenantFiles, Depends(marcus.tenant_files(attachments.PLUGIN))]


@router.get("/{appointment_id}", response_class=HTMLResponse)
async def read_appointment(
    request: Request, appointment_id: uuid.UUID, page: marcus.PageDep, grant: CanRead
) -> Response:
    """One appointment and what you may do with it."""
    appointment = await service.get_appointment(page.db, grant, appointment_id=appointment_id)
    return await _detail_page(request, page, appointment)


@router.post("/{appointment_id}/details", response_class=HTMLResponse)
async def update_details(
    request: Request, appointment_id: uuid.UUID, page: marcus.PageDep, grant: CanUpdate
) -> Response:
    """Change the meeting type and note."""
    appointment = await service.get_appointment(page.db, grant, appointment_id=appointment_id)
    submitted = marcus.form_values(await request.form())
    data, errors = _details_form(submitted)
    if data is None or errors:
        return await _detail_page(request, page, appointment, submitted, errors)
    kind = data.meeting_type.value if data.meeting_type else None
    try:
        await service.update_details(page.db, appointment, meeting_type=kind, note=data.note)
    except marcus.MarcusError as exc:
        appointment = await service.get_appointment(page.db, grant, appointment_id=appointment_id)
        errors = marcus.FormErrors.of_error(exc, fields=("meeting_type", "note"))
        return await _detail_page(request, page, appointment, submitted, errors, exc.status)
    return marcus.redirect(request, f"/appointments/{appointment_id}", notice="Your changes are saved.")


def _details_form(submitted: dict[str, Any]) -> tuple[AppointmentUpdate | None, marcus.FormErrors]:
    values = {"meeting_type": submitted.get("meeting_type", ""), "note": str(submitted.get("note", ""))}
    errors = marcus.FormErrors()
    if values["meeting_type"] == IN_PERSON and not values["note"].strip():
        return None, errors.add("note", "A note is required for an in-person meeting: say where or why.")
    try:
        return AppointmentUpdate.model_validate({k: v for k, v in values.items() if k == "note" or v}), errors
    except ValidationError as exc:
        return None, marcus.FormErrors.of_validation(exc)


@router.post("/{appointment_id}/cancel", response_class=HTMLResponse)
async def cancel(request: Request, appointment_id: uuid.UUID, page: marcus.PageDep, grant: CanCancel) -> Response:
    """Cancel: the time is free again for others."""
    appointment = await service.get_appointment(page.db, grant, appointment_id=appointment_id)
    data, errors = marcus.parse_form(Cancel, await request.form(), fields=("reason",))
    if data is None:
        return await _detail_page(request, page, appointment, errors=errors)
    try:
        done, freed = await service.cancel(
            page.db, appointment, grant=grant, settings=page_settings(page), reason=data.reason
        )
    except marcus.MarcusError as exc:
        return await _refused(request, page, grant, appointment_id, exc)
    await announce(page.kernel, page.workspace.id, freed)
    return marcus.redirect(
        request, f"/appointments/{appointment_id}", notice=f"Appointment {done.number} is cancelled."
    )


@router.get("/{appointment_id}/reschedule", response_class=HTMLResponse)
async def reschedule_page(
    request: Request, appointment_id: uuid.UUID, page: marcus.PageDep, grant: CanReschedule, day: Day = None
) -> Response:
    """Pick another free time of the same service."""
    appointment = await service.get_appointment(page.db, grant, appointment_id=appointment_id)
    return await _reschedule_page(request, page, appointment, day)


@router.post("/{appointment_id}/reschedule", response_class=HTMLResponse)
async def reschedule(
    request: Request, appointment_id: uuid.UUID, page: marcus.PageDep, grant: CanReschedule, day: Day = None
) -> Response:
    """Move the appointment to the chosen time (all or nothing)."""
    appointment = await service.get_appointment(page.db, grant, appointment_id=appointment_id)
    data, errors = marcus.parse_form(Reschedule, await request.form(), fields=("slot_id",))
    if data is None:
        return await _reschedule_page(request, page, appointment, day, errors)
    try:
        moved, taken, freed = await service.reschedule(
            page.db, appointment, slot_id=data.slot_id, actor_id=grant.principal.user_id, settings=page_settings(page)
        )
    except marcus.MarcusError as exc:  # the session was rolled back: read the appointment afresh
        appointment = await service.get_appointment(page.db, grant, appointment_id=appointment_id)
        errors = marcus.FormErrors.of_error(exc, fields=("slot_id",))
        return await _reschedule_page(request, page, appointment, day, errors, exc.status)
    await announce(page.kernel, page.workspace.id, taken, freed)
    return marcus.redirect(request, f"/appointments/{appointment_id}", notice=f"Appointment {moved.number} is moved.")


async def _reschedule_page(
    request: Request,
    page: marcus.PageState,
    appointment: Appointment,
    day: date | None,
    errors: marcus.FormErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    today = local_today(page)
    chosen = day or today
    free = await days_and_chosen(page, appointment.service_id, today, chosen, exclude=appointment.slot_id)
    values = {
        "appointment": appointment,
        "service_name": (await service_names(page, [appointment.service_id])).get(appointment.service_id, ""),
        "day": chosen,
        "days": [(today + timedelta(days=n), len(free.get(today + timedelta(days=n), []))) for n in range(DAYS_SHOWN)],
        "slots": free.get(chosen, []),
        "errors": errors or marcus.FormErrors(),
        "field": "slot_id",
    }
    code = 422 if errors and status == 200 else status
    return await marcus.render(request, "appointments/reschedule.html", values, status_code=code)


@router.post("/{appointment_id}/approve", response_class=HTMLResponse)
async def approve(request: Request, appointment_id: uuid.UUID, page: marcus.PageDep, grant: CanManage) -> Response:
    """Approve a booking waiting for staff."""
    return await _staff_step(request, page, grant, appointment_id, service.approve, "approved")


@router.post("/{appointment_id}/complete", response_class=HTMLResponse)
async def complete(request: Request, appointment_id: uuid.UUID, page: marcus.PageDep, grant: CanManage) -> Response:
    """Mark the appointment as done."""
    return await _staff_step(request, page, grant, appointment_id, service.complete, "completed")


@router.post("/{appointment_id}/no-show", response_class=HTMLResponse)
async def mark_no_show(request: Request, appointment_id: uuid.UUID, page: marcus.PageDep, grant: CanManage) -> Response:
    """Record that the customer did not come (once the appointment has started)."""
    return await _staff_step(request, page, grant, appointment_id, service.mark_no_show, "marked as a no-show")


async def _staff_step(
    request: Request,
    page: marcus.PageState,
    grant: marcus.Grant,
    appointment_id: uuid.UUID,
    step: Callable[..., Awaitable[Appointment]],
    outcome: str,
) -> Response:
    """Take one lifecycle step (``service.approve``, ``complete``, ``mark_no_show``) and say so, or show why not."""
    appointment = await service.get_appointment(page.db, grant, appointment_id=appointment_id)
    try:
        done = await step(page.db, appointment, actor_id=grant.principal.user_id)
    except marcus.MarcusError as exc:
        return await _refused(request, page, grant, appointment_id, exc)
    notice = f"Appointment {done.number} is {outcome}."
    return marcus.redirect(request, f"/appointments/{appointment_id}", notice=notice)


@router.get("/{appointment_id}/appointment.pdf")
async def appointment_pdf(appointment_id: uuid.UUID, page: marcus.PageDep, grant: CanRead) -> Response:
    """This appointment as the branded PDF."""
    appointment = await service.get_appointment(page.db, grant, appointment_id=appointment_id)
    filters = service.Filters(number=appointment.number)
    return await pdf_response(page, grant, filters, appointment.number)


@router.get("/{appointment_id}/calendar.ics")
async def appointment_ics(appointment_id: uuid.UUID, page: marcus.PageDep, grant: CanRead) -> Response:
    """This appointment as a calendar file."""
    appointment = await service.get_appointment(page.db, grant, appointment_id=appointment_id)
    rows = await ics.with_service_names(page.db, org_id=page.workspace.id, where=[Appointment.id == appointment.id])
    data = ics.calendar(
        rows, workspace=page.workspace.name, zone=slots.zone_of(page.workspace), name=appointment.number
    )
    disposition = f'attachment; filename="{appointment.number}.ics"'
    return Response(data, media_type=ics.ICS_TYPE, headers={"Content-Disposition": disposition})


# --- files ---------------------------------------------------------------------------------------


@router.get("/{appointment_id}/attachments/{attachment_id}")
async def download_attachment(
    appointment_id: uuid.UUID, attachment_id: uuid.UUID, page: marcus.PageDep, grant: CanRead, files: Files
) -> Response:
    """Download one file: a redirect to its short-lived signed link (the API's link)."""
    appointment = await service.get_appointment(page.db, grant, appointment_id=appointment_id)
    link = await attachments.link(files, appointment, attachment_id=attachment_id)
    return RedirectResponse(link.url, status_code=303)


async def add_attachments(
    request: Request, appointment_id: uuid.UUID, page: marcus.PageDep, grant: CanUpdate, files: Files
) -> Response:
    """Attach files (checked against the workspace's size and type limits, as through the API)."""
    appointment = await service.get_appointment(page.db, grant, appointment_id=appointment_id)
    chosen = marcus.chosen_files(await request.form())
    try:
        await attachments.add(page.db, files, appointment, uploads=chosen)
    except marcus.MarcusError as exc:
        await page.db.rollback()
        return await _refused(request, page, grant, appointment_id, exc, _file_errors(exc))
    notice = "The file is attached." if len(chosen) == 1 else f"{len(chosen)} files are attached."
    return marcus.redirect(request, f"/appointments/{appointment_id}", notice=notice)


# An upload route: its body is capped before it is parsed, as the API's upload is.
router.add_api_route(
    "/{appointment_id}/attachments",
    add_attachments,
    methods=["POST"],
    response_class=HTMLResponse,
    route_class_override=marcus.UploadRoute,
)


def _file_errors(exc: marcus.MarcusError) -> marcus.FormErrors:
    """A refused upload's reason next to the file field (the API names ``files.0`` and friends)."""
    return marcus.FormErrors.of_error(exc, fields=("files",)).items_as_one("files")


@router.post("/{appointment_id}/attachments/{attachment_id}/delete", response_class=HTMLResponse)
async def delete_attachment(
    request: Request, appointment_id: uuid.UUID, attachment_id: uuid.UUID, page: marcus.PageDep, grant: CanUpdate
) -> Response:
    """Remove one file (the stored file is deleted right after)."""
    appointment = await service.get_appointment(page.db, grant, appointment_id=appointment_id)
    await attachments.remove(page.db, appointment, attachment_id=attachment_id, actor_id=grant.principal.user_id)
    return marcus.redirect(request, f"/appointments/{appointment_id}", notice="The file is removed.")


async def _refused(
    request: Request,
    page: marcus.PageState,
    grant: marcus.Grant,
    appointment_id: uuid.UUID,
    exc: marcus.MarcusError,
    errors: marcus.FormErrors | None = None,
) -> HTMLResponse:
    """A refused action: the appointment read afresh (the session was rolled back), the reason
    shown (``errors``: next to the fields it names, else on top of the page)."""
    appointment = await service.get_appointment(page.db, grant, appointment_id=appointment_id)
    shown = errors or marcus.FormErrors().add(None, exc.detail)
    return await _detail_page(request, page, appointment, errors=shown, status=exc.status)


async def _detail_page(
    request: Request,
    page: marcus.PageState,
    appointment: Appointment,
    form: dict[str, Any] | None = None,
    errors: marcus.FormErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    visitor = page.visitor
    read = await visitor.grant(READ)
    staff = read is not None and read.scope == "any"
    values = {
        "appointment": appointment,
        "service_name": (await service_names(page, [appointment.service_id])).get(appointment.service_id, ""),
        "customer": (await people(page, [appointment.customer_id])).get(appointment.customer_id) if staff else None,
        "active": appointment.status in ("Pending", "Upcoming"),
        "can": {
            "update": await visitor.can(UPDATE),
            "cancel": await visitor.can(CANCEL),
            "reschedule": await visitor.can(RESCHEDULE),
            "manage": await visitor.can(MANAGE),
            "schedule": await visitor.can(SCHEDULE),
            "invoice": page.workspace.has_plugin("invoices") and await visitor.can("invoices.invoice:write"),
        },
        "attachments": appointment.attachments,
        "max_files": attachments.MAX_FILES,
        "meeting_types": meeting_options(),
        "labels": MEETING_LABELS,
        "form": form or {"meeting_type": appointment.meeting_type, "note": appointment.note},
        "errors": errors or marcus.FormErrors(),
    }
    code = 422 if errors and status == 200 else status
    return await marcus.render(request, "appointments/detail.html", values, status_code=code)
