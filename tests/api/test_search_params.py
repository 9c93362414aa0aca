"""/api/search parameters for intranet developers: facet counts of the question asked,
several values per filter, `fields=` and the same search as a POST body."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from fastapi.testclient import TestClient

from vidensbank.cli import main

QUESTIONS = (
    "biodiversitet i boligområdet",
    "hvordan kan økonomisk rådgivning forebygge udsættelser?",
)
ALL_FACETS = "theme,organisation,document,year"


def search(client: TestClient, **params: object) -> dict:
    response = client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def every_result(client: TestClient, **params: object) -> tuple[list[dict], dict]:
    """All results of a search (paged through), and the first page's body."""
    first = search(client, **params, k=50)
    results = list(first["results"])
    while len(results) < first["total"]:
        results += search(client, **params, k=50, offset=len(results))["results"]
    return results, first


def counts(body: dict, kind: str) -> dict:
    return {f["value"]: f["count"] for f in body["facets"][kind]}


def themes(client: TestClient) -> list[str]:
    return [f["value"] for f in client.get("/api/facets").json()["theme"]]


def error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["code"] == code, body
    return body


# ---------------------------------------------------------------- facets


def test_no_facets_unless_asked_for(client: TestClient) -> None:
    assert "facets" not in search(client, q=QUESTIONS[0], k=1)
    body = search(client, q=QUESTIONS[0], k=1, facets="theme,year")
    assert set(body["facets"]) == {"theme", "year"}


@pytest.mark.parametrize("question", QUESTIONS)
def test_facet_counts_are_this_questions_results(client: TestClient, question: str) -> None:
    """Each count is the number of results (after folding, above the floor) with the value,
    and `cases` the distinct cases among them: what a user sees when paging through."""
    results, body = every_result(client, q=question, facets=ALL_FACETS)
    assert body["total"] > 0
    for kind, of_hit in (
        ("theme", lambda h: h["theme"]),
        ("document", lambda h: h["document"]["id"]),
        ("year", lambda h: h["document"]["year"]),
    ):
        expected = Counter(of_hit(h) for h in results if of_hit(h) is not None)
        assert counts(body, kind) == dict(expected), kind
        for facet in body["facets"][kind]:
            cases = {h["case"]["id"] for h in results if h["case"] and of_hit(h) == facet["value"]}
            assert facet["cases"] == len(cases), facet
    listed = [f["count"] for f in body["facets"]["theme"]]
    assert listed == sorted(listed, reverse=True)  # most results first


def test_facet_counts_are_taken_after_the_relevance_floor(client: TestClient) -> None:
    nothing = search(client, q=QUESTIONS[0], facets=ALL_FACETS, min_relevance=1.0)
    assert nothing["total"] == 0
    assert nothing["facets"] == {"theme": [], "organisation": [], "document": [], "year": []}
    everything, _ = every_result(client, q=QUESTIONS[0], min_relevance=0)
    unfloored = search(client, q=QUESTIONS[0], facets="document", min_relevance=0)
    assert sum(counts(unfloored, "document").values()) == len(everything)


def test_facet_counts_differ_from_the_whole_collection(client: TestClient) -> None:
    """The collection's counts (passages, /api/facets) are not the question's counts."""
    body = search(client, q=QUESTIONS[0], facets="theme", min_relevance=0.3)
    catalog = {f["value"]: f["count"] for f in client.get("/api/facets").json()["theme"]}
    assert counts(body, "theme") != catalog
    for value, count in counts(body, "theme").items():
        assert count <= catalog[value]


def test_a_fields_counts_apply_the_other_fields_filters_not_its_own(
    client: TestClient, seed_searcher
) -> None:
    theme, other = themes(client)[:2]
    question = QUESTIONS[0]
    unfiltered = search(client, q=question, facets="theme")
    chosen = search(client, q=question, k=50, theme=theme, facets="theme,organisation")
    # the selected theme counts the results shown; the other still shows its count
    assert counts(chosen, "theme")[theme] == chosen["total"] > 0
    assert counts(chosen, "theme")[other] == counts(unfiltered, "theme")[other] > 0
    # organisations are counted among the results of the selected theme only
    catalog = seed_searcher.catalog
    results, _ = every_result(client, q=question, theme=theme)
    orgs = Counter(
        org
        for h in results
        for org in dict.fromkeys(catalog.passages[catalog.row_by_id[h["passage_id"]]].organisations)
    )
    assert set(counts(chosen, "organisation")) == set(orgs)


@pytest.mark.parametrize("question", [*QUESTIONS, "udsættelser"])
def test_selecting_a_value_gives_the_count_it_showed(client: TestClient, question: str) -> None:
    """A passage's relevance does not depend on the filters: the count beside a theme is
    the number of results the staff member gets when choosing it."""
    shown = counts(search(client, q=question, facets="theme"), "theme")
    assert shown
    for theme, count in shown.items():
        assert search(client, q=question, k=1, theme=theme)["total"] == count, theme


def test_a_selected_value_without_results_is_still_listed(client: TestClient) -> None:
    body = search(client, q=QUESTIONS[0], facets="theme", theme=themes(client)[0], min_relevance=1)
    assert [(f["value"], f["count"]) for f in body["facets"]["theme"]] == [(themes(client)[0], 0)]


@pytest.mark.parametrize("facets", ["tema", "theme,tema", "theme,,Year"])
def test_unknown_facet_is_a_422_naming_the_valid_ones(client: TestClient, facets: str) -> None:
    body = error(
        client.get("/api/search", params={"q": "x", "facets": facets}), 422, "invalid_request"
    )
    assert "unknown facet" in body["message"]
    assert "theme, organisation, document, year" in body["message"]
    assert body["detail"][0]["field"] == "facets"


# ---------------------------------------------------------------- several filter values


def test_several_values_of_a_field_match_either(client: TestClient) -> None:
    first, second = themes(client)[:2]
    question = QUESTIONS[0]
    one = {h["passage_id"] for h in every_result(client, q=question, theme=first)[0]}
    both, body = every_result(client, q=question, theme=[first, second])
    assert {h["theme"] for h in both} == {first, second}  # not just the last value
    assert one & {h["passage_id"] for h in both}
    assert body["total"] > search(client, q=question, theme=first)["total"]


def test_filters_of_different_fields_all_apply(client: TestClient, seed_searcher) -> None:
    catalog = seed_searcher.catalog
    theme = themes(client)[0]
    orgs = [
        f["value"]
        for f in search(client, q=QUESTIONS[0], theme=theme, facets="organisation")["facets"][
            "organisation"
        ]
    ][:2]
    results, body = every_result(client, q=QUESTIONS[0], theme=theme, organisation=orgs)
    assert body["total"] > 0
    for hit in results:
        passage = catalog.passages[catalog.row_by_id[hit["passage_id"]]]
        assert hit["theme"] == theme and set(passage.organisations) & set(orgs), hit


def test_one_unknown_value_among_several_is_named(client: TestClient) -> None:
    theme = themes(client)[0]
    body = error(
        client.get("/api/search", params={"q": "x", "theme": [theme, "Rumfart"]}),
        422,
        "invalid_filter",
    )
    assert body["detail"]["value"] == "Rumfart" and "'Rumfart'" in body["message"]
    year = error(
        client.get("/api/search", params={"q": "x", "year": [2023, 1999]}), 422, "invalid_filter"
    )
    assert year["detail"]["value"] == 1999


def test_too_many_values_of_a_filter_is_a_422(client: TestClient) -> None:
    theme = themes(client)[0]
    body = error(
        client.get("/api/search", params={"q": "x", "theme": [theme] * 21}), 422, "invalid_request"
    )
    assert body["detail"][0]["field"] == "theme"
    assert client.get("/api/search", params={"q": "x", "theme": [theme] * 20}).status_code == 200


def test_case_list_takes_several_values_too(client: TestClient) -> None:
    first, second = themes(client)[:2]

    def total(**params: object) -> int:
        response = client.get("/api/cases", params=params)
        assert response.status_code == 200, response.text
        return response.json()["total"]

    assert total(theme=[first, second]) == total(theme=first) + total(theme=second) > 0
    assert total(year=2023) == total()
    listed = client.get("/api/cases", params={"theme": [first, second], "limit": 500}).json()
    assert {c["theme"] for c in listed["items"]} == {first, second}
    error(client.get("/api/cases", params={"theme": [first, "Rumfart"]}), 422, "invalid_filter")


# ---------------------------------------------------------------- fields


def test_fields_limit_what_each_hit_returns(client: TestClient) -> None:
    full = search(client, q=QUESTIONS[1], k=3)
    slim = search(client, q=QUESTIONS[1], k=3, fields="passage_id,document,relevance,snippet")
    assert [set(h) for h in slim["results"]] == [
        {"rank", "passage_id", "document", "relevance", "snippet"}
    ] * 3
    assert [h["snippet"] for h in slim["results"]] == [h["snippet"] for h in full["results"]]
    assert len(json.dumps(slim)) < len(json.dumps(full)) / 2
    repeated = search(client, q=QUESTIONS[1], k=3, fields=["relevance", "snippet"])
    assert set(repeated["results"][0]) == {"rank", "passage_id", "relevance", "snippet"}


def test_unknown_field_is_a_422_naming_the_valid_ones(client: TestClient) -> None:
    body = error(
        client.get("/api/search", params={"q": "x", "fields": "snippet,tekst"}),
        422,
        "invalid_request",
    )
    assert "unknown field 'tekst'" in body["message"]
    assert "snippet" in body["message"] and "relevance" in body["message"]


@pytest.mark.parametrize("name", ["fields", "facets"])
@pytest.mark.parametrize("value", ["", " , "])
def test_an_empty_list_of_names_is_a_422(client: TestClient, name: str, value: str) -> None:
    """`fields=` names nothing: a mistake to point out, not a silent "all fields"."""
    body = error(client.get("/api/search", params={"q": "x", name: value}), 422, "invalid_request")
    assert "name at least one" in body["message"]
    post = client.post("/api/search", json={"q": "x", name: [value]})
    assert error(post, 422, "invalid_request")["message"] == body["message"]


# ---------------------------------------------------------------- POST


POST_CASES = [
    {"q": QUESTIONS[1], "k": 3},
    {"q": QUESTIONS[0], "k": 5, "offset": 2, "mode": "lexical", "min_relevance": 0},
    {"q": QUESTIONS[0], "facets": ALL_FACETS, "fields": "passage_id,relevance"},
]


@pytest.mark.parametrize("params", POST_CASES)
def test_post_gives_the_same_json_as_get(client: TestClient, params: dict) -> None:
    got = search(client, **params)
    posted = client.post("/api/search", json=params)
    assert posted.status_code == 200, posted.text
    body = posted.json()
    got.pop("took_ms"), body.pop("took_ms")
    assert body == got


def test_post_takes_lists_for_filters_facets_and_fields(client: TestClient) -> None:
    first, second = themes(client)[:2]
    get = search(
        client, q=QUESTIONS[0], theme=[first, second], facets="theme,year", fields="relevance"
    )
    body = {
        "q": QUESTIONS[0],
        "theme": [first, second],
        "facets": ["theme", "year"],
        "fields": ["relevance"],
    }
    posted = client.post("/api/search", json=body).json()
    get.pop("took_ms"), posted.pop("took_ms")
    assert posted == get
    single = client.post("/api/search", json={"q": QUESTIONS[0], "theme": first}).json()
    assert {h["theme"] for h in single["results"]} == {first}


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"q": "   "}, 422, "invalid_request"),
        ({"q": "x", "k": 0}, 422, "invalid_request"),
        ({"q": "x", "facets": "tema"}, 422, "invalid_request"),
        ({"q": "x", "fields": "tekst"}, 422, "invalid_request"),
        ({"q": "x", "theme": "Rumfart"}, 422, "invalid_filter"),
        ({"q": "x", "year": 1800}, 422, "invalid_request"),
    ],
)
def test_post_refuses_what_get_refuses(client: TestClient, params: dict, status: int, code: str):
    got = error(client.get("/api/search", params=params), status, code)
    posted = error(client.post("/api/search", json=params), status, code)
    if isinstance(got["detail"], list):  # the same problems, found in the body
        strip = [{k: v for k, v in d.items() if k != "in"} for d in got["detail"]]
        assert [{k: v for k, v in d.items() if k != "in"} for d in posted["detail"]] == strip
        assert {d["in"] for d in posted["detail"]} == {"body"}
    else:
        assert posted == got


def test_post_without_a_body_is_a_422(client: TestClient) -> None:
    error(client.post("/api/search"), 422, "invalid_request")
    error(
        client.post("/api/search", content=b"{", headers={"Content-Type": "application/json"}),
        422,
        "invalid_request",
    )


# ---------------------------------------------------------------- OpenAPI and CLI


SCORE_LIKE = ("score", "relevance", "count", "total", "cases", "passages")


def _numeric(spec: dict) -> bool:
    types = {spec.get("type")} | {s.get("type") for s in spec.get("anyOf", [])}
    return bool(types & {"integer", "number"})


def test_every_score_and_count_field_is_described(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    missing = [
        f"{name}.{prop}"
        for name, schema in schemas.items()
        for prop, spec in schema.get("properties", {}).items()
        if any(word in prop for word in SCORE_LIKE)
        and _numeric(spec)
        and not spec.get("description")
    ]
    assert not missing, missing
    search_op = client.get("/openapi.json").json()["paths"]["/api/search"]
    params = {p["name"]: p for p in search_op["get"]["parameters"]}
    assert {"facets", "fields", "theme", "year"} <= set(params)
    assert params["theme"]["schema"]["type"] == "array"
    assert "requestBody" in search_op["post"]


def test_cli_takes_several_values_and_prints_the_apis_json(
    client: TestClient, seed_settings, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("VIDENSBANK_DATA_DIR", str(seed_settings.data_dir))
    first, second = themes(client)[:2]
    args = ["--theme", first, "--theme", second, "--facets", "theme,year", "--k", "5"]
    assert main(["search", QUESTIONS[0], *args, "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    api = search(client, q=QUESTIONS[0], theme=[first, second], facets="theme,year", k=5)
    cli.pop("took_ms"), api.pop("took_ms")
    assert cli == api
    assert main(["search", QUESTIONS[0], "--facets", "tema"]) == 2
    assert "unknown facet 'tema'" in capsys.readouterr().err
