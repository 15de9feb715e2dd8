"""What the portal pages add to the appointments API's parity: date overrides on the staff's
schedule (closures and special days, their effect on the slots made, errors next to their
field), an appointment's files on its page (upload, signed download, removal; refused kinds
and sizes; other customers get 404) and the staff's no-show button."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text

import marcus
from marcus.testing import signed_in

SLOT = re.compile(r"data-slot-id=")
OVERRIDE_ID = re.compile(r'data-override-id="([0-9a-f-]{36})"')
FILE_LINK = re.compile(r'href="(/appointments/[0-9a-f-]{36}/attachments/[0-9a-f-]{36})"')
NO_FILE = [("files", ("", b"", "application/octet-stream"))]


def _override(shop, day: date, kind: str = "closed", **fields: str) -> dict[str, str]:
    values = {"override-day": day.isoformat(), "override-kind": kind} | {f"override-{k}": v for k, v in fields.items()}
    return {"service_id": shop.service_id} | values


async def _slots_on(client, page: str, day: date) -> int:
    return len(SLOT.findall((await client.get(f"{page}&day={day}")).text))


async def _generate(client, shop, page: str, first: date, last: date):
    span = {"service_id": shop.service_id, "range-from": str(first), "range-to": str(last)}
    return await client.submit("/appointments/schedule/generate", span, page=page)


async def test_closures_and_special_days_change_the_slots_made_until_removed(ready):
    async with ready() as (h, shop):
        page = f"/appointments/schedule?service_id={shop.service_id}"
        closed = datetime.now(UTC).date() + timedelta(days=2)
        partly, special = closed + timedelta(days=7), closed + timedelta(days=1)
        rule = {
            "service_id": shop.service_id,
            "rule-weekday": str(closed.weekday()),
            "rule-start_time": "09:00",
            "rule-end_time": "11:00",
            "rule-slot_minutes": "60",
            "rule-capacity": "1",
        }
        async with signed_in(h, shop.org, shop.admin) as admin:
            await admin.submit("/appointments/schedule/rules", rule, page=page)
            added = await admin.submit(
                "/appointments/schedule/overrides", _override(shop, closed, note="Public holiday"), page=page
            )
            await admin.submit(
                "/appointments/schedule/overrides",
                _override(shop, partly, start_time="09:00", end_time="10:00"),
                page=page,
            )
            await admin.submit(
                "/appointments/schedule/overrides",
                _override(shop, special, "open", start_time="14:00", end_time="16:00", slot_minutes="30"),
                page=page,
            )
            shown = await admin.get(page)
            made = await _generate(admin, shop, page, closed, partly)
            counts = [await _slots_on(admin, page, day) for day in (closed, partly, special)]
            first = OVERRIDE_ID.search(shown.text).group(1)  # ordered by day: the closed one
            removed = await admin.submit(
                f"/appointments/schedule/overrides/{first}/delete", {"service_id": shop.service_id}, page=page
            )
            await _generate(admin, shop, page, closed, closed)
            reopened = await _slots_on(admin, page, closed)
        left = await h.client.get(
            f"/api/v1/appointments/overrides?service_id={shop.service_id}", headers=shop.admin.headers
        )
    assert added.status_code == 303
    assert f"day={closed}" in added.headers["location"]
    assert "Public holiday" in shown.text
    assert "Closed all day" in shown.text
    assert "Closed 09:00\u201310:00" in shown.text
    assert "Open 14:00\u201316:00: 30 min slots" in shown.text
    assert made.status_code == 303
    assert counts == [0, 1, 4]  # closed, 10:00 left, the special day's own hours
    assert removed.status_code == 303
    assert reopened == 2
    assert [(o["day"], o["kind"]) for o in left.json()] == [(str(special), "open"), (str(partly), "closed")]


async def test_a_bad_override_is_shown_next_to_its_field_and_nothing_is_stored(ready):
    async with ready() as (h, shop):
        page = f"/appointments/schedule?service_id={shop.service_id}"
        day = datetime.now(UTC).date() + timedelta(days=3)
        async with signed_in(h, shop.org, shop.admin) as admin:
            no_day = await admin.submit(
                "/appointments/schedule/overrides", _override(shop, day) | {"override-day": "someday"}, page=page
            )
            too_short = await admin.submit(
                "/appointments/schedule/overrides",
                _override(shop, day, "open", start_time="09:00", end_time="10:00", slot_minutes="2"),
                page=page,
            )
            no_hours = await admin.submit("/appointments/schedule/overrides", _override(shop, day, "open"), page=page)
            backwards = await admin.submit(
                "/appointments/schedule/overrides",
                _override(shop, day, start_time="12:00", end_time="11:00"),
                page=page,
            )
        async with signed_in(h, shop.org, shop.alice) as alice:
            customer = await alice.post("/appointments/schedule/overrides", data=_override(shop, day))
        stored = await h.client.get("/api/v1/appointments/overrides", headers=shop.admin.headers)
    assert no_day.status_code == 422
    assert 'id="f-override-day-error"' in no_day.text
    assert too_short.status_code == 422
    assert 'id="f-override-slot_minutes-error"' in too_short.text
    assert 'name="override-slot_minutes" type="number" value="2"' in too_short.text  # what was typed stays
    assert no_hours.status_code == 422
    assert "an open day needs start_time, end_time and slot_minutes" in no_hours.text
    assert backwards.status_code == 422
    assert "end_time must be after start_time" in backwards.text
    assert customer.status_code == 403
    assert stored.json() == []


async def _upload(client, page: str, *files: tuple[str, bytes], on: str | None = None):
    parts = [("files", (name, content, "application/octet-stream")) for name, content in files]
    return await client.submit(f"{page}/attachments", {}, page=on or page, files=parts or NO_FILE)


async def test_the_customer_and_staff_attach_download_and_remove_files_others_get_404(ready, kit):
    async with ready() as (h, shop):
        slot = (await kit.make_slots(h, shop, count=1))[0]
        made = (await kit.book(h, shop.alice, slot["id"])).json()
        page = f"/appointments/{made['id']}"
        async with signed_in(h, shop.org, shop.alice) as alice:
            nothing = await _upload(alice, page)
            added = await _upload(alice, page, ("brief.pdf", kit.PDF), ("plan.png", kit.PNG))
            shown = await alice.get(page)
            links = FILE_LINK.findall(shown.text)
            signed = await alice.get(links[0])
            content = await alice.get(signed.headers["location"])
        async with signed_in(h, shop.org, shop.staff) as staff:
            by_staff = await _upload(staff, page, ("map.png", kit.PNG))
            staff_link = await staff.get(links[1])
        async with signed_in(h, shop.org, shop.bob) as bob:
            foreign_page = await bob.get(page)
            foreign_link = await bob.get(links[0])
            foreign_upload = await _upload(bob, page, ("x.pdf", kit.PDF), on="/appointments")
            foreign_delete = await bob.submit(f"{links[0]}/delete", {}, page="/appointments")
        async with signed_in(h, shop.org, shop.alice) as alice:
            removed = await alice.submit(f"{links[0]}/delete", {}, page=page)
            after = await alice.get(page)
        await kit.deliver(h)
        gone = await h.client.get(signed.headers["location"], headers=shop.tenant)
        listed = await h.client.get(f"/api/v1{page}/attachments", headers=shop.alice.headers)
    assert nothing.status_code == 422
    assert 'id="f-files-error"' in nothing.text
    assert added.status_code == 303
    assert "brief.pdf" in shown.text
    assert "plan.png" in shown.text
    assert len(links) == 2
    assert signed.status_code == 303
    assert signed.headers["location"].startswith("/api/v1/files/")
    assert content.content == kit.PDF
    assert by_staff.status_code == 303
    assert staff_link.status_code == 303
    assert (foreign_page.status_code, foreign_link.status_code) == (404, 404)
    assert (foreign_upload.status_code, foreign_delete.status_code) == (404, 404)
    assert removed.status_code == 303
    assert "brief.pdf" not in after.text
    assert "plan.png" in after.text
    assert gone.status_code == 404
    assert [a["name"] for a in listed.json()] == ["plan.png", "map.png"]


async def test_files_of_a_refused_kind_or_size_are_shown_as_errors_and_not_stored(ready, kit):
    async with ready(app_settings={"upload_max_bytes": 1024}) as (h, shop):
        slot = (await kit.make_slots(h, shop, count=1))[0]
        made = (await kit.book(h, shop.alice, slot["id"])).json()
        page = f"/appointments/{made['id']}"
        async with signed_in(h, shop.org, shop.alice) as alice:
            wrong_kind = await _upload(alice, page, ("virus.pdf", b"MZ\x90\x00" * 20))
            too_large = await _upload(alice, page, ("big.pdf", kit.PDF + b"%" * 2048))
        listed = await h.client.get(f"/api/v1{page}/attachments", headers=shop.alice.headers)
        stored = await marcus.TenantFiles(h.kernel.storage, org_id=shop.org.id, plugin="appointments").list_keys()
    assert wrong_kind.status_code == 415
    assert 'id="f-files-error"' in wrong_kind.text
    assert "This kind of file is not accepted here" in wrong_kind.text
    assert too_large.status_code == 413
    assert 'id="f-files-error"' in too_large.text
    assert "larger than 1 KiB" in too_large.text
    assert listed.json() == []
    assert stored == []


async def _started(database, shop, appointment_id: str) -> None:
    """Move an appointment to have begun an hour ago (bookings in the past are refused)."""
    async with database.db.tenant_transaction(shop.org.id) as session:
        await session.execute(
            text(
                "UPDATE appointments SET starts_at = now() - interval '1 hour', ends_at = now() - interval '30 minutes'"
                " WHERE organization_id = :org AND id = :id"
            ),
            {"org": shop.org.id, "id": appointment_id},
        )


async def test_staff_mark_a_no_show_once_it_started_customers_cannot(ready, kit, appointments_db):
    async with ready() as (h, shop):
        slot = (await kit.make_slots(h, shop, count=1))[0]
        made = (await kit.book(h, shop.alice, slot["id"])).json()
        page = f"/appointments/{made['id']}"
        async with signed_in(h, shop.org, shop.staff) as staff:
            offered = await staff.get(page)
            early = await staff.submit(f"{page}/no-show", {}, page=page)
        await _started(appointments_db, shop, made["id"])
        async with signed_in(h, shop.org, shop.alice) as alice:
            mine = await alice.get(page)
            refused = await alice.submit(f"{page}/no-show", {}, page=page)
        async with signed_in(h, shop.org, shop.staff) as staff:
            done = await staff.submit(f"{page}/no-show", {}, page=page)
            after = await staff.get(page)
        api = await h.client.get(f"/api/v1{page}", headers=shop.alice.headers)
    assert f'action="{page}/no-show"' in offered.text
    assert early.status_code == 409
    assert "only once it has started" in early.text
    assert f'action="{page}/no-show"' not in mine.text
    assert refused.status_code == 403
    assert done.status_code == 303
    assert f"{made['number']} is marked as a no-show" in after.text
    assert f'action="{page}/no-show"' not in after.text
    assert api.json()["status"] == "NoShow"
