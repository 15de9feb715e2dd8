"""The lifecycle: cut-off, reschedule atomicity, approval, completion (also from an invoice),
no-show, details, slot administration, and the seed's notifications."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from marcus_appointments import service
from sqlalchemy import text

import marcus

CACHED = {"tenant_cache_ttl": 5.0}


async def _soon_slot(database, shop, *, hours: float, capacity: int = 1) -> str:
    """A slot starting in ``hours`` (generation works on whole days: written directly)."""
    slot_id = uuid.uuid4()
    start = datetime.now(UTC) + timedelta(hours=hours)
    async with database.db.tenant_transaction(shop.org.id) as session:
        await session.execute(
            text(
                "INSERT INTO appointments_slots (organization_id, id, service_id, starts_at, ends_at, capacity)"
                " VALUES (:org, :id, :service, :start, :end, :capacity)"
            ),
            {
                "org": shop.org.id,
                "id": slot_id,
                "service": shop.service_id,
                "start": start,
                "end": start + timedelta(minutes=30),
                "capacity": capacity,
            },
        )
    return str(slot_id)


async def test_customers_cannot_cancel_within_the_cut_off_but_staff_can(kit, ready, appointments_db):
    async with ready(cancellation_cutoff_hours=24) as (h, shop):
        soon = await _soon_slot(appointments_db, shop, hours=3)
        later = await _soon_slot(appointments_db, shop, hours=48)
        near = (await kit.book(h, shop.alice, soon)).json()
        far = (await kit.book(h, shop.alice, later)).json()
        refused = await h.client.post(f"/api/v1/appointments/{near['id']}/cancel", headers=shop.alice.headers)
        assert refused.status_code == 409
        assert refused.json()["code"] == "cancellation_cutoff"
        assert "24 hours" in refused.json()["detail"]
        assert (await h.client.get(f"/api/v1/appointments/{near['id']}", headers=shop.alice.headers)).json()[
            "status"
        ] == "Upcoming"
        ok = await h.client.post(f"/api/v1/appointments/{far['id']}/cancel", headers=shop.alice.headers)
        assert ok.json()["status"] == "Cancelled"
        by_staff = await h.client.post(f"/api/v1/appointments/{near['id']}/cancel", headers=shop.staff.headers)
        assert by_staff.status_code == 200
        assert await kit.slot_consistency(appointments_db, shop.org.id) == []


async def test_rescheduling_is_all_or_nothing(kit, ready, appointments_db):
    async with ready() as (h, shop):
        slots = await kit.make_slots(h, shop, count=3)
        mine = (await kit.book(h, shop.alice, slots[0]["id"])).json()
        await kit.book(h, shop.bob, slots[1]["id"])
        url = f"/api/v1/appointments/{mine['id']}/reschedule"
        full = await h.client.post(url, json={"slot_id": slots[1]["id"]}, headers=shop.alice.headers)
        assert (full.status_code, full.json()["code"]) == (409, "slot_taken")
        unchanged = (await h.client.get(f"/api/v1/appointments/{mine['id']}", headers=shop.alice.headers)).json()
        assert (unchanged["slot_id"], unchanged["starts_at"]) == (slots[0]["id"], slots[0]["starts_at"])
        assert await kit.slot_consistency(appointments_db, shop.org.id) == []
        moved = await h.client.post(url, json={"slot_id": slots[2]["id"]}, headers=shop.alice.headers)
        assert moved.status_code == 200, moved.text
        assert (moved.json()["slot_id"], moved.json()["starts_at"], moved.json()["number"]) == (
            slots[2]["id"],
            slots[2]["starts_at"],
            mine["number"],
        )
        listed = await h.client.get(
            f"/api/v1/appointments/slots?service_id={shop.service_id}&from={slots[0]['starts_at'][:10]}",
            headers=shop.alice.headers,
        )
        assert [s["booked"] for s in listed.json()] == [0, 1, 1]
        other_service = await kit.add_service(h, shop)
        elsewhere = (await kit.make_slots(h, shop, service_id=other_service, count=1))[0]
        wrong = await h.client.post(url, json={"slot_id": elsewhere["id"]}, headers=shop.alice.headers)
        assert (wrong.status_code, wrong.json()["errors"][0]["field"]) == (422, "body.slot_id")
        theirs = await h.client.post(url, json={"slot_id": slots[0]["id"]}, headers=shop.bob.headers)
        assert theirs.status_code == 404
        assert await kit.slot_consistency(appointments_db, shop.org.id) == []


async def test_two_reschedules_into_the_last_seat_one_wins(kit, ready, appointments_db):
    async with ready(app_settings=CACHED) as (h, shop):
        slots = await kit.make_slots(h, shop, count=3)
        a = (await kit.book(h, shop.alice, slots[0]["id"])).json()
        b = (await kit.book(h, shop.bob, slots[1]["id"])).json()
        results = await asyncio.gather(
            h.client.post(
                f"/api/v1/appointments/{a['id']}/reschedule",
                json={"slot_id": slots[2]["id"]},
                headers=shop.alice.headers,
            ),
            h.client.post(
                f"/api/v1/appointments/{b['id']}/reschedule", json={"slot_id": slots[2]["id"]}, headers=shop.bob.headers
            ),
        )
        assert sorted(r.status_code for r in results) == [200, 409]
        assert await kit.slot_consistency(appointments_db, shop.org.id) == []
        listed = await h.client.get(
            f"/api/v1/appointments/slots?service_id={shop.service_id}&from={slots[0]['starts_at'][:10]}",
            headers=shop.alice.headers,
        )
        assert sum(s["booked"] for s in listed.json()) == 2


async def test_approval_mode_completion_no_show_and_details(kit, ready, appointments_db):
    async with ready(approval_required=True) as (h, shop):
        slots = await kit.make_slots(h, shop)
        pending = (await kit.book(h, shop.alice, slots[0]["id"])).json()
        assert pending["status"] == "Pending"
        assert (await kit.book(h, shop.bob, slots[0]["id"])).status_code == 409  # a Pending booking holds the seat
        url = f"/api/v1/appointments/{pending['id']}"
        assert (await h.client.post(f"{url}/approve", headers=shop.alice.headers)).status_code == 403
        approved = await h.client.post(f"{url}/approve", headers=shop.staff.headers)
        assert approved.json()["status"] == "Upcoming"
        early = await h.client.post(f"{url}/no-show", headers=shop.staff.headers)
        assert (early.status_code, early.json()["code"]) == (409, "not_started")
        note = await h.client.patch(url, json={"meeting_type": "InPerson"}, headers=shop.alice.headers)
        assert (note.status_code, note.json()["errors"][0]["field"]) == (422, "body.note")
        changed = await h.client.patch(
            url, json={"meeting_type": "InPerson", "note": "Room 4"}, headers=shop.alice.headers
        )
        assert (changed.json()["meeting_type"], changed.json()["note"]) == ("InPerson", "Room 4")
        done = await h.client.post(f"{url}/complete", headers=shop.admin.headers)
        assert (done.json()["status"], done.json()["completed_at"] is not None) == ("Completed", True)
        again = await h.client.post(f"{url}/complete", headers=shop.admin.headers)
        assert (again.status_code, again.json()["code"]) == (409, "wrong_status")
        late = await h.client.post(f"{url}/cancel", headers=shop.alice.headers)
        assert late.status_code == 409
        past = await _soon_slot(appointments_db, shop, hours=1 / 3600)
        gone = (await kit.book(h, shop.bob, past)).json()
        await asyncio.sleep(1.1)
        await h.client.post(f"/api/v1/appointments/{gone['id']}/approve", headers=shop.staff.headers)
        missed = await h.client.post(f"/api/v1/appointments/{gone['id']}/no-show", headers=shop.staff.headers)
        assert missed.json()["status"] == "NoShow"
        assert await kit.slot_consistency(appointments_db, shop.org.id) == []


async def test_the_invoice_interface_completes_in_the_callers_transaction(kit, ready, appointments_db):
    async with ready() as (h, shop):
        slots = await kit.make_slots(h, shop)
        upcoming = (await kit.book(h, shop.alice, slots[0]["id"])).json()
        cancelled = (await kit.book(h, shop.bob, slots[1]["id"])).json()
        await h.client.post(f"/api/v1/appointments/{cancelled['id']}/cancel", headers=shop.bob.headers)
        invoice_id = uuid.uuid4()
        async with h.kernel.db.tenant_transaction(shop.org.id) as session:
            found = await service.get_for_invoice(session, org_id=shop.org.id, appointment_id=uuid.UUID(upcoming["id"]))
            assert (found.customer_id, str(found.price), found.number) == (shop.alice.id, "120.00", upcoming["number"])
            done = await service.complete_from_invoice(
                session, org_id=shop.org.id, appointment_id=found.id, invoice_id=invoice_id, actor_id=shop.admin.id
            )
            assert (done.status, done.invoice_id) == ("Completed", invoice_id)
            again = await service.complete_from_invoice(
                session, org_id=shop.org.id, appointment_id=found.id, invoice_id=invoice_id, actor_id=shop.admin.id
            )
            assert again.status == "Completed"  # idempotent
            with pytest.raises(marcus.Conflict) as refused:
                await service.complete_from_invoice(
                    session,
                    org_id=shop.org.id,
                    appointment_id=uuid.UUID(cancelled["id"]),
                    invoice_id=invoice_id,
                    actor_id=None,
                )
            assert refused.value.errors[0]["field"] == "appointment_id"
        seen = (await h.client.get(f"/api/v1/appointments/{upcoming['id']}", headers=shop.alice.headers)).json()
        assert seen["status"] == "Completed"
        async with appointments_db.db.platform_session() as session:
            completed = await session.scalar(
                text(
                    "SELECT payload FROM event_outbox WHERE organization_id = :org AND name = 'appointments.completed'"
                ),
                {"org": shop.org.id},
            )
        assert completed["invoice_id"] == str(invoice_id)


async def test_slots_with_live_bookings_cannot_be_disabled_or_deleted(kit, ready, appointments_db):
    async with ready() as (h, shop):
        slots = await kit.make_slots(h, shop, count=2)
        booked = (await kit.book(h, shop.alice, slots[0]["id"])).json()
        url = f"/api/v1/appointments/slots/{slots[0]['id']}"
        disable = await h.client.patch(url, json={"enabled": False}, headers=shop.admin.headers)
        assert (disable.status_code, disable.json()["code"]) == (409, "slot_has_bookings")
        delete = await h.client.delete(url, headers=shop.admin.headers)
        assert (delete.status_code, delete.json()["code"]) == (409, "slot_has_bookings")
        day = slots[0]["starts_at"][:10]
        whole_day = await h.client.delete(
            f"/api/v1/appointments/slots?service_id={shop.service_id}&date={day}", headers=shop.admin.headers
        )
        assert whole_day.status_code == 409
        await h.client.post(f"/api/v1/appointments/{booked['id']}/cancel", headers=shop.alice.headers)
        assert (await h.client.delete(url, headers=shop.admin.headers)).status_code == 204
        kept = (await h.client.get(f"/api/v1/appointments/{booked['id']}", headers=shop.alice.headers)).json()
        assert (kept["status"], kept["slot_id"], kept["starts_at"]) == ("Cancelled", None, slots[0]["starts_at"])
        rest = await h.client.delete(
            f"/api/v1/appointments/slots?service_id={shop.service_id}&date={day}", headers=shop.admin.headers
        )
        assert rest.json() == {"deleted": 1}
        assert (await h.client.delete(url, headers=shop.admin.headers)).status_code == 404
        assert (await h.client.patch(url, json={"enabled": True}, headers=shop.alice.headers)).status_code == 403


async def test_events_bring_the_seeds_notifications(kit, ready):
    async with ready() as (h, shop):
        slots = await kit.make_slots(h, shop)
        made = (await kit.book(h, shop.alice, slots[0]["id"])).json()
        await h.client.post(
            f"/api/v1/appointments/{made['id']}/reschedule",
            json={"slot_id": slots[1]["id"]},
            headers=shop.alice.headers,
        )
        await h.client.post(f"/api/v1/appointments/{made['id']}/cancel", headers=shop.staff.headers)
        await kit.deliver(h)
        notes = (await h.client.get("/api/v1/notifications", headers=shop.alice.headers)).json()["items"]
        texts = {(n["title"], n["message"]) for n in notes}
        assert ("Appointment created", "Your appointment has been created.") in texts
        assert ("Appointment status updated", "Your appointment status is now Cancelled.") in texts
        assert ("Appointment rescheduled", f"Your appointment {made['number']} has been moved.") in texts
        assert (await h.client.get("/api/v1/notifications", headers=shop.bob.headers)).json()["total"] == 0
        feed = (await h.client.get("/api/v1/activities?limit=100", headers=shop.admin.headers)).json()["items"]
        assert {a["type"] for a in feed} >= {"Appointment"}
