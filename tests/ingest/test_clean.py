"""Cleaning: running headers, page numbers, hyphenation, credits, Unicode."""

from __future__ import annotations

import unicodedata

import pytest

from tests.ingest.test_loaders import SEED, make_pdf
from vidensbank.ingest.clean import clean_document, dehyphenate
from vidensbank.ingest.loaders import load_bytes, load_document
from vidensbank.ingest.model import Block, BlockKind, LoadedDocument


def doc_of(*blocks: Block, page_count: int | None = None) -> LoadedDocument:
    return LoadedDocument("test", "Test", list(blocks), "txt", page_count=page_count)


def para(text: str, page: int | None = None) -> Block:
    return Block(BlockKind.PARAGRAPH, text, page=page)


@pytest.fixture(scope="module")
def clean_pdf() -> LoadedDocument:
    return clean_document(load_bytes(make_pdf(), "vilde.pdf"))


@pytest.fixture(scope="module")
def clean_seed() -> LoadedDocument:
    return clean_document(load_document(SEED))


# --- PDF: headers, page numbers, hyphenation ------------------------------------------


def test_running_header_and_page_numbers_removed(clean_pdf: LoadedDocument) -> None:
    texts = [b.text for b in clean_pdf.blocks]
    assert not any("side 1" in t or "side 2" in t or "AlmenNet ·" in t for t in texts)
    assert "1" not in texts and "2" not in texts
    assert texts[0] == "Biodiversitet i almene boligområder"


def test_hyphenated_line_break_joined(clean_pdf: LoadedDocument) -> None:
    body = next(b.text for b in clean_pdf.blocks if b.text.startswith("Den almene sektor"))
    assert "Hver boligorganisation kan plante" in body
    assert "\n" not in body
    other = next(b.text for b in clean_pdf.blocks if b.text.startswith("Flere steder"))
    assert other == "Flere steder arbejdes der med ERFA-møder og ambassadørordninger for beboere."


def test_header_differing_only_by_page_number_on_many_pages() -> None:
    topics = ["drift", "vedligehold", "økonomi", "beboere", "natur"]
    blocks = []
    for page, topic in enumerate(topics, start=1):
        blocks += [
            para(f"Årsrapport 2023 – side {page}", page),
            Block(BlockKind.HEADING, f"Case {page * 2}", level=2, page=page),
            para(f"Afsnittet handler om {topic}.", page),
            para(str(page + 2), page),
        ]
    cleaned = clean_document(doc_of(*blocks, page_count=5))
    assert [b.text for b in cleaned.blocks if b.kind == BlockKind.PARAGRAPH] == [
        f"Afsnittet handler om {topic}." for topic in topics
    ]
    # Numbered headings at the top of pages are not running headers.
    assert [b.text for b in cleaned.blocks if b.kind == BlockKind.HEADING] == [
        f"Case {page * 2}" for page in range(1, 6)
    ]


def test_paragraph_cut_by_page_break_is_joined() -> None:
    cleaned = clean_document(
        doc_of(para("Driften er blevet opkvalifi-", 1), para("ceret og digitaliseret.", 2))
    )
    assert [b.text for b in cleaned.blocks] == [
        "Driften er blevet opkvalificeret og digitaliseret."
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("boligorganisa-\ntion", "boligorganisation"),
        ("bolig-sociale indsatser", "bolig-sociale indsatser"),
        ("ERFA-møder", "ERFA-møder"),
        ("klima-\nog miljø", "klima- og miljø"),
        ("Region Nord-\nJylland", "Region Nord-Jylland"),
        ("planter -\nog åndehuller", "planter -\nog åndehuller"),
        ("bolig\u00ad\nselskab", "boligselskab"),
    ],
)
def test_dehyphenate(raw: str, expected: str) -> None:
    assert dehyphenate(raw) == expected


def test_nfc_and_whitespace() -> None:
    decomposed = unicodedata.normalize("NFD", "Ærøskøbing  har\t\nså  meget")
    cleaned = clean_document(doc_of(para(decomposed), para("   "), para("")))
    assert [b.text for b in cleaned.blocks] == ["Ærøskøbing har så meget"]
    assert unicodedata.is_normalized("NFC", cleaned.blocks[0].text)


def test_control_and_zero_width_characters_are_dropped() -> None:
    """A NUL or escape code in a text file, or a zero-width space pasted into a word, must
    not reach the stored text, the title or the search."""
    doc = LoadedDocument(
        "test",
        "Husorden\x00 for\x1b afdelingen",
        [para("Vaske\u200brummet\x00 er\x7f åbent")],
        "txt",
    )
    cleaned = clean_document(doc)
    assert cleaned.title == "Husorden for afdelingen"
    assert [b.text for b in cleaned.blocks] == ["Vaskerummet er åbent"]
    soft_hyphen = clean_document(doc_of(para("boligorga\u00ad\nnisationen")))
    assert [b.text for b in soft_hyphen.blocks] == ["boligorganisationen"]


def test_bare_page_number_blocks_dropped_but_numbers_in_lists_kept() -> None:
    cleaned = clean_document(
        doc_of(para("Tekst."), para("16"), Block(BlockKind.LIST_ITEM, "3"), para("- 17 -"))
    )
    assert [(b.kind, b.text) for b in cleaned.blocks] == [
        (BlockKind.PARAGRAPH, "Tekst."),
        (BlockKind.LIST_ITEM, "3"),
    ]


# --- credits --------------------------------------------------------------------------------


def test_seed_has_no_credit_left_in_body_text(clean_seed: LoadedDocument) -> None:
    body_kinds = (BlockKind.PARAGRAPH, BlockKind.LIST_ITEM, BlockKind.QUOTE)
    for block in clean_seed.blocks:
        if block.kind in body_kinds:
            assert "Foto:" not in block.text and "Grafik:" not in block.text, block.text


def test_seed_caption_lines(clean_seed: LoadedDocument) -> None:
    captions = {b.text: b.credit for b in clean_seed.blocks if b.kind == BlockKind.CAPTION}
    assert captions["Den årlige høstlet i KABs Tunet i Roskilde Nord."] == "Foto: KAB"
    assert captions["Kursus i konflikt håndtering."] == "Grafik: BL"
    frank = next(t for t in captions if t.startswith("Frank Erichsen"))
    assert captions[frank] == "Foto: BL / Fagbladet Boligen"


def test_seed_page_number_after_url_dropped(clean_seed: LoadedDocument) -> None:
    line = next(b.text for b in clean_seed.blocks if "udsættelser/" in b.text)
    assert line.endswith("med-at-undga-udsættelser/")


def test_long_paragraph_keeps_text_and_credit_becomes_caption() -> None:
    long = "Beboerne har arbejdet målrettet med biodiversitet i mange år. " * 8
    cleaned = clean_document(doc_of(para(long + "Foto: Colourbox", page=3)))
    assert [b.kind for b in cleaned.blocks] == [BlockKind.PARAGRAPH, BlockKind.CAPTION]
    assert "Foto" not in cleaned.blocks[0].text
    assert cleaned.blocks[1].credit == "Foto: Colourbox"
    assert cleaned.blocks[1].page == 3


def test_kilde_foto_credit_and_plain_kilde_untouched() -> None:
    cleaned = clean_document(
        doc_of(
            para("Tagterrassen på kollegiet. Kilde: foto PAB"), para("Kilde: Danmarks Statistik")
        )
    )
    first, second = cleaned.blocks
    assert (first.kind, first.text, first.credit) == (
        BlockKind.CAPTION,
        "Tagterrassen på kollegiet.",
        "Kilde: foto PAB",
    )
    assert (second.kind, second.text) == (BlockKind.PARAGRAPH, "Kilde: Danmarks Statistik")
