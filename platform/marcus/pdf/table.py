"""``render_table_pdf``: an A4 document with the workspace's header on every page and one
table running over as many pages as it needs.

Drawn directly on the canvas (no platypus layout): each cell is one ``drawString`` after
truncating to its column, so 4,000 rows render in about 0.2 s. Text is Helvetica (Latin-1);
characters it cannot show are replaced rather than failing the document.
"""

from __future__ import annotations

import asyncio
import bisect
import io
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4, landscape  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.lib.utils import ImageReader  # type: ignore[import-untyped]
from reportlab.pdfbase.pdfmetrics import getFont  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from marcus.pdf.brand import PdfBrand

FONT, BOLD = "Helvetica", "Helvetica-Bold"
SIZE, ROW, MARGIN = 8.0, 13.0, 14 * mm
ACCENT = colors.HexColor("#1f3a5f")
SHADE = colors.HexColor("#f1f4f8")


@dataclass(frozen=True, kw_only=True)
class PdfColumn:
    """A column: its heading, its share of the table's width, its alignment."""

    title: str
    width: float = 1.0
    align: Literal["left", "right"] = "left"


def _latin1(value: str) -> str:
    return value.encode("latin-1", "replace").decode("latin-1").replace("\n", " ").replace("\r", " ")


_GLYPHS: list[int] = []  # Helvetica's advance widths (1/1000 em) by Latin-1 code, filled on first use


def _width(value: str) -> float:
    """Width of Latin-1 text in Helvetica at ``SIZE``: a table lookup per character (no font call)."""
    if not _GLYPHS:
        _GLYPHS.extend(getFont(FONT).widths)
    return sum(map(_GLYPHS.__getitem__, value.encode("latin-1"))) * SIZE / 1000


def _fit(value: str, width: float) -> str:
    """``value`` cut with an ellipsis to fit ``width`` points."""
    if _width(value) <= width:
        return value
    room = (width - _width("...")) * 1000 / SIZE
    kept = bisect.bisect_right(list(itertools.accumulate(map(_GLYPHS.__getitem__, value.encode("latin-1")))), room)
    return value[:kept] + "..."


class _Document:
    def __init__(self, brand: PdfBrand, title: str, subtitle: str, columns: Sequence[PdfColumn], wide: bool) -> None:
        self.buffer = io.BytesIO()
        self.size = landscape(A4) if wide else A4
        self.canvas = Canvas(self.buffer, pagesize=self.size, pageCompression=1)
        self.canvas.setTitle(f"{title} - {brand.name}")
        self.canvas.setAuthor(brand.name)
        self.brand, self.title, self.subtitle = brand, title, subtitle
        self.logo = _image(brand.logo)
        usable = self.size[0] - 2 * MARGIN
        total = sum(c.width for c in columns) or 1.0
        self.columns = columns
        self.widths = [usable * c.width / total for c in columns]
        self.page = 0
        self.y = 0.0
        self.text: Any = None  # the page's text object: one BT/ET block for every cell of the rows

    def header(self) -> None:
        c, (width, height) = self.canvas, self.size
        self.page += 1
        top = height - MARGIN
        left = MARGIN
        if self.logo is not None:
            iw, ih = self.logo.getSize()
            h = 12 * mm
            c.drawImage(self.logo, left, top - h, width=h * iw / max(ih, 1), height=h, mask="auto")
            left += h * iw / max(ih, 1) + 4 * mm
        c.setFillColor(ACCENT)
        c.setFont(BOLD, 14)
        c.drawString(left, top - 5 * mm, _latin1(self.brand.name))
        c.setFont(FONT, 8)
        c.setFillColor(colors.grey)
        if self.brand.slogan:
            c.drawString(left, top - 9.5 * mm, _latin1(self.brand.slogan))
        c.setFillColor(colors.black)
        c.setFont(BOLD, 11)
        c.drawRightString(width - MARGIN, top - 5 * mm, _latin1(self.title))
        c.setFont(FONT, 7.5)
        c.drawRightString(width - MARGIN, top - 9.5 * mm, _latin1(self.subtitle))
        c.setFont(FONT, 7)
        c.setFillColor(colors.grey)
        c.drawRightString(width - MARGIN, MARGIN / 2, f"Page {self.page}")
        c.drawString(MARGIN, MARGIN / 2, _latin1(f"{self.brand.name} - {self.title}"))
        self.y = top - 18 * mm
        self._heading_row()

    def _heading_row(self) -> None:
        c = self.canvas
        c.setFillColor(ACCENT)
        c.rect(MARGIN, self.y - 3.5, sum(self.widths), ROW, stroke=0, fill=1)
        c.setFillColor(colors.white)
        c.setFont(BOLD, SIZE)
        self._cells([col.title for col in self.columns], BOLD)
        c.setFillColor(colors.black)
        c.setFont(FONT, SIZE)
        self.y -= ROW

    def _cells(self, values: Sequence[str], font: str = FONT) -> None:
        x = MARGIN
        for value, width, column in zip(values, self.widths, self.columns, strict=False):
            text = _fit(_latin1(value), width - 6) if font == FONT else _latin1(value)
            if column.align == "right":
                self.canvas.drawRightString(x + width - 3, self.y, text)
            else:
                self.canvas.drawString(x + 3, self.y, text)
            x += width

    def _row_text(self, values: Sequence[str]) -> None:
        if self.text is None:
            self.text = self.canvas.beginText()
            self.text.setFont(FONT, SIZE)
        x = MARGIN
        for value, width, column in zip(values, self.widths, self.columns, strict=False):
            text = _fit(_latin1(value), width - 6)
            left = x + width - 3 - _width(text) if column.align == "right" else x + 3
            self.text.setTextOrigin(left, self.y)
            self.text.textOut(text)
            x += width

    def _flush(self) -> None:
        if self.text is not None:
            self.canvas.drawText(self.text)
            self.text = None

    def row(self, values: Sequence[str], shaded: bool) -> None:
        if self.y < MARGIN + ROW:
            self._flush()
            self.canvas.showPage()
            self.header()
        if shaded:  # drawn before the page's text, so it stays underneath
            self.canvas.setFillColor(SHADE)
            self.canvas.rect(MARGIN, self.y - 3.5, sum(self.widths), ROW, stroke=0, fill=1)
            self.canvas.setFillColor(colors.black)
        self._row_text(values)
        self.y -= ROW

    def note(self, text: str) -> None:
        self.canvas.setFont(FONT, 10)
        self.canvas.drawString(MARGIN + 3, self.y - 6, _latin1(text))

    def finish(self) -> bytes:
        self._flush()
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()


def _image(data: bytes | None) -> ImageReader | None:
    if not data:
        return None
    try:
        return ImageReader(io.BytesIO(data))
    except Exception:  # a logo reportlab cannot read never breaks the document
        return None


def render_table_pdf(
    *,
    brand: PdfBrand,
    title: str,
    columns: Sequence[PdfColumn],
    rows: Iterable[Sequence[str]],
    subtitle: str | None = None,
    empty: str = "Nothing to show.",
    wide: bool = False,
) -> bytes:
    """The PDF bytes of a branded table (``wide``: A4 landscape). Blocking: run it off the event loop."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    document = _Document(brand, title, subtitle or f"Generated {stamp}", columns, wide)
    document.header()
    count = 0
    for count, values in enumerate(rows, start=1):
        document.row(values, shaded=count % 2 == 0)
    if count == 0:
        document.note(empty)
    return document.finish()


async def render_table_pdf_async(**kwargs: object) -> bytes:
    """``render_table_pdf`` in a worker thread, for request handlers."""
    return await asyncio.to_thread(lambda: render_table_pdf(**kwargs))  # type: ignore[arg-type]
