"""The documents plugin's portal pages, without a browser: a customer uploads (errors next to
the fields, wrong file types refused), sees the status and downloads through a signed link;
staff move documents through review; other customers, other workspaces and forged forms get
nothing."""

from __future__ import annotations

import re

import httpx

from marcus.testing import signed_in


async def upload(client, *files: tuple[str, bytes], **fields) -> httpx.Response:
    parts = [("files", (name, content, "application/octet-stream")) for name, content in files]
    empty = [("files", ("", b"", "application/octet-stream"))]
    return await client.submit("/documents", {"type": "Profile"} | fields, files=parts or empty)


async def test_a_customer_uploads_sees_the_status_and_downloads(app, shop, samples):
    async with app() as h, signed_in(h, shop.org, shop.alice) as alice:
        nothing = await upload(alice, name="Passport")
        wrong_kind = await upload(alice, ("passport.pdf", samples.pdf), type="Recipe")
        not_a_document = await upload(alice, ("virus.pdf", b"MZ\x90\x00" * 20))
        done = await upload(alice, ("passport.pdf", samples.pdf), name="Passport", tags="id, travel")
        page = done.headers["location"]
        shown = await alice.get(page)
        listed = await alice.get("/documents")
        file_link = re.search(r'href="(/documents/[0-9a-f-]{36}/files/[0-9a-f-]{36})"', shown.text).group(1)
        signed = await alice.get(file_link)
        content = await alice.get(signed.headers["location"])
    assert nothing.status_code == 422
    assert 'id="f-files-error"' in nothing.text
    assert 'value="Passport"' in nothing.text  # what was typed stays
    assert wrong_kind.status_code == 422
    assert 'id="f-type-error"' in wrong_kind.text
    assert not_a_document.status_code == 415
    assert 'id="f-files-error"' in not_a_document.text
    assert done.status_code == 303
    assert "Passport" in shown.text
    assert "Received" in shown.text
    assert "Passport" in listed.text
    assert signed.status_code == 303
    assert signed.headers["location"].startswith("/api/v1/files/")
    assert content.content == samples.pdf


async def test_staff_review_and_approve_customers_cannot(app, shop, samples):
    async with app() as h:
        async with signed_in(h, shop.org, shop.alice) as alice:
            page = (await upload(alice, ("report.pdf", samples.pdf), name="Report")).headers["location"]
            self_review = await alice.submit(f"{page}/status", {"status": "Approved"}, page=page)
        async with signed_in(h, shop.org, shop.staff) as staff:
            everything = await staff.get("/documents")
            skip = await staff.submit(f"{page}/status", {"status": "Approved"}, page=page)
            review = await staff.submit(f"{page}/status", {"status": "InReview"}, page=page)
            approve = await staff.submit(f"{page}/status", {"status": "Approved"}, page=page)
            nonsense = await staff.submit(f"{page}/status", {"status": "Burnt"}, page=page)
            approved = await staff.get("/documents?status=Approved")
        async with signed_in(h, shop.org, shop.alice) as alice:
            mine = await alice.get(page)
    assert self_review.status_code == 403
    assert "Report" in everything.text
    assert skip.status_code == 409
    assert "cannot move to Approved" in skip.text
    assert (review.status_code, approve.status_code) == (303, 303)
    assert nonsense.status_code == 422
    assert "Report" in approved.text
    assert re.search(r'id="document-status">Approved<', mine.text)


async def test_other_customers_workspaces_and_forged_forms_get_nothing(app, shop, make_shop, samples):
    other = await make_shop()
    async with app() as h:
        async with signed_in(h, shop.org, shop.alice) as alice:
            page = (await upload(alice, ("secret.pdf", samples.pdf), name="Secret")).headers["location"]
            file_link = re.search(
                r'href="(/documents/[0-9a-f-]{36}/files/[0-9a-f-]{36})"', (await alice.get(page)).text
            )
            forged = await alice.post("/documents", data={"type": "Profile"}, files=[("files", ("a.pdf", samples.pdf))])
        async with signed_in(h, shop.org, shop.bob) as bob:
            foreign = await bob.get(page)
            foreign_file = await bob.get(file_link.group(1))
            listing = await bob.get("/documents")
            delete = await bob.submit(f"{page}/delete", {}, page="/documents")
        async with signed_in(h, other.org, other.admin) as stranger:
            elsewhere = await stranger.get(page)
        kept = await h.client.get(f"/api/v1{page}", headers=shop.alice.headers)
    assert forged.status_code == 403
    assert (foreign.status_code, foreign_file.status_code, delete.status_code, elsewhere.status_code) == (
        404,
        404,
        404,
        404,
    )
    assert "Secret" not in listing.text
    assert kept.status_code == 200
