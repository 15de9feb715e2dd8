"""What invoices do with the plugins they depend on.

* **appointments** (through ``marcus_appointments.service``'s invoice interface): an invoice
  for an appointment bills its customer and starts with one line for its service at the
  price booked; issuing it completes the appointment in the same transaction
  (``appointments.completed`` with the invoice id). The database keeps one live invoice per
  appointment (a unique index; a voided invoice no longer counts).
* **documents**: an issued invoice's PDF can be filed among its customer's documents (type
  ``Invoice``, linked to the invoice and its appointment), stored through the kernel storage
  under the documents plugin's prefix, so the documents API lists and serves it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from marcus_appointments import service as appointments
from marcus_appointments.models import CANCELLED, NO_SHOW
from marcus_documents.links import register_link
from marcus_documents.models import Document, DocumentFile
from marcus_services import service as services
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

import marcus
from marcus_invoices.events import AttachedAsDocument
from marcus_invoices.models import DRAFT, Invoice
from marcus_invoices.schemas import InvoiceCreate, LineIn
from marcus_invoices.service import invalid, zone_of
from marcus_invoices.settings import InvoicesSettings

NOT_BILLABLE = (CANCELLED, NO_SHOW)


async def appointment_customer_and_lines(
    session: AsyncSession, tenant: marcus.Tenant, *, data: InvoiceCreate
) -> tuple[uuid.UUID, list[LineIn]]:
    """The customer to bill and the starting lines for an invoice of ``data.appointment_id``
    (404 naming ``appointment_id`` when there is no such appointment, 409 when it was
    cancelled or missed, 422 when ``customer_id`` names someone else)."""
    assert data.appointment_id is not None
    appointment = await appointments.get_for_invoice(session, org_id=tenant.id, appointment_id=data.appointment_id)
    if appointment.status in NOT_BILLABLE:
        detail = f"Appointment {appointment.number} is {appointment.status} and cannot be invoiced."
        raise marcus.Conflict(
            detail, code="appointment_not_billable", errors=[{"field": "appointment_id", "message": detail}]
        )
    if data.customer_id is not None and data.customer_id != appointment.customer_id:
        raise invalid("customer_id", "The appointment belongs to another customer.", "customer_mismatch")
    if data.lines is not None:
        return appointment.customer_id, list(data.lines)
    service = await services.get_service(session, org_id=tenant.id, service_id=appointment.service_id)
    day = appointment.starts_at.astimezone(zone_of(tenant)).date().isoformat()
    line = LineIn(
        description=f"{service.name} - appointment {appointment.number} on {day}",
        quantity=1,
        unit_price=appointment.price,
        tax_rate=InvoicesSettings.of(tenant.plugins).default_tax_rate,
    )
    return appointment.customer_id, [line]


async def complete_appointment(session: AsyncSession, invoice: Invoice, *, actor_id: uuid.UUID) -> None:
    """Issuing ``invoice`` completes its appointment, in the issuing transaction."""
    if invoice.appointment_id is None:
        return
    await appointments.complete_from_invoice(
        session,
        org_id=invoice.organization_id,
        appointment_id=invoice.appointment_id,
        invoice_id=invoice.id,
        actor_id=actor_id,
    )


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def check_fileable(invoice: Invoice) -> None:
    """Only issued invoices are filed: a draft is a 409 naming its status."""
    if invoice.status == DRAFT:
        raise marcus.Conflict(
            "A draft cannot be filed as a document: issue it first.",
            code="invalid_transition",
            errors=[{"field": "status", "message": "is Draft", "current": DRAFT}],
        )


async def file_as_document(
    session: AsyncSession, storage: marcus.Storage, *, invoice: Invoice, content: bytes, actor_id: uuid.UUID
) -> Document:
    """Store the invoice's PDF and record it as an ``Invoice`` document of its customer (the
    file is removed again if the transaction does not commit)."""
    check_fileable(invoice)
    files = marcus.TenantFiles(storage, org_id=invoice.organization_id, plugin="documents")
    name = f"{invoice.number}.pdf"
    async with files.staging(session) as stage:
        stored = await stage.put(name, _once(content), content_type="application/pdf")
        document = Document(
            id=marcus.new_id(),
            owner_id=invoice.customer_id,
            name=f"Invoice {invoice.number}",
            type="Invoice",
            status="Approved",
            format="pdf",
            size=stored.size,
            tags=["invoice"],
            description=f"Invoice {invoice.number} ({invoice.status}), filed {datetime.now(UTC).date().isoformat()}",
            appointment_id=invoice.appointment_id,
            invoice_id=invoice.id,
        )
        session.add(document)
        await session.flush()
        file = DocumentFile(
            document_id=document.id,
            position=0,
            key=stored.key,
            name=name,
            content_type=stored.content_type,
            size=stored.size,
        )
        session.add(file)
        event = AttachedAsDocument(
            entity_id=invoice.id,
            customer_id=invoice.customer_id,
            invoice_id=invoice.id,
            number=invoice.number,
            status=invoice.status,
            document_id=document.id,
        )
        await marcus.publish(session, event, actor_id=actor_id)
        await session.commit()
    set_committed_value(document, "files", [file])
    return document


async def owns_invoice(session: AsyncSession, org_id: uuid.UUID, owner_id: uuid.UUID, target: uuid.UUID) -> bool:
    """A document may be filed under one of its owner's issued invoices (drafts are not theirs yet)."""
    found = await session.scalar(
        select(Invoice.id).where(
            Invoice.organization_id == org_id,
            Invoice.id == target,
            Invoice.customer_id == owner_id,
            Invoice.status != DRAFT,
        )
    )
    return found is not None


register_link("invoice_id", plugin="invoices", noun="invoice", check=owns_invoice)
