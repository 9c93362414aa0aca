from pathlib import Path

import pytest

from tests.conftest import FIXTURES, SEED
from vidensbank.ingest.gazetteer import Gazetteer
from vidensbank.ingest.loaders import load_document
from vidensbank.ingest.process import ProcessedDocument, process_document


def process(path: Path, doc_id: str) -> ProcessedDocument:
    return process_document(
        load_document(path), doc_id, Gazetteer.load(Path("corpus/gazetteer.toml"))
    )


@pytest.fixture(scope="module")
def seed() -> ProcessedDocument:
    return process(SEED, "seed")


def case_by_title(doc: ProcessedDocument, title: str):
    matches = [c for c in doc.cases if c.title == title]
    assert matches, f"no case {title!r}; cases: {[c.title for c in doc.cases]}"
    return matches[0]


def test_section_paths_follow_the_publication(seed: ProcessedDocument) -> None:
    paths = {s.path_text for s in seed.structure.sections}
    assert "Biodiversitet › Cases fra møderne › Boligområde som biologilokale" in paths
    # Italic sub-headings nest under their strategy section instead of breaking the tree.
    assert "Biodiversitet › Cases fra møderne › Vild strategi › AAB Silkeborg" in paths
    # A heading split over two lines is one section; a "# » quote" line is not a chapter.
    assert "Om AlmenNets publikationer" in paths
    assert not any("»" in p for p in paths)
    themes = {s.theme for s in seed.structure.sections if s.theme}
    assert {"Biodiversitet", "Vilde velfærdsproblemer"} <= themes


def test_seed_cases_have_theme_organisations_places_and_links(seed: ProcessedDocument) -> None:
    case = case_by_title(seed, "Boligområde som biologilokale")
    assert case.theme == "Biodiversitet"
    assert "ALFABO" in case.organisations
    assert "Kolding" in case.places
    assert any("fagbladetboligen.dk" in link.url for link in case.links)
    assert "Munkevængets Skole" in case.text

    vest = case_by_title(seed, "Det vestsjællandske samarbejde")
    assert vest.theme == "Vilde velfærdsproblemer"
    assert "Slagelse Boligselskab" in vest.organisations

    # Sub-headings with a story of their own are cases inside their parent case.
    kab = case_by_title(seed, "KAB")
    assert kab.parent_id == case_by_title(seed, "Vild strategi").id
    assert case_by_title(seed, "100 procent biodiversitet i ny afdeling").places == ["Skødstrup"]
    assert "ØsterBO" in case_by_title(seed, "Klimatilpasning og biodiversitet").organisations


def test_case_ids_are_stable(seed: ProcessedDocument) -> None:
    again = process(SEED, "seed")
    assert [c.id for c in again.cases] == [c.id for c in seed.cases]
    assert [p.id for p in again.passages] == [p.id for p in seed.passages]


def test_passages_respect_sections_and_limits(seed: ProcessedDocument) -> None:
    structure = seed.structure
    for passage in seed.passages:
        section = structure.sections[passage.section_index]
        n = len(passage.text.split())
        assert n <= 180, passage.text
        assert passage.section_path == (section.path_text or structure.title)
        body = seed.cleaned_text[passage.char_start : passage.char_end]
        assert body and body in passage.text
        assert passage.embed_text.startswith(passage.section_path)
        assert "Foto:" not in passage.text
        assert not passage.text.strip().isdigit()
    sized = [len(p.text.split()) for p in seed.passages]
    assert sum(n >= 40 for n in sized) / len(sized) > 0.85
    in_case = [p for p in seed.passages if p.case_id]
    assert in_case and all(p.theme for p in in_case)


def test_a_differently_structured_document_yields_its_cases() -> None:
    doc = process(FIXTURES / "ingest" / "tryghed-og-energi.md", "tryghed")
    titles = {c.title: c for c in doc.cases}
    assert set(titles) == {
        "Lys på stierne i Gellerup",
        "Nabohjælp i Vollsmose",
        "Varmepumper i Viborg",  # "Case: " is stripped from the title
    }
    assert titles["Lys på stierne i Gellerup"].theme == "Tryghed"
    assert "Brabrand Boligforening" in titles["Lys på stierne i Gellerup"].organisations
    assert titles["Lys på stierne i Gellerup"].links[0].url == "https://example.org/lys-paa-stierne"
    assert "Odense" in titles["Nabohjælp i Vollsmose"].places
    assert "Boligselskabet Viborg" in titles["Varmepumper i Viborg"].organisations
    assert titles["Varmepumper i Viborg"].theme == "Energi"
