"""Links on upload: a document may be filed under its owner's own appointment; anyone else's
(or one that does not exist) is a 404 naming the field, before any file is stored."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

URL = "/api/v1/documents"


async def _appointment_of(h, shop, customer) -> str:
    service = await h.client.post(
        "/api/v1/services",
        json={"name": f"Review {uuid.uuid4().hex[:6]}", "price": "80.00", "duration_minutes": 30},
        headers=shop.admin.headers,
    )
    assert service.status_code == 201, service.text
    day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    body = {
        "service_id": service.json()["id"],
        "date": day,
        "start_time": "09:00",
        "end_time": "09:30",
        "duration_minutes": 30,
    }
    generated = await h.client.post("/api/v1/appointments/slots/generate-day", json=body, headers=shop.admin.headers)
    assert generated.status_code == 201, generated.text
    slots = await h.client.get(
        f"/api/v1/appointments/slots?service_id={body['service_id']}&date={day}", headers=customer.headers
    )
    booked = await h.client.post(
        "/api/v1/appointments",
        json={"slot_id": slots.json()[0]["id"], "meeting_type": "Virtual"},
        headers=customer.headers,
    )
    assert booked.status_code == 201, booked.text
    return str(booked.json()["id"])


async def test_a_customer_files_a_document_under_their_own_appointment(app, shop, samples):
    async with app() as h:
        appointment_id = await _appointment_of(h, shop, shop.alice)
        response = await h.client.post(
            URL,
            headers=shop.alice.headers,
            **samples.form(("notes.pdf", samples.pdf), type="Appointment", appointment_id=appointment_id),
        )
        assert response.status_code == 201, response.text
        assert response.json()["appointment_id"] == appointment_id
        listed = await h.client.get(f"{URL}?appointment_id={appointment_id}", headers=shop.alice.headers)
        assert [d["id"] for d in listed.json()["items"]] == [response.json()["id"]]


@pytest.mark.parametrize("whose", ["another customer's", "nobody's"])
async def test_a_link_to_an_appointment_that_is_not_yours_is_refused_before_storing(
    app, shop, samples, stored_keys, whose
):
    async with app() as h:
        target = await _appointment_of(h, shop, shop.alice) if whose != "nobody's" else str(uuid.uuid4())
        response = await h.client.post(
            URL,
            headers=shop.bob.headers,
            **samples.form(("notes.pdf", samples.pdf), type="Appointment", appointment_id=target),
        )
        assert response.status_code == 404, response.text
        problem = response.json()
        assert problem["code"] == "appointment_not_found"
        assert problem["errors"][0]["field"] == "body.appointment_id"
        assert await stored_keys(h, shop.org) == []
        mine = await h.client.get(URL, headers=shop.bob.headers)
        assert mine.json()["total"] == 0


async def test_an_invoice_link_needs_a_workspace_with_invoices(app, shop, samples, stored_keys):
    """This workspace has no invoices plugin: an ``invoice_id`` is a 422 naming the field, before
    anything is stored (ownership of real invoices: plugins/invoices/tests/test_links.py)."""
    async with app() as h:
        response = await h.client.post(
            URL,
            headers=shop.alice.headers,
            **samples.form(("bill.pdf", samples.pdf), type="Invoice", invoice_id=str(uuid.uuid4())),
        )
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "link_unavailable"
        assert response.json()["errors"][0]["field"] == "body.invoice_id"
        assert await stored_keys(h, shop.org) == []
