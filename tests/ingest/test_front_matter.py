"""Front matter and adverts are no themes and no cases; themes come from the structure or
sources.toml; "Case:" prefixes are stripped; the year is read from the document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fpdf import FPDF

from tests.conftest import SEED
from vidensbank.ingest.gazetteer import Gazetteer
from vidensbank.ingest.loaders import load_bytes, load_document
from vidensbank.ingest.pipeline import Ingestor
from vidensbank.ingest.process import ProcessedDocument, process_document
from vidensbank.store import Store

GAZETTEER = Path("corpus/gazetteer.toml")
ADVERT_TITLE = "Håndtering af klager & konflikter - Modul 1"
STORY = (
    "Afdelingen satte målere op i alle opgange, og driften fulgte data hver uge sammen med"
    " beboerne. Efter et år var fugtskaderne faldet, og bestyrelsen besluttede at fortsætte"
    " ordningen i de andre afdelinger, fordi erfaringerne var gode for både drift og beboere."
)


def process(markdown: str) -> ProcessedDocument:
    loaded = load_bytes(markdown.encode(), "note.md")
    return process_document(loaded, "note", Gazetteer.load(GAZETTEER))


@pytest.fixture(scope="module")
def seed() -> ProcessedDocument:
    return process_document(
        load_document(SEED), "seed", Gazetteer.load(GAZETTEER), publisher="AlmenNet"
    )


def themes(doc: ProcessedDocument) -> set[str]:
    return {s.theme for s in doc.structure.sections if s.theme}


def test_seed_themes_are_its_subjects_not_its_front_matter(seed: ProcessedDocument) -> None:
    assert themes(seed) == {"Biodiversitet", "Vilde velfærdsproblemer"}
    assert {p.theme for p in seed.passages} == {None, "Biodiversitet", "Vilde velfærdsproblemer"}
    # The foreword and "Om AlmenNets publikationer" stay searchable text, without a theme.
    foreword = [p for p in seed.passages if p.section_path.startswith("Forord")]
    about = [p for p in seed.passages if p.section_path == "Om AlmenNets publikationer"]
    assert foreword and about
    assert all(p.theme is None and p.case_id is None for p in foreword + about)
    assert any("fire ERFA-møder" in p.text for p in foreword)


def test_the_course_advert_is_searchable_text_but_no_case(seed: ProcessedDocument) -> None:
    titles = [c.title for c in seed.cases]
    assert ADVERT_TITLE not in titles
    advert = [p for p in seed.passages if p.section_path.endswith(ADVERT_TITLE)]
    assert advert and all(p.case_id is None and p.theme is None for p in advert)
    assert any("kursusmodul" in p.text for p in advert)

    advice = next(c for c in seed.cases if c.title == "Økonomisk rådgivning")
    assert "kursusmodul" not in advice.text and "Center for Konfliktløsning" not in advice.text
    # The case printed after the advert is still one of the two examples of advice.
    domea = next(c for c in seed.cases if c.title == "Domea.dk")
    assert domea.parent_id == advice.id
    # A case that tells of a course is still a case.
    assert "Kursusrække for ejendomsfunktionærer" in titles


def test_an_event_advert_in_another_publication_is_no_case() -> None:
    doc = process(
        "# Hæfte om udearealer\n\n# Grønne fællesarealer\n\n## Erfaringer fra afdelingerne\n\n"
        f"### Regnbede i Hjørring\n\n{STORY}\n\n"
        "### Temadag om biodiversitet\n\nVil du vide mere om vilde arealer? Kom med på"
        " temadagen, hvor driften fortæller om erfaringerne.\n\nTid og sted: 12. marts,"
        " Odense.\n\nPris: 1.200 kr. ekskl. moms. Tilmeld dig senest 1. marts.\n\n"
        f"### Fugtmålere i Vejle\n\n{STORY}\n"
    )
    assert [c.title for c in doc.cases] == ["Regnbede i Hjørring", "Fugtmålere i Vejle"]
    advert = [p for p in doc.passages if "Tilmeld dig" in p.text]
    assert advert and advert[0].case_id is None and advert[0].theme is None
    assert themes(doc) == {"Grønne fællesarealer"}


@pytest.mark.parametrize(
    ("heading", "title"),
    [
        ("Case: Fugtmålere i Vejle", "Fugtmålere i Vejle"),
        ("Case 3 – Varme i Horsens", "Varme i Horsens"),
        ("Eksempel: beboerrådgivning i Ishøj", "Beboerrådgivning i Ishøj"),
        ("Praksiseksempel 2: Grønne ambassadører", "Grønne ambassadører"),
        ("Casen fra Odense", None),  # not a prefix: no single case either
    ],
)
def test_case_prefixes_are_stripped_from_titles(heading: str, title: str | None) -> None:
    doc = process(f"# Drift og energi\n\n# Energi\n\n## {heading}\n\n{STORY}\n")
    assert [c.title for c in doc.cases] == ([title] if title else [])
    if title:
        case = doc.cases[0]
        assert case.id.startswith("note--") and case.theme == "Energi"
        # the section keeps the heading as printed; the case id follows it, stable as before
        assert doc.structure.sections[case.section_index].title == heading


def test_a_reports_generic_chapters_are_not_themes() -> None:
    doc = process(
        "# Rapport om vedligehold\n\n# Indledning\n\n"
        + STORY
        + "\n\n# 2. Metode\n\n"
        + STORY
        + "\n\n# Udearealer\n\n"
        + STORY
        + "\n\n# Konklusion\n\n"
        + STORY
        + "\n"
    )
    assert themes(doc) == set()
    assert all(p.theme is None for p in doc.passages)


def test_a_chapter_gathering_cases_is_a_theme_but_its_introduction_is_not() -> None:
    doc = process(
        "# Indledning\n\n"
        + STORY
        + "\n\n# Udearealer\n\n## Cases\n\n### Regnbede i Hjørring\n\n"
        + STORY
        + "\n\n# Beboerdemokrati\n\n"
        + STORY
        + "\n"
    )
    assert themes(doc) == {"Udearealer"}


def pdf_with_colophon() -> bytes:
    """A PDF: title page, colophon with "© 2021", then chapters whose text names other years."""
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pages = [
        [("Tryghed i opgangen", 26), ("Erfaringer fra tre afdelinger", 14)],
        [
            ("Udgivet af Boligforeningen Vestegnen", 10),
            ("© Boligforeningen Vestegnen 2021", 10),
            ("ISBN 978-87-93000-12-3", 10),
        ],
        [
            ("Indledning", 20),
            (
                "I 2015 begyndte afdelingen at arbejde med tryghed, og i 2019"
                " kom der lys i alle opgange. Beboerne fortæller, at de nu bruger fællesrummet mere.",
                11,
            ),
        ],
        [
            ("Belysning", 20),
            (
                "Lyset blev skiftet i maj 2018. Arbejdet kostede 400.000 kr. og"
                " blev betalt af afdelingens egne midler over fem år.",
                11,
            ),
        ],
    ]
    for lines in pages:
        pdf.add_page()
        pdf.set_y(30)
        for text, size in lines:
            pdf.set_font("Helvetica", size=size)
            pdf.multi_cell(0, size * 0.6, text)
            pdf.ln(4)
    return bytes(pdf.output())


def ingest(folder: Path, store_path: Path) -> tuple[Store, object]:
    store = Store(store_path)
    return store, Ingestor(store, progress=False).run([folder])


def test_year_is_read_from_the_colophon_not_from_the_body(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "tryghed.pdf").write_bytes(pdf_with_colophon())
    store, report = ingest(folder, tmp_path / "store.sqlite3")
    with store:
        assert not report.failed, report.failed  # type: ignore[attr-defined]
        document = store.document("tryghed")
        assert document["year"] == 2021
        assert json.loads(document["metadata"])["year_source"] == "document"
        # "Indledning" and "Belysning" are chapters of a report, not themes
        themes = store.conn.execute("SELECT DISTINCT theme FROM passages").fetchall()
        assert [row["theme"] for row in themes] == [None]


@pytest.mark.parametrize(
    ("front", "year"),
    [
        ("Udgivet juni 2022\n\nUdgiver: Boligselskabet Sjælland", 2022),
        ("Udgivelsesår: 2020", 2020),
        ("1. udgave, 2. oplag 2019", 2019),
        ("København, september 2017", 2017),
        ("Fra møderne i foråret 2023", None),  # a date in a sentence dates an event
    ],
)
def test_year_from_a_markdown_title_page(front: str, year: int | None) -> None:
    doc = process(
        f"# Vaskerier\n\n{front}\n\n# Drift\n\nI 2012 og igen i maj 2016 blev maskinerne"
        f" skiftet. {STORY}\n"
    )
    assert doc.year == year


def write_corpus(folder: Path, manifest: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "haefte.md").write_text(text, encoding="utf-8")
    (folder / "sources.toml").write_text(manifest, encoding="utf-8")
    return folder


HAEFTE = (
    "# Udearealer og drift\n\nUdgivet 2022\n\n# Forord\n\n"
    + STORY
    + "\n\n# Udearealer\n\n"
    + STORY
    + "\n\n# Beboerdemokrati\n\n"
    + STORY
    + "\n\n# Praktiske oplysninger\n\n"
    + STORY
    + "\n"
)


def themes_in(store: Store) -> dict[str, str | None]:
    rows = store.conn.execute("SELECT path, theme FROM sections WHERE idx > 0").fetchall()
    return {row["path"]: row["theme"] for row in rows}


def test_a_publications_own_section_choices_in_sources_toml(tmp_path: Path) -> None:
    folder = write_corpus(
        tmp_path / "corpus", '[[publications]]\nid = "haefte"\nfile = "haefte.md"\n', HAEFTE
    )
    with Store(tmp_path / "store.sqlite3") as store:
        Ingestor(store, progress=False).run([folder])
        assert set(themes_in(store).values()) == {None}  # no cases: the structure names none
        assert store.document("haefte")["year"] == 2022  # from the title page

        write_corpus(
            folder,
            '[[publications]]\nid = "haefte"\nfile = "haefte.md"\nyear = 2024\nthemes = true\n'
            'exclude_sections = ["Praktiske oplysninger"]\nkeep_sections = ["forord"]\n',
            HAEFTE,
        )
        report = Ingestor(store, progress=False).run([folder])
        assert report.updated == ["haefte"], report  # changed choices re-process the file
        assert themes_in(store) == {
            "Forord": "Forord",
            "Udearealer": "Udearealer",
            "Beboerdemokrati": "Beboerdemokrati",
            "Praktiske oplysninger": None,
        }
        assert store.document("haefte")["year"] == 2024  # sources.toml wins

        write_corpus(
            folder,
            '[[publications]]\nid = "haefte"\nfile = "haefte.md"\nthemes = ["udearealer"]\n',
            HAEFTE,
        )
        Ingestor(store, progress=False).run([folder])
        assert {t for t in themes_in(store).values() if t} == {"Udearealer"}


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ('themes = "ja"', "'themes' must be true, false or a list of chapter titles"),
        ("exclude_sections = 3", "'exclude_sections' must be a list of section headings"),
        ('themes = ["Rumfart"]', "no such top-level chapter; its chapters are 'Forord'"),
    ],
)
def test_a_wrong_section_setting_is_reported_with_how_to_fix_it(
    tmp_path: Path, setting: str, message: str
) -> None:
    folder = write_corpus(
        tmp_path / "corpus",
        f'[[publications]]\nid = "haefte"\nfile = "haefte.md"\n{setting}\n',
        HAEFTE,
    )
    with Store(tmp_path / "store.sqlite3") as store:
        report = Ingestor(store, progress=False).run([folder])
    assert report.failed and message in report.failed[0].reason
    assert "\n" not in report.failed[0].reason


@pytest.mark.slow
def test_the_advert_is_found_by_search_without_theme_or_case(seed_searcher) -> None:
    response = seed_searcher.search("kursusmodul i konflikthåndtering for ansatte", k=3)
    hit = response.results[0]
    assert hit.section_path.endswith(ADVERT_TITLE)
    assert hit.theme is None and hit.case is None
    themes = {t.value for t in seed_searcher.catalog.facets.theme}
    assert themes == {"Biodiversitet", "Vilde velfærdsproblemer"}
