"""Exports: the branded PDF (rendered by poppler, text checked), the .ics of one appointment,
and the private calendar feed."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
    reason="pdftoppm / pdftotext (poppler-utils) are not installed: apt-get install poppler-utils",
)


@needs_poppler
async def test_the_pdf_renders_and_lists_the_callers_appointments(kit, ready, tmp_path: Path):
    async with ready("Europe/Berlin") as (h, shop):
        slots = await kit.make_slots(h, shop, count=3)
        mine = (await kit.book(h, shop.alice, slots[0]["id"], note="Bring the ledger")).json()
        theirs = (await kit.book(h, shop.bob, slots[1]["id"])).json()
        response = await h.client.get("/api/v1/appointments/export/pdf", headers=shop.alice.headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["content-disposition"] == f'attachment; filename="appointments-{shop.alice.id}.pdf"'
        text = _render(response.content, tmp_path / "alice")
        assert mine["number"] in text
        assert theirs["number"] not in text
        assert "Bring the ledger" in text
        assert shop.org.name in text
        local = datetime.fromisoformat(slots[0]["starts_at"]).astimezone(ZoneInfo("Europe/Berlin"))
        assert f"{local:%H:%M}" in text
        assert "Europe/Berlin" in text
        staff = await h.client.get("/api/v1/appointments/export/pdf", headers=shop.staff.headers)
        staff_text = _render(staff.content, tmp_path / "staff")
        assert mine["number"] in staff_text
        assert theirs["number"] in staff_text
        filtered = await h.client.get(
            f"/api/v1/appointments/export/pdf?customer_id={shop.bob.id}", headers=shop.staff.headers
        )
        assert mine["number"] not in _render(filtered.content, tmp_path / "bob")
        empty = await h.client.get("/api/v1/appointments/export/pdf", headers=shop.admin.headers | {})
        assert "Appointments" in _render(empty.content, tmp_path / "admin")
        refused = await h.client.get(
            f"/api/v1/appointments/export/pdf?customer_id={shop.bob.id}", headers=shop.alice.headers
        )
        assert refused.status_code == 403


@needs_poppler
async def test_an_empty_export_says_so(kit, ready, tmp_path: Path):
    async with ready() as (h, shop):
        response = await h.client.get("/api/v1/appointments/export/pdf", headers=shop.alice.headers)
        assert "No appointments found." in _render(response.content, tmp_path / "empty")


def _render(pdf: bytes, base: Path) -> str:
    """Render page 1 with pdftoppm (it must succeed) and return the text of every page."""
    source = base.with_suffix(".pdf")
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(source), str(base)], check=True, timeout=60
    )
    assert list(base.parent.glob(f"{base.name}*.png")), "pdftoppm produced no image"
    done = subprocess.run(
        ["pdftotext", "-layout", str(source), "-"], check=True, capture_output=True, text=True, timeout=60
    )
    return done.stdout


async def test_one_appointment_as_ics(kit, ready):
    async with ready("America/New_York") as (h, shop):
        slot = (await kit.make_slots(h, shop, count=1))[0]
        made = (await kit.book(h, shop.alice, slot["id"], note="Video link follows")).json()
        response = await h.client.get(f"/api/v1/appointments/{made['id']}/calendar.ics", headers=shop.alice.headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/calendar")
        calendar = Calendar.from_ical(response.content)
        events = list(calendar.walk("VEVENT"))
        assert len(events) == 1
        event = events[0]
        assert made["number"] in str(event["summary"])
        start = event.decoded("dtstart")
        assert start == datetime.fromisoformat(slot["starts_at"])
        assert str(start.tzinfo) == "America/New_York"
        assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
        assert (
            await h.client.get(f"/api/v1/appointments/{made['id']}/calendar.ics", headers=shop.bob.headers)
        ).status_code == 404


async def test_the_private_calendar_feed(kit, ready):
    async with ready() as (h, shop):
        slots = await kit.make_slots(h, shop)
        mine = (await kit.book(h, shop.alice, slots[0]["id"])).json()
        await kit.book(h, shop.bob, slots[1]["id"])
        created = await h.client.post("/api/v1/appointments/calendar-feed", headers=shop.alice.headers)
        assert created.status_code == 201
        url = created.json()["url"]
        assert url.startswith("http://localhost/api/v1/appointments/calendar/")
        assert url.endswith(".ics")
        feed = await h.client.get(url, headers=shop.tenant)  # no credentials: the token is the key
        assert feed.status_code == 200
        uids = [str(e["uid"]) for e in Calendar.from_ical(feed.content).walk("VEVENT")]
        assert uids == [f"{mine['id']}@marcus"]
        rotated = (await h.client.post("/api/v1/appointments/calendar-feed", headers=shop.alice.headers)).json()["url"]
        assert (await h.client.get(url, headers=shop.tenant)).status_code == 404
        assert (await h.client.get(rotated, headers=shop.tenant)).status_code == 200
        await h.client.delete("/api/v1/appointments/calendar-feed", headers=shop.alice.headers)
        assert (await h.client.get(rotated, headers=shop.tenant)).status_code == 404
