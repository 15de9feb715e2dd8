"""Files attached to an appointment, kept in the kernel storage under
``org/<org>/appointments/...`` and listed in the appointment's ``attachments`` column.

Uploads are checked (size 413, type 415) before anything is stored and removed again if the
transaction does not commit; removed files are deleted after the commit by the outbox relay
(``appointments.attachments_removed``), so a row never points to a missing file.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from fastapi import UploadFile
from sqlalchemy import literal, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

import marcus
from marcus_appointments.booking import Booking, BookingRequest, book
from marcus_appointments.models import Appointment
from marcus_appointments.settings import AppointmentsSettings

PLUGIN = "appointments"
MAX_FILES = 10


class AttachmentsRemoved(marcus.Event):
    """Files were detached from an appointment; the relay deletes them from the storage."""

    name = "appointments.attachments_removed"
    appointment_id: uuid.UUID
    keys: list[str]


def _entry(stored: marcus.StoredFile) -> dict[str, Any]:
    return {
        "id": str(marcus.new_id()),
        "key": stored.key,
        "name": stored.name,
        "content_type": stored.content_type,
        "size": stored.size,
    }


def _check_count(uploads: Sequence[UploadFile], *, already: int = 0) -> None:
    if not uploads:
        raise marcus.Invalid(
            "No files provided.", code="no_files", errors=[{"field": "body.files", "message": "empty"}]
        )
    if len(uploads) + already > MAX_FILES:
        raise marcus.Invalid(
            f"At most {MAX_FILES} files per appointment.",
            code="too_many_files",
            errors=[{"field": "body.files", "message": f"at most {MAX_FILES} files"}],
        )


async def add(
    session: AsyncSession, files: marcus.TenantFiles, appointment: Appointment, *, uploads: Sequence[UploadFile]
) -> Appointment:
    """Store ``uploads`` and append them to the appointment's attachments, in one transaction."""
    _check_count(uploads, already=len(appointment.attachments))
    kinds = [await files.check_upload(f, field=f"body.files.{i}") for i, f in enumerate(uploads)]
    async with files.staging(session) as stage:
        entries = [
            _entry(await stage.save_upload(f, field=f"body.files.{i}", content_type=kind))
            for i, (f, kind) in enumerate(zip(uploads, kinds, strict=True))
        ]
        statement = (
            update(Appointment)
            .where(Appointment.organization_id == appointment.organization_id, Appointment.id == appointment.id)
            .values(attachments=Appointment.attachments.op("||")(literal(entries, JSONB)))
            .returning(Appointment)
        )
        done = (await session.scalars(statement, execution_options={"populate_existing": True})).one()
        await session.commit()
    return done


async def remove(
    session: AsyncSession, appointment: Appointment, *, attachment_id: uuid.UUID, actor_id: uuid.UUID
) -> Appointment:
    """Detach one file; the stored object is deleted once this commits."""
    kept = [a for a in appointment.attachments if a.get("id") != str(attachment_id)]
    gone = [a["key"] for a in appointment.attachments if a.get("id") == str(attachment_id)]
    if not gone:
        raise marcus.NotFound("No such attachment.", code="attachment_not_found")
    appointment.attachments = kept
    event = AttachmentsRemoved(customer_id=appointment.customer_id, appointment_id=appointment.id, keys=gone)
    await marcus.publish(session, event, actor_id=actor_id)
    await session.commit()
    return appointment


async def link(files: marcus.TenantFiles, appointment: Appointment, *, attachment_id: uuid.UUID) -> marcus.SignedUrl:
    """A short-lived download URL of one attachment."""
    for entry in appointment.attachments:
        if entry.get("id") == str(attachment_id):
            return await files.signed_url(entry["key"], download_name=entry.get("name"))
    raise marcus.NotFound("No such attachment.", code="attachment_not_found")


async def delete_files(event: AttachmentsRemoved, context: marcus.EventContext) -> None:
    """Relay handler: remove detached files (only keys under this workspace's prefix)."""
    files = marcus.TenantFiles(context.kernel.storage, org_id=context.organization_id, plugin=PLUGIN)
    for key in event.keys:
        if files.owns(key):
            await files.delete(key)


async def book_with_files(
    session: AsyncSession,
    bus: Any,
    files: marcus.TenantFiles,
    *,
    org_id: uuid.UUID,
    request: BookingRequest,
    uploads: Sequence[UploadFile],
    settings: AppointmentsSettings,
) -> Booking:
    """The seed's multipart booking: check and store the files, then book with them in the
    same statement; if the booking is refused, the stored files are removed again."""
    _check_count(uploads)
    kinds = [await files.check_upload(f, field=f"body.files.{i}") for i, f in enumerate(uploads)]
    async with files.staging(session) as stage:
        entries = [
            _entry(await stage.save_upload(f, field=f"body.files.{i}", content_type=kind))
            for i, (f, kind) in enumerate(zip(uploads, kinds, strict=True))
        ]
        with_files = replace(request, attachments=tuple(entries))
        return await book(session, bus, org_id=org_id, request=with_files, settings=settings)
