"""``/api/v1/settings`` resources and the validation of each editable field: an IANA time
zone (``zoneinfo``), an ISO 4217 currency, a BCP 47 language tag. Bad values are a 422
naming the field; accepted values are stored in their canonical spelling."""

from __future__ import annotations

import re
import zoneinfo
from functools import cache
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from marcus.settings.currencies import ISO_4217
from marcus.settings.workspace import WorkspaceSettings
from marcus.tenancy.models import Organization

LANGUAGE = re.compile(
    r"^(?P<language>[a-z]{2,3})"
    r"(?:-(?P<script>[a-z]{4}))?"
    r"(?:-(?P<region>[a-z]{2}|[0-9]{3}))?"
    r"(?P<variants>(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*)$",
    re.IGNORECASE,
)
PLUGIN = r"^[a-z][a-z0-9_]{1,39}$"


@cache
def _time_zones() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def check_time_zone(value: str) -> str:
    """An IANA time zone name (``Europe/Paris``), any case; returned as IANA spells it."""
    name = _time_zones().get(value.lower())
    if name is None:
        raise ValueError("not an IANA time zone name (e.g. 'Europe/Paris', 'America/New_York', 'UTC')")
    return name


def check_currency(value: str) -> str:
    """An ISO 4217 code of a currency in circulation, any case; returned upper-case."""
    code = value.upper()
    if code not in ISO_4217:
        raise ValueError("not an ISO 4217 currency code (e.g. 'EUR', 'USD', 'CHF')")
    return code


def check_language(value: str) -> str:
    """A BCP 47 language tag (``en``, ``pt-BR``, ``zh-Hant-TW``, ``es-419``); ``_`` is read as ``-``."""
    match = LANGUAGE.match(value.replace("_", "-"))
    if match is None:
        raise ValueError("not a BCP 47 language tag (e.g. 'en', 'de-CH', 'pt-BR')")
    parts = [match["language"].lower()]
    parts += [match["script"].title()] if match["script"] else []
    parts += [match["region"].upper()] if match["region"] else []
    parts += [v.lower() for v in match["variants"].split("-") if v]
    return "-".join(parts)


def _trimmed(max_length: int, min_length: int = 0) -> Any:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


TimeZone = Annotated[str, _trimmed(64, 1), AfterValidator(check_time_zone)]
Currency = Annotated[str, _trimmed(3, 3), AfterValidator(check_currency)]
Language = Annotated[str, _trimmed(35, 2), AfterValidator(check_language)]
PluginName = Annotated[str, StringConstraints(pattern=PLUGIN)]


class WorkspaceSettingsRead(BaseModel):
    """What anyone may know about a workspace (its public face)."""

    name: str
    slogan: str
    language: str = Field(description="BCP 47 language tag", examples=["en"])
    time_zone: str = Field(description="IANA time zone", examples=["Europe/Paris"])
    currency: str = Field(description="ISO 4217 code", examples=["EUR"])
    logo_url: str | None
    plugins: list[str] = Field(description="Plugins (modules) enabled in this workspace")

    @classmethod
    def of(cls, org: Organization, settings: WorkspaceSettings, plugins: list[str]) -> WorkspaceSettingsRead:
        return cls(
            name=org.name,
            slogan=settings.slogan,
            language=settings.language,
            time_zone=settings.time_zone,
            currency=settings.currency,
            logo_url="/api/v1/settings/logo" if settings.logo_key else None,
            plugins=plugins,
        )


class WorkspaceSettingsUpdate(BaseModel):
    """Fields to change (absent ones stay); ``plugins`` enables (true) or disables (false) modules."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, _trimmed(200, 1)] | None = None
    slogan: Annotated[str, _trimmed(300)] | None = None
    language: Language | None = None
    time_zone: TimeZone | None = None
    currency: Currency | None = None
    plugins: dict[PluginName, bool] | None = Field(
        default=None, description='Plugin name -> enabled, e.g. {"blog": false}', examples=[{"blog": False}]
    )

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null (leave the field out to keep its value)")
        return value


class PluginRead(BaseModel):
    """An installed plugin and whether this workspace enabled it."""

    name: str
    version: str
    description: str
    depends_on: list[str]
    enabled: bool
