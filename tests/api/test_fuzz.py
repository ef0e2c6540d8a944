"""
Schemathesis fuzzing of the JSON API against the app's own OpenAPI schema.

Every operation of ``/openapi.json`` is exercised with a bounded, derandomised set of generated
requests: schema-valid ones (positive mode) and schema-violating ones (negative mode: wrong types,
missing parameters, bodies of the wrong shape). Each response must not be a 5xx and must conform to
the schema (status code documented, content type, body schema, headers) and schema-violating
requests must be rejected with a 4xx: schemathesis' default checks, except
``positive_data_acceptance`` — a schema-valid request may still be refused with a documented
422 when a value is well-formed but unusable (a ``from`` that is not ``lon,lat``, a time the
comfort field does not cover), which the schema cannot express.
The ingest endpoints get a valid API key and write into a store of their own, so the fuzzed rows
never reach the store the other API tests read.

(Schemathesis' own pytest plugin does not run under pytest 9, so the operations are parametrised
here and each one is driven by Hypothesis through ``APIOperation.as_strategy``.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.settings import Settings

#: Generated requests per operation and generation mode (bounded so that CI stays quick).
EXAMPLES = {GenerationMode.POSITIVE: 40, GenerationMode.NEGATIVE: 25}


def _operations() -> tuple[list[tuple[str, str]], set[tuple[str, str]]]:
    """
    (method, path) of every operation in the app's OpenAPI schema (read at collection), and
    those with parameters or a body (the only ones a schema-violating request can be made for).
    """
    from api.app import create_app

    paths = create_app(Settings()).openapi()["paths"]
    ops = [(m.upper(), p) for p, item in paths.items() for m in item]
    with_inputs = {
        (m.upper(), p)
        for p, item in paths.items()
        for m, op in item.items()
        if op.get("requestBody") or any(_violable(q) for q in op.get("parameters", []))
    }
    return ops, with_inputs


def _violable(parameter: dict) -> bool:
    """
    Whether a request can break this parameter's schema: a path segment that is any text
    (``{path:path}`` of the SensorThings and NGSI-LD resources) cannot be; a required query
    parameter (omit it) or a typed or constrained one can.
    """
    schema = parameter.get("schema", {})
    any_text = schema.get("type") == "string" and not (set(schema) - {"type", "title"})
    return not (parameter.get("in") == "path" and any_text)


OPERATIONS, WITH_INPUTS = _operations()
CASES = [
    pytest.param(m, p, mode, id=f"{m} {p} {mode.value}")
    for m, p in OPERATIONS
    for mode in EXAMPLES
    if mode is GenerationMode.POSITIVE or (m, p) in WITH_INPUTS
]


@pytest.fixture(scope="module")
def fuzz_settings(prepared: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The prepared settings with a store of the fuzz tests' own."""
    store: Path = tmp_path_factory.mktemp("fuzz") / "fuzz.duckdb"
    return prepared.model_copy(update={"store": store})


@pytest.fixture(scope="module")
def fuzz_app(fuzz_settings: Settings) -> FastAPI:
    from api.app import create_app

    return create_app(fuzz_settings)


@pytest.fixture(scope="module")
def fuzz_schema(fuzz_app: FastAPI) -> object:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


@pytest.fixture(scope="module")
def fuzz_key(fuzz_settings: Settings) -> str:
    from api import auth

    return auth.create_key(fuzz_settings.store, "schemathesis").secret


def test_every_operation_is_fuzzed() -> None:
    """The parametrisation covers the JSON API (reads and the authenticated writes)."""
    assert ("GET", "/v1/route") in OPERATIONS
    assert {p for m, p in OPERATIONS if m == "POST"} == {
        "/v1/readings",
        "/v1/counts",
        "/v1/steps",
        "/v1/survey",
        "/v1/places",
    }
    assert ("PATCH", "/v1/places/{place_id}") in OPERATIONS
    assert any(p.startswith("/sta/v1.1/") for _, p in OPERATIONS)
    assert any(p.startswith("/ngsi-ld/v1/") for _, p in OPERATIONS)


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_operation_conforms_to_schema(
    fuzz_schema, fuzz_key: str, method: str, path: str, mode: GenerationMode
) -> None:
    """No 5xx, documented status codes, conforming bodies and content types."""
    operation = fuzz_schema[path][method]
    auth = {"X-API-Key": fuzz_key} if method in ("POST", "PATCH") else {}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        if auth and mode is GenerationMode.POSITIVE:
            # a valid key, so the body reaches validation and ingest (401 is tested elsewhere)
            case.headers = {**(case.headers or {}), **auth}
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    run()
