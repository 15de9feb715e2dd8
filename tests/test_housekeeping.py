"""Housekeeping: delivered events and sent mail go after ``retention_days``, failed ones after
``failed_retention_days``, pending ones never; batches, several workers at once, the worker loop."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from marcus.events.outbox import DONE, FAILED, PENDING, EventDelivery, OutboxEvent
from marcus.housekeeping import Housekeeper, Pruned
from marcus.mail.models import MailMessage

NOW = datetime.now(UTC)
# (status, age in days) -> kept? with the defaults: 7 days for finished rows, 30 for failed ones
CASES = [
    (DONE, 8, False),
    (DONE, 6, True),
    (FAILED, 8, True),
    (FAILED, 31, False),
    (PENDING, 400, True),
]
MAIL_STATUS = {DONE: "sent", FAILED: "failed", PENDING: "pending"}


async def seed(database, org_id: uuid.UUID) -> dict[uuid.UUID, bool]:
    """Events (each with a delivery record) and messages of every case; returns id -> kept."""
    expected: dict[uuid.UUID, bool] = {}
    async with database.db.platform_session() as session, session.begin():
        for status, days, kept in CASES:
            when = NOW - timedelta(days=days)
            event = OutboxEvent(
                organization_id=org_id,
                name="test.happened",
                payload={},
                status=status,
                created_at=when,
                next_attempt_at=when,
                delivered_at=when if status == DONE else None,
            )
            mail = MailMessage(
                organization_id=org_id,
                recipient="ann@example.com",
                subject="s",
                body_text="t",
                body_html="<p>t</p>",
                template="t",
                status=MAIL_STATUS[status],
                created_at=when,
                next_attempt_at=when,
                sent_at=when if status == DONE else None,
            )
            session.add_all([event, mail])
            await session.flush()
            session.add(EventDelivery(organization_id=org_id, event_id=event.id, handler="test:handler"))
            expected[event.id] = expected[mail.id] = kept
    return expected


async def surviving(database, org_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    async with database.db.platform_session() as session:
        events = await session.scalars(select(OutboxEvent.id).where(OutboxEvent.organization_id.in_(org_ids)))
        mail = await session.scalars(select(MailMessage.id).where(MailMessage.organization_id.in_(org_ids)))
        return {*events, *mail}


async def deliveries(database, org_ids: list[uuid.UUID]) -> int:
    async with database.db.platform_session() as session:
        count = select(func.count()).select_from(EventDelivery).where(EventDelivery.organization_id.in_(org_ids))
        return int(await session.scalar(count) or 0)


async def test_prune_keeps_what_is_recent_failed_or_pending_and_removes_the_rest(marcus_database, tenant_factory):
    orgs = [await tenant_factory(), await tenant_factory()]
    expected = {}
    for org in orgs:
        expected |= await seed(marcus_database, org.id)
    ids = [org.id for org in orgs]

    pruned = await Housekeeper(marcus_database.db, marcus_database.settings, batch=1).prune()

    assert await surviving(marcus_database, ids) == {row_id for row_id, kept in expected.items() if kept}
    assert pruned.events >= 4
    assert pruned.mail >= 4
    assert await deliveries(marcus_database, ids) == 2 * 3  # the removed events' records went with them
    again = await Housekeeper(marcus_database.db, marcus_database.settings).prune()
    assert await surviving(marcus_database, ids) == {row_id for row_id, kept in expected.items() if kept}
    assert again == Pruned()  # nothing past its retention is left anywhere


async def test_retention_comes_from_the_settings(marcus_database, tenant_factory):
    org = await tenant_factory()
    expected = await seed(marcus_database, org.id)
    settings = marcus_database.settings.model_copy(update={"retention_days": 10.0, "failed_retention_days": 5.0})

    await Housekeeper(marcus_database.db, settings).prune()

    left = await surviving(marcus_database, [org.id])
    # 10 days for finished rows keeps the 8-day-old ones; 5 for failed removes both failed ones
    assert len(left) == 2 * 3
    assert len(expected) == 2 * 5
    async with marcus_database.db.platform_session() as session:
        statuses = set(await session.scalars(select(OutboxEvent.status).where(OutboxEvent.organization_id == org.id)))
    assert statuses == {DONE, PENDING}


async def test_several_workers_prune_at_once_without_errors_or_double_counting(marcus_database, tenant_factory):
    orgs = [await tenant_factory() for _ in range(3)]
    for org in orgs:
        await seed(marcus_database, org.id)
    keepers = [Housekeeper(marcus_database.db, marcus_database.settings, batch=2) for _ in range(3)]

    results = await asyncio.gather(*(keeper.prune() for keeper in keepers))

    assert sum(r.events for r in results) >= 2 * len(orgs)
    assert len(await surviving(marcus_database, [org.id for org in orgs])) == 2 * 3 * len(orgs)


async def test_the_worker_loop_prunes_at_start_and_stops_when_told(marcus_database, tenant_factory):
    org = await tenant_factory()
    await seed(marcus_database, org.id)
    settings = marcus_database.settings.model_copy(update={"housekeeping_interval": 3600.0})
    stop = asyncio.Event()
    task = asyncio.create_task(Housekeeper(marcus_database.db, settings).run(stop))
    for _ in range(100):
        if len(await surviving(marcus_database, [org.id])) == 2 * 3:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert len(await surviving(marcus_database, [org.id])) == 2 * 3


@pytest.mark.parametrize("name", ["retention_days", "failed_retention_days", "housekeeping_interval"])
def test_retention_settings_must_be_positive(name):
    from pydantic import ValidationError

    from marcus.config import Settings

    with pytest.raises(ValidationError, match=name):
        Settings(**{name: 0})
