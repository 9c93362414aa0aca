"""Small real Word files made in the tests (python-docx), shared by the tests that need one."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.style import WD_STYLE_TYPE

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
STORY = (
    "I afdelingen Solbakken satte driften fugtmålere op i 40 lejligheder. Målerne sender"
    " data hver time, og ejendomsfunktionærerne får besked, når luftfugtigheden er for høj"
    " i mere end et døgn. Beboerne får et brev med gode råd om udluftning, og efter et år"
    " var antallet af skimmelsager halveret."
)


def word_file(*, danish_styles: bool = False, title: str = "Fugt og indeklima") -> bytes:
    """A real .docx: title, chapters with Heading (or Danish "Overskrift") styles, a case
    collection, a bulleted and a numbered list, and a table."""
    doc = Document()
    doc.core_properties.title = title
    if danish_styles:  # as Danish Word names its custom heading styles
        for level in (1, 2, 3):
            style = doc.styles.add_style(f"Overskrift {level}", WD_STYLE_TYPE.PARAGRAPH)
            style.font.bold = True
    heading = "Overskrift" if danish_styles else "Heading"
    doc.add_paragraph(title, style="Title")
    doc.add_paragraph("Udgivet af Boligselskabet Sjælland, marts 2022")
    doc.add_paragraph("Indledning", style=f"{heading} 1")
    doc.add_paragraph(
        "Fugt i boligen giver skimmel og utilfredse beboere. Denne pjece samler erfaringer"
        " fra tre afdelinger om målinger, udluftning og dialog med beboerne."
    )
    doc.add_paragraph("Indeklima", style=f"{heading} 1")
    doc.add_paragraph("Erfaringer fra afdelingerne", style=f"{heading} 2")
    doc.add_paragraph("Fugtmålere i Solbakken", style=f"{heading} 3")
    doc.add_paragraph(STORY)
    doc.add_paragraph("Luft ud tre gange om dagen i ti minutter", style="List Bullet")
    doc.add_paragraph("Tør ikke tøj indendørs uden affugter", style="List Number")
    table = doc.add_table(rows=3, cols=3)
    rows = [
        ("Afdeling", "Målere", "Skimmelsager"),
        ("Solbakken", "40", "12 → 6"),
        ("Engen", "25", "8 → 5"),
    ]
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
