"""Live slot updates: watchers of a service's availability see bookings and cancellations."""

from __future__ import annotations

import asyncio

import socketio


async def test_watchers_see_slot_changes_of_their_service_only(kit, make_shop, appointments_db, marcus_live_server):
    shop = await make_shop()
    other = await make_shop()
    async with marcus_live_server(appointments_db, worker=False) as server:
        import httpx

        class H:  # the helpers speak to the live server
            client = httpx.AsyncClient(base_url=server.url)

        h = H()
        shop.service_id = await kit.add_service(h, shop)
        other.service_id = await kit.add_service(h, other)
        slot = (await kit.make_slots(h, shop, count=1))[0]
        received: list[dict] = []
        client = socketio.AsyncClient()
        client.on("slot:changed", lambda data: received.append(data), namespace="/appointments")
        await client.connect(
            server.url,
            namespaces=["/appointments"],
            auth=shop.bob.auth,
            headers={"X-Tenant": shop.org.slug},
            transports=["websocket"],
        )
        try:
            foreign = await client.call("watch", {"service_id": other.service_id}, namespace="/appointments")
            assert foreign == {"ok": False, "error": "service_id: no such service", "field": "service_id"}
            assert (await client.call("watch", {"service_id": "nope"}, namespace="/appointments"))["ok"] is False
            watched = await client.call("watch", {"service_id": shop.service_id}, namespace="/appointments")
            assert watched == {"ok": True, "service_id": shop.service_id}
            made = (await kit.book(h, shop.alice, slot["id"])).json()
            await _until(lambda: len(received) == 1)
            assert received[0] == {
                "slot_id": slot["id"],
                "service_id": shop.service_id,
                "booked": 1,
                "capacity": 1,
                "available": 0,
                "status": "Booked",
            }
            await h.client.post(f"/api/v1/appointments/{made['id']}/cancel", headers=shop.alice.headers)
            await _until(lambda: len(received) == 2)
            assert (received[1]["status"], received[1]["available"]) == ("Available", 1)
            await h.client.patch(
                f"/api/v1/appointments/slots/{slot['id']}", json={"enabled": False}, headers=shop.admin.headers
            )
            await _until(lambda: len(received) == 3)
            assert received[2]["status"] == "Disabled"
        finally:
            await client.disconnect()
            await h.client.aclose()


async def _until(condition, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the live update did not arrive")
