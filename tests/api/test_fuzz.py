"""Fuzzing, the small version of bench/fuzz.py (which sends 10,000+ requests):

- schemathesis' property-based requests to every endpoint against the app's own OpenAPI
  schema, valid and invalid: no 5xx, and every response conforms to the schema (status
  codes, content types, headers, bodies);
- the pages' query strings and ids: Unicode digits, NUL, overlong, repeated, unknown and
  badly encoded values: no 5xx, always a Danish HTML page with nosniff."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
MIN_SCHEMA_REQUESTS = 1000
PAGE_REQUESTS = 400


def _fuzz_module():
    spec = importlib.util.spec_from_file_location("bench_fuzz", ROOT / "bench" / "fuzz.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_fuzz_every_endpoint_against_the_openapi_schema(read_app: FastAPI) -> None:
    # ~13 operations x (90 valid + 60 invalid): well above 1,000 requests in total; fewer
    # are generated where a schema allows only a few distinct requests.
    report = _fuzz_module().schema_fuzz(read_app, positive=90, negative=60)
    print(f"\nschemathesis sent {report.total} requests: {dict(report.sent)}")
    assert len(report.sent) >= 13, report.sent
    assert report.total >= MIN_SCHEMA_REQUESTS, report.sent
    assert not [s for s in report.statuses if s >= 500], report.statuses


def test_fuzz_the_pages_query_strings(read_app: FastAPI) -> None:
    with TestClient(read_app, raise_server_exceptions=False) as client:
        report = _fuzz_module().page_fuzz(client, PAGE_REQUESTS, seed=7)
    print(f"\npage fuzz: {report.sent} requests, statuses {dict(report.statuses)}")
    assert report.sent == PAGE_REQUESTS
    assert not report.failures, report.failures[:10]
    assert report.statuses[400] > 0 and report.statuses[200] > 0  # both kinds were reached
