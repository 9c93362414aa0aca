"""`vidensbank fetch-links` end to end: ingest a document whose cases link to pages on a
real local server, fetch and ingest the linked material, search it, re-run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.lifecycle.conftest import (
    LIFECYCLE,
    Route,
    Site,
    closed_port,
    make_corpus,
    set_env,
    settings_for,
)
from tests.pdfs import one_page_pdf
from vidensbank.cli import main
from vidensbank.ingest.linked.provenance import LINKED_FOR_CASE_SQL
from vidensbank.search.snapshot import current_path
from vidensbank.services import load_searcher
from vidensbank.store import Store

SOLCELLER = "kilde--case-solceller-i-tinglev"
REGNVAND = "kilde--case-regnvand-i-soenderborg"


def source_text(base: str) -> str:
    return (LIFECYCLE / "kilde.md").read_text(encoding="utf-8").replace("{base}", base)


def serve_pages(site: Site) -> None:
    site.page("/artikler/solceller", "solceller-v1.html", etag='"v1"')
    site.routes["/rapport.pdf"] = Route(
        body=one_page_pdf(
            "Regnbede mellem blokkene\nSkolens elever plantede siv og iris i regnbedene, og"
            " vandet fra tagene loeber nu ikke laengere i kloakken ved store skybrud."
        ),
        content_type="application/pdf",
    )
    site.page("/ny-side", "ny-side.html")
    site.routes["/flyttet"] = Route(status=301, headers={"Location": "/ny-side"})
    site.page("/privat/notat", "ny-side.html")
    site.routes["/billede.png"] = Route(body=b"\x89PNG\r\n", content_type="image/png")


def test_fetch_links_ingests_linked_material_for_cases(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    serve_pages(site)
    corpus = make_corpus(tmp_path / "corpus", {"kilde.md": source_text(site.base)})
    settings = settings_for(tmp_path, corpus)
    set_env(monkeypatch, settings)
    monkeypatch.setenv("VIDENSBANK_FETCH_ALLOW_HOSTS", "127.0.0.1")  # the local test site
    assert main(["ingest", "--quiet"]) == 0

    # --domains elsewhere: nothing is requested at all
    assert main(["fetch-links", "--domains", "almennet.dk", "--quiet"]) == 0
    assert site.seen == [] and "No links to fetch within almennet.dk" in capsys.readouterr().out

    assert main(["fetch-links", "--domains", "127.0.0.1", "--quiet"]) == 1  # 404 and a PNG
    out, err = capsys.readouterr()
    assert "fetched   " + f"{site.base}/artikler/solceller" in out
    assert f"{site.base}/flyttet → {site.base}/ny-side" in out
    assert "robots.txt disallows" in out and "/privat/notat" not in site.paths()
    assert "HTTP 404" in err and "image/png" in err
    assert "3 new" in out and "Index " in out

    searcher = load_searcher(settings)
    hit = searcher.search("aflæse invertere og melde fejl til leverandøren", k=1).results[0]
    assert hit.document.url == f"{site.base}/artikler/solceller"
    assert [c.id for c in hit.cited_by] == [SOLCELLER]
    assert hit.cited_by[0].title == "Solceller i Tinglev"
    pdf_hit = searcher.search("siv og iris i regnbedene", k=1).results[0]
    assert pdf_hit.document.url == f"{site.base}/rapport.pdf"
    assert [c.id for c in pdf_hit.cited_by] == [REGNVAND]
    # a case's linked documents, from the snapshot catalog (what the case view lists)
    rows = searcher.catalog.query(LINKED_FOR_CASE_SQL, (SOLCELLER,))
    assert [r["url"] for r in rows] == [f"{site.base}/artikler/solceller"]
    doc = searcher.catalog.documents[rows[0]["id"]]
    assert doc.metadata["linked_from"][0]["document_id"] == "kilde"
    assert doc.metadata["provenance"]["etag"] == '"v1"'
    version = current_path(settings.index_dir).name

    # unchanged: conditional requests, 304, nothing re-ingested or re-embedded
    assert main(["fetch-links", "--domains", "127.0.0.1", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "(304 Not Modified)" in out and "index unchanged" in out
    assert current_path(settings.index_dir).name == version
    assert any(s.headers.get("If-None-Match") == '"v1"' for s in site.seen)

    # changed page: re-fetched, re-ingested; nothing of the old version is findable
    site.page("/artikler/solceller", "solceller-v2.html", etag='"v2"')
    assert main(["fetch-links", "--domains", "127.0.0.1", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert f"changed   {site.base}/artikler/solceller" in out
    assert "1 updated" in out and "0 added" in out
    assert current_path(settings.index_dir).name != version
    with Store(settings.store_path) as store:
        texts = " ".join(r[0] for r in store.conn.execute("SELECT text FROM passages"))
    assert "batteri i kælderen" in texts and "driftsbudgettet" not in texts
    searcher = load_searcher(settings)
    hit = searcher.search("batteri i kælderen til strøm om aftenen", k=1).results[0]
    assert "batteri" in hit.text and [c.id for c in hit.cited_by] == [SOLCELLER]
    old = searcher.search("finansieret over driftsbudgettet").results
    assert all("driftsbudgettet" not in h.text for h in old)

    # a later `vidensbank ingest` of the whole corpus sees the linked copies as unchanged
    assert main(["ingest", "--quiet"]) == 0
    assert "0 added, 0 updated, 4 unchanged" in capsys.readouterr().out


def test_without_network_every_url_is_unreachable_and_nothing_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    base = f"http://127.0.0.1:{closed_port()}"
    corpus = make_corpus(tmp_path / "corpus", {"kilde.md": source_text(base)})
    settings = settings_for(tmp_path, corpus)
    set_env(monkeypatch, settings)
    monkeypatch.setenv("VIDENSBANK_FETCH_ALLOW_HOSTS", "127.0.0.1")
    assert main(["ingest", "--quiet"]) == 0
    capsys.readouterr()
    with Store(settings.store_path) as store:
        before = store.counts()
    version = current_path(settings.index_dir).name

    assert main(["fetch-links", "--quiet"]) == 1
    out, err = capsys.readouterr()
    failed = [line for line in err.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 6 and all("unreachable" in line for line in failed), err
    assert "6 failed" in out
    assert not (corpus / "linked").exists()
    with Store(settings.store_path) as store:
        assert store.counts() == before
    assert current_path(settings.index_dir).name == version
    manifest = json.loads((current_path(settings.index_dir) / "manifest.json").read_text())
    assert manifest["counts"]["documents"] == 1
