"""Property-based tests of the whole API from its own OpenAPI spec (schemathesis, in-process ASGI transport).

Schema-valid and schema-invalid requests to every operation: no answer may be a 5xx, and every answer must use
a status code and content type the spec declares and match the declared schema. Examples per operation are
limited so the run stays around a minute or two.
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from helpers import API_KEY, make_app
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.slow  # hundreds of generated requests on the real matcher

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
OPERATIONS = [("POST", "/v1/match"), ("POST", "/v1/vacancies/analyse"), ("POST", "/v1/screen"),
              ("POST", "/v1/checklist"), ("POST", "/v1/report"),
              ("GET", "/v1/occupations"), ("GET", "/v1/occupations/{key}"), ("GET", "/healthz"), ("GET", "/readyz")]
CALLS: Counter[str] = Counter()


@pytest.fixture(scope="module")
def api_schema() -> schemathesis.BaseSchema:
    app = make_app(api_key=API_KEY, max_screen_cvs=3, client_rate=0, client_budget=0, client_concurrency=0)
    return schemathesis.openapi.from_asgi("/openapi.json", app)


# schemathesis.pytest.from_fixture does not run under pytest 9 (it sets Function._nodeid), so each operation's
# strategy drives a plain hypothesis test instead.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_generated_request_gets_a_5xx(api_schema: schemathesis.BaseSchema, method: str, path: str,
                                         mode: GenerationMode) -> None:
    if mode is GenerationMode.NEGATIVE and path in ("/healthz", "/readyz"):
        pytest.skip("no parameters or body: nothing can be made invalid")
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    def run(case: schemathesis.Case) -> None:
        # Every other screening request carries the right key, so generated bodies also reach the handler.
        if path == "/v1/screen" and CALLS[path] % 2:
            case.headers = {**(case.headers or {}), "X-API-Key": API_KEY}
        CALLS[path] += 1
        response = case.call()
        CALLS[f"{path} {response.status_code}"] += 1
        case.validate_response(response, checks=CHECKS)

    run()


def test_the_run_reached_every_operation() -> None:
    paths = {path for _, path in OPERATIONS}
    assert paths <= set(CALLS), CALLS
    print(f"\nschemathesis: {sum(CALLS[p] for p in paths)} requests: {dict(sorted(CALLS.items()))}")
