"""Robustness fuzz: no request makes the server answer 5xx (a script, not a timed test).

    .venv/bin/python bench/fuzz.py [--requests 10000] [--page-requests 5000] [--data-dir DIR]

Two parts, both in-process against the real app over a real snapshot (``--data-dir``, or
the shipped corpus ingested into a temporary folder with the bundled model):

1. schemathesis: valid and invalid requests to every operation of the OpenAPI schema,
   checked against the schema (status codes, content types, bodies), until at least
   ``--requests`` have been sent;
2. the pages' query strings and ids: Unicode digits (``²``, ``①``, ``٣``, ``２``), NUL,
   overlong values, repeated parameters, unknown filter values, broken percent-encoding,
   HTML and path tricks, sent to ``/``, ``/cases/…``, ``/documents/…`` and
   ``/documents/…/file`` with GET and HEAD. Every answer must be < 500, HTML, nosniff
   and without a traceback.

Prints the figures for docs/BENCHMARKS.md ("Robustness") and exits 1 on any failure.
tests/api/test_fuzz.py runs a small version of both parts."""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]

UNICODE_DIGITS = ["²", "³", "¹", "⁰", "①", "⑳", "٣", "۴", "५", "০", "๓", "２", "０", "𝟚", "⒈", "🄂"]
ODD_TEXT = [
    "\x00",
    "a\x00b",
    " ",
    "\t\n",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "%2e%2e%2f",
    "\u202eabc",
    "e\u0301",
    "🙂",
    "ß",
    "İ",
    "\ufeff",
    "null",
    "-0",
    "1e3",
    "0x10",
    "2023.0",
    " 2023 ",
    "+1",
]
RAW_FRAGMENTS = ["%ZZ", "%", "%C3", "%ED%A0%80", "%00", "%FF%FE", "&&", "=x", "q", "q=&q="]
KEYS = ["q", "theme", "document", "organisation", "year", "page", "k", "ukendt"]


@dataclass
class PageFuzzReport:
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


def _value(rng: random.Random, known: list[str]) -> str:
    """One parameter value from a mix of the awkward kinds."""
    pick = rng.random()
    if pick < 0.15:
        return "".join(rng.choices(UNICODE_DIGITS + list("0123456789"), k=rng.randint(1, 5)))
    if pick < 0.3:
        return rng.choice(ODD_TEXT)
    if pick < 0.45 and known:
        value = rng.choice(known)
        return rng.choice([value, value.upper(), value.lower(), f" {value} ", value[:-1]])
    if pick < 0.55:
        return rng.choice(["a" * 501, "ø" * 2_000, "a" * 8_000, "x" * 201, "1" * 40])
    if pick < 0.7:
        return str(rng.choice([-1, 0, 1, 2, 101, 102, 1899, 1900, 2023, 2100, 2101, 10**20]))
    return "".join(chr(rng.randint(1, 0x2FFF)) for _ in range(rng.randint(1, 12)))


def _query(rng: random.Random, known: list[str]) -> str:
    parts = []
    for _ in range(rng.randint(0, 5)):
        key = rng.choice(KEYS)
        for _ in range(rng.choice([1, 1, 1, 2, 3])):  # sometimes repeated
            parts.append(f"{quote(key)}={quote(_value(rng, known), safe='')}")
    if rng.random() < 0.1:
        parts.append(rng.choice(RAW_FRAGMENTS))
    rng.shuffle(parts)
    return "&".join(parts)


def _path(rng: random.Random, known_ids: list[str]) -> str:
    ident = rng.choice(known_ids) if known_ids and rng.random() < 0.3 else None
    ident = quote(ident or _value(rng, []), safe="")[:2000] or "x"
    return rng.choice(
        ["/", "/", "/", f"/cases/{ident}", f"/documents/{ident}", f"/documents/{ident}/file"]
    )


def page_fuzz(client, count: int, seed: int = 1) -> PageFuzzReport:
    """Send ``count`` fuzzed page requests through ``client`` (a TestClient)."""
    rng = random.Random(seed)
    catalog = client.app.state.holder.get().catalog
    known = [
        str(v)
        for kind in ("theme", "organisation", "document", "year")
        for v in catalog.facets.values(kind)
    ]
    ids = [*catalog.documents, *list(catalog.cases)[:50]]
    report = PageFuzzReport()
    for _ in range(count):
        url = (_path(rng, ids) + "?" + _query(rng, known))[:60_000]  # httpx's URL limit
        method = "HEAD" if rng.random() < 0.1 else "GET"
        response = client.request(method, url, follow_redirects=False)
        report.sent += 1
        report.statuses[response.status_code] += 1
        problem = _page_problem(response, method)
        if problem:
            report.failures.append(f"{method} {url[:200]!r}: {problem}")
    return report


def _page_problem(response, method: str) -> str | None:
    if response.status_code >= 500:
        return f"status {response.status_code}"
    if response.headers.get("x-content-type-options") != "nosniff":
        return "no nosniff"
    if "Traceback" in response.text:
        return "traceback in body"
    kind = response.headers.get("content-type", "")
    stored_file = response.status_code == 200 and response.url.path.endswith("/file")
    if response.status_code not in (304, 307) and not stored_file and "text/html" not in kind:
        return f"content-type {kind!r} on a page"
    return None


@dataclass
class SchemaFuzzReport:
    sent: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.sent.values())


def schema_fuzz(app, positive: int, negative: int, seed: int = 1) -> SchemaFuzzReport:
    """schemathesis over every operation: ``positive`` schema-valid and ``negative``
    invalid examples each (fewer where the schema allows fewer distinct requests).
    Raises on the first failed check (a 5xx included)."""
    import hypothesis
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import checks

    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    report = SchemaFuzzReport()
    modes = {
        schemathesis.GenerationMode.POSITIVE: positive,
        schemathesis.GenerationMode.NEGATIVE: negative,
    }
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, examples in modes.items():

            @hypothesis.seed(seed)
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: schemathesis.Case) -> None:
                report.sent[case.operation.label] += 1
                # Schema-valid but unknown filter values (not in /api/facets) and blank
                # questions are refused with 422 by design: positive acceptance is off.
                response = case.call_and_validate(
                    excluded_checks=[checks.positive_data_acceptance], timeout=120
                )
                report.statuses[response.status_code] += 1

            try:
                run()
            except Unsatisfiable:  # no invalid request exists, e.g. /healthz has no inputs
                if mode is not schemathesis.GenerationMode.NEGATIVE:
                    raise
    return report


def _data_dir(given: Path | None):
    """The settings of ``given``, or of the shipped corpus ingested into a temp folder."""
    from vidensbank.settings import load_settings
    from vidensbank.writes import ingest_and_build

    if given is not None:
        return load_settings(data_dir=given)
    folder = Path(tempfile.mkdtemp(prefix="vidensbank-fuzz-"))
    settings = load_settings(data_dir=folder, corpus_dir=ROOT / "corpus")
    print(f"ingesting {ROOT / 'corpus'} into {folder} …", file=sys.stderr)
    ingest_and_build(settings, [ROOT / "corpus"], progress=False)
    return settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000, help="schemathesis, at least")
    parser.add_argument("--page-requests", type=int, default=5_000)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    from vidensbank.api.app import create_app

    settings = _data_dir(args.data_dir)
    try:
        return _run(create_app(settings), args)
    finally:
        if args.data_dir is None:  # the temporary corpus copy made for this run
            shutil.rmtree(settings.data_dir, ignore_errors=True)


def _run(app, args: argparse.Namespace) -> int:
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as client:
        started = time.perf_counter()
        schema = SchemaFuzzReport()
        scale, rounds = 1.0, 0
        while schema.total < args.requests and rounds < 5:  # some operations run dry early
            per_operation = max(20, int(args.requests * scale / (2 * len(app.openapi()["paths"]))))
            part = schema_fuzz(app, per_operation, per_operation, seed=args.seed + rounds)
            schema.sent.update(part.sent)
            schema.statuses.update(part.statuses)
            scale, rounds = scale * 1.5, rounds + 1
        schema_s = time.perf_counter() - started
        started = time.perf_counter()
        pages = page_fuzz(client, args.page_requests, seed=args.seed)
        pages_s = time.perf_counter() - started
    _print(schema, schema_s, pages, pages_s)
    return 1 if pages.failures else 0


def _print(
    schema: SchemaFuzzReport, schema_s: float, pages: PageFuzzReport, pages_s: float
) -> None:
    def statuses(counter: Counter[int]) -> str:
        return ", ".join(f"{s}: {n}" for s, n in sorted(counter.items()))

    fivexx = sum(n for s, n in schema.statuses.items() if s >= 500)
    print(
        f"schemathesis: {schema.total} requests over {len(schema.sent)} operations in"
        f" {schema_s:.0f} s, every check passed; 5xx: {fivexx}"
    )
    print(f"  statuses: {statuses(schema.statuses)}")
    print(
        f"page fuzz: {pages.sent} requests in {pages_s:.0f} s; failures: {len(pages.failures)};"
        f" 5xx: {sum(n for s, n in pages.statuses.items() if s >= 500)}"
    )
    print(f"  statuses: {statuses(pages.statuses)}")
    for failure in pages.failures[:20]:
        print(f"  FAIL {failure}")


if __name__ == "__main__":
    sys.exit(main())
