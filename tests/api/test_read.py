"""Search, browse and facets over the real seed snapshot (real bundled model)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from vidensbank.cli import main

from ..conftest import ROOT

QUESTION = "hvordan kan økonomisk rådgivning forebygge udsættelser?"
EXPECTED_CASE = "vaerdiskabende-gentagelser-2023--oekonomisk-raadgivning"


def search(client: TestClient, **params: object) -> dict:
    response = client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_search_finds_the_expected_case_for_a_danish_question(client: TestClient) -> None:
    body = search(client, q=QUESTION, k=5)
    assert body["query"] == QUESTION and body["mode"] == "hybrid"
    assert body["total"] >= len(body["results"]) > 0
    cases = [hit["case"]["id"] for hit in body["results"] if hit["case"]]
    assert EXPECTED_CASE in cases[:3], cases
    hit = body["results"][0]
    for field in (
        "passage_id",
        "rank",
        "score",
        "text",
        "snippet",
        "document",
        "section_path",
        "theme",
        "page",
        "case",
    ):
        assert field in hit
    assert set(hit["document"]) >= {"id", "title", "year", "url"}
    assert any("<mark>" in h["snippet"] for h in body["results"])


def test_query_is_trimmed(client: TestClient) -> None:
    assert search(client, q="   udsættelser   ", k=1)["query"] == "udsættelser"


def test_filters_narrow_results(client: TestClient) -> None:
    everything = search(client, q="biodiversitet i boligområdet", k=50)
    themed = search(client, q="biodiversitet i boligområdet", k=50, theme="biodiversitet")
    assert 0 < themed["total"] < everything["total"]
    assert all(h["theme"] == "Biodiversitet" for h in themed["results"])
    by_org = search(client, q="biodiversitet i boligområdet", k=50, organisation="KAB")
    assert 0 < by_org["total"] < everything["total"]
    by_year = search(
        client, q="biodiversitet", k=5, year=2023, document="vaerdiskabende-gentagelser-2023"
    )
    assert all(h["document"]["year"] == 2023 for h in by_year["results"])


def test_pagination_is_consistent(client: TestClient) -> None:
    whole = search(client, q="beboere og medarbejdere", k=10, mode="lexical")
    first = search(client, q="beboere og medarbejdere", k=5, mode="lexical")
    second = search(client, q="beboere og medarbejdere", k=5, offset=5, mode="lexical")
    ids = [h["passage_id"] for h in whole["results"]]
    assert [h["passage_id"] for h in first["results"] + second["results"]] == ids
    assert [h["rank"] for h in second["results"]] == list(range(6, 6 + len(second["results"])))
    assert first["total"] == second["total"] == whole["total"]
    beyond = search(client, q="beboere og medarbejdere", k=5, offset=1000, mode="lexical")
    assert beyond["results"] == [] and beyond["total"] == whole["total"]


def test_documents_passages_and_cases(client: TestClient) -> None:
    docs = client.get("/api/documents").json()
    assert docs["total"] == 1
    doc_id = docs["items"][0]["id"]
    doc = client.get(f"/api/documents/{doc_id}").json()
    assert doc["sections"] and doc["cases"] and doc["passage_count"] > 0
    case_id = doc["cases"][0]["id"]
    case = client.get(f"/api/cases/{case_id}").json()
    assert case["id"] == case_id and case["text"] and case["passage_ids"]
    passage = client.get(f"/api/passages/{case['passage_ids'][0]}").json()
    assert passage["passage"]["case"]["id"] == case_id
    assert passage["before"] or passage["after"]
    for neighbour in passage["before"] + passage["after"]:
        assert neighbour["document"]["id"] == doc_id


def test_case_filters(client: TestClient) -> None:
    all_cases = client.get("/api/cases").json()
    themed = client.get("/api/cases", params={"theme": "Biodiversitet"}).json()
    assert 0 < themed["total"] < all_cases["total"]
    assert all(c["theme"] == "Biodiversitet" for c in themed["items"])
    kab = client.get("/api/cases", params={"organisation": "kab"}).json()
    assert kab["total"] > 0
    assert all("kab" in {o.casefold() for o in c["organisations"]} for c in kab["items"])


def test_similar_cases_exclude_the_case_and_its_family(client: TestClient) -> None:
    cases = client.get("/api/cases").json()["items"]
    parent = next(c for c in cases if any(x["parent_id"] == c["id"] for x in cases))
    family = {parent["id"]} | {c["id"] for c in cases if c["parent_id"] == parent["id"]}
    for case_id in family:
        body = client.get(f"/api/cases/{case_id}/similar", params={"k": 5}).json()
        ids = [r["id"] for r in body["results"]]
        assert len(ids) == 5 and case_id not in ids
        assert not family & set(ids)
        scores = [r["score"] for r in body["results"]]
        assert scores == sorted(scores, reverse=True)


def test_facets_have_counts(client: TestClient) -> None:
    facets = client.get("/api/facets").json()
    assert set(facets) == {"theme", "organisation", "document", "year"}
    assert {"value": 2023, "label": "2023"}.items() <= facets["year"][0].items()
    assert any(t["value"] == "Biodiversitet" and t["count"] > 0 for t in facets["theme"])


def test_health_ready_stats(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["counts"]["passages"] > 0
    stats = client.get("/api/stats")
    assert stats.json()["version"] == ready["version"]
    assert stats.headers["cache-control"] == "no-store"


def test_cache_headers_and_etag(client: TestClient) -> None:
    response = client.get("/api/facets")
    assert response.headers["cache-control"] == "no-cache"
    etag = response.headers["etag"]
    again = client.get("/api/facets", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


def test_cors_is_off_by_default(client: TestClient) -> None:
    response = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers


def test_cli_search_json_is_what_the_api_returns(
    client: TestClient, seed_settings, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("VIDENSBANK_DATA_DIR", str(seed_settings.data_dir))
    for args, params in [
        (["--k", "5"], {"k": 5}),
        (
            ["--mode", "lexical", "--theme", "Vilde velfærdsproblemer"],
            {"mode": "lexical", "theme": "Vilde velfærdsproblemer"},
        ),
        (["--k", "3", "--offset", "2", "--mode", "dense"], {"k": 3, "offset": 2, "mode": "dense"}),
    ]:
        assert main(["search", QUESTION, *args, "--json"]) == 0
        cli = json.loads(capsys.readouterr().out)
        api = search(client, q=QUESTION, **params)
        assert cli["results"], args
        cli.pop("took_ms"), api.pop("took_ms")
        assert cli == api, args


def _document_urls(client: TestClient, doc_id: str, query: str) -> dict[str, str]:
    """The document's URL as every read endpoint shows it."""
    listed = next(d for d in client.get("/api/documents").json()["items"] if d["id"] == doc_id)
    hit = next(h for h in search(client, q=query, k=10)["results"] if h["document"]["id"] == doc_id)
    passage = client.get(f"/api/passages/{hit['passage_id']}").json()["passage"]
    urls = {
        "documents": listed["url"],
        "document": client.get(f"/api/documents/{doc_id}").json()["url"],
        "search": hit["document"]["url"],
        "passage": passage["document"]["url"],
    }
    cases = client.get("/api/cases", params={"document": doc_id}).json()["items"]
    if cases:
        urls["cases"] = cases[0]["document"]["url"]
        urls["case"] = client.get(f"/api/cases/{cases[0]['id']}").json()["document"]["url"]
    return urls


def test_public_url_is_the_web_address_when_there_is_one(client: TestClient, seed_settings):
    doc_id = client.get("/api/documents").json()["items"][0]["id"]
    urls = _document_urls(client, doc_id, QUESTION)
    assert set(urls.values()) == {"https://almennet.dk"}, urls
    case_id = client.get("/api/cases").json()["items"][0]["id"]
    similar = client.get(f"/api/cases/{case_id}/similar").json()["results"]
    assert {r["document"]["url"] for r in similar} == {"https://almennet.dk"}
    for path in ("/api/documents", f"/api/cases/{case_id}", "/api/search?q=udsættelser"):
        text = client.get(path).text
        assert str(seed_settings.data_dir) not in text and str(ROOT) not in text, path


def test_uploaded_document_is_reached_through_vidensbank_not_a_path(writable) -> None:
    """An upload has no web address: every endpoint shows /documents/{id}/file, which
    serves exactly the stored file; no body shows where the server keeps it."""
    from .conftest import TOKEN, auth

    settings, client = writable(admin_token=TOKEN)
    content = "# Grønne tage\n\nSedum på cykelskurene giver bier mad hele sommeren.\n".encode()
    created = client.post(
        "/api/documents", files={"file": ("groenne-tage.md", content)}, headers=auth()
    )
    assert created.status_code == 201, created.text
    doc_id = created.json()["document_id"]
    urls = _document_urls(client, doc_id, "sedum på cykelskurene")
    assert set(urls.values()) == {f"/documents/{doc_id}/file"}, urls
    for path in ("/api/documents", f"/api/documents/{doc_id}", "/api/search?q=sedum"):
        assert str(settings.data_dir) not in client.get(path).text, path
    stored = client.get(f"/documents/{doc_id}/file")
    assert stored.status_code == 200 and stored.content == content
    assert stored.headers["x-content-type-options"] == "nosniff"
    assert "filename=" in stored.headers["content-disposition"]


def test_public_url_rule() -> None:
    from vidensbank.search.catalog import DocumentInfo

    def doc(source_url: str | None, doc_id: str = "a b/c") -> DocumentInfo:
        return DocumentInfo(doc_id, "T", None, source_url, "/srv/data/x.md", "md", None, None, {})

    assert doc("https://almennet.dk/x.pdf").url == "https://almennet.dk/x.pdf"
    assert doc(" HTTP://a.dk ").url == "HTTP://a.dk"
    for local in (None, "", "/srv/data/x.md", "file:///srv/data/x.md", "javascript:alert(1)"):
        assert doc(local).url == "/documents/a%20b%2Fc/file", local


def test_derived_data_belongs_to_the_snapshot(seed_searcher) -> None:
    """Facets, counts and case vectors are computed once per catalog, and a fresh catalog
    of the same snapshot computes its own (nothing is kept in a module-level cache)."""
    from vidensbank.search.catalog import Catalog

    catalog = seed_searcher.catalog
    assert catalog.facets is catalog.facets and catalog.counts is catalog.counts
    dense, embedder = seed_searcher.snapshot.dense, seed_searcher.embedder
    assert catalog.case_vectors(dense, embedder) is catalog.case_vectors(dense, embedder)
    fresh = Catalog(catalog.path)
    try:
        assert fresh.facets is not catalog.facets and fresh.facets == catalog.facets
    finally:
        fresh.close()
