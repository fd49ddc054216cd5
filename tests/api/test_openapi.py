"""The OpenAPI document as CI lints it: a valid spec, every operation with an operationId, a
summary, a described tag and its problems documented; examples that the models accept and the
service answers; Swagger UI and ReDoc from local assets only."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate
from pydantic import BaseModel

from app.api.problems import PROBLEM_MEDIA_TYPE, FindingsProblem, Problem
from app.api.schemas.authorization import AuthorizationResponse
from app.api.schemas.compute import ComputeRequest, ComputeResponse
from app.api.schemas.diff import DiffRequest, DiffResponse
from app.api.schemas.evaluate import EvaluateRequest, EvaluateResponse
from app.api.schemas.health import ReadinessOut
from app.api.schemas.pipelines import PipelineValidateRequest, PipelineValidateResponse
from app.api.schemas.validate import ValidateRequest, ValidateResponse

METHODS = {"get", "put", "post", "delete", "patch"}
PROBLEM_REF = "#/components/schemas/Problem"
FINDINGS_PROBLEM_REF = "#/components/schemas/FindingsProblem"
PROBLEM_MODELS: dict[str, type[Problem]] = {
    PROBLEM_REF: Problem,
    FINDINGS_PROBLEM_REF: FindingsProblem,
}
# Probes take no input and need no key: their one documented problem is the time limit's 503.
PROBES = {"/healthz", "/readyz", "/metrics"}
# operationIds are what generated clients call; renaming one breaks them.
STABLE_OPERATION_IDS = {
    "health_healthz",
    "health_readyz",
    "health_metrics",
    "policies_compute_policy",
    "policies_compute_cloudformation",
    "policies_compute_terraform",
    "policies_diff_policy",
    "policies_diff_cloudformation",
    "policies_diff_terraform",
    "policies_evaluate_requests",
    "pipelines_validate",
    "policies_validate_policy",
    "profiles_list_profiles",
    "profiles_create_profile",
    "profiles_get_profile",
    "profiles_publish_revision",
    "profiles_list_revisions",
    "profiles_get_revision",
    "profiles_diff_two_revisions",
    "profiles_deprecate_profile",
    "baselines_list_baselines",
    "baselines_get_baseline",
    "catalog_list_catalog_revisions",
    "admin_create_key",
    "admin_list_keys",
    "admin_revoke_key",
    "admin_list_audit_events",
    "admin_import_catalog_revision",
    "admin_activate_catalog_revision",
}
EXAMPLED_BODIES = {
    ("post", "/v1/policies/compute"): ComputeRequest,
    ("post", "/v1/policies/diff"): DiffRequest,
    ("post", "/v1/policies/evaluate"): EvaluateRequest,
    ("post", "/v1/pipelines/validate"): PipelineValidateRequest,
    ("post", "/v1/policies/validate"): ValidateRequest,
}
EXAMPLED_RESPONSES = (
    ComputeResponse,
    DiffResponse,
    EvaluateResponse,
    AuthorizationResponse,
    PipelineValidateResponse,
    ValidateResponse,
    ReadinessOut,
)


@pytest.fixture(scope="module")
def spec(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    loaded: dict[str, Any] = response.json()
    return loaded


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        resolved: dict[str, Any] = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
        return resolved
    return schema


def test_the_spec_is_valid_openapi(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    validate(spec)  # raises OpenAPIValidationError with the place of the problem


def test_operation_ids_are_unique_and_stable(spec: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(spec)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert set(ids) >= STABLE_OPERATION_IDS, STABLE_OPERATION_IDS - set(ids)
    for operation_id in ids:
        assert re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", operation_id), operation_id


def test_every_operation_has_a_summary_and_a_described_tag(spec: dict[str, Any]) -> None:
    described = {t["name"] for t in spec["tags"] if t.get("description")}
    for method, path, operation in operations(spec):
        where = f"{method.upper()} {path}"
        summary = operation.get("summary", "")
        # FastAPI's fallback is the function name in title case: say what it does instead.
        function = operation["operationId"].split("_", 1)[1]
        assert summary, where
        assert summary != function.replace("_", " ").title(), where
        assert operation.get("tags"), where
        assert set(operation["tags"]) <= described, where


PAGED_LISTS = {
    "/v1/profiles",
    "/v1/profiles/{category}/{owner}/{provider}/{version}/revisions",
    "/v1/catalog/revisions",
    "/v1/admin/keys",
    "/v1/admin/audit",
    "/v1/baselines",
}


def test_every_list_is_paged_and_its_next_cursor_is_optional_not_null(
    spec: dict[str, Any],
) -> None:
    """The answer leaves `next_cursor` out on the last page; the schema says exactly that."""
    for path in PAGED_LISTS:
        operation = spec["paths"][path]["get"]
        assert {"cursor", "limit"} <= {p["name"] for p in operation["parameters"]}, path
        content = operation["responses"]["200"]["content"]["application/json"]
        schema = _resolve(spec, content["schema"])
        assert schema["properties"]["next_cursor"]["type"] == "string", path
        assert "anyOf" not in schema["properties"]["next_cursor"], path
        assert "default" not in schema["properties"]["next_cursor"], path
        assert "next_cursor" not in schema.get("required", []), path
    paged = {
        path
        for path, item in spec["paths"].items()
        if any(p["name"] == "cursor" for p in item.get("get", {}).get("parameters", []))
    }
    assert paged == PAGED_LISTS


def test_a_problem_location_may_say_where_in_the_text(spec: dict[str, Any]) -> None:
    location = spec["components"]["schemas"]["ProblemLocation"]
    assert set(location["required"]) == {"pointer", "detail"}
    for place in ("line", "column", "offset"):
        assert location["properties"][place]["type"] == "integer"
        assert "default" not in location["properties"][place]


def _problem_statuses(operation: dict[str, Any]) -> set[int]:
    return {
        int(status)
        for status, response in operation["responses"].items()
        if response.get("content", {}).get(PROBLEM_MEDIA_TYPE, {}).get("schema", {}).get("$ref")
        in PROBLEM_MODELS
    }


def test_every_operation_documents_its_problems(spec: dict[str, Any]) -> None:
    for method, path, operation in operations(spec):
        where = f"{method.upper()} {path}"
        problems = _problem_statuses(operation)
        assert 503 in problems, where
        if path not in PROBES:
            assert any(400 <= s < 500 for s in problems), where
            assert 401 in problems, where
        if operation.get("parameters") or operation.get("requestBody"):
            assert 422 in problems, where
        if operation.get("requestBody"):
            assert 413 in problems, where
            assert 415 in problems, where
        if method != "get" and path.startswith("/v1/admin"):
            assert 403 in problems, where
        for status, response in operation["responses"].items():
            assert response.get("description"), f"{where} {status}"
            if status.startswith(("4", "5")) and "content" in response:
                for media, content in response["content"].items():
                    # Problems are problem+json only (FastAPI would put them under JSON).
                    model = PROBLEM_MODELS.get(content.get("schema", {}).get("$ref", ""))
                    if model is not None:
                        assert media == PROBLEM_MEDIA_TYPE, f"{where} {status}"
                        model.model_validate(content["example"])
                        if "{" not in path:
                            assert content["example"]["instance"] == path, f"{where} {status}"


def test_write_routes_document_their_preconditions(spec: dict[str, Any]) -> None:
    profile = "/v1/profiles/{category}/{owner}/{provider}/{version}"
    for method, path in (("put", profile), ("post", f"{profile}/deprecate")):
        assert {401, 403, 404, 412, 422, 428} <= _problem_statuses(spec["paths"][path][method])
    assert {401, 403, 409, 422} <= _problem_statuses(spec["paths"]["/v1/profiles"]["post"])
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def _examples(model: type[BaseModel]) -> list[dict[str, Any]]:
    extra = model.model_config.get("json_schema_extra")
    assert isinstance(extra, dict), model
    examples = extra["examples"]
    assert isinstance(examples, list)
    assert examples, model
    return examples  # type: ignore[return-value]


@pytest.mark.parametrize(
    "model", [*EXAMPLED_BODIES.values(), *EXAMPLED_RESPONSES], ids=lambda m: m.__name__
)
def test_examples_are_valid_for_their_models(model: type[BaseModel]) -> None:
    for example in _examples(model):
        model.model_validate(example)


def test_decision_bodies_carry_examples_the_service_answers(
    spec: dict[str, Any], client: TestClient
) -> None:
    for (method, path), model in EXAMPLED_BODIES.items():
        operation = spec["paths"][path][method]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert _resolve(spec, body).get("examples"), path
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        # An answer of several shapes (evaluate: identity policies only, or every layer).
        for shape in ok.get("anyOf", [ok]):
            assert _resolve(spec, shape).get("examples"), (path, shape)
        for example in _examples(model):
            answer = client.post(path, json=example)
            assert answer.status_code == 200, (path, answer.text)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v for k, v in attrs if k in ("src", "href", "spec-url") and v]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_load_from_local_assets_only(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE), html
    parser = _Links()
    parser.feed(html)
    assets = [u for u in parser.urls if u != "/openapi.json"]
    assert any(u.endswith(".js") for u in assets), parser.urls
    for url in parser.urls:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
        assert client.get(url).status_code == 200, url
    assert "/openapi.json" in html


# -- what generated clients type ------------------------------------------------------------------

SNIPPET_OPERATIONS = [
    f"/v1/policies/{decision}/{chosen}"
    for decision in ("compute", "diff")
    for chosen in ("cloudformation", "terraform")
]


def test_every_answer_has_one_media_type(spec: dict[str, Any]) -> None:
    """A generated client types a 2xx answer as the union of its media types: the JSON decisions
    answer JSON alone (their `?format=` convenience is left out of the document), the snippets
    are operations of their own."""
    for method, path, operation in operations(spec):
        for status, response in operation["responses"].items():
            if status.startswith("2") and "content" in response:
                assert len(response["content"]) == 1, f"{method.upper()} {path} {status}"
        names = {p["name"] for p in operation.get("parameters", [])}
        assert "format" not in names, f"{method.upper()} {path}"


@pytest.mark.parametrize("path", SNIPPET_OPERATIONS)
def test_snippet_operations_answer_text_or_findings(spec: dict[str, Any], path: str) -> None:
    operation = spec["paths"][path]["post"]
    ok = operation["responses"]["200"]
    assert ok["content"] == {
        "text/plain": {
            "schema": {"type": "string"},
            "example": ok["content"]["text/plain"]["example"],
        }
    }
    assert "# Findings: 1" in ok["content"]["text/plain"]["example"]
    assert ok["headers"]["X-Findings"]["required"] is True
    refused = operation["responses"]["422"]["content"][PROBLEM_MEDIA_TYPE]
    assert refused["schema"] == {"$ref": FINDINGS_PROBLEM_REF}
    assert refused["example"]["findings"][0]["finding_type"] == "ERROR"
    decision = path.rsplit("/", 1)[0]
    assert operation["requestBody"] == spec["paths"][decision]["post"]["requestBody"]
    assert spec["paths"][decision]["post"]["responses"]["200"]["headers"]["X-Findings"]


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[1]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def _reachable(spec: dict[str, Any], roots: set[str]) -> set[str]:
    schemas = spec["components"]["schemas"]
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(_refs(schemas[name]) - seen)
    return seen


def test_answers_list_every_field_they_always_send_as_required(spec: dict[str, Any]) -> None:
    """Every field of an answer is sent (null when it has no value): a schema only answers use
    says so, so a generated client needs no check before reading one. Problems leave out what
    they do not have, and say so."""
    inputs: set[str] = set()
    outputs: set[str] = set()
    for _, _, operation in operations(spec):
        inputs |= _refs(operation.get("requestBody", {})) | _refs(operation.get("parameters", []))
        outputs |= _refs(
            {s: r for s, r in operation["responses"].items() if not s.startswith(("4", "5"))}
        )
    answers = _reachable(spec, outputs) - _reachable(spec, inputs)
    assert {"ComputeResponse", "DiffResponse", "FindingOut"} <= answers
    for name in sorted(answers):
        schema = spec["components"]["schemas"][name]
        if "properties" in schema:
            # A list's `next_cursor` is left out on its last page, and the schema says so: not
            # required, not nullable, no default.
            left_out = {
                k
                for k, v in schema["properties"].items()
                if k == "next_cursor" and "default" not in v and "anyOf" not in v
            }
            assert set(schema.get("required", [])) == set(schema["properties"]) - left_out, name
