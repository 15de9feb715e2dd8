"""Invoices and the plugins they depend on: an invoice for an appointment (its customer, a
line from the service's price, one live invoice per appointment, issuing completes it), and
an issued invoice's PDF filed as one of the customer's documents."""

from __future__ import annotations

import asyncio
import uuid

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


async def test_an_appointment_invoice_starts_from_the_service_price(invoices, shop):
    appointment = await invoices.appointment(shop, shop.alice, price="150.00")
    draft = await invoices.create(shop.admin, appointment_id=appointment["id"], lines=None)
    assert draft["customer"]["id"] == str(shop.alice.id)
    assert draft["appointment_id"] == appointment["id"]
    assert [
        (x["description"].split(" - ")[0], x["quantity"], x["unit_price"], x["tax_rate"]) for x in draft["lines"]
    ] == [(appointment["service_name"], "1", "150.00", "0")]
    assert appointment["number"] in draft["lines"][0]["description"]
    assert draft["total"] == "150.00"
    listed = await invoices.client.get(f"{invoices.API}?appointment_id={appointment['id']}", headers=shop.admin.headers)
    assert [i["id"] for i in listed.json()["items"]] == [draft["id"]]


async def test_the_default_tax_rate_applies_to_pre_filled_lines(invoices, make_shop):
    shop = await make_shop(default_tax_rate="19")
    appointment = await invoices.appointment(shop, shop.bob, price="100.00")
    draft = await invoices.create(shop.admin, appointment_id=appointment["id"], lines=None)
    assert (draft["lines"][0]["tax_rate"], draft["total"]) == ("19", "119.00")


async def test_one_live_invoice_per_appointment_even_when_racing(cached_invoices, shop):
    invoices = cached_invoices
    appointment = await invoices.appointment(shop, shop.alice)
    body = {"appointment_id": appointment["id"]}
    responses = await asyncio.gather(
        *(invoices.client.post(invoices.API, json=body, headers=shop.admin.headers) for _ in range(5))
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409, 409]
    refused = next(r for r in responses if r.status_code == 409).json()
    assert (refused["code"], refused["errors"][0]["field"]) == ("appointment_already_invoiced", "appointment_id")
    created = next(r for r in responses if r.status_code == 201).json()
    issued = await invoices.post(shop.admin, f"/{created['id']}/issue")
    assert (await invoices.post(shop.admin, f"/{created['id']}/void", {"reason": "wrong price"})).status_code == 200
    corrected = await invoices.create(shop.admin, appointment_id=appointment["id"], lines=None, issue=True)
    assert corrected["status"] == "Pending"  # a voided invoice no longer counts
    assert corrected["number"] != issued.json()["number"]


async def test_issuing_completes_the_appointment_with_an_event(invoices, shop):
    appointment = await invoices.appointment(shop, shop.alice)
    draft = await invoices.create(shop.admin, appointment_id=appointment["id"], lines=None)
    before = await invoices.client.get(f"/api/v1/appointments/{appointment['id']}", headers=shop.admin.headers)
    assert before.json()["status"] == "Upcoming"  # a draft does not complete anything
    issued = await invoices.post(shop.admin, f"/{draft['id']}/issue")
    assert issued.status_code == 200, issued.text
    after = await invoices.client.get(f"/api/v1/appointments/{appointment['id']}", headers=shop.admin.headers)
    assert after.json()["status"] == "Completed"
    completed = await invoices.events(shop, "appointments.completed")
    assert [(e["appointment_id"], e["invoice_id"]) for e in completed] == [(appointment["id"], draft["id"])]
    stored = await invoices.sql(shop, "SELECT invoice_id FROM appointments WHERE id = :id", id=appointment["id"])
    assert str(stored[0][0]) == draft["id"]


async def test_appointment_rules(invoices, shop, make_shop):
    missing = await invoices.client.post(
        invoices.API, json={"appointment_id": str(shop.org.id)}, headers=shop.admin.headers
    )
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["field"] == "appointment_id"
    appointment = await invoices.appointment(shop, shop.alice)
    wrong = await invoices.client.post(
        invoices.API,
        json={"appointment_id": appointment["id"], "customer_id": str(shop.bob.id)},
        headers=shop.admin.headers,
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "customer_id"
    other = await make_shop()
    elsewhere = await invoices.client.post(
        invoices.API, json={"appointment_id": appointment["id"]}, headers=other.admin.headers
    )
    assert elsewhere.status_code == 404
    await invoices.client.post(f"/api/v1/appointments/{appointment['id']}/cancel", json={}, headers=shop.admin.headers)
    cancelled = await invoices.client.post(
        invoices.API, json={"appointment_id": appointment["id"]}, headers=shop.admin.headers
    )
    assert cancelled.status_code == 409
    assert "Cancelled" in cancelled.json()["detail"]


async def test_an_issued_invoice_is_filed_as_the_customers_document(invoices, shop):
    draft = await invoices.create(shop.admin, shop.alice)
    refused = await invoices.post(shop.admin, f"/{draft['id']}/document")
    assert refused.status_code == 409
    number = (await invoices.post(shop.admin, f"/{draft['id']}/issue")).json()["number"]
    filed = await invoices.post(shop.admin, f"/{draft['id']}/document")
    assert filed.status_code == 201, filed.text
    document_id = filed.json()["document_id"]

    mine = await invoices.client.get(f"/api/v1/documents?invoice_id={draft['id']}", headers=shop.alice.headers)
    assert mine.status_code == 200, mine.text
    [document] = mine.json()["items"]
    assert (document["id"], document["type"], document["name"]) == (document_id, "Invoice", f"Invoice {number}")
    assert (await invoices.client.get(f"/api/v1/documents/{document_id}", headers=shop.bob.headers)).status_code == 404
    keys = await invoices.h.kernel.storage.list_keys(f"org/{shop.org.id}/documents/")
    assert len(keys) == 1
    assert keys[0].endswith(".pdf")
    download = await invoices.h.kernel.storage.open(keys[0])
    content = b"".join([chunk async for chunk in download.chunks])
    assert content.startswith(b"%PDF")
    await invoices.deliver()
    notes = await invoices.client.get("/api/v1/notifications?event=invoices.attached", headers=shop.alice.headers)
    assert [n["message"] for n in notes.json()["items"]] == [f"Invoice {number} is available in your documents."]


async def test_a_customer_files_a_document_under_their_own_issued_invoice_only(invoices, shop):
    """The documents upload's ``invoice_id``: the owner's issued invoice links; a draft, another
    customer's invoice or an unknown id is a 404 naming the field, and nothing is stored."""
    issued = await invoices.issued(shop, shop.alice)
    draft = await invoices.create(shop.admin, shop.alice)
    others = await invoices.issued(shop, shop.bob)

    async def upload(invoice_id: str):
        return await invoices.client.post(
            "/api/v1/documents",
            headers=shop.alice.headers,
            data={"type": "Invoice", "invoice_id": invoice_id},
            files=[("files", ("receipt.pdf", PDF, "application/octet-stream"))],
        )

    linked = await upload(issued["id"])
    assert linked.status_code == 201, linked.text
    assert linked.json()["invoice_id"] == issued["id"]
    for refused in (draft["id"], others["id"], str(uuid.uuid4())):
        response = await upload(refused)
        assert response.status_code == 404, response.text
        assert response.json()["errors"][0]["field"] == "body.invoice_id"
    listed = await invoices.client.get("/api/v1/documents", headers=shop.alice.headers)
    assert listed.json()["total"] == 1
