"""The status machine: Draft -> Pending (issued) -> PartiallyPaid / Paid / Overdue / Void,
with payments and balance; illegal moves are 409 naming the current status; the seed's
notifications go to the customer."""

from __future__ import annotations

from datetime import date

import pytest


async def notifications(invoices, user, event: str) -> list[dict]:
    response = await invoices.client.get(f"/api/v1/notifications?event={event}", headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_issue_then_pay_in_two_parts(invoices, shop):
    draft = await invoices.create(shop.admin, shop.alice, payment_type="Cash", notes="Thanks!")
    assert (draft["status"], draft["number"], draft["issue_date"]) == ("Draft", None, None)

    issued = await invoices.client.post(f"{invoices.API}/{draft['id']}/issue", headers=shop.admin.headers)  # no body
    assert issued.status_code == 200, issued.text
    body = issued.json()
    year = date.today().year
    assert body["status"] == "Pending"
    assert body["number"] == f"INV-{year}-0001"
    assert body["issue_date"] == date.today().isoformat()
    assert body["due_date"] == date.fromordinal(date.today().toordinal() + 14).isoformat()
    assert body["balance"] == "118.99"

    part = await invoices.post(shop.admin, f"/{draft['id']}/payments", {"amount": "100.00", "method": "Cash"})
    assert part.status_code == 201, part.text
    assert (part.json()["status"], part.json()["amount_paid"], part.json()["balance"]) == (
        "PartiallyPaid",
        "100.00",
        "18.99",
    )

    rest = await invoices.post(
        shop.admin, f"/{draft['id']}/payments", {"method": "BankTransfer", "reference": "SEPA 42"}
    )
    assert rest.status_code == 201, rest.text
    paid = rest.json()
    assert (paid["status"], paid["amount_paid"], paid["balance"]) == ("Paid", "118.99", "0.00")
    assert [(p["amount"], p["method"], p["reference"]) for p in paid["payments"]] == [
        ("100.00", "Cash", ""),
        ("18.99", "BankTransfer", "SEPA 42"),
    ]
    assert paid["paid_at"] is not None

    await invoices.deliver()
    created = await notifications(invoices, shop.alice, "invoices.issued")
    assert [(n["title"], n["message"]) for n in created] == [("Invoice created", "A new invoice has been issued.")]
    assert created[0]["metadata"]["invoice_id"] == draft["id"]
    assert created[0]["metadata"]["status"] == "Pending"
    paid_notes = await notifications(invoices, shop.alice, "invoices.paid")
    assert [(n["title"], n["message"]) for n in paid_notes] == [
        ("Invoice paid", "Your invoice has been marked as paid.")
    ]
    assert await notifications(invoices, shop.bob, "invoices.issued") == []
    assert len(await invoices.events(shop, "invoices.payment_recorded")) == 2


async def test_overpayment_and_bad_amounts_are_422_naming_amount(invoices, shop):
    invoice = await invoices.issued(shop)
    for amount in ("118.999", "119.00", "0", "-5"):
        response = await invoices.post(shop.admin, f"/{invoice['id']}/payments", {"amount": amount})
        assert response.status_code == 422, (amount, response.text)
        assert any(e["field"].endswith("amount") for e in response.json()["errors"]), response.text
    future = await invoices.post(shop.admin, f"/{invoice['id']}/payments", {"paid_on": "2999-01-01"})
    assert future.status_code == 422
    assert future.json()["errors"][0]["field"] == "paid_on"
    bad_method = await invoices.post(shop.admin, f"/{invoice['id']}/payments", {"method": "Bitcoin"})
    assert bad_method.status_code == 422
    assert any(e["field"].endswith("method") for e in bad_method.json()["errors"])


@pytest.mark.parametrize(
    ("setup", "action", "body", "current"),
    [
        ([], "/payments", {"amount": "1"}, "Draft"),
        ([], "/void", None, "Draft"),
        (["/issue"], "/issue", None, "Pending"),
        (["/issue", "/payments"], "/payments", {"amount": "1"}, "Paid"),
        (["/issue", "/payments"], "/void", None, "Paid"),
        (["/issue", "/payments"], "/issue", None, "Paid"),
        (["/issue", "/void"], "/payments", {"amount": "1"}, "Void"),
        (["/issue", "/void"], "/issue", None, "Void"),
        (["/issue", "/void"], "/void", None, "Void"),
    ],
)
async def test_illegal_moves_are_409_naming_the_current_status(invoices, shop, setup, action, body, current):
    invoice = await invoices.create(shop.admin, shop.alice)
    for step in setup:
        assert (await invoices.post(shop.admin, f"/{invoice['id']}{step}")).status_code in (200, 201)
    response = await invoices.post(shop.admin, f"/{invoice['id']}{action}", body)
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["code"] == "invalid_transition"
    assert current in problem["detail"]
    assert problem["errors"][0]["current"] == current
    after = (await invoices.client.get(f"{invoices.API}/{invoice['id']}", headers=shop.admin.headers)).json()
    assert after["status"] == current


async def test_a_partly_paid_invoice_cannot_be_voided(invoices, shop):
    invoice = await invoices.issued(shop)
    await invoices.post(shop.admin, f"/{invoice['id']}/payments", {"amount": "10"})
    response = await invoices.post(shop.admin, f"/{invoice['id']}/void", {"reason": "typo"})
    assert response.status_code == 409
    assert "PartiallyPaid" in response.json()["detail"]


async def test_void_keeps_the_number_and_tells_the_customer(invoices, shop):
    first = await invoices.issued(shop)
    voided = await invoices.post(shop.admin, f"/{first['id']}/void", {"reason": "Wrong customer"})
    assert voided.status_code == 200, voided.text
    assert (voided.json()["status"], voided.json()["void_reason"], voided.json()["balance"]) == (
        "Void",
        "Wrong customer",
        "0.00",
    )
    second = await invoices.issued(shop)
    assert second["number"].endswith("-0002")  # the voided number stays used: no reuse, no gap
    await invoices.deliver()
    notes = await notifications(invoices, shop.alice, "invoices.voided")
    assert [n["message"] for n in notes] == [f"Your invoice {first['number']} has been cancelled."]


async def test_only_drafts_change_or_go_away(invoices, shop):
    draft = await invoices.create(shop.admin, shop.alice)
    lines = [{"description": "Workshop", "quantity": "2", "unit_price": "450", "tax_rate": "19"}]
    changed = await invoices.client.patch(
        f"{invoices.API}/{draft['id']}",
        json={"lines": lines, "customer_id": str(shop.bob.id), "due_date": "2099-01-31"},
        headers=shop.admin.headers,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["total"], changed.json()["customer"]["id"], changed.json()["due_date"]) == (
        "1071.00",
        str(shop.bob.id),
        "2099-01-31",
    )
    empty = await invoices.client.patch(f"{invoices.API}/{draft['id']}", json={}, headers=shop.admin.headers)
    assert empty.status_code == 422
    nobody = await invoices.client.patch(
        f"{invoices.API}/{draft['id']}", json={"customer_id": str(shop.org.id)}, headers=shop.admin.headers
    )
    assert nobody.status_code == 422
    assert nobody.json()["errors"][0]["field"] == "customer_id"

    issued = await invoices.post(shop.admin, f"/{draft['id']}/issue")
    assert issued.json()["due_date"] == "2099-01-31"
    frozen = await invoices.client.patch(
        f"{invoices.API}/{draft['id']}", json={"notes": "x"}, headers=shop.admin.headers
    )
    assert frozen.status_code == 409
    assert "Pending" in frozen.json()["detail"]
    assert (
        await invoices.client.delete(f"{invoices.API}/{draft['id']}", headers=shop.admin.headers)
    ).status_code == 409

    other = await invoices.create(shop.admin, shop.alice)
    assert (
        await invoices.client.delete(f"{invoices.API}/{other['id']}", headers=shop.admin.headers)
    ).status_code == 204
    assert (await invoices.client.get(f"{invoices.API}/{other['id']}", headers=shop.admin.headers)).status_code == 404


async def test_an_empty_draft_cannot_be_issued_and_dates_are_checked(invoices, shop):
    empty = await invoices.create(shop.admin, shop.alice, lines=[])
    response = await invoices.post(shop.admin, f"/{empty['id']}/issue")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "lines"
    draft = await invoices.create(shop.admin, shop.alice)
    backwards = await invoices.post(
        shop.admin, f"/{draft['id']}/issue", {"issue_date": "2026-03-10", "due_date": "2026-03-01"}
    )
    assert backwards.status_code == 422
    bad = await invoices.client.post(
        invoices.API, json={"customer_id": str(shop.alice.id), "due_date": "soon"}, headers=shop.admin.headers
    )
    assert bad.status_code == 422
    assert any(e["field"].endswith("due_date") for e in bad.json()["errors"])
    dated = await invoices.post(shop.admin, f"/{draft['id']}/issue", {"issue_date": "2026-03-10"})
    assert (dated.json()["issue_date"], dated.json()["due_date"]) == ("2026-03-10", "2026-03-24")
    assert dated.json()["number"] == "INV-2026-0001" or dated.json()["number"].startswith("INV-2026-")
