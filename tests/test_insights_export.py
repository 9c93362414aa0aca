"""Search → 👍/👎 → `vidensbank insights export` → `vidensbank eval`, end to end over a
private copy of the seed data (real store, snapshot and model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.seeddata import empty_log, seed_copy
from vidensbank.api.app import create_app
from vidensbank.api.holder import SnapshotHolder
from vidensbank.cli import main
from vidensbank.insights_export import span_for
from vidensbank.search.eval import normalise, read_queries
from vidensbank.settings import Settings

USEFUL_Q = "hvordan kan økonomisk rådgivning forebygge udsættelser?"
MIXED_Q = "grønne ambassadører"
NO_ANSWER_Q = "qwxzyvbnmqwxz"


@pytest.fixture
def staff(seed_settings: Settings, seed_searcher, tmp_path: Path, monkeypatch):
    """A started app over a private copy of the seed data; the CLI points at the same."""
    settings = seed_copy(seed_settings, tmp_path)
    data = settings.data_dir
    empty_log(settings.store_path)
    monkeypatch.setenv("VIDENSBANK_DATA_DIR", str(data))
    holder = SnapshotHolder(settings, embedder=seed_searcher.embedder)
    with TestClient(create_app(settings, holder=holder)) as client:
        yield client


def hits(client: TestClient, q: str) -> dict:
    response = client.get("/api/search", params={"q": q, "k": 10})
    assert response.status_code == 200, response.text
    return response.json()


def judge(client: TestClient, q: str, passage_id: str, useful: bool) -> None:
    body = {"query": q, "passage_id": passage_id, "useful": useful}
    assert client.post("/api/feedback", json=body).status_code == 201


def test_judged_questions_become_eval_cases_that_eval_reads(staff, tmp_path, capsys) -> None:
    useful = hits(staff, USEFUL_Q)["results"]
    chosen = useful[1]  # not the top hit: the case must say which passage helped
    judge(staff, USEFUL_Q, chosen["passage_id"], True)
    judge(staff, USEFUL_Q, useful[0]["passage_id"], False)
    mixed = hits(staff, MIXED_Q)["results"][0]["passage_id"]
    judge(staff, MIXED_Q, mixed, True)
    judge(staff, MIXED_Q, mixed, False)  # evened out: no longer a sure 👍
    judge(staff, MIXED_Q, mixed, False)
    assert hits(staff, NO_ANSWER_Q)["total"] == 0
    assert staff.app.state.query_log.flush()

    out = tmp_path / "judged.jsonl"
    capsys.readouterr()
    assert main(["insights", "export", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "1 judged questions written" in printed
    assert "left out: 1 questions with only 👎" in printed
    assert "left out: 1 questions with no sure answer" in printed

    [case] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert case["query"] == USEFUL_Q and case["kind"] == "feedback"
    assert case["passage_ids"] == [chosen["passage_id"]]
    assert case["document_ids"] == [chosen["document"]["id"]]
    assert case["judgements"] == {"useful": 1, "not_useful": 1}
    [span] = case["relevant"]
    assert normalise(span) in normalise(chosen["text"])
    assert normalise(span) not in normalise(useful[0]["text"])  # it names that passage

    [query] = read_queries(out)
    assert (query.query, query.spans, query.kind) == (USEFUL_Q, [span], "feedback")
    capsys.readouterr()
    assert main(["eval", str(out), "--mode", "hybrid", "--no-reference", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["files"][str(out)]
    assert report["counts"] == {"feedback": 1, "all": 1}
    figures = report["table"]["hybrid"]["all"]
    assert figures["R@10"] == 1.0  # the judged passage is in the engine's top 10
    assert 0 < figures["MRR@10"] <= 1


def test_export_since_a_later_day_writes_nothing(staff, tmp_path, capsys) -> None:
    top = hits(staff, USEFUL_Q)["results"][0]["passage_id"]
    judge(staff, USEFUL_Q, top, True)
    assert staff.app.state.query_log.flush()
    out = tmp_path / "later.jsonl"
    assert main(["insights", "export", str(out), "--since", "2999-01-01"]) == 0
    assert out.read_text(encoding="utf-8") == ""
    with pytest.raises(SystemExit):
        main(["insights", "export", str(out), "--since", "i går"])
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_span_is_the_longest_sentence_cut_to_twenty_words() -> None:
    text = (
        "Kort. Dette er den længste sætning i teksten, og den har mange ord, så den bliver"
        " skåret af efter præcis tyve ord uanset hvad der kommer bagefter. Slut."
    )
    span = span_for(text)
    assert span.startswith("Dette er den længste") and len(span.split()) == 20
    assert normalise(span) in normalise(text)
