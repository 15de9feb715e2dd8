"""Events of the documents plugin, with the seed's notifications (seed-api §4.6)."""

from __future__ import annotations

import uuid

from marcus import Event, Notice


class DocumentUploaded(Event):
    """A document was uploaded; its owner is told."""

    name = "documents.uploaded"
    notice = Notice(type="Document", title="Document uploaded", message="Your document has been uploaded successfully.")
    document_id: uuid.UUID
    status: str


class DocumentApproved(Event):
    """Staff approved a document; its owner is told."""

    name = "documents.approved"
    notice = Notice(type="Document", title="Document approved", message="Your document has been approved.")
    status: str


class DocumentDeleted(Event):
    """A document's row is gone; its stored files are removed after commit (``handlers``)."""

    name = "documents.deleted"
    keys: list[str]


class OrphansFound(Event):
    """The nightly check found stored files that no document refers to (recorded, not notified)."""

    name = "documents.orphans_found"
    notice = Notice(
        type="Document",
        title="Stored files without documents",
        message="{count} stored files belong to no document.",
        notify=False,
    )
    count: int
    keys: list[str]


EVENT_TYPES: list[type[Event]] = [DocumentUploaded, DocumentApproved, DocumentDeleted, OrphansFound]
