"""After-commit work: a deleted document's files are removed by the outbox relay, which
retries with backoff until the storage answers (a missing file counts as removed)."""

from __future__ import annotations

import logging

from marcus import EventContext, EventHandler, TenantFiles
from marcus_documents.events import DocumentDeleted

log = logging.getLogger("marcus_documents")
PLUGIN = "documents"


async def remove_files(event: DocumentDeleted, context: EventContext) -> None:
    """Remove the stored files of a deleted document (only keys under this workspace's prefix)."""
    files = TenantFiles(context.kernel.storage, org_id=context.organization_id, plugin=PLUGIN)
    for key in event.keys:
        if not files.owns(key):
            log.warning("not removing %s: outside the documents prefix of workspace %s", key, context.organization_id)
            continue
        await files.delete(key)


HANDLERS = [EventHandler(event=DocumentDeleted.name, handler=remove_files)]
