"""Availability: weekly rules in the workspace's time zone across daylight-saving changes,
overrides and closures, idempotent generation, and the seed's one-day generation."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from marcus_appointments.availability import Window, day_slots, plan
from marcus_appointments.models import Override, Rule

BERLIN = ZoneInfo("Europe/Berlin")


def _rule(weekday: int, start: str, end: str, minutes: int = 60, **extra) -> Rule:
    return Rule(
        weekday=weekday,
        start_time=time.fromisoformat(start),
        end_time=time.fromisoformat(end),
        slot_minutes=minutes,
        buffer_minutes=extra.get("buffer", 0),
        capacity=1,
        staff_id=extra.get("staff_id"),
        valid_from=None,
        valid_until=None,
    )


def _utc(slots) -> list[str]:
    return [s.starts_at.astimezone(UTC).strftime("%m-%d %H:%M") for s in slots]


def test_a_weekly_rule_keeps_local_time_across_spring_forward():
    """Berlin moves from UTC+1 to UTC+2 on Sunday 2027-03-28 at 02:00 local."""
    sunday_nine = _rule(6, "09:00", "10:00")
    planned = plan(start=date(2027, 3, 21), end=date(2027, 4, 4), rules=[sunday_nine], overrides=[], zone=BERLIN)
    assert _utc(planned) == ["03-21 08:00", "03-28 07:00", "04-04 07:00"]
    assert {s.starts_at.astimezone(BERLIN).strftime("%H:%M") for s in planned} == {"09:00"}


def test_the_skipped_hour_yields_no_slot_and_durations_stay_exact():
    night = _rule(6, "01:00", "04:00")
    planned = plan(start=date(2027, 3, 28), end=date(2027, 3, 28), rules=[night], overrides=[], zone=BERLIN)
    local = [s.starts_at.astimezone(BERLIN).strftime("%H:%M") for s in planned]
    assert local == ["01:00", "03:00"]  # 02:00 does not exist that night
    assert all(s.ends_at - s.starts_at == timedelta(hours=1) for s in planned)


def test_the_repeated_hour_yields_one_slot_when_clocks_fall_back():
    """Berlin moves back from UTC+2 to UTC+1 on 2027-10-31 at 03:00 local."""
    night = _rule(6, "01:00", "04:00")
    planned = plan(start=date(2027, 10, 31), end=date(2027, 10, 31), rules=[night], overrides=[], zone=BERLIN)
    assert _utc(planned) == ["10-30 23:00", "10-31 00:00", "10-31 02:00"]


def test_a_new_york_rule_across_its_own_change():
    new_york = ZoneInfo("America/New_York")  # springs forward on 2027-03-14
    planned = plan(
        start=date(2027, 3, 8),
        end=date(2027, 3, 15),
        rules=[_rule(0, "09:00", "09:30", 30)],
        overrides=[],
        zone=new_york,
    )
    assert _utc(planned) == ["03-08 14:00", "03-15 13:00"]


def test_buffers_closures_and_open_days():
    weekday = _rule(0, "09:00", "12:00", 45, buffer=15)  # Mondays
    day = date(2027, 3, 1)
    assert [
        s.starts_at.strftime("%H:%M")
        for s in day_slots(
            day, Window(start=time(9), end=time(12), slot_minutes=45, buffer_minutes=15), ZoneInfo("UTC")
        )
    ] == ["09:00", "10:00", "11:00"]
    closed = Override(day=day, kind="closed", start_time=time(10), end_time=time(11), staff_id=None)
    planned = plan(start=day, end=day, rules=[weekday], overrides=[closed], zone=ZoneInfo("UTC"))
    assert [s.starts_at.strftime("%H:%M") for s in planned] == ["09:00", "11:00"]
    all_day = Override(day=day, kind="closed", start_time=None, end_time=None, staff_id=None)
    assert plan(start=day, end=day, rules=[weekday], overrides=[all_day], zone=ZoneInfo("UTC")) == []
    sunday = date(2027, 3, 7)
    opened = Override(
        day=sunday,
        kind="open",
        start_time=time(14),
        end_time=time(15),
        slot_minutes=30,
        buffer_minutes=0,
        capacity=2,
        staff_id=None,
    )
    planned = plan(start=sunday, end=sunday, rules=[weekday], overrides=[opened], zone=ZoneInfo("UTC"))
    assert [(s.starts_at.strftime("%H:%M"), s.capacity) for s in planned] == [("14:00", 2), ("14:30", 2)]


def _spring_forward() -> date:
    """Next year's last Sunday of March: the day the EU (Berlin) moves its clocks forward."""
    last = date(datetime.now(UTC).year + 1, 3, 31)
    return last - timedelta(days=(last.weekday() + 1) % 7)


async def test_generation_through_the_api_is_dst_correct_and_idempotent(kit, ready):
    change = _spring_forward()
    before, after = change - timedelta(days=7), change + timedelta(days=7)
    async with ready("Europe/Berlin") as (h, shop):
        rule = await h.client.post(
            "/api/v1/appointments/rules",
            json={
                "service_id": shop.service_id,
                "weekday": 6,
                "start_time": "09:00",
                "end_time": "11:00",
                "slot_minutes": 60,
            },
            headers=shop.admin.headers,
        )
        assert rule.status_code == 201, rule.text
        body = {"service_id": shop.service_id, "from": before.isoformat(), "to": after.isoformat()}
        first = await h.client.post("/api/v1/appointments/slots/generate", json=body, headers=shop.admin.headers)
        assert first.status_code == 201, first.text
        assert first.json() == {"created": 6, "existing": 0}
        again = await h.client.post("/api/v1/appointments/slots/generate", json=body, headers=shop.admin.headers)
        assert again.json() == {"created": 0, "existing": 6}
        listed = await h.client.get(
            f"/api/v1/appointments/slots?service_id={shop.service_id}&from={before}&to={after}",
            headers=shop.alice.headers,
        )
        starts = [datetime.fromisoformat(s["starts_at"]) for s in listed.json()]
        assert [s.astimezone(UTC).strftime("%H:%M") for s in starts] == [
            "08:00",
            "09:00",
            "07:00",
            "08:00",
            "07:00",
            "08:00",
        ]
        assert [s.astimezone(BERLIN).strftime("%H:%M") for s in starts] == ["09:00", "10:00"] * 3
        assert [s.date() for s in starts[::2]] == [before, change, after]
        closure = await h.client.post(
            "/api/v1/appointments/overrides",
            json={"service_id": shop.service_id, "day": (after + timedelta(days=7)).isoformat(), "kind": "closed"},
            headers=shop.admin.headers,
        )
        assert closure.status_code == 201, closure.text
        later = await h.client.post(
            "/api/v1/appointments/slots/generate",
            json={
                "service_id": shop.service_id,
                "from": (after + timedelta(days=1)).isoformat(),
                "to": (after + timedelta(days=14)).isoformat(),
            },
            headers=shop.admin.headers,
        )
        assert later.json()["created"] == 2  # the first Sunday is closed, the second is not
        assert (
            len(
                (
                    await h.client.get(
                        f"/api/v1/appointments/rules?service_id={shop.service_id}", headers=shop.staff.headers
                    )
                ).json()
            )
            == 1
        )
        refused = await h.client.post(
            "/api/v1/appointments/rules", json={"service_id": shop.service_id}, headers=shop.alice.headers
        )
        assert refused.status_code == 403


async def test_bad_rules_and_ranges_name_the_field(kit, ready):
    async with ready() as (h, shop):
        bad = await h.client.post(
            "/api/v1/appointments/rules",
            json={
                "service_id": shop.service_id,
                "weekday": 9,
                "start_time": "09:00",
                "end_time": "10:00",
                "slot_minutes": 30,
            },
            headers=shop.admin.headers,
        )
        assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "body.weekday")
        missing = await h.client.post(
            "/api/v1/appointments/rules",
            json={
                "service_id": str(uuid.uuid4()),
                "weekday": 1,
                "start_time": "09:00",
                "end_time": "10:00",
                "slot_minutes": 30,
            },
            headers=shop.admin.headers,
        )
        assert (missing.status_code, missing.json()["code"]) == (404, "service_not_found")
        too_long = await h.client.post(
            "/api/v1/appointments/slots/generate",
            json={"service_id": shop.service_id, "from": "2027-01-01", "to": "2028-06-01"},
            headers=shop.admin.headers,
        )
        assert (too_long.status_code, too_long.json()["errors"][0]["field"]) == (422, "body.to")


async def test_the_seeds_one_day_generation(kit, ready):
    async with ready() as (h, shop):
        day = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
        body = {
            "service_id": shop.service_id,
            "date": day,
            "start_time": "09:30",
            "end_time": "11:10",
            "duration_minutes": 30,
        }
        made = await h.client.post("/api/v1/appointments/slots/generate-day", json=body, headers=shop.admin.headers)
        assert made.json() == {"created": 3, "existing": 0}  # the trailing 10 minutes are dropped
        again = await h.client.post("/api/v1/appointments/slots/generate-day", json=body, headers=shop.admin.headers)
        assert again.json() == {"created": 0, "existing": 3}
        past = await h.client.post(
            "/api/v1/appointments/slots/generate-day", json=body | {"date": "2020-01-01"}, headers=shop.admin.headers
        )
        assert (past.status_code, past.json()["errors"][0]["field"]) == (422, "body.date")
        impossible = await h.client.post(
            "/api/v1/appointments/slots/generate-day", json=body | {"date": "2031-02-30"}, headers=shop.admin.headers
        )
        assert (impossible.status_code, impossible.json()["errors"][0]["field"]) == (422, "body.date")
        short = await h.client.post(
            "/api/v1/appointments/slots/generate-day", json=body | {"end_time": "09:45"}, headers=shop.admin.headers
        )
        assert (short.status_code, short.json()["code"]) == (422, "no_slots")
        reversed_ = await h.client.post(
            "/api/v1/appointments/slots/generate-day", json=body | {"end_time": "08:00"}, headers=shop.admin.headers
        )
        assert reversed_.status_code == 422
