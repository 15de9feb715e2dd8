"""The acceptance test of safe booking: many customers racing for few slots, on real PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

ATTEMPTS, SLOTS, CUSTOMERS = 200, 20, 100
# As served: the workspace's policy checked from memory (tests default to no cache, where every
# check reloads it). Warmed up first, so that the race is about the slots, not the permissions.
CACHED = {"tenant_cache_ttl": 5.0}


async def warm_up(h, user) -> None:
    """Load the workspace's policy; new role assignments reach a cached copy within a second."""
    for _ in range(40):
        if (await h.client.get("/api/v1/appointments", headers=user.headers)).status_code == 200:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the new customers never got their permissions")


async def test_200_concurrent_attempts_over_20_slots_give_exactly_20_bookings(
    kit, ready, appointments_db, user_factory
):
    async with ready(app_settings=CACHED) as (h, shop):
        slots = await kit.make_slots(h, shop, count=SLOTS, minutes=15)
        assert len(slots) == SLOTS
        customers = [await user_factory(shop.org, database=appointments_db, role="customer") for _ in range(CUSTOMERS)]
        # Attempt k: customer k // 2 asks for slot k % 20 (each customer tries two different slots).
        await warm_up(h, customers[0])
        attempts = [(customers[k // 2], slots[k % SLOTS]["id"]) for k in range(ATTEMPTS)]
        responses = await asyncio.gather(*(kit.book(h, user, slot) for user, slot in attempts))

        statuses = [r.status_code for r in responses]
        assert statuses.count(201) == SLOTS, sorted(set(statuses))
        assert statuses.count(409) == ATTEMPTS - SLOTS
        for refused in (r for r in responses if r.status_code == 409):
            problem = refused.json()
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert problem["status"] == 409
            assert problem["code"] in {"slot_taken", "already_booked"}
            assert problem["detail"]
            assert problem["errors"][0]["field"] == "body.slot_id"
        booked = [r.json() for r in responses if r.status_code == 201]
        assert len({b["slot_id"] for b in booked}) == SLOTS  # one booking per slot
        numbers = sorted(b["number"] for b in booked)
        assert numbers == [f"APPT-{n:06d}" for n in range(1, SLOTS + 1)]  # gap-free, no collision

        assert await kit.slot_consistency(appointments_db, shop.org.id) == []
        async with appointments_db.db.platform_session() as session:
            per_slot = await session.execute(
                text(
                    "SELECT slot_id, count(*) FROM appointments WHERE organization_id = :org"
                    " AND status IN ('Pending', 'Upcoming') GROUP BY slot_id HAVING count(*) > 1"
                ),
                {"org": shop.org.id},
            )
            assert per_slot.all() == []
            states = await session.execute(
                text("SELECT booked, capacity FROM appointments_slots WHERE organization_id = :org"),
                {"org": shop.org.id},
            )
            assert {tuple(r) for r in states} == {(1, 1)}
            events = await session.scalar(
                text("SELECT count(*) FROM event_outbox WHERE organization_id = :org AND name = 'appointments.booked'"),
                {"org": shop.org.id},
            )
            assert events == SLOTS  # one event per booking, none for a refusal


async def test_a_slot_with_capacity_takes_that_many(kit, ready, appointments_db, user_factory):
    async with ready(app_settings=CACHED) as (h, shop):
        slot = (await kit.make_slots(h, shop, count=1, capacity=3))[0]
        customers = [await user_factory(shop.org, database=appointments_db, role="customer") for _ in range(12)]
        await warm_up(h, customers[0])
        responses = await asyncio.gather(*(kit.book(h, c, slot["id"]) for c in customers))
        assert sorted(r.status_code for r in responses).count(201) == 3
        listed = await h.client.get(
            f"/api/v1/appointments/slots?service_id={shop.service_id}&from={slot['starts_at'][:10]}",
            headers=shop.alice.headers,
        )
        assert (listed.json()[0]["booked"], listed.json()[0]["status"]) == (3, "Booked")
        assert await kit.slot_consistency(appointments_db, shop.org.id) == []
