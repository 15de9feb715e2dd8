"""``GET /export/pdf``: the caller's appointments (staff: the workspace's, filtered) as a
branded A4 table with times in the workspace's time zone, rendered off the event loop."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from marcus_services.models import Service
from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

import marcus
from marcus_appointments.models import Appointment
from marcus_appointments.service import Filters

MAX_ROWS = 20_000
COLUMNS = (
    marcus.PdfColumn(title="Number", width=1.1),
    marcus.PdfColumn(title="Service", width=1.8),
    marcus.PdfColumn(title="Customer", width=1.8),
    marcus.PdfColumn(title="Status", width=0.9),
    marcus.PdfColumn(title="Meeting", width=0.9),
    marcus.PdfColumn(title="Date", width=1.0),
    marcus.PdfColumn(title="Time", width=1.0),
    marcus.PdfColumn(title="Note", width=2.5),
)


async def export_rows(session: AsyncSession, grant: marcus.Grant, *, filters: Filters) -> Sequence[Row[Any]]:
    """The rows to print, newest start first (one statement, plain tuples: no ORM objects)."""
    customer = func.trim(func.concat(marcus.User.first_name, " ", marcus.User.last_name))
    org = grant.principal.org_id
    query = (
        select(
            Appointment.number,
            Service.name,
            func.coalesce(func.nullif(customer, ""), marcus.User.email),
            Appointment.status,
            Appointment.meeting_type,
            Appointment.starts_at,
            Appointment.ends_at,
            Appointment.note,
        )
        .join(
            Service, (Service.organization_id == Appointment.organization_id) & (Service.id == Appointment.service_id)
        )
        .join(
            marcus.User,
            (marcus.User.organization_id == Appointment.organization_id) & (marcus.User.id == Appointment.customer_id),
        )
        .where(Appointment.organization_id == org, grant.owner_filter(Appointment.customer_id), *filters.where())
        .order_by(Appointment.starts_at.desc(), Appointment.id.desc())
        .limit(MAX_ROWS)
    )
    return list((await session.execute(query)).all())


def _lines(rows: Sequence[Row[Any]], zone: ZoneInfo) -> Iterator[list[str]]:
    for row in rows:
        number, service, customer, status, meeting, starts_at, ends_at, note = tuple(row)
        start: datetime = starts_at.astimezone(zone)
        end: datetime = ends_at.astimezone(zone)
        yield [
            number,
            service,
            customer,
            status,
            meeting,
            start.strftime("%Y-%m-%d"),
            f"{start:%H:%M}-{end:%H:%M}",
            note,
        ]


def render(rows: Sequence[Row[Any]], *, brand: marcus.PdfBrand, zone: ZoneInfo) -> bytes:
    """The PDF (blocking: the route runs it in a thread)."""
    return marcus.render_table_pdf(
        brand=brand,
        title="Appointments",
        subtitle=f"{len(rows)} appointment(s) - times in {zone.key}",
        columns=COLUMNS,
        rows=_lines(rows, zone),
        empty="No appointments found.",
        wide=True,
    )
