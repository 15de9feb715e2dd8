"""From weekly rules and date overrides to concrete slots, in the workspace's time zone.

Pure functions (no database): ``plan`` walks the local days of a range and returns the slots
to create as UTC instants. Wall-clock times come from the rules; each is converted with
``zoneinfo``, so 09:00 stays 09:00 local across daylight-saving changes. A wall time that does
not exist (the hour skipped when clocks spring forward) yields no slot; one that exists twice
(clocks falling back) yields one slot, at its first occurrence.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from marcus_appointments.models import CLOSED, OPEN, Override, Rule


@dataclass(frozen=True, kw_only=True)
class Window:
    """Hours on one local day: slots of ``slot_minutes`` every ``slot_minutes + buffer_minutes``."""

    start: time
    end: time
    slot_minutes: int
    buffer_minutes: int = 0
    capacity: int = 1
    staff_id: uuid.UUID | None = None


@dataclass(frozen=True, kw_only=True)
class PlannedSlot:
    starts_at: datetime
    ends_at: datetime
    capacity: int
    staff_id: uuid.UUID | None


def local_instant(day: date, wall: time, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a local wall time, or None when that wall time does not exist."""
    naive = datetime.combine(day, wall)
    instant = naive.replace(tzinfo=zone).astimezone(UTC)
    return instant if instant.astimezone(zone).replace(tzinfo=None) == naive else None


def day_slots(day: date, window: Window, zone: ZoneInfo) -> Iterator[PlannedSlot]:
    """The slots of one window on one local day."""
    length, step = (
        timedelta(minutes=window.slot_minutes),
        timedelta(minutes=window.slot_minutes + window.buffer_minutes),
    )
    cursor, last = datetime.combine(day, window.start), datetime.combine(day, window.end)
    while cursor + length <= last:
        starts_at = local_instant(day, cursor.time(), zone)
        if starts_at is not None:
            yield PlannedSlot(
                starts_at=starts_at, ends_at=starts_at + length, capacity=window.capacity, staff_id=window.staff_id
            )
        cursor += step


def _rule_applies(rule: Rule, day: date) -> bool:
    return (
        rule.weekday == day.weekday()
        and (rule.valid_from is None or rule.valid_from <= day)
        and (rule.valid_until is None or day <= rule.valid_until)
    )


def _window_of(item: Rule | Override) -> Window:
    assert item.start_time is not None
    assert item.end_time is not None
    assert item.slot_minutes is not None
    return Window(
        start=item.start_time,
        end=item.end_time,
        slot_minutes=item.slot_minutes,
        buffer_minutes=item.buffer_minutes,
        capacity=item.capacity,
        staff_id=item.staff_id,
    )


def _closed(slot: PlannedSlot, closures: Sequence[Override], day: date, zone: ZoneInfo) -> bool:
    for closure in closures:
        if closure.staff_id is not None and closure.staff_id != slot.staff_id:
            continue
        if closure.start_time is None or closure.end_time is None:
            return True
        start = local_instant(day, closure.start_time, zone) or datetime.combine(day, closure.start_time, tzinfo=zone)
        end = local_instant(day, closure.end_time, zone) or datetime.combine(day, closure.end_time, tzinfo=zone)
        if slot.starts_at < end and start < slot.ends_at:
            return True
    return False


def windows_of_day(day: date, rules: Sequence[Rule], overrides: Sequence[Override]) -> list[Window]:
    """The windows of a day: its rules, except for staff (or the no-staff rules) that an
    ``open`` override of that day replaces with its own hours."""
    opened = [o for o in overrides if o.day == day and o.kind == OPEN]
    replaced = {o.staff_id for o in opened}
    windows = [_window_of(r) for r in rules if _rule_applies(r, day) and r.staff_id not in replaced]
    return windows + [_window_of(o) for o in opened]


def days(start: date, end: date) -> Iterator[date]:
    for offset in range((end - start).days + 1):
        yield start + timedelta(days=offset)


def plan(
    *, start: date, end: date, rules: Sequence[Rule], overrides: Iterable[Override], zone: ZoneInfo
) -> list[PlannedSlot]:
    """Every slot the rules and overrides give from local day ``start`` to ``end`` inclusive."""
    by_day: dict[date, list[Override]] = {}
    for override in overrides:
        by_day.setdefault(override.day, []).append(override)
    planned: dict[tuple[uuid.UUID | None, datetime], PlannedSlot] = {}
    for day in days(start, end):
        todays = by_day.get(day, [])
        closures = [o for o in todays if o.kind == CLOSED]
        for window in windows_of_day(day, rules, todays):
            for slot in day_slots(day, window, zone):
                if not _closed(slot, closures, day, zone):
                    planned.setdefault((slot.staff_id, slot.starts_at), slot)
    return sorted(planned.values(), key=lambda s: (s.starts_at, str(s.staff_id)))
