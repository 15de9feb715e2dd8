"""Branded PDFs (ARCHITECTURE §9): ``brand`` (``PdfBrand``: a workspace's name, slogan, logo,
time zone and currency, and ``pdf_brand(kernel, tenant)`` that loads them) and ``table``
(``render_table_pdf``: a fast A4 document of one table, drawn straight on the reportlab
canvas so thousands of rows take a fraction of a second). Rendering is CPU work: call it
with ``asyncio.to_thread`` (or ``render_table_pdf_async``) from a request.
"""

from marcus.pdf.brand import PdfBrand, pdf_brand
from marcus.pdf.table import PdfColumn, render_table_pdf, render_table_pdf_async

__all__ = ["PdfBrand", "PdfColumn", "pdf_brand", "render_table_pdf", "render_table_pdf_async"]
