"""Fixtures of the documents plugin's tests: a database migrated with the plugin and what it
depends on (services, appointments), a workspace with its admin, staff and two customers, and
small file builders."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

import marcus_appointments.plugin as appointments_plugin
import marcus_documents.plugin as documents_plugin
import marcus_services.plugin as services_plugin
import pytest

from marcus.testing import TestUser

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def office(kind: str) -> bytes:
    """A minimal DOCX (``word``) or XLSX (``xl``) container."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml" if kind == "word" else "xl/workbook.xml", "<x/>")
    return buffer.getvalue()


@dataclass
class Shop:
    org: Any
    admin: TestUser
    staff: TestUser
    alice: TestUser
    bob: TestUser


@pytest.fixture(scope="module")
async def documents_db(marcus_make_database):
    database = marcus_make_database([services_plugin, appointments_plugin, documents_plugin])
    yield database
    await database.dispose()


@pytest.fixture
def make_shop(documents_db, tenant_factory, user_factory):
    async def make(**settings: Any) -> Shop:
        org = await tenant_factory(database=documents_db, plugins=["services", "appointments", "documents"])
        if settings:
            async with documents_db.db.platform_session() as session, session.begin():
                from sqlalchemy import text

                await session.execute(
                    text("UPDATE organizations SET settings = settings || CAST(:s AS jsonb) WHERE id = :o"),
                    {"s": __import__("json").dumps(settings), "o": org.id},
                )
        users = [
            await user_factory(org, database=documents_db, role=role)
            for role in ("admin", "staff", "customer", "customer")
        ]
        return Shop(org, *users)

    return make


@pytest.fixture
async def shop(make_shop) -> Shop:
    return await make_shop()


@pytest.fixture
def app(documents_db, marcus_app_factory):
    """``async with app() as h``: Marcus with the documents plugin, background work off."""

    def start(**settings: Any):
        return marcus_app_factory(documents_db, worker=False, **settings)

    return start


class Samples:
    """File contents of each accepted kind, and multipart bodies for ``httpx``."""

    pdf = PDF
    png = PNG
    docx = office("word")
    xlsx = office("xl")
    text = b"name,amount\nAnn,12\n"

    @staticmethod
    def form(*files: tuple[str, bytes], **fields: Any) -> dict[str, Any]:
        """``client.post(url, **samples.form(("a.pdf", pdf), tags="x"))``: type Compliance unless told."""
        data = {"type": "Compliance", **fields}
        parts = [("files", (name, content, "application/octet-stream")) for name, content in files]
        return {"data": data, "files": parts}


@pytest.fixture
def samples() -> type[Samples]:
    return Samples


@pytest.fixture
def stored_keys():
    """Every object key under a workspace's documents prefix (what the storage really holds)."""

    async def keys(h, org) -> list[str]:
        return await h.kernel.storage.list_keys(f"org/{org.id}/documents/")

    return keys
