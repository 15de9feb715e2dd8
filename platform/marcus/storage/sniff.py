"""File types read from the content, never from the client's claim or the file name.

``sniff(head)`` knows PDF, PNG, JPEG, WebP and GIF by their magic bytes, ZIP containers, and
plain text (UTF-8 without control characters). ``office_type(file)`` tells a DOCX or XLSX
from another ZIP by its table of contents. Written here rather than depending on libmagic,
which a slim container image may not have.
"""

from __future__ import annotations

import zipfile
from typing import IO

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
WEBP = "image/webp"
GIF = "image/gif"
TEXT = "text/plain"
CSV = "text/csv"
ZIP = "application/zip"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

KNOWN_TYPES = frozenset({PDF, PNG, JPEG, WEBP, GIF, TEXT, CSV, DOCX, XLSX})
EXTENSIONS = {PDF: "pdf", PNG: "png", JPEG: "jpg", WEBP: "webp", GIF: "gif", TEXT: "txt", CSV: "csv"}
EXTENSIONS |= {DOCX: "docx", XLSX: "xlsx", ZIP: "zip"}
HEAD_SIZE = 8192
_TEXT_CONTROLS = frozenset(range(32)) - {9, 10, 12, 13}


def sniff(head: bytes, *, name: str = "") -> str | None:
    """The media type of a file starting with ``head`` (ideally ``HEAD_SIZE`` bytes), or None.

    Text is ``text/csv`` when ``name`` ends with ``.csv`` (the content decides that it is text,
    the name only which kind of text). A ZIP is ``application/zip``: see ``office_type``.
    """
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"PK\x03\x04"):
        return ZIP
    if is_text(head):
        return CSV if name.lower().endswith(".csv") else TEXT
    return None


def is_text(head: bytes) -> bool:
    """UTF-8 (a sequence cut at the end of ``head`` is fine) without NUL or control characters."""
    if not head or any(byte in _TEXT_CONTROLS or byte == 0x7F for byte in head):
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.reason == "unexpected end of data" and exc.start >= len(head) - 3
    return True


def office_type(file: IO[bytes]) -> str:
    """DOCX, XLSX or plain ZIP, from the archive's table of contents (``file`` is seekable).

    Reads only the central directory; the position of ``file`` is restored.
    """
    position = file.tell()
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return ZIP
    finally:
        file.seek(position)
    if "[Content_Types].xml" in names and "word/document.xml" in names:
        return DOCX
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return XLSX
    return ZIP


def extension(media_type: str) -> str:
    """The usual file extension of a media type sniffed here (``bin`` for others)."""
    return EXTENSIONS.get(media_type, "bin")
