"""API resources of the catalogue. Money leaves as a string with two decimals plus the
workspace's ISO 4217 currency (never a float); it comes in as a decimal string or number."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator, model_validator

import marcus
from marcus_services.models import MAX_DURATION_MINUTES, Category, Service
from marcus_services.slugs import MAX_LENGTH, SLUG_PATTERN

API = "/api/v1/services"
Status = Literal["active", "inactive", "archived"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, min_length=1, max_length=MAX_LENGTH)]
Price = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2, description='In the workspace currency, e.g. "120.00"'),
]
Duration = Annotated[int, Field(ge=1, le=MAX_DURATION_MINUTES, description="Length of a booking, in minutes")]
Position = Annotated[int, Field(ge=0, le=10_000)]


class _Patch(BaseModel):
    """A partial update: absent fields stay as they are; ``null`` only clears what may be empty."""

    model_config = ConfigDict(extra="forbid")
    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.NULLABLE:
            raise ValueError("may not be null (leave the field out to keep its value)")
        return value


class CategoryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Description = ""
    position: Position = 0
    slug: Slug | None = Field(default=None, description="Defaults to one made from the name")


class CategoryUpdate(_Patch):
    name: Name | None = None
    description: Description | None = None
    position: Position | None = None
    slug: Slug | None = Field(default=None, description="A new slug (the old one stops working)")


class CategoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    slug: str
    description: str
    position: int


class CategoryRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    slug: str


class ServiceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Description = ""
    category_id: uuid.UUID | None = None
    status: Status = "active"
    price: Price
    duration_minutes: Duration
    slug: Slug | None = Field(default=None, description="Defaults to one made from the name")


class ServiceUpdate(_Patch):
    NULLABLE = frozenset({"category_id"})

    name: Name | None = Field(default=None, description="Renaming keeps the slug unless regenerate_slug is true")
    description: Description | None = None
    category_id: uuid.UUID | None = Field(default=None, description="null removes the category")
    status: Status | None = None
    price: Price | None = None
    duration_minutes: Duration | None = None
    slug: Slug | None = Field(default=None, description="A new slug (the old one stops working)")
    regenerate_slug: bool = Field(default=False, description="Make a new slug from the (new) name")

    @model_validator(mode="after")
    def _one_slug_source(self) -> Self:
        if self.slug is not None and self.regenerate_slug:
            raise ValueError("send either slug or regenerate_slug, not both")
        return self


class ServiceRead(BaseModel):
    id: uuid.UUID
    slug: str
    name: str
    description: str
    status: Status
    category: CategoryRef | None
    price: str = Field(description='Decimal string with two decimals, e.g. "120.00"', examples=["120.00"])
    currency: str = Field(description="ISO 4217 code of the workspace currency", examples=["EUR"])
    duration_minutes: int
    image_url: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, service: Service, *, currency: str) -> ServiceRead:
        category: Category | None = service.category
        return cls(
            id=service.id,
            slug=service.slug,
            name=service.name,
            description=service.description,
            status=service.status,  # a Status: the table checks it
            category=CategoryRef.model_validate(category) if category else None,
            price=f"{service.price:.2f}",
            currency=currency,
            duration_minutes=service.duration_minutes,
            image_url=f"{API}/{service.id}/image" if service.image_key else None,
            created_at=service.created_at,
            updated_at=service.updated_at,
        )


ServicePage = marcus.Page[ServiceRead]
CategoryPage = marcus.Page[CategoryRead]
