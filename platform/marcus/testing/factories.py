"""factory-boy factories for kernel rows; plugins add their own the same way."""

from __future__ import annotations

import secrets

import factory

from marcus.tenancy.models import Organization


class OrganizationFactory(factory.Factory):  # type: ignore[misc]
    """Builds unsaved ``Organization`` objects with unique slugs (persist with ``tenant_factory``)."""

    class Meta:
        model = Organization

    slug = factory.Sequence(lambda n: f"org-{n:04d}-{secrets.token_hex(3)}")
    name = factory.LazyAttribute(lambda o: f"Workspace {o.slug}")
    status = "active"
    settings = factory.LazyFunction(lambda: {"time_zone": "UTC", "currency": "EUR", "language": "en"})
