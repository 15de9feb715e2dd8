"""Attachments in the kernel storage: checked uploads, links, removal after commit."""

from __future__ import annotations

import uuid

import pytest


async def test_attach_download_and_remove_files(kit, ready):
    async with ready() as (h, shop):
        slot = (await kit.make_slots(h, shop, count=1))[0]
        made = (await kit.book(h, shop.alice, slot["id"])).json()
        url = f"/api/v1/appointments/{made['id']}/attachments"
        files = [("files", ("brief.pdf", kit.PDF, "application/pdf")), ("files", ("plan.png", kit.PNG, "image/png"))]
        added = await h.client.post(url, files=files, headers=shop.alice.headers)
        assert added.status_code == 201, added.text
        listed = (await h.client.get(url, headers=shop.alice.headers)).json()
        assert [(a["name"], a["content_type"]) for a in listed] == [
            ("brief.pdf", "application/pdf"),
            ("plan.png", "image/png"),
        ]
        assert "key" not in listed[0]
        link = await h.client.get(f"{url}/{listed[0]['id']}/link", headers=shop.alice.headers)
        assert link.status_code == 200
        download = await h.client.get(link.json()["url"], headers=shop.tenant)
        assert download.status_code == 200
        assert download.content == kit.PDF
        assert (await h.client.get(url, headers=shop.bob.headers)).status_code == 404
        bad = await h.client.post(
            url,
            files=[("files", ("x.exe", b"MZ\x90\x00" * 10, "application/octet-stream"))],
            headers=shop.alice.headers,
        )
        assert (bad.status_code, bad.json()["errors"][0]["field"]) == (415, "body.files.0")
        removed = await h.client.delete(f"{url}/{listed[0]['id']}", headers=shop.alice.headers)
        assert [a["name"] for a in removed.json()["attachments"]] == ["plan.png"]
        await kit.deliver(h)
        gone = await h.client.get(link.json()["url"], headers=shop.tenant)
        assert gone.status_code == 404
        missing = await h.client.delete(f"{url}/{uuid.uuid4()}", headers=shop.alice.headers)
        assert missing.status_code == 404


async def test_booking_with_files_in_one_go_keeps_them_only_if_it_books(kit, ready, appointments_db):
    """The seed's multipart booking, as the compat plugin calls it."""
    import io

    from fastapi import UploadFile
    from marcus_appointments.attachments import book_with_files
    from marcus_appointments.booking import BookingRequest
    from marcus_appointments.settings import AppointmentsSettings

    import marcus

    async with ready() as (h, shop):
        slot = (await kit.make_slots(h, shop, count=1))[0]
        files = marcus.TenantFiles(
            h.kernel.storage,
            org_id=shop.org.id,
            plugin="appointments",
            limits=marcus.UploadLimits(max_bytes=1 << 20, types=frozenset({"application/pdf"})),
        )
        request = BookingRequest(
            customer_id=shop.alice.id, actor_id=shop.alice.id, slot_id=uuid.UUID(slot["id"]), meeting_type="Virtual"
        )
        upload = UploadFile(io.BytesIO(kit.PDF), filename="brief.pdf", size=len(kit.PDF))
        async with h.kernel.db.tenant_session(shop.org.id) as session:
            done = await book_with_files(
                session,
                h.kernel.events,
                files,
                org_id=shop.org.id,
                request=request,
                uploads=[upload],
                settings=AppointmentsSettings(),
            )
        assert [a["name"] for a in done.appointment.attachments] == ["brief.pdf"]
        assert len(await files.list_keys()) == 1
        upload = UploadFile(io.BytesIO(kit.PDF), filename="late.pdf", size=len(kit.PDF))
        other = BookingRequest(
            customer_id=shop.bob.id, actor_id=shop.bob.id, slot_id=uuid.UUID(slot["id"]), meeting_type="Virtual"
        )
        async with h.kernel.db.tenant_session(shop.org.id) as session:
            with pytest.raises(marcus.Conflict):
                await book_with_files(
                    session,
                    h.kernel.events,
                    files,
                    org_id=shop.org.id,
                    request=other,
                    uploads=[upload],
                    settings=AppointmentsSettings(),
                )
        assert len(await files.list_keys()) == 1  # the refused booking's file was removed
