"""The staff's schedule page (``appointments.schedule:manage``): a service's weekly
availability rules, its date overrides (a day closed, wholly or in part, or open with its own
hours), generating its slots (a range of days from the rules, or one day's window), and one
day's slots to enable or disable. Same services as the API; slot changes are announced live
exactly as the API announces them.

The page holds several forms; each form's fields carry a prefix (``rule-``, ``override-``,
``range-``, ``day-``) so their ids and error messages never collide.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from marcus_services import service as services
from marcus_services.models import ACTIVE as SERVICE_ACTIVE
from pydantic import BaseModel

import marcus
from marcus_appointments import slots
from marcus_appointments.booking import SlotState
from marcus_appointments.namespace import announce, announce_generated
from marcus_appointments.permissions import SCHEDULE
from marcus_appointments.schemas import GenerateDay, GenerateRange, OverrideCreate, RuleCreate

router = APIRouter(prefix="/appointments/schedule")
CanSchedule = Annotated[marcus.Grant, marcus.page_require(SCHEDULE)]
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
RULE_FIELDS = (
    "weekday",
    "start_time",
    "end_time",
    "slot_minutes",
    "buffer_minutes",
    "capacity",
    "valid_from",
    "valid_until",
)
OVERRIDE_FIELDS = ("day", "kind", "start_time", "end_time", "slot_minutes", "buffer_minutes", "capacity", "note")
OVERRIDE_KINDS = [("closed", "Closed"), ("open", "Open with its own hours")]
DAY_FIELDS = ("date", "start_time", "end_time", "duration_minutes", "capacity")


def _unprefixed(values: dict[str, Any], prefix: str) -> dict[str, Any]:
    return {k.removeprefix(prefix): v for k, v in values.items() if k.startswith(prefix)}


def _prefixed(errors: marcus.FormErrors, prefix: str) -> marcus.FormErrors:
    return errors.renamed(lambda name: prefix + name)


def _refused(exc: marcus.MarcusError, prefix: str, fields: tuple[str, ...]) -> marcus.FormErrors:
    """A domain error next to the prefixed form's own fields, else for the whole form."""
    return _prefixed(marcus.FormErrors.of_error(exc, fields=fields), prefix)


def _url(service_id: uuid.UUID, day: date | None = None) -> str:
    query = {"service_id": str(service_id)} | ({"day": day.isoformat()} if day else {})
    return f"/appointments/schedule?{urlencode(query)}"


@router.get("", response_class=HTMLResponse)
async def schedule(
    request: Request,
    page: marcus.PageDep,
    _: CanSchedule,
    service_id: Annotated[uuid.UUID | None, Query()] = None,
    day: Annotated[date | None, Query()] = None,
) -> Response:
    """Rules, generation and one day's slots of a service."""
    return await _schedule_page(request, page, service_id, day)


async def _schedule_page(
    request: Request,
    page: marcus.PageState,
    service_id: uuid.UUID | None,
    day: date | None,
    *,
    form: dict[str, Any] | None = None,
    errors: marcus.FormErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    org = page.workspace.id
    listed = await services.list_services(page.db, org_id=org, statuses=[SERVICE_ACTIVE], page=1, limit=100)
    chosen = service_id or (listed.items[0].id if listed.items else None)
    today = datetime.now(slots.zone_of(page.workspace)).date()
    shown = day or today
    values = {
        "services": listed.items,
        "service_id": chosen,
        "day": shown,
        **await _of_service(page, chosen, shown),
        "weekdays": list(enumerate(WEEKDAYS)),
        "weekday_options": [(str(n), name) for n, name in enumerate(WEEKDAYS)],
        "override_kinds": OVERRIDE_KINDS,
        "form": form or _defaults(today),
        "errors": errors or marcus.FormErrors(),
        "previous_day": shown - timedelta(days=1),
        "next_day": shown + timedelta(days=1),
    }
    code = 422 if errors and status == 200 else status
    return await marcus.render(request, "appointments/schedule.html", values, status_code=code)


async def _of_service(page: marcus.PageState, service_id: uuid.UUID | None, day: date) -> dict[str, Any]:
    """The chosen service's rules, date overrides and slots of ``day`` (none without a service)."""
    if service_id is None:
        return {"rules": [], "overrides": [], "slots": []}
    org = page.workspace.id
    await services.get_bookable_service(page.db, org_id=org, service_id=service_id)
    start, end = slots.day_bounds(day, slots.zone_of(page.workspace))
    return {
        "rules": await slots.list_rules(page.db, org_id=org, service_id=service_id),
        "overrides": await slots.list_overrides(page.db, org_id=org, service_id=service_id),
        "slots": await slots.list_slots(page.db, org_id=org, service_id=service_id, start=start, end=end),
    }


def _defaults(today: date) -> dict[str, Any]:
    return {
        "rule-weekday": "0",
        "rule-start_time": "09:00",
        "rule-end_time": "17:00",
        "rule-slot_minutes": "30",
        "rule-buffer_minutes": "0",
        "rule-capacity": "1",
        "override-kind": "closed",
        "override-buffer_minutes": "0",
        "override-capacity": "1",
        "range-from": today.isoformat(),
        "range-to": (today + timedelta(days=13)).isoformat(),
        "day-date": today.isoformat(),
        "day-start_time": "09:00",
        "day-end_time": "12:00",
        "day-duration_minutes": "30",
        "day-capacity": "1",
    }


async def _submitted(request: Request) -> tuple[dict[str, Any], uuid.UUID | None]:
    values = marcus.form_values(await request.form())
    try:
        return values, uuid.UUID(str(values.get("service_id", "")))
    except ValueError:
        return values, None


async def _parsed(
    request: Request, model: type[BaseModel], prefix: str, fields: tuple[str, ...]
) -> tuple[Any, dict[str, Any], uuid.UUID | None, marcus.FormErrors]:
    """One prefixed form of the page, validated into ``model`` with the chosen service."""
    values, service_id = await _submitted(request)
    body = _unprefixed(values, prefix) | {"service_id": str(service_id or "")}
    data, errors = marcus.parse_form(model, body, fields=(*fields, "service_id"))
    return data, values, service_id, _prefixed(errors, prefix)


@dataclass(frozen=True, kw_only=True)
class _Addition:
    """One of the page's forms adding a row: its model, field prefix, service function and notice."""

    model: type[BaseModel]
    prefix: str
    fields: tuple[str, ...]
    create: Callable[..., Awaitable[Any]]
    notice: Callable[[Any], str]
    day: Callable[[Any], date | None] = lambda _: None


def _override_notice(data: OverrideCreate) -> str:
    what = "has its own hours" if data.kind == "open" else "is closed"
    if data.kind == "closed" and data.start_time and data.end_time:
        what = f"is closed from {data.start_time:%H:%M} to {data.end_time:%H:%M}"
    return f"{data.day:%A %d %B %Y} {what}; slots already made for it stay."


RULE_FORM = _Addition(
    model=RuleCreate,
    prefix="rule-",
    fields=RULE_FIELDS,
    create=slots.create_rule,
    notice=lambda d: f"Rule added: {WEEKDAYS[d.weekday]}s.",
)
OVERRIDE_FORM = _Addition(
    model=OverrideCreate,
    prefix="override-",
    fields=OVERRIDE_FIELDS,
    create=slots.create_override,
    notice=_override_notice,
    day=lambda d: d.day,
)


@router.post("/rules", response_class=HTMLResponse)
async def create_rule(request: Request, page: marcus.PageDep, _: CanSchedule) -> Response:
    """Add a weekly availability rule."""
    return await _add(request, page, RULE_FORM)


@router.post("/overrides", response_class=HTMLResponse)
async def create_override(request: Request, page: marcus.PageDep, _: CanSchedule) -> Response:
    """Close a day (or part of it), or open it with its own hours."""
    return await _add(request, page, OVERRIDE_FORM)


async def _add(request: Request, page: marcus.PageState, form: _Addition) -> Response:
    """Validate the form, add its row, show the service (and the day the row is about)."""
    data, values, service_id, errors = await _parsed(request, form.model, form.prefix, form.fields)
    if data is None:
        return await _schedule_page(request, page, service_id, None, form=values, errors=errors)
    try:
        await form.create(page.db, org_id=page.workspace.id, data=data)
    except marcus.MarcusError as exc:
        failed = _refused(exc, form.prefix, form.fields)
        return await _schedule_page(request, page, service_id, None, form=values, errors=failed, status=exc.status)
    return marcus.redirect(request, _url(data.service_id, form.day(data)), notice=form.notice(data))


@router.post("/rules/{rule_id}/delete", response_class=HTMLResponse)
async def delete_rule(request: Request, rule_id: uuid.UUID, page: marcus.PageDep, _: CanSchedule) -> Response:
    """Remove a weekly rule (slots already generated stay)."""
    await slots.delete_rule(page.db, org_id=page.workspace.id, rule_id=rule_id)
    return await _removed(request, "The rule is removed; slots already made stay.")


@router.post("/overrides/{override_id}/delete", response_class=HTMLResponse)
async def delete_override(request: Request, override_id: uuid.UUID, page: marcus.PageDep, _: CanSchedule) -> Response:
    """Remove a date override (slots already generated stay)."""
    await slots.delete_override(page.db, org_id=page.workspace.id, override_id=override_id)
    return await _removed(request, "The date override is removed; slots already made stay.")


async def _removed(request: Request, notice: str) -> Response:
    """Back to the service the removal was made from."""
    service_id = (await _submitted(request))[1]
    target = _url(service_id) if service_id else "/appointments/schedule"
    return marcus.redirect(request, target, notice=notice)


@dataclass(frozen=True, kw_only=True)
class _Generation:
    """One of the page's two generation forms: its model, field prefix and service function."""

    model: type[BaseModel]
    prefix: str
    fields: tuple[str, ...]
    run: Callable[..., Awaitable[slots.Generation]]
    first_day: Callable[[Any], date]


RANGE_FORM = _Generation(
    model=GenerateRange, prefix="range-", fields=("from", "to"), run=slots.generate_range, first_day=lambda d: d.start
)
DAY_FORM = _Generation(
    model=GenerateDay, prefix="day-", fields=DAY_FIELDS, run=slots.generate_day, first_day=lambda d: d.date
)


@router.post("/generate", response_class=HTMLResponse)
async def generate_range(request: Request, page: marcus.PageDep, grant: CanSchedule) -> Response:
    """Make the slots the rules give for a range of days (idempotent)."""
    return await _generate(request, page, grant, RANGE_FORM)


@router.post("/generate-day", response_class=HTMLResponse)
async def generate_day(request: Request, page: marcus.PageDep, grant: CanSchedule) -> Response:
    """Make one day's back-to-back slots in a window (idempotent)."""
    return await _generate(request, page, grant, DAY_FORM)


async def _generate(request: Request, page: marcus.PageState, grant: marcus.Grant, form: _Generation) -> Response:
    """Validate the form, make the slots, announce them, show the first day generated."""
    data, values, service_id, errors = await _parsed(request, form.model, form.prefix, form.fields)
    if data is None:
        return await _schedule_page(request, page, service_id, None, form=values, errors=errors)
    zone, actor = slots.zone_of(page.workspace), grant.principal.user_id
    try:
        done = await form.run(page.db, org_id=page.workspace.id, zone=zone, data=data, actor_id=actor)
    except marcus.MarcusError as exc:
        failed = _refused(exc, form.prefix, form.fields)
        return await _schedule_page(request, page, service_id, None, form=values, errors=failed, status=exc.status)
    await announce_generated(page.kernel, page.workspace.id, done.service_id, done.created)
    notice = f"{done.created} new slots ({done.existing} were already there)."
    return marcus.redirect(request, _url(data.service_id, form.first_day(data)), notice=notice)


@router.post("/slots/{slot_id}/{action}", response_class=HTMLResponse)
async def toggle_slot(
    request: Request, slot_id: uuid.UUID, action: str, page: marcus.PageDep, _: CanSchedule
) -> Response:
    """Enable or disable one slot (disabling is refused while it has live bookings)."""
    if action not in ("enable", "disable"):
        raise marcus.NotFound("There is nothing at this address.", code="not_found")
    org = page.workspace.id
    slot = await slots.get_slot(page.db, org_id=org, slot_id=slot_id)
    service_id, day = slot.service_id, slot.starts_at.astimezone(slots.zone_of(page.workspace)).date()
    try:
        slot = await slots.set_enabled(page.db, org_id=org, slot_id=slot_id, enabled=action == "enable")
    except marcus.MarcusError as exc:  # the session was rolled back: read everything afresh
        failed = marcus.FormErrors().add(None, exc.detail)
        return await _schedule_page(request, page, service_id, day, errors=failed, status=exc.status)
    await announce(page.kernel, org, SlotState.of(slot))
    return marcus.redirect(request, _url(service_id, day), notice=f"The slot is {action}d.")
