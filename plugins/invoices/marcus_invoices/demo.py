"""``marcus demo`` for invoices: the demo customer's completed appointment, invoiced and issued."""

from __future__ import annotations

from decimal import Decimal

from marcus_appointments.models import COMPLETED, Appointment
from sqlalchemy import select

import marcus
from marcus_invoices.lifecycle import create_invoice
from marcus_invoices.models import Invoice
from marcus_invoices.schemas import InvoiceCreate, LineIn


async def demo_invoices(demo: marcus.DemoContext) -> list[str]:
    """An issued invoice for the demo customer, when they have none; what was created."""
    session, org_id, customer = demo.session, demo.tenant.id, demo.customer
    mine = select(Invoice.id).where(Invoice.organization_id == org_id, Invoice.customer_id == customer.id)
    if await session.scalar(mine.limit(1)) is not None:
        return []
    completed = await session.scalar(
        select(Appointment.id)
        .where(
            Appointment.organization_id == org_id,
            Appointment.customer_id == customer.id,
            Appointment.status == COMPLETED,
        )
        .order_by(Appointment.number)
        .limit(1)
    )
    if completed is not None:
        data = InvoiceCreate(appointment_id=completed, issue=True, notes="Thank you for your visit.")
    else:  # appointments not enabled here: bill a plain line
        lines = [LineIn(description="Strategy session", unit_price=Decimal("120.00"))]
        data = InvoiceCreate(customer_id=customer.id, lines=lines, issue=True, notes="Thank you for your visit.")
    invoice = await create_invoice(session, demo.tenant, data=data, actor_id=demo.admin.id)
    return [f"invoice {invoice.number} ({invoice.total} {invoice.currency})"]
