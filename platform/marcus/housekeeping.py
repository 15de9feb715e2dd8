"""Housekeeping: forgets what the outboxes no longer need, in small batches, as the platform role.

A delivered event (with its delivery records) and a sent message are kept ``retention_days``;
a failed event or message, which an operator may still want to read, ``failed_retention_days``.
Pending rows are never touched. A pass goes workspace by workspace (as every query on tenant
tables does, so it stays a single-shard query when tables are distributed), each batch its own
short transaction that locks the rows it removes with ``SKIP LOCKED``: several workers may prune
at once, and the relay and the mail sender never wait on it. Partial indexes on the finished
statuses (kernel_0010) make a workspace with nothing to remove four index probes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from marcus.config import Settings
from marcus.db.engine import Database
from marcus.tenancy.models import Organization

log = logging.getLogger("marcus.housekeeping")
BATCH = 2000

# (table, finished status, column dating it, retention) per kind of row pruned. A failed row is
# dated by its last scheduled attempt, so one retried by hand (mail) starts its retention again.
_RULES = (
    ("event_outbox", "done", "delivered_at", "retention_days"),
    ("event_outbox", "failed", "next_attempt_at", "failed_retention_days"),
    ("mail_messages", "sent", "sent_at", "retention_days"),
    ("mail_messages", "failed", "next_attempt_at", "failed_retention_days"),
)
_PRUNE = """
WITH doomed AS (
    SELECT organization_id, id FROM {table}
    WHERE organization_id = :org AND status = :status AND {column} < :before
    LIMIT :batch
    FOR UPDATE SKIP LOCKED
)
DELETE FROM {table} t USING doomed d WHERE t.organization_id = d.organization_id AND t.id = d.id
"""
_STATEMENTS = {(table, column): text(_PRUNE.format(table=table, column=column)) for table, _, column, _ in _RULES}


@dataclass(frozen=True)
class Pruned:
    """How many rows one pass removed."""

    events: int = 0
    mail: int = 0


class Housekeeper:
    """``prune`` once, or ``run`` a pass every ``housekeeping_interval`` seconds until stopped."""

    def __init__(self, db: Database, settings: Settings, *, batch: int = BATCH) -> None:
        self.db, self.settings, self.batch = db, settings, batch

    async def run(self, stop: asyncio.Event) -> None:
        """Prune now and then every interval, until ``stop`` is set; a failed pass is retried next time."""
        while not stop.is_set():
            try:
                pruned = await self.prune()
                if pruned.events or pruned.mail:
                    log.info("housekeeping removed %d events and %d messages", pruned.events, pruned.mail)
            except Exception:
                log.exception("housekeeping pass failed; retrying at the next interval")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.housekeeping_interval)

    async def prune(self, *, now: datetime | None = None) -> Pruned:
        """Remove every finished row past its retention, batch by batch; returns the counts."""
        now = now or datetime.now(UTC)
        counts = {"event_outbox": 0, "mail_messages": 0}
        async with self.db.platform_session() as session:
            org_ids = list(await session.scalars(select(Organization.id)))
        for org_id in org_ids:
            rules = list(_RULES)
            while rules:  # one transaction per round; a rule leaves once a batch comes back short
                async with self.db.platform_session() as session, session.begin():
                    for table, status, column, retention in list(rules):
                        before = now - timedelta(days=getattr(self.settings, retention))
                        values = {"org": org_id, "status": status, "before": before, "batch": self.batch}
                        result = await session.execute(_STATEMENTS[table, column], values)
                        removed = int(getattr(result, "rowcount", 0))
                        counts[table] += removed
                        if removed < self.batch:
                            rules.remove((table, status, column, retention))
        return Pruned(events=counts["event_outbox"], mail=counts["mail_messages"])
