"""Small real PDFs made in the tests (fpdf2), shared by the tests that need one."""

from __future__ import annotations

from fpdf import FPDF


def one_page_pdf(text: str) -> bytes:
    """One A4 page of ``text`` in Helvetica 12, wrapped."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())
