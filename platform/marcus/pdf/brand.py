"""``PdfBrand``: what brands a workspace's PDFs, and ``pdf_brand`` to load it for a request."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from marcus.errors import MarcusError
from marcus.settings import workspace_settings
from marcus.settings.logos import locate
from marcus.tenancy.resolver import Tenant

log = logging.getLogger("marcus.pdf")


@dataclass(frozen=True, kw_only=True)
class PdfBrand:
    """A workspace's name and slogan, its logo (PNG / JPEG / WebP bytes), IANA time zone and currency."""

    name: str
    slogan: str = ""
    logo: bytes | None = None
    time_zone: str = "UTC"
    currency: str = "EUR"


async def pdf_brand(kernel: Any, tenant: Tenant) -> PdfBrand:
    """The brand of ``tenant`` from its workspace settings; no logo when it has none or it cannot be read."""
    settings = workspace_settings(tenant)
    logo = None
    if settings.logo_key:
        try:
            path, _ = locate(kernel.settings, org_id=tenant.id, key=settings.logo_key)
            logo = await asyncio.to_thread(path.read_bytes)
        except (MarcusError, OSError):
            log.warning("the logo of workspace %s cannot be read; PDFs go without it", tenant.slug)
    return PdfBrand(
        name=settings.name,
        slogan=settings.slogan,
        logo=logo,
        time_zone=settings.time_zone,
        currency=settings.currency,
    )
