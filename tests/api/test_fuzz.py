"""Property-based fuzzing of every endpoint against the app's own OpenAPI schema
(schemathesis' Python API with hypothesis): valid and invalid requests to every
operation; no 5xx, and every response conforms to the schema (status codes, content
types, headers, bodies)."""

from __future__ import annotations

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import checks

# ~13 operations x (positive + negative) x examples: well above 1,000 requests in total;
# fewer are generated where a schema allows only a few distinct requests.
EXAMPLES = {schemathesis.GenerationMode.POSITIVE: 90, schemathesis.GenerationMode.NEGATIVE: 60}
MIN_REQUESTS = 1000


def test_fuzz_every_endpoint_against_the_openapi_schema(read_app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", read_app)
    sent: dict[str, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, examples in EXAMPLES.items():

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=examples,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: schemathesis.Case) -> None:
                sent[case.operation.label] = sent.get(case.operation.label, 0) + 1
                # Schema-valid but unknown filter values (not in /api/facets) and blank
                # questions are rejected with 422 by design, so positive_data_acceptance is off.
                case.call_and_validate(
                    excluded_checks=[checks.positive_data_acceptance], timeout=120
                )

            try:
                run()
            except Unsatisfiable:  # no invalid request exists, e.g. /healthz has no inputs
                assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
    total = sum(sent.values())
    print(f"\nschemathesis sent {total} requests: {sent}")
    assert len(sent) >= 13, sent
    assert total >= MIN_REQUESTS, sent
