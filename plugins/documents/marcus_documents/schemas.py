"""Request and response bodies of ``/api/v1/documents``."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from fastapi import UploadFile
from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_TAGS = 20
MAX_TAG = 50


class DocumentType(StrEnum):
    INVOICE = "Invoice"
    APPOINTMENT = "Appointment"
    PROFILE = "Profile"
    SECURITY = "Security"
    COMPLIANCE = "Compliance"


class DocumentStatus(StrEnum):
    OPEN = "Open"
    IN_REVIEW = "InReview"
    APPROVED = "Approved"


def clean_tags(values: list[str]) -> list[str]:
    """Tags from a list whose items may be comma-separated: trimmed, de-duplicated, in order."""
    tags: list[str] = []
    for part in (p.strip() for value in values for p in value.split(",")):
        if part and part not in tags:
            tags.append(part)
    if len(tags) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags")
    if any(len(tag) > MAX_TAG for tag in tags):
        raise ValueError(f"a tag has at most {MAX_TAG} characters")
    return tags


class DocumentUpload(BaseModel):
    """``multipart/form-data``: 1 to 10 ``files`` and the document's metadata."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, str_strip_whitespace=True)

    files: list[UploadFile] = Field(min_length=1, max_length=10, description="1 to 10 files")
    type: DocumentType
    name: str | None = Field(default=None, min_length=1, max_length=200, description="Default: the first file's name")
    tags: list[str] = Field(default=[], description="Tags; each field may hold a comma-separated list")
    description: str | None = Field(default=None, max_length=2000)
    appointment_id: uuid.UUID | None = Field(default=None, description="One of the owner's own appointments")
    invoice_id: uuid.UUID | None = Field(default=None, description="One of the owner's own issued invoices")

    _tags = field_validator("tags")(clean_tags)


class DocumentUpdate(BaseModel):
    """Metadata to change; at least one field. The status moves through ``PUT .../status``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=200)
    type: DocumentType | None = None
    tags: list[str] | None = None
    description: str | None = Field(default=None, max_length=2000)

    @field_validator("name", "type", "tags", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value

    @field_validator("tags")
    @classmethod
    def _clean_tags(cls, value: list[str] | None) -> list[str] | None:
        return clean_tags(value) if value is not None else None


class StatusChange(BaseModel):
    """The review step to move to: ``Open`` -> ``InReview`` -> ``Approved`` (or one step back)."""

    model_config = ConfigDict(extra="forbid")

    status: DocumentStatus


class DocumentFileRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    content_type: str
    size: int


class DocumentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    type: DocumentType
    status: DocumentStatus
    format: str | None
    size: int
    tags: list[str]
    description: str | None
    appointment_id: uuid.UUID | None
    invoice_id: uuid.UUID | None
    files: list[DocumentFileRead]
    created_at: datetime
    updated_at: datetime


class DownloadLink(BaseModel):
    """A URL that downloads the file without credentials until ``expires_at``.

    Local storage gives a path on this workspace's host (``/api/v1/files/...``)."""

    url: str
    expires_at: datetime
