"""Per-workspace settings of the invoices plugin (``[plugins.invoices]`` in a tenant manifest,
or ``PATCH /api/v1/settings``): numbering, payment terms, and what the PDF prints about the
business besides the workspace's name and logo (kernel settings)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from marcus_invoices.numbering import DEFAULT_PATTERN, check_pattern

Text = Annotated[str, StringConstraints(strip_whitespace=True)]


class InvoicesSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    number_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_./-]{0,16}$")] = Field(
        default="INV", description="Replaces {prefix} in the number pattern"
    )
    number_pattern: str = Field(
        default=DEFAULT_PATTERN,
        description="Placeholders {prefix}, {year}, {seq} / {seq:04}; with {year} numbering restarts every year",
    )
    payment_terms_days: int = Field(default=14, ge=0, le=365, description="Due date = issue date + this, by default")
    default_tax_rate: Decimal = Field(
        default=Decimal(0), ge=0, le=100, max_digits=7, decimal_places=4, description="Percent, for pre-filled lines"
    )
    address: Annotated[Text, Field(max_length=500)] = Field(default="", description="Printed under the name")
    vat_id: Annotated[Text, Field(max_length=50)] = Field(default="", description="The business's VAT id")
    payment_instructions: Annotated[Text, Field(max_length=1000)] = Field(
        default="", description="How to pay (bank account, reference), printed on every invoice"
    )

    @field_validator("number_pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return check_pattern(value)

    @classmethod
    def of(cls, plugins: Mapping[str, Mapping[str, Any]]) -> InvoicesSettings:
        """This plugin's settings among a tenant's enabled plugins (validated when stored)."""
        return cls.model_validate(dict(plugins.get("invoices") or {}))
