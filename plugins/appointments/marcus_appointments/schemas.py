"""Request and response models of ``/api/v1/appointments``. Times are ISO 8601 with an offset
(UTC in responses, plus the workspace's local time where people read them); rule hours and
days are in the workspace's IANA time zone."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_NOTE = 5000


class AppointmentStatus(StrEnum):
    PENDING = "Pending"
    UPCOMING = "Upcoming"
    COMPLETED = "Completed"
    CANCELLED = "Cancelled"
    NO_SHOW = "NoShow"


class MeetingType(StrEnum):
    VIRTUAL = "Virtual"
    IN_PERSON = "InPerson"
    PHONE = "Phone"


class SlotStatus(StrEnum):
    AVAILABLE = "Available"
    BOOKED = "Booked"
    DISABLED = "Disabled"


def _needs_note(meeting_type: MeetingType | None, note: str | None) -> None:
    if meeting_type == MeetingType.IN_PERSON and not (note or "").strip():
        raise ValueError("a note is required for an in-person meeting")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- availability ------------------------------------------------------------------------


class RuleCreate(Strict):
    service_id: uuid.UUID
    staff_id: uuid.UUID | None = Field(default=None, description="Only this staff member's slots")
    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday")
    start_time: time = Field(description="Local time of the first start, e.g. 09:00")
    end_time: time = Field(description="Local time by which the last slot ends")
    slot_minutes: int = Field(ge=5, le=1440)
    buffer_minutes: int = Field(default=0, ge=0, le=1440, description="Gap after each slot")
    capacity: int = Field(default=1, ge=1, le=1000, description="Customers per slot")
    valid_from: date | None = None
    valid_until: date | None = None

    @model_validator(mode="after")
    def _window(self) -> RuleCreate:
        if self.end_time <= self.start_time:
            raise ValueError("end_time must be after start_time")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValueError("valid_until must not be before valid_from")
        return self


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    service_id: uuid.UUID
    staff_id: uuid.UUID | None
    weekday: int
    start_time: time
    end_time: time
    slot_minutes: int
    buffer_minutes: int
    capacity: int
    valid_from: date | None
    valid_until: date | None


class OverrideCreate(Strict):
    service_id: uuid.UUID
    staff_id: uuid.UUID | None = None
    day: date
    kind: str = Field(
        pattern="^(open|closed)$", description="closed: no slots (all day or start-end); open: these hours"
    )
    start_time: time | None = None
    end_time: time | None = None
    slot_minutes: int | None = Field(default=None, ge=5, le=1440)
    buffer_minutes: int = Field(default=0, ge=0, le=1440)
    capacity: int = Field(default=1, ge=1, le=1000)
    note: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _hours(self) -> OverrideCreate:
        if (self.start_time is None) != (self.end_time is None):
            raise ValueError("give both start_time and end_time, or neither")
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise ValueError("end_time must be after start_time")
        if self.kind == "open" and (self.start_time is None or self.slot_minutes is None):
            raise ValueError("an open day needs start_time, end_time and slot_minutes")
        return self


class OverrideRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    service_id: uuid.UUID
    staff_id: uuid.UUID | None
    day: date
    kind: str
    start_time: time | None
    end_time: time | None
    slot_minutes: int | None
    buffer_minutes: int
    capacity: int
    note: str


class GenerateRange(Strict):
    service_id: uuid.UUID
    start: date = Field(alias="from", description="First local day")
    end: date = Field(alias="to", description="Last local day (at most 366 days after `from`)")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class GenerateDay(Strict):
    """The seed's one-day generation: back-to-back slots of ``duration_minutes`` in a window."""

    service_id: uuid.UUID
    date: date
    start_time: time
    end_time: time
    duration_minutes: int = Field(ge=1, le=1440)
    capacity: int = Field(default=1, ge=1, le=1000)
    staff_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _window(self) -> GenerateDay:
        if self.end_time <= self.start_time:
            raise ValueError("end_time must be after start_time")
        return self


class Generated(BaseModel):
    created: int
    existing: int = Field(description="Slots that were already there (generation is idempotent)")


class SlotRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    service_id: uuid.UUID
    staff_id: uuid.UUID | None
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int
    enabled: bool
    status: SlotStatus


class SlotChange(Strict):
    enabled: bool = Field(description="false disables the slot (refused while it has live bookings)")


class SlotsDeleted(BaseModel):
    deleted: int


# --- appointments --------------------------------------------------------------------------


class AppointmentCreate(Strict):
    slot_id: uuid.UUID
    meeting_type: MeetingType
    note: str = Field(default="", max_length=MAX_NOTE)
    service_id: uuid.UUID | None = Field(default=None, description="When given, must be the slot's service")
    customer_id: uuid.UUID | None = Field(default=None, description="Staff booking for a customer")

    @model_validator(mode="after")
    def _note(self) -> AppointmentCreate:
        _needs_note(self.meeting_type, self.note)
        return self


class AppointmentUpdate(Strict):
    meeting_type: MeetingType | None = None
    note: str | None = Field(default=None, max_length=MAX_NOTE)

    @model_validator(mode="after")
    def _something(self) -> AppointmentUpdate:
        if self.meeting_type is None and self.note is None:
            raise ValueError("give meeting_type or note")
        return self


class Cancel(Strict):
    reason: str | None = Field(default=None, max_length=500)


class Reschedule(Strict):
    slot_id: uuid.UUID


class Attachment(BaseModel):
    id: uuid.UUID
    name: str
    content_type: str
    size: int


class AppointmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: str
    customer_id: uuid.UUID
    service_id: uuid.UUID
    slot_id: uuid.UUID | None
    staff_id: uuid.UUID | None
    starts_at: datetime
    ends_at: datetime
    meeting_type: MeetingType
    status: AppointmentStatus
    note: str
    price: Decimal
    attachments: list[Attachment]
    created_at: datetime
    cancelled_at: datetime | None
    completed_at: datetime | None


class CalendarFeedRead(BaseModel):
    url: str = Field(description="Private URL of the customer's calendar (keep it secret; rotating replaces it)")


class DownloadLink(BaseModel):
    url: str
    expires_at: datetime
