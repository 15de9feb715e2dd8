"""The seed's document routes (rows 46-49): multipart upload with links, the scoped list and
its filters, changes (no self-approval), deletion."""

import json


async def upload(h, shop, user, kit, **fields):
    data = json.dumps({"type": "Compliance"} | fields)
    files = [("files", ("report.pdf", kit.PDF, "application/pdf")), ("files", ("scan.png", kit.PNG, "image/png"))]
    return await h.client.post("/documents", data={"data": data}, files=files, headers=shop.seed(user))


async def test_upload_returns_the_seed_shape_and_links_own_appointment(ready, b, kit):
    async with ready() as (h, shop):
        appointment = await b.booked(h, shop)
        data = json.dumps(
            {
                "type": "Appointment",
                "name": "Contract",
                "tags": "legal, signed",
                "description": "Signed copy",
                "appointmentId": appointment["id"],
            }
        )
        files = [("files", ("report.pdf", kit.PDF, "application/pdf")), ("files", ("scan.png", kit.PNG, "image/png"))]
        response = await h.client.post("/documents", data={"data": data}, files=files, headers=shop.seed(shop.alice))
        document = b.assert_envelope(response, 201, "Document uploaded successfully")
        assert document["userId"] == str(shop.alice.id)
        assert document["name"] == "Contract"
        assert document["type"] == "Appointment"
        assert document["status"] == "Open"
        assert document["tags"] == ["legal", "signed"]
        assert document["description"] == "Signed copy"
        assert document["format"] == "pdf"
        assert document["size"] == len(kit.PDF) + len(kit.PNG)
        assert len(document["fileUrls"]) == 2
        assert [f["name"] for f in document["files"]] == ["report.pdf", "scan.png"]
        assert document["appointmentId"] == appointment["id"]
        assert document["appointment"] == {
            "id": appointment["id"],
            "appointmentNo": appointment["appointmentNo"],
            "serviceName": "SAP_CONSULTING_SESSION",
        }
        download = await h.client.get(document["fileUrls"][0], headers=shop.tenant)
        assert download.status_code == 200
        assert download.content == kit.PDF

        # Plain multipart fields work too, and the name defaults to the first file's.
        plain = await h.client.post(
            "/documents",
            data={"type": "Security"},
            files=[("files", ("id.png", kit.PNG, "image/png"))],
            headers=shop.seed(shop.alice),
        )
        assert b.assert_envelope(plain, 201)["name"] == "id.png"


async def test_upload_refusals(ready, b, kit):
    async with ready() as (h, shop):
        appointment = await b.booked(h, shop)
        # Bob cannot file a document under Alice's appointment (seed §9.9).
        foreign = await upload(h, shop, shop.bob, kit, appointmentId=appointment["id"])
        b.assert_error(foreign, 404, "appointment_not_found")
        no_files = await h.client.post(
            "/documents", data={"data": json.dumps({"type": "Compliance"})}, headers=shop.seed(shop.alice)
        )
        b.assert_error(no_files, 400, "no_files")
        bad_type = await upload(h, shop, shop.alice, kit, type="Passport")
        assert b.assert_error(bad_type, 400)["errors"][0]["field"] == "type"
        smuggled = await upload(h, shop, shop.alice, kit, userId=str(shop.bob.id))
        b.assert_error(smuggled, 400)
        unknown_invoice = await upload(h, shop, shop.alice, kit, invoiceId="INV-1999-0001")
        b.assert_error(unknown_invoice, 404, "invoice_not_found")
        broken = await h.client.post(
            "/documents",
            data={"data": "{not json"},
            files=[("files", ("a.pdf", kit.PDF, "application/pdf"))],
            headers=shop.seed(shop.alice),
        )
        b.assert_error(broken, 400, "invalid_data")
        anonymous = await h.client.post("/documents", data={"type": "Compliance"}, headers=shop.tenant)
        b.assert_error(anonymous, 401)


async def test_list_is_scoped_filtered_and_paginated(ready, b, kit):
    async with ready() as (h, shop):
        appointment = await b.booked(h, shop)
        await upload(h, shop, shop.alice, kit, name="Alpha plan", tags=["x"], appointmentId=appointment["id"])
        await upload(h, shop, shop.alice, kit, name="Beta", type="Security", description="the plan B")
        await upload(h, shop, shop.bob, kit, name="Bob's")

        mine = b.assert_envelope(await h.client.get("/documents", headers=shop.seed(shop.alice)))
        assert [d["name"] for d in mine["data"]] == ["Beta", "Alpha plan"]  # newest first
        assert mine["meta"]["totalItems"] == 2
        assert mine["meta"]["perPage"] == 10
        everyone = b.assert_envelope(await h.client.get("/documents?limit=2&page=2", headers=shop.seed(shop.admin)))
        assert everyone["meta"]["totalItems"] == 3
        assert everyone["meta"]["pageItemCount"] == 1

        def names(response):
            return [d["name"] for d in b.assert_envelope(response)["data"]]

        assert names(await h.client.get("/documents?search=PLAN", headers=shop.seed(shop.alice))) == [
            "Beta",
            "Alpha plan",
        ]
        assert names(await h.client.get("/documents?type=Security", headers=shop.seed(shop.alice))) == ["Beta"]
        assert names(await h.client.get("/documents?tags=x,y", headers=shop.seed(shop.alice))) == ["Alpha plan"]
        assert names(
            await h.client.get(
                f"/documents?appointmentNo={appointment['appointmentNo']}", headers=shop.seed(shop.alice)
            )
        ) == ["Alpha plan"]
        assert names(await h.client.get("/documents?appointmentNo=APPT-999999", headers=shop.seed(shop.alice))) == []
        assert names(await h.client.get(f"/documents?userId={shop.bob.id}", headers=shop.seed(shop.admin))) == ["Bob's"]
        b.assert_error(
            await h.client.get(f"/documents?userId={shop.bob.id}", headers=shop.seed(shop.alice)),
            403,
            "user_id_override",
        )
        b.assert_error(await h.client.get("/documents?status=Lost", headers=shop.seed(shop.alice)), 400)


async def test_customers_edit_metadata_but_cannot_approve(ready, b, kit):
    async with ready() as (h, shop):
        document = b.assert_envelope(await upload(h, shop, shop.alice, kit), 201)
        path = f"/documents/{document['id']}"
        renamed = await h.client.patch(path, json={"name": "Renamed", "tags": "a,b"}, headers=shop.seed(shop.alice))
        data = b.assert_envelope(renamed, 200, "Document updated successfully")
        assert data["name"] == "Renamed"
        assert data["tags"] == ["a", "b"]

        # Seed §9.9: customers could approve their own documents. Not here.
        approve = await h.client.patch(path, json={"status": "Approved"}, headers=shop.seed(shop.alice))
        b.assert_error(approve, 403, "review_forbidden")
        b.assert_error(await h.client.patch(path, json={}, headers=shop.seed(shop.alice)), 400, "empty_update")
        b.assert_error(
            await h.client.patch(path, json={"size": 1}, headers=shop.seed(shop.alice)), 400, "field_not_editable"
        )
        b.assert_error(await h.client.patch(path, json={"name": "Mine now"}, headers=shop.seed(shop.bob)), 404)

        approved = await h.client.patch(path, json={"status": "Approved"}, headers=shop.seed(shop.admin))
        assert b.assert_envelope(approved)["status"] == "Approved"
        reopened = await h.client.patch(
            path, json={"status": "Open", "description": "again"}, headers=shop.seed(shop.admin)
        )
        data = b.assert_envelope(reopened)
        assert data["status"] == "Open"
        assert data["description"] == "again"


async def test_delete_own_document_only(ready, b, kit):
    async with ready() as (h, shop):
        document = b.assert_envelope(await upload(h, shop, shop.alice, kit), 201)
        path = f"/documents/{document['id']}"
        b.assert_error(await h.client.delete(path, headers=shop.seed(shop.bob)), 404, "document_not_found")
        deleted = await h.client.delete(path, headers=shop.seed(shop.alice))
        assert b.assert_envelope(deleted, 200, "Document deleted successfully") == {"id": document["id"]}
        b.assert_error(await h.client.delete(path, headers=shop.seed(shop.alice)), 404)
        listed = b.assert_envelope(await h.client.get("/documents", headers=shop.seed(shop.alice)))
        assert listed["data"] == []


async def test_upload_links_own_invoice_by_number(ready, b, kit):
    async with ready() as (h, shop):
        appointment = await b.booked(h, shop)
        body = {
            "appointmentId": appointment["id"],
            "amount": 300,
            "status": "Pending",
            "paymentType": "Cash",
            "dueDate": "2099-01-01",
        }
        invoice = b.assert_envelope(await h.client.post("/invoices", json=body, headers=shop.seed(shop.admin)), 201)
        linked = b.assert_envelope(
            await upload(h, shop, shop.alice, kit, type="Invoice", invoiceId=invoice["invoiceNo"]), 201
        )
        assert linked["invoiceId"] == invoice["id"]
        assert linked["invoice"] == {
            "id": invoice["id"],
            "invoiceNo": invoice["invoiceNo"],
            "amount": 300,
            "currency": "EUR",
        }
        by_number = await h.client.get(f"/documents?invoiceNo={invoice['invoiceNo']}", headers=shop.seed(shop.alice))
        assert [d["id"] for d in b.assert_envelope(by_number)["data"]] == [linked["id"]]
        # Bob cannot file his document under Alice's invoice, by number or by id.
        b.assert_error(await upload(h, shop, shop.bob, kit, invoiceId=invoice["invoiceNo"]), 404, "invoice_not_found")
        b.assert_error(await upload(h, shop, shop.bob, kit, invoiceId=invoice["id"]), 404, "invoice_not_found")
