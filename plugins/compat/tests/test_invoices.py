"""The seed's invoice routes (rows 50-55): issuing for an appointment, lists, reads, marking
paid, drafts, voiding instead of deleting issued invoices, and the PDF."""


def invoice_body(appointment, **fields):
    return {
        "appointmentId": appointment["id"],
        "amount": 1200.5,
        "status": "Pending",
        "paymentType": "BankTransfer",
        "issuedBy": "Ada",
        "dueDate": "2099-01-31",
    } | fields


async def issued(h, shop, b, **fields):
    appointment = await b.booked(h, shop)
    response = await h.client.post("/invoices", json=invoice_body(appointment, **fields), headers=shop.seed(shop.admin))
    return appointment, b.assert_envelope(response, 201, "Invoice created successfully")


async def test_create_issues_an_invoice_and_completes_the_appointment(ready, b):
    async with ready() as (h, shop):
        appointment = await b.booked(h, shop)
        response = await h.client.post(
            "/invoices", json=invoice_body(appointment, issuedAt="2026-01-10"), headers=shop.seed(shop.admin)
        )
        invoice = b.assert_envelope(response, 201, "Invoice created successfully")
        assert invoice["invoiceNo"].startswith("INV-")
        assert invoice["amount"] == 1200.5
        assert invoice["currency"] == "EUR"
        assert invoice["balance"] == 1200.5
        assert invoice["status"] == "Pending"
        assert invoice["paymentType"] == "BankTransfer"
        assert invoice["userId"] == str(shop.alice.id)
        assert invoice["appointmentId"] == appointment["id"]
        assert invoice["issueDate"] == "2026-01-10T00:00:00.000Z"
        assert invoice["dueDate"] == "2099-01-31T00:00:00.000Z"
        assert invoice["issuedBy"] == "Ada User"  # the issuing admin, whatever the client claims
        assert invoice["user"]["email"] == shop.alice.email
        assert invoice["appointment"]["appointmentNo"] == appointment["appointmentNo"]
        assert invoice["appointment"]["status"] == "Completed"
        read = await h.client.get(f"/appointments/{appointment['id']}", headers=shop.seed(shop.alice))
        assert read.json()["status"] == "Completed"

        again = await h.client.post("/invoices", json=invoice_body(appointment), headers=shop.seed(shop.admin))
        b.assert_error(again, 409, "appointment_already_invoiced")


async def test_create_refusals(ready, b):
    async with ready() as (h, shop):
        appointment = await b.booked(h, shop)
        customer = await h.client.post("/invoices", json=invoice_body(appointment), headers=shop.seed(shop.alice))
        b.assert_error(customer, 403)
        overdue = await h.client.post(
            "/invoices", json=invoice_body(appointment, status="Overdue"), headers=shop.seed(shop.admin)
        )
        b.assert_error(overdue, 400, "status_not_settable")
        negative = await h.client.post(
            "/invoices", json=invoice_body(appointment, amount=-1), headers=shop.seed(shop.admin)
        )
        assert b.assert_error(negative, 400)["errors"][0]["field"] == "amount"
        bad_type = await h.client.post(
            "/invoices", json=invoice_body(appointment, paymentType="Barter"), headers=shop.seed(shop.admin)
        )
        b.assert_error(bad_type, 400)
        no_due = {k: v for k, v in invoice_body(appointment).items() if k != "dueDate"}
        b.assert_error(await h.client.post("/invoices", json=no_due, headers=shop.seed(shop.admin)), 400)
        missing = await h.client.post(
            "/invoices",
            json=invoice_body({"id": "00000000-0000-7000-8000-000000000000"}),
            headers=shop.seed(shop.admin),
        )
        b.assert_error(missing, 404, "appointment_not_found")
        cancel = await h.client.patch(
            f"/appointments/{appointment['id']}", json={"action": "cancel"}, headers=shop.seed(shop.alice)
        )
        b.assert_envelope(cancel)
        cancelled = await h.client.post("/invoices", json=invoice_body(appointment), headers=shop.seed(shop.admin))
        b.assert_error(cancelled, 409, "appointment_not_billable")


async def test_created_paid_and_listed(ready, b):
    async with ready() as (h, shop):
        _, paid = await issued(h, shop, b, status="Paid", paymentType="Cash", amount="99.90")
        assert paid["status"] == "Paid"
        assert paid["amountPaid"] == 99.9
        assert paid["balance"] == 0
        assert paid["payments"][0]["method"] == "Cash"

        mine = b.assert_envelope(await h.client.get("/invoices", headers=shop.seed(shop.alice)))
        assert [i["invoiceNo"] for i in mine["data"]] == [paid["invoiceNo"]]
        assert mine["meta"]["totalItems"] == 1
        assert mine["data"][0]["user"]["id"] == str(shop.alice.id)
        assert mine["data"][0]["appointment"]["serviceName"] == "SAP_CONSULTING_SESSION"
        assert b.assert_envelope(await h.client.get("/invoices", headers=shop.seed(shop.bob)))["data"] == []
        staff = b.assert_envelope(
            await h.client.get(f"/invoices?status=Paid&search={shop.alice.email}", headers=shop.seed(shop.admin))
        )
        assert staff["meta"]["totalItems"] == 1
        assert (
            b.assert_envelope(await h.client.get("/invoices?status=Pending", headers=shop.seed(shop.admin)))["data"]
            == []
        )
        assert (
            b.assert_envelope(
                await h.client.get("/invoices?fromDate=2000-01-01&toDate=2000-12-31", headers=shop.seed(shop.admin))
            )["data"]
            == []
        )
        b.assert_error(
            await h.client.get("/invoices?fromDate=soon", headers=shop.seed(shop.admin)), 400, "invalid_date"
        )
        b.assert_error(await h.client.get("/invoices?status=Lost", headers=shop.seed(shop.admin)), 400)


async def test_read_one_is_private(ready, b):
    async with ready() as (h, shop):
        _, invoice = await issued(h, shop, b)
        path = f"/invoices/{invoice['id']}"
        mine = b.assert_envelope(
            await h.client.get(path, headers=shop.seed(shop.alice)), 200, "Invoice fetched successfully"
        )
        assert mine["invoiceNo"] == invoice["invoiceNo"]
        assert mine["lines"][0]["total"] == 1200.5
        assert "phoneNumber" in mine["user"]
        assert "street" in mine["user"]
        assert b.assert_envelope(await h.client.get(path, headers=shop.seed(shop.admin)))["id"] == invoice["id"]
        b.assert_error(await h.client.get(path, headers=shop.seed(shop.bob)), 404, "invoice_not_found")


async def test_patch_marks_paid_and_keeps_issued_invoices_frozen(ready, b):
    async with ready() as (h, shop):
        _, invoice = await issued(h, shop, b)
        path = f"/invoices/{invoice['id']}"
        b.assert_error(await h.client.patch(path, json={"status": "Paid"}, headers=shop.seed(shop.alice)), 403)
        b.assert_error(await h.client.patch(path, json={}, headers=shop.seed(shop.admin)), 400, "empty_update")
        b.assert_error(
            await h.client.patch(path, json={"invoiceNo": "INV-1"}, headers=shop.seed(shop.admin)),
            400,
            "field_not_editable",
        )
        b.assert_error(
            await h.client.patch(path, json={"status": "Overdue"}, headers=shop.seed(shop.admin)),
            400,
            "status_not_settable",
        )
        b.assert_error(
            await h.client.patch(path, json={"amount": 5}, headers=shop.seed(shop.admin)), 409, "invalid_transition"
        )

        paid = await h.client.patch(path, json={"status": "Paid"}, headers=shop.seed(shop.admin))
        data = b.assert_envelope(paid, 200, "Invoice updated successfully")
        assert data["status"] == "Paid"
        assert data["balance"] == 0
        b.assert_error(await h.client.patch(path, json={"status": "Pending"}, headers=shop.seed(shop.admin)), 409)
        b.assert_error(await h.client.patch(path, json={"status": "Paid"}, headers=shop.seed(shop.admin)), 409)


async def test_patch_changes_and_issues_a_draft(ready, b):
    async with ready() as (h, shop):
        appointment = await b.booked(h, shop)
        draft = await h.client.post(
            "/api/v1/invoices", json={"appointment_id": appointment["id"]}, headers=shop.admin.headers
        )
        assert draft.status_code == 201, draft.text
        path = f"/invoices/{draft.json()['id']}"
        changed = await h.client.patch(
            path, json={"amount": 80, "paymentType": "Cash", "dueDate": "2099-03-01"}, headers=shop.seed(shop.admin)
        )
        data = b.assert_envelope(changed)
        assert data["status"] == "Draft"
        assert data["amount"] == 80
        assert data["paymentType"] == "Cash"
        assert data["invoiceNo"] is None
        issued_now = await h.client.patch(path, json={"status": "Pending"}, headers=shop.seed(shop.admin))
        data = b.assert_envelope(issued_now)
        assert data["status"] == "Pending"
        assert data["invoiceNo"].startswith("INV-")
        assert data["dueDate"] == "2099-03-01T00:00:00.000Z"


async def test_delete_removes_drafts_and_voids_issued_invoices(ready, b):
    async with ready() as (h, shop):
        appointment, invoice = await issued(h, shop, b)
        b.assert_error(await h.client.delete(f"/invoices/{invoice['id']}", headers=shop.seed(shop.alice)), 403)
        voided = await h.client.delete(f"/invoices/{invoice['id']}", headers=shop.seed(shop.admin))
        data = b.assert_envelope(voided, 200)
        assert data["status"] == "Void"
        assert data["invoiceNo"] == invoice["invoiceNo"]
        # Voided, the appointment can be invoiced again (with the next number).
        again = await h.client.post(
            "/invoices", json=invoice_body(appointment, status="Paid"), headers=shop.seed(shop.admin)
        )
        paid = b.assert_envelope(again, 201)
        assert paid["invoiceNo"] != invoice["invoiceNo"]
        refused = await h.client.delete(f"/invoices/{paid['id']}", headers=shop.seed(shop.admin))
        b.assert_error(refused, 409, "invalid_transition")

        other = await b.booked(h, shop, shop.bob, when=b.day(4))
        draft = await h.client.post(
            "/api/v1/invoices", json={"appointment_id": other["id"]}, headers=shop.admin.headers
        )
        deleted = await h.client.delete(f"/invoices/{draft.json()['id']}", headers=shop.seed(shop.admin))
        assert b.assert_envelope(deleted, 200, "Invoice deleted successfully") == {
            "id": draft.json()["id"],
            "status": "Deleted",
        }
        b.assert_error(await h.client.delete(f"/invoices/{draft.json()['id']}", headers=shop.seed(shop.admin)), 404)


async def test_invoice_pdf(ready, b):
    async with ready() as (h, shop):
        _, invoice = await issued(h, shop, b)
        response = await h.client.get(f"/invoices/{invoice['id']}/pdf", headers=shop.seed(shop.alice))
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["content-disposition"] == f'attachment; filename="{invoice["invoiceNo"]}.pdf"'
        assert response.content.startswith(b"%PDF")
        b.assert_error(await h.client.get(f"/invoices/{invoice['id']}/pdf", headers=shop.seed(shop.bob)), 404)
