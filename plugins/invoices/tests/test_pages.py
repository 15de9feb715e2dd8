"""The invoices plugin's portal pages, without a browser: staff invoice an appointment (which
completes it), issue drafts and record payments with errors next to their fields; customers
see their own issued invoices and PDFs; other customers, other workspaces and forged forms
get nothing."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager

import httpx

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def browser(h, org) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=h.app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=f"http://{org.slug}.localhost")


@asynccontextmanager
async def signed_in(h, org, user):
    async with browser(h, org) as client:
        form = {"email": user.email, "password": user.password, "csrf_token": await token_of(client, "/login")}
        assert (await client.post("/login", data=form)).status_code == 303
        yield client


async def token_of(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return CSRF.search(page.text).group(1)


async def post(client, path: str, form: dict, *, page: str) -> httpx.Response:
    return await client.post(path, data=form | {"csrf_token": await token_of(client, page)})


async def test_staff_invoice_an_appointment_which_completes_it_and_the_customer_sees_it(invoices, shop):
    h = invoices.h
    booked = await invoices.appointment(shop, shop.alice, price="80.00")
    async with signed_in(h, shop.org, shop.admin) as admin:
        form_page = f"/invoices/new?appointment_id={booked['id']}"
        offered = await admin.get(form_page)
        missing = await post(admin, "/invoices/new", {"issue": "1"}, page=form_page)
        garbage = await post(admin, "/invoices/new", {"appointment_id": "nope", "issue": "1"}, page=form_page)
        created = await post(admin, "/invoices/new", {"appointment_id": booked["id"], "issue": "1"}, page=form_page)
        invoice_page = created.headers["location"]
        again = await post(admin, "/invoices/new", {"appointment_id": booked["id"], "issue": "1"}, page="/invoices/new")
        listed = await admin.get("/invoices?status=Pending")
        shown = await admin.get(invoice_page)
        too_much = await post(
            admin, f"{invoice_page}/payments", {"amount": "1000", "method": "Cash"}, page=invoice_page
        )
        not_money = await post(
            admin, f"{invoice_page}/payments", {"amount": "lots", "method": "Cash"}, page=invoice_page
        )
        part = await post(admin, f"{invoice_page}/payments", {"amount": "30", "method": "Cash"}, page=invoice_page)
        after = await admin.get(invoice_page)
    async with signed_in(h, shop.org, shop.alice) as alice:
        mine = await alice.get("/invoices")
        hers = await alice.get(invoice_page)
        document = await alice.get(f"{invoice_page}/pdf")
        pay_myself = await post(alice, f"{invoice_page}/payments", {"method": "Cash"}, page=invoice_page)
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
            issued = await post(admin, f"{page}/issue", {}, page=page)
            twice = await post(admin, f"{page}/issue", {}, page=page)
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
        elsewhere_pay = await post(stranger, f"{page}/payments", {"method": "Cash"}, page="/invoices")
    async with signed_in(h, shop.org, shop.admin) as admin:
        forged = await admin.post(f"{page}/payments", data={"method": "Cash"})
    still = await h.client.get(f"/api/v1/invoices/{invoice['id']}", headers=shop.admin.headers)
    assert (foreign.status_code, foreign_pdf.status_code, staff_form.status_code) == (404, 404, 403)
    assert invoice["number"] not in listing.text
    assert (elsewhere.status_code, elsewhere_pay.status_code) == (404, 404)
    assert forged.status_code == 403
    assert still.json()["payments"] == []
