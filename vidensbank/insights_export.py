"""``vidensbank insights export``: staff judgements as evaluation cases.

The output is a span set in the format of ``eval/README.md`` (read by ``vidensbank eval``):
``{"id", "kind", "query", "relevant": [span, …]}``, plus fields the evaluation ignores that
say where each case came from (``passage_ids``, ``document_ids``, ``case_ids``,
``judgements``, ``source``).

The rule, and why:

- A question becomes a case when at least one passage was judged useful more often than not
  (👍 > 👎 for that passage and question, counted over the period). Each such passage gives
  one span: its longest sentence, at most ``SPAN_WORDS`` words, which a hit's text must
  contain — the same test every span set uses, and one that survives a re-ingest that cuts
  the text into passages differently. ``kind`` is ``feedback``.
- Questions with only 👎 are left out. A 👎 says that one result did not help, not that
  the publications hold no answer, so they are not ``none`` cases (which claim the answer
  is not in the corpus).
- Questions with no sure answer are left out too. That verdict is the engine's own (no
  hit reached the floor); exporting it as ``none`` would grade the engine against itself.
  Both kinds are counted in the report, and listed on ``/indsigt``, for a person to judge
  and add by hand.
- A passage judged useful that is no longer in the store (its document was removed or
  changed) is skipped and counted."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .insights import group_key
from .querylog import timestamp
from .text import split_sentences

SPAN_WORDS = 20
KIND = "feedback"


@dataclass
class ExportReport:
    written: int = 0
    only_not_useful: int = 0  # questions whose every judgement was 👎 (or evened out)
    no_sure_answer: int = 0  # questions asked without a sure answer and never judged useful
    missing_passages: int = 0  # useful passages no longer in the store
    records: list[dict[str, object]] = field(default_factory=list)


@dataclass
class _Judged:
    wording: dict[str, int] = field(default_factory=dict)
    votes: dict[str, list[int]] = field(default_factory=dict)  # passage -> [👍, 👎]


def span_for(text: str) -> str:
    """The passage's longest sentence, cut to ``SPAN_WORDS`` words."""
    sentences = split_sentences(text) or []
    longest = max((s.text for s in sentences), key=len, default=text)
    return " ".join(longest.split()[:SPAN_WORDS])


def case_id(question: str) -> str:
    return "fb-" + hashlib.sha1(group_key(question).encode("utf-8")).hexdigest()[:10]


def _judgements(conn: sqlite3.Connection, since: str) -> dict[str, _Judged]:
    judged: dict[str, _Judged] = {}
    rows = conn.execute(
        "SELECT query, passage_id, useful FROM feedback WHERE given_at >= ? ORDER BY id", (since,)
    )
    for query, passage_id, useful in rows:
        item = judged.setdefault(group_key(query), _Judged())
        item.wording[query] = item.wording.get(query, 0) + 1
        item.votes.setdefault(passage_id, [0, 0])[0 if useful else 1] += 1
    return judged


def _passage(conn: sqlite3.Connection, passage_id: str) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT text, document_id, case_id FROM passages WHERE id = ?", (passage_id,)
    ).fetchone()


def _record(conn: sqlite3.Connection, item: _Judged, report: ExportReport) -> dict | None:
    useful = [pid for pid, (up, down) in item.votes.items() if up > down]
    if not useful:
        report.only_not_useful += 1
        return None
    found = [(pid, row) for pid in useful if (row := _passage(conn, pid)) is not None]
    report.missing_passages += len(useful) - len(found)
    if not found:
        return None
    query = max(item.wording, key=lambda w: item.wording[w])
    return {
        "id": case_id(query),
        "kind": KIND,
        "query": query,
        "relevant": list(dict.fromkeys(span_for(row["text"]) for _, row in found)),
        "passage_ids": [pid for pid, _ in found],
        "document_ids": list(dict.fromkeys(row["document_id"] for _, row in found)),
        "case_ids": list(dict.fromkeys(row["case_id"] for _, row in found if row["case_id"])),
        "judgements": {
            "useful": sum(up for up, _ in item.votes.values()),
            "not_useful": sum(down for _, down in item.votes.values()),
        },
        "source": "feedback",
    }


def _no_answer_only(conn: sqlite3.Connection, since: str, judged: set[str]) -> int:
    rows = conn.execute(
        "SELECT DISTINCT query FROM query_log WHERE hits = 0 AND asked_at >= ?", (since,)
    )
    return len({group_key(q) for (q,) in rows} - judged)


def export_judged(conn: sqlite3.Connection, since: datetime | None = None) -> ExportReport:
    """The cases of the judgements given since ``since`` (all kept ones by default)."""
    start = timestamp(since) if since else ""
    report = ExportReport()
    judged = _judgements(conn, start)
    for key in sorted(judged):
        record = _record(conn, judged[key], report)
        if record is not None:
            report.records.append(record)
    report.written = len(report.records)
    report.no_sure_answer = _no_answer_only(conn, start, set(judged))
    return report


def write_jsonl(path: Path, records: list[dict[str, object]]) -> None:
    """One JSON object per line, UTF-8, written to a temporary file and renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
