"""Loaders: what a user would notice in the loaded document, and how bad files fail."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from vidensbank.ingest.errors import FileTooLarge, IngestError, UnsupportedFormat
from vidensbank.ingest.loaders import SUPPORTED_SUFFIXES, load_bytes, load_document
from vidensbank.ingest.model import BlockKind, LoadedDocument

FIXTURES = Path(__file__).parent.parent / "fixtures" / "ingest"
SEED = Path(__file__).parent.parent.parent / "corpus" / "vaerdiskabende-gentagelser-2023.md"


def make_pdf(*, title: str | None = "Vilde boligområder", header: bool = True) -> bytes:
    """Two A4 pages: running header, big/medium headings, body text, a hyphenated
    line break and a page number at the bottom."""
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    if title:
        pdf.set_title(title)

    def lines(y: float, size: float, style: str, texts: list[str]) -> float:
        pdf.set_font("Helvetica", style, size)
        for text in texts:
            pdf.set_xy(20, y)
            pdf.cell(0, 5, text)
            y += size * 0.5
        return y

    pages = [
        [
            (20, "B", ["Biodiversitet i almene boligområder"]),
            (11, "", ["Den almene sektor råder over cirka 60 millioner kvadratmeter",
                      "udeareal. Hver boligorganisa-",
                      "tion kan plante flere blomster og lade græsset gro."]),
            (15, "B", ["Grønne ambassadører"]),
            (11, "", ["Flere steder arbejdes der med ERFA-møder og",
                      "ambassadørordninger for beboere."]),
        ],
        [
            (15, "B", ["Økonomisk rådgivning"]),
            (11, "", ["Økonomiske rådgivere hjælper beboere med at undgå udsættelse,",
                      "og indsatsen betaler sig for boligorganisationen."]),
        ],
    ]  # fmt: skip
    for number, page in enumerate(pages, start=1):
        pdf.add_page()
        if header:
            lines(10, 8, "", [f"AlmenNet · Vilde boligområder · side {number}"])
        y = 30.0
        for size, style, texts in page:
            y = lines(y, size, style, texts) + 8
        lines(285, 8, "", [str(number)])
    return bytes(pdf.output())


def encrypt(data: bytes, password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def kinds(doc: LoadedDocument, kind: BlockKind) -> list[str]:
    return [b.text for b in doc.blocks if b.kind == kind]


# --- Markdown: the real seed ---------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> LoadedDocument:
    return load_document(SEED)


def test_seed_title_and_headings(seed: LoadedDocument) -> None:
    assert seed.title == "Værdiskabende gentagelser"
    assert seed.format == "md"
    headings = {(b.text, b.level) for b in seed.blocks if b.kind == BlockKind.HEADING}
    assert ("Biodiversitet", 1) in headings
    assert ("Vild strategi", 2) in headings
    assert ("Grønne ambassadører", 3) in headings


def test_seed_toc_run_becomes_toc_entries(seed: LoadedDocument) -> None:
    toc = [b for b in seed.blocks if b.kind == BlockKind.TOC_ENTRY]
    assert len(toc) == 21
    first = toc[0]
    assert (first.text, first.toc_level, first.toc_page) == ("Om AlmenNets publikationer", 1, 4)
    labels = [b for b in toc if b.toc_level == 2]
    assert [b.text for b in labels] == ["CASES FRA MØDERNE", "CASES FRA MØDERNE"]
    assert labels[0].toc_page is None
    plain = next(b for b in toc if b.text == "Boligområde, som biologilokale")
    assert (plain.toc_level, plain.toc_page) == (3, 9)
    assert not any("<b>" in b.text or "\t" in b.text for b in toc)


def test_seed_pull_quote_heading_is_a_quote(seed: LoadedDocument) -> None:
    assert not any(t.startswith("»") for t in kinds(seed, BlockKind.HEADING))
    quotes = kinds(seed, BlockKind.QUOTE)
    assert any(q.startswith("» Den almene boligsektor er en ufortalt succes") for q in quotes)


def test_seed_emphasis_and_link_only_heading(seed: LoadedDocument) -> None:
    by_text = {b.text: b for b in seed.blocks if b.kind == BlockKind.HEADING}
    assert by_text["AAB Silkeborg"].emphasis == "italic"
    assert by_text["Opkvalificering af ejendomsfunktionærer"].emphasis == "bold"
    assert by_text["Domea.dk"].level == 3
    assert by_text["Domea.dk"].links == []  # "#" placeholder skipped
    bold_line = next(b for b in seed.blocks if b.text == "God læselyst")
    assert bold_line.kind == BlockKind.PARAGRAPH and bold_line.emphasis == "bold"


def test_seed_inline_markup_removed(seed: LoadedDocument) -> None:
    text = "\n".join(b.text for b in seed.blocks)
    for markup in ("<sub>", "<sup>", "<b>", "<i>", "**", "](", "<https"):
        assert markup not in text
    assert "mindre CO2-udledning" in text
    assert "(6.000 m2)" in text
    assert "på www.almennet.dk." in text


def test_seed_links(seed: LoadedDocument) -> None:
    links = [link for b in seed.blocks for link in b.links]
    urls = {link.url for link in links}
    assert "http://www.almennet.dk" in urls
    assert "https://www.kab-bolig.dk/vildmedvilje" in urls
    autolink = next(b for b in seed.blocks if b.text.startswith("https://www.vildmedvilje.dk"))
    assert autolink.links[0].text == "https://www.vildmedvilje.dk/bkaa/"
    assert not any(url.startswith("#") for url in urls)


def test_seed_lists_and_line_breaks(seed: LoadedDocument) -> None:
    items = kinds(seed, BlockKind.LIST_ITEM)
    assert "At tjene sine egne penge øger selvstændigheden." in items
    assert len([i for i in items if i.startswith("Udearealerne kan")]) == 1
    publisher = next(b.text for b in seed.blocks if b.text.startswith("Udgiver:"))
    assert publisher == "Udgiver: AlmenNet Studiestræde 50 1554 København V www.almennet.dk"
    # The credit after a hard break stays on its own line so cleaning can split it off.
    caption = next(b.text for b in seed.blocks if b.text.startswith("Frank Erichsen"))
    assert caption.endswith("tilbage'.\nFoto: BL / Fagbladet Boligen.")


def test_markdown_front_matter_title() -> None:
    data = "---\ntitle: Tryghed i boligområdet\n---\n\nFørste afsnit.\n".encode()
    doc = load_bytes(data, "tryghed.md")
    assert doc.title == "Tryghed i boligområdet"
    assert doc.metadata["title"] == "Tryghed i boligområdet"
    assert kinds(doc, BlockKind.PARAGRAPH) == ["Første afsnit."]


# --- PDF --------------------------------------------------------------------------------


def test_pdf_pages_headings_and_title() -> None:
    doc = load_bytes(make_pdf(), "vilde.pdf")
    assert doc.format == "pdf" and doc.page_count == 2
    assert doc.title == "Vilde boligområder"
    headings = [(b.text, b.level, b.page) for b in doc.blocks if b.kind == BlockKind.HEADING]
    assert headings == [
        ("Biodiversitet i almene boligområder", 1, 1),
        ("Grønne ambassadører", 2, 1),
        ("Økonomisk rådgivning", 2, 2),
    ]
    body = next(b for b in doc.blocks if b.text.startswith("Den almene sektor"))
    assert body.kind == BlockKind.PARAGRAPH and body.page == 1
    assert "boligorganisa-\ntion" in body.text  # joining is cleaning's job
    second = next(b for b in doc.blocks if b.text.startswith("Økonomiske rådgivere"))
    assert second.page == 2


def test_pdf_title_falls_back_to_first_heading() -> None:
    doc = load_bytes(make_pdf(title=None), "uden-titel.pdf")
    assert doc.title == "Biodiversitet i almene boligområder"


def test_pdf_truncated() -> None:
    data = make_pdf()
    with pytest.raises(IngestError, match=r"PDF is damaged \(truncated.*qpdf"):
        load_bytes(data[: len(data) // 2], "halv.pdf")


def test_pdf_encrypted() -> None:
    with pytest.raises(IngestError, match=r"PDF is encrypted.*qpdf --decrypt"):
        load_bytes(encrypt(make_pdf(), "hemmelig"), "laast.pdf")


def test_pdf_with_empty_user_password_opens() -> None:
    doc = load_bytes(encrypt(make_pdf(), ""), "kun-ejer.pdf")
    assert doc.title == "Vilde boligområder"


def test_pdf_without_text_layer() -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 100, style="F")  # a "scan": graphics only
    with pytest.raises(IngestError, match=r"PDF has no text layer \(scanned images\?\); OCR"):
        load_bytes(bytes(pdf.output()), "scan.pdf")


def test_not_a_pdf() -> None:
    with pytest.raises(IngestError, match="not a PDF file"):
        load_bytes(b"<html>hej</html>", "forkert.pdf")


# --- HTML -------------------------------------------------------------------------------

NOISY = (FIXTURES / "nyhed-med-stoej.html").read_bytes()


def test_html_main_content_structure_and_links() -> None:
    doc = load_bytes(NOISY, "nyhed.html", source="https://eksempel.dk/nyheder/ambassadoerer")
    assert doc.title == "Grønne ambassadører i Sønderborg"
    headings = [(b.text, b.level) for b in doc.blocks if b.kind == BlockKind.HEADING]
    assert headings == [
        ("Grønne ambassadører i Sønderborg", 1),
        ("Sådan kommer du i gang", 2),
        ("Økonomi", 3),
    ]
    assert kinds(doc, BlockKind.LIST_ITEM) == [
        "Lav en plan for udearealerne.",
        "Inddrag afdelingsbestyrelsen.",
    ]
    urls = [link.url for b in doc.blocks for link in b.links]
    assert urls == ["https://eksempel.dk/vilde-boligomraader", "https://almennet.dk/projekter/"]
    assert "6.000 m2 græs" in "\n".join(b.text for b in doc.blocks)


def test_html_noise_is_dropped() -> None:
    text = "\n".join(b.text for b in load_bytes(NOISY, "nyhed.html").blocks)
    for noise in ("Om os", "cookies", "sporingskode", "font-family", "Hovedgaden", "Relaterede"):
        assert noise not in text


def test_html_chrome_named_by_class_or_id_is_dropped_without_main() -> None:
    # A typical CMS theme: no <main>, <header> or <footer>; the site's header, sidebar
    # widgets and footer are <div>s named "site-header", "widget-area", "site-footer".
    page = (FIXTURES / "vaskeri-uden-main.html").read_bytes()
    doc = load_bytes(page, "vaskeri.html", source="https://eksempel.dk/vaskeri")
    assert [b.text for b in doc.blocks if b.kind == BlockKind.HEADING] == [
        "Vaskeri",
        "Booking af vasketid",
        "Hvis en maskine er i stykker",
    ]
    text = "\n".join(b.text for b in doc.blocks)
    assert "En vask koster 12 kr." in text
    for chrome in ("cookies", "Find bolig", "Seneste nyheder", "Sommerfest", "CVR", "Privatliv"):
        assert chrome not in text
    # A wrapper whose name mentions chrome but holds the content is kept.
    wrapped = page.replace(b'class="site"', b'class="site has-sidebar with-footer-widgets"')
    assert load_bytes(wrapped, "vaskeri.html").blocks == doc.blocks


def test_html_without_main_uses_body_minus_chrome() -> None:
    page = """<html><head><title>Hjælp: Autokorrektur</title></head><body>
    <header><p>LibreOffice Hjælp</p></header><aside><p>Indhold</p></aside>
    <div id="DisplayArea"><h1>Autokorrektur</h1><h3>Anførselstegn</h3>
    <p>Din tekst blev rettet af <a href="da/text/shared/01/06040000.html">Autokorrektur</a>.</p>
    </div><footer><p>Help content debug info</p></footer></body></html>"""
    doc = load_bytes(page.encode(), "06000000.html")
    assert doc.title == "Autokorrektur"  # the <h1> inside "Hjælp: Autokorrektur"
    assert [b.text for b in doc.blocks] == [
        "Autokorrektur",
        "Anførselstegn",
        "Din tekst blev rettet af Autokorrektur.",
    ]
    assert [b.level for b in doc.blocks[:2]] == [1, 3]


def test_html_only_scripts() -> None:
    page = b"<html><head><script>var a = 1;</script></head><body><script>go()</script></body>"
    with pytest.raises(IngestError, match="no readable text"):
        load_bytes(page, "tom.html")


def deep_page(levels: int) -> bytes:
    text = "<p>Vaskeriet er åbent alle dage fra 7 til 21, og en vask koster 12 kr.</p>"
    body = "<div>" * levels + text + "</div>" * levels
    return f"<html><head><title>Vaskeri</title></head><body>{body}</body></html>".encode()


def test_html_nested_far_deeper_than_libxml2s_default_is_read_whole() -> None:
    # A broken template that never closes its <div>s nests a long page hundreds of levels
    # deep; libxml2 stops at 255 by default and the walk must not recurse per level.
    for levels in (300, 2000):
        doc = load_bytes(deep_page(levels), "vaskeri.html")
        assert "en vask koster 12 kr." in doc.blocks[0].text
    items = "".join(f"<div><h2>Nyhed {n}</h2><p>Tekst om nyhed nummer {n}." for n in range(400))
    doc = load_bytes(f"<html><body>{items}</body></html>".encode(), "nyheder.html")
    assert doc.blocks[-1].text == "Tekst om nyhed nummer 399."
    assert sum(b.kind == BlockKind.HEADING for b in doc.blocks) == 400


def test_html_nested_deeper_than_the_parser_reads_is_refused_not_cut_short() -> None:
    with pytest.raises(IngestError, match="more than 2048 levels deep") as err:
        load_bytes(deep_page(2100), "vaskeri.html")
    assert "no readable text" not in str(err.value)
    # Text above the cut is no reason to keep a page whose rest is silently missing.
    page = b"<html><body><p>Indledning.</p>" + b"<div>" * 2100 + b"<p>Resten.</p></body></html>"
    with pytest.raises(IngestError, match="rest of its text was not reached"):
        load_bytes(page, "vaskeri.html")


# --- plain text and decoding -------------------------------------------------------------


def test_cp1252_text_comes_out_with_danish_letters() -> None:
    doc = load_document(FIXTURES / "cp1252-beboerblad.txt")
    assert doc.title == "Vilde boligområder"
    assert kinds(doc, BlockKind.PARAGRAPH)[1:] == [
        "Beboerne i Ærøskøbing har sået blomster på fællesarealerne.\n"
        "Det gav flere bier og sommerfugle.",
        "Økonomien var god, og ejendomsfunktionærerne var glade.",
    ]


def test_binary_data_is_not_text() -> None:
    data = bytes(range(256)) * 20
    with pytest.raises(IngestError, match=r"not text \(binary data\?\)"):
        load_bytes(data, "billede.txt")


# --- factory ---------------------------------------------------------------------------------


def test_unsupported_suffix_names_the_supported_ones() -> None:
    with pytest.raises(UnsupportedFormat) as err:
        load_bytes(b"PK\x03\x04", "rapport.pptx")
    assert "'.pptx'" in str(err.value)
    for suffix in SUPPORTED_SUFFIXES:
        assert suffix in str(err.value)


def test_too_large_says_size_limit_and_setting(tmp_path: Path) -> None:
    path = tmp_path / "stor.txt"
    path.write_bytes(b"a" * 3 * 1_048_576)
    with pytest.raises(
        FileTooLarge, match=r"3\.0 MB, over the 1\.0 MB limit.*VIDENSBANK_MAX_FILE_MB"
    ):
        load_document(path, max_bytes=1_048_576)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "tom.md"
    path.write_bytes(b"")
    with pytest.raises(IngestError, match="file is empty"):
        load_document(path)


def test_content_type_picks_loader_for_fetched_page() -> None:
    doc = load_bytes(NOISY, "ambassadoerer", content_type="text/html; charset=utf-8")
    assert doc.format == "html"
