"""``marcus demo`` for the catalogue: three services with prices, in the starting categories."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

import marcus
from marcus_services import service
from marcus_services.models import Category, Service
from marcus_services.schemas import ServiceCreate

# slug, name, category slug, price, minutes, description
SERVICES = (
    (
        "strategy-session",
        "Strategy session",
        "consulting",
        "120.00",
        60,
        "An hour with a senior consultant: where your business stands, where it could go, and the next three steps.",
    ),
    (
        "tax-review",
        "Tax review",
        "consulting",
        "85.00",
        45,
        "We go through last year's books and this year's receipts and tell you what to claim, file and keep.",
    ),
    (
        "team-workshop",
        "Team workshop",
        "training",
        "450.00",
        180,
        "A half-day workshop for up to twelve people, on planning, pricing or customer care.",
    ),
)


async def demo_services(demo: marcus.DemoContext) -> list[str]:
    """Create the demo services that are missing (found by slug); what was created."""
    session, org_id = demo.session, demo.tenant.id
    await service.provision_categories(session, org_id=org_id)
    rows = await session.execute(select(Category.slug, Category.id).where(Category.organization_id == org_id))
    categories = dict(rows.all())
    existing = set(await session.scalars(select(Service.slug).where(Service.organization_id == org_id)))
    created = []
    for slug, name, category, price, minutes, description in SERVICES:
        if slug in existing:
            continue
        data = ServiceCreate(
            name=name,
            slug=slug,
            description=description,
            category_id=categories.get(category),
            price=Decimal(price),
            duration_minutes=minutes,
        )
        await service.create_service(session, org_id=org_id, actor_id=demo.admin.id, data=data)
        created.append(f"service {name} ({price} {marcus.workspace_settings(demo.tenant).currency})")
    return created
