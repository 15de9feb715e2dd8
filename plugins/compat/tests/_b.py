"""Helpers of the schedule, appointment, document and invoice compat tests (the ``b`` fixture):
a service named as the seed's, a day of slots generated through the seed's route, a booking."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

SEED_NAME = "SAP_CONSULTING_SESSION"


def day(days_ahead: int = 3) -> str:
    """A day ``days_ahead`` from today (UTC), as ``YYYY-MM-DD``."""
    return (datetime.now(UTC) + timedelta(days=days_ahead)).date().isoformat()


def yesterday() -> str:
    return (date.today() - timedelta(days=2)).isoformat()


async def add_service(h, shop, name: str = "SAP Consulting Session") -> dict[str, Any]:
    """A bookable service through ``/api/v1``; its seed name is its slug in upper snake case."""
    body = {"name": name, "price": "150.00", "duration_minutes": 30}
    response = await h.client.post("/api/v1/services", json=body, headers=shop.admin.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def slots_of(h, shop, *, when: str, service: str = SEED_NAME, count: int = 4) -> list[dict[str, Any]]:
    """Generate ``count`` 30-minute slots from 09:00 on ``when`` and list them (seed routes)."""
    end = 9 * 60 + 30 * count
    body = {
        "serviceName": service,
        "date": when,
        "startTime": "09:00",
        "endTime": f"{end // 60:02d}:{end % 60:02d}",
        "durationMin": 30,
    }
    made = await h.client.post("/schedule/generate", json=body, headers=shop.seed(shop.admin))
    assert made.status_code == 201, made.text
    listed = await h.client.get(f"/schedule/slots?serviceName={service}&date={when}", headers=shop.seed(shop.alice))
    assert listed.status_code == 200, listed.text
    return listed.json()["data"]


async def book(h, shop, user, slot_id: str, **fields: Any):
    body = {"serviceName": SEED_NAME, "slotId": slot_id, "meetingType": "Virtual"} | fields
    return await h.client.post("/appointments", json=body, headers=shop.seed(user))


async def booked(h, shop, user=None, *, when: str | None = None) -> dict[str, Any]:
    """A service, a day of slots and ``user``'s (default Alice's) appointment of the first one."""
    await add_service(h, shop)
    slots = await slots_of(h, shop, when=when or day())
    response = await book(h, shop, user or shop.alice, slots[0]["id"])
    assert response.status_code == 201, response.text
    return response.json()["data"]


def assert_envelope(response, status: int = 200, message: str | None = None) -> Any:
    """The seed's success envelope; returns ``data``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is True
    assert isinstance(body["message"], str)
    assert body["message"]
    if message is not None:
        assert body["message"] == message
    return body.get("data")


def assert_error(response, status: int, code: str | None = None) -> dict[str, Any]:
    """The seed's error shape with ``status`` (and the Marcus ``code``)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["statusCode"] == status
    assert body["message"]
    if code is not None:
        assert body["code"] == code, body
    return body


async def past_slot(h, shop, *, service_id: str) -> str:
    """A free slot of ``service_id`` that started an hour ago (generation never makes one)."""
    import uuid

    from marcus_appointments.models import Slot

    start = datetime.now(UTC) - timedelta(hours=1)
    slot_id = uuid.uuid4()
    async with h.kernel.db.tenant_transaction(shop.org.id) as session:
        session.add(
            Slot(
                organization_id=shop.org.id,
                id=slot_id,
                service_id=uuid.UUID(service_id),
                starts_at=start,
                ends_at=start + timedelta(minutes=30),
                capacity=1,
                booked=0,
                enabled=True,
            )
        )
    return str(slot_id)
