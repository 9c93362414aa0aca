"""Word files: heading styles become sections, lists and tables become text; a broken
file is reported in one line and the rest of the batch is ingested."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from docx import Document
from fastapi.testclient import TestClient

from tests.seeddata import seed_copy
from tests.wordfiles import DOCX_TYPE, STORY, word_file
from vidensbank.ingest.gazetteer import Gazetteer
from vidensbank.ingest.loaders import load_bytes
from vidensbank.ingest.model import BlockKind
from vidensbank.ingest.pipeline import Ingestor
from vidensbank.ingest.process import process_document
from vidensbank.settings import Settings
from vidensbank.store import Store

TOKEN = "docx-test-token-0123456789"


@pytest.mark.parametrize("danish_styles", [False, True])
def test_word_headings_become_sections_with_levels(danish_styles: bool) -> None:
    loaded = load_bytes(word_file(danish_styles=danish_styles), "fugt.docx")
    assert loaded.format == "docx" and loaded.title == "Fugt og indeklima"
    headings = [(b.text, b.level) for b in loaded.blocks if b.kind is BlockKind.HEADING]
    assert headings == [
        ("Fugt og indeklima", 1),
        ("Indledning", 1),
        ("Indeklima", 1),
        ("Erfaringer fra afdelingerne", 2),
        ("Fugtmålere i Solbakken", 3),
    ]
    items = [b.text for b in loaded.blocks if b.kind is BlockKind.LIST_ITEM]
    assert items == [
        "Luft ud tre gange om dagen i ti minutter",
        "Tør ikke tøj indendørs uden affugter",
    ]
    assert "Solbakken | 40 | 12 → 6" in [b.text for b in loaded.blocks]

    doc = process_document(loaded, "fugt", Gazetteer.load(Path("corpus/gazetteer.toml")))
    paths = {s.path_text for s in doc.structure.sections}
    assert "Indeklima › Erfaringer fra afdelingerne › Fugtmålere i Solbakken" in paths
    assert [c.title for c in doc.cases] == ["Fugtmålere i Solbakken"]
    assert {s.theme for s in doc.structure.sections if s.theme} == {"Indeklima"}
    case_text = " ".join(p.text for p in doc.passages if p.case_id)
    assert "Luft ud tre gange" in case_text and "Engen | 25 | 8 → 5" in case_text
    assert doc.year == 2022


def test_the_first_heading_is_the_title_without_core_properties() -> None:
    loaded = load_bytes(word_file(title=""), "uden-titel.docx")
    assert loaded.title == "Indledning"  # the Title paragraph is empty here


def encrypted_word_file() -> bytes:
    """The start of an OLE container holding an EncryptedPackage, as Word writes it."""
    name = "EncryptedPackage".encode("utf-16-le")
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + name + b"\x00" * 512


def broken_xml_word_file() -> bytes:
    """A valid ZIP whose document part ends in the middle of a tag."""
    source, buffer = zipfile.ZipFile(io.BytesIO(word_file())), io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(
                info, data[: len(data) // 2] if info.filename == "word/document.xml" else data
            )
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (word_file()[:1500], "Word file is damaged (truncated or broken ZIP"),
        (encrypted_word_file(), "encrypted Word document: a password is needed"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "old binary Word file (.doc)"),
        (b"%PDF-1.4 not a word file", "not a Word .docx file (no ZIP header"),
        (broken_xml_word_file(), "Word file is damaged (a part of it is not well-formed XML"),
    ],
)
def test_broken_word_files_give_one_clear_line(data: bytes, message: str) -> None:
    from vidensbank.ingest.errors import IngestError

    with pytest.raises(IngestError) as err:
        load_bytes(data, "rapport.docx")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_word_file_without_text_is_refused() -> None:
    from vidensbank.ingest.errors import IngestError

    buffer = io.BytesIO()
    Document().save(buffer)
    with pytest.raises(IngestError, match="Word document has no text"):
        load_bytes(buffer.getvalue(), "tom.docx")


def test_a_corrupt_word_file_is_reported_and_the_rest_of_the_batch_ingested(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "fugt.docx").write_bytes(word_file())
    (folder / "afbrudt.docx").write_bytes(word_file()[:2000])
    (folder / "note.md").write_text("# Vaskeri\n\n" + STORY + "\n", encoding="utf-8")
    with Store(tmp_path / "store.sqlite3") as store:
        report = Ingestor(store, progress=False).run([folder])
        assert sorted(report.added) == ["fugt", "note"]
        assert [Path(f.source).name for f in report.failed] == ["afbrudt.docx"]
        assert report.failed[0].reason.startswith("Word file is damaged")
        document = store.document("fugt")
        assert document["format"] == "docx" and document["title"] == "Fugt og indeklima"


@pytest.mark.slow
def test_vidensbank_ingest_takes_a_word_file_and_search_finds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from vidensbank.cli import main
    from vidensbank.services import load_searcher
    from vidensbank.settings import load_settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(Path("corpus/gazetteer.toml"), corpus / "gazetteer.toml")  # case headings
    path = corpus / "fugt.docx"
    path.write_bytes(word_file())
    monkeypatch.setenv("VIDENSBANK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VIDENSBANK_CORPUS_DIR", str(corpus))
    assert main(["ingest", "--quiet", str(path)]) == 0
    assert "1 added" in capsys.readouterr().out

    settings = load_settings(data_dir=tmp_path / "data", corpus_dir=corpus)
    hit = load_searcher(settings).search("hvor mange fugtmålere blev sat op", k=1).results[0]
    assert hit.document.id == "fugt" and "fugtmålere op i 40 lejligheder" in hit.text
    assert hit.case is not None and hit.case.title == "Fugtmålere i Solbakken"


@pytest.mark.slow
def test_the_api_accepts_a_word_upload(
    seed_settings: Settings, seed_searcher, tmp_path: Path
) -> None:
    from vidensbank.api.app import create_app
    from vidensbank.api.holder import SnapshotHolder

    settings = seed_copy(seed_settings, tmp_path, admin_token=TOKEN)
    holder = SnapshotHolder(settings, embedder=seed_searcher.embedder)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(settings, holder=holder)) as client:
        upload = {"file": ("Fugt og indeklima.docx", word_file(), DOCX_TYPE)}
        response = client.post("/api/documents", files=upload, headers=headers)
        assert response.status_code == 201, response.text
        document_id = response.json()["document_id"]
        assert (settings.data_dir / "uploads" / "fugt-og-indeklima.docx").exists()

        hits = client.get("/api/search", params={"q": "fugtmålere i lejlighederne", "k": 3})
        assert hits.json()["results"][0]["document"]["id"] == document_id

        # A Word upload without a suffix is recognised by its content type.
        unnamed = {"file": ("fugtrapport", word_file(title="Fugtrapport"), DOCX_TYPE)}
        response = client.post("/api/documents", files=unnamed, headers=headers)
        assert response.status_code == 201, response.text
        assert (settings.data_dir / "uploads" / "fugtrapport.docx").exists()

        broken = {"file": ("afbrudt.docx", word_file()[:1500], DOCX_TYPE)}
        response = client.post("/api/documents", files=broken, headers=headers)
        assert 400 <= response.status_code < 500, response.text
        message = response.json()["error"]["message"]
        assert "Word" in message and "/" + "tmp" not in message
