"""The appointments plugin's portal pages, without a browser: booking through the slot grid
(errors next to their field), my appointments (details, reschedule, cancel, PDF, calendar
file), the staff's list, completion and schedule, CSRF, and 404s across customers and
workspaces. The live push of slot changes to open pages is checked on the kernel's hub."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta

import marcus
from marcus.testing import portal_client, signed_in


def day_of(slot: dict) -> str:
    return slot["starts_at"][:10]


async def test_a_customer_books_a_time_from_the_grid_with_errors_next_to_fields(ready, kit):
    async with ready() as (h, shop):
        free = await kit.make_slots(h, shop, count=3)
        day = day_of(free[0])
        async with signed_in(h, shop.org, shop.alice) as alice:
            services = await alice.get("/appointments/book")
            grid = await alice.get(f"/appointments/book/{shop.service_id}?day={day}")
            page = f"/appointments/book/{shop.service_id}?day={day}"
            no_slot = await alice.submit(page, {"meeting_type": "Virtual"}, page=page)
            no_note = await alice.submit(page, {"slot_id": free[0]["id"], "meeting_type": "InPerson"}, page=page)
            booked = await alice.submit(page, {"slot_id": free[0]["id"], "meeting_type": "Virtual"}, page=page)
            shown = await alice.get(booked.headers["location"])
            fragment = await alice.get(f"/appointments/book/{shop.service_id}/slots?day={day}")
        async with signed_in(h, shop.org, shop.bob) as bob:
            taken = await bob.submit(page, {"slot_id": free[0]["id"], "meeting_type": "Virtual"}, page=page)
    assert shop.service_id in services.text
    assert all(f'value="{slot["id"]}"' in grid.text for slot in free)
    assert grid.text.count('aria-current="page"') == 1  # "Book", not also "Appointments"
    assert '<a href="/appointments/book" aria-current="page">' in grid.text
    assert no_slot.status_code == 422
    assert 'id="f-slot_id-error"' in no_slot.text
    assert no_note.status_code == 422
    assert 'id="f-note-error"' in no_note.text
    assert f'value="{free[0]["id"]}" checked' in no_note.text  # the choice survives the error
    assert booked.status_code == 303
    assert "APPT-000001 is booked" in shown.text
    assert "Upcoming" in shown.text
    assert free[0]["id"] not in fragment.text
    assert free[1]["id"] in fragment.text
    assert taken.status_code == 409
    assert 'id="f-slot_id-error"' in taken.text


async def test_a_day_past_the_two_week_strip_shows_its_own_times(ready, kit):
    async with ready() as (h, shop):
        later = await kit.make_slots(h, shop, days_ahead=40, count=2)
        async with signed_in(h, shop.org, shop.alice) as alice:
            far = await alice.get(f"/appointments/book/{shop.service_id}?day={day_of(later[0])}")
            strip = await alice.get(f"/appointments/book/{shop.service_id}")
    assert far.text.count("data-slot-id=") == 2
    assert "data-slot-id=" not in strip.text  # today has none
    assert strip.text.count('class="day-count">0 free<') == 14


async def test_my_appointment_is_changed_moved_exported_and_cancelled(ready, kit):
    async with ready() as (h, shop):
        free = await kit.make_slots(h, shop, count=3)
        made = (await kit.book(h, shop.alice, free[0]["id"])).json()
        page = f"/appointments/{made['id']}"
        async with signed_in(h, shop.org, shop.alice) as alice:
            listed = await alice.get("/appointments")
            bad = await alice.submit(f"{page}/details", {"meeting_type": "InPerson", "note": " "}, page=page)
            saved = await alice.submit(
                f"{page}/details", {"meeting_type": "InPerson", "note": "At the desk"}, page=page
            )
            move_page = f"{page}/reschedule?day={day_of(free[1])}"
            choices = await alice.get(move_page)
            nothing = await alice.submit(f"{page}/reschedule", {}, page=move_page)
            moved = await alice.submit(f"{page}/reschedule", {"slot_id": free[1]["id"]}, page=move_page)
            document = await alice.get(f"{page}/appointment.pdf")
            calendar = await alice.get(f"{page}/calendar.ics")
            everything = await alice.get("/appointments/export.pdf?status=Upcoming")
            cancelled = await alice.submit(f"{page}/cancel", {"reason": "Ill"}, page=page)
            after = await alice.get(page)
        api = await h.client.get(f"/api/v1/appointments/{made['id']}", headers=shop.alice.headers)
    assert made["number"] in listed.text
    assert bad.status_code == 422
    assert 'id="f-note-error"' in bad.text
    assert saved.status_code == 303
    assert free[0]["id"] not in choices.text  # the current slot is not offered
    assert nothing.status_code == 422
    assert 'id="f-slot_id-error"' in nothing.text
    assert moved.status_code == 303
    assert document.headers["content-type"] == "application/pdf"
    assert document.content.startswith(b"%PDF")
    assert everything.content.startswith(b"%PDF")
    assert calendar.headers["content-type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in calendar.content
    assert cancelled.status_code == 303
    assert "Cancelled" in after.text
    assert "Cancel the appointment" not in after.text  # nothing left to cancel
    body = api.json()
    assert (body["status"], body["slot_id"], body["meeting_type"], body["note"]) == (
        "Cancelled",
        free[1]["id"],
        "InPerson",
        "At the desk",
    )


async def test_a_cancellation_past_the_cut_off_is_refused_on_the_page(ready, kit):
    async with ready(cancellation_cutoff_hours=24 * 30) as (h, shop):
        free = await kit.make_slots(h, shop, count=1)
        made = (await kit.book(h, shop.alice, free[0]["id"])).json()
        page = f"/appointments/{made['id']}"
        async with signed_in(h, shop.org, shop.alice) as alice:
            refused = await alice.submit(f"{page}/cancel", {}, page=page)
    assert refused.status_code == 409
    assert "can be cancelled up to" in refused.text
    assert "Upcoming" in refused.text


async def test_other_customers_and_workspaces_get_404_and_forms_need_the_token(ready, make_shop, kit):
    async with ready() as (h, shop):
        other = await make_shop()
        free = await kit.make_slots(h, shop, count=1)
        made = (await kit.book(h, shop.alice, free[0]["id"])).json()
        page = f"/appointments/{made['id']}"
        async with signed_in(h, shop.org, shop.bob) as bob:
            foreign = await bob.get(page)
            foreign_pdf = await bob.get(f"{page}/appointment.pdf")
            foreign_cancel = await bob.submit(f"{page}/cancel", {}, page="/appointments")
        async with signed_in(h, other.org, other.alice) as stranger:
            elsewhere = await stranger.get(page)
            other_service = await stranger.get(f"/appointments/book/{shop.service_id}")
        async with signed_in(h, shop.org, shop.alice) as alice:
            forged = await alice.post(f"{page}/cancel", data={})
            bad_day = await alice.get(f"/appointments/book/{shop.service_id}?day=someday")
        async with portal_client(h, shop.org) as anonymous:
            sent_to_login = await anonymous.get("/appointments/book")
        still = await h.client.get(page.replace("/appointments", "/api/v1/appointments"), headers=shop.alice.headers)
    assert (foreign.status_code, foreign_pdf.status_code, foreign_cancel.status_code) == (404, 404, 404)
    assert (elsewhere.status_code, other_service.status_code) == (404, 404)
    assert forged.status_code == 403
    assert bad_day.status_code == 422
    assert sent_to_login.status_code == 303
    assert sent_to_login.headers["location"].startswith("/login?next=")
    assert still.json()["status"] == "Upcoming"


async def test_staff_list_filter_and_complete_customers_cannot(ready, kit):
    async with ready() as (h, shop):
        free = await kit.make_slots(h, shop, count=2)
        first = (await kit.book(h, shop.alice, free[0]["id"])).json()
        second = (await kit.book(h, shop.bob, free[1]["id"], meeting_type="Phone")).json()
        await h.client.post(f"/api/v1/appointments/{second['id']}/cancel", headers=shop.bob.headers)
        page = f"/appointments/{first['id']}"
        async with signed_in(h, shop.org, shop.alice) as alice:
            mine = await alice.get("/appointments")
            not_allowed = await alice.submit(f"{page}/complete", {}, page=page)
        async with signed_in(h, shop.org, shop.staff) as staff:
            everyone = await staff.get("/appointments")
            upcoming = await staff.get("/appointments?status=Upcoming")
            by_number = await staff.get(f"/appointments?number={second['number']}")
            nothing = await staff.get("/appointments?number=NOPE-1")
            shown = await staff.get(page)
            done = await staff.submit(f"{page}/complete", {}, page=page)
            again = await staff.submit(f"/appointments/{second['id']}/complete", {}, page=page)
    assert first["number"] in mine.text
    assert second["number"] not in mine.text
    assert not_allowed.status_code == 403
    assert first["number"] in everyone.text
    assert second["number"] in everyone.text
    assert first["number"] in upcoming.text
    assert second["number"] not in upcoming.text
    assert '<caption class="visually-hidden">1 appointment</caption>' in upcoming.text
    assert 'href="/appointments/export.pdf?status=Upcoming"' in upcoming.text  # the PDF keeps the filter
    assert '<td colspan="6" class="empty">No appointments found.</td>' in nothing.text
    assert second["number"] in by_number.text
    assert first["number"] not in by_number.text
    assert "Mark as completed" in shown.text
    assert done.status_code == 303
    assert again.status_code == 409
    assert "Only Upcoming appointments can be completed" in again.text


async def test_staff_schedule_rules_generation_and_slot_switches(ready, kit):
    async with ready() as (h, shop):
        async with signed_in(h, shop.org, shop.admin) as admin:
            page = f"/appointments/schedule?service_id={shop.service_id}"
            shown = await admin.get(page)
            rule = {
                "service_id": shop.service_id,
                "rule-weekday": "2",
                "rule-start_time": "09:00",
                "rule-end_time": "11:00",
                "rule-slot_minutes": "2",
                "rule-capacity": "1",
            }
            too_short = await admin.submit("/appointments/schedule/rules", rule, page=page)
            added = await admin.submit("/appointments/schedule/rules", rule | {"rule-slot_minutes": "60"}, page=page)
            start = datetime.now(UTC).date() + timedelta(days=1)
            span = {"service_id": shop.service_id, "range-from": str(start), "range-to": str(start - timedelta(days=3))}
            backwards = await admin.submit("/appointments/schedule/generate", span, page=page)
            span["range-to"] = str(start + timedelta(days=13))
            made = await admin.submit("/appointments/schedule/generate", span, page=page)
            wednesday = start + timedelta(days=(2 - start.weekday()) % 7)
            day_page = f"{page}&day={wednesday}"
            listed = await admin.get(day_page)
            slot_id = re.search(r'data-slot-id="([0-9a-f-]{36})"', listed.text).group(1)
            disabled = await admin.submit(f"/appointments/schedule/slots/{slot_id}/disable", {}, page=day_page)
            after = await admin.get(day_page)
            rule_id = re.search(r'action="/appointments/schedule/rules/([0-9a-f-]{36})/delete"', after.text).group(1)
            removed = await admin.submit(
                f"/appointments/schedule/rules/{rule_id}/delete", {"service_id": shop.service_id}, page=page
            )
            bogus = await admin.submit(f"/appointments/schedule/slots/{slot_id}/explode", {}, page=page)
        async with signed_in(h, shop.org, shop.alice) as alice:
            forbidden = await alice.get(page)
            grid = await alice.get(f"/appointments/book/{shop.service_id}/slots?day={wednesday}")
        rules = await h.client.get("/api/v1/appointments/rules", headers=shop.admin.headers)
    assert shown.status_code == 200
    assert too_short.status_code == 422
    assert 'id="f-rule-slot_minutes-error"' in too_short.text
    assert added.status_code == 303
    assert backwards.status_code == 422
    assert 'id="f-range-to-error"' in backwards.text
    assert made.status_code == 303
    assert listed.text.count("data-slot-id=") == 2  # 09:00 and 10:00
    assert disabled.status_code == 303
    assert "Disabled" in after.text
    assert slot_id not in grid.text  # customers no longer see it
    assert grid.text.count("data-slot-id=") == 1
    assert removed.status_code == 303
    assert rules.json() == []
    assert bogus.status_code == 404
    assert forbidden.status_code == 403


class Listener:
    """A stand-in for a portal page's WebSocket on the kernel's hub."""

    def __init__(self) -> None:
        self.frames: list[dict] = []

    async def send_text(self, data: str) -> None:
        self.frames.append(json.loads(data))


async def test_bookings_made_on_pages_reach_open_pages_of_the_workspace_only(ready, make_shop, kit):
    async with ready() as (h, shop):
        other = await make_shop()
        free = await kit.make_slots(h, shop, count=1)
        here, there = Listener(), Listener()
        h.kernel.hub.listen(here, [marcus.tenant_room(shop.org.id)])
        h.kernel.hub.listen(there, [marcus.tenant_room(other.org.id)])
        page = f"/appointments/book/{shop.service_id}?day={day_of(free[0])}"
        async with signed_in(h, shop.org, shop.alice) as alice:
            booked = await alice.submit(page, {"slot_id": free[0]["id"], "meeting_type": "Phone"}, page=page)
        for _ in range(250):  # delivered in process, or through Redis when configured
            if here.frames:
                break
            await asyncio.sleep(0.02)
    assert booked.status_code == 303
    assert here.frames == [
        {
            "event": "appointments:slot_changed",
            "data": {
                "slot_id": free[0]["id"],
                "service_id": shop.service_id,
                "booked": 1,
                "capacity": 1,
                "available": 0,
                "status": "Booked",
            },
        }
    ]
    assert there.frames == []


async def test_a_service_page_links_to_booking_it(ready, kit):
    async with ready() as (h, shop):
        listed = (await h.client.get("/api/v1/services", headers=shop.admin.headers)).json()["items"]
        service = next(s for s in listed if s["id"] == str(shop.service_id))
        async with signed_in(h, shop.org, shop.alice) as alice:
            page = await alice.get(f"/services/{service['slug']}")
            followed = await alice.get(f"/appointments/book/{shop.service_id}")
    assert page.status_code == 200
    assert f'href="/appointments/book/{shop.service_id}"' in page.text
    assert followed.status_code == 200
