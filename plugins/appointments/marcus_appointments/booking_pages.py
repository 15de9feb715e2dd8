"""Booking and lists of the appointments pages: service -> day -> a slot grid (updated live by
``templates/static/appointments.js`` from the frames ``namespace.announce`` pushes to the
workspace's pages), then meeting type and note; the appointments list (customers: their
own; staff: the workspace's, filtered, its rows fetched again by the script as appointments
change, see ``namespace.list_changed``) and its PDF. Also the helpers the other page modules
share (the plugin's settings, free slots by local day, names of services and people).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from marcus_services import service as services
from marcus_services.models import ACTIVE as SERVICE_ACTIVE
from marcus_services.models import Service
from sqlalchemy import select

import marcus
from marcus_appointments import booking, pdf, service, slots
from marcus_appointments.models import IN_PERSON, MEETING_TYPES, STATUSES
from marcus_appointments.namespace import announce
from marcus_appointments.permissions import BOOK, READ
from marcus_appointments.schemas import AppointmentCreate
from marcus_appointments.settings import AppointmentsSettings

router = APIRouter(prefix="/appointments")
CanBook = Annotated[marcus.Grant, marcus.page_require(BOOK)]
CanRead = Annotated[marcus.Grant, marcus.page_require(READ)]
Day = Annotated[date | None, Query(description="A local day")]
MEETING_LABELS = {"Virtual": "Video call", "InPerson": "In person", "Phone": "Phone call"}
BOOK_FIELDS = ("slot_id", "meeting_type", "note")
PER_PAGE = 20
ROWS = {"fragment": "rows"}  # the list's rows alone, for its live refresh
DAYS_SHOWN = 14


def page_settings(page: marcus.PageState) -> AppointmentsSettings:
    """The workspace's settings of this plugin."""
    return AppointmentsSettings.of(page.workspace.plugins)


def meeting_options() -> list[tuple[str, str]]:
    """(value, label) choices of the meeting type."""
    return [(kind, MEETING_LABELS[kind]) for kind in MEETING_TYPES]


# --- booking -------------------------------------------------------------------------------


@router.get("/book", response_class=HTMLResponse)
async def choose_service(request: Request, page: marcus.PageDep, _: CanBook) -> HTMLResponse:
    """Step 1: the services that can be booked."""
    found = await services.list_services(
        page.db, org_id=page.workspace.id, statuses=[SERVICE_ACTIVE], page=1, limit=100
    )
    currency = marcus.workspace_settings(page.workspace).currency
    return await marcus.render(request, "appointments/choose.html", {"services": found.items, "currency": currency})


@router.get("/book/{service_id}", response_class=HTMLResponse)
async def book_page(
    request: Request, service_id: uuid.UUID, page: marcus.PageDep, _: CanBook, day: Day = None
) -> Response:
    """Steps 2 and 3: a day, then a free time, the meeting type and a note."""
    return await _booking_page(request, page, service_id, day, {"meeting_type": "Virtual"})


@router.get("/book/{service_id}/slots", response_class=HTMLResponse)
async def slot_grid(
    request: Request, service_id: uuid.UUID, page: marcus.PageDep, _: CanBook, day: Day = None
) -> Response:
    """The slot grid alone: what the booking page's script reloads when times change."""
    row = await services.get_bookable_service(page.db, org_id=page.workspace.id, service_id=service_id)
    chosen = day or local_today(page)
    free = await free_slots(page, row.id, chosen, chosen)
    values = {"slots": free.get(chosen, []), "form": {}, "field": "slot_id"}
    return await marcus.render(request, "appointments/_slots.html", values)


@router.post("/book/{service_id}", response_class=HTMLResponse)
async def book(
    request: Request, service_id: uuid.UUID, page: marcus.PageDep, grant: CanBook, day: Day = None
) -> Response:
    """Book the chosen slot for yourself."""
    submitted = marcus.form_values(await request.form())
    data, errors = _booking_form(submitted)
    if data is None or errors:
        return await _booking_page(request, page, service_id, day, submitted, errors)
    me = grant.principal.user_id
    wanted = booking.BookingRequest(
        customer_id=me,
        actor_id=me,
        slot_id=data.slot_id,
        meeting_type=data.meeting_type.value,
        note=data.note,
        service_id=service_id,
    )
    try:
        done = await booking.book(
            page.db, page.kernel.events, org_id=page.workspace.id, request=wanted, settings=page_settings(page)
        )
    except marcus.MarcusError as exc:
        errors = marcus.FormErrors.of_error(exc, fields=BOOK_FIELDS)
        return await _booking_page(request, page, service_id, day, submitted, errors, exc.status)
    await announce(page.kernel, page.workspace.id, done.slot)
    number = done.appointment.number
    return marcus.redirect(request, f"/appointments/{done.appointment.id}", notice=f"Appointment {number} is booked.")


def _booking_form(submitted: dict[str, Any]) -> tuple[AppointmentCreate | None, marcus.FormErrors]:
    """The booking form as the API's body; the in-person note's error sits next to the note."""
    data, invalid = marcus.parse_form(AppointmentCreate, submitted, fields=BOOK_FIELDS)
    errors = marcus.FormErrors()
    errors.fields.update(invalid.fields)
    if submitted.get("meeting_type") == IN_PERSON and not str(submitted.get("note", "")).strip():
        errors.add("note", "A note is required for an in-person meeting: say where or why.")
    else:
        errors.general += invalid.general
    return data, errors


async def _booking_page(
    request: Request,
    page: marcus.PageState,
    service_id: uuid.UUID,
    day: date | None,
    form: dict[str, Any],
    errors: marcus.FormErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    row = await services.get_bookable_service(page.db, org_id=page.workspace.id, service_id=service_id)
    today = local_today(page)
    chosen = day or today
    free = await days_and_chosen(page, row.id, today, chosen)
    days = [today + timedelta(days=n) for n in range(DAYS_SHOWN)]
    values = {
        "service": row,
        "currency": marcus.workspace_settings(page.workspace).currency,
        "day": chosen,
        "days": [(d, len(free.get(d, []))) for d in days],
        "slots": free.get(chosen, []),
        "meeting_types": meeting_options(),
        "form": form,
        "errors": errors or marcus.FormErrors(),
        "field": "slot_id",
    }
    code = 422 if errors and status == 200 else status
    return await marcus.render(request, "appointments/book.html", values, status_code=code)


async def days_and_chosen(
    page: marcus.PageState, service_id: uuid.UUID, today: date, chosen: date, *, exclude: uuid.UUID | None = None
) -> dict[date, list[Any]]:
    """Free slots of the days the page lists (from today) and of the chosen day, wherever it is."""
    last = today + timedelta(days=DAYS_SHOWN - 1)
    free = await free_slots(page, service_id, today, last, exclude=exclude)
    if not today <= chosen <= last:
        free |= await free_slots(page, service_id, chosen, chosen, exclude=exclude)
    return free


def local_today(page: marcus.PageState) -> date:
    return datetime.now(slots.zone_of(page.workspace)).date()


async def free_slots(
    page: marcus.PageState, service_id: uuid.UUID, first: date, last: date, *, exclude: uuid.UUID | None = None
) -> dict[date, list[Any]]:
    """Bookable slots (a free seat, far enough ahead) by local day, ``first`` to ``last``."""
    zone, settings = slots.zone_of(page.workspace), page_settings(page)
    start, _ = slots.day_bounds(first, zone)
    _, end = slots.day_bounds(last, zone)
    earliest = datetime.now(zone) + timedelta(minutes=settings.min_notice_minutes)
    latest = datetime.now(zone) + timedelta(days=settings.max_days_ahead)
    found = await slots.list_slots(
        page.db, org_id=page.workspace.id, service_id=service_id, start=start, end=end, only_open=True
    )
    by_day: dict[date, list[Any]] = {}
    for slot in found:
        if earliest < slot.starts_at <= latest and slot.id != exclude:
            by_day.setdefault(slot.starts_at.astimezone(zone).date(), []).append(slot)
    return by_day


# --- lists and exports ---------------------------------------------------------------------


@dataclass(frozen=True)
class ListQuery:
    """The list's filters as given in the address (the list page and its PDF take the same)."""

    status: str | None
    service_id: str | None
    start: date | None
    end: date | None
    number: str | None

    def filters(self, page: marcus.PageState) -> service.Filters:
        """The service's filters: unknown values are ignored, days are the workspace's."""
        zone = slots.zone_of(page.workspace)
        return service.Filters(
            status=self.status if self.status in STATUSES else None,
            service_id=_uuid(self.service_id),
            number=self.number.strip() or None if self.number else None,
            starts_from=slots.day_bounds(self.start, zone)[0] if self.start else None,
            starts_before=slots.day_bounds(self.end, zone)[1] if self.end else None,
        )

    def values(self) -> dict[str, str]:
        """The filter form's values, by parameter name (the pager's links keep them)."""
        return {
            "status": self.status or "",
            "service_id": self.service_id or "",
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
            "number": self.number or "",
        }


async def list_query(
    status: Annotated[str | None, Query(max_length=20)] = None,
    service_id: Annotated[str | None, Query(max_length=40)] = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    number: Annotated[str | None, Query(max_length=40)] = None,
) -> ListQuery:
    """``?status=&service_id=&from=&to=&number=`` of the list and its PDF."""
    return ListQuery(status=status, service_id=service_id, start=start, end=end, number=number)


ListQueryDep = Annotated[ListQuery, Depends(list_query)]


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


@router.get("", response_class=HTMLResponse)
async def list_appointments(
    request: Request,
    page: marcus.PageDep,
    grant: CanRead,
    query: ListQueryDep,
    paged: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
    fragment: Annotated[str | None, Query(max_length=10)] = None,
) -> HTMLResponse:
    """Your appointments (staff: the workspace's), newest first, filtered.

    ``?fragment=rows``: the table and pager alone (``_list_rows.html``, the block the page
    includes), which the staff's open list fetches again when appointments change."""
    found = await service.list_appointments(page.db, grant, filters=query.filters(page), page=paged, limit=PER_PAGE)
    staff = grant.scope == "any"
    kept = query.values()
    values = {
        "appointments": found.items,
        "paging": found,
        "staff": staff,
        "query": kept,
        "services": await service_names(page, [r["service_id"] for r in found.items], all_services=staff),
        "customers": await people(page, [r["customer_id"] for r in found.items]) if staff else {},
        "statuses": [("", "Any status"), *((s, s) for s in STATUSES)],
        "can_book": await page.visitor.can(BOOK),
        "labels": MEETING_LABELS,
        "rows_url": "/appointments?" + urlencode({**{k: v for k, v in kept.items() if v}, "page": paged, **ROWS}),
    }
    if fragment == ROWS["fragment"]:
        return await marcus.render(request, "appointments/_list_rows.html", values)
    return await marcus.render(request, "appointments/list.html", values)


@router.get("/export.pdf")
async def export_pdf(page: marcus.PageDep, grant: CanRead, query: ListQueryDep) -> Response:
    """The listed appointments as the branded PDF."""
    return await pdf_response(page, grant, query.filters(page), "appointments")


async def pdf_response(page: marcus.PageState, grant: marcus.Grant, filters: service.Filters, name: str) -> Response:
    rows = await pdf.export_rows(page.db, grant, filters=filters)
    brand = await marcus.pdf_brand(page.kernel, page.workspace)
    data = await asyncio.to_thread(pdf.render, rows, brand=brand, zone=slots.zone_of(page.workspace))
    disposition = f'attachment; filename="{name}.pdf"'
    return Response(data, media_type="application/pdf", headers={"Content-Disposition": disposition})


async def service_names(page: marcus.PageState, ids: list[uuid.UUID], *, all_services: bool = False) -> dict[Any, str]:
    query = select(Service.id, Service.name).where(Service.organization_id == page.workspace.id)
    if not all_services:
        query = query.where(Service.id.in_(set(ids)))
    return {row.id: row.name for row in await page.db.execute(query.order_by(Service.name))}


async def people(page: marcus.PageState, ids: list[uuid.UUID]) -> dict[Any, str]:
    user = marcus.User
    query = select(user.id, user.first_name, user.last_name, user.email).where(
        user.organization_id == page.workspace.id, user.id.in_(set(ids))
    )
    return {r.id: f"{r.first_name} {r.last_name}".strip() or r.email for r in await page.db.execute(query)}
