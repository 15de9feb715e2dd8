"""The invoices portal's staff actions beyond issuing and payments, without a browser: voiding
an issued invoice (with a reason), deleting a draft after a confirmation page, editing a
draft's lines, due date and notes, and exporting the list as CSV with its filters. Errors show
next to their fields and change nothing; customers and staff without the permission are
refused; another workspace's invoices are not found."""

from __future__ import annotations

import csv
import html
import io
import re

from marcus_invoices import export

from marcus.testing import signed_in


async def read(invoices, shop, invoice_id: str) -> dict:
    """The invoice as the API shows it to the shop's admin (its ``status_code`` under ``_status``)."""
    response = await invoices.client.get(f"{invoices.API}/{invoice_id}", headers=shop.admin.headers)
    return response.json() | {"_status": response.status_code}


async def test_staff_void_an_issued_invoice_with_a_reason_and_customers_cannot(invoices, shop):
    h = invoices.h
    invoice = await invoices.issued(shop)
    partly = await invoices.issued(shop, shop.bob)
    await invoices.post(shop.admin, f"/{partly['id']}/payments", {"amount": "10"})
    page, partly_page = f"/invoices/{invoice['id']}", f"/invoices/{partly['id']}"
    async with signed_in(h, shop.org, shop.alice) as alice:
        hers = await alice.get(page)
        alice_void = await alice.submit(f"{page}/void", {"reason": "Not paying"}, page=page)
    async with signed_in(h, shop.org, shop.staff) as stan:
        seen_by_staff = await stan.get(page)
        staff_void = await stan.submit(f"{page}/void", {}, page=page)
    async with signed_in(h, shop.org, shop.admin) as admin:
        offered = await admin.get(page)
        too_long = await admin.submit(f"{page}/void", {"reason": "x" * 501}, page=page)
        after_refusals = await read(invoices, shop, invoice["id"])
        voided = await admin.submit(f"{page}/void", {"reason": "Billed twice"}, page=page)
        shown = await admin.get(voided.headers["location"])
        twice = await admin.submit(f"{page}/void", {}, page=page)
        not_offered = await admin.get(partly_page)
        paid_some = await admin.submit(f"{partly_page}/void", {}, page=partly_page)
    assert hers.status_code == 200
    assert "Void the invoice" not in hers.text
    assert alice_void.status_code == 403
    assert seen_by_staff.status_code == 200
    assert "Void the invoice" not in seen_by_staff.text
    assert staff_void.status_code == 403
    assert f'action="/invoices/{invoice["id"]}/void"' in offered.text
    assert '<label for="f-reason">Reason (optional)</label>' in offered.text
    assert too_long.status_code == 422
    assert 'id="f-reason-error"' in too_long.text
    assert 'aria-describedby="f-reason-hint f-reason-error"' in too_long.text
    assert after_refusals["status"] == "Pending"
    assert voided.status_code == 303
    assert f"Invoice {invoice['number']} is void." in shown.text
    assert 'id="invoice-status">Void<' in shown.text
    assert "Voided: Billed twice" in shown.text
    assert "Void the invoice" not in shown.text
    assert twice.status_code == 409
    assert "cannot be voided" in twice.text
    assert "Void the invoice" not in not_offered.text
    assert paid_some.status_code == 409
    assert "with payments recorded cannot be voided" in paid_some.text
    stored = await read(invoices, shop, invoice["id"])
    assert (stored["status"], stored["void_reason"]) == ("Void", "Billed twice")
    assert (await read(invoices, shop, partly["id"]))["status"] == "PartiallyPaid"
    assert [e["invoice_id"] for e in await invoices.events(shop, "invoices.voided")] == [invoice["id"]]


async def test_staff_delete_a_draft_after_a_confirmation_page_and_issued_ones_are_refused(invoices, shop):
    h = invoices.h
    draft = await invoices.create(shop.admin, shop.alice)
    issued = await invoices.issued(shop)
    page, issued_page = f"/invoices/{draft['id']}", f"/invoices/{issued['id']}"
    async with signed_in(h, shop.org, shop.alice) as alice:
        hers = await alice.get(issued_page)
        alice_ask = await alice.get(f"{page}/delete")
        alice_draft = await alice.submit(f"{page}/delete", {}, page="/invoices")
        alice_issued = await alice.submit(f"{issued_page}/delete", {}, page=issued_page)
    async with signed_in(h, shop.org, shop.staff) as stan:
        staff_delete = await stan.submit(f"{page}/delete", {}, page=page)
    async with signed_in(h, shop.org, shop.admin) as admin:
        detail = await admin.get(page)
        confirm = await admin.get(f"{page}/delete")
        deleted = await admin.submit(f"{page}/delete", {}, page=f"{page}/delete")
        listing = await admin.get(deleted.headers["location"])
        gone = await admin.get(page)
        ask_issued = await admin.get(f"{issued_page}/delete")
        refused = await admin.submit(f"{issued_page}/delete", {}, page=issued_page)
    assert "Delete the draft" not in hers.text
    assert (alice_ask.status_code, alice_draft.status_code, alice_issued.status_code) == (403, 403, 403)
    assert staff_delete.status_code == 403
    assert f'href="/invoices/{draft["id"]}/delete"' in detail.text
    assert confirm.status_code == 200
    assert "<h1>Delete the draft invoice?</h1>" in confirm.text
    assert f'<form method="post" action="/invoices/{draft["id"]}/delete"' in confirm.text
    assert '<button type="submit" class="button button-danger">Delete the draft</button>' in confirm.text
    assert (deleted.status_code, deleted.headers["location"]) == (303, "/invoices")
    assert "The draft invoice is deleted." in listing.text
    assert draft["id"] not in listing.text
    assert gone.status_code == 404
    assert (await read(invoices, shop, draft["id"]))["_status"] == 404
    assert [e["invoice_id"] for e in await invoices.events(shop, "invoices.draft_deleted")] == [draft["id"]]
    for answer in (ask_issued, refused):
        assert answer.status_code == 409
        assert "cannot be deleted: only drafts can" in answer.text
        assert f"<h1>Invoice {issued['number']}</h1>" in answer.text
    assert (await read(invoices, shop, issued["id"]))["status"] == "Pending"


LINES = {
    "lines.0.description": "Consulting",
    "lines.0.quantity": "2",
    "lines.0.unit_price": "50",
    "lines.0.tax_rate": "20",
    "lines.1.description": "",
    "lines.1.quantity": "",
    "lines.1.unit_price": "",
    "lines.1.tax_rate": "",
    "lines.2.description": "Travel",
    "lines.2.quantity": "",
    "lines.2.unit_price": "10.5",
    "lines.2.tax_rate": "",
}


async def test_staff_edit_a_draft_with_errors_next_to_the_fields(invoices, shop):
    h = invoices.h
    draft = await invoices.create(shop.admin, shop.alice, notes="Old note")
    later = await invoices.create(shop.admin, shop.bob, issue_date="2030-06-01")
    issued = await invoices.issued(shop)
    page, edit = f"/invoices/{draft['id']}", f"/invoices/{draft['id']}/edit"
    before = await read(invoices, shop, draft["id"])
    async with signed_in(h, shop.org, shop.alice) as alice:
        alice_form = await alice.get(f"/invoices/{issued['id']}/edit")
        alice_save = await alice.submit(f"/invoices/{issued['id']}/edit", LINES, page=f"/invoices/{issued['id']}")
    async with signed_in(h, shop.org, shop.staff) as stan:
        staff_form = await stan.get(edit)
    async with signed_in(h, shop.org, shop.admin) as admin:
        detail = await admin.get(page)
        form = await admin.get(edit)
        bad_price = await admin.submit(edit, LINES | {"lines.2.unit_price": "cheap"}, page=edit)
        no_description = await admin.submit(edit, LINES | {"lines.2.description": ""}, page=edit)
        bad_date = await admin.submit(edit, LINES | {"due_date": "someday"}, page=edit)
        after_refusals = await read(invoices, shop, draft["id"])
        saved = await admin.submit(edit, LINES | {"due_date": "2030-01-31", "notes": ""}, page=edit)
        shown = await admin.get(saved.headers["location"])
        later_edit = f"/invoices/{later['id']}/edit"
        before_issue = await admin.submit(later_edit, LINES | {"due_date": "2030-01-31"}, page=later_edit)
        frozen_form = await admin.get(f"/invoices/{issued['id']}/edit")
        frozen = await admin.submit(f"/invoices/{issued['id']}/edit", LINES, page=f"/invoices/{issued['id']}")
    assert (alice_form.status_code, alice_save.status_code, staff_form.status_code) == (403, 403, 403)
    assert f'href="{edit}"' in detail.text
    assert form.status_code == 200
    assert "<h1>Edit the draft invoice</h1>" in form.text
    assert 'id="f-lines-0-unit_price" name="lines.0.unit_price" type="text" value="33.33"' in form.text
    assert 'id="f-lines-2-description"' in form.text  # two empty rows for new lines
    assert 'id="f-lines-3-description"' not in form.text
    assert ">Old note</textarea>" in form.text
    assert bad_price.status_code == 422
    assert 'id="f-lines-2-unit_price-error"' in bad_price.text
    assert 'value="cheap"' in bad_price.text
    assert no_description.status_code == 422
    assert '<p class="field-error" id="f-lines-2-description-error">This field is required.</p>' in no_description.text
    assert bad_date.status_code == 422
    assert 'id="f-due_date-error"' in bad_date.text
    assert after_refusals == before
    assert (saved.status_code, saved.headers["location"]) == (303, page)
    assert "The draft invoice is saved." in shown.text
    assert "Travel" in shown.text
    stored = await read(invoices, shop, draft["id"])
    assert [
        (line["description"], line["quantity"], line["unit_price"], line["tax_rate"]) for line in stored["lines"]
    ] == [
        ("Consulting", "2", "50.00", "20"),
        ("Travel", "1", "10.50", "0"),
    ]
    assert (stored["subtotal"], stored["tax_total"], stored["total"]) == ("110.50", "20.00", "130.50")
    assert (stored["due_date"], stored["notes"], stored["status"]) == ("2030-01-31", "", "Draft")
    assert before_issue.status_code == 422
    assert "due_date may not be before issue_date." in before_issue.text
    assert 'id="f-due_date-error"' in before_issue.text
    unchanged = await read(invoices, shop, later["id"])
    assert (unchanged["due_date"], [line["description"] for line in unchanged["lines"]]) == (None, ["Consulting"])
    for answer in (frozen_form, frozen):
        assert answer.status_code == 409
        assert "cannot be changed: only drafts can" in answer.text
        assert f"<h1>Invoice {issued['number']}</h1>" in answer.text
    assert (await read(invoices, shop, issued["id"]))["lines"] == issued["lines"]


def rows_of(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    reader = csv.DictReader(io.StringIO(response.text))
    rows = list(reader)
    assert tuple(reader.fieldnames or ()) == export.COLUMNS
    return rows


async def test_the_staff_list_exports_its_filtered_invoices_as_csv(invoices, shop, make_shop):
    h = invoices.h
    alices = await invoices.issued(shop)
    bobs = await invoices.issued(shop, shop.bob)
    bobs_draft = await invoices.create(shop.admin, shop.bob)
    other = await make_shop()
    elsewhere = await invoices.issued(other)
    async with signed_in(h, shop.org, shop.admin) as admin:
        listing = await admin.get("/invoices?status=Pending&search=Bob")
        link = html.unescape(re.search(r'id="export-csv" href="([^"]+)"', listing.text).group(1))
        filtered = await admin.get(link)
        everything = await admin.get("/invoices/export.csv")
    async with signed_in(h, shop.org, shop.staff) as stan:
        staff_list = await stan.get("/invoices")
        staff_csv = await stan.get("/invoices/export.csv")
    async with signed_in(h, shop.org, shop.alice) as alice:
        alice_list = await alice.get("/invoices")
        alice_csv = await alice.get("/invoices/export.csv")
    assert link == "/invoices/export.csv?status=Pending&search=Bob"
    assert filtered.headers["content-disposition"] == f'attachment; filename="invoices-{shop.org.slug}.csv"'
    only_bobs = rows_of(filtered)
    assert [(r["invoice_id"], r["number"], r["customer_name"]) for r in only_bobs] == [
        (bobs["id"], bobs["number"], "Bob Example")
    ]
    assert [r["invoice_id"] for r in rows_of(everything)] == [bobs_draft["id"], bobs["id"], alices["id"]]
    assert elsewhere["id"] not in everything.text
    assert 'id="export-csv"' not in staff_list.text
    assert staff_csv.status_code == 403
    assert 'id="export-csv"' not in alice_list.text
    assert alice_csv.status_code == 403


async def test_another_workspaces_invoice_ids_are_not_found(invoices, shop, make_shop):
    h = invoices.h
    other = await make_shop()
    draft = await invoices.create(shop.admin, shop.alice)
    issued = await invoices.issued(shop)
    before = await read(invoices, shop, draft["id"])
    changes = {"lines.0.description": "Taken over", "lines.0.unit_price": "1"}
    async with signed_in(h, other.org, other.admin) as stranger:
        answers = [
            await stranger.get(f"/invoices/{draft['id']}/edit"),
            await stranger.submit(f"/invoices/{draft['id']}/edit", changes, page="/invoices"),
            await stranger.get(f"/invoices/{draft['id']}/delete"),
            await stranger.submit(f"/invoices/{draft['id']}/delete", {}, page="/invoices"),
            await stranger.submit(f"/invoices/{issued['id']}/void", {}, page="/invoices"),
        ]
        exported = await stranger.get("/invoices/export.csv")
    assert [answer.status_code for answer in answers] == [404] * 5
    assert rows_of(exported) == []
    assert await read(invoices, shop, draft["id"]) == before
    assert (await read(invoices, shop, issued["id"]))["status"] == "Pending"
