"""Booking: numbers, the database's refusal of double booking, clear problem bodies, scoping."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text


async def test_a_booking_takes_the_seat_and_the_next_number(kit, ready, appointments_db):
    async with ready() as (h, shop):
        slots = await kit.make_slots(h, shop)
        first = await kit.book(h, shop.alice, slots[0]["id"], note="Quarterly review")
        assert first.status_code == 201, first.text
        body = first.json()
        assert body["number"] == "APPT-000001"
        assert (body["status"], body["meeting_type"], body["note"]) == ("Upcoming", "Virtual", "Quarterly review")
        assert body["customer_id"] == str(shop.alice.id)
        assert body["price"] == "120.00"
        assert body["starts_at"] == slots[0]["starts_at"]
        second = await kit.book(h, shop.bob, slots[1]["id"], meeting_type="Phone")
        assert second.json()["number"] == "APPT-000002"
        listed = await h.client.get(
            f"/api/v1/appointments/slots?service_id={shop.service_id}&from={slots[0]['starts_at'][:10]}",
            headers=shop.alice.headers,
        )
        states = {s["id"]: (s["status"], s["booked"]) for s in listed.json()}
        assert states[slots[0]["id"]] == ("Booked", 1)
        assert states[slots[2]["id"]] == ("Available", 0)
        assert await kit.slot_consistency(appointments_db, shop.org.id) == []


async def test_a_taken_slot_is_a_409_with_a_clear_problem(kit, ready):
    async with ready() as (h, shop):
        slot = (await kit.make_slots(h, shop))[0]
        assert (await kit.book(h, shop.alice, slot["id"])).status_code == 201
        taken = await kit.book(h, shop.bob, slot["id"])
        assert taken.status_code == 409
        assert taken.headers["content-type"].startswith("application/problem+json")
        problem = taken.json()
        assert problem["code"] == "slot_taken"
        assert problem["title"] == "Conflict"
        assert "already booked" in problem["detail"]
        assert problem["errors"][0]["field"] == "body.slot_id"
        again = await kit.book(h, shop.alice, slot["id"])
        assert (again.status_code, again.json()["code"]) == (409, "already_booked")


async def test_refusals_name_the_reason_and_the_field(kit, ready, appointments_db):
    async with ready() as (h, shop):
        slots = await kit.make_slots(h, shop)
        missing = await kit.book(h, shop.alice, str(uuid.uuid4()))
        assert (missing.status_code, missing.json()["code"]) == (404, "slot_not_found")
        in_person = await kit.book(h, shop.alice, slots[0]["id"], meeting_type="InPerson")
        assert in_person.status_code == 422
        assert in_person.json()["errors"][0]["field"] == "body"
        assert "note is required" in in_person.json()["errors"][0]["message"]
        wrong_type = await kit.book(h, shop.alice, slots[0]["id"], meeting_type="Carrier pigeon")
        assert wrong_type.status_code == 422
        assert wrong_type.json()["errors"][0]["field"] == "body.meeting_type"
        unknown = await kit.book(h, shop.alice, slots[0]["id"], userId=str(shop.bob.id))
        assert unknown.status_code == 422
        assert unknown.json()["errors"][0]["field"] == "body.userId"
        for_bob = await kit.book(h, shop.alice, slots[0]["id"], customer_id=str(shop.bob.id))
        assert (for_bob.status_code, for_bob.json()["errors"][0]["field"]) == (403, "body.customer_id")
        disabled = await h.client.patch(
            f"/api/v1/appointments/slots/{slots[1]['id']}", json={"enabled": False}, headers=shop.admin.headers
        )
        assert disabled.json()["status"] == "Disabled"
        refused = await kit.book(h, shop.alice, slots[1]["id"])
        assert (refused.status_code, refused.json()["code"]) == (409, "slot_disabled")
        # A slot in the past (written directly: generation refuses past days).
        past_id = uuid.uuid4()
        async with appointments_db.db.tenant_transaction(shop.org.id) as session:
            start = datetime.now(UTC) - timedelta(hours=2)
            await session.execute(
                text(
                    "INSERT INTO appointments_slots (organization_id, id, service_id, starts_at, ends_at)"
                    " VALUES (:org, :id, :service, :start, :end)"
                ),
                {
                    "org": shop.org.id,
                    "id": past_id,
                    "service": shop.service_id,
                    "start": start,
                    "end": start + timedelta(minutes=30),
                },
            )
        past = await kit.book(h, shop.alice, str(past_id))
        assert (past.status_code, past.json()["code"]) == (422, "slot_in_past")
        assert past.json()["errors"][0]["field"] == "body.slot_id"
        rows = await h.client.get("/api/v1/appointments", headers=shop.admin.headers)
        assert rows.json()["total"] == 0  # none of the refusals left anything behind


async def test_staff_may_book_for_a_customer(kit, ready):
    async with ready() as (h, shop):
        slot = (await kit.make_slots(h, shop))[0]
        made = await kit.book(h, shop.admin, slot["id"], customer_id=str(shop.bob.id))
        assert made.status_code == 201, made.text
        assert made.json()["customer_id"] == str(shop.bob.id)
        nobody = await kit.book(
            h, shop.admin, (await kit.make_slots(h, shop, days_ahead=4))[0]["id"], customer_id=str(uuid.uuid4())
        )
        assert (nobody.status_code, nobody.json()["errors"][0]["field"]) == (422, "body.customer_id")


async def test_customers_see_only_their_own_appointments(kit, ready):
    async with ready() as (h, shop):
        slots = await kit.make_slots(h, shop)
        mine = (await kit.book(h, shop.alice, slots[0]["id"])).json()
        theirs = (await kit.book(h, shop.bob, slots[1]["id"])).json()
        other = await h.client.get(f"/api/v1/appointments/{theirs['id']}", headers=shop.alice.headers)
        assert (other.status_code, other.json()["code"]) == (404, "appointment_not_found")
        assert (await h.client.get(f"/api/v1/appointments/{mine['id']}", headers=shop.alice.headers)).status_code == 200
        listed = (await h.client.get("/api/v1/appointments", headers=shop.alice.headers)).json()
        assert [a["id"] for a in listed["items"]] == [mine["id"]]
        assert (listed["total"], listed["pages"], listed["page"], listed["limit"]) == (1, 1, 1, 20)
        past_end = (await h.client.get("/api/v1/appointments?page=9", headers=shop.alice.headers)).json()
        assert (past_end["items"], past_end["total"]) == ([], 1)
        override = await h.client.get(f"/api/v1/appointments?customer_id={shop.bob.id}", headers=shop.alice.headers)
        assert (override.status_code, override.json()["errors"][0]["field"]) == (403, "query.customer_id")
        assert (await h.client.get(f"/api/v1/appointments?userId={shop.bob.id}", headers=shop.alice.headers)).json()[
            "total"
        ] == 1
        staff = (await h.client.get("/api/v1/appointments", headers=shop.staff.headers)).json()
        assert staff["total"] == 2
        filtered = await h.client.get(
            f"/api/v1/appointments?customer_id={shop.bob.id}&meeting_type=Virtual", headers=shop.staff.headers
        )
        assert [a["id"] for a in filtered.json()["items"]] == [theirs["id"]]
        day = slots[0]["starts_at"][:10]
        ranged = await h.client.get(f"/api/v1/appointments?from={day}&to={day}", headers=shop.staff.headers)
        assert ranged.json()["total"] == 2
        before = await h.client.get("/api/v1/appointments?to=2020-01-01", headers=shop.staff.headers)
        assert before.json()["total"] == 0
        bad = await h.client.get("/api/v1/appointments?status=Sleeping", headers=shop.staff.headers)
        assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "query.status")


async def test_every_filter_at_once_and_each_alone(kit, ready):
    """The list's statement is compiled once per combination of filters: each filter alone and
    all of them together select the right rows, and a listed item reads as the item itself."""
    async with ready() as (h, shop):
        slots = await kit.make_slots(h, shop)
        mine = (await kit.book(h, shop.alice, slots[0]["id"])).json()
        await kit.book(h, shop.bob, slots[1]["id"])
        day = mine["starts_at"][:10]
        wanted = {
            "status": mine["status"],
            "meeting_type": mine["meeting_type"],
            "service_id": mine["service_id"],
            "slot_id": mine["slot_id"],
            "number": mine["number"],
            "customer_id": mine["customer_id"],
            "from": day,
            "to": day,
        }
        alone = {"customer_id", "number", "slot_id"}  # the filters that tell the two apart
        for name, value in wanted.items():
            found = (
                await h.client.get("/api/v1/appointments", params={name: value}, headers=shop.staff.headers)
            ).json()
            assert found["total"] == (1 if name in alone else 2), name
        every = (await h.client.get("/api/v1/appointments", params=wanted, headers=shop.staff.headers)).json()
        single = (await h.client.get(f"/api/v1/appointments/{mine['id']}", headers=shop.staff.headers)).json()
        assert (every["total"], every["items"]) == (1, [single])
        for name in ("status", "meeting_type", "number"):
            other = {**wanted, name: "Cancelled" if name == "status" else "Phone" if name == "meeting_type" else "X-1"}
            found = (await h.client.get("/api/v1/appointments", params=other, headers=shop.staff.headers)).json()
            assert (found["total"], found["items"]) == (0, []), name
        own = await h.client.get(
            "/api/v1/appointments",
            params={k: v for k, v in wanted.items() if k != "customer_id"},
            headers=shop.alice.headers,
        )
        assert own.status_code == 200, own.text
        assert [a["id"] for a in own.json()["items"]] == [mine["id"]]


async def test_another_workspace_cannot_book_or_see_the_slot(kit, ready, make_shop):
    async with ready() as (h, shop):
        slot = (await kit.make_slots(h, shop))[0]
        other = await make_shop()
        refused = await kit.book(h, other.alice, slot["id"])
        assert (refused.status_code, refused.json()["code"]) == (404, "slot_not_found")
        mine = (await kit.book(h, shop.alice, slot["id"])).json()
        assert (
            await h.client.get(f"/api/v1/appointments/{mine['id']}", headers=other.admin.headers)
        ).status_code == 404


async def test_cancelling_frees_the_slot_and_it_can_be_booked_again(kit, ready, appointments_db):
    async with ready() as (h, shop):
        slot = (await kit.make_slots(h, shop))[0]
        first = (await kit.book(h, shop.alice, slot["id"])).json()
        cancelled = await h.client.post(
            f"/api/v1/appointments/{first['id']}/cancel", json={"reason": "ill"}, headers=shop.alice.headers
        )
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "Cancelled"
        again = await kit.book(h, shop.bob, slot["id"])
        assert again.status_code == 201, again.text
        assert again.json()["number"] == "APPT-000002"
        mine_again = await h.client.post(f"/api/v1/appointments/{again.json()['id']}/cancel", headers=shop.bob.headers)
        assert mine_again.status_code == 200
        third = await kit.book(h, shop.alice, slot["id"])  # the first customer rebooks the same slot
        assert third.status_code == 201, third.text
        twice = await h.client.post(f"/api/v1/appointments/{first['id']}/cancel", headers=shop.alice.headers)
        assert (twice.status_code, twice.json()["code"]) == (409, "wrong_status")
        assert await kit.slot_consistency(appointments_db, shop.org.id) == []
