"""A document (one upload: its metadata and review status) and its stored files."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKeyConstraint,
    Index,
    SmallInteger,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marcus import Base, TenantScoped

TYPES = ("Invoice", "Appointment", "Profile", "Security", "Compliance")
STATUSES = ("Open", "InReview", "Approved")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Document(TenantScoped, Base):
    """What a customer uploaded in one go; ``appointment_id`` / ``invoice_id`` get their
    foreign keys from the appointments and invoices plugins."""

    __tablename__ = "documents"
    __table_args__ = (
        ForeignKeyConstraint(["organization_id", "owner_id"], ["users.organization_id", "users.id"]),
        CheckConstraint(_in("type", TYPES), name="type"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        Index("ix_documents_organization_id_created_at", "organization_id", "created_at"),
        Index("ix_documents_organization_id_owner_id_created_at", "organization_id", "owner_id", "created_at"),
        Index("ix_documents_organization_id_appointment_id", "organization_id", "appointment_id"),
        Index("ix_documents_organization_id_invoice_id", "organization_id", "invoice_id"),
    )

    owner_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, default="Open", server_default="Open")
    format: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    description: Mapped[str | None] = mapped_column(Text)
    appointment_id: Mapped[uuid.UUID | None]
    invoice_id: Mapped[uuid.UUID | None]
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    files: Mapped[list[DocumentFile]] = relationship(lazy="raise", order_by="DocumentFile.position", viewonly=True)


class DocumentFile(TenantScoped, Base):
    """One stored file of a document: its storage key, the client's name, type and size."""

    __tablename__ = "document_files"
    __table_args__ = (
        ForeignKeyConstraint(
            ["organization_id", "document_id"], ["documents.organization_id", "documents.id"], ondelete="CASCADE"
        ),
        UniqueConstraint("organization_id", "key"),
        UniqueConstraint("organization_id", "document_id", "position"),
    )

    document_id: Mapped[uuid.UUID]
    position: Mapped[int] = mapped_column(SmallInteger)
    key: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
