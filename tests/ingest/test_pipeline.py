import shutil
from pathlib import Path

import pytest
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from tests.conftest import SEED
from tests.pdfs import one_page_pdf
from vidensbank.ingest.pipeline import Ingestor
from vidensbank.store import Store

GOOD_TEXT = (
    "Beboerrådgivning i praksis\n\n"
    "Økonomiske rådgivere hjælper beboere med budget og gæld, så færre bliver sat ud af deres "
    "bolig. Rådgiverne samarbejder med driften og kommunen, og de mødes med beboerne i "
    "afdelingens eget lokale hver tirsdag. Erfaringen er, at tidlig kontakt gør den største forskel.\n"
)


def make_pdf(path: Path, text: str) -> Path:
    path.write_bytes(one_page_pdf(text))
    return path


def test_seed_ingest_then_reingest_changes_nothing(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    shutil.copy(SEED.parent / "sources.toml", corpus / "sources.toml")
    with Store(tmp_path / "store.sqlite3") as store:
        first = Ingestor(store, progress=False).run([corpus])
        assert first.added == ["vaerdiskabende-gentagelser-2023"] and not first.failed
        doc = store.document("vaerdiskabende-gentagelser-2023")
        assert doc["year"] == 2023 and doc["publisher"] == "AlmenNet"
        assert "kildeangivelsen" in doc["metadata"]
        before = store.counts()
        passages = store.conn.execute("SELECT id, text FROM passages ORDER BY id").fetchall()

        second = Ingestor(store, progress=False).run([corpus])
        assert second.unchanged == ["vaerdiskabende-gentagelser-2023"]
        assert not (second.added or second.updated or second.failed)
        assert store.counts() == before
        assert (
            store.conn.execute("SELECT id, text FROM passages ORDER BY id").fetchall() == passages
        )
        assert (
            store.document("vaerdiskabende-gentagelser-2023")["ingested_at"] == doc["ingested_at"]
        )


def test_bad_files_are_reported_and_the_rest_is_ingested(tmp_path: Path) -> None:
    corpus = tmp_path / "batch"
    corpus.mkdir()
    (corpus / "god.txt").write_text(GOOD_TEXT, encoding="utf-8")
    (corpus / "latin1.txt").write_bytes(GOOD_TEXT.replace("praksis", "Århus").encode("cp1252"))
    (corpus / "tom.md").write_bytes(b"")
    (corpus / "regneark.xlsx").write_bytes(b"PK\x03\x04 not really")
    good_pdf = make_pdf(tmp_path / "ok.pdf", GOOD_TEXT.replace("\n\n", "\n"))
    (corpus / "afbrudt.pdf").write_bytes(good_pdf.read_bytes()[:300])
    writer = PdfWriter(clone_from=PdfReader(good_pdf))
    writer.encrypt("hemmelig")
    with (corpus / "krypteret.pdf").open("wb") as handle:
        writer.write(handle)
    blank = FPDF()
    blank.add_page()
    blank.output(str(corpus / "scannet.pdf"))
    (corpus / "scripts.html").write_text(
        "<html><head><script>var a=1;</script></head><body><script>alert(1)</script>"
        "<nav><a href='/'>Forside</a></nav></body></html>"
    )
    (corpus / "kæmpe.txt").write_text(GOOD_TEXT * 400, encoding="utf-8")

    with Store(tmp_path / "store.sqlite3") as store:
        report = Ingestor(store, progress=False, max_bytes=100_000).run([corpus])
        reasons = {Path(f.source).name: f.reason for f in report.failed}
        assert sorted(reasons) == sorted(
            [
                "tom.md",
                "regneark.xlsx",
                "afbrudt.pdf",
                "krypteret.pdf",
                "scannet.pdf",
                "scripts.html",
                "kæmpe.txt",
            ]
        )
        assert "empty" in reasons["tom.md"]
        assert "unsupported" in reasons["regneark.xlsx"] and ".pdf" in reasons["regneark.xlsx"]
        assert "encrypted" in reasons["krypteret.pdf"].lower()
        assert "text layer" in reasons["scannet.pdf"] and "OCR" in reasons["scannet.pdf"]
        assert "VIDENSBANK_MAX_FILE_MB" in reasons["kæmpe.txt"]
        assert "readable text" in reasons["scripts.html"] or "no text" in reasons["scripts.html"]
        assert all("\n" not in r for r in reasons.values())
        assert sorted(report.added) == ["god", "latin1"]
        latin = store.conn.execute(
            "SELECT text FROM passages WHERE document_id = 'latin1'"
        ).fetchone()
        assert "Århus" in latin["text"] and "Økonomiske rådgivere" in latin["text"]


def test_a_failing_new_version_keeps_the_old_one(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    pdf = make_pdf(corpus / "rapport.pdf", GOOD_TEXT.replace("\n\n", "\n"))
    with Store(tmp_path / "store.sqlite3") as store:
        assert Ingestor(store, progress=False).run([corpus]).added == ["rapport"]
        before = store.conn.execute("SELECT id, text FROM passages").fetchall()
        pdf.write_bytes(pdf.read_bytes()[:200])  # the file is replaced by a broken copy
        report = Ingestor(store, progress=False).run([corpus])
        assert [Path(f.source).name for f in report.failed] == ["rapport.pdf"]
        assert store.conn.execute("SELECT id, text FROM passages").fetchall() == before


def test_strict_writes_nothing_when_a_file_fails(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "god.txt").write_text(GOOD_TEXT, encoding="utf-8")
    (corpus / "tom.txt").write_bytes(b"")
    with Store(tmp_path / "store.sqlite3") as store:
        report = Ingestor(store, progress=False).run([corpus], strict=True)
        assert len(report.failed) == 1
        assert store.counts()["documents"] == 0


def test_changed_file_replaces_and_prune_removes(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text(GOOD_TEXT, encoding="utf-8")
    (corpus / "b.txt").write_text(GOOD_TEXT.replace("tirsdag", "onsdag"), encoding="utf-8")
    with Store(tmp_path / "store.sqlite3") as store:
        Ingestor(store, progress=False).run([corpus])
        (corpus / "a.txt").write_text(GOOD_TEXT.replace("tirsdag", "torsdag"), encoding="utf-8")
        (corpus / "b.txt").unlink()
        report = Ingestor(store, progress=False).run([corpus], prune=True)
        assert report.updated == ["a"] and report.removed == ["b"]
        texts = " ".join(r["text"] for r in store.conn.execute("SELECT text FROM passages"))
        assert "torsdag" in texts and "tirsdag" not in texts and "onsdag" not in texts


@pytest.mark.parametrize("name", ["README.md", "sources.toml", "gazetteer.toml"])
def test_corpus_bookkeeping_files_are_not_publications(tmp_path: Path, name: str) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / name).write_text("# Om mappen: her ligger publikationerne\n")
    (corpus / "god.txt").write_text(GOOD_TEXT, encoding="utf-8")
    with Store(tmp_path / "store.sqlite3") as store:
        report = Ingestor(store, progress=False).run([corpus])
        assert report.added == ["god"] and not report.failed


def test_a_broken_manifest_is_reported_and_its_files_still_ingested(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "sources.toml").write_text("[[publications]\nid = ")
    (corpus / "god.txt").write_text(GOOD_TEXT, encoding="utf-8")
    with Store(tmp_path / "store.sqlite3") as store:
        report = Ingestor(store, progress=False).run([corpus])
        assert report.added == ["god"]
        assert [Path(f.source).name for f in report.failed] == ["sources.toml"]
        assert "invalid TOML" in report.failed[0].reason
