"""The invoices plugin's portal pages, without a browser: staff invoice an appointment (which
completes it), issue drafts and record payments with errors next to their fields; customers
see their own issued invoices and PDFs; other customers, other workspaces and forged forms
get nothing."""

from __future__ import annotations

import re

from marcus.testing import signed_in


async def test_staff_invoice_an_appointment_which_completes_it_and_the_customer_sees_it(invoices, shop):
    h = invoices.h
    booked = await invoices.appointment(shop, shop.alice, price="80.00")
    async with signed_in(h, shop.org, shop.admin) as admin:
        form_page = f"/invoices/new?appointment_id={booked['id']}"
        offered = await admin.get(form_page)
        missing = await admin.submit("/invoices/new", {"issue": "1"}, page=form_page)
        garbage = await admin.submit("/invoices/new", {"appointment_id": "nope", "issue": "1"}, page=form_page)
        created = await admin.submit("/invoices/new", {"appointment_id": booked["id"], "issue": "1"}, page=form_page)
        invoice_page = created.headers["location"]
        again = await admin.submit(
            "/invoices/new", {"appointment_id": booked["id"], "issue": "1"}, page="/invoices/new"
        )
        listed = await admin.get("/invoices?status=Pending")
        shown = await admin.get(invoice_page)
        too_much = await admin.submit(
            f"{invoice_page}/payments", {"amount": "1000", "method": "Cash"}, page=invoice_page
        )
        not_money = await admin.submit(
            f"{invoice_page}/payments", {"amount": "lots", "method": "Cash"}, page=invoice_page
        )
        part = await admin.submit(f"{invoice_page}/payments", {"amount": "30", "method": "Cash"}, page=invoice_page)
        after = await admin.get(invoice_page)
    async with signed_in(h, shop.org, shop.alice) as alice:
        mine = await alice.get("/invoices")
        hers = await alice.get(invoice_page)
        document = await alice.get(f"{invoice_page}/pdf")
        pay_myself = await alice.submit(f"{invoice_page}/payments", {"method": "Cash"}, page=invoice_page)
    appointment = await h.client.get(f"/api/v1/appointments/{booked['id']}", headers=shop.admin.headers)
    assert booked["number"] in offered.text
    assert missing.status_code == 422
    assert 'id="f-appointment_id-error"' in missing.text
    assert garbage.status_code == 422
    assert 'id="f-appointment_id-error"' in garbage.text
    assert created.status_code == 303
    assert again.status_code == 409
    assert "already invoiced" in again.text
    assert "f-appointment_id-error" in again.text
    number = re.search(r"INV-\d{4}-\d+", shown.text).group(0)
    assert number in listed.text
    assert "80.00" in shown.text
    assert too_much.status_code == 422
    assert 'id="f-amount-error"' in too_much.text
    assert not_money.status_code == 422
    assert 'id="f-amount-error"' in not_money.text
    assert part.status_code == 303
    assert "PartiallyPaid" in after.text
    assert re.search(r'id="invoice-balance">50.00<', after.text)
    assert appointment.json()["status"] == "Completed"
    assert number in mine.text
    assert hers.status_code == 200
    assert "Record a payment" not in hers.text
    assert document.headers["content-type"] == "application/pdf"
    assert document.content.startswith(b"%PDF")
    assert pay_myself.status_code == 403


async def test_a_draft_is_hidden_from_the_customer_until_staff_issue_it(invoices, shop):
    h = invoices.h
    draft = await invoices.create(shop.admin, shop.alice)
    page = f"/invoices/{draft['id']}"
    async with signed_in(h, shop.org, shop.alice) as alice:
        hidden = await alice.get(page)
        async with signed_in(h, shop.org, shop.admin) as admin:
            issued = await admin.submit(f"{page}/issue", {}, page=page)
            twice = await admin.submit(f"{page}/issue", {}, page=page)
        visible = await alice.get(page)
    assert hidden.status_code == 404
    assert issued.status_code == 303
    assert twice.status_code == 409
    assert "cannot be issued" in twice.text
    assert visible.status_code == 200
    assert "Pending" in visible.text


async def test_other_customers_workspaces_and_forged_forms_get_nothing(invoices, shop, make_shop):
    h = invoices.h
    other = await make_shop()
    invoice = await invoices.issued(shop, shop.alice)
    page = f"/invoices/{invoice['id']}"
    async with signed_in(h, shop.org, shop.bob) as bob:
        foreign = await bob.get(page)
        foreign_pdf = await bob.get(f"{page}/pdf")
        listing = await bob.get("/invoices")
        staff_form = await bob.get("/invoices/new")
    async with signed_in(h, other.org, other.admin) as stranger:
        elsewhere = await stranger.get(page)
        elsewhere_pay = await stranger.submit(f"{page}/payments", {"method": "Cash"}, page="/invoices")
    async with signed_in(h, shop.org, shop.admin) as admin:
        forged = await admin.post(f"{page}/payments", data={"method": "Cash"})
    still = await h.client.get(f"/api/v1/invoices/{invoice['id']}", headers=shop.admin.headers)
    assert (foreign.status_code, foreign_pdf.status_code, staff_form.status_code) == (404, 404, 403)
    assert invoice["number"] not in listing.text
    assert (elsewhere.status_code, elsewhere_pay.status_code) == (404, 404)
    assert forged.status_code == 403
    assert still.json()["payments"] == []
