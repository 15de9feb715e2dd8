"""The staff's appointments list, live: its rows alone (``?fragment=rows``) with the page's
filters, page and permission checks; every appointment change pushed to the workspace's pages
as ``appointments:list_changed`` with nothing in it about the appointment or its customer; a
customer's open page hears nothing identifying about another customer's booking."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import marcus_appointments.booking_pages as booking_pages

import marcus
from marcus.testing import portal_client, signed_in

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NUMBER = re.compile(r'data-number="([^"]+)"')


class Listener:
    """A stand-in for a portal page's WebSocket on the kernel's hub."""

    def __init__(self) -> None:
        self.frames: list[dict] = []

    async def send_text(self, data: str) -> None:
        self.frames.append(json.loads(data))


def numbers(html: str) -> list[str]:
    return NUMBER.findall(html)


async def test_the_rows_fragment_is_the_pages_block_with_its_filters_and_page(ready, kit, monkeypatch):
    monkeypatch.setattr(booking_pages, "PER_PAGE", 1)
    async with ready() as (h, shop):
        free = await kit.make_slots(h, shop, count=3)
        first = (await kit.book(h, shop.alice, free[0]["id"])).json()
        second = (await kit.book(h, shop.alice, free[1]["id"])).json()
        third = (await kit.book(h, shop.bob, free[2]["id"])).json()
        await h.client.post(f"/api/v1/appointments/{third['id']}/cancel", headers=shop.bob.headers)
        async with signed_in(h, shop.org, shop.staff) as staff:
            page_one = await staff.get("/appointments?status=Upcoming")
            page_two = await staff.get("/appointments?status=Upcoming&page=2")
            rows_one = await staff.get("/appointments?status=Upcoming&fragment=rows")
            rows_two = await staff.get("/appointments?status=Upcoming&page=2&fragment=rows")
            everything = await staff.get("/appointments?fragment=rows&page=1")
            unknown = await staff.get("/appointments?fragment=other")
    assert page_one.status_code == rows_one.status_code == rows_two.status_code == 200
    # Newest start first, one a page, the cancelled one filtered out
    assert numbers(rows_one.text) == [second["number"]]
    assert numbers(rows_two.text) == [first["number"]]
    assert numbers(everything.text) == [third["number"]]
    assert '<caption class="visually-hidden">2 appointments</caption>' in rows_two.text
    assert "Page 2 of 2" in rows_two.text
    assert 'href="?page=1&amp;status=Upcoming"' in rows_two.text  # the pager keeps the filter
    assert '<th scope="col">Customer</th>' in rows_two.text
    assert "Alice" in rows_two.text
    # The fragment is the block the page includes, not a copy: no layout, no filter form
    assert rows_two.text.strip() in page_two.text
    assert "<html" not in rows_two.text
    assert "<form" not in rows_two.text
    # The page says where its rows come from, with its own filters and page
    assert 'data-live-list="/appointments?status=Upcoming&amp;page=2&amp;fragment=rows"' in page_two.text
    assert 'id="list-news" class="hint" role="status"' in page_one.text
    assert "appointments/appointments.js" in page_one.text
    assert "<html" in unknown.text  # any other fragment: the whole page


async def test_customers_rows_are_their_own_and_strangers_get_the_pages_answer(ready, make_shop, kit):
    async with ready() as (h, shop):
        other = await make_shop()
        free = await kit.make_slots(h, shop, count=2)
        mine = (await kit.book(h, shop.alice, free[0]["id"])).json()
        theirs = (await kit.book(h, shop.bob, free[1]["id"])).json()
        async with signed_in(h, shop.org, shop.alice) as alice:
            page = await alice.get("/appointments")
            rows = await alice.get("/appointments?fragment=rows")
            looking = await alice.get(f"/appointments?number={theirs['number']}&fragment=rows")
        async with portal_client(h, shop.org) as anonymous:
            anonymous_page = await anonymous.get("/appointments?status=Upcoming")
            anonymous_rows = await anonymous.get("/appointments?status=Upcoming&fragment=rows")
        async with signed_in(h, other.org, other.alice) as stranger:
            elsewhere = await stranger.get("/appointments?fragment=rows")
    assert numbers(rows.text) == [mine["number"]]
    assert theirs["number"] not in rows.text
    assert "Bob" not in rows.text
    assert "Customer</th>" not in rows.text
    assert rows.text.strip() in page.text
    assert numbers(looking.text) == []
    assert "No appointments found." in looking.text
    # A customer's list is not live: no refresh address, no list script
    assert "data-live-list" not in page.text
    assert "appointments/appointments.js" not in page.text
    # Signed out: the rows are refused exactly as the page is
    assert anonymous_rows.status_code == anonymous_page.status_code == 303
    assert anonymous_rows.headers["location"].split("?next=")[0] == "/login"
    assert anonymous_page.headers["location"].split("?next=")[0] == "/login"
    # Another workspace's member sees her own workspace's rows only
    assert elsewhere.status_code == 200
    assert numbers(elsewhere.text) == []


async def test_every_appointment_change_is_pushed_to_the_workspaces_pages_saying_nothing(ready, make_shop, kit):
    async with ready() as (h, shop):
        other = await make_shop()
        free = await kit.make_slots(h, shop, count=2)
        here, there = Listener(), Listener()
        h.kernel.hub.listen(here, [marcus.tenant_room(shop.org.id)])
        h.kernel.hub.listen(there, [marcus.tenant_room(other.org.id)])
        made = (await kit.book(h, shop.alice, free[0]["id"])).json()
        await h.client.post(f"/api/v1/appointments/{made['id']}/cancel", headers=shop.alice.headers)
        page = f"/appointments/book/{shop.service_id}?day={free[1]['starts_at'][:10]}"
        async with signed_in(h, shop.org, shop.bob) as bob:
            booked = await bob.submit(page, {"slot_id": free[1]["id"], "meeting_type": "Phone"}, page=page)
        bobs = booked.headers["location"]
        async with signed_in(h, shop.org, shop.staff) as staff:
            done = await staff.submit(f"{bobs}/complete", {}, page=bobs)
        await kit.deliver(h)  # the relay (off in these tests) pushes after each change committed
        seen = [f for f in here.frames if f["event"] == "appointments:list_changed"]
    assert done.status_code == 303
    # booked, cancelled, booked on a page, completed: one frame each, and empty
    assert seen == [{"event": "appointments:list_changed", "data": {}}] * 4
    everything = json.dumps(here.frames)
    bobs_number = bobs.rsplit("/", 1)[1]
    for secret in (made["number"], made["id"], bobs_number, str(shop.alice.id), str(shop.bob.id), "Alice", "Bob"):
        assert secret not in everything
    assert shop.alice.email not in everything
    assert shop.bob.email not in everything
    assert there.frames == []


async def test_a_customers_open_page_hears_nothing_about_anothers_booking(
    make_shop, kit, appointments_db, marcus_live_server
):
    shop = await make_shop()
    async with marcus_live_server(appointments_db, worker=True) as server:

        class H:  # the helpers speak to the live server
            client = httpx.AsyncClient(base_url=server.url)

        h = H()
        try:
            shop.service_id = await kit.add_service(h, shop)
            slot = (await kit.make_slots(h, shop, count=1))[0]
            async with (
                page_socket(server.url, shop, shop.staff) as staff,
                page_socket(server.url, shop, shop.bob) as bob,
            ):
                made = (await kit.book(h, shop.alice, slot["id"])).json()
                staff_frames = await frames_until(staff, "appointments:list_changed")
                bob_frames = await frames_until(bob, "appointments:list_changed")
                bob_frames += await drain(bob)  # anything else on its way
        finally:
            await h.client.aclose()
    assert staff_frames[-1] == bob_frames[-1] == {"event": "appointments:list_changed", "data": {}}
    heard = json.dumps(bob_frames)
    for secret in (made["number"], made["id"], str(shop.alice.id), shop.alice.email, "Alice"):
        assert secret not in heard


@asynccontextmanager
async def page_socket(url: str, shop, user) -> AsyncIterator[Any]:
    """The kernel WebSocket of a page open in ``user``'s browser (their session cookie)."""
    from websockets.asyncio.client import connect

    async with httpx.AsyncClient(base_url=url, headers={"X-Tenant": shop.org.slug}) as client:
        token = CSRF.search((await client.get("/login")).text).group(1)
        await client.post("/login", data={"email": user.email, "password": user.password, "csrf_token": token})
        cookie = f"marcus_access={client.cookies.get('marcus_access')}"
    host = urlsplit(url).netloc
    headers = {"Cookie": cookie, "X-Tenant": shop.org.slug}
    async with connect(f"ws://{host}/ws/notifications", additional_headers=headers, origin=f"http://{host}") as ws:
        hello = json.loads(await ws.recv())
        assert hello["event"] == "connected", hello
        yield ws


async def frames_until(ws, event: str, seconds: float = 10.0) -> list[dict]:
    frames: list[dict] = []
    async with asyncio.timeout(seconds):
        while not frames or frames[-1]["event"] != event:
            frames.append(json.loads(await ws.recv()))
    return frames


async def drain(ws) -> list[dict]:
    frames: list[dict] = []
    while True:
        try:
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), 0.5)))
        except TimeoutError:
            return frames
