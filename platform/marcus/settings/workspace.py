"""``workspace_settings(tenant)``: a workspace's own settings as every part of Marcus reads
them (PDFs, mails, prices, slots), defaults filled in. They live in ``organizations.settings``
(the name in ``organizations.name``) and change through ``PATCH /api/v1/settings``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marcus.tenancy.resolver import Tenant

DEFAULTS: dict[str, str] = {"language": "en", "time_zone": "UTC", "currency": "EUR", "slogan": ""}
LOGO_KEY = "logo"


@dataclass(frozen=True, kw_only=True)
class WorkspaceSettings:
    """Language (BCP 47), IANA time zone, ISO 4217 currency, and the branding."""

    name: str
    slogan: str
    language: str
    time_zone: str
    currency: str
    logo_key: str | None


def from_values(name: str, settings: Mapping[str, Any]) -> WorkspaceSettings:
    """Settings from an organization's name and ``settings`` document (defaults for what is missing)."""
    values = {key: str(settings.get(key) or default) for key, default in DEFAULTS.items()}
    logo = settings.get(LOGO_KEY)
    return WorkspaceSettings(name=name, logo_key=str(logo) if logo else None, **values)


def workspace_settings(tenant: Tenant) -> WorkspaceSettings:
    """The settings of the request's workspace: ``workspace_settings(tenant).currency``."""
    return from_values(tenant.name, tenant.settings)
