"""The seed's appointment routes (rows 27-35): booking (JSON and multipart), lists, the raw
single read, the ``action`` lifecycle, attachments, the PDF, and the refusals of seed §9."""

import json


async def test_booking_returns_the_seed_shape(ready, b):
    async with ready() as (h, shop):
        service = await b.add_service(h, shop)
        when = b.day()
        slots = await b.slots_of(h, shop, when=when)
        body = {
            "serviceName": "SAP_CONSULTING_SESSION",
            "slotId": slots[0]["id"],
            "meetingType": "InPerson",
            "note": "Room 2",
        }
        response = await h.client.post("/appointments", json=body, headers=shop.seed(shop.alice))
        data = b.assert_envelope(response, 201, "Appointment created successfully")
        assert data["appointmentNo"].startswith("APPT-")
        assert data["userId"] == str(shop.alice.id)
        assert data["serviceName"] == "SAP_CONSULTING_SESSION"
        assert data["serviceId"] == service["id"]
        assert data["slotId"] == slots[0]["id"]
        assert data["meetingType"] == "InPerson"
        assert data["status"] == "Upcoming"
        assert data["note"] == "Room 2"
        assert data["scheduledAt"] == f"{when}T09:00:00.000Z"
        assert data["slot"] == {
            "startTime": f"{when}T09:00:00.000Z",
            "endTime": f"{when}T09:30:00.000Z",
            "status": "Booked",
        }
        assert data["attachments"] == []
        assert "created_at" not in data
        assert "createdAt" in data


async def test_double_booking_past_slots_and_bad_input_are_refused(ready, b):
    async with ready() as (h, shop):
        await b.add_service(h, shop)
        slots = await b.slots_of(h, shop, when=b.day())
        first = {"serviceName": "SAP_CONSULTING_SESSION", "slotId": slots[0]["id"], "meetingType": "Virtual"}
        assert (await h.client.post("/appointments", json=first, headers=shop.seed(shop.alice))).status_code == 201
        twice = await h.client.post("/appointments", json=first, headers=shop.seed(shop.bob))
        assert b.assert_error(twice, 409, "slot_taken")

        in_person = first | {"slotId": slots[1]["id"], "meetingType": "InPerson"}
        no_note = await h.client.post("/appointments", json=in_person, headers=shop.seed(shop.bob))
        assert "Additional note is required for in-person meeting" in str(b.assert_error(no_note, 400)["message"])
        bad_enum = await h.client.post(
            "/appointments", json=first | {"meetingType": "Carrier pigeon"}, headers=shop.seed(shop.bob)
        )
        assert b.assert_error(bad_enum, 400)["errors"][0]["field"] == "meetingType"
        missing = await h.client.post(
            "/appointments",
            json=first | {"slotId": "00000000-0000-7000-8000-000000000000"},
            headers=shop.seed(shop.bob),
        )
        b.assert_error(missing, 404, "slot_not_found")
        other = await b.add_service(h, shop, name="Financial Audit")
        wrong = await h.client.post(
            "/appointments",
            json=first | {"serviceName": other["slug"], "slotId": slots[1]["id"]},
            headers=shop.seed(shop.bob),
        )
        b.assert_error(wrong, 400, "service_mismatch")

        # A slot whose start has passed cannot be booked (the seed never checked, §9.19).
        past = await b.past_slot(h, shop, service_id=other["id"])
        gone = await h.client.post(
            "/appointments",
            json={"serviceName": other["slug"], "slotId": past, "meetingType": "Phone"},
            headers=shop.seed(shop.bob),
        )
        b.assert_error(gone, 400, "slot_in_past")


async def test_customers_cannot_book_for_someone_else(ready, b):
    async with ready() as (h, shop):
        await b.add_service(h, shop)
        slots = await b.slots_of(h, shop, when=b.day())
        body = {
            "serviceName": "SAP_CONSULTING_SESSION",
            "slotId": slots[0]["id"],
            "meetingType": "Virtual",
            "userId": str(shop.bob.id),
        }
        refused = await h.client.post("/appointments", json=body, headers=shop.seed(shop.alice))
        assert b.assert_error(refused, 403, "user_id_override")["errors"][0]["field"] == "userId"
        mine = await h.client.post(
            "/appointments", json=body | {"userId": str(shop.alice.id)}, headers=shop.seed(shop.alice)
        )
        assert b.assert_envelope(mine, 201)["userId"] == str(shop.alice.id)
        staff = await h.client.post(
            "/appointments", json=body | {"slotId": slots[1]["id"]}, headers=shop.seed(shop.admin)
        )
        assert b.assert_envelope(staff, 201)["userId"] == str(shop.bob.id)


async def test_multipart_booking_with_files_and_attachments(ready, b, kit):
    async with ready() as (h, shop):
        await b.add_service(h, shop)
        slots = await b.slots_of(h, shop, when=b.day())
        data = json.dumps({"serviceName": "SAP_CONSULTING_SESSION", "slotId": slots[0]["id"], "meetingType": "Phone"})
        files = [("files", ("brief.pdf", kit.PDF, "application/pdf")), ("files", ("map.png", kit.PNG, "image/png"))]
        response = await h.client.post("/appointments", data={"data": data}, files=files, headers=shop.seed(shop.alice))
        appointment = b.assert_envelope(response, 201)
        assert [a["fileName"] for a in appointment["attachments"]] == ["brief.pdf", "map.png"]
        first = appointment["attachments"][0]
        assert first["fileUrl"].endswith(f"#{first['id']}")
        assert first["filePath"]
        assert first["contentType"] == "application/pdf"
        download = await h.client.get(first["fileUrl"].split("#")[0], headers=shop.tenant)
        assert download.status_code == 200
        assert download.content == kit.PDF

        listed = await h.client.get(f"/appointments/{appointment['id']}/attachments", headers=shop.seed(shop.alice))
        assert [a["id"] for a in b.assert_envelope(listed)] == [a["id"] for a in appointment["attachments"]]
        added = await h.client.post(
            f"/appointments/{appointment['id']}/attachments",
            files=[("files", ("notes.txt", b"agenda\n", "text/plain"))],
            headers=shop.seed(shop.alice),
        )
        grown = b.assert_envelope(added, 201)
        assert grown["id"] == appointment["id"]
        assert len(grown["attachments"]) == 3
        empty = await h.client.post(
            f"/appointments/{appointment['id']}/attachments", data={"x": "1"}, headers=shop.seed(shop.alice)
        )
        b.assert_error(empty, 400, "no_files")

        removal = {
            "fileUrls": [first["fileUrl"], grown["attachments"][2]["filePath"], "https://elsewhere.example/nothing"]
        }
        removed = await h.client.request(
            "DELETE", f"/appointments/{appointment['id']}/attachments", json=removal, headers=shop.seed(shop.alice)
        )
        assert [a["fileName"] for a in b.assert_envelope(removed)["attachments"]] == ["map.png"]
        empty_list = await h.client.request(
            "DELETE",
            f"/appointments/{appointment['id']}/attachments",
            json={"fileUrls": []},
            headers=shop.seed(shop.alice),
        )
        b.assert_error(empty_list, 400)

        # Bob sees none of it: Alice's appointment does not exist for him.
        b.assert_error(
            await h.client.get(f"/appointments/{appointment['id']}/attachments", headers=shop.seed(shop.bob)), 404
        )
        b.assert_error(
            await h.client.post(
                f"/appointments/{appointment['id']}/attachments",
                files=[("files", ("x.txt", b"x\n", "text/plain"))],
                headers=shop.seed(shop.bob),
            ),
            404,
        )
        b.assert_error(
            await h.client.request(
                "DELETE", f"/appointments/{appointment['id']}/attachments", json=removal, headers=shop.seed(shop.bob)
            ),
            404,
        )

        # fileUrls as query parameters (for clients whose DELETE cannot carry a body).
        last = b.assert_envelope(removed)["attachments"][0]["id"]
        b.assert_error(
            await h.client.delete(
                f"/appointments/{appointment['id']}/attachments?fileUrls={last}", headers=shop.seed(shop.bob)
            ),
            404,
        )
        emptied = await h.client.delete(
            f"/appointments/{appointment['id']}/attachments?fileUrls={last}", headers=shop.seed(shop.alice)
        )
        assert b.assert_envelope(emptied, 200, "Attachments removed successfully")["attachments"] == []


async def test_lists_are_scoped_paginated_and_filtered(ready, b):
    async with ready() as (h, shop):
        await b.add_service(h, shop)
        slots = await b.slots_of(h, shop, when=b.day())
        for slot in slots[:3]:
            assert (await b.book(h, shop, shop.alice, slot["id"])).status_code == 201
        assert (await b.book(h, shop, shop.bob, slots[3]["id"])).status_code == 201

        page = await h.client.get("/appointments?page=1&limit=2", headers=shop.seed(shop.alice))
        data = b.assert_envelope(page)
        assert len(data["data"]) == 2
        assert {a["userId"] for a in data["data"]} == {str(shop.alice.id)}
        assert data["meta"] == {
            "currentPage": 1,
            "perPage": 2,
            "totalItems": 3,
            "totalPages": 2,
            "pageItemCount": 2,
            "hasNextPage": True,
            "hasPrevPage": False,
        }
        assert data["data"][0]["scheduledAt"] > data["data"][1]["scheduledAt"]  # latest start first
        fallback = b.assert_envelope(
            await h.client.get("/appointments?page=zero&limit=-3", headers=shop.seed(shop.alice))
        )
        assert fallback["meta"]["currentPage"] == 1
        assert fallback["meta"]["perPage"] == 10

        staff = b.assert_envelope(
            await h.client.get(f"/appointments?userId={shop.bob.id}", headers=shop.seed(shop.admin))
        )
        assert [a["userId"] for a in staff["data"]] == [str(shop.bob.id)]
        by_slot = b.assert_envelope(
            await h.client.get(
                f"/appointments?slotId={slots[0]['id']}&serviceName=SAP_CONSULTING_SESSION&meetingType=Virtual&status=Upcoming",
                headers=shop.seed(shop.admin),
            )
        )
        assert by_slot["meta"]["totalItems"] == 1
        number = by_slot["data"][0]["appointmentNo"]
        by_number = b.assert_envelope(
            await h.client.get(f"/appointments?appointmentNo={number}", headers=shop.seed(shop.alice))
        )
        assert [a["appointmentNo"] for a in by_number["data"]] == [number]

        # The seed's IDOR (§9.8): a customer's userId naming someone else is refused.
        idor = await h.client.get(f"/appointments?userId={shop.bob.id}", headers=shop.seed(shop.alice))
        b.assert_error(idor, 403, "user_id_override")
        bad = await h.client.get("/appointments?status=Sometime", headers=shop.seed(shop.alice))
        b.assert_error(bad, 400)

        every = await h.client.get("/appointments/all", headers=shop.seed(shop.alice))
        assert len(b.assert_envelope(every)) == 3
        everyone = await h.client.get("/appointments/all", headers=shop.seed(shop.admin))
        assert len(b.assert_envelope(everyone)) == 4
        b.assert_error(await h.client.get("/appointments/all", headers=shop.tenant), 401)


async def test_single_appointment_is_raw_and_private(ready, b):
    async with ready() as (h, shop):
        appointment = await b.booked(h, shop)
        response = await h.client.get(f"/appointments/{appointment['id']}", headers=shop.seed(shop.alice))
        assert response.status_code == 200
        body = response.json()
        assert "success" not in body
        assert body["id"] == appointment["id"]
        assert body["appointmentNo"] == appointment["appointmentNo"]
        assert body["slot"]["status"] == "Booked"
        staff = await h.client.get(f"/appointments/{appointment['id']}", headers=shop.seed(shop.admin))
        assert staff.json()["id"] == appointment["id"]
        other = await h.client.get(f"/appointments/{appointment['id']}", headers=shop.seed(shop.bob))
        b.assert_error(other, 404, "appointment_not_found")
        b.assert_error(await h.client.get("/appointments/not-an-id", headers=shop.seed(shop.alice)), 400)


async def test_update_cancel_rebook_and_complete(ready, b):
    async with ready() as (h, shop):
        appointment = await b.booked(h, shop)
        path = f"/appointments/{appointment['id']}"
        updated = await h.client.patch(
            path, json={"action": "update", "meetingType": "Phone", "note": "Call me"}, headers=shop.seed(shop.alice)
        )
        data = b.assert_envelope(updated, 200, "Appointment updated successfully")
        assert data["meetingType"] == "Phone"
        assert data["note"] == "Call me"
        b.assert_error(
            await h.client.patch(path, json={"action": "update"}, headers=shop.seed(shop.alice)), 400, "empty_update"
        )
        b.assert_error(await h.client.patch(path, json={"action": "archive"}, headers=shop.seed(shop.alice)), 400)
        b.assert_error(
            await h.client.patch(path, json={"action": "update", "status": "Completed"}, headers=shop.seed(shop.alice)),
            400,
        )
        b.assert_error(await h.client.patch(path, json={"action": "cancel"}, headers=shop.seed(shop.bob)), 404)
        b.assert_error(await h.client.patch(path, json={"action": "complete"}, headers=shop.seed(shop.alice)), 403)

        cancelled = await h.client.patch(path, json={"action": "cancel"}, headers=shop.seed(shop.alice))
        data = b.assert_envelope(cancelled, 200, "Appointment cancelled successfully")
        assert data["status"] == "Cancelled"
        assert data["slot"]["status"] == "Available"
        twice = await h.client.patch(path, json={"action": "cancel"}, headers=shop.seed(shop.alice))
        b.assert_error(twice, 409, "wrong_status")

        # The freed slot can really be booked again (the seed's unique slotId made it a 503, §9.16).
        again = await b.book(h, shop, shop.bob, appointment["slotId"])
        rebooked = b.assert_envelope(again, 201)
        completed = await h.client.patch(
            f"/appointments/{rebooked['id']}", json={"action": "complete"}, headers=shop.seed(shop.admin)
        )
        data = b.assert_envelope(completed, 200, "Appointment completed successfully")
        assert data["status"] == "Completed"
        assert data["slot"]["status"] == "Booked"


async def test_pdf_export_lists_the_callers_appointments(ready, b):
    async with ready() as (h, shop):
        await b.booked(h, shop)
        response = await h.client.get("/appointments/export/pdf", headers=shop.seed(shop.alice))
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["content-disposition"] == f'attachment; filename="appointments-{shop.alice.id}.pdf"'
        assert response.content.startswith(b"%PDF")
        staff = await h.client.get("/appointments/export/pdf", headers=shop.seed(shop.admin))
        assert staff.status_code == 200
        assert staff.content.startswith(b"%PDF")
        b.assert_error(await h.client.get("/appointments/export/pdf", headers=shop.tenant), 401)
