"""Event bus: publish in the transaction, outbox, relay after commit, crash safety, retries."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select, text

import marcus
from marcus.events import Event, EventContext, publish
from marcus.events.bus import UnknownEvent
from marcus.events.outbox import EventDelivery, OutboxEvent
from marcus.testing import make_plugin
from marcus.worker import relay_for


class Entered(Event):
    name = "ledger.entered"
    label: str


class Unregistered(Event):
    name = "ledger.unknown"


class Recorder:
    """Subscribers that record calls and write a project row (proving the tenant binding)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, uuid.UUID]] = []
        self.fail_b = 0
        self.block_b: asyncio.Event | None = None

    async def a(self, event: Entered, ctx: EventContext) -> None:
        self.calls.append(("a", event.label, ctx.organization_id))
        await ctx.session.execute(
            text("INSERT INTO example_projects (organization_id, id, name) VALUES (:o, :i, :n)"),
            {"o": ctx.organization_id, "i": uuid.uuid4(), "n": f"from-event:{event.label}"},
        )

    async def b(self, event: Entered, ctx: EventContext) -> None:
        if self.block_b is not None:
            await self.block_b.wait()
        if self.fail_b:
            self.fail_b -= 1
            raise RuntimeError("subscriber b is down")
        self.calls.append(("b", event.label, ctx.organization_id))


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def ledger(recorder):
    return make_plugin(
        marcus.PluginManifest(name="ledger", version="1", depends_on=("example",)),
        register_event_types=lambda: [Entered],
        register_event_handlers=lambda: [
            marcus.EventHandler(event="ledger.entered", handler=recorder.a),
            marcus.EventHandler(event="ledger.entered", handler=recorder.b),
        ],
    )


async def _publish(h, org, label: str) -> uuid.UUID:
    async with h.kernel.db.tenant_transaction(org.id) as session:
        return await publish(session, Entered(label=label))


async def _row(database, event_id):
    async with database.db.platform_session() as session:
        return await session.scalar(select(OutboxEvent).where(OutboxEvent.id == event_id))


async def test_committed_event_is_delivered_after_commit(
    example_database, example_plugin, ledger, recorder, tenant_factory, marcus_app_factory
):
    org = await tenant_factory(
        database=example_database, plugins=["example", "ledger"], installed=[example_plugin, ledger]
    )
    async with marcus_app_factory(example_database, plugins=[example_plugin, ledger], relay_poll_interval=30.0) as h:
        event_id = await _publish(h, org, "first")
        for _ in range(100):  # woken by the commit, not by the 30 s poll
            if len(recorder.calls) == 2:
                break
            await asyncio.sleep(0.02)
    assert sorted(c[0] for c in recorder.calls) == ["a", "b"]
    assert {c[2] for c in recorder.calls} == {org.id}
    row = await _row(example_database, event_id)
    assert (row.status, row.attempts, row.name) == ("done", 0, "ledger.entered")
    assert row.payload["label"] == "first"
    async with example_database.db.tenant_session(org.id) as session:
        names = (await session.execute(text("SELECT name FROM example_projects"))).scalars().all()
    assert names == ["from-event:first"]


async def test_rolled_back_event_never_happened(
    example_database, example_plugin, ledger, recorder, tenant_factory, marcus_app_factory
):
    org = await tenant_factory(
        database=example_database, plugins=["example", "ledger"], installed=[example_plugin, ledger]
    )
    async with marcus_app_factory(example_database, plugins=[example_plugin, ledger], worker=False) as h:
        with pytest.raises(RuntimeError, match="changed my mind"):
            async with h.kernel.db.tenant_transaction(org.id) as session:
                await publish(session, Entered(label="nope"))
                raise RuntimeError("changed my mind")
        assert await relay_for(h.kernel).run_once() == 0
    assert recorder.calls == []


async def test_crash_between_commit_and_dispatch_delivers_on_next_run_once_each(
    example_database, example_plugin, ledger, recorder, tenant_factory, marcus_app_factory
):
    org = await tenant_factory(
        database=example_database, plugins=["example", "ledger"], installed=[example_plugin, ledger]
    )
    async with marcus_app_factory(example_database, plugins=[example_plugin, ledger], worker=False) as h:
        event_id = await _publish(h, org, "survivor")  # committed; no relay ran ("the process died")
        assert (await _row(example_database, event_id)).status == "pending"

        # A relay that dies mid-dispatch: subscriber a committed, b never finished.
        recorder.block_b = asyncio.Event()
        doomed = asyncio.create_task(relay_for(h.kernel).run_once())
        for _ in range(300):  # until subscriber a's transaction (with its delivery record) committed
            async with example_database.db.platform_session() as session:
                delivered = await session.scalar(select(EventDelivery.id).where(EventDelivery.event_id == event_id))
            if delivered is not None:
                break
            await asyncio.sleep(0.01)
        assert delivered is not None
        doomed.cancel()
        with pytest.raises(asyncio.CancelledError):
            await doomed
        assert [c[0] for c in recorder.calls] == ["a"]
        assert (await _row(example_database, event_id)).status == "pending"

        recorder.block_b = None
        assert await relay_for(h.kernel).run_once() >= 1
        assert await relay_for(h.kernel).run_once() == 0
    assert sorted(c[0] for c in recorder.calls) == ["a", "b"]  # exactly once per subscriber
    async with example_database.db.platform_session() as session:
        handlers = (
            await session.scalars(select(EventDelivery.handler).where(EventDelivery.event_id == event_id))
        ).all()
    assert len(handlers) == 2
    assert (await _row(example_database, event_id)).status == "done"


async def test_failing_subscriber_is_retried_with_backoff_without_repeating_others(
    example_database, example_plugin, ledger, recorder, tenant_factory, marcus_app_factory
):
    org = await tenant_factory(
        database=example_database, plugins=["example", "ledger"], installed=[example_plugin, ledger]
    )
    recorder.fail_b = 1
    async with marcus_app_factory(example_database, plugins=[example_plugin, ledger], worker=False) as h:
        event_id = await _publish(h, org, "flaky")
        await relay_for(h.kernel).run_once()
        row = await _row(example_database, event_id)
        assert (row.status, row.attempts) == ("pending", 1)
        assert "subscriber b is down" in row.last_error
        assert row.next_attempt_at > row.created_at
        async with example_database.db.platform_session() as session, session.begin():
            await session.execute(
                text("UPDATE event_outbox SET next_attempt_at = now() WHERE id = :i"), {"i": event_id}
            )
        await relay_for(h.kernel).run_once()
    assert sorted(c[0] for c in recorder.calls) == ["a", "b"]
    assert (await _row(example_database, event_id)).status == "done"


async def test_event_failing_for_good_is_recorded(
    example_database, example_plugin, ledger, recorder, tenant_factory, marcus_app_factory
):
    org = await tenant_factory(
        database=example_database, plugins=["example", "ledger"], installed=[example_plugin, ledger]
    )
    recorder.fail_b = 99
    async with marcus_app_factory(example_database, plugins=[example_plugin, ledger], worker=False) as h:
        event_id = await _publish(h, org, "doomed")
        relay = relay_for(h.kernel)
        relay.max_attempts = 2
        for _ in range(2):
            async with example_database.db.platform_session() as session, session.begin():
                await session.execute(
                    text("UPDATE event_outbox SET next_attempt_at = now() WHERE id = :i"), {"i": event_id}
                )
            await relay.run_once()
    row = await _row(example_database, event_id)
    assert (row.status, row.attempts) == ("failed", 2)
    assert [c[0] for c in recorder.calls] == ["a"]


async def test_disabled_plugin_handlers_do_not_run(
    example_database, example_plugin, ledger, recorder, tenant_factory, marcus_app_factory
):
    org = await tenant_factory(database=example_database, plugins=["example"], installed=[example_plugin, ledger])
    async with marcus_app_factory(example_database, plugins=[example_plugin, ledger], worker=False) as h:
        event_id = await _publish(h, org, "ignored")
        await relay_for(h.kernel).run_once()
    assert recorder.calls == []
    assert (await _row(example_database, event_id)).status == "done"


async def test_same_transaction_handler_can_veto(example_database, example_plugin, tenant_factory, marcus_app_factory):
    async def veto(event: Entered, ctx: EventContext) -> None:
        if event.label == "forbidden":
            raise marcus.Conflict("vetoed")

    plugin = make_plugin(
        marcus.PluginManifest(name="ledger", version="1"),
        register_event_types=lambda: [Entered],
        register_event_handlers=lambda: [marcus.EventHandler(event="*", handler=veto, same_transaction=True)],
    )
    org = await tenant_factory(database=example_database, plugins=["example"])
    async with marcus_app_factory(example_database, plugins=[example_plugin, plugin], worker=False) as h:
        with pytest.raises(marcus.Conflict):
            async with h.kernel.db.tenant_transaction(org.id) as session:
                await publish(session, Entered(label="forbidden"))
        async with h.kernel.db.tenant_transaction(org.id) as session:
            await publish(session, Entered(label="fine"))
        async with h.kernel.db.platform_session() as session:
            labels = (
                (
                    await session.execute(
                        text("SELECT payload->>'label' FROM event_outbox WHERE organization_id = :o"), {"o": org.id}
                    )
                )
                .scalars()
                .all()
            )
    assert labels == ["fine"]


async def test_unregistered_event_is_refused(
    example_database, example_plugin, ledger, tenant_factory, marcus_app_factory
):
    org = await tenant_factory(
        database=example_database, plugins=["example", "ledger"], installed=[example_plugin, ledger]
    )
    async with marcus_app_factory(example_database, plugins=[example_plugin, ledger], worker=False) as h:
        async with h.kernel.db.tenant_session(org.id) as session:
            with pytest.raises(UnknownEvent, match="ledger.unknown"):
                await publish(session, Unregistered())


async def test_concurrent_relays_deliver_each_event_once(
    example_database, example_plugin, ledger, recorder, tenant_factory, marcus_app_factory
):
    orgs = [
        await tenant_factory(
            database=example_database, plugins=["example", "ledger"], installed=[example_plugin, ledger]
        )
        for _ in range(3)
    ]
    async with marcus_app_factory(example_database, plugins=[example_plugin, ledger], worker=False) as h:
        for i in range(30):
            await _publish(h, orgs[i % 3], f"e{i}")
        relays = [relay_for(h.kernel) for _ in range(3)]
        for relay in relays:
            relay.batch = 4
        while sum(await asyncio.gather(*(r.run_once() for r in relays))):
            pass
    labels = sorted(label for who, label, _ in recorder.calls if who == "b")
    assert labels == sorted(f"e{i}" for i in range(30))
    assert len(recorder.calls) == 60


async def test_outbox_is_tenant_private(example_database, example_plugin, ledger, tenant_factory, marcus_app_factory):
    a = await tenant_factory(
        database=example_database, plugins=["example", "ledger"], installed=[example_plugin, ledger]
    )
    b = await tenant_factory(
        database=example_database, plugins=["example", "ledger"], installed=[example_plugin, ledger]
    )
    async with marcus_app_factory(example_database, plugins=[example_plugin, ledger], worker=False) as h:
        await _publish(h, a, "secret")
        async with h.kernel.db.tenant_session(b.id) as session:
            seen = (await session.execute(text("SELECT payload FROM event_outbox"))).all()
    assert seen == []
