"""New publications, changed files, `vidensbank remove` and `supersedes` in the manifest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.ingest.test_pipeline import make_pdf
from tests.lifecycle.conftest import LIFECYCLE, make_corpus, set_env, settings_for
from vidensbank.cli import main
from vidensbank.search.types import Filters
from vidensbank.services import load_searcher
from vidensbank.store import Store
from vidensbank.writes import ingest_and_build

OLD = """# Affald i afdelingen

## Eksempler

### Sortering i Ishøj

Afdelingen har sat nye containere op til pap, glas og metal ved hver opgang. Beboerne fik besøg af en affaldsvejleder, og mængden af restaffald faldt på et halvt år med en fjerdedel.
"""

NEW = """# Affald i afdelingen

## Eksempler

### Storskrald i Albertslund

Driften har indrettet et bemandet storskraldsrum, hvor beboerne kan aflevere møbler og elektronik. Brugbare ting sættes i en byttehylde, og resten køres til genbrugspladsen hver fredag.
"""


def texts(settings) -> str:
    with Store(settings.store_path) as store:
        rows = store.conn.execute(
            "SELECT text FROM passages UNION ALL SELECT text FROM cases"
            " UNION ALL SELECT title FROM sections"
        )
        return " ".join(r[0] for r in rows)


def test_new_publications_changed_files_and_remove(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    corpus = make_corpus(tmp_path / "corpus", {"affald.md": OLD})
    settings = settings_for(tmp_path, corpus)
    first = ingest_and_build(settings, [corpus], progress=False)
    assert first.report.added == ["affald"] and first.build is not None

    # new publications in three formats: searchable; the unchanged one is skipped and
    # its embeddings reused
    shutil.copy(LIFECYCLE / "ny-side.html", corpus / "groenne-arealer.html")
    (corpus / "noter.md").write_text(
        "# Noter\n\nVaskeriet i kælderen har fået nye maskiner med betaling via app, og"
        " beboerne booker tider fra telefonen.\n",
        encoding="utf-8",
    )
    make_pdf(
        corpus / "cykler.pdf",
        "Cykelparkering\nAfdelingen har bygget overdaekkede cykelskure med plads til"
        " ladcykler og en lille vaerkstedsbaenk, som beboerne selv vedligeholder.",
    )
    second = ingest_and_build(settings, [corpus], progress=False)
    assert sorted(second.report.added) == ["cykler", "groenne-arealer", "noter"]
    assert second.report.unchanged == ["affald"]
    assert second.build is not None and second.build.embedded == second.report.passages
    searcher = load_searcher(settings)
    for query, doc in [
        ("vilde blomsterenge mellem blokkene", "groenne-arealer"),
        ("overdaekkede cykelskure til ladcykler", "cykler"),
        ("vaskeri med betaling via app", "noter"),
    ]:
        assert searcher.search(query, k=1).results[0].document.id == doc, query

    # the same file with new content replaces every section, passage and case
    (corpus / "affald.md").write_text(NEW, encoding="utf-8")
    third = ingest_and_build(settings, [corpus], progress=False)
    assert third.report.updated == ["affald"]
    assert "Ishøj" not in texts(settings) and "restaffald" not in texts(settings)
    searcher = load_searcher(settings)
    assert set(searcher.catalog.cases) == {"affald--storskrald-i-albertslund"}
    for hit in searcher.search("containere til pap glas og metal restaffald").results:
        assert "restaffald" not in hit.text and "Ishøj" not in hit.section_path
    top = searcher.search("byttehylde til brugbare møbler", k=1).results[0]
    assert top.case is not None and top.case.id == "affald--storskrald-i-albertslund"

    # vidensbank remove: nothing of the document is left in the store or the index
    set_env(monkeypatch, settings)
    assert main(["remove", "affald"]) == 0
    assert "Storskrald" not in texts(settings) and "byttehylde" not in texts(settings)
    searcher = load_searcher(settings)
    assert "affald" not in searcher.catalog.documents and not searcher.catalog.cases
    assert all(h.document.id != "affald" for h in searcher.search("byttehylde storskrald").results)
    assert main(["remove", "affald"]) == 1
    assert "no document with id 'affald'" in capsys.readouterr().err


MANIFEST = """
[[publications]]
id = "affald-2022"
file = "affald-2022.md"
year = 2022

[[publications]]
id = "affald-2024"
file = "affald-2024.md"
year = 2024
supersedes = "affald-2022"
"""


def test_a_superseding_edition_hides_the_old_one_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = make_corpus(tmp_path / "corpus", {"affald-2022.md": OLD})
    settings = settings_for(tmp_path, corpus)
    ingest_and_build(settings, [corpus], progress=False)
    query = "containere til pap glas og metal"
    assert load_searcher(settings).search(query, k=1).results[0].document.id == "affald-2022"

    (corpus / "affald-2024.md").write_text(NEW.replace("Storskrald", "Pap og storskrald"))
    (corpus / "sources.toml").write_text(MANIFEST, encoding="utf-8")
    outcome = ingest_and_build(settings, [corpus], progress=False)
    assert "affald-2022" in outcome.report.superseded and outcome.build is not None
    with Store(settings.store_path) as store:
        assert store.document("affald-2022")["superseded_by"] == "affald-2024"
        assert store.document("affald-2024")["superseded_by"] is None
    searcher = load_searcher(settings)
    # the edition filter, not the relevance floor, is under test: on a two-page corpus the
    # fitted floor can hide every hit (see docs/BENCHMARKS.md, "Relevance")
    unfloored = searcher.search(query, min_relevance=0.0).results
    assert {h.document.id for h in unfloored} == {"affald-2024"}
    shown = searcher.search(query, filters=Filters(include_superseded=True)).results
    assert shown[0].document.id == "affald-2022"

    # re-ingesting the old edition keeps it superseded; removing the new one shows it again
    (corpus / "affald-2022.md").write_text(OLD + "\nOpdateret med nye tal.\n")
    ingest_and_build(settings, [corpus], progress=False)
    with Store(settings.store_path) as store:
        assert store.document("affald-2022")["superseded_by"] == "affald-2024"
    set_env(monkeypatch, settings)
    (corpus / "affald-2024.md").unlink()
    assert main(["remove", "affald-2024"]) == 0
    with Store(settings.store_path) as store:
        assert store.document("affald-2022")["superseded_by"] is None
    assert load_searcher(settings).search(query, k=1).results[0].document.id == "affald-2022"
