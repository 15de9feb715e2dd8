"""Uploads: types read from the content, per-workspace limits refused before anything is
stored (413 / 415), names that cannot escape the workspace's folder, and no file left behind
by a request whose transaction failed."""

from __future__ import annotations

import os
from pathlib import Path

import marcus_documents.service as documents_service
import psycopg
import pytest

from marcus.testing import TestDatabase

URL = "/api/v1/documents"
PDF_TYPE = "application/pdf"


async def test_one_upload_keeps_several_files_typed_by_their_content(app, shop, samples, stored_keys):
    async with app() as h:
        response = await h.client.post(
            URL,
            headers=shop.alice.headers,
            **samples.form(
                ("contract.bin", samples.pdf),
                ("photo.pdf", samples.png),
                ("letter.docx", samples.docx),
                ("sheet.xlsx", samples.xlsx),
                ("data.csv", samples.text),
                tags=["Tax, 2024", "tax", " urgent "],
                description="Year-end papers",
                type="Invoice",
            ),
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert [f["content_type"] for f in body["files"]] == [
            PDF_TYPE,
            "image/png",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "text/csv",
        ]
        assert [f["name"] for f in body["files"]][:2] == ["contract.bin", "photo.pdf"]
        assert body["name"] == "contract.bin"
        assert body["format"] == "pdf", "the format comes from the content, not the name"
        assert body["size"] == sum(len(x) for x in (samples.pdf, samples.png, samples.docx, samples.xlsx, samples.text))
        assert body["tags"] == ["Tax", "2024", "tax", "urgent"]
        assert (body["type"], body["status"], body["owner_id"]) == ("Invoice", "Open", str(shop.alice.id))
        assert len(await stored_keys(h, shop.org)) == 5


async def test_an_oversize_file_is_refused_with_413_before_anything_is_stored(make_shop, app, samples, stored_keys):
    shop = await make_shop(uploads={"max_bytes": 2048})
    async with app() as h:
        big = samples.pdf + b"0" * 4096
        response = await h.client.post(
            URL, headers=shop.alice.headers, **samples.form(("small.pdf", samples.pdf), ("big.pdf", big))
        )
        assert response.status_code == 413
        problem = response.json()
        assert problem["code"] == "file_too_large"
        assert problem["errors"][0]["field"] == "body.files.1"
        assert await stored_keys(h, shop.org) == [], "not even the first, acceptable file"
        listed = await h.client.get(URL, headers=shop.alice.headers)
        assert listed.json()["total"] == 0


async def test_a_disallowed_type_is_refused_with_415_before_anything_is_stored(make_shop, app, samples, stored_keys):
    shop = await make_shop(uploads={"types": ["application/pdf"]})
    async with app() as h:
        png_named_pdf = await h.client.post(
            URL, headers=shop.alice.headers, **samples.form(("ok.pdf", samples.pdf), ("fake.pdf", samples.png))
        )
        assert png_named_pdf.status_code == 415
        assert png_named_pdf.json()["errors"][0]["field"] == "body.files.1"
        program = await h.client.post(
            URL, headers=shop.alice.headers, **samples.form(("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 500))
        )
        assert program.status_code == 415
        assert program.json()["code"] == "unsupported_file_type"
        assert await stored_keys(h, shop.org) == []


async def test_executables_and_zip_archives_are_refused_by_default(app, shop, samples, stored_keys):
    async with app() as h:
        for name, content in (("a.txt", b"\x7fELF\x02\x01\x01" + b"\x00" * 100), ("b.docx", b"PK\x03\x04junk")):
            response = await h.client.post(URL, headers=shop.alice.headers, **samples.form((name, content)))
            assert response.status_code == 415, name
        assert await stored_keys(h, shop.org) == []


async def test_a_request_over_the_platform_ceiling_is_refused_before_it_is_parsed(app, shop, samples, stored_keys):
    async with app(upload_max_bytes=1024) as h:
        huge = samples.pdf + b"0" * (11 * 1024 + 1024 * 1024)
        response = await h.client.post(URL, headers=shop.alice.headers, **samples.form(("huge.pdf", huge)))
        assert response.status_code == 413
        assert response.json()["code"] == "request_too_large"
        assert await stored_keys(h, shop.org) == []


@pytest.mark.parametrize(
    "name", ["../../../etc/passwd.txt", "/etc/shadow.txt", "..\\..\\boot.ini", "../", "a/../../../../x.txt"]
)
async def test_a_file_name_cannot_escape_the_workspace_folder(app, shop, samples, stored_keys, documents_db, name):
    async with app() as h:
        response = await h.client.post(URL, headers=shop.alice.headers, **samples.form((name, b"plain text")))
        assert response.status_code == 201, response.text
        (key,) = await stored_keys(h, shop.org)
        parts = key.split("/")
        assert parts[:3] == ["org", str(shop.org.id), "documents"]
        assert len(parts) == 5
        assert ".." not in parts
        assert "/" not in response.json()["files"][0]["name"]
        assert "\\" not in response.json()["files"][0]["name"]
        root = Path(documents_db.settings.data_dir) / "storage"
        outside = [
            str(Path(d, f).relative_to(root))
            for d, _, files in os.walk(root)
            for f in files
            if Path(d, f).relative_to(root).parts[0] not in ("org", ".meta")
        ]
        assert outside == []


async def test_a_failed_transaction_leaves_no_stored_file(app, shop, samples, stored_keys, monkeypatch):
    async def exploding_publish(*args, **kwargs):
        raise RuntimeError("the event bus is down")

    async with app() as h:
        stored = spy_puts(h, monkeypatch)
        monkeypatch.setattr(documents_service, "publish", exploding_publish)
        response = await h.client.post(
            URL, headers=shop.alice.headers, **samples.form(("a.pdf", samples.pdf), ("b.png", samples.png))
        )
        assert response.status_code == 500
        monkeypatch.undo()
        assert len(stored) == 2, "both files were stored before the failure"
        assert await stored_keys(h, shop.org) == []
        assert (await h.client.get(URL, headers=shop.alice.headers)).json()["total"] == 0


async def test_a_commit_refused_by_the_database_leaves_no_stored_file(
    app, shop, samples, stored_keys, documents_db, monkeypatch
):
    """The files are stored, then PostgreSQL refuses the rows: the files go too."""
    _admin(documents_db, TRIGGER)
    async with app() as h:
        stored = spy_puts(h, monkeypatch)
        response = await h.client.post(
            URL, headers=shop.alice.headers, **samples.form(("boom.pdf", samples.pdf), ("fine.png", samples.png))
        )
        assert response.status_code == 500
        assert len(stored) == 2
        assert await stored_keys(h, shop.org) == []
        fine = await h.client.post(URL, headers=shop.alice.headers, **samples.form(("fine.pdf", samples.pdf)))
        assert fine.status_code == 201
        assert len(await stored_keys(h, shop.org)) == 1


async def test_bad_form_input_is_a_422_naming_the_field(app, shop, samples):
    async with app() as h:
        cases = {
            "body.type": samples.form(("a.pdf", samples.pdf), type="Passport"),
            "body.appointment_id": samples.form(("a.pdf", samples.pdf), appointment_id="tomorrow"),
            "body.invoice_id": samples.form(("a.pdf", samples.pdf), invoice_id="not-a-uuid"),
            "body.bogus": samples.form(("a.pdf", samples.pdf), bogus="1"),
            "body.tags": samples.form(("a.pdf", samples.pdf), tags=",".join(f"t{i}" for i in range(30))),
            "body.name": samples.form(("a.pdf", samples.pdf), name="x" * 201),
            "body.files": samples.form(*[(f"{i}.pdf", samples.pdf) for i in range(11)]),
            "body.files.0": samples.form(("empty.txt", b"")),
        }
        for field, form in cases.items():
            response = await h.client.post(URL, headers=shop.alice.headers, **form)
            assert response.status_code == 422, (field, response.text)
            assert field in [e["field"] for e in response.json()["errors"]], field
        no_files = await h.client.post(URL, headers=shop.alice.headers, data={"type": "Invoice"})
        assert no_files.status_code == 422
        assert no_files.json()["errors"][0]["field"] == "body.files"


def spy_puts(h, monkeypatch) -> list[str]:
    """Record the keys the storage is asked to store."""
    keys: list[str] = []
    put = h.kernel.storage.put

    async def recording(key, chunks, *, content_type):
        keys.append(key)
        return await put(key, chunks, content_type=content_type)

    monkeypatch.setattr(h.kernel.storage, "put", recording)
    return keys


TRIGGER = """
CREATE OR REPLACE FUNCTION documents_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.name = 'boom.pdf' THEN RAISE EXCEPTION 'refused by the test'; END IF;
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS documents_test_refuse ON document_files;
CREATE TRIGGER documents_test_refuse BEFORE INSERT ON document_files
  FOR EACH ROW EXECUTE FUNCTION documents_test_refuse();
"""


def _admin(database: TestDatabase, sql: str) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(database.admin_url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]
