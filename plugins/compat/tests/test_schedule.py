"""The seed's schedule routes (rows 23-26): generation, listing, status changes, deletion."""


async def test_generate_and_list_a_day_of_slots(ready, b):
    async with ready() as (h, shop):
        service = await b.add_service(h, shop)
        when = b.day()
        body = {
            "serviceName": "SAP_CONSULTING_SESSION",
            "date": when,
            "startTime": "09:30",
            "endTime": "11:10",
            "durationMin": 30,
        }
        response = await h.client.post("/schedule/generate", json=body, headers=shop.seed(shop.admin))
        data = b.assert_envelope(response, 201, "Slots generated successfully")
        assert data == {"result": {"count": 3}}  # the trailing 10 minutes are dropped, as the seed

        listed = await h.client.get(
            f"/schedule/slots?serviceName=SAP_CONSULTING_SESSION&date={when}", headers=shop.seed(shop.bob)
        )
        slots = b.assert_envelope(listed)
        assert [s["startTime"] for s in slots] == [
            f"{when}T09:30:00.000Z",
            f"{when}T10:00:00.000Z",
            f"{when}T10:30:00.000Z",
        ]
        assert {s["status"] for s in slots} == {"Available"}
        assert slots[0]["endTime"] == f"{when}T10:00:00.000Z"
        assert slots[0]["serviceName"] == "SAP_CONSULTING_SESSION"
        assert slots[0]["serviceId"] == service["id"]

        by_slug = await h.client.get(
            f"/schedule/slots?serviceName={service['slug']}&date={when}", headers=shop.seed(shop.bob)
        )
        assert len(b.assert_envelope(by_slug)) == 3


async def test_generating_a_day_twice_is_a_conflict(ready, b):
    async with ready() as (h, shop):
        await b.add_service(h, shop)
        when = b.day()
        await b.slots_of(h, shop, when=when)
        body = {
            "serviceName": "SAP_CONSULTING_SESSION",
            "date": when,
            "startTime": "13:00",
            "endTime": "14:00",
            "durationMin": 30,
        }
        again = await h.client.post("/schedule/generate", json=body, headers=shop.seed(shop.admin))
        error = b.assert_error(again, 409, "slots_exist")
        assert error["message"] == "Slots already exist for this date & service"


async def test_generation_refuses_bad_input_past_days_and_customers(ready, b):
    async with ready() as (h, shop):
        await b.add_service(h, shop)
        base = {
            "serviceName": "SAP_CONSULTING_SESSION",
            "date": b.day(),
            "startTime": "09:00",
            "endTime": "10:00",
            "durationMin": 30,
        }
        backwards = await h.client.post(
            "/schedule/generate", json=base | {"endTime": "08:00"}, headers=shop.seed(shop.admin)
        )
        assert "endTime must be after startTime" in str(b.assert_error(backwards, 400)["message"])
        bad_time = await h.client.post(
            "/schedule/generate", json=base | {"startTime": "25:00"}, headers=shop.seed(shop.admin)
        )
        assert b.assert_error(bad_time, 400)["errors"][0]["field"] == "startTime"
        past = await h.client.post(
            "/schedule/generate", json=base | {"date": b.yesterday()}, headers=shop.seed(shop.admin)
        )
        b.assert_error(past, 400, "date_in_past")
        unknown = await h.client.post(
            "/schedule/generate", json=base | {"serviceName": "FINANCIAL_AUDIT"}, headers=shop.seed(shop.admin)
        )
        b.assert_error(unknown, 404, "service_not_found")
        extra = await h.client.post(
            "/schedule/generate", json=base | {"createdById": str(shop.bob.id)}, headers=shop.seed(shop.admin)
        )
        b.assert_error(extra, 400)
        customer = await h.client.post("/schedule/generate", json=base, headers=shop.seed(shop.alice))
        b.assert_error(customer, 403)
        anonymous = await h.client.post("/schedule/generate", json=base, headers=shop.tenant)
        b.assert_error(anonymous, 401)


async def test_slot_status_changes_never_contradict_bookings(ready, b):
    async with ready() as (h, shop):
        await b.add_service(h, shop)
        slots = await b.slots_of(h, shop, when=b.day())
        free, taken = slots[0]["id"], slots[1]["id"]
        assert (await b.book(h, shop, shop.alice, taken)).status_code == 201

        disabled = await h.client.patch(
            f"/schedule/slots/{free}", json={"status": "Disabled"}, headers=shop.seed(shop.admin)
        )
        assert b.assert_envelope(disabled, 200, "Slot Disabled updated successfully")["status"] == "Disabled"
        again = await h.client.patch(
            f"/schedule/slots/{free}", json={"status": "Disabled"}, headers=shop.seed(shop.admin)
        )
        b.assert_error(again, 409, "same_status")
        refused = await b.book(h, shop, shop.bob, free)
        b.assert_error(refused, 409, "slot_disabled")
        enabled = await h.client.patch(
            f"/schedule/slots/{free}", json={"status": "Available"}, headers=shop.seed(shop.admin)
        )
        assert b.assert_envelope(enabled)["status"] == "Available"

        # A booked slot cannot be made Available or Disabled behind its appointment's back (seed §9.20).
        freed = await h.client.patch(
            f"/schedule/slots/{taken}", json={"status": "Available"}, headers=shop.seed(shop.admin)
        )
        b.assert_error(freed, 409, "slot_has_bookings")
        hidden = await h.client.patch(
            f"/schedule/slots/{taken}", json={"status": "Disabled"}, headers=shop.seed(shop.admin)
        )
        b.assert_error(hidden, 409, "slot_has_bookings")
        forced = await h.client.patch(
            f"/schedule/slots/{free}", json={"status": "Booked"}, headers=shop.seed(shop.admin)
        )
        b.assert_error(forced, 409, "slot_status_from_bookings")
        invalid = await h.client.patch(
            f"/schedule/slots/{free}", json={"status": "Gone"}, headers=shop.seed(shop.admin)
        )
        b.assert_error(invalid, 400, "invalid_status")
        missing = await h.client.patch(
            "/schedule/slots/00000000-0000-7000-8000-000000000000",
            json={"status": "Disabled"},
            headers=shop.seed(shop.admin),
        )
        b.assert_error(missing, 404, "slot_not_found")
        customer = await h.client.patch(
            f"/schedule/slots/{free}", json={"status": "Disabled"}, headers=shop.seed(shop.alice)
        )
        b.assert_error(customer, 403)

        listed = await h.client.get(
            f"/schedule/slots?serviceName=SAP_CONSULTING_SESSION&date={b.day()}", headers=shop.seed(shop.alice)
        )
        statuses = {s["id"]: s["status"] for s in b.assert_envelope(listed)}
        assert statuses[taken] == "Booked"
        assert statuses[free] == "Available"


async def test_deleting_a_day_refuses_live_bookings_then_deletes_all(ready, b):
    async with ready() as (h, shop):
        await b.add_service(h, shop)
        when = b.day()
        slots = await b.slots_of(h, shop, when=when)
        appointment = (await b.book(h, shop, shop.alice, slots[0]["id"])).json()["data"]

        refused = await h.client.delete(
            f"/schedule/slots?serviceName=SAP_CONSULTING_SESSION&date={when}", headers=shop.seed(shop.admin)
        )
        assert b.assert_error(refused, 409)["message"] == "Cannot delete slots with booked appointments"

        cancel = await h.client.patch(
            f"/appointments/{appointment['id']}", json={"action": "cancel"}, headers=shop.seed(shop.alice)
        )
        b.assert_envelope(cancel)
        deleted = await h.client.delete(
            f"/schedule/slots?serviceName=SAP_CONSULTING_SESSION&date={when}", headers=shop.seed(shop.admin)
        )
        assert b.assert_envelope(deleted, 200, "Slots deleted successfully") == {"deletedCount": 4}
        listed = await h.client.get(
            f"/schedule/slots?serviceName=SAP_CONSULTING_SESSION&date={when}", headers=shop.seed(shop.alice)
        )
        assert b.assert_envelope(listed) == []
        # The cancelled appointment keeps its times after its slot is gone (seed §9.17 was a 503).
        kept = await h.client.get(f"/appointments/{appointment['id']}", headers=shop.seed(shop.alice))
        assert kept.status_code == 200
        assert kept.json()["slot"] is None

        customer = await h.client.delete(
            f"/schedule/slots?serviceName=SAP_CONSULTING_SESSION&date={when}", headers=shop.seed(shop.alice)
        )
        b.assert_error(customer, 403)
