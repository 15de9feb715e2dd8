"""What a document may be linked to: the owner's own appointment, and (when the invoices
plugin is installed) the owner's own issued invoice.

The database keeps a link inside the workspace (composite foreign keys); these checks keep it
inside the owner's records, so nobody files a document under someone else's appointment or
invoice (seed-api §9 item 9). The invoices plugin depends on this one, not the other way
round, so it registers its check here (``register_link``) when it is loaded.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from marcus_appointments.models import Appointment
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marcus import Invalid, NotFound, Tenant

#: ``check(session, org_id, owner_id, target_id)`` answers whether the owner may link to it.
LinkCheck = Callable[[AsyncSession, uuid.UUID, uuid.UUID, uuid.UUID], Awaitable[bool]]


async def owns_appointment(session: AsyncSession, org_id: uuid.UUID, owner_id: uuid.UUID, target: uuid.UUID) -> bool:
    found = await session.scalar(
        select(Appointment.id).where(
            Appointment.organization_id == org_id, Appointment.id == target, Appointment.customer_id == owner_id
        )
    )
    return found is not None


#: field -> (plugin owning the records, noun for messages, check)
_CHECKS: dict[str, tuple[str, str, LinkCheck]] = {"appointment_id": ("appointments", "appointment", owns_appointment)}


def register_link(field: str, *, plugin: str, noun: str, check: LinkCheck) -> None:
    """Let ``plugin``'s records be linked through ``field`` (e.g. ``invoice_id``) in the
    workspaces that enable that plugin."""
    _CHECKS[field] = (plugin, noun, check)


async def check_links(
    session: AsyncSession, tenant: Tenant, *, owner_id: uuid.UUID, links: dict[str, uuid.UUID | None]
) -> None:
    """404 naming the field when a linked record is not the owner's (or does not exist);
    422 naming it when the workspace has no plugin whose records that field links to."""
    for name, target in links.items():
        if target is None:
            continue
        field = f"body.{name}"
        entry = _CHECKS.get(name)
        if entry is None or not tenant.has_plugin(entry[0]):
            detail = f"This workspace has nothing a document can be linked to through {name}."
            raise Invalid(detail, code="link_unavailable", errors=[{"field": field, "message": detail}])
        _plugin, noun, check = entry
        if not await check(session, tenant.id, owner_id, target):
            detail = f"No such {noun} of the document's owner."
            raise NotFound(detail, code=f"{noun}_not_found", errors=[{"field": field, "message": detail}])
